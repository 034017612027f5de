package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/redact"
)

// The helpers below read decoded JSON the way every judge of traffic must: numbers
// by exact value (json.Number, never through a float64, so two phones above 2^53
// stay apart), text clipped before it reaches a report.

// Show renders a value as JSON, cut at 200 bytes, for a finding.
func Show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 200 {
		s = redact.Cut(s, 200) + "…"
	}
	return s
}

// errTrailing says a text holds more than one JSON value.
var errTrailing = errors.New("data after the JSON value")

// DecodeJSON reads b as one JSON value, numbers as json.Number (exact), and
// refuses anything after it.
func DecodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.Decode(new(any)) != io.EOF {
		return nil, errTrailing
	}
	return v, nil
}

// JSONType names a decoded value's JSON type, integers apart from other numbers.
func JSONType(v any) string {
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
		if r, ok := ToRat(x); ok {
			if r.IsInt() {
				return "integer"
			}
			return "number"
		}
	}
	return fmt.Sprintf("%T", v)
}

// ToRat reads a number exactly, whatever its Go type.
func ToRat(v any) (*big.Rat, bool) {
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

// Int reads a whole number that fits an int64.
func Int(v any) (int64, bool) {
	r, ok := ToRat(v)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// Equal compares two JSON values, numbers by value whatever their Go type.
func Equal(a, b any) bool {
	if ra, ok := ToRat(a); ok {
		rb, ok := ToRat(b)
		return ok && ra.Cmp(rb) == 0
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
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
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}

// SameNumber reports whether two JSON numbers' texts name the same value, exactly.
func SameNumber(a, b string) bool {
	if a == b {
		return true
	}
	ra, ok1 := new(big.Rat).SetString(a)
	rb, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && ra.Cmp(rb) == 0
}

// TextOf renders a value as it reads in a URL or a message: strings bare, the rest
// as JSON.
func TextOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Field is the member name of a decoded object, nil for anything else.
func Field(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

// OneLine folds whitespace and cuts s to max runes, marking the cut.
func OneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}

// Clip cuts s to at most n bytes on a rune boundary and marks the cut.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return redact.Cut(s, n) + "…"
}

// PointerOf writes tokens (kin-openapi's path to a value) as a JSON pointer.
func PointerOf(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString("/" + EscapeToken(t))
	}
	return b.String()
}

// EscapeToken escapes one token of a JSON pointer (RFC 6901).
func EscapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// Loc names a place in the contract, as a reader finds it in openapi.yaml.
func Loc(fragment string) string { return contactkit.SpecFile + fragment }

// OpLocation names operation op in the contract ("#/paths" for an unknown one).
func OpLocation(spec *contactkit.Spec, op string) string {
	o := spec.Op(op)
	if o == nil {
		return Loc("#/paths")
	}
	return Loc("#/paths/" + EscapeToken(o.Path) + "/" + strings.ToLower(o.Method))
}
