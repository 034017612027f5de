package redact

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// Mask stands in for a credential wherever one would show.
const Mask = "***"

// PrefixLen is how much of a credential's start matters on its own: no run of
// this many of its first characters, in any of its forms, survives a scrub. A
// report or a journal cuts long text, and a cut through a token leaves its start.
const PrefixLen = 8

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
	if strings.EqualFold(name, "key") || strings.EqualFold(name, "sig") {
		return true
	}
	// A word is only looked for in a name holding each of its letters: most
	// names (a JSON body's keys, say) are ruled out by one pass over them.
	has := letters(name)
	for i, w := range credentialWords {
		if has&wordLetters[i] == wordLetters[i] && containsFold(name, w) {
			return true
		}
	}
	return false
}

// wordLetters are the letters of each of credentialWords, as letters gives them.
var wordLetters = func() []uint32 {
	out := make([]uint32, len(credentialWords))
	for i, w := range credentialWords {
		out[i] = letters(w)
	}
	return out
}()

// letters is the set of the ASCII letters s holds, whatever their case, a bit
// each.
func letters(s string) uint32 {
	var m uint32
	for i := range len(s) {
		if c := lower(s[i]); c >= 'a' && c <= 'z' {
			m |= 1 << (c - 'a')
		}
	}
	return m
}

// containsFold reports whether s holds word (lower case ASCII), whatever the
// case of s; it allocates nothing, since a server asks it of every header.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		j := 0
		for j < len(word) && lower(s[i+j]) == word[j] {
			j++
		}
		if j == len(word) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Header returns a copy of h with every credential replaced: Authorization (and
// Proxy-Authorization) keep their scheme, as "Bearer ***"; other
// credential-looking headers (cookies, tokens, API keys) become "***". It also
// returns the credentials it took out, for NewScrubber.
func Header(h http.Header) (http.Header, []string) {
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
			// A scheme and its credential are parted by blanks: a space, or a
			// tab, which HTTP allows as well and servers take.
			v := strings.TrimSpace(v)
			scheme, cred, ok := v, "", false
			if j := strings.IndexAny(v, " \t"); j >= 0 {
				scheme, cred, ok = v[:j], v[j+1:], true
			}
			canon := http.CanonicalHeaderKey(name)
			if (canon == "Authorization" || canon == "Proxy-Authorization") && ok {
				vs[i] = scheme + " " + Mask
				secrets = append(secrets, credentialsOf(scheme, strings.TrimSpace(cred))...)
				continue
			}
			vs[i] = Mask
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
// NewScrubber; nil when there are none.
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
	_, s := Header(cred)
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

// cookieValues returns a cookie header's values long enough to be scrubbed
// anywhere: a short one ("id=1") would eat ordinary words.
func cookieValues(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ";") {
		if _, val, ok := strings.Cut(part, "="); ok {
			if val = strings.TrimSpace(val); len(val) >= PrefixLen {
				out = append(out, val)
			}
		}
	}
	return out
}

// Query returns a path with query whose credential-looking parameters (token=,
// access_token=, api_key=, ...) read "***". Other parameters, and their order,
// are kept as sent.
func Query(uri string) string {
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
			parts[i] = url.QueryEscape(name) + "=" + Mask
			changed = true
		}
	}
	if !changed {
		return uri
	}
	return path + "?" + strings.Join(parts, "&")
}

// SwapCase is s with its letters' case swapped: a token a runner sends to see
// whether a server compares tokens without case. It is the token to a reader.
func SwapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsUpper(r):
			return unicode.ToLower(r)
		case unicode.IsLower(r):
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

// WithSwappedCase lists tokens and each one's SwapCase, for the scrubber of a
// run that may send either.
func WithSwappedCase(tokens ...string) []string {
	out := slices.Clone(tokens)
	for _, t := range tokens {
		if s := SwapCase(t); s != t {
			out = append(out, s)
		}
	}
	return out
}
