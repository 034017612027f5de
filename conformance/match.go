package conformance

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// evalAssertion applies every check of a to the value its pointer addresses and
// returns one finding per failed check.
func evalAssertion(doc any, a Assertion, sc *scope) []Finding {
	ptr, err := sc.expandString(a.Pointer)
	if err != nil {
		return []Finding{{Check: CheckExpect, Pointer: a.Pointer, Message: fmt.Sprintf("cannot check %s: %v", a.Pointer, err)}}
	}
	val, at, found, err := resolve(doc, ptr)
	if err != nil {
		return []Finding{{Check: CheckExpect, Pointer: ptr, Message: err.Error()}}
	}
	var out []Finding
	for _, c := range a.Checks {
		arg, err := sc.expand(c.Arg)
		if err != nil {
			out = append(out, Finding{Check: CheckExpect, Pointer: at, Message: fmt.Sprintf("cannot check %s %s: %v", ptr, c.Kind, err)})
			continue
		}
		if f := evalCheck(c.Kind, arg, val, found); f != nil {
			f.Check = CheckExpect
			f.Pointer = at
			f.Message = ptr + " " + f.Message
			out = append(out, *f)
		}
	}
	return out
}

func evalCheck(kind string, arg, val any, found bool) *Finding {
	miss := func(want string) *Finding {
		return &Finding{Expected: want, Actual: "absent", Message: "is absent, want " + want}
	}
	bad := func(want, msg string) *Finding {
		return &Finding{Expected: want, Actual: show(val), Message: msg + ", got " + show(val)}
	}
	switch kind {
	case "absent":
		if found {
			return bad("absent", "should be absent")
		}
		return nil
	case "present":
		if !found {
			return miss("present")
		}
		return nil
	}
	if !found {
		return miss(kind + " " + show(arg))
	}
	switch kind {
	case "equals":
		if !jsonEqual(val, arg) {
			return bad(show(arg), "want "+show(arg))
		}
	case "not_equals":
		if jsonEqual(val, arg) {
			return bad("not "+show(arg), "want anything but "+show(arg))
		}
	case "one_of":
		opts, _ := arg.([]any)
		for _, o := range opts {
			if jsonEqual(val, o) {
				return nil
			}
		}
		return bad("one of "+show(arg), "want one of "+show(arg))
	case "contains":
		switch x := val.(type) {
		case string:
			if s, ok := arg.(string); ok && strings.Contains(x, s) {
				return nil
			}
		case []any:
			for _, e := range x {
				if jsonEqual(e, arg) {
					return nil
				}
			}
		case map[string]any:
			if s, ok := arg.(string); ok {
				if _, has := x[s]; has {
					return nil
				}
			}
		}
		return bad("contains "+show(arg), "want it to contain "+show(arg))
	case "type":
		if t := jsonType(val); t != arg && !(arg == "number" && t == "integer") {
			return bad("type "+show(arg), "want type "+textOf(arg)+", got type "+t+":")
		}
	case "length":
		r, _ := arg.(Range)
		n := -1
		switch x := val.(type) {
		case []any:
			n = len(x)
		case map[string]any:
			n = len(x)
		case string:
			n = len([]rune(x))
		}
		want := r.String()
		if n < 0 {
			return bad("length "+want, "has no length (want "+want+")")
		}
		if (r.Min != nil && n < *r.Min) || (r.Max != nil && n > *r.Max) {
			return &Finding{Expected: "length " + want, Actual: fmt.Sprintf("length %d", n), Message: fmt.Sprintf("has length %d, want %s", n, want)}
		}
	case "min", "max":
		v, ok1 := toRat(val)
		b, ok2 := toRat(arg)
		if !ok1 || !ok2 {
			return bad(kind+" "+show(arg), "want a number ("+kind+" "+show(arg)+")")
		}
		if (kind == "min" && v.Cmp(b) < 0) || (kind == "max" && v.Cmp(b) > 0) {
			return bad(kind+" "+show(arg), "want "+map[string]string{"min": ">= ", "max": "<= "}[kind]+show(arg))
		}
	case "matches":
		re, err := regexp.Compile(textOf(arg))
		if err != nil {
			return bad("matches "+show(arg), "bad pattern: "+err.Error())
		}
		s, ok := val.(string)
		if !ok || !re.MatchString(s) {
			return bad("matches "+show(arg), "want text matching "+show(arg))
		}
	}
	return nil
}

// String writes a range as a person reads it.
func (r Range) String() string {
	switch {
	case r.Min != nil && r.Max != nil && *r.Min == *r.Max:
		return fmt.Sprint(*r.Min)
	case r.Min != nil && r.Max != nil:
		return fmt.Sprintf("%d..%d", *r.Min, *r.Max)
	case r.Min != nil:
		return fmt.Sprintf(">= %d", *r.Min)
	case r.Max != nil:
		return fmt.Sprintf("<= %d", *r.Max)
	}
	return "any"
}

// show renders a value as JSON, shortened, for a finding.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		if r, ok := toRat(x); ok {
			if r.IsInt() {
				return "integer"
			}
			return "number"
		}
	}
	return fmt.Sprintf("%T", v)
}

func toRat(v any) (*big.Rat, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case int, int64, float64:
		s = fmt.Sprint(x)
	default:
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

func isNumber(v any) bool {
	_, ok := toRat(v)
	return ok
}

// jsonEqual compares two JSON values, numbers by value whatever their Go type.
func jsonEqual(a, b any) bool {
	if ra, ok := toRat(a); ok {
		rb, ok := toRat(b)
		return ok && ra.Cmp(rb) == 0
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}
