package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/journal"
	"github.com/contactkit/contactkit/serve"
	"github.com/contactkit/contactkit/store/memory"
)

var _ http.Handler = (*Server)(nil)

// Server is the mock: an http.Handler over the contract and a Store.
// Serve it with Start and Shutdown, or mount it anywhere (httptest.NewServer).
type Server struct {
	cfg     Config
	spec    *contactkit.Spec
	store   Store
	budget  *budget
	journal *journal.Journal
	// delayed holds a token per request waiting out a Prefer delay.
	delayed  chan struct{}
	verdicts *verdicts // nil when the contract rules it out
	answers  *answers
	started  time.Time
	cors     cors
	zone     zone // cfg.Zone, its offset read once when fixed

	// The fixture (data.go, faults.go, admin.go, journal.go): the data file's
	// apps, the fault rules, the apps served, what the journal keeps.
	data        *Data
	faults      *faults
	seen        seenApps
	keepJournal bool
	journalBody int
	secrets     []string // scrubbed from the journal besides what requests carry
	loopback    bool     // cfg.Addr is loopback only: admin answers loopback names only

	reqOpts  openapi3filter.Options
	respOpts openapi3filter.Options
	// fallback is the route answers that match no operation are checked against
	// in strict mode: every operation's 403 and 404 are the same envelope.
	fallback *routers.Route
	// prefixes holds each answer's opening, `{"statusCode":..,"code":..,"message":..`,
	// by operation and status; "" is for answers that match no operation.
	prefixes map[string]map[int][]byte
	examples map[string][]example
	words    *words // the API's words for a bad create that the contract gives

	// breakAnswer lets tests break an answer to prove strict mode catches it.
	breakAnswer func(*answer)

	// mu guards srv, set once by Start.
	mu  sync.Mutex
	srv *serve.Server
}

// example is a named example of an operation's documented response.
type example struct {
	status int
	name   string
	body   []byte
}

// New builds a Server from cfg, its zero fields set to the Default* values.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.Contacts > cfg.MaxContacts {
		return nil, fmt.Errorf("contacts %d exceed the cap of %d per app", cfg.Contacts, cfg.MaxContacts)
	}
	if need := int64(cfg.Contacts) * memory.ContactCost; cfg.Store == DefaultStore && need > cfg.MaxMemory {
		return nil, fmt.Errorf("contacts %d need about %d MiB per app, more than the memory budget of %d MiB",
			cfg.Contacts, need>>20, cfg.MaxMemory>>20)
	}
	for token, apps := range cfg.Auth {
		if token == "" || len(apps) == 0 {
			return nil, errors.New("auth: every token must name at least one app")
		}
		for _, app := range apps {
			if app == "" || len(app) > MaxAppIDLength {
				return nil, fmt.Errorf("auth: a token names an app id that is empty or longer than %d bytes", MaxAppIDLength)
			}
		}
	}
	spec := cfg.Spec
	if spec == nil {
		var err error
		if spec, err = contactkit.LoadSpec(); err != nil {
			return nil, err
		}
	}
	b := newBudget(cfg.MaxMemory)
	store, err := newStore(cfg, b)
	if err != nil {
		return nil, err
	}
	list := spec.Op(contactkit.OpListContacts)
	s := &Server{
		cfg:     cfg,
		spec:    spec,
		store:   store,
		budget:  b,
		delayed: make(chan struct{}, cfg.MaxDelayed),
		answers: newAnswers(),
		started: time.Now(),
		zone:    newZone(cfg.Zone),
		faults:  newFaults(cfg.Seed),
		fallback: &routers.Route{Spec: spec.Doc, Path: list.Path, PathItem: spec.Doc.Paths.Value(list.Path),
			Method: list.Method, Operation: list.Operation},
	}
	if s.verdicts, err = newVerdicts(spec); err != nil {
		cfg.Logger.Info("verdict memory off: every request is validated in full", "reason", err.Error())
	}
	if err := s.fixture(&cfg); err != nil {
		return nil, err
	}
	s.reqOpts = openapi3filter.Options{
		MultiError: true,
		// The pipeline checks the bearer token itself, once, before validation.
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: contactkit.SchemaOptions(),
		SkipSettingDefaults:     true,
		KeepValidatedValue:      true,
	}
	s.respOpts = openapi3filter.Options{
		MultiError:              true,
		IncludeResponseStatus:   true,
		SchemaValidationOptions: contactkit.SchemaOptions(),
	}
	if err := s.readContract(); err != nil {
		return nil, err
	}
	w, err := readWords(spec)
	if err != nil {
		return nil, err
	}
	s.words = &w
	return s, nil
}

// readContract takes each operation's envelope openings and named examples from the
// contract, once, so no request pays for it. Examples go through encoding/json.
func (s *Server) readContract() error {
	s.prefixes = map[string]map[int][]byte{"": {}}
	s.examples = map[string][]example{}
	for _, op := range s.spec.Ops() {
		byStatus := map[int][]byte{}
		for _, status := range op.Statuses {
			msg := op.Message(status)
			if msg == "" {
				return fmt.Errorf("contract: %s %d has no docs message", op.ID, status)
			}
			byStatus[status] = contactkit.AppendEnvelope(nil, status, s.spec.Word(status), msg)
			s.prefixes[""][status] = byStatus[status]
			resp := op.Operation.Responses.Status(status)
			if resp == nil || resp.Value == nil {
				continue
			}
			media := resp.Value.Content.Get("application/json")
			if media == nil {
				continue
			}
			for name, ex := range media.Examples {
				if ex.Value == nil {
					continue
				}
				body, err := json.Marshal(ex.Value.Value)
				if err != nil {
					return fmt.Errorf("contract: example %s of %s %d: %w", name, op.ID, status, err)
				}
				s.examples[op.ID] = append(s.examples[op.ID], example{status: status, name: name, body: body})
			}
		}
		s.prefixes[op.ID] = byStatus
	}
	// The shared 404 and 403 are the list's.
	for status, p := range s.prefixes[contactkit.OpListContacts] {
		s.prefixes[""][status] = p
	}
	// The two answers outside the contract that the mock gives of itself.
	for status, msg := range map[int]string{
		http.StatusInternalServerError: "The mock could not answer as its contract says.",
		http.StatusServiceUnavailable:  "The mock's store is unavailable; try again shortly.",
	} {
		s.prefixes[""][status] = contactkit.AppendEnvelope(nil, status, s.spec.Word(status), msg)
	}
	for _, exs := range s.examples {
		sortExamples(exs)
	}
	return nil
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

// buffers recycles answer bodies: a list page is a few kilobytes per request.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuffer() []byte { return (*buffers.Get().(*[]byte))[:0] }

func putBuffer(b []byte) {
	if cap(b) > 64<<10 {
		return // let a rare huge one go
	}
	buffers.Put(&b)
}

// check validates a against the contract; an answer that breaks it is logged and
// replaced by a 500 envelope, the one 5xx the mock sends.
func (s *Server) check(r *http.Request, a *answer) {
	if a.body == nil || a.contentType != "" || strings.HasPrefix(r.URL.Path, "/__admin/") ||
		a.status == http.StatusServiceUnavailable {
		return // preflight, the contract itself, admin, an outage: not the contract's answers
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: a.params, Route: a.route, Options: &s.reqOpts}
	if a.route == nil {
		in.Route, in.PathParams = s.fallback, nil
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
		sc, method, path := shown(r, r.URL.RequestURI())
		s.cfg.Logger.Error("strict: answer breaks the contract", "method", method, "path", path,
			"operation", a.opID, "status", a.status, "error", sc.Scrub(err.Error()))
		broken := s.fail("", errBrokenReply)
		broken.opID = a.opID
		*a = broken
	}
}

// Start listens on cfg.Addr at once, so a bad or busy address fails here, and
// serves in a goroutine until Shutdown (package serve, as the proxy does).
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("mock: already started")
	}
	srv, err := serve.Start(serve.Config{
		Addr:              s.cfg.Addr,
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		MaxConns:          s.cfg.MaxConns,
		Logger:            s.cfg.Logger,
	})
	if err != nil {
		return err
	}
	s.srv = srv
	return nil
}

// Addr returns the address Start listens on (with the real port when cfg.Addr
// asked for port 0), or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	return s.srv.Addr()
}

// Shutdown stops accepting connections and waits, until ctx is done, for requests in
// flight to finish. It returns why serving stopped, if not by Shutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	var err error
	s.journal.Close() // live feeds end, or Shutdown would wait for them
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	// The store's connections go too (Redis's), whether or not Start served them.
	return errors.Join(err, s.store.Close())
}

// Reset puts every app back to its data file's or seeded state, and the fault
// rules to those of Config, as POST /__admin/reset does.
func (s *Server) Reset() {
	if err := s.reset(context.Background()); err != nil {
		s.cfg.Logger.Error("reset failed", "error", err.Error())
	}
}
