package conformance

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/contactkit/contactkit"
)

// Built-in placeholders. The generators give a new value at every use; assign one
// to a var to use the same value twice.
const (
	builtinApp         = "app"          // the run's app id
	builtinForeignApp  = "foreign_app"  // the app the token is not granted
	builtinRunID       = "run_id"       // a random id of this run
	builtinUniqueName  = "unique_name"  // a contact name no other run or use gives
	builtinUniquePhone = "unique_phone" // an Indonesian mobile number, as an integer, unique likewise
	builtinRandomUUID  = "random_uuid"  // a random UUID, naming no contact
)

// pagingBuiltins are the paging bounds of the contract the run holds the target
// to, so no suite repeats a number openapi.yaml holds. A bound the contract does
// not set (no maximum) is left unset, and a step using it is skipped.
var pagingBuiltins = []struct {
	name  string
	value func(contactkit.Paging) (int64, bool)
}{
	{"page_min", func(p contactkit.Paging) (int64, bool) { return p.Page.Min, true }},
	{"page_default", func(p contactkit.Paging) (int64, bool) { return p.Page.Default, true }},
	{"page_below_min", func(p contactkit.Paging) (int64, bool) { return p.Page.Min - 1, true }},
	{"limit_min", func(p contactkit.Paging) (int64, bool) { return p.Limit.Min, true }},
	{"limit_default", func(p contactkit.Paging) (int64, bool) { return p.Limit.Default, true }},
	{"limit_below_min", func(p contactkit.Paging) (int64, bool) { return p.Limit.Min - 1, true }},
	{"limit_max", func(p contactkit.Paging) (int64, bool) { return p.Limit.Max, p.Limit.Max > 0 }},
	{"limit_above_max", func(p contactkit.Paging) (int64, bool) { return p.Limit.Max + 1, p.Limit.Max > 0 }},
}

func builtinNames() []string {
	names := []string{builtinApp, builtinForeignApp, builtinRunID, builtinUniqueName, builtinUniquePhone, builtinRandomUUID}
	for _, b := range pagingBuiltins {
		names = append(names, b.name)
	}
	return names
}

func isBuiltin(name string) bool {
	return slices.Contains(builtinNames(), name)
}

var placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// checkTemplate refuses text with an unclosed or malformed placeholder, so a typo
// fails at load time and not as a strange request.
func checkTemplate(s string) error {
	rest := placeholderRE.ReplaceAllString(s, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return fmt.Errorf("malformed placeholder in %q: write {{name}} with a letters-digits-underscore name", s)
	}
	return nil
}

func isPlaceholder(v any) bool {
	s, ok := v.(string)
	return ok && placeholderRE.FindStringIndex(s) != nil
}

// placeholders lists the names a value's strings use.
func placeholders(v any) []string {
	var out []string
	for _, s := range stringsIn(v) {
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// generator makes the run's unique values; one per run, shared by its scenarios.
type generator struct {
	runID string
	// phoneBase holds the run's random middle digits, so two runs against the same
	// server do not collide; counter makes each use unique within the run.
	phoneBase int64
	counter   atomic.Int64
}

func newGenerator() *generator {
	var b [4]byte
	_, _ = rand.Read(b[:])
	n := int64(b[0])<<16 | int64(b[1])<<8 | int64(b[2])
	return &generator{
		runID: hex.EncodeToString(b[:3]),
		// 62 89 RRRR CCCCC: 13 digits like an Indonesian mobile, RRRR from the run.
		phoneBase: 6289_0000_00000 + (n%10000)*100000,
	}
}

func (g *generator) next() int64 { return g.counter.Add(1) }

func (g *generator) name() string {
	return fmt.Sprintf("Conform %s %d", g.runID, g.next())
}

func (g *generator) phone() int64 {
	return g.phoneBase + g.next()%100000
}

func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// errUnset says a placeholder names a value not captured (yet), usually because an
// earlier step failed.
var errUnset = errors.New("not captured")

type unsetError struct{ name string }

func (e *unsetError) Error() string { return fmt.Sprintf("{{%s}} was %v", e.name, errUnset) }
func (e *unsetError) Unwrap() error { return errUnset }

// scope holds a scenario's values: built-ins, vars and captures.
type scope struct {
	gen    *generator
	values map[string]any
}

func newScope(gen *generator, paging contactkit.Paging, app, foreignApp string) *scope {
	s := &scope{gen: gen, values: map[string]any{
		builtinApp:   app,
		builtinRunID: gen.runID,
	}}
	if foreignApp != "" {
		s.values[builtinForeignApp] = foreignApp
	}
	for _, b := range pagingBuiltins {
		if v, ok := b.value(paging); ok {
			s.values[b.name] = int(v)
		}
	}
	return s
}

func (s *scope) lookup(name string) (any, error) {
	switch name {
	case builtinUniqueName:
		return s.gen.name(), nil
	case builtinUniquePhone:
		return s.gen.phone(), nil
	case builtinRandomUUID:
		return randomUUID(), nil
	}
	v, ok := s.values[name]
	if !ok {
		return nil, &unsetError{name: name}
	}
	return v, nil
}

// expand replaces placeholders throughout v. A string that is exactly one
// placeholder becomes the value itself, keeping its JSON type.
func (s *scope) expand(v any) (any, error) {
	switch x := v.(type) {
	case string:
		if m := placeholderRE.FindStringSubmatchIndex(x); m != nil && m[0] == 0 && m[1] == len(x) {
			return s.lookup(x[m[2]:m[3]])
		}
		return s.expandString(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = s.expand(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ke, err := s.expandString(k)
			if err != nil {
				return nil, err
			}
			if out[ke], err = s.expand(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// expandString replaces placeholders inside text with the values' plain text.
func (s *scope) expandString(x string) (string, error) {
	var firstErr error
	out := placeholderRE.ReplaceAllStringFunc(x, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		v, err := s.lookup(name)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return m
		}
		return textOf(v)
	})
	return out, firstErr
}

// textOf renders a value as it reads in a URL or a message: strings bare, the rest
// as JSON.
func textOf(v any) string {
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
