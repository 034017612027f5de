package explore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/conformance/model"
)

// assertion is one thing an answer must say about a value, in a form the
// explorer checks and a scenario file can say (fixtures/README.md).
type assertion struct {
	ptr string // "/data/phone", or "/data" with a selector
	// sel and selVal pick the first element of /data whose sel field reads selVal;
	// selTpl is selVal in the scenario file.
	sel, selVal, selTpl string
	field               string // below the selected element
	kind                string // equals, contains, present, absent, once
	want                any
	wantTpl             string // want in the scenario file, when it is a variable
	count               int    // once: how many there were
	why                 string
}

func (a assertion) pointer(tpl bool) string {
	p := a.ptr
	if a.sel != "" {
		v := a.selVal
		if tpl {
			v = a.selTpl
		}
		p += "[" + a.sel + "=" + v + "]"
	}
	if a.field != "" {
		p += "/" + a.field
	}
	return p
}

// evalAll checks every assertion against doc and returns a finding for each that
// does not hold.
func evalAll(doc any, asserts []assertion, spec *contactkit.Spec, op string) []conformance.Finding {
	var out []conformance.Finding
	for _, a := range asserts {
		val, found := resolve(doc, a)
		var msg, want, got string
		switch a.kind {
		case "absent":
			if !found {
				continue
			}
			msg, want, got = "is listed", "absent", show(val)
			if a.why != "" {
				msg += ", yet it is " + a.why
			}
		case "present", "once":
			if found && a.count <= 1 {
				continue
			}
			msg, want, got = "is not listed", "listed", "absent"
			if found {
				msg, want, got = fmt.Sprintf("is listed %d times", a.count), "listed once", strconv.Itoa(a.count)
			}
		case "equals":
			if found && sameValue(val, a.want) {
				continue
			}
			msg, want, got = "is "+show(val)+", want "+show(a.want), show(a.want), show(val)
			if !found {
				msg, got = "is absent, want "+show(a.want), "absent"
			}
		case "contains":
			arr, _ := val.([]any)
			if slices.ContainsFunc(arr, func(v any) bool { return sameValue(v, a.want) }) {
				continue
			}
			msg, want, got = "does not hold "+show(a.want), "holding "+show(a.want), show(val)
		}
		out = append(out, conformance.Finding{Check: model.CheckModel, Pointer: a.pointer(false), Message: a.pointer(false) + " " + msg,
			Expected: want, Actual: got, Contract: model.OpLocation(spec, op)})
	}
	return out
}

// resolve finds the value a addresses in doc.
func resolve(doc any, a assertion) (any, bool) {
	cur := doc
	for _, t := range strings.Split(strings.TrimPrefix(a.ptr, "/"), "/") {
		if t == "" {
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[t]; !ok {
			return nil, false
		}
	}
	if a.sel != "" {
		arr, _ := cur.([]any)
		cur = nil
		found := false
		for _, e := range arr {
			if v, ok := e.(map[string]any)[a.sel]; ok && textOf(v) == a.selVal {
				cur, found = e, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	if a.field != "" {
		m, _ := cur.(map[string]any)
		v, ok := m[a.field]
		return v, ok
	}
	return cur, true
}

// sameValue compares JSON values, numbers by exact value.
func sameValue(a, b any) bool {
	na, ok1 := a.(json.Number)
	nb, ok2 := b.(json.Number)
	if ok1 && ok2 {
		return model.SameNumber(na.String(), nb.String())
	}
	if ok1 != ok2 {
		return false
	}
	return a == b
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return clip(string(b), 200)
}

// The YAML shape of a scenario file (fixtures/README.md), in the order a reader
// expects its keys.
type yScenario struct {
	Name      string     `yaml:"name"`
	Tags      []string   `yaml:"tags,flow"`
	Exclusive bool       `yaml:"exclusive,omitempty"`
	Needs     []string   `yaml:"needs,flow,omitempty"`
	VarsNode  *yaml.Node `yaml:"vars,omitempty"`
	Steps     []yStep    `yaml:"steps"`
	Cleanup   []yStep    `yaml:"cleanup,omitempty"`
}

type yStep struct {
	Name        string            `yaml:"name"`
	Op          string            `yaml:"op"`
	Params      map[string]string `yaml:"params,omitempty"`
	Query       *yQuery           `yaml:"query,omitempty"`
	Headers     map[string]string `yaml:"headers,omitempty"`
	Auth        string            `yaml:"auth,omitempty"`
	RawBody     *string           `yaml:"raw_body,omitempty"`
	Walk        bool              `yaml:"walk,omitempty"`
	AcrossPages bool              `yaml:"across_pages,omitempty"`
	Expect      yExpect           `yaml:"expect"`
	Capture     map[string]string `yaml:"capture,omitempty"`

	// Vars are the keys the step's body uses, declared in the scenario's vars.
	Vars []key `yaml:"-"`
}

type yQuery struct {
	Page  *string `yaml:"page,omitempty"`
	Limit *string `yaml:"limit,omitempty"`
}

type yExpect struct {
	Status []int          `yaml:"status,flow"`
	Body   map[string]any `yaml:"body,omitempty"`
}

func (s *yStep) addCapture(name, ptr string) {
	if s.Capture == nil {
		s.Capture = map[string]string{}
	}
	s.Capture[name] = ptr
}

// addAssert writes a as the step's expectation; two on one pointer merge.
func (s *yStep) addAssert(a assertion) {
	if s.Expect.Body == nil {
		s.Expect.Body = map[string]any{}
	}
	p := a.pointer(true)
	m, _ := s.Expect.Body[p].(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	switch a.kind {
	case "absent":
		m["absent"] = true
	case "present", "once":
		m["present"] = true
	case "equals", "contains":
		var v any = yamlValue(a.want)
		if a.wantTpl != "" {
			v = a.wantTpl
		}
		m[a.kind] = v
	}
	s.Expect.Body[p] = m
}

// yamlValue turns a JSON value into one the scenario loader reads back as the
// same JSON value: an integer phone stays an integer, exactly.
func yamlValue(v any) any {
	if n, ok := v.(json.Number); ok {
		if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
			return i
		}
		if b, ok := new(big.Int).SetString(n.String(), 10); ok {
			return b.String()
		}
		return n.String()
	}
	return v
}

// scenarioYAML writes the steps of a failing sequence as a scenario file.
func scenarioYAML(name string, header []string, steps []yStep, cleanup []yStep, needs []string) ([]byte, error) {
	sc := yScenario{Name: name, Tags: []string{"explore"}, Exclusive: true, Steps: steps, Cleanup: cleanup, Needs: needs}
	vars := &yaml.Node{Kind: yaml.MappingNode}
	seen := map[string]bool{}
	for _, st := range steps {
		for _, k := range st.Vars {
			if k.byName {
				continue
			}
			v := strings.Trim(k.tpl, "{}")
			if seen[v] {
				continue
			}
			seen[v] = true
			vars.Content = append(vars.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: v},
				&yaml.Node{Kind: yaml.ScalarNode, Value: "{{unique_phone}}", Style: yaml.DoubleQuotedStyle})
		}
	}
	if len(vars.Content) > 0 {
		sc.VarsNode = vars
	}
	var buf bytes.Buffer
	for _, h := range header {
		buf.WriteString("# " + h + "\n")
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(sc); err != nil {
		return nil, fmt.Errorf("write scenario: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write scenario: %w", err)
	}
	return buf.Bytes(), nil
}
