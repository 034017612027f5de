package redact

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Scrubber takes a set of secrets out of text, in every form a text may carry
// them. Its zero value (and nil) scrubs nothing. It is safe for concurrent use.
type Scrubber struct {
	// groups are the forms of the long secrets by their first PrefixLen bytes:
	// a text holding none of the heads holds no long secret, and one pass per
	// head cuts every run that starts like a form.
	groups []group
	words  []string // forms of short secrets, replaced only where a credential goes
	forms  []string // every form of a long secret, longest first, for trimHead
	// heads and filter find the groups in one pass when there are many (a
	// Seen's): heads by their 8 bytes, filter a bit for each head's hash.
	heads  map[uint64]int
	filter []uint64
	// next scrubs too, after this one (With).
	next *Scrubber
}

// manyGroups is how many groups a Scrubber looks for one at a time
// (strings.Index, fast); with more it reads a text once (cutAll).
const manyGroups = 8

// group is the forms of long secrets that share their first PrefixLen bytes.
type group struct {
	head  string
	forms []string
}

// scrubbers remembers recent Scrubbers by their secrets: a server sees the same
// token on request after request, and listing its forms is the costly part.
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

// NewScrubber returns a Scrubber for secrets; an empty secret is ignored.
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
	var long []string
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		if len(sec) < PrefixLen {
			s.words = append(s.words, Forms(sec)...)
			continue
		}
		for _, f := range Forms(sec) {
			if len(f) >= PrefixLen {
				long = append(long, f)
			}
		}
	}
	s.words = sortForms(s.words)
	s.forms = sortForms(long)
	for _, f := range s.forms {
		i := slices.IndexFunc(s.groups, func(g group) bool { return g.head == f[:PrefixLen] })
		if i < 0 {
			s.groups = append(s.groups, group{head: f[:PrefixLen]})
			i = len(s.groups) - 1
		}
		s.groups[i].forms = append(s.groups[i].forms, f)
	}
	if len(s.groups) > manyGroups {
		s.heads = make(map[uint64]int, len(s.groups))
		s.filter = make([]uint64, filterBits/64)
		for i, g := range s.groups {
			k := word8(g.head, 0)
			s.heads[k] = i
			h := hash8(k)
			s.filter[h/64] |= 1 << (h % 64)
		}
	}
	return s
}

// filterBits is the size of a Scrubber's filter of heads.
const filterBits = 1 << 16

// word8 reads s[i:i+8] as a number.
func word8(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// hash8 is a head's bit in the filter.
func hash8(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> (64 - 16) }

// With returns a Scrubber that scrubs with s, then with more: a request's own
// credentials and those a server has seen (Seen), say.
func (s *Scrubber) With(more *Scrubber) *Scrubber {
	switch {
	case more.Empty():
		return s
	case s.Empty():
		return more
	}
	both := *s
	if both.next != nil {
		both.next = both.next.With(more)
	} else {
		both.next = more
	}
	return &both
}

// Forms lists the ways a secret reads once a server or a format has encoded it,
// longest first, so a longer form goes before a shorter one that starts it.
func Forms(secret string) []string {
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
	if b, err := json.Marshal(secret); err == nil {
		esc := string(b[1 : len(b)-1])
		forms = append(forms, esc, strings.ReplaceAll(esc, "/", `\/`))
	}
	var plain strings.Builder
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	if enc.Encode(secret) == nil {
		s := strings.TrimSpace(plain.String())
		forms = append(forms, s[1:len(s)-1])
	}
	// In base64 the secret's characters depend on where it starts within a group
	// of three bytes; the groups made only of its own bytes read the same
	// whatever surrounds them.
	for skip := range 3 {
		if skip >= len(secret) {
			break
		}
		rest := secret[skip:]
		whole := rest[:len(rest)/3*3]
		for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			forms = append(forms, e.EncodeToString([]byte(whole)), e.EncodeToString([]byte(rest)), strings.TrimRight(e.EncodeToString([]byte(rest)), "="))
		}
	}
	return sortForms(forms)
}

// sortForms puts forms longest first, without empty or repeated ones.
func sortForms(forms []string) []string {
	forms = slices.DeleteFunc(forms, func(f string) bool { return f == "" })
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	return slices.Compact(forms)
}

// Empty reports whether s scrubs nothing.
func (s *Scrubber) Empty() bool {
	return s == nil || len(s.groups) == 0 && len(s.words) == 0 && s.next.Empty()
}

// Scrub returns text with every secret replaced by Mask: as written, and in
// what text holds once decoded (decoded: JSON escapes, percent-encoding).
func (s *Scrubber) Scrub(text string) string {
	return s.scrub(text, 0)
}

func (s *Scrubber) scrub(text string, depth int) string {
	if s.Empty() || text == "" {
		return text
	}
	text = s.plain(text)
	if depth < maxDecodes {
		text = s.decoded(text, depth)
	}
	return text
}

// plain scrubs text of every form of every secret, as written.
func (s *Scrubber) plain(text string) string {
	for ; s != nil; s = s.next {
		if s.heads != nil {
			text = s.cutAll(text)
		} else {
			for _, g := range s.groups {
				text = g.cut(text)
			}
		}
		for _, w := range s.words {
			text = replaceCredential(text, w)
		}
	}
	return text
}

// cutAll is every group's cut in one reading of text: at each place, the 8
// bytes there are looked up among the heads (a filter first, then the map).
func (s *Scrubber) cutAll(text string) string {
	var b strings.Builder
	kept := 0
	for i := 0; i+PrefixLen <= len(text); {
		k := word8(text, i)
		if h := hash8(k); s.filter[h/64]&(1<<(h%64)) != 0 {
			if gi, ok := s.heads[k]; ok {
				end := s.groups[gi].end(text, i)
				b.WriteString(text[kept:i])
				b.WriteString(Mask)
				kept, i = end, end
				continue
			}
		}
		i++
	}
	if kept == 0 {
		return text
	}
	b.WriteString(text[kept:])
	return b.String()
}

// cut replaces every run of text that starts like one of g's forms (its first
// PrefixLen characters at least) with Mask, as far as the run follows the form
// it follows longest.
func (g group) cut(text string) string {
	return replace(text, g.head, func(s string, i int) (int, bool) { return g.end(s, i), true })
}

// end is where the run of s at i, which starts with g's head, stops following
// the form of g it follows longest.
func (g group) end(s string, i int) int {
	end := i + PrefixLen
	for _, f := range g.forms {
		n := PrefixLen
		for n < len(f) && i+n < len(s) && s[i+n] == f[n] {
			n++
		}
		end = max(end, i+n)
	}
	return end
}

// replaceCredential replaces word where it stands alone (not inside a longer
// word) in a credential's place: a short secret ("t") is also an ordinary word,
// and a report or a journal must keep those.
func replaceCredential(s, word string) string {
	return replace(s, word, func(s string, at int) (int, bool) {
		end := at + len(word)
		return end, (at == 0 || !isWordByte(s[at-1])) && (end == len(s) || !isWordByte(s[end])) && credentialBefore(s[:at])
	})
}

// maxSeparators is how many separator bytes may stand between a credential's
// name and its value: `": "` in JSON, `\":\"` in JSON within JSON.
const maxSeparators = 6

// credentialBefore reports whether what text ends with puts a credential next:
// an Authorization scheme ("Bearer t", "Basic t"), or the name of a header, a
// query parameter or a JSON field that carries one ("token=t", `"api_key":"t"`,
// "Authorization: t").
func credentialBefore(text string) bool {
	end := len(text)
	for n := 0; end > 0 && n < maxSeparators && strings.IndexByte(" \t\"'\\:=", text[end-1]) >= 0; n++ {
		end--
	}
	if end == len(text) {
		return false // the secret touches the word before it
	}
	start := end
	for start > 0 && isWordByte(text[start-1]) {
		start--
	}
	name := text[start:end]
	for _, scheme := range authSchemes {
		if strings.EqualFold(name, scheme) {
			return true
		}
	}
	return name != "" && isCredential(name)
}

// authSchemes are the Authorization schemes a credential follows.
var authSchemes = []string{"Bearer", "Basic", "Token", "Digest"}

// replace replaces with Mask each run of s that starts with head and that match
// takes, up to the end match gives; match sees the whole of s, so it can read
// what stands before the run.
func replace(s, head string, match func(s string, at int) (end int, take bool)) string {
	var b strings.Builder
	kept := 0 // s[:kept] is written
	for from := 0; ; {
		i := strings.Index(s[from:], head)
		if i < 0 {
			break
		}
		at := from + i
		end, take := match(s, at)
		if take {
			b.WriteString(s[kept:at] + Mask)
			kept = end
		}
		from = end
	}
	if kept == 0 {
		return s
	}
	return b.String() + s[kept:]
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// Clip scrubs text, then cuts it to at most n bytes (on a rune boundary); cut
// says it was cut. The input may itself be the start of a longer text
// (truncated): then a secret's beginning left at its end is dropped too, down to
// minHead characters.
func (s *Scrubber) Clip(text string, n int, truncated bool) (out string, cut bool) {
	text = s.Scrub(text)
	if len(text) > n {
		text, cut = Cut(text, n), true
	}
	if cut || truncated {
		text = s.trimHead(text)
	}
	return text, cut || truncated
}

// minHead is the shortest start of a secret trimHead drops: two characters tell
// nothing, and dropping them would eat ordinary text.
const minHead = 3

// trimHead drops the end of text when it is the start of a secret.
func (s *Scrubber) trimHead(text string) string {
	for ; s != nil; s = s.next {
		for _, f := range s.forms {
			for k := min(len(f)-1, len(text)); k >= minHead; k-- {
				if strings.HasSuffix(text, f[:k]) {
					return text[:len(text)-k]
				}
			}
		}
	}
	return text
}

// Cut cuts s to at most n bytes without splitting a UTF-8 sequence.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := max(n, 0)
	for i > 0 && i > n-4 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i]
}
