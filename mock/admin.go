package mock

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Journal bounds: a path or a problem longer than these is clipped, so the
// journal's memory stays bounded whatever clients send.
const (
	maxJournalMethod  = 16
	maxJournalPath    = 512
	maxJournalProblem = 1024
)

// entry is one request in the journal.
type entry struct {
	Time        time.Time `json:"time"`
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	OperationID string    `json:"operation_id,omitempty"`
	Status      int       `json:"status"`
	DurationMs  float64   `json:"duration_ms"`
	Problem     string    `json:"problem,omitempty"`
}

// journal is a ring of the most recent requests.
type journal struct {
	// mu guards every field below.
	mu    sync.Mutex
	ring  []entry
	next  int
	full  bool
	total int64
}

func newJournal(size int) *journal {
	return &journal{ring: make([]entry, size)}
}

// add keeps e. Its strings are copied: the request's are slices of the whole
// request line, which would otherwise stay in memory with them (a 60 KB method
// behind a 13-byte path).
func (j *journal) add(e entry) {
	if len(j.ring) == 0 {
		return
	}
	e.Method = ownMethod(e.Method)
	e.Path = strings.Clone(e.Path)
	e.Problem = strings.Clone(e.Problem)
	j.mu.Lock()
	j.ring[j.next] = e
	j.next++
	j.total++
	if j.next == len(j.ring) {
		j.next, j.full = 0, true
	}
	j.mu.Unlock()
}

// ownMethod returns method as a string of its own, shared for the methods of HTTP.
func ownMethod(method string) string {
	for _, m := range knownMethods {
		if m == method {
			return m
		}
	}
	return strings.Clone(method)
}

var knownMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete,
	http.MethodHead, http.MethodOptions, http.MethodPatch}

// entries returns a copy of the journal, oldest first.
func (j *journal) entries() []entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.full {
		return append([]entry(nil), j.ring[:j.next]...)
	}
	out := make([]entry, 0, len(j.ring))
	out = append(out, j.ring[j.next:]...)
	return append(out, j.ring[:j.next]...)
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.ring)
	j.next, j.full = 0, false
}

// admin answers /__admin/: reset, the journal, health. Its answers use the API's
// envelope too, so a client can treat every answer alike.
func (s *Server) admin(r *http.Request) answer {
	if !s.adminAllowed(r) {
		return s.fail("", errAdminToken)
	}
	switch r.Method + " " + r.URL.Path {
	case "POST /__admin/reset":
		if err := s.store.Reset(r.Context()); err != nil {
			return s.fail("", err)
		}
		return s.envelope("", http.StatusOK)
	case "GET /__admin/requests":
		return s.adminData(s.journal.entries())
	case "DELETE /__admin/requests":
		s.journal.clear()
		return s.envelope("", http.StatusOK)
	case "GET /__admin/health":
		apps, err := s.store.Apps(r.Context())
		if err != nil {
			return s.fail("", err)
		}
		return s.adminData(map[string]any{
			"status":    "ok",
			"apps":      apps,
			"uptime_ms": time.Since(s.started).Milliseconds(),
		})
	}
	return s.fail("", errNoRoute)
}

// adminData answers 200 with data in the envelope.
func (s *Server) adminData(data any) answer {
	body, err := json.Marshal(data)
	if err != nil {
		return s.fail("", err)
	}
	b := append([]byte(nil), s.prefix("", http.StatusOK)...)
	b = append(b, `,"data":`...)
	b = append(b, body...)
	return answer{status: http.StatusOK, body: append(b, '}')}
}
