package mock

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/redact"
)

// This file is the order every request goes through, top to bottom:
//
//	ServeHTTP: bound the body, answer, check (strict), wait, write, record
//	answer:    refuse a target too long; what is not the API (preflight, the
//	           contract, admin), else api
//	api:       route (or the remembered verdict), refuse an app id too long,
//	           authorize once, read a create's body, Prefer, validate (unless
//	           remembered), handle
//
// Every failure on the way is an error that fail turns into the API's envelope
// through the one table in errors.go.

// route is what routing and validation learned of a request: its operation, path
// parameters and, for a list, the page asked for. The verdict memory keeps it.
type route struct {
	route  *routers.Route
	opID   string
	params map[string]string // shared with the verdict memory: read only
	page   int64
	limit  int
}

// answer is a complete response, built before anything is written, so strict mode
// can check it and a panic can still be answered in the envelope.
type answer struct {
	status      int
	body        []byte
	contentType string
	opID        string
	problem     string        // what was wrong with the request, for the journal and log
	applied     string        // Preference-Applied, but for a delay
	delay       time.Duration // a Prefer delay, honoured when a slot is free
	preflight   bool
	pooled      bool // body came from getBuffer and goes back after writing
	route       *routers.Route
	params      map[string]string
	header      http.Header      // more headers to send (admin, faults)
	serve       http.HandlerFunc // writes the answer itself (live feed, faults)
	fault       *injected        // a fault rule that fired (faults.go)
	injected    string           // what the fault did, for the journal and log
	faultDelay  time.Duration    // a fault's latency
}

// ServeHTTP answers one request; every answer but a CORS preflight is a JSON
// envelope, whatever happens.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// A body past the cap makes net/http close the connection after the answer,
	// the way clients expect (they then read the 422 rather than a reset). A
	// request without one (net/http says so with NoBody) has nothing to wrap.
	var body *bodyTap
	if r.Body == nil {
		r.Body = http.NoBody // a request built in-process
	}
	if r.Body != http.NoBody {
		body = s.tapBody(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
		r.Body = body
	}
	a := s.answer(r)
	if s.cfg.Strict && a.injected == "" {
		s.check(r, &a)
	}
	if body != nil {
		// Read what is left of the body before answering: net/http would
		// otherwise drain it after the handler, a drain that can race the next
		// request.
		_, _ = io.Copy(io.Discard, body)
	}
	// A create's body is no longer needed; a delayed answer must not keep it.
	r.Body, r.GetBody = http.NoBody, nil
	s.wait(r, &a)
	s.header(w, r, &a)
	// Journaled and logged before the client has the answer, so whoever reads
	// the journal after an answer (or a cut) finds it there.
	s.record(w, r, a, body, start)
	s.send(w, r, a)
	if a.pooled {
		putBuffer(a.body)
	}
}

// answer builds the answer to r, in the envelope even if a handler panics.
func (s *Server) answer(r *http.Request) (a answer) {
	defer func() {
		if v := recover(); v != nil {
			sc, method, path := shown(r, r.URL.RequestURI())
			s.cfg.Logger.Error("handler panicked", "method", method, "path", path,
				"panic", sc.Scrub(fmt.Sprint(v)), "stack", string(debug.Stack()))
			a = s.fail("", errPanic)
		}
	}()
	if len(r.RequestURI) > MaxTargetLength || len(r.URL.RawQuery)+len(r.URL.Path) > MaxTargetLength {
		return s.fail("", errTargetLong)
	}
	switch {
	case r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "":
		return answer{status: http.StatusNoContent, preflight: true}
	case r.URL.Path == "/openapi.yaml" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		return answer{status: http.StatusOK, body: contactkit.Contract(), contentType: "application/yaml"}
	case isAdminPath(r.URL.Path):
		return s.admin(r)
	}
	a = s.api(r)
	if s.breakAnswer != nil {
		s.breakAnswer(&a)
	}
	if a.fault != nil {
		s.applyFault(&a)
	}
	return a
}

// api answers a request to the contract's operations.
func (s *Server) api(r *http.Request) answer {
	// 1. Route: a verdict remembered for this very method and target, or the
	// contract's router.
	key, remember := s.verdicts.key(r)
	var rt route
	judged := false
	if remember {
		rt, judged = s.verdicts.get(key)
	}
	if !judged {
		found, params, err := s.verdicts.findRoute(s.spec.Router, r, key, remember)
		if err != nil {
			return s.fail("", errNoRoute)
		}
		rt = route{route: found, opID: found.Operation.OperationID, params: params}
	}
	var fault *injected
	done := func(a answer) answer {
		a.opID, a.route, a.params, a.fault = rt.opID, rt.route, rt.params, fault
		return a
	}

	// 2. An app id no app can have: refused before it costs anything.
	if len(rt.params["appId"]) > MaxAppIDLength {
		return done(s.fail(rt.opID, errAppIDLong))
	}

	// 3. Authorize, once: a 403 comes before any other answer, and earns no delay.
	if err := s.authorize(r, rt.params["appId"]); err != nil {
		return done(s.fail(rt.opID, err))
	}

	// 3b. A fault rule (faults.go) may fire, after the bearer check so a client
	// without a token cannot spend one. A status or a cut answers instead of the
	// API, before anything is stored; a body or latency fault changes the answer.
	if fault = s.faults.pick(rt.opID, rt.params["appId"], r.Method); fault.preempts() {
		return done(answer{})
	}

	// 4. The body: only a create has one, read within the memory budget. What
	// kin-openapi cannot word (too large, cut off, not UTF-8, not JSON) is refused
	// here.
	if rt.opID == contactkit.OpCreateContacts {
		held, err := s.readCreate(r)
		defer s.budget.Give(held)
		if err != nil {
			return done(s.fail(rt.opID, err))
		}
	} else {
		setBody(r, nil) // kin-openapi would read any other body whole, for nothing
	}

	// 5. Prefer: a documented example instead of the real answer, and a delay.
	pref := parsePrefer(r.Header.Values("Prefer"), s.cfg.MaxDelay)
	if pref.forces() {
		if a, ok := s.preferred(rt.opID, pref); ok {
			return done(s.withDelay(a, pref))
		}
	}

	// 6. Validate against the contract, unless this request was judged before.
	if !judged {
		if err := s.validate(r, &rt); err != nil {
			return done(s.withDelay(s.fail(rt.opID, err), pref))
		}
		if remember && rt.opID != contactkit.OpCreateContacts {
			s.verdicts.put(key, rt)
		}
	}

	// 7. Handle: the store, and the answer encoded.
	return done(s.withDelay(s.handle(r, &rt), pref))
}

// validate judges r by the contract through kin-openapi and, for a list, reads the
// page and limit it judged.
func (s *Server) validate(r *http.Request, rt *route) error {
	// The query is decoded once, here, and kin-openapi judges these values.
	query, queryErr := url.ParseQuery(r.URL.RawQuery)
	input := &openapi3filter.RequestValidationInput{
		Request:     r,
		PathParams:  rt.params,
		QueryParams: query,
		Route:       rt.route,
		Options:     &s.reqOpts,
	}
	if err := openapi3filter.ValidateRequest(r.Context(), input); err != nil {
		err = s.words.requestFailure(err)
		var invalid *invalidError
		if errors.As(err, &invalid) {
			// The contract found something wrong; add what only the mock checks,
			// so the client hears of every invalid field at once.
			if value, ok := decodeAny(r); ok {
				s.words.checkRows(value, s.cfg.MaxNameLength, invalid)
			}
		}
		return err
	}
	if rt.opID != contactkit.OpListContacts {
		return nil // other operations have no query parameters to read
	}
	if queryErr != nil {
		return errBadQuery // a pair that does not decode may have been a page or limit
	}
	var err error
	if rt.page, err = validatedInt(query, "page", s.spec.Paging.Page); err != nil {
		return err
	}
	limit, err := validatedInt(query, "limit", s.spec.Paging.Limit)
	rt.limit = int(limit)
	return err
}

// validatedInt returns the integer kin-openapi judged for a query parameter: the
// first non-empty value it decoded (as its form decoder picks it), or the
// contract's default when there is none. kin-openapi parsed the same string with
// the same strconv.ParseInt, so only a parameter the contract does not bound could
// fail here.
func validatedInt(query url.Values, name string, b contactkit.Bounds) (int64, error) {
	values := query[name]
	raw := ""
	for _, v := range values {
		if v != "" {
			raw = v
			break
		}
	}
	if raw == "" {
		return b.Default, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, &pagingError{param: name}
	}
	return n, nil
}

// withDelay asks for any Prefer delay; wait honours it if it can.
func (s *Server) withDelay(a answer, p prefer) answer {
	a.delay = p.delay
	return a
}

// fail answers err in the envelope its status calls for: the docs' sentence for
// opID, and a 422's fields.
func (s *Server) fail(opID string, err error) answer {
	status, problem, fields := classify(err, &s.cfg)
	if status == http.StatusInternalServerError {
		opID = "" // the contract documents no 500: the shared envelope
	}
	a := s.envelope(opID, status)
	if fields != nil {
		a = withErrors(a, fields)
	}
	a.problem = problem
	return a
}

// wait holds the answer for --latency plus any Prefer delay, or until the client
// goes away. A Prefer delay takes one of cfg.MaxDelayed slots, so the memory that
// waiting requests pin stays bounded; with none free the delay is not honoured
// and Preference-Applied does not claim it.
func (s *Server) wait(r *http.Request, a *answer) {
	if a.delay > 0 || a.faultDelay > 0 {
		select {
		case s.delayed <- struct{}{}:
			defer func() { <-s.delayed }()
			if a.delay > 0 {
				a.applied = joinApplied(a.applied, "delay="+strconv.FormatInt(a.delay.Milliseconds(), 10))
			}
		default:
			a.delay, a.faultDelay = 0, 0
		}
	}
	if delay := s.cfg.Latency + a.delay + a.faultDelay; delay > 0 {
		s.cfg.sleep(r.Context(), delay)
	}
}

// header sets a's headers. They are set on the map directly, with shared value
// slices: net/http only reads them, and canonicalizing and allocating per request
// shows up under load.
func (s *Server) header(w http.ResponseWriter, r *http.Request, a *answer) {
	h := w.Header()
	s.cors.write(h, r, a)
	if isAdminPath(r.URL.Path) {
		adminHeaders(h)
	}
	for k, v := range a.header {
		h[k] = v
	}
	if a.serve != nil {
		return // it writes the rest itself
	}
	if a.applied != "" {
		h.Set("Preference-Applied", a.applied)
	}
	if a.body != nil {
		if a.contentType == "" {
			h["Content-Type"] = hdrJSON
		} else {
			h["Content-Type"] = []string{a.contentType}
		}
		h["Content-Length"] = []string{strconv.Itoa(len(a.body))}
	}
}

// send writes a, its headers set.
func (s *Server) send(w http.ResponseWriter, r *http.Request, a answer) {
	if a.serve != nil {
		a.serve(w, r)
		return
	}
	w.WriteHeader(a.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.body)
	}
}

var (
	hdrVary = []string{"Origin"}
	hdrJSON = []string{"application/json"}
)

// shown is a request's method and target as the log shows them, as the journal
// does: clipped, credentials in the query masked, and the request's own token
// taken out wherever the client put it. sc scrubs anything else logged of it.
func shown(r *http.Request, uri string) (sc *redact.Scrubber, method, path string) {
	sc = redact.NewScrubber(redact.Secrets(r.Header)...)
	path, _ = sc.Clip(redact.Query(uri), maxJournalPath, false)
	method, _ = sc.Clip(r.Method, maxJournalMethod, false)
	return sc, method, path
}

// record logs the request and puts it in the journal.
func (s *Server) record(w http.ResponseWriter, r *http.Request, a answer, body *bodyTap, start time.Time) {
	took := time.Since(start)
	// The request line as the client sent it; URL.RequestURI would rebuild it.
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI() // a request built in-process, not read off the wire
	}
	if !isAdminPath(r.URL.Path) {
		s.journalAdd(w, r, &a, body, uri, start, took)
	}
	ctx := r.Context()
	if !s.cfg.Logger.Enabled(ctx, slog.LevelInfo) {
		return
	}
	_, method, path := shown(r, uri)
	attrs := []slog.Attr{
		slog.String("method", method),
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
	if a.injected != "" {
		attrs = append(attrs, slog.String("injected", a.injected))
	}
	s.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
