package journal

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Redacted stands in for a credential wherever one would show.
const Redacted = "***"

// PrefixLen is how much of a credential's start is scrubbed on its own: a text
// cut mid-token, or a server echoing part of one, must not show this much of it.
const PrefixLen = 8

// minWordSecret is the length below which a credential is scrubbed only where it
// stands as a word of its own: a test's token "t" must not eat every letter t.
const minWordSecret = PrefixLen

// credentialWords mark a header or query parameter name as carrying a credential.
var credentialWords = []string{"auth", "token", "secret", "password", "passwd", "api-key", "apikey", "api_key", "session", "cookie", "credential", "signature", "jwt"}

// isCredential reports whether a header or query parameter name looks like one
// that carries a credential.
func isCredential(name string) bool {
	switch name {
	case "Accept", "Accept-Encoding", "Accept-Language", "Content-Type", "Content-Length", "Date",
		"User-Agent", "Host", "Connection", "Origin", "Referer", "Prefer", "Cache-Control", "Vary",
		"Access-Control-Allow-Origin", "Preference-Applied", "page", "limit":
		return false // the common ones, without lowering them
	}
	n := strings.ToLower(name)
	if n == "key" || n == "sig" {
		return true
	}
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// RedactHeader returns a copy of h with every credential replaced: Authorization
// (and Proxy-Authorization) keep their scheme, as "Bearer ***"; other
// credential-looking headers (cookies, tokens, API keys) become "***". It also
// returns the credentials it took out, for Scrub.
func RedactHeader(h http.Header) (http.Header, []string) {
	if h == nil {
		return nil, nil
	}
	out := make(http.Header, len(h))
	var secrets []string
	for name, values := range h {
		if !isCredential(name) {
			out[name] = append([]string(nil), values...)
			continue
		}
		vs := make([]string, len(values))
		for i, v := range values {
			scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
			canon := http.CanonicalHeaderKey(name)
			if (canon == "Authorization" || canon == "Proxy-Authorization") && ok {
				vs[i] = scheme + " " + Redacted
				secrets = append(secrets, credentialsOf(scheme, strings.TrimSpace(cred))...)
				continue
			}
			vs[i] = Redacted
			if canon == "Cookie" || canon == "Set-Cookie" {
				secrets = append(secrets, cookieValues(v)...)
			} else {
				secrets = append(secrets, strings.TrimSpace(v))
			}
		}
		out[name] = vs
	}
	return out, secrets
}

// Secrets returns the credentials h carries (the bearer token and the like), for
// Scrub; nil when there are none.
func Secrets(h http.Header) []string {
	var cred http.Header
	for name, values := range h {
		if isCredential(name) {
			if cred == nil {
				cred = http.Header{}
			}
			cred[name] = values
		}
	}
	_, s := RedactHeader(cred)
	return s
}

// credentialsOf returns what an Authorization value hides: the token, and for
// Basic the password and user too.
func credentialsOf(scheme, cred string) []string {
	if cred == "" {
		return nil
	}
	out := []string{cred}
	if strings.EqualFold(scheme, "Basic") {
		if raw, err := base64.StdEncoding.DecodeString(cred); err == nil {
			user, pass, _ := strings.Cut(string(raw), ":")
			out = append(out, pass, user)
		}
	}
	return out
}

func cookieValues(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ";") {
		if _, val, ok := strings.Cut(part, "="); ok {
			if val = strings.TrimSpace(val); len(val) >= minWordSecret {
				out = append(out, val)
			}
		}
	}
	return out
}

// RedactQuery returns a path with query whose credential-looking parameters
// (token=, access_token=, api_key=, ...) read "***". Other parameters, and their
// order, are kept as sent.
func RedactQuery(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok || query == "" {
		return uri
	}
	parts := strings.Split(query, "&")
	changed := false
	for i, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if isCredential(name) {
			parts[i] = url.QueryEscape(name) + "=" + Redacted
			changed = true
		}
	}
	if !changed {
		return uri
	}
	return path + "?" + strings.Join(parts, "&")
}

// Scrubber takes a set of credentials out of text, in every form a text may carry
// them. Its zero value scrubs nothing. It is safe for concurrent use.
type Scrubber struct {
	long  *strings.Replacer // forms of credentials long enough to replace anywhere
	words []string          // short credentials, replaced only as whole words
	heads []string          // forms long enough that a cut one's start must go too
	// marks are the distinct starts of every form: a text holding none of them
	// holds no credential, and is returned as is without running the replacer.
	marks []string
}

// scrubbers remembers recent Scrubbers by their secrets: a server sees the same
// token on request after request, and building the replacer is the costly part.
// Only short keys are kept, and the map starts over when full, so it stays small
// whatever clients send.
var scrubbers = struct {
	sync.Mutex
	m map[string]*Scrubber
}{m: map[string]*Scrubber{}}

const (
	maxScrubbers   = 256
	maxScrubberKey = 1024
)

// NewScrubber returns a Scrubber for secrets. A secret of PrefixLen characters or
// more is replaced wherever it occurs, raw, JSON-escaped (with "/" or "\/"),
// URL-encoded or in base64, and so is its first PrefixLen characters; a shorter
// one only where it stands as a word of its own.
func NewScrubber(secrets ...string) *Scrubber {
	if len(secrets) == 0 {
		return &Scrubber{}
	}
	key := strings.Join(secrets, "\x00")
	if len(key) > maxScrubberKey {
		return newScrubber(secrets)
	}
	scrubbers.Lock()
	s, ok := scrubbers.m[key]
	scrubbers.Unlock()
	if ok {
		return s
	}
	s = newScrubber(secrets)
	scrubbers.Lock()
	if len(scrubbers.m) >= maxScrubbers {
		clear(scrubbers.m)
	}
	scrubbers.m[key] = s
	scrubbers.Unlock()
	return s
}

func newScrubber(secrets []string) *Scrubber {
	s := &Scrubber{}
	var pairs []string
	seen := map[string]bool{}
	for _, sec := range secrets {
		if sec == "" || seen[sec] {
			continue
		}
		seen[sec] = true
		if len(sec) < minWordSecret {
			s.words = append(s.words, sec)
			continue
		}
		for _, f := range forms(sec) {
			if !seen["form:"+f] {
				seen["form:"+f] = true
				pairs = append(pairs, f, Redacted)
				s.heads = append(s.heads, f)
			}
		}
	}
	// Whole forms before prefixes: strings.NewReplacer tries the pairs in order at
	// each position, so a whole token is replaced as one.
	var prefixes []string
	for _, f := range s.heads {
		if len(f) > PrefixLen {
			prefixes = append(prefixes, f[:PrefixLen], Redacted)
		}
	}
	if len(pairs) > 0 {
		s.long = strings.NewReplacer(append(pairs, prefixes...)...)
	}
	seenMark := map[string]bool{}
	for _, f := range s.heads {
		m := f[:min(len(f), PrefixLen)]
		if !seenMark[m] {
			seenMark[m] = true
			s.marks = append(s.marks, m)
		}
	}
	return s
}

// forms lists the ways a secret shows up in text.
func forms(sec string) []string {
	out := []string{sec}
	if b, err := json.Marshal(sec); err == nil {
		esc := string(b[1 : len(b)-1])
		out = append(out, esc, strings.ReplaceAll(esc, "/", `\/`))
	}
	out = append(out, url.QueryEscape(sec), url.PathEscape(sec),
		base64.StdEncoding.EncodeToString([]byte(sec)), base64.RawStdEncoding.EncodeToString([]byte(sec)),
		base64.URLEncoding.EncodeToString([]byte(sec)), base64.RawURLEncoding.EncodeToString([]byte(sec)))
	return out
}

// Empty reports whether s scrubs nothing.
func (s *Scrubber) Empty() bool { return s == nil || (s.long == nil && len(s.words) == 0) }

// Scrub returns text with every credential replaced by "***".
func (s *Scrubber) Scrub(text string) string {
	if s.Empty() || text == "" {
		return text
	}
	if s.long != nil && s.marked(text) {
		text = s.long.Replace(text)
	}
	for _, w := range s.words {
		text = replaceWord(text, w)
	}
	return text
}

// marked reports whether text holds the start of any form of a credential.
func (s *Scrubber) marked(text string) bool {
	for _, m := range s.marks {
		if strings.Contains(text, m) {
			return true
		}
	}
	return false
}

// Clip scrubs text, then cuts it to at most n bytes (on a rune boundary); cut
// says it was cut. The input may itself be the start of a longer text
// (truncated): then a credential's beginning left at its end is dropped too.
func (s *Scrubber) Clip(text string, n int, truncated bool) (out string, cut bool) {
	text = s.Scrub(text)
	if len(text) > n {
		text, cut = clipRunes(text, n), true
	}
	if cut || truncated {
		text = s.trimHead(text)
	}
	return text, cut || truncated
}

// minHead is the shortest start of a credential trimHead drops: two characters
// tell nothing, and dropping them would eat ordinary text.
const minHead = 3

// trimHead drops the end of text when it is the start of a credential.
func (s *Scrubber) trimHead(text string) string {
	if s == nil {
		return text
	}
	for _, f := range s.heads {
		for k := min(len(f)-1, len(text)); k >= minHead; k-- {
			if strings.HasSuffix(text, f[:k]) {
				return text[:len(text)-k]
			}
		}
	}
	return text
}

// clipRunes cuts s to at most n bytes without splitting a UTF-8 sequence.
func clipRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-4 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i]
}

func replaceWord(s, word string) string {
	if !strings.Contains(s, word) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, word)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(word)
		if (i == 0 || !isWordByte(s[i-1])) && (end == len(s) || !isWordByte(s[end])) {
			b.WriteString(s[:i] + Redacted)
		} else {
			b.WriteString(s[:end])
		}
		s = s[end:]
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
