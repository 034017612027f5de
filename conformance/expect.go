package conformance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/scenario"
)

// expect judges the answer against the step's own expectations and keeps its
// captures.
func (r *runner) expect(st *scenario.Step, status int, doc any, scope *scope) []check.Finding {
	out := r.expectations(st, status, doc, scope)
	if st.Reading != "" {
		// The step asserts what the contract reads into a silence of the docs.
		check.AsReading(st.Reading, out)
	}
	return out
}

func (r *runner) expectations(st *scenario.Step, status int, doc any, scope *scope) []check.Finding {
	var out []check.Finding
	rule := check.Loc("#/info/description")
	if st.Op != "" {
		rule = check.OpLocation(r.spec, st.Op)
	}
	if st.Rule != "" {
		if s, err := scope.expandString(st.Rule); err == nil {
			rule = s
		}
	}
	if !slices.Contains(st.Expect.Status, status) {
		f := check.Finding{Check: check.Expect, Message: fmt.Sprintf("status %d, want %s", status, statusList(st.Expect.Status)),
			Expected: statusList(st.Expect.Status), Actual: fmt.Sprint(status), Contract: rule}
		id, departs := st.Expect.Readings[status]
		if !departs {
			return []check.Finding{f}
		}
		// A status the docs allow and a reading does not: a warning, and the
		// assertions for it still hold.
		out = append(out, check.AsReading(id, []check.Finding{f})...)
	}
	if doc == nil {
		return out // not JSON: the body finding says so, and nothing can be checked
	}
	for _, a := range slices.Concat(st.Expect.Body, st.Expect.On[status]) {
		for _, f := range evalAssertion(doc, a, scope) {
			f.Contract = rule
			out = append(out, f)
		}
	}
	for _, c := range st.Capture {
		from, err := scope.expandString(c.From)
		if err != nil {
			out = append(out, check.Finding{Check: check.Capture, Message: fmt.Sprintf("capture %s: %v", c.Name, err)})
			continue
		}
		v, at, found, _ := scenario.Resolve(doc, from)
		if !found {
			if !c.Optional {
				out = append(out, check.Finding{Check: check.Capture, Pointer: at, Message: fmt.Sprintf("capture %s: nothing at %s", c.Name, from), Expected: "a value", Actual: "absent", Contract: rule})
			}
			continue
		}
		scope.values[c.Name] = v
	}
	return out
}

func statusList(s []int) string {
	parts := make([]string, len(s))
	for i, c := range s {
		parts[i] = fmt.Sprint(c)
	}
	return strings.Join(parts, " or ")
}

// evalAssertion applies every matcher of a to the value its pointer addresses and
// returns one finding per failed matcher.
func evalAssertion(doc any, a scenario.Assertion, sc *scope) []check.Finding {
	ptr, err := sc.expandString(a.Pointer)
	if err != nil {
		return []check.Finding{{Check: check.Expect, Pointer: a.Pointer, Message: fmt.Sprintf("cannot check %s: %v", a.Pointer, err)}}
	}
	val, at, found, err := scenario.Resolve(doc, ptr)
	if err != nil {
		return []check.Finding{{Check: check.Expect, Pointer: ptr, Message: err.Error()}}
	}
	var out []check.Finding
	for _, m := range a.Matchers {
		arg, err := sc.expand(m.Arg)
		if err != nil {
			out = append(out, check.Finding{Check: check.Expect, Pointer: at, Message: fmt.Sprintf("cannot check %s %s: %v", ptr, m.Kind, err)})
			continue
		}
		if f := m.Judge(arg, val, found); f != nil {
			f.Check = check.Expect
			f.Pointer = at
			f.Message = ptr + " " + f.Message
			out = append(out, *f)
		}
	}
	return out
}
