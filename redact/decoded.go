package redact

import (
	"encoding/json"
	"strings"
)

// maxDecodes is how many layers of encoding a scrub looks through: JSON within
// JSON, a value percent-encoded twice.
const maxDecodes = 3

// decoded scrubs what text holds once decoded, where no form of a secret shows
// as written: a JSON string's escapes (a token written \u0053\u0065...) and
// percent-encoding (%53%65..., in a path or a query). A JSON string that holds
// a secret once decoded is written again, decoded and scrubbed; a run of
// percent-encoded text (a path segment, a parameter) becomes Mask.
func (s *Scrubber) decoded(text string, depth int) string {
	if strings.IndexByte(text, '\\') >= 0 {
		text = s.jsonStrings(text, depth)
	}
	if strings.IndexByte(text, '%') >= 0 {
		text = s.percentRuns(text, depth)
	}
	return text
}

// jsonStrings scrubs the JSON string literals of text that hold an escape.
func (s *Scrubber) jsonStrings(text string, depth int) string {
	var b strings.Builder
	kept := 0
	for i := strings.IndexByte(text, '"'); i >= 0 && i < len(text); {
		end := stringEnd(text, i)
		lit := text[i:end]
		if strings.IndexByte(lit, '\\') >= 0 {
			var v string
			if json.Unmarshal([]byte(lit), &v) == nil {
				if clean := s.scrub(v, depth+1); clean != v {
					b.WriteString(text[kept:i])
					b.Write(quote(clean))
					kept = end
				}
			}
		}
		next := strings.IndexByte(text[end:], '"')
		if next < 0 {
			break
		}
		i = end + next
	}
	if kept == 0 {
		return text
	}
	b.WriteString(text[kept:])
	return b.String()
}

// quote writes s as a JSON string, without escaping HTML.
func quote(s string) []byte {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return []byte(strings.TrimSuffix(b.String(), "\n"))
}

// percentRuns scrubs the runs of text holding percent-encoding: a path segment,
// a query's name or value, a word (runs end at / ? & = ; , " ' < > # and blanks).
func (s *Scrubber) percentRuns(text string, depth int) string {
	var b strings.Builder
	kept := 0
	for i := 0; i < len(text); {
		if isRunEnd(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && !isRunEnd(text[j]) {
			j++
		}
		run := text[i:j]
		if strings.IndexByte(run, '%') >= 0 {
			if plain := unescape(run); plain != run && s.scrub(plain, depth+1) != plain {
				b.WriteString(text[kept:i])
				b.WriteString(Mask)
				kept = j
			}
		}
		i = j
	}
	if kept == 0 {
		return text
	}
	b.WriteString(text[kept:])
	return b.String()
}

func isRunEnd(c byte) bool { return strings.IndexByte("/?&=;,\"'<># \t\r\n", c) >= 0 }

// unescape decodes every %XX of s, leaving a % that starts no such escape.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
