package scenario

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/contactkit/contactkit/check"
)

// A pointer is an RFC 6901 JSON pointer, plus one addition so scenarios need not
// know where a contact sits in a list: a token may end with a selector,
// `data[phone=6289...]`, which picks the first element of the array whose field
// equals the value (compared as text, so 6289... matches the integer).

type token struct {
	name             string // "" when the token is only a selector
	selField, selVal string
	selector         bool
}

func splitPointer(p string) ([]token, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, errors.New("a JSON pointer starts with /")
	}
	var out []token
	for _, raw := range strings.Split(p[1:], "/") {
		var t token
		if i := strings.IndexByte(raw, '['); i >= 0 && strings.HasSuffix(raw, "]") {
			sel := raw[i+1 : len(raw)-1]
			field, val, ok := strings.Cut(sel, "=")
			if !ok || field == "" {
				return nil, fmt.Errorf("selector [%s] must read [field=value]", sel)
			}
			t.selector, t.selField, t.selVal = true, unescapeToken(field), val
			raw = raw[:i]
		} else if strings.ContainsAny(raw, "[]") && !strings.Contains(raw, "{{") {
			return nil, fmt.Errorf("token %q has an unbalanced [ ]", raw)
		}
		if strings.Contains(strings.NewReplacer("~0", "", "~1", "").Replace(raw), "~") {
			return nil, fmt.Errorf("token %q: ~ must be written ~0 (and / as ~1)", raw)
		}
		t.name = unescapeToken(raw)
		out = append(out, t)
	}
	return out, nil
}

// Selector is a selector of a pointer: the element of the array Array whose
// field Field reads Value.
type Selector struct {
	Array, Field, Value string
}

// Selectors lists the selectors of pointer p (placeholders expanded), in order.
func Selectors(p string) ([]Selector, error) {
	toks, err := splitPointer(p)
	if err != nil {
		return nil, err
	}
	var out []Selector
	for _, t := range toks {
		if t.selector {
			out = append(out, Selector{Array: t.name, Field: t.selField, Value: t.selVal})
		}
	}
	return out, nil
}

func checkPointerSyntax(p string) error {
	_, err := splitPointer(p)
	return err
}

func unescapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// Resolve finds the value p addresses in doc. It returns the plain pointer to the
// value (selectors replaced by indexes) as far as it got, and whether it was found.
func Resolve(doc any, p string) (val any, at string, found bool, err error) {
	toks, err := splitPointer(p)
	if err != nil {
		return nil, "", false, err
	}
	cur := doc
	var b strings.Builder
	for _, t := range toks {
		if !(t.selector && t.name == "") {
			next, ok := child(cur, t.name)
			if !ok {
				b.WriteString("/" + check.EscapeToken(t.name))
				return nil, b.String(), false, nil
			}
			b.WriteString("/" + check.EscapeToken(t.name))
			cur = next
		}
		if t.selector {
			arr, ok := cur.([]any)
			if !ok {
				return nil, b.String(), false, nil
			}
			idx := -1
			for i, e := range arr {
				if f, ok := child(e, t.selField); ok && check.TextOf(f) == t.selVal {
					idx = i
					break
				}
			}
			if idx < 0 {
				return nil, b.String() + fmt.Sprintf("[%s=%s]", t.selField, t.selVal), false, nil
			}
			b.WriteString("/" + strconv.Itoa(idx))
			cur = arr[idx]
		}
	}
	return cur, b.String(), true, nil
}

func child(v any, name string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		c, ok := x[name]
		return c, ok
	case []any:
		i, err := strconv.Atoi(name)
		if err != nil || i < 0 || i >= len(x) || (len(name) > 1 && name[0] == '0') {
			return nil, false
		}
		return x[i], true
	}
	return nil, false
}
