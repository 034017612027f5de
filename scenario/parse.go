package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/contactkit/contactkit"
)

// The file format, as tagged structs. A field is a yaml.Node where the loader
// needs the value's own line, its order, or a shape YAML types cannot say (a word
// or a list); everything else decodes straight into its Go type. decode refuses
// any key no field is tagged with, so these structs are the one list of keys.

type scenarioDoc struct {
	Name      string    `yaml:"name"`
	Tags      yaml.Node `yaml:"tags"`
	Needs     yaml.Node `yaml:"needs"`
	Exclusive bool      `yaml:"exclusive"`
	Vars      yaml.Node `yaml:"vars"`
	Examples  yaml.Node `yaml:"examples"`
	Steps     yaml.Node `yaml:"steps"`
	Cleanup   yaml.Node `yaml:"cleanup"`
}

type stepDoc struct {
	Name        string    `yaml:"name"`
	Op          yaml.Node `yaml:"op"`
	Method      yaml.Node `yaml:"method"`
	Path        yaml.Node `yaml:"path"`
	Params      yaml.Node `yaml:"params"`
	Query       yaml.Node `yaml:"query"`
	Headers     yaml.Node `yaml:"headers"`
	Auth        yaml.Node `yaml:"auth"`
	Body        yaml.Node `yaml:"body"`
	RawBody     *string   `yaml:"raw_body"`
	Walk        bool      `yaml:"walk"`
	AcrossPages bool      `yaml:"across_pages"`
	Expect      yaml.Node `yaml:"expect"`
	Capture     yaml.Node `yaml:"capture"`
	Rule        string    `yaml:"rule"`
	Reading     yaml.Node `yaml:"reading"`
	Unchecked   bool      `yaml:"unchecked"`
	Retry       yaml.Node `yaml:"retry"`
}

type expectDoc struct {
	Status      yaml.Node `yaml:"status"`
	Readings    yaml.Node `yaml:"readings"`
	Body        yaml.Node `yaml:"body"`
	On          yaml.Node `yaml:"on"`
	Headers     yaml.Node `yaml:"headers"`
	MaxDuration yaml.Node `yaml:"max_duration"`
}

type retryDoc struct {
	Times    int       `yaml:"times"`
	Interval yaml.Node `yaml:"interval"`
}

type captureDoc struct {
	From     string `yaml:"from"`
	Optional bool   `yaml:"optional"`
}

// LoadError says where a scenario file is wrong and why.
type LoadError struct {
	File string
	Line int
	Msg  string
}

// Error reads "file:line: why", the form editors jump to.
func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Loader reads scenario files against a contract, with the values a run gives
// them from outside the files. Its zero Vars and Env are useful: no run
// variables, and the process's environment.
type Loader struct {
	// Spec is the contract the files are checked against: operations, the
	// statuses they answer and the fields of their answers.
	Spec *contactkit.Spec
	// Vars are the run's own variables (--var, --vars), which every scenario may
	// use as {{NAME}}; see CheckVarName.
	Vars map[string]any
	// Env looks up {{env.NAME}}; nil reads the process's environment. A name it
	// does not have is a load error.
	Env func(name string) (string, bool)
}

// Load reads every .yaml and .yml file of fsys with no run variables; see
// Loader.Load.
func Load(spec *contactkit.Spec, fsys fs.FS, prefix string) ([]*Scenario, error) {
	return (&Loader{Spec: spec}).Load(fsys, prefix)
}

// Parse reads the scenarios of one file with no run variables; see Loader.Parse.
func Parse(spec *contactkit.Spec, file string, data []byte) ([]*Scenario, error) {
	return (&Loader{Spec: spec}).Parse(file, data)
}

// Load reads every .yaml and .yml file of fsys, in name order, and returns their
// scenarios, checked against the contract. The top's SetupFile and TeardownFile
// hold the suite's setup and teardown scenarios (their Phase). prefix is
// prepended to file names in errors and reports. Every problem of every file is
// returned, each a *LoadError, joined.
func (l *Loader) Load(fsys fs.FS, prefix string) ([]*Scenario, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read suite: %w", err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, errors.New("suite has no .yaml scenario files")
	}
	var (
		all  []*Scenario
		errs []error
		seen = map[string]string{}
	)
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		name := path.Join(prefix, f)
		if err != nil {
			errs = append(errs, &LoadError{File: name, Msg: err.Error()})
			continue
		}
		phase := phaseOf(path.Base(f))
		if phase != "" && path.Dir(f) != "." {
			errs = append(errs, &LoadError{File: name, Msg: fmt.Sprintf("%s holds a suite's %s only at the top of the suite; move it there or rename it", path.Base(f), phase)})
			continue
		}
		scs, err := l.Parse(name, data)
		if err != nil {
			errs = append(errs, err)
		}
		for _, sc := range scs {
			sc.Phase = phase
			dup := false
			for _, run := range sc.Runs() {
				if prev, taken := seen[run.Name]; taken {
					errs = append(errs, &LoadError{File: sc.File, Line: runLine(run), Msg: fmt.Sprintf("scenario name %q is already used at %s", run.Name, prev)})
					dup = true
					continue
				}
				seen[run.Name] = fmt.Sprintf("%s:%d", sc.File, runLine(run))
			}
			if !dup {
				all = append(all, sc)
			}
		}
	}
	return all, errors.Join(errs...)
}

// phaseOf is the phase of the scenarios of a file named base (.yml as .yaml).
func phaseOf(base string) string {
	stem := func(f string) string { return strings.TrimSuffix(strings.TrimSuffix(f, ".yaml"), ".yml") }
	switch stem(base) {
	case stem(SetupFile):
		return PhaseSetup
	case stem(TeardownFile):
		return PhaseTeardown
	}
	return ""
}

// runLine is where a run of a scenario is written: its row, or the scenario.
func runLine(sc *Scenario) int {
	if sc.Row != nil {
		return sc.Row.Line
	}
	return sc.Line
}

// Parse reads the scenarios of one file, checked against the contract: one YAML
// document per scenario. It returns the scenarios that loaded and every problem
// found, each a *LoadError, joined.
func (l *Loader) Parse(file string, data []byte) ([]*Scenario, error) {
	p := &parser{file: file, spec: l.Spec, loader: l}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*Scenario
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p.errs = append(p.errs, &LoadError{File: file, Line: yamlErrLine(err), Msg: yamlLine.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")})
			break
		}
		if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
			continue // an empty document, e.g. after a trailing ---
		}
		if sc := p.scenario(doc.Content[0]); sc != nil {
			out = append(out, sc)
		}
	}
	return out, errors.Join(p.errs...)
}

// env looks name up in the Loader's environment.
func (l *Loader) env(name string) (string, bool) {
	if l.Env != nil {
		return l.Env(name)
	}
	return os.LookupEnv(name)
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

func yamlErrLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

type parser struct {
	file   string
	spec   *contactkit.Spec
	loader *Loader
	errs   []error
}

func (p *parser) fail(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &LoadError{File: p.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

// quoteHint is what the loader says wherever YAML read an unquoted {{name}}: as a
// mapping whose key is itself a mapping.
const quoteHint = "quote placeholders: write \"{{name}}\", not {{name}}"

// unquotedPlaceholders reports every mapping key that is not text, which nothing
// in the format takes and an unquoted {{name}} anywhere becomes. It runs over the
// whole document first, so the hint is said once, where the mistake is, and not
// as a wrong type further on.
func (p *parser) unquotedPlaceholders(n *yaml.Node) bool {
	found := false
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Kind != yaml.ScalarNode {
				p.fail(n.Content[i], "a key must be plain text; %s", quoteHint)
				found = true
			}
		}
	}
	for _, c := range n.Content {
		if p.unquotedPlaceholders(c) {
			found = true
		}
	}
	return found
}

// decode fills the struct v points to from the mapping n, field by field through
// the fields' yaml tags. A key no field is tagged with, a key given twice, or a
// value of the wrong type is a load error at its own line. It reports whether n
// was a mapping at all.
func (p *parser) decode(n *yaml.Node, what string, v any) bool {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s must be a mapping, not %s", what, kindName(n))
		return false
	}
	rv := reflect.ValueOf(v).Elem()
	keys, index := yamlFields(rv.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fi, known := index[k.Value]
		switch {
		case !known:
			p.fail(k, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(keys, ", "))
			continue
		case seen[k.Value]:
			p.fail(k, "%s: key %q given twice", what, k.Value)
			continue
		case val.Kind == yaml.AliasNode:
			p.fail(val, "%s: %s: aliases are not supported; repeat the value", what, k.Value)
			continue
		}
		seen[k.Value] = true
		f := rv.Field(fi)
		if f.Type() == nodeType {
			f.Set(reflect.ValueOf(*val))
			continue
		}
		if val.Kind != yaml.ScalarNode || val.Decode(f.Addr().Interface()) != nil {
			p.fail(val, "%s: %s must be %s, not %s", what, k.Value, typeWord(f.Type()), kindName(val))
		}
	}
	return true
}

var nodeType = reflect.TypeFor[yaml.Node]()

// yamlFields lists a struct's yaml keys in declaration order, and the field index
// of each.
func yamlFields(t reflect.Type) ([]string, map[string]int) {
	var keys []string
	index := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		keys = append(keys, name)
		index[name] = i
	}
	return keys, index
}

func typeWord(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	}
	return t.String()
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	default:
		return fmt.Sprintf("the scalar %q", n.Value)
	}
}

// entries calls f with each key and value of the mapping n, in file order, or
// reports that n is not a mapping with notMapping.
func (p *parser) entries(n *yaml.Node, notMapping string, f func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s", notMapping)
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		f(n.Content[i], n.Content[i+1])
	}
}

// given reports whether a yaml.Node field was present in the file.
func given(n *yaml.Node) bool { return n.Kind != 0 }

// oneOf reports value unless it is one of allowed, and says whether it is.
func (p *parser) oneOf(n *yaml.Node, what, value string, allowed []string) bool {
	if slices.Contains(allowed, value) {
		return true
	}
	p.fail(n, "%s %q is not one of %s", what, value, strings.Join(allowed, ", "))
	return false
}

func (p *parser) scenario(n *yaml.Node) *Scenario {
	nerr := len(p.errs)
	if p.unquotedPlaceholders(n) {
		return nil
	}
	var d scenarioDoc
	if !p.decode(n, "scenario", &d) {
		return nil
	}
	sc := &Scenario{Name: d.Name, File: p.file, Line: n.Line, Exclusive: d.Exclusive}
	if given(&d.Tags) {
		sc.Tags = p.words(&d.Tags, "tags")
	}
	if given(&d.Needs) {
		sc.Needs = p.words(&d.Needs, "needs")
		for _, need := range sc.Needs {
			p.oneOf(&d.Needs, "needs", need, needsKinds)
		}
	}
	if given(&d.Vars) {
		sc.Vars = p.vars(&d.Vars)
	}
	if given(&d.Examples) {
		sc.Examples = p.examples(&d.Examples)
	}
	if given(&d.Steps) {
		sc.Steps = p.steps(&d.Steps, "steps")
	}
	if given(&d.Cleanup) {
		sc.Cleanup = p.steps(&d.Cleanup, "cleanup")
	}
	if sc.Name == "" {
		p.fail(n, "scenario has no name")
	}
	if len(sc.Steps) == 0 && len(p.errs) == nerr {
		p.fail(n, "scenario %q has no steps", sc.Name)
	}
	p.checkScenario(sc)
	if len(p.errs) > nerr {
		return nil
	}
	return sc
}

func (p *parser) vars(n *yaml.Node) []Var {
	var out []Var
	p.entries(n, "vars must be a mapping of name: value", func(k, v *yaml.Node) {
		if err := CheckVarName(k.Value); err != nil {
			p.fail(k, "vars: %v", err)
			return
		}
		if val, ok := p.value(v); ok {
			out = append(out, Var{Name: k.Value, Value: val, Line: k.Line})
		}
	})
	return out
}

// examples reads a list of rows, each a mapping of name: value; every row names
// the same variables, so each run of the scenario has them all.
func (p *parser) examples(n *yaml.Node) []Row {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.fail(n, "examples must be a list of rows, each a mapping of name: value")
		return nil
	}
	var out []Row
	for i, item := range n.Content {
		row := Row{Line: item.Line}
		p.entries(item, "an example row must be a mapping of name: value", func(k, v *yaml.Node) {
			if err := CheckVarName(k.Value); err != nil {
				p.fail(k, "examples: %v", err)
				return
			}
			if val, ok := p.value(v); ok {
				row.Values = append(row.Values, Pair{Name: k.Value, Value: val})
			}
		})
		if len(row.Values) == 0 {
			p.fail(item, "example row %d names no variable", i+1)
			continue
		}
		if len(out) > 0 && !slices.Equal(pairNames(out[0].Values), pairNames(row.Values)) {
			p.fail(item, "example row %d names %s; every row names the same variables as the first (%s)", i+1,
				strings.Join(pairNames(row.Values), ", "), strings.Join(pairNames(out[0].Values), ", "))
			continue
		}
		out = append(out, row)
	}
	return out
}

func pairNames(ps []Pair) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	slices.Sort(out)
	return out
}

func (p *parser) steps(n *yaml.Node, what string) []*Step {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "%s must be a list of steps", what)
		return nil
	}
	var out []*Step
	for _, item := range n.Content {
		if st := p.step(item); st != nil {
			out = append(out, st)
		}
	}
	return out
}

func (p *parser) step(n *yaml.Node) *Step {
	var d stepDoc
	if !p.decode(n, "step", &d) {
		return nil
	}
	st := &Step{Name: d.Name, File: p.file, Line: n.Line, Auth: AuthToken, RawBody: d.RawBody, Walk: d.Walk, AcrossPages: d.AcrossPages, Rule: d.Rule, Unchecked: d.Unchecked}
	if given(&d.Op) {
		st.Op = p.text(&d.Op, "op")
		if p.spec.Op(st.Op) == nil {
			p.fail(&d.Op, "op %q is not an operationId of the contract (known: %s)", st.Op, strings.Join(p.opIDs(), ", "))
		}
	}
	if given(&d.Method) {
		st.Method = strings.ToUpper(p.text(&d.Method, "method"))
		if !validMethod.MatchString(st.Method) {
			p.fail(&d.Method, "method %q is not an HTTP method", st.Method)
		}
	}
	if given(&d.Path) {
		st.Path = p.text(&d.Path, "path")
		if !strings.HasPrefix(st.Path, "/") {
			p.fail(&d.Path, "path %q must start with /", st.Path)
		} else if err := checkTemplate(st.Path); err != nil {
			p.fail(&d.Path, "%v", err)
		}
	}
	if given(&d.Auth) {
		st.Auth = p.text(&d.Auth, "auth")
		p.oneOf(&d.Auth, "auth", st.Auth, authModes)
	}
	if given(&d.Params) {
		st.Params = p.pairs(&d.Params, "params")
	}
	if given(&d.Query) {
		st.Query = p.pairs(&d.Query, "query")
	}
	if given(&d.Headers) {
		st.Headers = p.pairs(&d.Headers, "headers")
	}
	if given(&d.Body) {
		st.Body, st.HasBody = p.value(&d.Body)
	}
	if st.RawBody != nil {
		if err := checkTemplate(*st.RawBody); err != nil {
			p.fail(n, "step %q: raw_body: %v", st.Name, err)
		}
	}
	if err := checkTemplate(st.Rule); err != nil {
		p.fail(n, "step %q: rule: %v", st.Name, err)
	}
	if given(&d.Capture) {
		st.Capture = p.captures(&d.Capture)
	}
	if given(&d.Reading) {
		st.Reading = p.text(&d.Reading, "reading")
		if _, ok := contactkit.LookupReading(st.Reading); !ok {
			p.fail(&d.Reading, "reading %q is not one of the contract's readings (%s)", st.Reading, strings.Join(readingIDs(), ", "))
		}
	}
	if st.Name == "" {
		p.fail(n, "step has no name")
	}
	switch {
	case st.Op == "" && st.Method == "":
		p.fail(n, "step %q needs op (an operationId) or method and path", st.Name)
	case st.Op != "" && (st.Method != "" || st.Path != ""):
		p.fail(n, "step %q: give op, or method and path, not both", st.Name)
	case st.Op == "" && st.Path == "":
		p.fail(n, "step %q: method needs a path", st.Name)
	}
	if given(&d.Body) && st.RawBody != nil {
		p.fail(n, "step %q: give body or raw_body, not both", st.Name)
	}
	if st.Walk && st.Op != contactkit.OpListContacts {
		p.fail(n, "step %q: walk works with op %s only", st.Name, contactkit.OpListContacts)
	}
	if st.AcrossPages && !st.Walk {
		p.fail(n, "step %q: across_pages needs walk: true", st.Name)
	}
	if st.Unchecked && st.Walk {
		p.fail(n, "step %q: a walk reads the contract's pages; it cannot be unchecked", st.Name)
	}
	if given(&d.Retry) {
		st.Retry = p.retry(&d.Retry)
	}
	if !given(&d.Expect) {
		p.fail(n, "step %q has no expect (at least expect: {status: ...})", st.Name)
	} else {
		st.Expect = p.expect(&d.Expect, st.Name)
		if !st.Unchecked {
			p.checkContract(st, &d.Expect)
		}
	}
	return st
}

func (p *parser) retry(n *yaml.Node) *Retry {
	var d retryDoc
	if !p.decode(n, "retry", &d) {
		return nil
	}
	r := &Retry{Times: d.Times, Interval: DefaultRetryInterval}
	if r.Times < 1 || r.Times > MaxRetryTimes {
		p.fail(n, "retry: times must be 1 to %d (the tries after the first), not %d", MaxRetryTimes, r.Times)
	}
	if given(&d.Interval) {
		var ok bool
		if r.Interval, ok = p.duration(&d.Interval, "retry: interval"); ok && r.Interval > MaxRetryInterval {
			p.fail(&d.Interval, "retry: interval must be at most %s", MaxRetryInterval)
		}
	}
	return r
}

// duration reads a Go duration with its unit: 300ms, 2s, 1m30s.
func (p *parser) duration(n *yaml.Node, what string) (time.Duration, bool) {
	d, err := time.ParseDuration(p.text(n, what))
	if n.Kind == yaml.ScalarNode && (err != nil || d < 0) {
		p.fail(n, "%s %q is not a duration with its unit, such as 300ms or 2s", what, n.Value)
		return 0, false
	}
	return d, err == nil
}

func readingIDs() []string {
	var out []string
	for _, r := range contactkit.Readings() {
		out = append(out, r.ID)
	}
	return out
}

func (p *parser) opIDs() []string {
	var out []string
	for _, op := range p.spec.Ops() {
		out = append(out, op.ID)
	}
	return out
}

var validMethod = regexp.MustCompile(`^[A-Z]+$`)

func (p *parser) expect(n *yaml.Node, step string) Expect {
	var d expectDoc
	var e Expect
	if !p.decode(n, "expect", &d) {
		return e
	}
	if !given(&d.Status) {
		p.fail(n, "step %q: expect needs a status", step)
	} else {
		e.Status = p.statuses(&d.Status)
	}
	if given(&d.Readings) {
		e.Readings = p.statusReadings(&d.Readings, e.Status)
	}
	if given(&d.Body) {
		e.Body = p.assertions(&d.Body)
	}
	if given(&d.On) {
		e.On = p.on(&d.On, append(slices.Clone(e.Status), slices.Collect(maps.Keys(e.Readings))...))
	}
	if given(&d.Headers) {
		e.Headers = p.headerAssertions(&d.Headers)
	}
	if given(&d.MaxDuration) {
		if dur, ok := p.duration(&d.MaxDuration, "expect.max_duration"); ok && dur == 0 {
			p.fail(&d.MaxDuration, "expect.max_duration must be more than 0")
		} else {
			e.MaxDuration = dur
		}
	}
	return e
}

// headerToken is a header's name as HTTP allows it (RFC 9110 5.1).
var headerToken = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// headerAssertions reads `Name: matchers`, as body assertions read pointers: a
// bare value means equals.
func (p *parser) headerAssertions(n *yaml.Node) []HeaderAssertion {
	var out []HeaderAssertion
	seen := map[string]bool{}
	p.entries(n, "expect.headers must map a header name to a matcher", func(k, v *yaml.Node) {
		switch {
		case !headerToken.MatchString(k.Value):
			p.fail(k, "expect.headers: %q is not a header name", k.Value)
			return
		case seen[strings.ToLower(k.Value)]:
			p.fail(k, "expect.headers: %q is given twice (names are read in any case)", k.Value)
			return
		}
		seen[strings.ToLower(k.Value)] = true
		h := HeaderAssertion{Name: k.Value, Line: k.Line, Matchers: p.matchersOf(v)}
		if len(h.Matchers) > 0 {
			out = append(out, h)
		}
	})
	return out
}

// statusReadings reads `status: reading`: statuses that depart only from a
// reading of the docs' silences, answered with a warning.
func (p *parser) statusReadings(n *yaml.Node, expected []int) map[int]string {
	out := map[int]string{}
	p.entries(n, "expect.readings must map a status to a reading", func(k, v *yaml.Node) {
		code, ok := httpStatus(k)
		switch {
		case !ok:
			p.fail(k, "expect.readings: %q is not an HTTP status", k.Value)
		case slices.Contains(expected, code):
			p.fail(k, "expect.readings: status %d is already an expected status", code)
		default:
			id := p.text(v, "reading")
			if _, known := contactkit.LookupReading(id); !known {
				p.fail(v, "reading %q is not one of the contract's readings (%s)", id, strings.Join(readingIDs(), ", "))
				return
			}
			out[code] = id
		}
	})
	return out
}

func (p *parser) on(n *yaml.Node, expected []int) map[int][]Assertion {
	out := map[int][]Assertion{}
	p.entries(n, "expect.on must map a status to body assertions", func(k, v *yaml.Node) {
		code, ok := httpStatus(k)
		if !ok {
			p.fail(k, "expect.on: %q is not an HTTP status", k.Value)
			return
		}
		if len(expected) > 0 && !slices.Contains(expected, code) {
			p.fail(k, "expect.on: status %d is not one of the expected statuses %v", code, expected)
			return
		}
		out[code] = p.assertions(v)
	})
	return out
}

func httpStatus(n *yaml.Node) (int, bool) {
	code, err := strconv.Atoi(n.Value)
	return code, n.Kind == yaml.ScalarNode && err == nil && code >= 100 && code <= 599
}

func (p *parser) statuses(n *yaml.Node) []int {
	var nodes []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		nodes = []*yaml.Node{n}
	case yaml.SequenceNode:
		nodes = n.Content
	default:
		p.fail(n, "status must be a number or a list of numbers")
		return nil
	}
	var out []int
	for _, s := range nodes {
		code, ok := httpStatus(s)
		if !ok {
			p.fail(s, "status %q is not an HTTP status", s.Value)
			continue
		}
		out = append(out, code)
	}
	return out
}

// assertions reads `pointer: matchers`. A mapping is always matchers, so a typo
// in a matcher's name is a load error; a bare value means equals, and an object
// to compare with is written {equals: {...}}.
func (p *parser) assertions(n *yaml.Node) []Assertion {
	var out []Assertion
	p.entries(n, "body assertions must map a JSON pointer to a matcher", func(k, v *yaml.Node) {
		if k.Value != "" && !strings.HasPrefix(k.Value, "/") {
			p.fail(k, "%q is not a JSON pointer (write /meta/total, or \"\" for the whole body)", k.Value)
			return
		}
		if err := checkPointer(k.Value); err != nil {
			p.fail(k, "pointer %q: %v", k.Value, err)
			return
		}
		a := Assertion{Pointer: k.Value, Line: k.Line, Matchers: p.matchersOf(v)}
		if len(a.Matchers) > 0 {
			out = append(out, a)
		}
	})
	return out
}

// matchersOf reads what follows a pointer or a header name: a mapping of
// matchers, or a bare value that means equals.
func (p *parser) matchersOf(n *yaml.Node) []Matcher {
	if n.Kind == yaml.MappingNode {
		return p.matchers(n)
	}
	if m, ok := p.matcher(matcherEquals, n); ok {
		return []Matcher{m}
	}
	return nil
}

func (p *parser) matchers(n *yaml.Node) []Matcher {
	if len(n.Content) == 0 {
		p.fail(n, "matchers: none given (known: %s); to compare with an empty object write {equals: {}}", strings.Join(matcherNames(), ", "))
		return nil
	}
	var out []Matcher
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case kindOf(k.Value) == nil:
			p.fail(k, "matcher: unknown key %q (known: %s); to compare with an object write {equals: {...}}", k.Value, strings.Join(matcherNames(), ", "))
		case seen[k.Value]:
			p.fail(k, "matcher: key %q given twice", k.Value)
		default:
			seen[k.Value] = true
			if m, ok := p.matcher(k.Value, v); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// matcher builds one matcher from its argument, checked now so that a bad one is
// a load error and not a mismatch blamed on the target.
func (p *parser) matcher(kind string, n *yaml.Node) (Matcher, bool) {
	arg, ok := p.value(n)
	if !ok {
		return Matcher{}, false
	}
	m, err := NewMatcher(kind, arg)
	if err != nil {
		p.fail(n, "%v", err)
		return Matcher{}, false
	}
	return m, true
}

func (p *parser) captures(n *yaml.Node) []Capture {
	var out []Capture
	p.entries(n, "capture must map a name to a JSON pointer", func(k, v *yaml.Node) {
		if err := CheckVarName(k.Value); err != nil {
			p.fail(k, "capture: %v", err)
			return
		}
		c := Capture{Name: k.Value, Line: k.Line}
		switch v.Kind {
		case yaml.ScalarNode:
			c.From = v.Value
		case yaml.MappingNode:
			var d captureDoc
			p.decode(v, "capture", &d)
			c.From, c.Optional = d.From, d.Optional
		default:
			p.fail(v, "capture %q: give a JSON pointer or {from: pointer, optional: true}", c.Name)
			return
		}
		if !strings.HasPrefix(c.From, "/") {
			p.fail(v, "capture %q: %q is not a JSON pointer", c.Name, c.From)
			return
		}
		if err := checkPointer(c.From); err != nil {
			p.fail(v, "capture %q: %v", c.Name, err)
			return
		}
		out = append(out, c)
	})
	return out
}

func (p *parser) pairs(n *yaml.Node, what string) []Pair {
	var out []Pair
	p.entries(n, fmt.Sprintf("%s must be a mapping of name: value", what), func(k, v *yaml.Node) {
		if k.Value == "" {
			p.fail(k, "%s: names must be plain words", what)
			return
		}
		if v.Kind != yaml.ScalarNode {
			p.fail(v, "%s %q: the value must be a single value, not %s", what, k.Value, kindName(v))
			return
		}
		if val, ok := p.value(v); ok {
			out = append(out, Pair{Name: k.Value, Value: val})
		}
	})
	return out
}

// text reads a scalar that holds no placeholder.
func (p *parser) text(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		p.fail(n, "%s must be text, not %s", what, kindName(n))
		return ""
	}
	return n.Value
}

// words reads one word or a list of them.
func (p *parser) words(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "%s must be a list of words", what)
		return nil
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, p.text(c, what))
	}
	return out
}

// value converts a YAML node to plain Go values (string, int, float64, bool, nil,
// []any, map[string]any; an integer beyond int64 as a json.Number, exactly) and
// checks its placeholders.
func (p *parser) value(n *yaml.Node) (any, bool) {
	if hasAlias(n) {
		p.fail(n, "aliases are not supported here; repeat the value")
		return nil, false
	}
	v, err := nodeValue(n)
	if err != nil {
		p.fail(n, "%v", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, false
	}
	for _, s := range stringsIn(v) {
		if err := checkTemplate(s); err != nil {
			p.fail(n, "%v", err)
			return nil, false
		}
	}
	return v, true
}

// nodeValue decodes n into the shapes json.Unmarshal gives, so bodies encode as
// JSON, keeping every integer exact: YAML's decoder reads one past int64 as a
// float.
func nodeValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0])
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := nodeValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	}
	if n.ShortTag() == "!!int" || n.ShortTag() == "!!float" && bigInteger.MatchString(n.Value) {
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return int(i), nil
		}
		if bigInteger.MatchString(n.Value) {
			return json.Number(strings.TrimPrefix(n.Value, "+")), nil
		}
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// bigInteger is a decimal integer literal, which YAML reads as a float once it
// is past int64.
var bigInteger = regexp.MustCompile(`^[-+]?[0-9]+$`)

func hasAlias(n *yaml.Node) bool {
	return n.Kind == yaml.AliasNode || slices.ContainsFunc(n.Content, hasAlias)
}

func stringsIn(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, stringsIn(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(out, k)
			out = append(out, stringsIn(e)...)
		}
		return out
	}
	return nil
}

// checkScenario checks what needs the whole scenario: every placeholder names a
// value defined where it is used (see unset), and across_pages only runs alone.
func (p *parser) checkScenario(sc *Scenario) {
	defined := map[string]bool{}
	for name := range p.loader.Vars {
		defined[name] = true
	}
	for _, row := range sc.Examples {
		for _, v := range row.Values {
			// A row comes before the vars: it may use what the run defines only.
			p.unset(row.Line, fmt.Sprintf("example row %q", v.Name), Placeholders(v.Value), defined, "not a built-in, a --var or --vars")
		}
	}
	if len(sc.Examples) > 0 {
		for _, v := range sc.Examples[0].Values {
			defined[v.Name] = true
		}
	}
	for _, v := range sc.Vars {
		p.unset(v.Line, fmt.Sprintf("var %q", v.Name), Placeholders(v.Value), defined, "not defined before it, nor by an example row, --var or --vars")
		defined[v.Name] = true
	}
	for _, st := range slices.Concat(sc.Steps, sc.Cleanup) {
		for _, c := range st.Capture {
			defined[c.Name] = true
		}
	}
	for _, st := range slices.Concat(sc.Steps, sc.Cleanup) {
		p.unset(st.Line, fmt.Sprintf("step %q", st.Name), st.placeholderNames(), defined,
			"neither a var, an example row's, a --var, a capture nor a built-in ("+strings.Join(BuiltinNames(), ", ")+")")
		if st.AcrossPages && !sc.Exclusive {
			p.errs = append(p.errs, &LoadError{File: p.file, Line: st.Line, Msg: fmt.Sprintf("step %q: across_pages needs the scenario to be exclusive: true (concurrent writers shift pages)", st.Name)})
		}
	}
}

// unset reports each name of names that is neither defined, a built-in, nor an
// environment variable that is set; what says who uses it, and why says what an
// undefined name is not.
func (p *parser) unset(line int, what string, names []string, defined map[string]bool, why string) {
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		env, isEnv := strings.CutPrefix(name, EnvPrefix)
		switch {
		case isEnv:
			if _, set := p.loader.env(env); !set {
				p.errs = append(p.errs, &LoadError{File: p.file, Line: line, Msg: fmt.Sprintf("%s uses {{%s}}, but %s is not set in the environment", what, name, env)})
			}
		case !defined[name] && !IsBuiltin(name):
			p.errs = append(p.errs, &LoadError{File: p.file, Line: line, Msg: fmt.Sprintf("%s uses {{%s}}, which is %s", what, name, why)})
		}
	}
}

// checkPointer refuses a pointer that is not RFC 6901 with selectors, or whose
// placeholders are malformed.
func checkPointer(ptr string) error {
	if err := checkPointerSyntax(ptr); err != nil {
		return err
	}
	return checkTemplate(ptr)
}
