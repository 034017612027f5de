package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// token has a "/" and a "+" so that every encoding changes it.
const token = "s3cr3t/Tok+en-ABCDEF0123"

// leaks lists the pieces of token no scrubbed text may hold: its start, its end,
// and the start of each of its encoded forms.
func leaks(tok string) []string {
	out := []string{tok[:PrefixLen], tok[len(tok)-PrefixLen:]}
	for _, f := range []string{
		strings.ReplaceAll(tok, "/", `\/`), url.QueryEscape(tok), url.PathEscape(tok),
		base64.StdEncoding.EncodeToString([]byte(tok)), base64.RawURLEncoding.EncodeToString([]byte(tok)),
		base64.StdEncoding.EncodeToString([]byte("Bearer " + tok))[12:], // past the bytes "Bearer " shares with it
	} {
		out = append(out, f[:PrefixLen])
	}
	return out
}

// TestScrubEveryForm puts the token in text in every form a server, a client or
// a format may give it (the union of what the runner and the journal met), and
// looks for any piece of it after a scrub.
func TestScrubEveryForm(t *testing.T) {
	esc, _ := json.Marshal("a/b" + token)
	var uesc strings.Builder
	for _, c := range token {
		fmt.Fprintf(&uesc, `\u%04x`, c)
	}
	for _, tc := range []struct{ name, text string }{
		{"raw", "your token is " + token + "."},
		{"raw, twice", token + token},
		{"JSON-escaped with /", string(esc)},
		{"JSON-escaped with PHP's \\/", strings.ReplaceAll(string(esc), "/", `\/`)},
		{"query escaped", "/contacts/a?x=" + url.QueryEscape(token)},
		{"path escaped", "/contacts/" + url.PathEscape(token)},
		{"base64 standard", base64.StdEncoding.EncodeToString([]byte(token))},
		{"base64url raw", base64.RawURLEncoding.EncodeToString([]byte(token))},
		{"base64 of the header (an offset of 7 bytes)", base64.StdEncoding.EncodeToString([]byte("Bearer " + token))},
		{"base64 at an offset of 1 byte", base64.StdEncoding.EncodeToString([]byte("x" + token))},
		{"base64 of basic auth", base64.StdEncoding.EncodeToString([]byte("user:" + token))},
		{"prefix alone", "token starts " + token[:12]},
		{"cut at the end", `{"echo":"` + token[:PrefixLen]},
		{"in a header value", "Location: Bearer " + token},
		{"\\u-escaped, once decoded", func() string { var s string; _ = json.Unmarshal([]byte(`"`+uesc.String()+`"`), &s); return s }()},
		// What the decoded text holds: escapes that no form of the token lists.
		{"\\u-escaped in a JSON body", `{"echo":"` + uesc.String() + `","n":1}`},
		{"one \\u escape in a JSON body", `{"echo":"\u0073` + token[1:] + `"}`},
		{"every byte percent-encoded in a path", "/contacts/" + percentAll(token) + "?page=1"},
		{"every byte percent-encoded in a query", "/contacts/a?x=" + percentAll(token) + "&page=1"},
		{"percent-encoded twice", "/contacts/" + strings.ReplaceAll(percentAll(token), "%", "%25")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := NewScrubber(token).Scrub(tc.text)
			for _, leak := range leaks(token) {
				assert.NotContains(t, out, leak, "Scrub(%q) = %q, shows %q", tc.text, out, leak)
			}
			assert.Contains(t, out, Mask, "Scrub(%q) = %q, want a %s where the token was", tc.text, out, Mask)
		})
	}
}

// TestScrubExact pins what a scrub leaves, so that a scrubber cutting too much
// (ordinary words) or too little (the rest of a cut token) fails.
func TestScrubExact(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secrets []string
		text    string
		want    string
	}{
		{"nothing to scrub", []string{token}, "page=1&limit=10", "page=1&limit=10"},
		{"whole token", []string{token}, "a " + token + " b", "a *** b"},
		{"a cut token goes whole", []string{token}, "a " + token[:12] + " b", "a *** b"},
		{"short token in a header", []string{"t"}, "'Authorization: Bearer t'", "'Authorization: Bearer ***'"},
		{"short token as an Authorization value", []string{"t"}, "Authorization: t", "Authorization: ***"},
		{"short token echoed in JSON", []string{"t"}, `{"echo":"Bearer t"}`, `{"echo":"Bearer ***"}`},
		{"short token in a JSON field", []string{"t"}, `{"access_token": "t", "name": "t"}`, `{"access_token": "***", "name": "t"}`},
		{"short token in JSON within JSON", []string{"t"}, `"{\"token\":\"t\"}"`, `"{\"token\":\"***\"}"`},
		{"short token in a query", []string{"t"}, "/contacts/t?token=t&page=1", "/contacts/t?token=***&page=1"},
		{"short token in an ordinary sentence stays", []string{"t"}, "don't wait: t is the letter after s", "don't wait: t is the letter after s"},
		{"short token as a path or a name stays", []string{"abc"}, `/contacts/abc {"tag":"abc"}`, `/contacts/abc {"tag":"abc"}`},
		{"short token inside a word stays", []string{"t"}, "Bearer conform-wrong-token-1", "Bearer conform-wrong-token-1"},
		{"a long token goes everywhere", []string{"long-token-1234"}, `{"name":"long-token-1234"}`, `{"name":"***"}`},
		{"two tokens", []string{"token-one-secret", "token-two-secret"}, "token-one-secret/token-two-secret", "***/***"},
		{"no secret", nil, token, token},
		{"empty secret", []string{""}, token, token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NewScrubber(tc.secrets...).Scrub(tc.text)
			assert.Equal(t, tc.want, got, "NewScrubber(%q).Scrub(%q)", tc.secrets, tc.text)
		})
	}
}

func TestZeroScrubberScrubsNothing(t *testing.T) {
	var nilScrubber *Scrubber
	for name, s := range map[string]*Scrubber{"nil": nilScrubber, "zero": {}, "no secrets": NewScrubber()} {
		assert.True(t, s.Empty(), "%s: Empty", name)
		assert.Equal(t, token, s.Scrub(token), "%s: Scrub", name)
		got, cut := s.Clip(token, 100, false)
		assert.Equal(t, token, got, "%s: Clip", name)
		assert.False(t, cut, "%s: Clip cut", name)
	}
	assert.False(t, NewScrubber("t").Empty(), "a short secret scrubs")
}

// TestClip cuts a scrubbed text, and drops a secret's start a cut left behind.
func TestClip(t *testing.T) {
	s := NewScrubber(token)
	for _, tc := range []struct {
		name      string
		text      string
		n         int
		truncated bool
		want      string
		wantCut   bool
	}{
		{"short enough", "abc", 10, false, "abc", false},
		{"scrubbed before it is cut", "ab " + token, 6, false, "ab ***", false},
		{"cut", "abcdefgh", 4, false, "abcd", true},
		{"a cut through a token's start", "abcdef" + token[:5], 9, false, "abcdef", true},
		{"the reader cut it before", "zz" + token[:7], 100, true, "zz", true},
		{"a rune is not split", "aé", 2, false, "a", true},
		{"ordinary text that ends like two letters of the token", "as", 100, true, "as", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := s.Clip(tc.text, tc.n, tc.truncated)
			assert.Equal(t, tc.want, got, "Clip(%q, %d, %v)", tc.text, tc.n, tc.truncated)
			assert.Equal(t, tc.wantCut, cut, "Clip(%q, %d, %v) cut", tc.text, tc.n, tc.truncated)
		})
	}
}

// percentAll percent-encodes every byte of s, as no escaping function does.
func percentAll(s string) string {
	var b strings.Builder
	for i := range len(s) {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		name        string
		h           http.Header
		want        http.Header
		wantSecrets []string
	}{
		{"bearer keeps its scheme", http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}},
			http.Header{"Authorization": {"Bearer ***"}, "Content-Type": {"application/json"}}, []string{token}},
		{"basic: the token, the password and the user", http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("user:pass-word"))}},
			http.Header{"Authorization": {"Basic ***"}}, []string{base64.StdEncoding.EncodeToString([]byte("user:pass-word")), "pass-word", "user"}},
		{"an API key", http.Header{"X-Api-Key": {token}}, http.Header{"X-Api-Key": {"***"}}, []string{token}},
		{"a tab after the scheme", http.Header{"Authorization": {"Bearer\t" + token}}, http.Header{"Authorization": {"Bearer ***"}}, []string{token}},
		{"blanks around", http.Header{"Authorization": {" Bearer \t " + token + " "}}, http.Header{"Authorization": {"Bearer ***"}}, []string{token}},
		{"cookies: long values only", http.Header{"Cookie": {"id=1; session=" + token}}, http.Header{"Cookie": {"***"}}, []string{token}},
		{"ordinary headers", http.Header{"Accept": {"*/*"}, "Page": {"2"}}, http.Header{"Accept": {"*/*"}, "Page": {"2"}}, nil},
		{"nil", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, secrets := Header(tc.h)
			assert.Equal(t, tc.want, got, "Header(%v)", tc.h)
			assert.Equal(t, tc.wantSecrets, secrets, "Header(%v) secrets", tc.h)
			assert.Equal(t, tc.wantSecrets, Secrets(tc.h), "Secrets(%v)", tc.h)
		})
	}
}

func TestQuery(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"/contacts/a?page=1&limit=10", "/contacts/a?page=1&limit=10"},
		{"/contacts/a?access_token=" + token + "&page=2", "/contacts/a?access_token=***&page=2"},
		{"/contacts/a?api%5Fkey=x", "/contacts/a?api_key=***"},
		{"/contacts/a?key=1&sig=2", "/contacts/a?key=***&sig=***"},
		{"/contacts/a", "/contacts/a"},
		{"/contacts/a?", "/contacts/a?"},
	} {
		assert.Equal(t, tc.want, Query(tc.uri), "Query(%q)", tc.uri)
	}
}

func TestScrubberCacheIsBounded(t *testing.T) {
	for i := range 3 * maxScrubbers {
		NewScrubber(fmt.Sprintf("token-number-%06d", i))
	}
	NewScrubber(strings.Repeat("k", 2*maxScrubberKey)) // too long to be kept
	scrubbers.Lock()
	n := len(scrubbers.m)
	_, long := scrubbers.m[strings.Repeat("k", 2*maxScrubberKey)]
	scrubbers.Unlock()
	assert.LessOrEqual(t, n, maxScrubbers, "scrubbers kept")
	assert.False(t, long, "a long key is not kept")
}

// FuzzScrub puts the token, in one of its forms, in arbitrary text cut at an
// arbitrary bound: no scrub or clip ever shows the token's first PrefixLen
// characters or those of the form.
func FuzzScrub(f *testing.F) {
	f.Add("before ", " after", 0, 100, false)
	f.Add(`{"echo":"`, `"}`, 3, 12, true)
	f.Add("Bearer ", "", 7, 1, false)
	forms := Forms(token)
	f.Fuzz(func(t *testing.T, before, after string, form, bound int, cut bool) {
		if bound < 1 || bound > 1<<16 || form < 0 || form >= len(forms) {
			return
		}
		text := before + forms[form] + after
		if cut {
			text = text[:len(before)+len(forms[form])/2]
		}
		s := NewScrubber(token)
		scrubbed := s.Scrub(text)
		clipped, _ := s.Clip(text, bound, cut)
		for _, out := range []string{scrubbed, clipped} {
			for _, leak := range []string{token[:PrefixLen], forms[form][:PrefixLen]} {
				if strings.Contains(out, leak) && !strings.Contains(before+after, leak) {
					t.Fatalf("scrubbed %q to %q, which shows %q", text, out, leak)
				}
			}
		}
	})
}
