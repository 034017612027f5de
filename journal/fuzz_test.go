package journal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/contactkit/contactkit/redact"
)

// FuzzAdd puts the token somewhere in arbitrary text, cut at an arbitrary bound:
// no entry ever shows it, nor its first redact.PrefixLen characters.
func FuzzAdd(f *testing.F) {
	f.Add("before ", " after", 100, false)
	f.Add(`{"echo":"`, `"}`, 12, true)
	f.Add("", "", 1, false)
	f.Fuzz(func(t *testing.T, before, after string, bound int, cut bool) {
		if bound < 1 || bound > 1<<16 {
			return
		}
		j := New(Config{MaxBody: bound, MaxText: bound, MaxPath: bound})
		text := before + token + after
		if cut {
			text = text[:len(before)+len(token)/2]
		}
		e := j.Add(Exchange{Method: "GET", URI: "/contacts/" + url.PathEscape(text), Problem: text,
			RequestHeader: http.Header{"Authorization": {"Bearer " + token}},
			ResponseBody:  []byte(text), ResponseTruncated: cut})
		for _, s := range []string{e.Path, e.Problem, e.Response.Body} {
			if strings.Contains(s, token[:redact.PrefixLen]) {
				t.Fatalf("entry shows the token's start: %q", s)
			}
		}
	})
}

// FuzzParseFilter never panics, and what it accepts selects without panicking.
func FuzzParseFilter(f *testing.F) {
	for _, q := range []string{"status=4xx", "since=12", "since=2026-11-27T09:00:00Z&op=listContacts", "status=", "app=%00"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := ParseFilter(q)
		if err != nil {
			return
		}
		_ = flt.Match(Entry{Status: 404, OperationID: "listContacts", App: "a"})
	})
}
