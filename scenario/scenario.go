// Package scenario is the scenario file format (fixtures/README.md): its types,
// the one reader (Parse, Load: every problem with file:line) and the one writer
// (Encode). The runner replays what Parse gives; the explorer and the proxy's
// recorder write through Encode, so what they write always loads back.
package scenario

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/redact"
)

// Scenario is one scripted conversation with the API: steps run in order, then the
// cleanup steps, which run whatever happened before.
type Scenario struct {
	Name string
	File string
	Line int
	// Comment is written above the scenario by Encode, a line each; Parse does not
	// read comments.
	Comment []string
	Tags    []string
	// Exclusive scenarios run while no other scenario of the run does, for checks
	// (a consistent paging walk) that concurrent writers would disturb.
	Exclusive bool
	// Needs lists what the run must offer for the scenario to run; see needsKinds.
	Needs []string
	// Vars are evaluated once, in order, when the scenario starts. A run's own
	// variable (Loader.Vars) or an example row's value of the same name takes a
	// var's place: the file gives defaults.
	Vars []Var
	// Examples run the scenario once per row (see Runs); each row's values are
	// vars of its run.
	Examples []Row
	Steps    []*Step
	Cleanup  []*Step
	// Phase says when the scenario runs in its suite: among the others (""),
	// before them all (PhaseSetup) or after them all (PhaseTeardown). Load sets it
	// from the file's name (SetupFile, TeardownFile); the file does not say it.
	Phase string
	// Row is the example row this run of the scenario has (see Runs), nil for a
	// scenario read from a file.
	Row *Row
}

// Row is one row of a scenario's examples: values by name, in the file's order.
type Row struct {
	Values []Pair
	Line   int
}

// Phases of a suite's scenarios, and the files that hold them, at the top of a
// suite's directory.
const (
	PhaseSetup    = "setup"
	PhaseTeardown = "teardown"
	SetupFile     = "_setup.yaml"
	TeardownFile  = "_teardown.yaml"
)

// Runs returns the scenario as it runs: itself, or once per example row, each
// copy named with its row ("name [who=Ana, phone=6281]"), which depends only on
// the file, so a report's names stay the same from run to run.
func (s *Scenario) Runs() []*Scenario {
	if len(s.Examples) == 0 {
		return []*Scenario{s}
	}
	out := make([]*Scenario, len(s.Examples))
	for i := range s.Examples {
		c := *s
		c.Examples, c.Row = nil, &s.Examples[i]
		c.Name = s.Name + " " + s.Examples[i].label()
		out[i] = &c
	}
	return out
}

// label writes a row as its run's name ends: [name=value, ...].
func (r Row) label() string {
	parts := make([]string, len(r.Values))
	for i, v := range r.Values {
		text := strings.Join(strings.Fields(check.TextOf(v.Value)), " ")
		if rs := []rune(text); len(rs) > maxLabelValue {
			text = string(rs[:maxLabelValue]) + "…"
		}
		parts[i] = v.Name + "=" + text
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// maxLabelValue is how much of a row's value its run's name shows.
const maxLabelValue = 40

// NeedsForeignApp reports whether a step talks to the foreign app, so the scenario
// is skipped when the run has none.
func (s *Scenario) NeedsForeignApp() bool {
	if slices.Contains(s.Needs, NeedForeignApp) {
		return true
	}
	for _, st := range slices.Concat(s.Steps, s.Cleanup) {
		if st.Auth == AuthForeignApp || st.Auth == AuthForeignToken || st.mentions(BuiltinForeignApp) {
			return true
		}
	}
	return false
}

// NeedsForeignToken reports whether a step sends the second identity's token,
// so the scenario is skipped when the run has none.
func (s *Scenario) NeedsForeignToken() bool {
	if slices.Contains(s.Needs, NeedForeignToken) {
		return true
	}
	return slices.ContainsFunc(slices.Concat(s.Steps, s.Cleanup), func(st *Step) bool { return st.Auth == AuthForeignToken })
}

// NeedForeignApp, in a scenario's needs, skips it when the run has no foreign app.
// Besides the scenarios that use one, those that need a target which enforces
// token grants declare it: naming an app the token is not granted is how a user
// says the target checks tokens (the mock in open mode accepts any).
const NeedForeignApp = "foreign_app"

// NeedForeignToken, in a scenario's needs, skips it when the run has no foreign
// token (Config.ForeignToken); a step with auth: foreign-token implies it.
const NeedForeignToken = "foreign_token"

var needsKinds = []string{NeedForeignApp, NeedForeignToken}

// Var is a scenario variable: a name and a value that may hold placeholders.
type Var struct {
	Name  string
	Value any
	Line  int
}

// Auth modes a step can send instead of the run's bearer token.
const (
	AuthToken      = "token"       // Authorization: Bearer <token> (the default)
	AuthNone       = "none"        // no Authorization header
	AuthBasic      = "basic"       // Authorization: Basic <base64>, another scheme
	AuthBearerOnly = "bearer-only" // Authorization: Bearer, with no token
	AuthWrongToken = "wrong-token" // Authorization: Bearer <a token nobody issued>
	AuthForeignApp = "foreign-app" // the run's token on the foreign app's contacts
	// AuthForeignToken sends the second identity's token (Config.ForeignToken),
	// on the foreign app unless params name another appId: a scenario file never
	// holds a token, so this is how it replays what that identity did.
	AuthForeignToken = "foreign-token"
	// AuthTokenSuffix and AuthTokenPrefix send the run's token with one more
	// character after or before it: a token nobody issued that a server comparing
	// prefixes takes.
	AuthTokenSuffix = "token-suffix" // Authorization: Bearer <token>x
	AuthTokenPrefix = "token-prefix" // Authorization: Bearer x<token>
	// AuthTokenCase sends the run's token with its letters' case swapped: a
	// token nobody issued that a server comparing without case takes.
	AuthTokenCase = "token-case"
)

// SwapCase is token with its letters' case swapped, as AuthTokenCase sends it.
func SwapCase(token string) string { return redact.SwapCase(token) }

var authModes = []string{AuthToken, AuthNone, AuthBasic, AuthBearerOnly, AuthWrongToken, AuthForeignApp, AuthForeignToken, AuthTokenSuffix, AuthTokenPrefix, AuthTokenCase}

// Step is one request and what its answer must be.
type Step struct {
	Name string
	File string
	Line int

	// Op is an operationId of the contract; Method and Path instead send a request
	// to any route, for unknown routes and methods.
	Op     string
	Method string
	Path   string

	Params  []Pair // path parameters; appId defaults to the run's app
	Query   []Pair
	Headers []Pair
	Auth    string

	Body    any // a YAML value sent as JSON
	HasBody bool
	RawBody *string // sent byte for byte, for malformed bodies

	// Walk follows next_page from the requested page to the last, checking every
	// page; the expectations then see every page's data as one array.
	Walk bool
	// AcrossPages adds the checks that need a quiet list: the same total on every
	// page, no contact twice, and counts that add up. Only in exclusive scenarios.
	AcrossPages bool

	Expect  Expect
	Capture []Capture
	// Rule names the contract location that rules the step's expectations, reported
	// with their mismatches; by default the operation's.
	Rule string
	// Reading names the reading of the docs' silence (contactkit.Readings) the
	// step's own expectations assert: a mismatch of them warns, unless the run is
	// strict about readings. The checks every answer gets keep their own source.
	Reading string
	// Unchecked steps call something outside the contract (the mock's
	// /__admin/, a fault): their answers are judged by their own expectations
	// only, not by the checks every answer of the API gets.
	Unchecked bool
	// Retry sends the step again while its expectations do not hold; nil sends
	// it once.
	Retry *Retry
}

// Retry says how often a step is tried again, and how long apart.
type Retry struct {
	Times    int // tries after the first
	Interval time.Duration
}

// Bounds of a retry: a step waits for a server, it does not poll one for ever.
const (
	DefaultRetryInterval = time.Second
	MaxRetryTimes        = 100
	MaxRetryInterval     = time.Minute
)

// Pair is a name and a value, kept in the order the file gives them.
type Pair struct {
	Name  string
	Value any
}

// Expect is what a step's answer must be.
type Expect struct {
	Status []int
	// Readings are statuses outside Status that depart only from a reading of the
	// docs' silences (contactkit.Readings): answering one warns.
	Readings map[int]string
	Body     []Assertion
	// On holds assertions that apply only when the answer has that status, for
	// cases where the docs allow several answers.
	On map[int][]Assertion
	// Headers check the answer's headers, by name in any case.
	Headers []HeaderAssertion
	// MaxDuration bounds how long each request of the step may take to be
	// answered in full; zero for no bound.
	MaxDuration time.Duration
}

// HeaderAssertion checks the value of an answer's header, named in any case: its
// values joined by ", " as HTTP joins them, absent when the answer has none.
type HeaderAssertion struct {
	Name     string
	Line     int
	Matchers []Matcher
}

// Assertion checks the value a JSON pointer addresses.
type Assertion struct {
	Pointer  string
	Line     int
	Matchers []Matcher
}

// Capture keeps the value at a pointer for later steps as {{Name}}.
type Capture struct {
	Name     string
	From     string
	Optional bool
	Line     int
}

func (st *Step) placeholderNames() []string {
	vals := []any{st.Path, st.Rule, st.Body}
	if st.RawBody != nil {
		vals = append(vals, *st.RawBody)
	}
	for _, ps := range [][]Pair{st.Params, st.Query, st.Headers} {
		for _, p := range ps {
			vals = append(vals, p.Value)
		}
	}
	for _, a := range st.AllAssertions() {
		vals = append(vals, a.Pointer)
		for _, m := range a.Matchers {
			vals = append(vals, m.Arg)
		}
	}
	for _, h := range st.Expect.Headers {
		for _, m := range h.Matchers {
			vals = append(vals, m.Arg)
		}
	}
	for _, c := range st.Capture {
		vals = append(vals, c.From)
	}
	var out []string
	for _, v := range vals {
		out = append(out, Placeholders(v)...)
	}
	return out
}

// AllAssertions lists the step's body assertions, those under on: included.
func (st *Step) AllAssertions() []Assertion {
	out := slices.Clone(st.Expect.Body)
	codes := make([]int, 0, len(st.Expect.On))
	for c := range st.Expect.On {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		out = append(out, st.Expect.On[c]...)
	}
	return out
}

func (st *Step) mentions(name string) bool {
	return slices.Contains(st.placeholderNames(), name)
}
