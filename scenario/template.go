package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// Built-in placeholders, which the runner fills. The generators give a new value
// at every use; assign one to a var to use the same value twice.
const (
	BuiltinApp         = "app"          // the run's app id
	BuiltinForeignApp  = "foreign_app"  // the app the token is not granted
	BuiltinRunID       = "run_id"       // an id of this run, fixed by its seed
	BuiltinUniqueName  = "unique_name"  // a contact name no other use in the run gives
	BuiltinUniquePhone = "unique_phone" // an Indonesian mobile number, as an integer, unique likewise
	BuiltinRandomUUID  = "random_uuid"  // a UUID naming no contact
)

// pagingBuiltins are the paging bounds of the contract a run holds the target
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

// PagingBuiltins returns the paging built-ins paging sets, by name.
func PagingBuiltins(paging contactkit.Paging) map[string]int {
	out := map[string]int{}
	for _, b := range pagingBuiltins {
		if v, ok := b.value(paging); ok {
			out[b.name] = int(v)
		}
	}
	return out
}

// BuiltinNames lists every built-in placeholder.
func BuiltinNames() []string {
	names := []string{BuiltinApp, BuiltinForeignApp, BuiltinRunID, BuiltinUniqueName, BuiltinUniquePhone, BuiltinRandomUUID}
	for _, b := range pagingBuiltins {
		names = append(names, b.name)
	}
	return names
}

// IsBuiltin reports whether name is a built-in placeholder.
func IsBuiltin(name string) bool {
	return slices.Contains(BuiltinNames(), name)
}

// placeholderRE matches {{name}} and {{env.NAME}}.
var placeholderRE = regexp.MustCompile(`\{\{\s*((?:env\.)?[A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// checkTemplate refuses text with an unclosed or malformed placeholder, so a typo
// fails at load time and not as a strange request.
func checkTemplate(s string) error {
	rest := placeholderRE.ReplaceAllString(s, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return fmt.Errorf("malformed placeholder in %q: write {{name}} or {{env.NAME}} with a letters-digits-underscore name", s)
	}
	return nil
}

// Placeholders lists the names a value's strings use.
func Placeholders(v any) []string {
	var out []string
	for _, s := range stringsIn(v) {
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// Expand replaces placeholders throughout v with what lookup gives. A string that
// is exactly one placeholder becomes the value itself, keeping its JSON type;
// inside other text a value is written as check.TextOf does.
func Expand(v any, lookup func(name string) (any, error)) (any, error) {
	switch x := v.(type) {
	case string:
		if m := placeholderRE.FindStringSubmatchIndex(x); m != nil && m[0] == 0 && m[1] == len(x) {
			return lookup(x[m[2]:m[3]])
		}
		return ExpandString(x, lookup)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = Expand(e, lookup); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ke, err := ExpandString(k, lookup)
			if err != nil {
				return nil, err
			}
			if out[ke], err = Expand(e, lookup); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// ExpandString replaces placeholders inside text with the values' plain text. The
// first lookup error is returned, the placeholder left as it was.
func ExpandString(x string, lookup func(name string) (any, error)) (string, error) {
	var firstErr error
	out := placeholderRE.ReplaceAllStringFunc(x, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		v, err := lookup(name)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return m
		}
		return check.TextOf(v)
	})
	return out, firstErr
}
