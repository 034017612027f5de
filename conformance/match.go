package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
)

// Matcher is one check of the value a JSON pointer addresses, built when the file
// loads: its kind (its key in the file), its argument as written, placeholders and
// all, and the test that judges the value once they are expanded.
type Matcher struct {
	Kind string
	Arg  any
	test matchTest
}

// judge runs the matcher on the value a pointer found (found is false when it
// found nothing) with arg, its argument expanded; nil means the value passes.
func (m Matcher) judge(arg, val any, found bool) *Finding {
	if m.test == nil {
		// Only a Matcher built outside the loader has no test; never let it pass.
		return &Finding{Message: "matcher " + m.Kind + " was not built by the loader", Expected: m.Kind}
	}
	return m.test.judge(arg, val, found)
}

// matchTest is one kind of matcher. Every kind judges for itself, so an unknown or
// misspelt kind cannot fall through to a pass: it never loads.
type matchTest interface {
	judge(arg, val any, found bool) *Finding
}

// matcherKind names a matcher and builds it from the argument the file gives,
// refusing a bad argument at load time.
type matcherKind struct {
	name  string
	build func(arg any) (matchTest, error)
}

const matcherEquals = "equals"

// matcherKinds is the table of matchers, in the order the docs list them.
var matcherKinds = []matcherKind{
	{matcherEquals, func(any) (matchTest, error) { return needsValue{matcherEquals, equalsTest{}}, nil }},
	{"not_equals", func(any) (matchTest, error) { return needsValue{"not_equals", notEqualsTest{}}, nil }},
	{"one_of", buildOneOf},
	{"contains", func(any) (matchTest, error) { return needsValue{"contains", containsTest{}}, nil }},
	{"type", buildType},
	{"length", buildLength},
	{"min", buildBound("min")},
	{"max", buildBound("max")},
	{"matches", buildMatches},
	{"present", buildPresence("present", true)},
	{"absent", buildPresence("absent", false)},
}

func kindOf(name string) *matcherKind {
	for i := range matcherKinds {
		if matcherKinds[i].name == name {
			return &matcherKinds[i]
		}
	}
	return nil
}

func matcherNames() []string {
	out := make([]string, len(matcherKinds))
	for i, k := range matcherKinds {
		out[i] = k.name
	}
	return out
}

var typeNames = []string{"string", "number", "integer", "boolean", "array", "object", "null"}

// valueTest judges a value that is there.
type valueTest interface {
	judgeValue(arg, val any) *Finding
}

// needsValue fails a value test when the pointer found nothing.
type needsValue struct {
	kind string
	test valueTest
}

func (n needsValue) judge(arg, val any, found bool) *Finding {
	if !found {
		want := n.kind + " " + show(arg)
		return &Finding{Expected: want, Actual: "absent", Message: "is absent, want " + want}
	}
	return n.test.judgeValue(arg, val)
}

// mismatch is the finding of a value that fails: want is what a reader expected.
func mismatch(val any, want, msg string) *Finding {
	return &Finding{Expected: want, Actual: show(val), Message: msg + ", got " + show(val)}
}

type equalsTest struct{}

func (equalsTest) judgeValue(arg, val any) *Finding {
	if jsonEqual(val, arg) {
		return nil
	}
	return mismatch(val, show(arg), "want "+show(arg))
}

type notEqualsTest struct{}

func (notEqualsTest) judgeValue(arg, val any) *Finding {
	if !jsonEqual(val, arg) {
		return nil
	}
	return mismatch(val, "not "+show(arg), "want anything but "+show(arg))
}

type oneOfTest struct{}

func buildOneOf(arg any) (matchTest, error) {
	if _, ok := arg.([]any); !ok {
		return nil, errors.New("one_of needs a list")
	}
	return needsValue{"one_of", oneOfTest{}}, nil
}

func (oneOfTest) judgeValue(arg, val any) *Finding {
	opts, _ := arg.([]any)
	if slices.ContainsFunc(opts, func(o any) bool { return jsonEqual(val, o) }) {
		return nil
	}
	return mismatch(val, "one of "+show(arg), "want one of "+show(arg))
}

type containsTest struct{}

func (containsTest) judgeValue(arg, val any) *Finding {
	ok := false
	switch x := val.(type) {
	case string:
		s, isText := arg.(string)
		ok = isText && strings.Contains(x, s)
	case []any:
		ok = slices.ContainsFunc(x, func(e any) bool { return jsonEqual(e, arg) })
	case map[string]any:
		if s, isText := arg.(string); isText {
			_, ok = x[s]
		}
	}
	if ok {
		return nil
	}
	return mismatch(val, "contains "+show(arg), "want it to contain "+show(arg))
}

type typeTest struct{ name string }

func buildType(arg any) (matchTest, error) {
	s, _ := arg.(string)
	if !slices.Contains(typeNames, s) {
		return nil, fmt.Errorf("type %s is not one of %s", show(arg), strings.Join(typeNames, ", "))
	}
	return needsValue{"type", typeTest{name: s}}, nil
}

func (t typeTest) judgeValue(_, val any) *Finding {
	got := jsonType(val)
	if got == t.name || (t.name == "number" && got == "integer") {
		return nil
	}
	return mismatch(val, "type "+t.name, "want type "+t.name+", got type "+got+":")
}

type lengthTest struct{}

func buildLength(arg any) (matchTest, error) {
	if isPlaceholder(arg) {
		return needsValue{"length", lengthTest{}}, nil
	}
	if m, ok := arg.(map[string]any); ok {
		// Bounds may be placeholders ({max: "{{limit_max}}"}); the rest is checked now.
		checked := map[string]any{}
		for k, b := range m {
			if isPlaceholder(b) {
				b = 0
			}
			checked[k] = b
		}
		arg = checked
	}
	if _, err := parseRange(arg); err != nil {
		return nil, fmt.Errorf("length: %w", err)
	}
	return needsValue{"length", lengthTest{}}, nil
}

func (lengthTest) judgeValue(arg, val any) *Finding {
	r, err := parseRange(arg)
	if err != nil {
		return mismatch(val, "length "+show(arg), "cannot check length: "+err.Error())
	}
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
		return mismatch(val, "length "+want, "has no length (want "+want+")")
	}
	if (r.Min != nil && n < *r.Min) || (r.Max != nil && n > *r.Max) {
		return &Finding{Expected: "length " + want, Actual: fmt.Sprintf("length %d", n), Message: fmt.Sprintf("has length %d, want %s", n, want)}
	}
	return nil
}

// boundTest is min (the value must not be below the argument) or max.
type boundTest struct{ kind string }

func buildBound(kind string) func(any) (matchTest, error) {
	return func(arg any) (matchTest, error) {
		if !isNumber(arg) && !isPlaceholder(arg) {
			return nil, fmt.Errorf("%s needs a number", kind)
		}
		return needsValue{kind, boundTest{kind: kind}}, nil
	}
}

func (b boundTest) judgeValue(arg, val any) *Finding {
	v, ok1 := toRat(val)
	bound, ok2 := toRat(arg)
	want := b.kind + " " + show(arg)
	if !ok1 || !ok2 {
		return mismatch(val, want, "want a number ("+want+")")
	}
	if b.kind == "min" && v.Cmp(bound) < 0 {
		return mismatch(val, want, "want >= "+show(arg))
	}
	if b.kind == "max" && v.Cmp(bound) > 0 {
		return mismatch(val, want, "want <= "+show(arg))
	}
	return nil
}

// matchesTest holds its pattern compiled at load time; a pattern with a
// placeholder is compiled when it runs, once expanded.
type matchesTest struct{ re *regexp.Regexp }

func buildMatches(arg any) (matchTest, error) {
	s, ok := arg.(string)
	if !ok {
		return nil, errors.New("matches needs a regular expression as text")
	}
	if isPlaceholder(s) {
		return needsValue{"matches", matchesTest{}}, nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("matches: %w", err)
	}
	return needsValue{"matches", matchesTest{re: re}}, nil
}

func (m matchesTest) judgeValue(arg, val any) *Finding {
	re := m.re
	if re == nil {
		var err error
		if re, err = regexp.Compile(textOf(arg)); err != nil {
			return mismatch(val, "matches "+show(arg), "bad pattern: "+err.Error())
		}
	}
	if s, ok := val.(string); ok && re.MatchString(s) {
		return nil
	}
	return mismatch(val, "matches "+show(arg), "want text matching "+show(arg))
}

// presenceTest is present (want true) or absent (want false).
type presenceTest struct {
	kind string
	want bool
}

func buildPresence(kind string, want bool) func(any) (matchTest, error) {
	return func(arg any) (matchTest, error) {
		if b, ok := arg.(bool); !ok || !b {
			return nil, fmt.Errorf("%s takes true", kind)
		}
		return presenceTest{kind: kind, want: want}, nil
	}
}

func (p presenceTest) judge(_, val any, found bool) *Finding {
	switch {
	case found == p.want:
		return nil
	case p.want:
		return &Finding{Expected: "present", Actual: "absent", Message: "is absent, want present"}
	default:
		return mismatch(val, "absent", "should be absent")
	}
}

// Range bounds a length; a nil bound is open.
type Range struct {
	Min *int `json:"min,omitempty"`
	Max *int `json:"max,omitempty"`
}

func parseRange(v any) (Range, error) {
	if n, ok := wholeNumber(v); ok {
		if n < 0 {
			return Range{}, errors.New("must not be negative")
		}
		return Range{Min: &n, Max: &n}, nil
	}
	switch x := v.(type) {
	case map[string]any:
		var r Range
		for k, b := range x {
			n, ok := wholeNumber(b)
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

// wholeNumber reads an integer whatever its Go type: a literal of the file, a
// built-in, or a number captured from an answer.
func wholeNumber(v any) (int, bool) {
	r, ok := toRat(v)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return int(r.Num().Int64()), true
}
