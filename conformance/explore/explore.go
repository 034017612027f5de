package explore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/conformance/model"
	"github.com/contactkit/contactkit/redact"
	"github.com/contactkit/contactkit/report"
)

// Defaults for the zero values of Config.
const (
	// DefaultOps is how many operations an exploration generates.
	DefaultOps = 300
	// DefaultTimeBudget bounds an exploration, shrinking included, whatever Ops
	// says: against a slow target it explores what fits.
	DefaultTimeBudget = 60 * time.Second
	// DefaultTimeout bounds each request.
	DefaultTimeout = 10 * time.Second
	// DefaultSequence is how many operations one sequence holds; each sequence
	// starts from a fresh model and deletes what it made.
	DefaultSequence = 40
	// DefaultParallel is how many sequences run at once.
	DefaultParallel = 4
	// DefaultShrinkRuns caps the replays the shrinker makes.
	DefaultShrinkRuns = 200
	// DefaultWalkItems and DefaultWalkTime bound one walk of a list, for a
	// next_page that never ends.
	DefaultWalkItems = 200_000
	DefaultWalkTime  = 2 * time.Minute
)

// Errors Run returns.
var (
	// ErrConfig means the Config cannot be run.
	ErrConfig = errors.New("bad exploration configuration")
	// ErrInterrupted means ctx ended the exploration early; the Result holds
	// what ran.
	ErrInterrupted = errors.New("exploration interrupted")
)

// Config says what to explore. The zero value of each optional field is useful.
type Config struct {
	// Target is the base URL of the implementation, e.g. http://127.0.0.1:4010.
	Target string
	// Token is the bearer token granted App; it never appears in any output.
	Token string
	App   string
	// ForeignApp is an application Token is not granted: every operation on it
	// must be refused. Empty: the authorization checks that need it are skipped.
	ForeignApp string
	// ForeignToken is a second identity, granted ForeignApp (and not App): with
	// it the authorization matrix is checked both ways.
	ForeignToken string

	// Ops is how many operations to generate; 0 means DefaultOps.
	Ops int
	// Seed makes the run repeatable: the same seed against the same server state
	// sends the same requests.
	Seed int64
	// Out is where a failing case is written as a scenario file; "" writes none.
	Out string
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
	// TimeBudget bounds the whole exploration; 0 means DefaultTimeBudget. A
	// deadline of ctx bounds it too.
	TimeBudget time.Duration
	// Client sends the requests; nil means a fresh client. Redirects are never
	// followed.
	Client *http.Client
	// Parallel is how many sequences run at once; 0 means DefaultParallel.
	Parallel int
	// StrictReadings makes a departure from a reading of the docs' silences fail
	// the exploration; by default it is reported as a warning and exploring goes
	// on.
	StrictReadings bool
	// Spec is the contract the target is held to; nil means the embedded one.
	Spec *contactkit.Spec
	// NoConcurrency skips the last phase, operations overlapping on purpose
	// (package linear), whose create rounds need App to themselves.
	NoConcurrency bool
}

// Result is what an exploration found.
type Result struct {
	Seed       int64
	Operations int // generated operations run, shrinking's replays not counted
	Requests   int64
	Duration   time.Duration
	// Scenarios are the outcome as a report shows it, one scenario named
	// "explore": passed, warned (a step whose findings each depart from another
	// reading), or failed with the shrunk sequence as its steps.
	Scenarios []report.ScenarioResult
	// Files are the scenario files written to Config.Out.
	Files []string
	// Shrunk is the length of each failure's sequence before and after shrinking.
	Shrunk [][2]int
}

// OK reports whether the exploration found nothing that fails.
func (r *Result) OK() bool {
	return !slices.ContainsFunc(r.Scenarios, func(sc report.ScenarioResult) bool { return sc.Status == report.Failed })
}

// AddTo adds the exploration's outcome to rep: its scenarios and the counts.
func (r *Result) AddTo(rep *report.Report) {
	rep.Seed = r.Seed
	rep.Explored = r.Operations
	rep.Scenarios = append(rep.Scenarios, r.Scenarios...)
	rep.Duration += r.Duration
	rep.Count()
}

// ScenarioName names the exploration's scenario in every report, whatever the
// seed and the outcome, so CI history follows it from run to run.
const ScenarioName = "explore"

// explorer holds what every execution of a run shares.
type explorer struct {
	cfg     Config
	spec    *contactkit.Spec
	checker *check.Checker
	client  *http.Client
	base    *url.URL
	scrub   func(string) string
	// grants are the identities' apps, when the run says the target checks
	// tokens (a foreign app given); nil otherwise.
	grants   model.Grants
	requests atomic.Int64
	// gate keeps walks and membership changes apart: a create or delete holds it
	// alone, walks share it.
	gate sync.RWMutex
	// still keeps every write back while a read and its recheck run (see
	// holdStill): a write holds it shared, the pair alone.
	still sync.RWMutex
}

// Run explores cfg.Target: it generates cfg.Ops operations from the contract,
// in sequences checked against a model, with cfg.Seed; a failure is shrunk and
// written to cfg.Out, with the findings of the shrunk case's own run. The error is
// non-nil only when nothing could be run, or ctx ended the run (ErrInterrupted);
// what was found is in the Result. When ctx ends the run, what was made is
// deleted still, and the Result holds what ran.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Target == "" || cfg.Token == "" || cfg.App == "" {
		return nil, fmt.Errorf("%w: target, token and app are required", ErrConfig)
	}
	if cfg.ForeignToken != "" && cfg.ForeignApp == "" {
		return nil, fmt.Errorf("%w: a foreign token needs the foreign app it is granted", ErrConfig)
	}
	base, err := url.Parse(cfg.Target)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%w: target %q is not an http(s) URL", ErrConfig, cfg.Target)
	}
	spec := cfg.Spec
	if spec == nil {
		if spec, err = contactkit.LoadSpec(); err != nil {
			return nil, err
		}
	}
	cfg.Ops = cmp.Or(max(cfg.Ops, 0), DefaultOps)
	cfg.Timeout = cmp.Or(max(cfg.Timeout, 0), DefaultTimeout)
	cfg.TimeBudget = cmp.Or(max(cfg.TimeBudget, 0), DefaultTimeBudget)
	client := &http.Client{}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	x := &explorer{cfg: cfg, spec: spec, checker: check.New(spec), client: client, base: base, scrub: redact.NewScrubber(redact.WithSwappedCase(cfg.Token, cfg.ForeignToken)...).Scrub}
	if cfg.ForeignApp != "" {
		x.grants = model.Grants{cfg.Token: {cfg.App}}
		if cfg.ForeignToken != "" {
			x.grants[cfg.ForeignToken] = []string{cfg.ForeignApp}
		}
	}

	start := time.Now()
	res := &Result{Seed: cfg.Seed}
	bctx, cancel := context.WithTimeout(ctx, cfg.TimeBudget)
	defer cancel()
	g := newGen(spec, cfg.Seed, cfg.ForeignApp != "", cfg.ForeignToken != "")
	// Every sequence is drawn up front, in order, so the seed alone decides them.
	var seqs [][]action
	for left := cfg.Ops; left > 0; left -= DefaultSequence {
		seq := make([]action, min(DefaultSequence, left))
		for i := range seq {
			seq[i] = g.newAction()
		}
		seqs = append(seqs, seq)
	}

	execs := x.runAll(bctx, seqs)
	if !slices.ContainsFunc(execs, func(e *execution) bool { return e != nil && e.fail != nil }) && bctx.Err() == nil {
		// Then, alone, the states the sequences do not reach.
		seqs = append(seqs, bigState)
		execs = append(execs, x.execute(bctx, bigState, len(seqs)))
	}

	// Last, alone too, operations that overlap on purpose.
	var conc *report.StepResult
	if !cfg.NoConcurrency && !slices.ContainsFunc(execs, func(e *execution) bool { return e != nil && e.fail != nil }) && bctx.Err() == nil {
		conc = x.concurrency(bctx)
	}

	var warnings []warning
	var failure *report.ScenarioResult
	for j, e := range execs {
		if e == nil {
			continue
		}
		warnings = append(warnings, e.warnings...)
		if e.fail == nil {
			if seqs[j][0].kind != kGrow {
				res.Operations += e.done // the big state's are not the --explore N asked for
			}
			continue
		}
		res.Operations += e.fail.at + 1
		if failure == nil {
			sc := x.report(bctx, res, seqs, j, e)
			failure = &sc
		}
	}
	res.Requests = x.requests.Load()
	res.Duration = time.Since(start)
	switch {
	case failure != nil:
		res.Scenarios = append(res.Scenarios, *failure)
	default:
		res.Scenarios = append(res.Scenarios, x.passed(ctx, bctx, res, warnings, conc))
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	}
	return res, nil
}

// runAll runs the sequences side by side (each with keys of its own) until one
// fails, the budget is spent or ctx ends; a walk never runs while a contact is
// created or deleted, so the pages it reads agree.
func (x *explorer) runAll(ctx context.Context, seqs [][]action) []*execution {
	execs := make([]*execution, len(seqs))
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range min(cmp.Or(x.cfg.Parallel, DefaultParallel), len(seqs)) {
		wg.Go(func() {
			for {
				j := int(next.Add(1) - 1)
				if j >= len(seqs) || stop.Load() || ctx.Err() != nil {
					return
				}
				execs[j] = x.execute(ctx, seqs[j], j+1)
				if execs[j].fail != nil {
					stop.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return execs
}

// bigState is a sequence run alone after the others: it makes the app hold
// more than a thousand contacts (where servers cap totals, pages and offsets),
// unless it does, and walks it with every page full and with the largest limit.
// It deletes what it made, as every sequence does.
var bigState = []action{{kind: kGrow}, {kind: kWalk, exact: true}, {kind: kWalk, limit: "max"}}

// report shrinks the failure of seqs[j] (its execution e), judges it again on
// the shrunk case, writes it as a scenario file, and gives the failed scenario.
func (x *explorer) report(ctx context.Context, res *Result, seqs [][]action, j int, e *execution) report.ScenarioResult {
	if e.fail.findings[0].Check == check.Transport || j == len(seqs)-1 && len(seqs[j]) > 0 && seqs[j][0].kind == kGrow {
		// Nothing to shrink: no answer, or the one state a run makes big.
		return x.failedResult(e, "", nil)
	}
	seq, alone := x.alone(ctx, seqs, j, e)
	if alone == nil {
		// Seen only beside other sequences (a write that reached another
		// sequence's contact): reported as found, unshrunk.
		return x.failedResult(e, "", nil)
	}
	// se is the execution of the shrunk case itself: every finding reported was
	// judged on the final case's own requests and values, none carried over
	// from the case it was shrunk from.
	shrunk, se := x.shrink(ctx, seq[:alone.fail.at+1], alone)
	res.Shrunk = append(res.Shrunk, [2]int{alone.fail.at + 1, len(shrunk)})
	file, werr := x.write(se, shrunk)
	if file != "" {
		res.Files = append(res.Files, file)
	}
	return x.failedResult(se, file, werr)
}

// passed is the scenario of an exploration whose sequences found nothing
// failing: one step, warned with the first departure from each reading, if any;
// then the concurrency phase's step, if it ran, which may fail.
func (x *explorer) passed(ctx, bctx context.Context, res *Result, warnings []warning, conc *report.StepResult) report.ScenarioResult {
	// The requests a run sends depend on what the sequences beside each other did
	// first (a walk reads the pages others' contacts fill): Result counts them,
	// the report does not, so the same seed writes the same report.
	note := fmt.Sprintf("%d operations, every answer as the docs, HTTP and the model say", res.Operations)
	if ctx.Err() == nil && bctx.Err() != nil {
		note += fmt.Sprintf(" (stopped by the time budget of %s)", x.cfg.TimeBudget)
	}
	st := report.StepResult{Name: "generated operations", File: ScenarioName, Operation: everyOperation, Duration: res.Duration}
	seen := map[string]bool{}
	for _, w := range warnings {
		if seen[w.finding.Reading] {
			continue
		}
		seen[w.finding.Reading] = true
		f := w.finding
		f.Curl = w.curl
		st.Findings = append(st.Findings, f)
	}
	// The same readings in the same order whatever order sequences ended in.
	slices.SortStableFunc(st.Findings, func(a, b check.Finding) int { return cmp.Compare(a.Reading, b.Reading) })
	st.Status = report.StatusOf(st.Findings, x.cfg.StrictReadings)
	sc := report.ScenarioResult{Name: ScenarioName, File: ScenarioName, Tags: []string{"explore"}, Status: st.Status, Duration: res.Duration,
		Steps: []report.StepResult{st}, Note: note}
	if conc != nil {
		sc.Steps = append(sc.Steps, *conc)
		sc.Status = report.Worst(sc.Steps)
	}
	return sc
}

// execute runs seq once with a fresh model; n tells this execution's keys from
// every other's.
func (x *explorer) execute(ctx context.Context, seq []action, n int) *execution {
	e := newExecution(x, n)
	e.run(ctx, seq)
	return e
}

// NewSeed returns a random seed, for a run that was given none.
func NewSeed() int64 { return rand.Int64N(1 << 53) }
