package conformance

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/fixtures"
	"github.com/contactkit/contactkit/report"
	"github.com/contactkit/contactkit/scenario"

	"github.com/contactkit/contactkit/redact"
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
	// ErrNotHTTP means the target accepted the connection but did not answer in
	// HTTP: another protocol's banner, a connection closed at once, TLS asked of a
	// plain port.
	ErrNotHTTP = errors.New("target does not speak HTTP")
	// ErrTargetLost means the target stopped accepting connections during the
	// run; Run still returns the report.Report of what ran.
	ErrTargetLost = errors.New("target stopped answering during the run")
	// ErrInterrupted means ctx ended the run early, or Config.Deadline passed; Run
	// still returns the report.Report of what ran.
	ErrInterrupted = errors.New("run interrupted")
)

// Defaults for the zero values of Config.
const (
	DefaultParallel = 4
	DefaultTimeout  = 10 * time.Second
	// DefaultSuiteName prefixes the embedded suite's file names in reports.
	DefaultSuiteName = "fixtures/suite"
	// DefaultWalkItems bounds the items one walk keeps: a million contacts at the
	// contract's largest limit is far below it in time, and it keeps a hostile list
	// from growing the runner without end.
	DefaultWalkItems = 200_000
	// DefaultWalkTime bounds one walk's time.
	DefaultWalkTime = 2 * time.Minute
)

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
	// ForeignToken is a second bearer token, granted ForeignApp (not App), that
	// steps with auth: foreign-token send; scenarios that need it are skipped
	// when it is empty. It never appears in any report either.
	ForeignToken string

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
	// never followed, whatever its check.Redirect says.
	Client *http.Client

	// WalkItems and WalkTime bound each walk of the list (DefaultWalkItems,
	// DefaultWalkTime); a walk cut short is a finding.
	WalkItems int
	WalkTime  time.Duration

	// Deadline bounds the whole run, zero for none. When it passes, the run stops
	// as on an interrupt (ErrInterrupted) and reports what ran.
	Deadline time.Duration

	// Spec is the contract the target is held to; nil means the embedded one.
	// The scenarios' paging built-ins ({{limit_max}}, ...) come from it too.
	Spec *contactkit.Spec

	// Seed fixes every value the run makes (names, phones, ids, the run id): the
	// same seed against the same starting state sends the same requests. Report
	// carries it.
	Seed int64
	// StrictReadings makes a departure from a reading of the docs' silences
	// (contactkit.Readings) fail the run; by default it warns.
	StrictReadings bool

	// Vars are the run's own variables (--var, --vars): every scenario may use
	// them as {{NAME}}, in place of its own var of that name.
	Vars map[string]any
	// Env looks up {{env.NAME}}, when the suite loads and when it runs; nil
	// reads the process's environment.
	Env func(name string) (string, bool)
}

// Run replays every selected scenario of cfg.Suite against cfg.Target and returns
// a report.Report of every mismatch; mismatches are in the report.Report, not the error. The
// error says the run could not be judged: ErrConfig or ErrSuite (nil report.Report:
// nothing was selected), ErrUnreachable or ErrNotHTTP (the target failed its first
// request, every scenario is reported not run), ErrTargetLost or ErrInterrupted
// (the report.Report holds what ran, the rest not run).
func Run(ctx context.Context, cfg Config) (*report.Report, error) {
	r, scenarios, err := prepare(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.Deadline, fmt.Errorf("the deadline of %s passed", cfg.Deadline))
		defer cancel()
	}
	start := time.Now()
	rep := &report.Report{Target: cfg.Target, App: cfg.App, Started: start.UTC().Format(time.RFC3339), Scenarios: make([]report.ScenarioResult, len(scenarios)),
		Seed: cfg.Seed, StrictReadings: cfg.StrictReadings}
	if err := r.preflight(ctx); err != nil {
		for i, sc := range scenarios {
			rep.Scenarios[i] = notRun(sc, report.NotRunPrefix+err.Error())
		}
		rep.Error = err.Error()
		rep.Count()
		rep.Scrub(r.scrub)
		return rep, err
	}

	// The suite's setup first, one scenario at a time; then its exclusive
	// scenarios, one at a time, while nothing else writes; then the rest, in
	// parallel; then its teardown, whatever happened before.
	var shared []int
	setupFailed := ""
	for i, sc := range scenarios {
		switch {
		case sc.Phase == scenario.PhaseTeardown:
		case sc.Phase == scenario.PhaseSetup:
			rep.Scenarios[i] = r.scenario(ctx, i, sc)
			if rep.Scenarios[i].Status == report.Failed && setupFailed == "" {
				setupFailed = sc.Name
			}
		case setupFailed != "":
			rep.Scenarios[i] = notRun(sc, fmt.Sprintf("the suite's setup failed (scenario %q)", setupFailed))
		case sc.Exclusive:
			rep.Scenarios[i] = r.scenario(ctx, i, sc)
		default:
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
				rep.Scenarios[i] = r.scenario(ctx, i, scenarios[i])
			}
		}()
	}
	for _, i := range shared {
		work <- i
	}
	close(work)
	wg.Wait()
	// The teardown, as a scenario's cleanup, runs even when the run was
	// cancelled, each request still bounded by the timeout.
	for i, sc := range scenarios {
		if sc.Phase == scenario.PhaseTeardown {
			rep.Scenarios[i] = r.scenario(context.WithoutCancel(ctx), i, sc)
		}
	}

	rep.Duration = time.Since(start)
	var runErr error
	switch lost := r.lost.Load(); {
	case lost != nil:
		runErr = fmt.Errorf("%w: %s", ErrTargetLost, *lost)
	case ctx.Err() != nil:
		// The report holds what ran (and the cleanup, which ignores the cancel).
		runErr = fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	}
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	rep.Count()
	rep.CapFindings()
	var hints []string
	if r.tokenOK.Load() == 0 && r.tokenRefused.Load() > 0 {
		hints = append(hints, fmt.Sprintf("every request sent with --token was refused (403): is the token granted app %q on this target?", cfg.App))
	}
	if r.anyToken.Load() {
		hints = append(hints, fmt.Sprintf("the target let through a token nobody issued, or the token on %q, which it is not granted: it checks no tokens. "+
			"A real server must; `contactkit mock` does so only when started with --auth TOKEN=APP (without it, it is in open mode). "+
			"Without --foreign-app the scenarios that need token checks are skipped.", cfg.ForeignApp))
	}
	rep.Hint = strings.Join(hints, "\n")
	rep.Scrub(r.scrub)
	return rep, runErr
}

// notRun reports a scenario the run could not get to, with every step it would
// have run, so a report counts the same steps whatever the outcome.
func notRun(sc *scenario.Scenario, why string) report.ScenarioResult {
	res := report.ScenarioResult{Name: sc.Name, File: sc.File, Line: sc.Line, Tags: sc.Tags, Status: report.Skipped, SkipReason: why}
	for _, st := range sc.Steps {
		res.Steps = append(res.Steps, report.StepResult{Name: st.Name, File: st.File, Line: st.Line, Operation: st.Op, Status: report.Skipped, SkipReason: why})
	}
	for _, st := range sc.Cleanup {
		res.Steps = append(res.Steps, report.StepResult{Name: st.Name, File: st.File, Line: st.Line, Operation: st.Op, Cleanup: true, Status: report.Skipped, SkipReason: why})
	}
	return res
}

type runner struct {
	cfg      Config
	base     *url.URL
	client   *http.Client
	spec     *contactkit.Spec
	check    *check.Checker
	seed     int64
	parallel int
	timeout  time.Duration
	scrub    func(string) string

	walkItems int
	walkTime  time.Duration

	// tokenOK and tokenRefused count answers to requests sent with the token, so
	// a run where the token is refused everywhere says so once, up front.
	tokenOK, tokenRefused atomic.Int64
	// anyToken says a token nobody issued, or the token on an app it is not
	// granted, was let through: the target checks no tokens.
	anyToken atomic.Bool
	// lost holds why the target stopped accepting connections mid-run; the
	// scenarios not yet started are then not run.
	lost atomic.Pointer[string]
}

func prepare(cfg Config) (*runner, []*scenario.Scenario, error) {
	var errs []error
	base, err := url.Parse(cfg.Target)
	switch {
	case cfg.Target == "":
		errs = append(errs, errors.New("no target URL"))
	case !strings.Contains(cfg.Target, "://"):
		errs = append(errs, fmt.Errorf("target %q has no scheme: write http://%s", cfg.Target, cfg.Target))
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
	if cfg.ForeignToken != "" && cfg.ForeignApp == "" {
		errs = append(errs, errors.New("a foreign token needs the foreign app it is granted"))
	}
	if cfg.Parallel < 0 {
		errs = append(errs, fmt.Errorf("parallel %d is negative", cfg.Parallel))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", cfg.Timeout))
	}
	if cfg.WalkItems < 0 || cfg.WalkTime < 0 || cfg.Deadline < 0 {
		errs = append(errs, errors.New("walk bounds and deadline must not be negative"))
	}
	for name := range cfg.Vars {
		if err := scenario.CheckVarName(name); err != nil {
			errs = append(errs, fmt.Errorf("var: %w", err))
		}
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

	spec := cfg.Spec
	if spec == nil {
		if spec, err = contactkit.LoadSpec(); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}

	suite, name := cfg.Suite, cfg.SuiteName
	if suite == nil {
		suite = fixtures.Suite
		if name == "" {
			name = DefaultSuiteName
		}
	}
	loader := &scenario.Loader{Spec: spec, Vars: cfg.Vars, Env: cfg.Env}
	all, err := loader.Load(suite, name)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrSuite, err)
	}
	// Every run of every scenario (one per example row), the suite's setup
	// first and its teardown last; the setup and teardown run whenever anything
	// else does.
	var setup, selected, teardown []*scenario.Scenario
	for _, sc := range all {
		for _, run := range sc.Runs() {
			switch {
			case sc.Phase == scenario.PhaseSetup:
				setup = append(setup, run)
			case sc.Phase == scenario.PhaseTeardown:
				teardown = append(teardown, run)
			case runRE != nil && !runRE.MatchString(run.Name):
			case len(cfg.Tags) > 0 && !slices.ContainsFunc(cfg.Tags, func(t string) bool { return slices.Contains(sc.Tags, t) }):
			default:
				selected = append(selected, run)
			}
		}
	}
	if len(selected) == 0 {
		return nil, nil, fmt.Errorf("%w: no scenario matches the run pattern and tags (%d in the suite)", ErrConfig, len(all))
	}
	selected = slices.Concat(setup, selected, teardown)

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
		spec:     spec,
		check:    check.New(spec),
		seed:     cfg.Seed,
		parallel: cmp.Or(cfg.Parallel, DefaultParallel),
		timeout:  cmp.Or(cfg.Timeout, DefaultTimeout),
		// The token with its case swapped is the token to a reader: scrubbed too.
		scrub: redact.NewScrubber(redact.WithSwappedCase(cfg.Token, cfg.ForeignToken)...).Scrub,

		walkItems: cmp.Or(cfg.WalkItems, DefaultWalkItems),
		walkTime:  cmp.Or(cfg.WalkTime, DefaultWalkTime),
	}
	return r, selected, nil
}

// preflight asks the target for its base URL once: a refused connection or an
// unknown host is ErrUnreachable, an answer that is not HTTP ErrNotHTTP; any HTTP
// answer, even an error, and a slow one (each step judges its own timeout) let the
// run go on.
func (r *runner) preflight(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, r.base.String()+"/", nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	resp, err := r.client.Do(req)
	if err == nil {
		resp.Body.Close()
		return nil
	}
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	case isDialError(err):
		return fmt.Errorf("%w: %s: %s", ErrUnreachable, r.cfg.Target, r.scrub(rootCause(err)))
	case errors.As(err, &ne) && ne.Timeout():
		return nil
	}
	var rhe tls.RecordHeaderError
	switch {
	case errors.As(err, &rhe) || strings.Contains(err.Error(), "HTTP response to HTTPS client"):
		return fmt.Errorf("%w: %s: it answers plain HTTP, not TLS; try http://%s", ErrNotHTTP, r.cfg.Target, r.base.Host)
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		strings.Contains(err.Error(), "server closed idle connection"): // net/http's word for a close before any byte
		return fmt.Errorf("%w: %s: it closed the connection without answering", ErrNotHTTP, r.cfg.Target)
	case strings.Contains(err.Error(), "malformed HTTP"):
		return fmt.Errorf("%w: %s: %s", ErrNotHTTP, r.cfg.Target, r.scrub(check.OneLine(rootCause(err), 200)))
	case strings.Contains(err.Error(), "readLoopPeekFailLocked"):
		// net/http's word for bytes that came before the request was written: a
		// server that speaks first, as SSH does.
		return fmt.Errorf("%w: %s: it spoke before it was asked, as SSH and SMTP servers do", ErrNotHTTP, r.cfg.Target)
	}
	return nil // an HTTP answer, if a broken one: the steps report it
}

// isDialError reports a connection that could not be made at all: refused, no
// such host, no route.
func isDialError(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	return (errors.As(err, &opErr) && opErr.Op == "dial") || errors.As(err, &dnsErr)
}

func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// scenario runs sc, the index-th of the suite (which fixes its generated values).
func (r *runner) scenario(ctx context.Context, index int, sc *scenario.Scenario) report.ScenarioResult {
	switch lost := r.lost.Load(); {
	case lost != nil:
		return notRun(sc, report.NotRunPrefix+"the target stopped answering ("+*lost+")")
	case ctx.Err() != nil:
		return notRun(sc, report.NotRunPrefix+context.Cause(ctx).Error())
	case sc.NeedsForeignApp() && r.cfg.ForeignApp == "":
		return notRun(sc, "needs --foreign-app, an app the token is not granted, which also says the target enforces token grants")
	case sc.NeedsForeignToken() && r.cfg.ForeignToken == "":
		return notRun(sc, "needs --foreign-token, a second token granted --foreign-app: a step acts as that identity (auth: foreign-token)")
	}
	start := time.Now()
	res := report.ScenarioResult{Name: sc.Name, File: sc.File, Line: sc.Line, Tags: sc.Tags, Status: report.Passed}
	scope, err := r.newScope(index, sc)
	if err != nil {
		// The loader checked every name, so only a bound the contract does
		// not set can be missing.
		return notRun(sc, err.Error())
	}
	noAnswer := ""
	for _, st := range sc.Steps {
		if noAnswer != "" {
			res.Steps = append(res.Steps, report.StepResult{Name: st.Name, File: st.File, Line: st.Line, Operation: st.Op, Status: report.Skipped,
				SkipReason: report.NotRunPrefix + "step " + noAnswer + " got no answer"})
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
	res.Status = report.Worst(res.Steps)
	res.Duration = time.Since(start)
	return res
}

// step runs one step, a walk or a single request, and judges it. answered is false
// when the target gave no answer, so the scenario stops there.
func (r *runner) step(ctx context.Context, sc *scenario.Scenario, st *scenario.Step, scope *scope, cleanup bool) (res report.StepResult, answered bool) {
	start := time.Now()
	res = report.StepResult{Name: st.Name, File: st.File, Line: st.Line, Operation: st.Op, Cleanup: cleanup, Unchecked: st.Unchecked, Status: report.Passed}
	defer func() { res.Duration = time.Since(start) }()

	req, err := r.build(st, scope)
	if err != nil {
		res.Status = report.Skipped
		res.SkipReason = report.NotRunPrefix + err.Error()
		if cleanup && errors.Is(err, errUnset) {
			// Nothing was made for it to clean up: its work is done.
			res.Status, res.SkipReason = report.Passed, ""
		}
		if !errors.Is(err, errUnset) {
			res.Status = report.Failed
			res.Findings = []check.Finding{{Check: check.Expect, Message: err.Error()}}
		}
		return res, true
	}
	// A step with retry is tried again while its expectations fail; a walk
	// beside other scenarios is read again while only its expectations fail,
	// since their writes shift contacts between pages.
	tries, rereads := 1, 1
	if st.Retry != nil {
		tries += st.Retry.Times
	}
	if st.Walk && !sc.Exclusive {
		rereads = walkAttempts
	}
	for try := 1; ; try++ {
		var (
			ans      answer
			findings []check.Finding
			ok       bool
		)
		if st.Walk {
			ans, findings, ok = r.walk(ctx, st, req, &res, r.seeker(st, scope))
		} else {
			ans, findings, ok = r.single(ctx, st, req, &res)
		}
		if !ok {
			res.Findings = findings
			res.Status = report.Failed
			return res, false
		}
		// Captures first, so a capture finding sits with the expectations'.
		exp := r.expect(st, ans, scope)
		if st.Retry != nil {
			res.Tries = try
		}
		if try < tries && len(check.Failing(exp, r.cfg.StrictReadings)) > 0 && sleep(ctx, st.Retry.Interval) {
			continue
		}
		if try < rereads && len(exp) > 0 && len(findings) == 0 {
			continue
		}
		res.Findings = append(findings, exp...)
		break
	}
	if len(res.Findings) > report.MaxStepFindings {
		res.FindingsLeftOut = len(res.Findings) - report.MaxStepFindings
		res.Findings = res.Findings[:report.MaxStepFindings:report.MaxStepFindings]
	}
	res.Status = report.StatusOf(res.Findings, r.cfg.StrictReadings)
	if res.Status == report.Passed {
		// A passing answer needs no evidence: the report stays small, and the
		// same seed writes the same report (a curl holds ids the server made).
		res.Body, res.Curl = "", ""
	}
	return res, true
}

// answer is what a step's request got (a walk's: its pages), as the step's
// expectations see it.
type answer struct {
	status int
	doc    any // the decoded body, nil when it is not JSON
	header http.Header
	// slowest is the longest a request of the step took to be answered in full.
	slowest time.Duration
}

func (r *runner) single(ctx context.Context, st *scenario.Step, req *request, res *report.StepResult) (answer, []check.Finding, bool) {
	res.Curl = r.curl(req)
	res.Requests++
	x, took, tf := r.send(ctx, st.Op, req)
	if tf != nil {
		return answer{}, []check.Finding{*tf}, false
	}
	res.HTTPStatus = x.Status
	res.Body = snippet(x.Body, x.Truncated)
	ans := answer{status: x.Status, header: x.Header, slowest: took}
	if st.Unchecked {
		// Outside the contract: only the step's own expectations judge it.
		ans.doc, _ = check.DecodeJSON(x.Body) // nil when it is not JSON
		return ans, nil, true
	}
	r.countToken(st, x.Status)
	op, doc, findings := r.check.Check(ctx, x)
	if st.Op == "" && op != "" {
		res.Operation = op
	}
	ans.doc = doc
	return ans, findings, true
}

// sleep waits d, or less when ctx ends first; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *runner) countToken(st *scenario.Step, status int) {
	ok := status >= 200 && status < 300
	if (st.Auth == scenario.AuthWrongToken || st.Auth == scenario.AuthForeignApp || st.Auth == scenario.AuthTokenSuffix || st.Auth == scenario.AuthTokenPrefix || st.Auth == scenario.AuthTokenCase) && ok {
		r.anyToken.Store(true)
	}
	if st.Auth != scenario.AuthToken {
		return
	}
	switch {
	case status >= 200 && status < 300:
		r.tokenOK.Add(1)
	case status == http.StatusForbidden && !slices.Contains(st.Expect.Status, status):
		r.tokenRefused.Add(1)
	}
}
