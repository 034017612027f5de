package conformance

import (
	"encoding/json"
	"strings"
)

// redacted stands in for the token wherever it would show.
const redacted = "***"

// newScrubber returns a function that takes the token out of text, however the
// text got it: a curl command, a body a hostile server echoed, an error. A long
// token is replaced wherever it occurs; a short one (a test's "t") only where it
// stands as a word of its own, so ordinary words survive.
func newScrubber(token string) func(string) string {
	if token == "" {
		return func(s string) string { return s }
	}
	forms := []string{token}
	if b, err := json.Marshal(token); err == nil {
		if esc := string(b[1 : len(b)-1]); esc != token {
			forms = append(forms, esc)
		}
	}
	if len(token) >= 6 {
		var pairs []string
		for _, f := range forms {
			pairs = append(pairs, f, redacted)
		}
		rep := strings.NewReplacer(pairs...)
		return rep.Replace
	}
	return func(s string) string {
		for _, f := range forms {
			s = replaceWord(s, f)
		}
		return s
	}
}

func replaceWord(s, word string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, word)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(word)
		if (i == 0 || !isWordByte(s[i-1])) && (end == len(s) || !isWordByte(s[end])) {
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

// scrubReport takes the token out of every text of the report.
func (r *runner) scrubReport(rep *Report) {
	s := r.scrub
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
			}
		}
	}
}
