package mock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/contactkit/contactkit"
)

var _ http.Handler = (*Server)(nil)

// Server is the mock: an http.Handler over the contract and an in-memory store.
// Serve it with Start and Shutdown, or mount it anywhere (httptest.NewServer).
type Server struct {
	cfg      Config
	doc      *openapi3.T
	router   routers.Router
	store    *store
	journal  *journal
	verdicts verdicts
	started  time.Time
	// corsOrigin is cfg.CORSOrigin as a header value.
	corsOrigin []string

	reqOpts  openapi3filter.Options
	respOpts openapi3filter.Options
	// fallback is the route answers that match no operation are checked against
	// in strict mode: every operation's 403 and 404 are the same envelope.
	fallback *routers.Route
	// prefixes holds each answer's opening, `{"statusCode":..,"code":..,"message":..`,
	// by operation and status; "" is for answers that match no operation.
	prefixes map[string]map[int][]byte
	examples map[string][]example

	// breakAnswer lets tests break an answer to prove strict mode catches it.
	breakAnswer func(*answer)

	// mu guards http, set once by Start.
	mu   sync.Mutex
	http *http.Server
	ln   net.Listener
	done chan error
}

// example is a named example of an operation's documented response.
type example struct {
	status int
	name   string
	body   []byte
}

// answer is a complete response, built before anything is written, so strict mode
// can check it and a panic can still be answered in the envelope.
type answer struct {
	status      int
	body        []byte
	contentType string
	opID        string
	problem     string // what was wrong with the request, for the journal and log
	applied     string // Preference-Applied
	delay       time.Duration
	preflight   bool
	pooled      bool // body came from getBuffer and goes back after writing
	input       *openapi3filter.RequestValidationInput
}

// New builds a Server from cfg, its zero fields set to the Default* values.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.Contacts > cfg.MaxContacts {
		return nil, fmt.Errorf("contacts %d exceed the cap of %d per app", cfg.Contacts, cfg.MaxContacts)
	}
	for token, apps := range cfg.Auth {
		if token == "" || len(apps) == 0 {
			return nil, fmt.Errorf("auth: token %q must name at least one app", token)
		}
		for _, app := range apps {
			if app == "" {
				return nil, fmt.Errorf("auth: token %q names an empty app id", token)
			}
		}
	}
	doc, err := contactkit.Load()
	if err != nil {
		return nil, err
	}
	router, err := contactkit.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		doc:     doc,
		router:  router,
		store:   newStore(cfg),
		journal: newJournal(cfg.JournalSize),
		started: time.Now(),
	}
	s.corsOrigin = []string{cfg.CORSOrigin}
	s.reqOpts = openapi3filter.Options{
		MultiError:              true,
		AuthenticationFunc:      s.authenticate,
		SchemaValidationOptions: contactkit.SchemaOptions(),
		SkipSettingDefaults:     true,
		KeepValidatedValue:      true,
	}
	s.respOpts = openapi3filter.Options{
		MultiError:              true,
		IncludeResponseStatus:   true,
		SchemaValidationOptions: contactkit.SchemaOptions(),
	}
	probe, _ := http.NewRequest(http.MethodGet, "/contacts/app", nil)
	if s.fallback, _, err = router.FindRoute(probe); err != nil {
		return nil, fmt.Errorf("contract has no list route: %w", err)
	}
	if err := s.readContract(); err != nil {
		return nil, err
	}
	return s, nil
}

// readContract takes each operation's envelope openings and named examples from the
// contract, once, so no request pays for it.
func (s *Server) readContract() error {
	s.prefixes = map[string]map[int][]byte{"": {}}
	s.examples = map[string][]example{}
	for _, item := range s.doc.Paths.Map() {
		for _, op := range item.Operations() {
			byStatus := map[int][]byte{}
			for code, resp := range op.Responses.Map() {
				status, err := strconv.Atoi(code)
				if err != nil || resp.Value == nil {
					continue
				}
				msg := contactkit.DocsMessage(s.doc, op.OperationID, status)
				if msg == "" {
					return fmt.Errorf("contract: %s %d has no docs message", op.OperationID, status)
				}
				byStatus[status] = envelopePrefix(status, contactkit.Code(status), msg)
				s.prefixes[""][status] = byStatus[status]
				media := resp.Value.Content.Get("application/json")
				if media == nil {
					continue
				}
				for name, ex := range media.Examples {
					if ex.Value == nil {
						continue
					}
					body, err := appendOrdered(nil, ex.Value.Value)
					if err != nil {
						return fmt.Errorf("contract: example %s of %s %d: %w", name, op.OperationID, status, err)
					}
					s.examples[op.OperationID] = append(s.examples[op.OperationID], example{status: status, name: name, body: body})
				}
			}
			s.prefixes[op.OperationID] = byStatus
		}
	}
	// The shared 404 and 403 must be the list's, whatever order the map gave.
	for status, p := range s.prefixes[contactkit.OpListContacts] {
		s.prefixes[""][status] = p
	}
	s.prefixes[""][http.StatusInternalServerError] = envelopePrefix(http.StatusInternalServerError,
		"INTERNAL_SERVER_ERROR", "The mock could not answer as its contract says.")
	for _, exs := range s.examples {
		sortExamples(exs)
	}
	return nil
}

func envelopePrefix(status int, code, msg string) []byte {
	b := []byte(`{"statusCode":`)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"code":`...)
	b = appendString(b, code)
	b = append(b, `,"message":`...)
	return appendString(b, msg)
}

// prefix returns the envelope opening for opID's answer with status, falling back
// to the shared one when the operation does not document it.
func (s *Server) prefix(opID string, status int) []byte {
	if p, ok := s.prefixes[opID][status]; ok {
		return p
	}
	return s.prefixes[""][status]
}

// envelope answers status with no data: the docs' sentence for opID.
func (s *Server) envelope(opID string, status int) answer {
	b := append([]byte(nil), s.prefix(opID, status)...)
	return answer{status: status, body: append(b, '}'), opID: opID}
}

// fail answers err in the envelope its status calls for.
func (s *Server) fail(opID string, err error) answer {
	status := failure(err)
	if status == http.StatusInternalServerError {
		opID = "" // the contract documents no 500: the shared envelope
	}
	a := s.envelope(opID, status)
	var invalid *invalidError
	if errors.As(err, &invalid) {
		b := a.body[:len(a.body)-1]
		b = append(b, `,"errors":`...)
		b = appendErrors(b, invalid.fields)
		a.body = append(b, '}')
		a.problem = invalid.summary()
	} else {
		a.problem = problemText(err)
	}
	return a
}

// problemText says what went wrong without any kin-openapi wording or token.
func problemText(err error) string {
	if errors.Is(err, errPaging) {
		return err.Error() // built by pagingError from our words and a parameter name
	}
	for _, known := range []error{errNoBearer, errBadToken, errNotGranted, errAdminToken, errNoApp,
		errNoContact, errNoRoute, errBrokenReply, errPanic} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	switch {
	case errors.Is(err, routers.ErrPathNotFound), errors.Is(err, routers.ErrMethodNotAllowed):
		return errNoRoute.Error()
	case errors.Is(err, errForbidden):
		return errForbidden.Error()
	}
	return "unexpected failure"
}

// ServeHTTP answers one request; every answer but a CORS preflight is a JSON
// envelope, whatever happens.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	data, bodyErr := readBody(r.Body, s.cfg.MaxBody)
	a := s.answer(r, data, bodyErr)
	if delay := s.cfg.Latency + a.delay; delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	if s.cfg.Strict {
		s.check(r, &a)
	}
	// Headers are set on the map directly, with shared value slices: net/http only
	// reads them, and canonicalizing and allocating per request shows up under load.
	h := w.Header()
	if bodyErr != nil {
		// Part of the body is still unread: close rather than drain it.
		h["Connection"] = hdrClose
	}
	h["Access-Control-Allow-Origin"] = s.corsOrigin
	if s.cfg.CORSOrigin != "*" {
		h["Vary"] = hdrVary
	}
	if a.preflight {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Prefer")
		h.Set("Access-Control-Max-Age", "600")
	}
	if a.applied != "" {
		h["Access-Control-Expose-Headers"] = hdrExpose // so a browser may read it
		h.Set("Preference-Applied", a.applied)
	}
	if a.body != nil {
		ct := a.contentType
		if ct == "" {
			ct = "application/json"
		}
		if ct == "application/json" {
			h["Content-Type"] = hdrJSON
		} else {
			h["Content-Type"] = []string{ct}
		}
		h["Content-Length"] = []string{strconv.Itoa(len(a.body))}
	}
	w.WriteHeader(a.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.body)
	}
	if a.pooled {
		putBuffer(a.body)
	}
	s.record(r, a, start)
}

var (
	hdrClose  = []string{"close"}
	hdrExpose = []string{"Preference-Applied"}
	hdrVary   = []string{"Origin"}
	hdrJSON   = []string{"application/json"}
)

// buffers recycles answer bodies: a list page is a few kilobytes per request.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuffer() []byte { return (*buffers.Get().(*[]byte))[:0] }

func putBuffer(b []byte) {
	if cap(b) > 64<<10 {
		return // let a rare huge one go
	}
	buffers.Put(&b)
}

// answer builds the answer to r, in the envelope even if a handler panics.
func (s *Server) answer(r *http.Request, data []byte, bodyErr error) (a answer) {
	defer func() {
		if v := recover(); v != nil {
			s.cfg.Logger.Error("handler panicked", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			a = s.fail("", errPanic)
		}
	}()
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		return s.preflight()
	}
	switch {
	case r.URL.Path == "/openapi.yaml" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		return answer{status: http.StatusOK, body: contactkit.Contract(), contentType: "application/yaml"}
	case strings.HasPrefix(r.URL.Path, "/__admin/"):
		return s.admin(r)
	}
	a = s.api(r, data, bodyErr)
	if s.breakAnswer != nil {
		s.breakAnswer(&a)
	}
	return a
}

// preflight answers a CORS preflight: no body, every method and header the API uses.
func (s *Server) preflight() answer {
	return answer{status: http.StatusNoContent, preflight: true}
}

// check validates a against the contract; an answer that breaks it is logged and
// replaced by a 500 envelope, the one 5xx the mock sends.
func (s *Server) check(r *http.Request, a *answer) {
	if a.body == nil || a.contentType != "" || strings.HasPrefix(r.URL.Path, "/__admin/") {
		return // preflight, the contract itself, admin: not the contract's answers
	}
	in := a.input
	if in == nil {
		in = &openapi3filter.RequestValidationInput{Request: r, Route: s.fallback, Options: &s.reqOpts}
	}
	h := http.Header{"Content-Type": []string{"application/json"}}
	err := openapi3filter.ValidateResponse(r.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 a.status,
		Header:                 h,
		Body:                   io.NopCloser(bytes.NewReader(a.body)),
		Options:                &s.respOpts,
	})
	if err != nil {
		s.cfg.Logger.Error("strict: answer breaks the contract", "method", r.Method, "path", r.URL.Path,
			"operation", a.opID, "status", a.status, "error", err.Error())
		broken := s.fail("", errBrokenReply)
		broken.opID = a.opID
		*a = broken
	}
}

// record logs the request and puts it in the journal.
func (s *Server) record(r *http.Request, a answer, start time.Time) {
	took := time.Since(start)
	// The request line as the client sent it; URL.RequestURI would rebuild it.
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI() // a request built in-process, not read off the wire
	}
	path := clip(uri, maxJournalPath)
	if !strings.HasPrefix(r.URL.Path, "/__admin/") {
		s.journal.add(entry{
			Time:        start,
			Method:      r.Method,
			Path:        path,
			OperationID: a.opID,
			Status:      a.status,
			DurationMs:  float64(took.Microseconds()) / 1000,
			Problem:     clip(a.problem, maxJournalProblem),
		})
	}
	ctx := r.Context()
	if !s.cfg.Logger.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", path),
		slog.Int("status", a.status),
		slog.Duration("took", took),
	}
	if a.opID != "" {
		attrs = append(attrs, slog.String("operation", a.opID))
	}
	if a.applied != "" {
		attrs = append(attrs, slog.String("prefer", a.applied))
	}
	if a.problem != "" {
		attrs = append(attrs, slog.String("problem", clip(a.problem, maxJournalProblem)))
	}
	s.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Start listens on cfg.Addr at once, so a bad or busy address fails here, and
// serves in a goroutine until Shutdown.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil {
		return errors.New("mock: already started")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	s.done = make(chan error, 1)
	go func(srv *http.Server) {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}(s.http)
	return nil
}

// Addr returns the address Start listens on (with the real port when cfg.Addr
// asked for port 0), or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Shutdown stops accepting connections and waits, until ctx is done, for requests in
// flight to finish. It returns why serving stopped, if not by Shutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.http, s.done
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return <-done
}

// Reset puts every app back to its seeded state, as POST /__admin/reset does.
func (s *Server) Reset() {
	s.store.reset()
}
