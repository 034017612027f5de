package mock

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/contactkit/contactkit/journal"
	"github.com/contactkit/contactkit/serve"
)

// The journal is the shared package journal (the proxy keeps its own with it):
// each exchange with its headers and bodies, bounded, the token shown as
// "Bearer ***", the verdict, filters and a live feed. This file hands it what a
// request went through.

// ownMethod returns method as a string of its own, shared for the methods of HTTP:
// the request's is a slice of the whole request line, which would otherwise stay
// in memory with it.
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

// Bounds of what the log line keeps of a request: the journal bounds its own.
const (
	maxJournalMethod  = 16
	maxJournalPath    = 512
	maxJournalProblem = 1024
)

// bodyTap keeps the start of a request body as it is read, for the journal, and
// counts all of it. It allocates only when a body is read.
type bodyTap struct {
	io.ReadCloser
	keep []byte
	max  int
	n    int64
}

// tapBody wraps a request body so the journal sees what was read of it.
func (s *Server) tapBody(body io.ReadCloser) *bodyTap {
	return &bodyTap{ReadCloser: body, max: s.journalBody}
}

func (t *bodyTap) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.n += int64(n)
	if room := t.max - len(t.keep); room > 0 && n > 0 {
		t.keep = append(t.keep, p[:min(n, room)]...)
	}
	return n, err
}

// kept returns the start of the body kept and the body's full size; a nil tap
// is a request without a body.
func (t *bodyTap) kept() (keep []byte, size int64) {
	if t == nil {
		return nil, 0
	}
	return t.keep, t.n
}

// journalAdd puts the exchange in the journal, with the contract's verdict on it.
func (s *Server) journalAdd(w http.ResponseWriter, r *http.Request, a *answer, body *bodyTap, uri string,
	start time.Time, took time.Duration) {
	if a.status >= 200 && a.status < 300 {
		s.seen.note(a.params["appId"])
	}
	if !s.keepJournal {
		return
	}
	kept, size := body.kept()
	x := journal.Exchange{
		Time:             start,
		Duration:         took,
		Method:           r.Method,
		URI:              uri,
		OperationID:      a.opID,
		App:              a.params["appId"],
		Status:           a.status,
		RequestHeader:    r.Header,
		RequestBody:      kept,
		RequestBodySize:  size,
		RequestTruncated: int64(len(kept)) < size,
		ResponseHeader:   w.Header(),
		ResponseBody:     a.body,
		Injected:         a.injected,
		Problem:          a.problem,
		Secrets:          s.secrets,
	}
	if a.serve != nil && a.status == 0 {
		x.ResponseHeader, x.ResponseBody = nil, nil // cut: nothing was sent
	}
	if v := s.verdict(a); v != nil {
		x.Violations = []journal.Violation{*v}
	}
	s.journal.Keep(x) // x's header maps are the request's and this answer's: never changed after
}

// verdict is what the contract says of the exchange, the mock's answers being
// the contract's by construction: a request it refuses (a bad parameter or body,
// or no operation at all), or, in strict mode, an answer that broke it.
func (s *Server) verdict(a *answer) *journal.Violation {
	switch {
	case a.fault != nil && (a.fault.preempts() || a.fault.rule.Body != ""),
		strings.HasPrefix(a.problem, "Prefer "):
		return nil // not the mock's answer but a fault's (said in injected), or Prefer's
	case a.problem == errBrokenReply.Error():
		return &journal.Violation{Check: "answer", Message: "the mock's answer broke the contract; a 500 went instead"}
	case a.problem == errNoRoute.Error():
		return &journal.Violation{Check: "request", Message: "no operation of the contract has this method and path"}
	case a.status == http.StatusBadRequest || a.status == http.StatusUnprocessableEntity:
		return &journal.Violation{Check: "request", Message: "the contract refuses this request: " + a.problem}
	}
	return nil
}

// adminHeaders are sent with every admin answer: never sniffed into a script or
// embedded by another origin, never cached.
func adminHeaders(h http.Header) {
	h["X-Content-Type-Options"] = hdrNoSniff
	h["Cross-Origin-Resource-Policy"] = hdrSameOrigin
	h["Cache-Control"] = hdrNoStore
}

var (
	hdrNoSniff    = []string{"nosniff"}
	hdrSameOrigin = []string{"same-origin"}
	hdrNoStore    = []string{"no-store"}
)

// fixture sets up what makes the mock a test fixture: the journal, the CORS
// policy, the fault rules and the data file's apps.
func (s *Server) fixture(cfg *Config) error {
	s.loopback = serve.ListensOnLoopback(cfg.Addr)
	s.keepJournal = cfg.JournalSize > 0
	s.journal = journal.New(journal.Config{MaxEntries: max(cfg.JournalSize, 1)})
	s.journalBody = journal.DefaultMaxBody
	if cfg.AdminToken != "" {
		s.secrets = []string{cfg.AdminToken}
	}
	var methods []string
	for _, op := range s.spec.Ops() {
		if !slices.Contains(methods, op.Method) {
			methods = append(methods, op.Method)
		}
	}
	s.cors = newCORS(cfg, methods)
	for i := range cfg.Faults {
		if err := cfg.Faults[i].check(s.spec, cfg.MaxDelay); err != nil {
			return fmt.Errorf("fault %d: %w", i+1, err)
		}
	}
	if err := s.faults.set(cfg.Faults); err != nil {
		return err
	}
	if cfg.DataFile == "" {
		return nil
	}
	var err error
	if s.data, err = readDataFile(cfg.DataFile, cfg, s.spec); err != nil {
		return err
	}
	return s.applyData(context.Background(), s.store.ReplaceIfNew)
}

// applyData gives each of the data file's apps exactly its contacts, through
// replace: Store.Replace on a reset, Store.ReplaceIfNew at start (a Redis that
// outlived the process keeps what it holds, so a restart or a deploy loses
// nothing). Other apps are untouched (a shared store's included).
func (s *Server) applyData(ctx context.Context, replace func(context.Context, string, []Contact) error) error {
	if s.data == nil {
		return nil
	}
	for _, app := range s.data.order {
		if err := replace(ctx, app, s.data.apps[app]); err != nil {
			return fmt.Errorf("data file: app %s: %w", app, err)
		}
	}
	return nil
}
