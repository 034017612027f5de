package redact

import (
	"slices"
	"strings"
	"sync"
)

// DefaultMaxSeen is how many credentials a Seen keeps, the newest.
const DefaultMaxSeen = 64

// maxSeenLen bounds what a Seen keeps of one credential: its start, which is
// what a scrub needs (a run that starts like it goes, as far as it follows).
const maxSeenLen = 2048

// Seen is the credentials a server has seen on earlier exchanges (a token used
// as a bearer, a password in a login body), so that a text holding one later,
// or earlier, anywhere, is scrubbed of it too: a token issued in one answer and
// used as a bearer on the next, or echoed by a third. It keeps the newest
// DefaultMaxSeen, each cut to maxSeenLen bytes; one shorter than PrefixLen is
// also an ordinary word and is not kept. Its zero value is ready; it is safe
// for concurrent use.
type Seen struct {
	// mu guards every field.
	mu       sync.Mutex
	list     []string // oldest first
	bytes    int
	scrubber *Scrubber // of list, built on first use after a change
}

// Add keeps secrets, the newest last.
func (s *Seen) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sec := range secrets {
		if len(sec) < PrefixLen {
			continue
		}
		sec = Cut(sec, maxSeenLen)
		if i := slices.Index(s.list, sec); i >= 0 {
			if i == len(s.list)-1 {
				continue // the newest already: nothing changes
			}
			s.list = slices.Delete(s.list, i, i+1)
			s.bytes -= len(sec)
		}
		s.list = append(s.list, string([]byte(sec))) // a copy: never a slice of a request
		s.bytes += len(sec)
		for len(s.list) > DefaultMaxSeen {
			s.bytes -= len(s.list[0])
			s.list = slices.Delete(s.list, 0, 1)
		}
		s.scrubber = nil
	}
}

// Len returns how many credentials s keeps, and their bytes.
func (s *Seen) Len() (n, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.list), s.bytes
}

// Scrubber returns a Scrubber of every credential s keeps.
func (s *Seen) Scrubber() *Scrubber {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scrubber == nil {
		s.scrubber = newScrubber(s.list)
	}
	return s.scrubber
}

// AddHeaderLine keeps the credentials one header line carries (its name and
// values), as Secrets finds them; a caller walks the header for its own reasons
// too (the journal, measuring it), so one walk serves both. A server calls it on
// every exchange, so it allocates nothing for credentials it has kept already
// (a client's token, request after request).
func (s *Seen) AddHeaderLine(name string, values []string) {
	if !isCredential(name) {
		return
	}
	auth := strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Proxy-Authorization")
	cookie := strings.EqualFold(name, "Cookie") || strings.EqualFold(name, "Set-Cookie")
	for _, v := range values {
		v = strings.TrimSpace(v)
		switch j := strings.IndexAny(v, " \t"); {
		case cookie:
			s.Add(cookieValues(v)...)
		case auth && j >= 0:
			scheme, cred := v[:j], strings.TrimSpace(v[j+1:])
			if strings.EqualFold(scheme, "Basic") {
				s.Add(credentialsOf(scheme, cred)...)
			} else {
				s.Add(cred)
			}
		default:
			s.Add(v)
		}
	}
}
