// Package scenario is the scenario file format (fixtures/README.md): its types,
// the one reader (Parse, Load: every problem with file:line) and the one writer
// (Encode). The runner replays what Parse gives; the explorer and the proxy's
// recorder write through Encode, so what they write always loads back.
package scenario

import (
	"slices"
	"sort"

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
	// Vars are evaluated once, in order, when the scenario starts.
	Vars    []Var
	Steps   []*Step
	Cleanup []*Step
}

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
}

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
