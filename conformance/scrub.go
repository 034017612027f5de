package conformance

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// redacted stands in for the token wherever it would show.
const redacted = "***"

// tokenPrefix is how much of the token is enough to matter: no run of this many
// of its first characters, in any of its forms, survives a scrub. A report cuts
// long text (a body, a value), and a cut through the token leaves its start.
const tokenPrefix = 8

// NewScrubber returns a function that takes every one of tokens out of text, as
// the runner does with its own token: the explorer, with two identities, and the
// proxy use it on everything they print or write.
func NewScrubber(tokens ...string) func(string) string {
	var each []func(string) string
	for _, t := range tokens {
		if t != "" {
			each = append(each, newScrubber(t))
		}
	}
	return func(s string) string {
		for _, f := range each {
			s = f(s)
		}
		return s
	}
}

// newScrubber returns a function that takes the token out of text, however the
// text got it: a curl command, a body a hostile server echoed, an error. It knows
// the token raw, JSON-escaped (with `/` and with PHP's `\/`), URL-encoded (query
// and path escaping) and base64-encoded (standard and URL alphabets, padded or
// not, at any alignment). A token of tokenPrefix characters or more is cut out
// wherever a form's first tokenPrefix characters start, as far as the form goes
// on, so a token that was cut (by the target or by a report) goes too. A short
// token (a test's "t") is replaced only where it stands as a word of its own, so
// ordinary words survive.
func newScrubber(token string) func(string) string {
	if token == "" {
		return func(s string) string { return s }
	}
	forms := tokenForms(token)
	if len(token) < tokenPrefix {
		return func(s string) string {
			for _, f := range forms {
				s = replaceWord(s, f)
			}
			return s
		}
	}
	var long []string
	for _, f := range forms {
		if len(f) >= tokenPrefix {
			long = append(long, f)
		}
	}
	return func(s string) string {
		for _, f := range long {
			s = cutPrefixes(s, f)
		}
		return s
	}
}

// tokenForms lists the ways a token reads once a server or a format has encoded
// it, longest first, so a longer form goes before a shorter one that starts it.
func tokenForms(token string) []string {
	forms := []string{token, url.QueryEscape(token), url.PathEscape(token)}
	if b, err := json.Marshal(token); err == nil {
		esc := string(b[1 : len(b)-1])
		forms = append(forms, esc, strings.ReplaceAll(esc, "/", `\/`))
	}
	var plain strings.Builder
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	if enc.Encode(token) == nil {
		s := strings.TrimSpace(plain.String())
		forms = append(forms, s[1:len(s)-1])
	}
	// In base64 the token's characters depend on where it starts within a group
	// of three bytes; the groups made only of its own bytes read the same
	// whatever surrounds them.
	for skip := range 3 {
		if skip >= len(token) {
			break
		}
		rest := token[skip:]
		whole := rest[:len(rest)/3*3]
		for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			forms = append(forms, e.EncodeToString([]byte(whole)), e.EncodeToString([]byte(rest)), strings.TrimRight(e.EncodeToString([]byte(rest)), "="))
		}
	}
	forms = slices.DeleteFunc(forms, func(f string) bool { return f == "" })
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	return slices.Compact(forms)
}

// cutPrefixes replaces every run of text that starts like form (its first
// tokenPrefix characters at least) with redacted, as far as the run follows form.
func cutPrefixes(s, form string) string {
	return redact(s, form[:tokenPrefix], func(s string, i int) (int, bool) {
		n := tokenPrefix
		for n < len(form) && i+n < len(s) && s[i+n] == form[n] {
			n++
		}
		return i + n, true
	})
}

// replaceWord replaces word where it stands alone, not inside a longer word.
func replaceWord(s, word string) string {
	return redact(s, word, func(s string, i int) (int, bool) {
		end := i + len(word)
		return end, (i == 0 || !isWordByte(s[i-1])) && (end == len(s) || !isWordByte(s[end]))
	})
}

// redact walks s from one occurrence of head to the next; match says where the
// run at i ends and whether it is to be replaced by redacted.
func redact(s, head string, match func(s string, i int) (end int, replace bool)) string {
	if !strings.Contains(s, head) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, head)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end, replace := match(s, i)
		if replace {
			b.WriteString(s[:i] + redacted)
		} else {
			b.WriteString(s[:end])
		}
		s = s[end:]
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// Scrub takes tokens out of every text of the report with scrub (NewScrubber).
// The runner's bodies were scrubbed whole when they arrived; this pass catches
// what a report built from them, such as a value decoded from a \u-escaped token
// and then cut, and what another phase (the explorer) added.
func (rep *Report) Scrub(scrub func(string) string) {
	s := scrub
	rep.Error = s(rep.Error)
	rep.Target = s(rep.Target)
	rep.App = s(rep.App)
	rep.Hint = s(rep.Hint)
	for i := range rep.Scenarios {
		sc := &rep.Scenarios[i]
		sc.SkipReason = s(sc.SkipReason)
		for j := range sc.Steps {
			st := &sc.Steps[j]
			st.SkipReason = s(st.SkipReason)
			st.Curl = s(st.Curl)
			st.Body = s(st.Body)
			for k := range st.Findings {
				f := &st.Findings[k]
				f.Message, f.Expected, f.Actual, f.Curl, f.Pointer = s(f.Message), s(f.Expected), s(f.Actual), s(f.Curl), s(f.Pointer)
				for l := range f.More {
					f.More[l] = s(f.More[l])
				}
			}
		}
	}
}
