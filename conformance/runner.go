package conformance

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/fixtures"
)

// Errors Run returns that callers branch on, each wrapped with the details.
var (
	// ErrConfig means the Config cannot be run: a missing target, token or app, a
	// bad --run pattern, or no scenario selected.
	ErrConfig = errors.New("bad configuration")
	// ErrSuite means a scenario file did not load; the details say file:line.
	ErrSuite = errors.New("scenario suite does not load")
	// ErrUnreachable means the target refused the connection (or has no address)
	// before any scenario ran.
	ErrUnreachable = errors.New("target unreachable")
	// ErrInterrupted means ctx ended the run early; Run still returns the Report
	// of what ran.
	ErrInterrupted = errors.New("run interrupted")
)

// Defaults for the zero values of Config.
const (
	DefaultParallel = 4
	DefaultTimeout  = 10 * time.Second
	// DefaultSuiteName prefixes the embedded suite's file names in reports.
	DefaultSuiteName = "fixtures/suite"
)

// maxBody caps what the runner reads of an answer; every answer of this API is far
// smaller, and a hostile target must not exhaust memory.
const maxBody = 1 << 20

// maxWalkPages stops a walk whose next_page never ends.
const maxWalkPages = 1000

// walkAttempts is how often a walk whose expectations fail is tried in a scenario
// that runs beside others: their writes can shift a contact past the page being
// read, so one miss is not yet a mismatch.
const walkAttempts = 3

// Config says what to run against what. The zero value of each optional field is
// useful: the embedded suite, DefaultParallel, DefaultTimeout, a plain client.
type Config struct {
	// Target is the base URL of the implementation, e.g. http://127.0.0.1:4010.
	Target string
	// Token is the bearer token; it never appears in any report.
	Token string
	// App is the application id the token is granted.
	App string
	// ForeignApp is an application the token is not granted; scenarios that need
	// one are skipped when it is empty.
	ForeignApp string

	// Suite holds the scenario files; nil means the embedded default suite.
	Suite fs.FS
	// SuiteName prefixes file names in reports, e.g. the directory Suite came from.
	SuiteName string
	// Run selects scenarios whose name matches this regular expression.
	Run string
	// Tags selects scenarios having any of these tags.
	Tags []string

	// Parallel is how many scenarios run at once.
	Parallel int
	// Timeout bounds each request, answer included.
	Timeout time.Duration
	// Client sends the requests; nil means a fresh http.Client. Redirects are
	// never followed, whatever its CheckRedirect says.
	Client *http.Client
}

// Run replays every selected scenario of cfg.Suite against cfg.Target and returns
// a Report of every mismatch. The error is non-nil only when nothing could be run
// (ErrConfig, ErrSuite, ErrUnreachable, with a nil Report) or when ctx cut the run
// short (ErrInterrupted, with the Report of what ran); mismatches are in the Report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	r, scenarios, err := prepare(cfg)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := r.preflight(ctx); err != nil {
		return nil, err
	}
	rep := &Report{Target: cfg.Target, App: cfg.App, Started: start.UTC().Format(time.RFC3339), Scenarios: make([]ScenarioResult, len(scenarios))}

	// Exclusive scenarios first, one at a time, while nothing else writes; then
	// the rest, in parallel.
	var shared []int
	for i, sc := range scenarios {
		if sc.Exclusive {
			rep.Scenarios[i] = r.scenario(ctx, sc)
		} else {
			shared = append(shared, i)
		}
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(r.parallel, max(len(shared), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				rep.Scenarios[i] = r.scenario(ctx, scenarios[i])
			}
		}()
	}
	for _, i := range shared {
		work <- i
	}
	close(work)
	wg.Wait()

	rep.Duration = time.Since(start)
	rep.count()
	if r.tokenOK.Load() == 0 && r.tokenRefused.Load() > 0 {
		rep.Hint = fmt.Sprintf("every request sent with --token was refused (403): is the token granted app %q on this target?", cfg.App)
	}
	r.scrubReport(rep)
	if err := ctx.Err(); err != nil {
		// The report holds what ran (and the cleanup, which ignores the cancel).
		return rep, fmt.Errorf("%w: %w", ErrInterrupted, err)
	}
	return rep, nil
}

type runner struct {
	cfg      Config
	base     *url.URL
	client   *http.Client
	check    *checker
	gen      *generator
	parallel int
	timeout  time.Duration
	scrub    func(string) string

	// tokenOK and tokenRefused count answers to requests sent with the token, so
	// a run where the token is refused everywhere says so once, up front.
	tokenOK, tokenRefused atomic.Int64
}

func prepare(cfg Config) (*runner, []*Scenario, error) {
	var errs []error
	base, err := url.Parse(cfg.Target)
	switch {
	case cfg.Target == "":
		errs = append(errs, errors.New("no target URL"))
	case err != nil:
		errs = append(errs, fmt.Errorf("target: %w", err))
	case base.Scheme != "http" && base.Scheme != "https" || base.Host == "":
		errs = append(errs, fmt.Errorf("target %q is not an http(s) URL", cfg.Target))
	}
	if cfg.Token == "" {
		errs = append(errs, errors.New("no token"))
	}
	if cfg.App == "" {
		errs = append(errs, errors.New("no app"))
	}
	if cfg.ForeignApp != "" && cfg.ForeignApp == cfg.App {
		errs = append(errs, errors.New("the foreign app must differ from the app"))
	}
	if cfg.Parallel < 0 {
		errs = append(errs, fmt.Errorf("parallel %d is negative", cfg.Parallel))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", cfg.Timeout))
	}
	var runRE *regexp.Regexp
	if cfg.Run != "" {
		if runRE, err = regexp.Compile(cfg.Run); err != nil {
			errs = append(errs, fmt.Errorf("run pattern: %w", err))
		}
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}

	doc, err := contactkit.Load()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	router, err := contactkit.NewRouter(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}

	suite, name := cfg.Suite, cfg.SuiteName
	if suite == nil {
		suite = fixtures.Suite
		if name == "" {
			name = DefaultSuiteName
		}
	}
	all, err := Load(suite, name)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrSuite, err)
	}
	var selected []*Scenario
	for _, sc := range all {
		if runRE != nil && !runRE.MatchString(sc.Name) {
			continue
		}
		if len(cfg.Tags) > 0 && !slices.ContainsFunc(cfg.Tags, func(t string) bool { return slices.Contains(sc.Tags, t) }) {
			continue
		}
		selected = append(selected, sc)
	}
	if len(selected) == 0 {
		return nil, nil, fmt.Errorf("%w: no scenario matches the run pattern and tags (%d in the suite)", ErrConfig, len(all))
	}

	client := &http.Client{}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	base.Path = strings.TrimSuffix(base.Path, "/")
	base.RawPath = ""
	r := &runner{
		cfg:      cfg,
		base:     base,
		client:   client,
		check:    &checker{doc: doc, router: router},
		gen:      newGenerator(),
		parallel: cmp.Or(cfg.Parallel, DefaultParallel),
		timeout:  cmp.Or(cfg.Timeout, DefaultTimeout),
		scrub:    newScrubber(cfg.Token),
	}
	return r, selected, nil
}

// preflight asks the target for its base URL once: a refused connection or an
// unknown host is ErrUnreachable; any answer, even an error, lets the run go on.
func (r *runner) preflight(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base.String()+"/", nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	resp, err := r.client.Do(req)
	if err == nil {
		resp.Body.Close()
		return nil
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if (errors.As(err, &opErr) && opErr.Op == "dial") || errors.As(err, &dnsErr) {
		return fmt.Errorf("%w: %s: %s", ErrUnreachable, r.cfg.Target, r.scrub(rootCause(err)))
	}
	return nil
}

func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func (r *runner) scenario(ctx context.Context, sc *Scenario) ScenarioResult {
	start := time.Now()
	res := ScenarioResult{Name: sc.Name, File: sc.File, Line: sc.Line, Tags: sc.Tags, Status: Passed}
	if sc.NeedsForeignApp() && r.cfg.ForeignApp == "" {
		res.Status = Skipped
		res.SkipReason = "needs --foreign-app, an app the token is not granted, which also says the target enforces token grants"
		return res
	}
	scope := newScope(r.gen, r.cfg.App, r.cfg.ForeignApp)
	for _, v := range sc.Vars {
		val, err := scope.expand(v.Value)
		if err != nil {
			// The loader checked every name, so only a foreign app can be missing.
			res.Status = Skipped
			res.SkipReason = fmt.Sprintf("var %s: %v", v.Name, err)
			return res
		}
		scope.values[v.Name] = val
	}
	noAnswer := ""
	for _, st := range sc.Steps {
		if noAnswer != "" {
			res.Steps = append(res.Steps, StepResult{Name: st.Name, File: st.File, Line: st.Line, Operation: st.Op, Status: Skipped,
				SkipReason: "not run: step " + noAnswer + " got no answer"})
			continue
		}
		sr, answered := r.step(ctx, sc, st, scope, false)
		if !answered {
			noAnswer = fmt.Sprintf("%q", st.Name)
		}
		res.Steps = append(res.Steps, sr)
	}
	// Cleanup runs even when the run is cancelled, each request still bounded by
	// the timeout, so a Ctrl-C leaves no test data behind.
	cctx := context.WithoutCancel(ctx)
	for _, st := range sc.Cleanup {
		sr, _ := r.step(cctx, sc, st, scope, true)
		res.Steps = append(res.Steps, sr)
	}
	for _, st := range res.Steps {
		if st.Status == Failed {
			res.Status = Failed
		}
	}
	res.Duration = time.Since(start)
	return res
}

// request is a step's request, placeholders expanded.
type request struct {
	method  string
	apiPath string
	query   []Pair // values are strings now
	header  http.Header
	body    []byte
	hasBody bool
}

func (r *runner) build(st *Step, scope *scope) (*request, error) {
	req := &request{header: http.Header{}}
	if st.Op != "" {
		method, tmpl, _ := contactkit.Operation(r.check.doc, st.Op)
		req.method = method
		params := map[string]string{"appId": r.cfg.App}
		if st.Auth == AuthForeignApp {
			params["appId"] = r.cfg.ForeignApp
		}
		for _, p := range st.Params {
			v, err := scope.expand(p.Value)
			if err != nil {
				return nil, err
			}
			params[p.Name] = textOf(v)
		}
		path := tmpl
		for k, v := range params {
			path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
		}
		req.apiPath = path
	} else {
		req.method = st.Method
		p, err := scope.expandString(st.Path)
		if err != nil {
			return nil, err
		}
		req.apiPath = p
	}
	for _, q := range st.Query {
		v, err := scope.expand(q.Value)
		if err != nil {
			return nil, err
		}
		req.query = append(req.query, Pair{Name: q.Name, Value: textOf(v)})
	}

	req.header.Set("Accept", "application/json")
	req.header.Set("Content-Type", "application/json") // the docs list it for every call
	req.header.Set("User-Agent", "contactkit-conform")
	switch st.Auth {
	case AuthToken, AuthForeignApp:
		req.header.Set("Authorization", "Bearer "+r.cfg.Token)
	case AuthBasic:
		req.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("conform:not-a-bearer-token")))
	case AuthBearerOnly:
		req.header.Set("Authorization", "Bearer")
	case AuthWrongToken:
		req.header.Set("Authorization", "Bearer conform-wrong-token-"+r.gen.runID)
	}
	for _, h := range st.Headers {
		v, err := scope.expand(h.Value)
		if err != nil {
			return nil, err
		}
		req.header.Set(h.Name, textOf(v))
	}

	switch {
	case st.RawBody != nil:
		b, err := scope.expandString(*st.RawBody)
		if err != nil {
			return nil, err
		}
		req.body, req.hasBody = []byte(b), true
	case st.HasBody:
		v, err := scope.expand(st.Body)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode body: %w", err)
		}
		req.body, req.hasBody = b, true
	}
	return req, nil
}

func (req *request) withQuery(name, value string) *request {
	c := *req
	c.query = slices.Clone(req.query)
	for i, q := range c.query {
		if q.Name == name {
			c.query[i].Value = value
			return &c
		}
	}
	c.query = append(c.query, Pair{Name: name, Value: value})
	return &c
}

func (req *request) rawQuery() string {
	var parts []string
	for _, q := range req.query {
		parts = append(parts, url.QueryEscape(q.Name)+"="+url.QueryEscape(textOf(q.Value)))
	}
	return strings.Join(parts, "&")
}

func (req *request) values() url.Values {
	v, _ := url.ParseQuery(req.rawQuery())
	return v
}

// fullURL joins the target's base and the API path; the path is used as written,
// so a scenario can send encoded or odd paths.
func (r *runner) fullURL(req *request) string {
	u := r.base.Scheme + "://" + r.base.Host + r.base.EscapedPath() + req.apiPath
	if q := req.rawQuery(); q != "" {
		u += "?" + q
	}
	return u
}

// curl writes req as a command a person can paste; the scrubber takes the token out.
func (r *runner) curl(req *request) string {
	var b strings.Builder
	b.WriteString("curl -sS -X " + req.method + " " + shellQuote(r.fullURL(req)))
	for _, k := range slices.Sorted(maps.Keys(req.header)) {
		if k == "User-Agent" || k == "Accept" {
			continue
		}
		for _, v := range req.header[k] {
			if k == "Authorization" && v == "Bearer "+r.cfg.Token {
				v = "Bearer " + redacted
			}
			b.WriteString(" -H " + shellQuote(k+": "+v))
		}
	}
	if req.hasBody {
		body := string(req.body)
		if len(body) > 4096 {
			body = body[:4096] + "…(cut)"
		}
		b.WriteString(" --data-raw " + shellQuote(body))
	}
	return r.scrub(b.String())
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// send makes one request and returns the exchange, or a transport finding when
// there was no (complete) answer.
func (r *runner) send(ctx context.Context, op string, req *request) (*exchange, *Finding) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var body io.Reader
	if req.hasBody {
		body = bytes.NewReader(req.body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, r.fullURL(req), body)
	if err != nil {
		return nil, &Finding{Check: CheckTransport, Message: "cannot build the request: " + err.Error()}
	}
	hreq.Header = req.header.Clone()
	resp, err := r.client.Do(hreq)
	if err != nil {
		return nil, r.transportFinding(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		f := r.transportFinding(ctx, err)
		f.Message = fmt.Sprintf("answered %d but the body broke off: %s", resp.StatusCode, f.Message)
		return nil, f
	}
	x := &exchange{op: op, method: req.method, apiPath: req.apiPath, query: req.values(), status: resp.StatusCode, header: resp.Header, body: data}
	if len(data) > maxBody {
		x.body, x.truncated = data[:maxBody], true
	}
	return x, nil
}

func (r *runner) transportFinding(ctx context.Context, err error) *Finding {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &Finding{Check: CheckTransport, Message: fmt.Sprintf("no answer within %s (the per-request timeout)", r.timeout), Expected: "an answer", Actual: "timeout"}
	}
	return &Finding{Check: CheckTransport, Message: "no answer: " + rootCause(err), Expected: "an answer", Actual: "error"}
}

// step runs one step, a walk or a single request, and judges it. answered is false
// when the target gave no answer, so the scenario stops there.
func (r *runner) step(ctx context.Context, sc *Scenario, st *Step, scope *scope, cleanup bool) (res StepResult, answered bool) {
	start := time.Now()
	res = StepResult{Name: st.Name, File: st.File, Line: st.Line, Operation: st.Op, Cleanup: cleanup, Status: Passed}
	defer func() { res.Duration = time.Since(start) }()

	req, err := r.build(st, scope)
	if err != nil {
		res.Status = Skipped
		res.SkipReason = "not run: " + err.Error()
		if cleanup {
			res.SkipReason = "nothing to clean up: " + err.Error()
		}
		if !errors.Is(err, errUnset) {
			res.Status = Failed
			res.Findings = []Finding{{Check: CheckExpect, Message: err.Error()}}
		}
		return res, true
	}
	attempts := 1
	if st.Walk && !sc.Exclusive {
		attempts = walkAttempts
	}
	for try := 1; ; try++ {
		var (
			status   int
			doc      any
			findings []Finding
			ok       bool
		)
		if st.Walk {
			status, doc, findings, ok = r.walk(ctx, st, req, &res)
		} else {
			status, doc, findings, ok = r.single(ctx, st, req, &res)
		}
		if !ok {
			res.Findings = findings
			res.Status = Failed
			return res, false
		}
		// Captures first, so a capture finding sits with the expectations'.
		exp := r.expect(st, status, doc, scope)
		if len(exp) > 0 && try < attempts && len(findings) == 0 {
			continue
		}
		res.Findings = append(findings, exp...)
		break
	}
	if len(res.Findings) > 0 {
		res.Status = Failed
	} else {
		res.Body = "" // a passing answer needs no evidence; keeps reports small
	}
	return res, true
}

func (r *runner) single(ctx context.Context, st *Step, req *request, res *StepResult) (int, any, []Finding, bool) {
	res.Curl = r.curl(req)
	res.Requests++
	x, tf := r.send(ctx, st.Op, req)
	if tf != nil {
		return 0, nil, []Finding{*tf}, false
	}
	res.HTTPStatus = x.status
	res.Body = snippet(x.body, x.truncated)
	r.countToken(st, x.status)
	doc, findings := r.check.check(ctx, x)
	if st.Op == "" && x.op != "" {
		res.Operation = x.op
	}
	return x.status, doc, findings, true
}

func (r *runner) countToken(st *Step, status int) {
	if st.Auth != AuthToken {
		return
	}
	switch {
	case status >= 200 && status < 300:
		r.tokenOK.Add(1)
	case status == http.StatusForbidden && !slices.Contains(st.Expect.Status, status):
		r.tokenRefused.Add(1)
	}
}

// walk follows next_page from the requested page to the last. Every page gets the
// usual checks; the expectations see one document whose /data holds every page's
// items, /meta the first page's meta and /pages the number of pages.
func (r *runner) walk(ctx context.Context, st *Step, req *request, res *StepResult) (int, any, []Finding, bool) {
	page, err := queryInt(req.values(), "page", 1)
	if err != nil || page < 1 {
		page = 1
	}
	var (
		findings []Finding
		all      []any
		first    map[string]any
		metas    []map[string]any
		curls    []string
		lastCurl string
	)
	for n := 1; ; n++ {
		preq := req.withQuery("page", fmt.Sprint(page))
		lastCurl = r.curl(preq)
		res.Curl = lastCurl
		res.Requests++
		x, tf := r.send(ctx, st.Op, preq)
		if tf != nil {
			tf.Curl = lastCurl
			return 0, nil, append(findings, *tf), false
		}
		res.HTTPStatus = x.status
		res.Body = snippet(x.body, x.truncated)
		r.countToken(st, x.status)
		doc, fs := r.check.check(ctx, x)
		for i := range fs {
			fs[i].Curl = lastCurl
			fs[i].Message = fmt.Sprintf("page %d: %s", page, fs[i].Message)
		}
		findings = append(findings, fs...)
		obj, _ := doc.(map[string]any)
		if x.status != http.StatusOK || obj == nil {
			return x.status, doc, findings, true
		}
		if first == nil {
			first = obj
		}
		data, _ := obj["data"].([]any)
		all = append(all, data...)
		meta, _ := obj["meta"].(map[string]any)
		metas = append(metas, meta)
		curls = append(curls, lastCurl)
		next, _ := toRat(field(meta, "next_page"))
		if next == nil || !next.IsInt() || next.Num().Int64() != page+1 {
			break // a wrong next_page was reported by the page checks
		}
		if n >= maxWalkPages {
			findings = append(findings, Finding{Check: CheckPaging, Message: fmt.Sprintf("walk stopped after %d pages; next_page never became null", n), Curl: lastCurl, Contract: loc("#/components/schemas/PageMeta/properties/next_page")})
			break
		}
		page++
	}
	if st.AcrossPages {
		findings = append(findings, acrossPages(metas, all, curls)...)
	}
	agg := make(map[string]any, len(first)+1)
	for k, v := range first {
		agg[k] = v
	}
	agg["data"] = all
	agg["pages"] = len(metas)
	return http.StatusOK, agg, findings, true
}

// acrossPages checks a whole walk of a quiet list: the same total on every page,
// no contact on two pages, and pages that add up to the total.
func acrossPages(metas []map[string]any, all []any, curls []string) []Finding {
	if len(metas) == 0 {
		return nil
	}
	var out []Finding
	total := metas[0]["total"]
	for i, m := range metas[1:] {
		if !jsonEqual(m["total"], total) {
			out = append(out, Finding{Check: CheckPaging, Pointer: "/meta/total", Message: fmt.Sprintf("meta.total changed between pages of a quiet list: %s on the first page, %s on the next", show(total), show(m["total"])),
				Expected: show(total), Actual: show(m["total"]), Contract: loc("#/components/schemas/PageMeta/properties/total"), Curl: curls[i+1]})
			break
		}
	}
	seen := map[string]int{}
	for i, item := range all {
		id := textOf(field(item, "id"))
		if j, dup := seen[id]; dup {
			out = append(out, Finding{Check: CheckPaging, Pointer: "/data", Message: fmt.Sprintf("contact %s is listed twice across pages (items %d and %d of the walk)", id, j, i),
				Expected: "each contact once", Actual: "twice", Contract: loc("#/paths/~1contacts~1{appId}/get")})
			continue
		}
		seen[id] = i
	}
	if t, ok := toRat(total); ok && t.IsInt() && t.Num().Int64() != int64(len(all)) {
		out = append(out, Finding{Check: CheckPaging, Pointer: "/meta/total", Message: fmt.Sprintf("the pages hold %d contacts in all but meta.total says %s", len(all), show(total)),
			Expected: show(total) + " contacts", Actual: fmt.Sprintf("%d contacts", len(all)), Contract: loc("#/components/schemas/PageMeta/properties/total")})
	}
	if last, ok := toRat(metas[0]["last_page"]); ok && last.IsInt() && max(last.Num().Int64(), 1) != int64(len(metas)) {
		out = append(out, Finding{Check: CheckPaging, Pointer: "/meta/last_page", Message: fmt.Sprintf("next_page led through %d pages but meta.last_page says %s", len(metas), show(metas[0]["last_page"])),
			Expected: show(metas[0]["last_page"]) + " pages", Actual: fmt.Sprintf("%d pages", len(metas)), Contract: loc("#/components/schemas/PageMeta/properties/last_page")})
	}
	return out
}

// expect judges the answer against the step's own expectations and keeps its
// captures.
func (r *runner) expect(st *Step, status int, doc any, scope *scope) []Finding {
	rule := r.check.responsesLocation(st.Op)
	if st.Op != "" {
		rule = r.check.opLocation(st.Op)
	}
	if st.Rule != "" {
		if s, err := scope.expandString(st.Rule); err == nil {
			rule = s
		}
	}
	if !slices.Contains(st.Expect.Status, status) {
		return []Finding{{Check: CheckExpect, Message: fmt.Sprintf("status %d, want %s", status, statusList(st.Expect.Status)),
			Expected: statusList(st.Expect.Status), Actual: fmt.Sprint(status), Contract: rule}}
	}
	if doc == nil {
		return nil // not JSON: the body finding says so, and nothing can be checked
	}
	var out []Finding
	for _, a := range slices.Concat(st.Expect.Body, st.Expect.On[status]) {
		for _, f := range evalAssertion(doc, a, scope) {
			f.Contract = rule
			out = append(out, f)
		}
	}
	for _, c := range st.Capture {
		from, err := scope.expandString(c.From)
		if err != nil {
			out = append(out, Finding{Check: CheckCapture, Message: fmt.Sprintf("capture %s: %v", c.Name, err)})
			continue
		}
		v, at, found, _ := resolve(doc, from)
		if !found {
			if !c.Optional {
				out = append(out, Finding{Check: CheckCapture, Pointer: at, Message: fmt.Sprintf("capture %s: nothing at %s", c.Name, from), Expected: "a value", Actual: "absent", Contract: rule})
			}
			continue
		}
		scope.values[c.Name] = v
	}
	return out
}

func statusList(s []int) string {
	parts := make([]string, len(s))
	for i, c := range s {
		parts[i] = fmt.Sprint(c)
	}
	return strings.Join(parts, " or ")
}

// snippet keeps the start of a body for the report.
func snippet(b []byte, truncated bool) string {
	const keep = 2048
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) > keep {
		s = s[:keep] + "…(cut)"
	} else if truncated {
		s += "…(cut)"
	}
	return s
}
