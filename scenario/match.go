package scenario

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/contactkit/contactkit/check"
)

// Matcher is one check of the value a JSON pointer addresses, built when the file
// loads: its kind (its key in the file), its argument as written, placeholders and
// all, and the test that judges the value once they are expanded.
type Matcher struct {
	Kind string
	Arg  any
	test matchTest
}

// Judge runs the matcher on the value a pointer found (found is false when it
// found nothing) with arg, its argument expanded; nil means the value passes.
func (m Matcher) Judge(arg, val any, found bool) *check.Finding {
	if m.test == nil {
		// Only a Matcher built outside the loader has no test; never let it pass.
		return &check.Finding{Message: "matcher " + m.Kind + " was not built by the loader", Expected: m.Kind}
	}
	return m.test.judge(arg, val, found)
}

// Matcher kinds a program writing scenarios uses.
const (
	MatchEquals    = matcherEquals
	MatchNotEquals = "not_equals"
	MatchContains  = "contains"
	// MatchSameItems holds an array to the items of another, in any order.
	MatchSameItems = "same_items"
	MatchPresent   = "present"
	MatchAbsent    = "absent"
)

// NewMatcher builds a matcher of kind with arg as the loader would from a file,
// so a program writing scenarios (the explorer, the recorder) holds the same
// values Parse gives.
func NewMatcher(kind string, arg any) (Matcher, error) {
	k := kindOf(kind)
	if k == nil {
		return Matcher{}, fmt.Errorf("unknown matcher %q (known: %s)", kind, strings.Join(matcherNames(), ", "))
	}
	test, err := k.build(arg)
	if err != nil {
		return Matcher{}, err
	}
	return Matcher{Kind: kind, Arg: arg, test: test}, nil
}

// Assert is the assertion that the value at pointer passes a matcher of kind
// with arg. It panics on a kind or arg the loader would refuse: a program's
// mistake, not a file's.
func Assert(pointer, kind string, arg any) Assertion {
	m, err := NewMatcher(kind, arg)
	if err != nil {
		panic(fmt.Sprintf("scenario.Assert %s %s: %v", pointer, kind, err))
	}
	return Assertion{Pointer: pointer, Matchers: []Matcher{m}}
}

// matchTest is one kind of matcher. Every kind judges for itself, so an unknown or
// misspelt kind cannot fall through to a pass: it never loads.
type matchTest interface {
	judge(arg, val any, found bool) *check.Finding
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
	{MatchNotEquals, func(any) (matchTest, error) { return needsValue{MatchNotEquals, notEqualsTest{}}, nil }},
	{"one_of", buildOneOf},
	{MatchContains, func(any) (matchTest, error) { return needsValue{MatchContains, containsTest{}}, nil }},
	{MatchSameItems, buildSameItems},
	{"type", buildType},
	{"length", buildLength},
	{"min", buildBound("min")},
	{"max", buildBound("max")},
	{"matches", buildMatches},
	{MatchPresent, buildPresence(MatchPresent, true)},
	{MatchAbsent, buildPresence(MatchAbsent, false)},
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
	judgeValue(arg, val any) *check.Finding
}

// needsValue fails a value test when the pointer found nothing.
type needsValue struct {
	kind string
	test valueTest
}

func (n needsValue) judge(arg, val any, found bool) *check.Finding {
	if !found {
		want := n.kind + " " + check.Show(arg)
		return &check.Finding{Expected: want, Actual: "absent", Message: "is absent, want " + want}
	}
	return n.test.judgeValue(arg, val)
}

// mismatch is the finding of a value that fails: want is what a reader expected.
func mismatch(val any, want, msg string) *check.Finding {
	return &check.Finding{Expected: want, Actual: check.Show(val), Message: msg + ", got " + check.Show(val)}
}

type equalsTest struct{}

func (equalsTest) judgeValue(arg, val any) *check.Finding {
	if check.Equal(val, arg) {
		return nil
	}
	return mismatch(val, check.Show(arg), "want "+check.Show(arg))
}

type notEqualsTest struct{}

func (notEqualsTest) judgeValue(arg, val any) *check.Finding {
	if !check.Equal(val, arg) {
		return nil
	}
	return mismatch(val, "not "+check.Show(arg), "want anything but "+check.Show(arg))
}

type oneOfTest struct{}

type sameItemsTest struct{}

func buildSameItems(arg any) (matchTest, error) {
	if _, ok := arg.([]any); !ok && !isPlaceholder(arg) {
		return nil, errors.New("same_items needs a list (or a placeholder holding one)")
	}
	return needsValue{MatchSameItems, sameItemsTest{}}, nil
}

func (sameItemsTest) judgeValue(arg, val any) *check.Finding {
	want, _ := arg.([]any)
	got, ok := val.([]any)
	if ok && len(got) == len(want) {
		left := slices.Clone(want)
		for _, g := range got {
			i := slices.IndexFunc(left, func(w any) bool { return check.Equal(g, w) })
			if i < 0 {
				break
			}
			left = slices.Delete(left, i, i+1)
		}
		if len(left) == 0 {
			return nil
		}
	}
	return mismatch(val, "the items "+check.Show(arg)+" in any order", "want the items "+check.Show(arg)+" in any order")
}

func buildOneOf(arg any) (matchTest, error) {
	if _, ok := arg.([]any); !ok {
		return nil, errors.New("one_of needs a list")
	}
	return needsValue{"one_of", oneOfTest{}}, nil
}

func (oneOfTest) judgeValue(arg, val any) *check.Finding {
	opts, _ := arg.([]any)
	if slices.ContainsFunc(opts, func(o any) bool { return check.Equal(val, o) }) {
		return nil
	}
	return mismatch(val, "one of "+check.Show(arg), "want one of "+check.Show(arg))
}

type containsTest struct{}

func (containsTest) judgeValue(arg, val any) *check.Finding {
	ok := false
	switch x := val.(type) {
	case string:
		s, isText := arg.(string)
		ok = isText && strings.Contains(x, s)
	case []any:
		ok = slices.ContainsFunc(x, func(e any) bool { return check.Equal(e, arg) })
	case map[string]any:
		if s, isText := arg.(string); isText {
			_, ok = x[s]
		}
	}
	if ok {
		return nil
	}
	return mismatch(val, "contains "+check.Show(arg), "want it to contain "+check.Show(arg))
}

type typeTest struct{ name string }

func buildType(arg any) (matchTest, error) {
	s, _ := arg.(string)
	if !slices.Contains(typeNames, s) {
		return nil, fmt.Errorf("type %s is not one of %s", check.Show(arg), strings.Join(typeNames, ", "))
	}
	return needsValue{"type", typeTest{name: s}}, nil
}

func (t typeTest) judgeValue(_, val any) *check.Finding {
	got := check.JSONType(val)
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

func (lengthTest) judgeValue(arg, val any) *check.Finding {
	r, err := parseRange(arg)
	if err != nil {
		return mismatch(val, "length "+check.Show(arg), "cannot check length: "+err.Error())
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
		return &check.Finding{Expected: "length " + want, Actual: fmt.Sprintf("length %d", n), Message: fmt.Sprintf("has length %d, want %s", n, want)}
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

func (b boundTest) judgeValue(arg, val any) *check.Finding {
	v, ok1 := check.ToRat(val)
	bound, ok2 := check.ToRat(arg)
	want := b.kind + " " + check.Show(arg)
	if !ok1 || !ok2 {
		return mismatch(val, want, "want a number ("+want+")")
	}
	if b.kind == "min" && v.Cmp(bound) < 0 {
		return mismatch(val, want, "want >= "+check.Show(arg))
	}
	if b.kind == "max" && v.Cmp(bound) > 0 {
		return mismatch(val, want, "want <= "+check.Show(arg))
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

func (m matchesTest) judgeValue(arg, val any) *check.Finding {
	re := m.re
	if re == nil {
		var err error
		if re, err = regexp.Compile(check.TextOf(arg)); err != nil {
			return mismatch(val, "matches "+check.Show(arg), "bad pattern: "+err.Error())
		}
	}
	if s, ok := val.(string); ok && re.MatchString(s) {
		return nil
	}
	return mismatch(val, "matches "+check.Show(arg), "want text matching "+check.Show(arg))
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

func (p presenceTest) judge(_, val any, found bool) *check.Finding {
	switch {
	case found == p.want:
		return nil
	case p.want:
		return &check.Finding{Expected: "present", Actual: "absent", Message: "is absent, want present"}
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

// wholeNumber reads an integer whatever its Go type: a literal of the file, a
// built-in, or a number captured from an answer.
func wholeNumber(v any) (int, bool) {
	r, ok := check.ToRat(v)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return int(r.Num().Int64()), true
}

func isNumber(v any) bool {
	_, ok := check.ToRat(v)
	return ok
}

func isPlaceholder(v any) bool {
	s, ok := v.(string)
	return ok && placeholderRE.FindStringIndex(s) != nil
}
