package proxy

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	cmodel "github.com/contactkit/contactkit/conformance/model"
	"github.com/contactkit/contactkit/journal"

	"github.com/contactkit/contactkit/redact"
	"github.com/contactkit/contactkit/serve"
)

// ErrConfig is what New returns, wrapped with the details, for a Config it cannot
// serve.
var ErrConfig = errors.New("bad proxy configuration")

// Server is the validating proxy. It is an http.Handler; Start and Shutdown run
// it on Config.Addr.
type Server struct {
	cfg     Config
	target  *url.URL
	spec    *contactkit.Spec
	checker *check.Checker
	// predictor is a model that knows no contact: it predicts answers from the
	// request alone (the session model judges what it knows of contacts).
	predictor *cmodel.Model
	rp        *httputil.ReverseProxy
	journal   *journal.Journal
	model     *model
	rec       *recorder
	started   time.Time
	// loopback says Config.Addr is loopback only: admin then answers loopback
	// names only (package serve's check, the mock's too).
	loopback bool

	reqVerdicts  *cache[requestVerdict]
	respVerdicts *cache[[]check.Finding]

	// mu guards the fields below.
	mu      sync.Mutex
	srv     *serve.Server
	stopRec chan struct{}
	recDone chan struct{}
}

var _ http.Handler = (*Server)(nil)

// New checks cfg and returns a Server that forwards to cfg.Target.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	target, err := parseTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	spec, err := contactkit.LoadSpec()
	if err != nil {
		return nil, fmt.Errorf("load contract: %w", err)
	}
	s := &Server{
		cfg:          cfg,
		target:       target,
		spec:         spec,
		checker:      check.New(spec),
		predictor:    cmodel.New(spec, cmodel.Config{MaxContacts: 1}),
		journal:      journal.New(cfg.Journal),
		model:        newModel(spec, cfg.MaxMemory/4),
		started:      time.Now(),
		loopback:     serve.ListensOnLoopback(cfg.Addr),
		reqVerdicts:  newCache[requestVerdict](verdictCacheSize),
		respVerdicts: newCache[[]check.Finding](verdictCacheSize),
	}
	if cfg.RecordDir != "" {
		s.rec = newRecorder(cfg.RecordDir, cfg.MaxRecordSteps, s.started, cfg.Logger)
	}
	transport := cfg.Transport
	if transport == nil {
		transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          512,
			MaxIdleConnsPerHost:   512, // one upstream: keep every connection a client load needs
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   DefaultDialTimeout,
			ResponseHeaderTimeout: cfg.Timeout,
			// The client's Accept-Encoding goes through as sent; the proxy adds none.
			DisableCompression: true,
			ForceAttemptHTTP2:  true,
		}
	}
	s.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// Path and query joined to the target's; Host becomes the target's.
			// No X-Forwarded-* headers: the request goes on as the client sent it.
			pr.SetURL(target)
		},
		Transport:      transport,
		ModifyResponse: s.modifyResponse,
		ErrorHandler:   s.errorHandler,
		ErrorLog:       slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
		BufferPool:     bufferPool{},
	}
	return s, nil
}

func parseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: target %q: want a base URL such as http://127.0.0.1:4010", ErrConfig, clip(redactURL(raw), 200))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: target %q: want a base URL with no query or fragment", ErrConfig, clip(redactURL(raw), 200))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// redactURL hides a password in a URL, as error messages and banners show it.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	return raw
}

// Journal returns the journal the proxy keeps, as /__admin/requests serves it.
func (s *Server) Journal() *journal.Journal { return s.journal }

// flight is one exchange on its way through the proxy.
type flight struct {
	start     time.Time
	method    string
	uri       string // the request line's target, as sent
	path      string
	query     url.Values
	op        string
	app       string
	contactID string
	header    http.Header // the request's

	reqBody     []byte
	reqSize     int64
	reqTooLarge bool
	reqFindings []check.Finding
	// prediction is what the docs make of the request: the answer must agree.
	prediction cmodel.Prediction

	status       int
	respHeader   http.Header
	respBody     []byte // as received, possibly compressed
	respSize     int64
	respTooLarge bool
	plain        []byte // respBody decoded, what the checks judge
	findings     []check.Finding
	replaced     bool // Strict answered a 502 instead
	problem      string

	write     *writeMark // the model's mark of a write in flight, nil for a read
	done      bool       // finish ran
	preflight bool       // a CORS preflight, not judged
}

type flightKey struct{}

func flightOf(ctx context.Context) *flight {
	f, _ := ctx.Value(flightKey{}).(*flight)
	return f
}

// ServeHTTP forwards r to the target and its answer back, judging both.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/__admin" || strings.HasPrefix(r.URL.Path, "/__admin/") {
		s.admin(w, r)
		return
	}
	f := &flight{start: time.Now(), method: r.Method, uri: r.RequestURI, path: r.URL.Path, query: r.URL.Query(), header: r.Header, reqSize: r.ContentLength}
	if f.uri == "" {
		f.uri = r.URL.RequestURI()
	}
	defer s.finish(f)

	body, err := readBody(r.Body, r.ContentLength, s.cfg.MaxBody)
	if err != nil {
		f.status, f.problem = http.StatusBadRequest, "the request body could not be read (the client stalled or went away)"
		s.finish(f)
		w.Header().Set("Connection", "close")
		writeEnvelope(w, f.status, "contactkit proxy: the request body could not be read in time; nothing was forwarded")
		return
	}
	f.reqBody = body
	if int64(len(body)) > s.cfg.MaxBody {
		// Too large to check: it streams through as sent, unjudged.
		f.reqTooLarge = true
		f.reqBody = body[:s.cfg.MaxBody]
		r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	} else {
		f.reqSize = int64(len(body))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if len(body) == 0 {
			r.Body = http.NoBody
		}
	}
	// A browser's CORS preflight is not a request of the API: it is forwarded and
	// journaled, and judged by nothing.
	f.preflight = r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if !f.preflight {
		s.checkRequest(r.Context(), f)
		s.predict(f)
		f.write = s.model.begin(f)
	} else {
		f.app = appOf(f.path)
	}

	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), flightKey{}, f), s.cfg.Timeout)
	defer cancel()
	s.rp.ServeHTTP(w, r.WithContext(ctx))
}

// readBody reads at most max+1 bytes of body, in one allocation when its length
// is known; more than max bytes read means the body is larger than max.
func readBody(body io.Reader, length, max int64) ([]byte, error) {
	if body == nil || body == http.NoBody || length == 0 {
		return nil, nil
	}
	if length > 0 && length <= max {
		buf := make([]byte, length)
		n, err := io.ReadFull(body, buf)
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
	return io.ReadAll(io.LimitReader(body, max+1))
}

type readCloser struct {
	io.Reader
	io.Closer
}

// modifyResponse reads the answer (up to MaxBody), judges it, and passes it on
// unchanged, or under Strict replaces one that breaks the contract.
func (s *Server) modifyResponse(resp *http.Response) error {
	f := flightOf(resp.Request.Context())
	if f == nil {
		return nil
	}
	f.status, f.respHeader, f.respSize = resp.StatusCode, resp.Header, resp.ContentLength
	length := resp.ContentLength
	if resp.Request.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		length = 0 // no body, whatever Content-Length says
	}
	data, err := readBody(resp.Body, length, s.cfg.MaxBody)
	if err != nil {
		return &answerError{err}
	}
	if int64(len(data)) > s.cfg.MaxBody {
		f.respTooLarge = true
		f.respBody = data[:s.cfg.MaxBody]
		f.problem = fmt.Sprintf("answer not checked: larger than %d bytes", s.cfg.MaxBody)
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(data), resp.Body), resp.Body}
		s.model.end(f, false, [32]byte{})
		s.finish(f)
		return nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	f.respBody, f.respSize = data, int64(len(data))
	f.plain = data
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
		plain, err := s.decode(enc, data)
		if err != nil {
			f.problem = fmt.Sprintf("answer not checked: %s", err)
			s.model.end(f, false, [32]byte{})
			s.finish(f)
			return nil
		}
		f.plain = plain
	}
	if !f.preflight {
		s.checkAnswer(resp.Request.Context(), f)
	}
	if s.cfg.Strict && len(check.Failing(f.findings, false)) > 0 {
		s.replace(resp, f)
	}
	// Journaled before the client has the answer, so whoever reads the journal
	// after an answer finds it there.
	s.finish(f)
	return nil
}

// decode undoes a gzip Content-Encoding, within MaxBody; other encodings are not
// checked.
func (s *Server) decode(enc string, data []byte) ([]byte, error) {
	if !strings.EqualFold(enc, "gzip") {
		return nil, fmt.Errorf("content encoding %q", clip(enc, 40))
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, errors.New("gzip body does not decode")
	}
	plain, err := io.ReadAll(io.LimitReader(zr, s.cfg.MaxBody+1))
	if err != nil {
		return nil, errors.New("gzip body does not decode")
	}
	if int64(len(plain)) > s.cfg.MaxBody {
		return nil, fmt.Errorf("decoded body larger than %d bytes", s.cfg.MaxBody)
	}
	return plain, nil
}

// replace turns a violating answer into the proxy's 502, keeping the target's
// other headers (CORS among them, so a browser can read the 502).
func (s *Server) replace(resp *http.Response, f *flight) {
	failing := check.Failing(f.findings, false)
	n := len(failing)
	f.respHeader = resp.Header.Clone() // the journal keeps what the target sent
	msg := fmt.Sprintf("contactkit proxy --strict: the target's answer (%d) to %s breaks the contract (%d violation%s, first: %s); see /__admin/requests",
		f.status, orText(f.op, f.method+" "+clip(f.path, 100)), n, plural(n), clip(failing[0].String(), 300))
	body := envelopeBytes(http.StatusBadGateway, s.scrubber(f).Scrub(msg))
	resp.StatusCode, resp.Status = http.StatusBadGateway, "502 Bad Gateway"
	for _, h := range []string{"Content-Encoding", "Etag", "Last-Modified", "Content-Range", "Transfer-Encoding"} {
		resp.Header.Del(h)
	}
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.ContentLength = int64(len(body))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	f.replaced = true
}

// answerError marks a failure while reading the target's answer.
type answerError struct{ err error }

func (e *answerError) Error() string { return "read answer: " + e.err.Error() }
func (e *answerError) Unwrap() error { return e.err }

// errorHandler answers when the target gave no (whole) answer: 502, or 504 when
// it took too long, in the API's envelope, with a message that names the target
// and what happened but no Go error text.
func (s *Server) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	f := flightOf(r.Context())
	status, what := http.StatusBadGateway, describe(err)
	switch {
	case r.Context().Err() != nil && errors.Is(r.Context().Err(), context.Canceled):
		what = "the client went away before the target answered"
		status = 499 // nginx's "client closed request": journaled, never sent
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		status = http.StatusGatewayTimeout
		what = fmt.Sprintf("did not answer within %s", s.cfg.Timeout)
	}
	msg := fmt.Sprintf("contactkit proxy: the target %s %s", s.target.Host, what)
	if f != nil {
		f.status, f.problem = status, msg
		f.respHeader, f.respBody, f.plain, f.findings = nil, nil, nil, nil
		s.model.end(f, false, [32]byte{})
		s.finish(f)
	}
	if status == 499 {
		return // nobody to answer
	}
	writeEnvelope(w, status, msg)
}

// describe says in words what went wrong reaching the target.
func describe(err error) string {
	var ae *answerError
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &ae):
		return "broke off its answer midway"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused the connection (is it running?)"
	case errors.As(err, &dns):
		return "has a host name that does not resolve"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed the connection without an answer"
	case strings.Contains(err.Error(), "malformed HTTP"), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"),
		strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		return "does not speak HTTP as the target URL says (check http:// or https://)"
	case errors.As(err, &op):
		return "could not be reached"
	}
	return "gave no usable answer"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// finish journals, logs and records the exchange, whatever happened to it, once.
func (s *Server) finish(f *flight) {
	took := time.Since(f.start)
	if f.done {
		return
	}
	f.done = true
	s.model.end(f, false, [32]byte{}) // a no-op unless the exchange ended early
	if f.status == 0 {
		f.status = http.StatusBadGateway
		f.problem = orText(f.problem, "no answer")
	}
	// The target's violations first: a client's thousand bad rows must not
	// crowd them out of the entry's MaxViolations.
	var viol []journal.Violation
	for _, side := range [][]check.Finding{f.findings, f.reqFindings} {
		for _, fd := range side {
			viol = append(viol, journal.Violation{Check: string(fd.Check), Message: withOthers(fd), Pointer: fd.Pointer, Expected: fd.Expected, Actual: fd.Actual, Contract: fd.Contract,
				Source: string(fd.Source), Reading: fd.Reading})
		}
	}
	respBody := f.respBody
	problem := f.problem
	if f.replaced {
		problem = "--strict: the target's answer broke the contract; the client got a 502"
	}
	if f.reqTooLarge {
		problem = strings.TrimPrefix(problem+"; request not checked: larger than "+strconv.FormatInt(s.cfg.MaxBody, 10)+" bytes", "; ")
	}
	if note, ok := s.model.Forgot(); ok {
		// Once: from here on, what the model forgot is not judged.
		problem = strings.TrimPrefix(problem+"; "+note, "; ")
		s.cfg.Logger.Warn("session model at its bound", "note", note)
	}
	x := journal.Exchange{
		Time: f.start, Duration: took, Method: f.method, URI: f.uri, OperationID: f.op, App: f.app, Status: f.status,
		RequestHeader: f.header, RequestBody: f.reqBody, RequestBodySize: f.reqSize, RequestTruncated: f.reqTooLarge,
		ResponseHeader: f.respHeader, ResponseBody: respBody, ResponseBodySize: f.respSize, ResponseTruncated: f.respTooLarge,
		Violations: viol, Problem: problem,
	}
	recorded := s.rec != nil && !f.preflight
	if !recorded && !s.cfg.Logger.Enabled(context.Background(), slog.LevelWarn) {
		// Nothing is written of this exchange but the journal's record: its
		// entry is built when someone reads it.
		s.journal.Keep(x)
		return
	}
	e := s.journal.Add(x)
	// After Add: the journal has learnt the credentials this exchange's bodies
	// carry (a password, an issued token), which the log and the recording
	// must not show either.
	sc := s.scrubber(f)
	s.log(f, sc, e.Path, took)
	if recorded {
		s.rec.add(f, sc)
	}
}

// withOthers is fd's message and, for a collapsed finding, how many more there
// are like it and where: the journal and the log have no field for them.
func withOthers(fd check.Finding) string {
	if others := fd.Others(); others != "" {
		return fd.Message + " (" + others + ")"
	}
	return fd.Message
}

// maxLoggedViolations bounds the lines one exchange logs: an answer with
// thousands of bad items gets a count, and the journal has the first ones.
const maxLoggedViolations = 20

// log writes one line per violation, naming the operation, the pointer, what was
// expected and found, and the contract's rule; then one line for the exchange.
func (s *Server) log(f *flight, sc *redact.Scrubber, path string, took time.Duration) {
	lg := s.cfg.Logger
	ctx := context.Background()
	if !lg.Enabled(ctx, slog.LevelWarn) {
		return
	}
	logged, total := 0, len(f.reqFindings)+len(f.findings)
	for _, side := range []struct {
		name string
		fs   []check.Finding
	}{{"request", f.reqFindings}, {"answer", f.findings}} {
		for _, fd := range side.fs {
			if logged == maxLoggedViolations {
				lg.LogAttrs(ctx, slog.LevelWarn, "more contract violations",
					slog.String("operation", orText(f.op, "(no operation)")), slog.String("path", path),
					slog.Int("more", total-logged), slog.String("see", "/__admin/requests"))
				break
			}
			logged++
			level, what := slog.LevelWarn, "contract violation"
			if fd.IsReading() {
				level, what = slog.LevelInfo, "departs from a reading of a silence (not a violation): "+fd.Reading
			}
			lg.LogAttrs(ctx, level, what,
				slog.String("side", side.name),
				slog.String("operation", orText(f.op, "(no operation)")),
				slog.String("method", clip(f.method, 32)),
				slog.String("path", path),
				slog.Int("status", f.status),
				slog.String("check", string(fd.Check)),
				slog.String("pointer", clipScrubbed(sc, fd.Pointer, 200)),
				slog.String("expected", clipScrubbed(sc, fd.Expected, 300)),
				slog.String("actual", clipScrubbed(sc, fd.Actual, 300)),
				slog.String("contract", fd.Contract),
				slog.String("message", clipScrubbed(sc, withOthers(fd), 500)),
			)
		}
	}
	if !lg.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", clip(f.method, 32)),
		slog.String("path", path),
		slog.Int("status", f.status),
		slog.Duration("took", took),
		slog.Int("violations", len(f.reqFindings)+len(f.findings)),
	}
	if f.op != "" {
		attrs = append(attrs, slog.String("operation", f.op))
	}
	if f.problem != "" || f.replaced {
		p := f.problem
		if f.replaced {
			p = "--strict: answered 502 instead"
		}
		attrs = append(attrs, slog.String("problem", clipScrubbed(sc, p, 500)))
	}
	lg.LogAttrs(ctx, slog.LevelInfo, "exchange", attrs...)
}

// scrubber takes the request's credentials out of what the proxy writes.
func (s *Server) scrubber(f *flight) *redact.Scrubber {
	secrets := redact.Secrets(f.header)
	if s.cfg.AdminToken != "" {
		secrets = append(secrets, s.cfg.AdminToken)
	}
	// And every credential the journal has seen, on any exchange: a token an
	// answer issued, used as a bearer since or echoed here.
	return redact.NewScrubber(secrets...).With(s.journal.Scrubber())
}

// envelopeBytes is the API's envelope for an answer the proxy makes itself, its
// code word the contract's or, for a status outside it (502, 504), made alike.
func envelopeBytes(status int, message string) []byte {
	return contactkit.Envelope(status, contactkit.Word(status), message, nil)
}

func writeEnvelope(w http.ResponseWriter, status int, message string) {
	contactkit.WriteEnvelope(w, status, contactkit.Word(status), message, nil)
}

// clip cuts s to at most n bytes and marks the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return redact.Cut(s, n) + "…"
}

// clipScrubbed is clip for a text that may hold a credential: scrubbed before it
// is cut, so the cut cannot leave the start of one behind.
func clipScrubbed(sc *redact.Scrubber, s string, n int) string {
	out, cut := sc.Clip(s, n, false)
	if cut {
		out += "…"
	}
	return out
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// bufferPool lends the reverse proxy its copy buffers.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { copyBuffers.Put(&b) }
