package redact

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFields masks the values of fields named like credentials, in JSON (at any
// depth, keys escaped or not) and in forms, and keeps every other value.
func TestFields(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"a login body", `{"username":"budi","password":"hunter2"}`, `{"username":"budi","password":"***"}`},
		{"an answer that issues a token", `{"data":{"access_token":"eyJhbGciOi.x.y","expires_in":3600,"refresh_token":"r-1"}}`,
			`{"data":{"access_token":"***","expires_in":3600,"refresh_token":"***"}}`},
		{"blanks and other names", `{ "Api_Key" : "k1", "client_secret":"s", "name": "token", "tag":"password"}`,
			`{ "Api_Key" : "***", "client_secret":"***", "name": "token", "tag":"password"}`},
		{"an escaped key", `{"pass\u0077ord":"hunter2"}`, `{"pass\u0077ord":"***"}`},
		{"an escaped value", `{"token":"a\"b\u0063"}`, `{"token":"***"}`},
		{"not a string", `{"secret":12345678,"pin":1}`, `{"secret":***,"pin":1}`},
		{"a form", "username=budi&password=hunter2&remember=1", "username=budi&password=***&remember=1"},
		{"a form, names encoded", "user=b&pass%77ord=h%20u&x=1", "user=b&pass%77ord=***&x=1"},
		{"the Contacts API's own", `[{"name":"Budi Santoso","phone":6281234567890}]`, `[{"name":"Budi Santoso","phone":6281234567890}]`},
		{"plain text", "the password is long", "the password is long"},
	} {
		got, _ := Fields(tc.text)
		assert.Equal(t, tc.want, got, "%s: Fields(%s)", tc.name, tc.text)
	}
	_, values := Fields(`{"password":"hunter2","x":{"access_token":"eyJhbGciOi.x.y"},"name":"n"}`)
	assert.ElementsMatch(t, []string{"hunter2", "eyJhbGciOi.x.y"}, values, "the values masked")
}

// TestSeenIsBounded: the credentials a server has seen are kept, the newest,
// within a count and a size, whatever clients send; its scrubber takes out
// every one of them.
func TestSeenIsBounded(t *testing.T) {
	var s Seen
	for i := range 10 * DefaultMaxSeen {
		s.Add(fmt.Sprintf("%06d-seen-token", i), "short", strings.Repeat("x", 2*maxSeenLen))
	}
	n, size := s.Len()
	assert.LessOrEqual(t, n, DefaultMaxSeen, "secrets kept")
	assert.LessOrEqual(t, size, DefaultMaxSeen*maxSeenLen, "bytes kept")
	last := fmt.Sprintf("%06d-seen-token", 10*DefaultMaxSeen-1)
	assert.Equal(t, "a *** b", s.Scrubber().Scrub("a "+last+" b"), "the newest is scrubbed")
	assert.Equal(t, "000000-seen-token", s.Scrubber().Scrub("000000-seen-token"), "the oldest was forgotten")
	assert.Equal(t, "short", s.Scrubber().Scrub("short"), "a short one is not kept: it is an ordinary word")
	both := NewScrubber("request-token-1").With(s.Scrubber())
	assert.Equal(t, "*** ***", both.Scrub("request-token-1 "+last), "With scrubs with both")
}

// FuzzFields reads anything as a body: never a panic or a loop; a text with no
// quote and no equals sign holds no field and is kept; a login body's password
// never shows, whatever comes before and after the body.
func FuzzFields(f *testing.F) {
	f.Add(`{"a":{"api_key":`, `}}`)
	f.Add("user=b&", "&x=1")
	f.Add(`"\`, `\u0022`)
	f.Fuzz(func(t *testing.T, before, after string) {
		const secret = "Fuzzed-Password-123"
		if masked, _ := Fields(before); !strings.ContainsAny(before, `"=`) && masked != before {
			t.Fatalf("Fields(%q) = %q, want it kept", before, masked)
		}
		text := before + "\n" + `{"username":"budi","password":"` + secret + `"}` + "\n" + after
		masked, _ := Fields(text)
		if strings.Count(masked, secret) > strings.Count(before+after, secret) && !strings.ContainsAny(before, `"\`) {
			t.Fatalf("Fields(%q) = %q shows the password", text, masked)
		}
	})
}
