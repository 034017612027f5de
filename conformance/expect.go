package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/scenario"
)

// expect judges the answer against the step's own expectations and keeps its
// captures.
func (r *runner) expect(st *scenario.Step, ans answer, scope *scope) []check.Finding {
	out := r.expectations(st, ans, scope)
	if st.Reading != "" {
		// The step asserts what the contract reads into a silence of the docs.
		check.AsReading(st.Reading, out)
	}
	return out
}

func (r *runner) expectations(st *scenario.Step, ans answer, scope *scope) []check.Finding {
	status, doc := ans.status, ans.doc
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
	if limit := st.Expect.MaxDuration; limit > 0 && ans.slowest > limit {
		what := "answered"
		if st.Walk {
			what = "the slowest page answered"
		}
		took := ans.slowest.Round(time.Millisecond)
		out = append(out, check.Finding{Check: check.Expect, Message: fmt.Sprintf("%s in %s, want at most %s", what, took, limit),
			Expected: "at most " + limit.String(), Actual: took.String(), Contract: rule})
	}
	for _, h := range st.Expect.Headers {
		for _, f := range evalHeader(ans.header, h, scope) {
			f.Contract = rule
			out = append(out, f)
		}
	}
	if doc == nil {
		if len(st.Expect.Body)+len(st.Expect.On[status])+len(st.Capture) > 0 && st.Unchecked {
			// No check said the body is not JSON: the expectations on it say so.
			out = append(out, check.Finding{Check: check.Expect, Message: "body is not JSON, so its expectations cannot hold", Expected: "a JSON body", Actual: "not JSON", Contract: rule})
		}
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

// evalHeader applies every matcher of h to the answer's header of that name, in
// any case, its values joined as HTTP joins them. A header is text; one that
// reads as a number also compares as one, so {max: 2048} judges Content-Length.
func evalHeader(header http.Header, h scenario.HeaderAssertion, sc *scope) []check.Finding {
	values := header.Values(h.Name)
	text := strings.Join(values, ", ")
	number, isNumber := scenario.VarValue(text), false
	if _, ok := check.ToRat(number); ok {
		isNumber = true
	}
	var out []check.Finding
	for _, m := range h.Matchers {
		arg, err := sc.expand(m.Arg)
		if err != nil {
			out = append(out, check.Finding{Check: check.Expect, Message: fmt.Sprintf("cannot check header %s %s: %v", h.Name, m.Kind, err)})
			continue
		}
		f := m.Judge(arg, text, len(values) > 0)
		if f != nil && isNumber && m.Judge(arg, number, true) == nil {
			f = nil
		}
		if f != nil {
			f.Check = check.Expect
			f.Message = "header " + h.Name + " " + f.Message
			out = append(out, *f)
		}
	}
	return out
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
