package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/contactkit/contactkit"
)

// Scenario is one scripted conversation with the API: steps run in order, then the
// cleanup steps, which run whatever happened before.
type Scenario struct {
	Name string
	File string
	Line int
	Tags []string
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
		if st.Auth == AuthForeignApp || st.mentions("foreign_app") {
			return true
		}
	}
	return false
}

// NeedForeignApp, in a scenario's needs, skips it when the run has no foreign app.
// Besides the scenarios that use one, those that need a target which enforces
// token grants declare it: naming an app the token is not granted is how a user
// says the target checks tokens (the mock in open mode accepts any).
const NeedForeignApp = "foreign_app"

var needsKinds = []string{NeedForeignApp}

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
)

var authModes = []string{AuthToken, AuthNone, AuthBasic, AuthBearerOnly, AuthWrongToken, AuthForeignApp}

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
}

// Pair is a name and a value, kept in the order the file gives them.
type Pair struct {
	Name  string
	Value any
}

// Expect is what a step's answer must be.
type Expect struct {
	Status []int
	Body   []Assertion
	// On holds assertions that apply only when the answer has that status, for
	// cases where the docs allow several answers.
	On map[int][]Assertion
}

// Assertion checks the value a JSON pointer addresses.
type Assertion struct {
	Pointer string
	Line    int
	Checks  []Check
}

// Check is one matcher: a kind (equals, one_of, contains, type, length, min, max,
// absent, present, not_equals, matches) and its argument.
type Check struct {
	Kind string
	Arg  any
}

var checkKinds = []string{"equals", "not_equals", "one_of", "contains", "type", "length", "min", "max", "absent", "present", "matches"}

var typeNames = []string{"string", "number", "integer", "boolean", "array", "object", "null"}

// Capture keeps the value at a pointer for later steps as {{Name}}.
type Capture struct {
	Name     string
	From     string
	Optional bool
	Line     int
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

// Load reads every .yaml and .yml file of fsys, in name order, and returns their
// scenarios. prefix is prepended to file names in errors and reports. Every
// problem of every file is returned, each a *LoadError, joined.
func Load(fsys fs.FS, prefix string) ([]*Scenario, error) {
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
		scs, err := Parse(name, data)
		if err != nil {
			errs = append(errs, err)
		}
		for _, sc := range scs {
			if prev, dup := seen[sc.Name]; dup {
				errs = append(errs, &LoadError{File: sc.File, Line: sc.Line, Msg: fmt.Sprintf("scenario name %q is already used at %s", sc.Name, prev)})
				continue
			}
			seen[sc.Name] = fmt.Sprintf("%s:%d", sc.File, sc.Line)
			all = append(all, sc)
		}
	}
	return all, errors.Join(errs...)
}

// Parse reads the scenarios of one file: one YAML document per scenario. It returns
// the scenarios that loaded and every problem found, each a *LoadError, joined.
func Parse(file string, data []byte) ([]*Scenario, error) {
	p := &parser{file: file}
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

var yamlLine = regexp.MustCompile(`line (\d+): `)

func yamlErrLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

type parser struct {
	file string
	errs []error
}

func (p *parser) fail(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &LoadError{File: p.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

// oneOf reports value unless it is one of allowed, and says whether it is.
func (p *parser) oneOf(n *yaml.Node, what string, value any, allowed []string) bool {
	if s, ok := value.(string); ok && slices.Contains(allowed, s) {
		return true
	}
	if s, ok := value.(string); ok {
		value = strconv.Quote(s)
	}
	p.fail(n, "%s %v is not one of %s", what, value, strings.Join(allowed, ", "))
	return false
}

// fields walks a mapping node, calling f per key and refusing unknown keys, so a
// typo is an error and not a silently ignored expectation.
func (p *parser) fields(n *yaml.Node, what string, known []string, f func(key string, k, v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s must be a mapping, not %s", what, kindName(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.fail(k, "%s: keys must be plain words", what)
			continue
		}
		if !slices.Contains(known, k.Value) {
			p.fail(k, "%s: unknown key %q (known: %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		if seen[k.Value] {
			p.fail(k, "%s: key %q given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		f(k.Value, k, v)
	}
	return true
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

func (p *parser) scenario(n *yaml.Node) *Scenario {
	sc := &Scenario{File: p.file, Line: n.Line}
	nerr := len(p.errs)
	var stepsNode, varsNode *yaml.Node
	ok := p.fields(n, "scenario", []string{"name", "tags", "needs", "exclusive", "vars", "steps", "cleanup"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			sc.Name = p.str(v, "name")
		case "tags":
			sc.Tags = p.strs(v, "tags")
		case "exclusive":
			sc.Exclusive = p.boolean(v, "exclusive")
		case "needs":
			sc.Needs = p.strs(v, "needs")
			for _, need := range sc.Needs {
				p.oneOf(v, "needs", need, needsKinds)
			}
		case "vars":
			varsNode = v // read below: vars keep their file order and take any name
		case "steps":
			stepsNode = v
			sc.Steps = p.steps(v, "steps")
		case "cleanup":
			sc.Cleanup = p.steps(v, "cleanup")
		}
	})
	if !ok {
		return nil
	}
	if varsNode != nil {
		sc.Vars = p.vars(varsNode)
	}
	if sc.Name == "" {
		p.fail(n, "scenario has no name")
	}
	if stepsNode == nil || len(sc.Steps) == 0 {
		p.fail(n, "scenario %q has no steps", sc.Name)
	}
	p.checkScenario(sc)
	if len(p.errs) > nerr {
		return nil
	}
	return sc
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (p *parser) vars(n *yaml.Node) []Var {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "vars must be a mapping of name: value")
		return nil
	}
	var out []Var
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !varName.MatchString(k.Value) {
			p.fail(k, "vars: %q is not a variable name (letters, digits, _)", k.Value)
			continue
		}
		if isBuiltin(k.Value) {
			p.fail(k, "vars: %q is a built-in name", k.Value)
			continue
		}
		val, ok := p.value(v)
		if ok {
			out = append(out, Var{Name: k.Value, Value: val, Line: k.Line})
		}
	}
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

var stepKeys = []string{"name", "op", "method", "path", "params", "query", "headers", "auth", "body", "raw_body", "walk", "across_pages", "expect", "capture", "rule"}

func (p *parser) step(n *yaml.Node) *Step {
	st := &Step{File: p.file, Line: n.Line, Auth: AuthToken}
	var expectNode *yaml.Node
	ok := p.fields(n, "step", stepKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			st.Name = p.str(v, "name")
		case "op":
			st.Op = p.str(v, "op")
			if _, known := operations[st.Op]; !known {
				p.fail(v, "op %q is not an operationId of the contract (known: %s)", st.Op, strings.Join(opNames(), ", "))
			}
		case "method":
			st.Method = strings.ToUpper(p.str(v, "method"))
			if !validMethod.MatchString(st.Method) {
				p.fail(v, "method %q is not an HTTP method", st.Method)
			}
		case "path":
			st.Path = p.str(v, "path")
			if !strings.HasPrefix(st.Path, "/") {
				p.fail(v, "path %q must start with /", st.Path)
			}
		case "params":
			st.Params = p.pairs(v, "params")
		case "query":
			st.Query = p.pairs(v, "query")
		case "headers":
			st.Headers = p.pairs(v, "headers")
		case "auth":
			st.Auth = p.str(v, "auth")
			p.oneOf(v, "auth", st.Auth, authModes)
		case "body":
			st.Body, st.HasBody = p.value(v)
		case "raw_body":
			s := p.str(v, "raw_body")
			st.RawBody = &s
		case "walk":
			st.Walk = p.boolean(v, "walk")
		case "across_pages":
			st.AcrossPages = p.boolean(v, "across_pages")
		case "expect":
			expectNode = v
			st.Expect = p.expect(v)
		case "capture":
			st.Capture = p.captures(v)
		case "rule":
			st.Rule = p.str(v, "rule")
		}
	})
	if !ok {
		return nil
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
	if st.HasBody && st.RawBody != nil {
		p.fail(n, "step %q: give body or raw_body, not both", st.Name)
	}
	if st.Walk && st.Op != contactkit.OpListContacts {
		p.fail(n, "step %q: walk works with op listContacts only", st.Name)
	}
	if st.AcrossPages && !st.Walk {
		p.fail(n, "step %q: across_pages needs walk: true", st.Name)
	}
	if expectNode == nil {
		p.fail(n, "step %q has no expect (at least expect: {status: ...})", st.Name)
	} else if len(st.Expect.Status) == 0 {
		p.fail(expectNode, "step %q: expect needs a status", st.Name)
	}
	return st
}

var validMethod = regexp.MustCompile(`^[A-Z]+$`)

func (p *parser) expect(n *yaml.Node) Expect {
	var e Expect
	p.fields(n, "expect", []string{"status", "body", "on"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "status":
			e.Status = p.statuses(v)
		case "body":
			e.Body = p.assertions(v)
		case "on":
			if v.Kind != yaml.MappingNode {
				p.fail(v, "expect.on must map a status to body assertions")
				return
			}
			e.On = map[int][]Assertion{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				sk, sv := v.Content[i], v.Content[i+1]
				code, err := strconv.Atoi(sk.Value)
				if err != nil || code < 100 || code > 599 {
					p.fail(sk, "expect.on: %q is not an HTTP status", sk.Value)
					continue
				}
				e.On[code] = p.assertions(sv)
			}
		}
	})
	for code := range e.On {
		if len(e.Status) > 0 && !slices.Contains(e.Status, code) {
			p.fail(n, "expect.on: status %d is not one of the expected statuses %v", code, e.Status)
		}
	}
	return e
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
		code, err := strconv.Atoi(s.Value)
		if s.Kind != yaml.ScalarNode || err != nil || code < 100 || code > 599 {
			p.fail(s, "status %q is not an HTTP status", s.Value)
			continue
		}
		out = append(out, code)
	}
	return out
}

func (p *parser) assertions(n *yaml.Node) []Assertion {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "body assertions must map a JSON pointer to a matcher")
		return nil
	}
	var out []Assertion
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || (k.Value != "" && !strings.HasPrefix(k.Value, "/")) {
			p.fail(k, "%q is not a JSON pointer (write /meta/total, or \"\" for the whole body)", k.Value)
			continue
		}
		if err := checkPointerSyntax(k.Value); err != nil {
			p.fail(k, "pointer %q: %v", k.Value, err)
			continue
		}
		a := Assertion{Pointer: k.Value, Line: k.Line}
		if v.Kind == yaml.MappingNode && len(v.Content) > 0 && slices.Contains(checkKinds, v.Content[0].Value) {
			a.Checks = p.checks(v)
		} else {
			val, ok := p.value(v)
			if !ok {
				continue
			}
			a.Checks = []Check{{Kind: "equals", Arg: val}}
		}
		out = append(out, a)
	}
	return out
}

func (p *parser) checks(n *yaml.Node) []Check {
	var out []Check
	p.fields(n, "matcher", checkKinds, func(key string, k, v *yaml.Node) {
		val, ok := p.value(v)
		if !ok {
			return
		}
		c := Check{Kind: key, Arg: val}
		switch key {
		case "one_of":
			if _, isList := val.([]any); !isList {
				p.fail(v, "one_of needs a list")
				return
			}
		case "type":
			if !p.oneOf(v, "type", val, typeNames) {
				return
			}
		case "length":
			r, err := parseRange(val)
			if err != nil {
				p.fail(v, "length: %v", err)
				return
			}
			c.Arg = r
		case "min", "max":
			if !isNumber(val) && !isPlaceholder(val) {
				p.fail(v, "%s needs a number", key)
				return
			}
		case "absent", "present":
			if b, isBool := val.(bool); !isBool || !b {
				p.fail(v, "%s takes true", key)
				return
			}
		case "matches":
			s, _ := val.(string)
			if _, err := regexp.Compile(s); err != nil {
				p.fail(v, "matches: %v", err)
				return
			}
		}
		out = append(out, c)
	})
	return out
}

// Range bounds a length; a nil bound is open.
type Range struct {
	Min *int `json:"min,omitempty"`
	Max *int `json:"max,omitempty"`
}

func parseRange(v any) (Range, error) {
	switch x := v.(type) {
	case int:
		if x < 0 {
			return Range{}, errors.New("must not be negative")
		}
		return Range{Min: &x, Max: &x}, nil
	case map[string]any:
		var r Range
		for k, b := range x {
			n, ok := b.(int)
			if !ok || n < 0 {
				return Range{}, fmt.Errorf("%s must be a whole number", k)
			}
			switch k {
			case "min":
				r.Min = &n
			case "max":
				r.Max = &n
			default:
				return Range{}, fmt.Errorf("unknown bound %q (min, max)", k)
			}
		}
		return r, nil
	}
	return Range{}, errors.New("needs a number or {min: n, max: m}")
}

func (p *parser) captures(n *yaml.Node) []Capture {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "capture must map a name to a JSON pointer")
		return nil
	}
	var out []Capture
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !varName.MatchString(k.Value) || isBuiltin(k.Value) {
			p.fail(k, "capture: %q is not a usable name", k.Value)
			continue
		}
		c := Capture{Name: k.Value, Line: k.Line}
		switch v.Kind {
		case yaml.ScalarNode:
			c.From = v.Value
		case yaml.MappingNode:
			p.fields(v, "capture", []string{"from", "optional"}, func(key string, _, fv *yaml.Node) {
				if key == "from" {
					c.From = p.str(fv, "from")
				} else {
					c.Optional = p.boolean(fv, "optional")
				}
			})
		default:
			p.fail(v, "capture %q: give a JSON pointer or {from: pointer, optional: true}", c.Name)
			continue
		}
		if !strings.HasPrefix(c.From, "/") {
			p.fail(v, "capture %q: %q is not a JSON pointer", c.Name, c.From)
			continue
		}
		if err := checkPointerSyntax(c.From); err != nil {
			p.fail(v, "capture %q: %v", c.Name, err)
			continue
		}
		out = append(out, c)
	}
	return out
}

func (p *parser) pairs(n *yaml.Node, what string) []Pair {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s must be a mapping of name: value", what)
		return nil
	}
	var out []Pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			p.fail(k, "%s: names must be plain words", what)
			continue
		}
		if v.Kind != yaml.ScalarNode {
			p.fail(v, "%s %q: the value must be a single value, not %s", what, k.Value, kindName(v))
			continue
		}
		val, ok := p.value(v)
		if ok {
			out = append(out, Pair{Name: k.Value, Value: val})
		}
	}
	return out
}

func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		p.fail(n, "%s must be text, not %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (p *parser) strs(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "%s must be a list of words", what)
		return nil
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, p.str(c, what))
	}
	return out
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		p.fail(n, "%s must be true or false", what)
	}
	return b
}

// value converts a YAML node to plain Go values (string, int, float64, bool, nil,
// []any, map[string]any) and checks its placeholders.
func (p *parser) value(n *yaml.Node) (any, bool) {
	if n.Kind == yaml.AliasNode {
		p.fail(n, "aliases are not supported here; repeat the value")
		return nil, false
	}
	if bad := complexKey(n); bad != nil {
		p.fail(bad, "a mapping key must be plain text; quote placeholders: \"{{name}}\"")
		return nil, false
	}
	var v any
	if err := n.Decode(&v); err != nil {
		p.fail(n, "%v", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, false
	}
	v = normalizeYAML(v)
	for _, s := range stringsIn(v) {
		if err := checkTemplate(s); err != nil {
			p.fail(n, "%v", err)
			return nil, false
		}
	}
	return v, true
}

// complexKey finds a mapping key that is not text, which is what an unquoted
// {{name}} becomes in YAML.
func complexKey(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Kind != yaml.ScalarNode {
				return n.Content[i]
			}
		}
	}
	for _, c := range n.Content {
		if bad := complexKey(c); bad != nil {
			return bad
		}
	}
	return nil
}

// normalizeYAML turns the YAML decoder's map[string]interface{} trees into the same
// shapes json.Unmarshal gives, so bodies encode as JSON.
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeYAML(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalizeYAML(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalizeYAML(e)
		}
		return x
	case int64:
		return int(x)
	case uint64:
		return float64(x)
	}
	return v
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
// built-in, a var or a capture, and across_pages only runs alone.
func (p *parser) checkScenario(sc *Scenario) {
	defined := map[string]bool{}
	for _, v := range sc.Vars {
		for _, name := range placeholders(v.Value) {
			if !defined[name] && !isBuiltin(name) {
				p.errs = append(p.errs, &LoadError{File: p.file, Line: v.Line, Msg: fmt.Sprintf("var %q uses {{%s}}, which is not defined before it", v.Name, name)})
			}
		}
		defined[v.Name] = true
	}
	for _, st := range slices.Concat(sc.Steps, sc.Cleanup) {
		for _, c := range st.Capture {
			defined[c.Name] = true
		}
	}
	for _, st := range slices.Concat(sc.Steps, sc.Cleanup) {
		for _, name := range st.placeholderNames() {
			if !defined[name] && !isBuiltin(name) {
				p.errs = append(p.errs, &LoadError{File: p.file, Line: st.Line, Msg: fmt.Sprintf("step %q uses {{%s}}, which is neither a var, a capture nor a built-in (%s)", st.Name, name, strings.Join(builtinNames(), ", "))})
			}
		}
		if st.AcrossPages && !sc.Exclusive {
			p.errs = append(p.errs, &LoadError{File: p.file, Line: st.Line, Msg: fmt.Sprintf("step %q: across_pages needs the scenario to be exclusive: true (concurrent writers shift pages)", st.Name)})
		}
	}
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
	for _, a := range st.allAssertions() {
		vals = append(vals, a.Pointer)
		for _, c := range a.Checks {
			vals = append(vals, c.Arg)
		}
	}
	for _, c := range st.Capture {
		vals = append(vals, c.From)
	}
	var out []string
	for _, v := range vals {
		out = append(out, placeholders(v)...)
	}
	return out
}

func (st *Step) allAssertions() []Assertion {
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

// operations maps each operationId to its method; the path comes from the contract.
var operations = map[string]string{
	contactkit.OpListContacts:       http.MethodGet,
	contactkit.OpGetContact:         http.MethodGet,
	contactkit.OpCreateContacts:     http.MethodPost,
	contactkit.OpToggleContactBlock: http.MethodPut,
	contactkit.OpDeleteContact:      http.MethodDelete,
}

func opNames() []string {
	var out []string
	for k := range operations {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
