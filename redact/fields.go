package redact

import (
	"encoding/json"
	"net/url"
	"strings"
)

// Fields returns text with the value of every field named like a credential
// (password, secret, token, access_token, api_key, ... as header and query
// names are judged) masked: a JSON member, at any depth, its name escaped or
// not ("password": "..." reads "password": "***"), and a form's or a query's
// parameter (password=...). Every other value is kept as written, so a login
// body or an answer that issues a token reads as it came, less the credential.
// It also returns the values it masked, decoded (a JSON string unescaped, a
// form's value percent-decoded), for a scrubber to take out wherever else they
// show.
func Fields(text string) (masked string, values []string) {
	var b strings.Builder
	kept := 0
	eachField(text, func(start, end int, value string) {
		b.WriteString(text[kept:start])
		b.WriteString(Mask)
		kept = end
		values = append(values, value)
	})
	if kept == 0 {
		return text, values
	}
	b.WriteString(text[kept:])
	return b.String(), values
}

// eachField calls found with where the value of each credential field of text
// starts and ends (for a JSON string, inside its quotes) and its decoded value.
func eachField(text string, found func(start, end int, value string)) {
	quote, equals := -1, -1 // the next " and = at or after i, once looked for
	for i := 0; i < len(text); {
		// Jump to the next quote or equals sign (IndexByte is fast); nothing
		// else starts a field.
		if quote < i {
			if quote = strings.IndexByte(text[i:], '"'); quote >= 0 {
				quote += i
			} else {
				quote = len(text)
			}
		}
		if equals < i {
			if equals = strings.IndexByte(text[i:], '='); equals >= 0 {
				equals += i
			} else {
				equals = len(text)
			}
		}
		if i = min(quote, equals); i >= len(text) {
			return
		}
		switch text[i] {
		case '"':
			end := stringEnd(text, i)
			j := skipBlanks(text, end)
			if j >= len(text) || text[j] != ':' || !isCredential(jsonText(text[i:end])) {
				i = end
				continue
			}
			v := skipBlanks(text, j+1)
			switch {
			case v >= len(text):
				return
			case text[v] == '"':
				vend := stringEnd(text, v)
				inner := min(vend, len(text))
				if vend <= len(text) && vend-1 > v && text[vend-1] == '"' {
					inner = vend - 1
				}
				found(v+1, inner, jsonText(text[v:vend]))
				i = vend
			case text[v] == '{' || text[v] == '[':
				i = v // a credential's parts are judged by their own names
			default:
				vend := v
				for vend < len(text) && strings.IndexByte(",}] \t\r\n", text[vend]) < 0 {
					vend++
				}
				found(v, vend, text[v:vend])
				i = vend
			}
		case '=':
			start := i
			for start > 0 && isFormNameByte(text[start-1]) {
				start--
			}
			name := text[start:i]
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			if name == "" || (start > 0 && strings.IndexByte("&?;", text[start-1]) < 0) || !isCredential(name) {
				i++
				continue
			}
			vend := i + 1
			for vend < len(text) && strings.IndexByte("&; \t\r\n\"", text[vend]) < 0 {
				vend++
			}
			value := text[i+1 : vend]
			if v, err := url.QueryUnescape(value); err == nil {
				value = v
			}
			if vend > i+1 {
				found(i+1, vend, value)
			}
			i = vend
		default:
			i++
		}
	}
}

// stringEnd returns where the JSON string starting at text[i] (a quote) ends,
// past its closing quote; len(text) when it is not closed (a body cut short).
func stringEnd(text string, i int) int {
	for j := i + 1; j < len(text); j++ {
		switch text[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(text)
}

// jsonText is a JSON string literal's text, unescaped; the raw text between its
// quotes when it does not decode (a string cut short).
func jsonText(lit string) string {
	if strings.IndexByte(lit, '\\') < 0 {
		return strings.Trim(lit, `"`)
	}
	var s string
	if json.Unmarshal([]byte(lit), &s) == nil {
		return s
	}
	return strings.Trim(lit, `"`)
}

func skipBlanks(text string, i int) int {
	for ; i < len(text); i++ {
		switch text[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return i
		}
	}
	return i
}

func isFormNameByte(c byte) bool {
	return isWordByte(c) || c == '%' || c == '.' || c == '+'
}
