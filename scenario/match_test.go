package scenario

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/contactkit/contactkit"
)

// buildMatchers loads `matchers`, the text a scenario writes after a pointer, the
// way the loader does.
func buildMatchers(t *testing.T, matchers string) []Matcher {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(matchers), &n); err != nil {
		t.Fatalf("matcher %s: %v", matchers, err)
	}
	spec, err := contactkit.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	p := &parser{file: "m.yaml", spec: spec}
	as := p.assertions(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "/v"}, n.Content[0]}})
	if len(p.errs) > 0 || len(as) != 1 {
		t.Fatalf("matcher %s does not load: %v", matchers, p.errs)
	}
	return as[0].Matchers
}

// TestMatchers holds every matcher to values that must pass and values that must
// fail, so a matcher that passes everything (or nothing) is caught.
func TestMatchers(t *testing.T) {
	cases := []struct {
		matcher string
		value   string // JSON; "" for a pointer that finds nothing
		pass    bool
	}{
		{`3`, `3`, true},
		{`3`, `3.0`, true},
		{`3`, `4`, false},
		{`3`, `"3"`, false},
		{`3`, ``, false},
		{`{equals: {a: 1}}`, `{"a": 1}`, true},
		{`{equals: {a: 1}}`, `{"a": 2}`, false},
		{`{equals: null}`, `null`, true},
		{`{equals: null}`, `0`, false},
		{`{not_equals: 3}`, `4`, true},
		{`{not_equals: 3}`, `"3"`, true},
		{`{not_equals: 3}`, `3`, false},
		{`{not_equals: true}`, `true`, false},
		{`{not_equals: true}`, `false`, true},
		{`{not_equals: 3}`, ``, false},
		{`{one_of: [1, "a"]}`, `"a"`, true},
		{`{one_of: [1, "a"]}`, `1`, true},
		{`{one_of: [1, "a"]}`, `2`, false},
		{`{one_of: [1, "a"]}`, ``, false},
		{`{contains: ab}`, `"xaby"`, true},
		{`{contains: ab}`, `"xby"`, false},
		{`{contains: 2}`, `[1, 2]`, true},
		{`{contains: 2}`, `[1, 3]`, false},
		{`{contains: k}`, `{"k": 0}`, true},
		{`{contains: k}`, `{"j": 0}`, false},
		{`{contains: 1}`, `1`, false},
		{`{contains: ab}`, ``, false},
		{`{type: integer}`, `3`, true},
		{`{type: integer}`, `3.5`, false},
		{`{type: number}`, `3`, true},
		{`{type: string}`, `"x"`, true},
		{`{type: string}`, `1`, false},
		{`{type: "null"}`, `null`, true},
		{`{type: array}`, `{}`, false},
		{`{type: object}`, `{}`, true},
		{`{type: boolean}`, `false`, true},
		{`{type: string}`, ``, false},
		{`{length: 2}`, `[1, 2]`, true},
		{`{length: 2}`, `[1]`, false},
		{`{length: 2}`, `"ab"`, true},
		{`{length: 2}`, `"abc"`, false},
		{`{length: {min: 1, max: 2}}`, `{"a": 1}`, true},
		{`{length: {min: 1, max: 2}}`, `{}`, false},
		{`{length: {max: "{{limit_max}}"}}`, `[1]`, true},
		{`{length: 0}`, `1`, false},
		{`{length: 0}`, ``, false},
		{`{min: 2}`, `2`, true},
		{`{min: 2}`, `1.5`, false},
		{`{min: 2}`, `"3"`, false},
		{`{max: 2}`, `2`, true},
		{`{max: 2}`, `3`, false},
		{`{max: "{{limit_max}}"}`, `1`, true},
		{`{max: "{{limit_max}}"}`, `100000`, false},
		{`{max: 2}`, ``, false},
		{`{matches: "^Conform \\d+$"}`, `"Conform 12"`, true},
		{`{matches: "^Conform \\d+$"}`, `"conform 12"`, false},
		{`{matches: "^1"}`, `1`, false},
		{`{matches: "^{{app}}$"}`, `"app1"`, true},
		{`{matches: "^{{app}}$"}`, `"app2"`, false},
		{`{matches: "x"}`, ``, false},
		{`{same_items: [a, b]}`, `["b","a"]`, true},
		{`{same_items: [a, b]}`, `["a","b"]`, true},
		{`{same_items: [a, b]}`, `["a"]`, false},
		{`{same_items: [a, b]}`, `["a","a"]`, false},
		{`{same_items: [a, b]}`, `["a","b","c"]`, false},
		{`{present: true}`, `null`, true},
		{`{present: true}`, ``, false},
		{`{absent: true}`, ``, true},
		{`{absent: true}`, `null`, false},
		{`{type: string, matches: "^a"}`, `"ab"`, true},
		{`{type: string, matches: "^a"}`, `"ba"`, false},
	}
	spec, err := contactkit.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	paging := PagingBuiltins(spec.Paging)
	lookup := func(name string) (any, error) {
		if name == BuiltinApp {
			return "app1", nil
		}
		if v, ok := paging[name]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("{{%s}} is not set", name)
	}
	// Every matcher of the table needs a case that passes and one that fails.
	tried := map[string]map[bool]bool{}
	for _, tc := range cases {
		var doc any = map[string]any{}
		if tc.value != "" {
			var v any
			dec := json.NewDecoder(strings.NewReader(tc.value))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("value %s: %v", tc.value, err)
			}
			doc = map[string]any{"v": v}
		}
		a := Assertion{Pointer: "/v", Matchers: buildMatchers(t, tc.matcher)}
		for _, m := range a.Matchers {
			if tried[m.Kind] == nil {
				tried[m.Kind] = map[bool]bool{}
			}
			tried[m.Kind][tc.pass] = true
		}
		var findings []string
		val, _, found, err := Resolve(doc, a.Pointer)
		if err != nil {
			t.Fatalf("pointer %s: %v", a.Pointer, err)
		}
		for _, m := range a.Matchers {
			arg, err := Expand(m.Arg, lookup)
			if err != nil {
				t.Fatalf("%s: %v", tc.matcher, err)
			}
			if f := m.Judge(arg, val, found); f != nil {
				findings = append(findings, f.Message)
			}
		}
		if got := len(findings) == 0; got != tc.pass {
			t.Errorf("%s on %s: passes = %v, want %v (findings %v)", tc.matcher, orAbsent(tc.value), got, tc.pass, findings)
		}
	}
	for _, name := range matcherNames() {
		if !tried[name][true] || !tried[name][false] {
			t.Errorf("matcher %s: cases that pass: %v, that fail: %v; want both", name, tried[name][true], tried[name][false])
		}
	}
}

func orAbsent(v string) string {
	if v == "" {
		return "(absent)"
	}
	return v
}

// A Matcher not built by the loader has no test; it must never pass.
func TestUnbuiltMatcherFails(t *testing.T) {
	if f := (Matcher{Kind: "equals", Arg: 1}).Judge(1, 1, true); f == nil {
		t.Error("a Matcher without a test passed")
	}
}
