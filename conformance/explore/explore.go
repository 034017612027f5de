package explore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/conformance/model"

	"github.com/contactkit/contactkit/redact"
)

// Defaults for the zero values of Config.
const (
	// DefaultOps is how many operations an exploration generates.
	DefaultOps = 300
	// DefaultTimeBudget bounds an exploration, shrinking included, whatever Ops says.
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
)

// ErrConfig means the Config cannot be run.
var ErrConfig = errors.New("bad exploration configuration")

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
	// TimeBudget bounds the whole exploration; 0 means DefaultTimeBudget.
	TimeBudget time.Duration
	// Client sends the requests; nil means a fresh client. Redirects are never
	// followed.
	Client *http.Client
	// Parallel is how many sequences run at once; 0 means DefaultParallel.
	Parallel int
}

// Result is what an exploration found.
type Result struct {
	Seed       int64
	Operations int // generated operations run, shrinking's replays not counted
	Requests   int64
	Duration   time.Duration
	// Scenarios are the outcome as a report shows it: one passed scenario, or one
	// failed scenario per failure with the shrunk sequence as its steps.
	Scenarios []conformance.ScenarioResult
	// Files are the scenario files written to Config.Out.
	Files []string
	// Shrunk is the length of each failure's sequence before and after shrinking.
	Shrunk [][2]int
}

// OK reports whether the exploration found nothing.
func (r *Result) OK() bool {
	for _, sc := range r.Scenarios {
		if sc.Status == conformance.Failed {
			return false
		}
	}
	return true
}

// AddTo adds the exploration's outcome to rep: its scenarios, its seed and the
// counts.
func (r *Result) AddTo(rep *conformance.Report) {
	rep.Seed = r.Seed
	rep.Explored = r.Operations
	rep.Scenarios = append(rep.Scenarios, r.Scenarios...)
	rep.Duration += r.Duration
	var s conformance.Summary
	for _, sc := range rep.Scenarios {
		add(&s.Scenarios, sc.Status)
		for _, st := range sc.Steps {
			add(&s.Steps, st.Status)
		}
	}
	rep.Summary = s
}

func add(c *conformance.Counts, s conformance.Status) {
	switch s {
	case conformance.Passed:
		c.Passed++
	case conformance.Failed:
		c.Failed++
	case conformance.Skipped:
		c.Skipped++
	}
}

// explorer holds what every execution of a run shares.
type explorer struct {
	cfg      Config
	spec     *contactkit.Spec
	checker  *conformance.Checker
	client   *http.Client
	base     *url.URL
	scrub    func(string) string
	requests atomic.Int64
	// gate keeps walks and membership changes apart: a create or delete holds it
	// alone, walks share it.
	gate sync.RWMutex
}

// Run explores cfg.Target: it generates cfg.Ops operations from the contract,
// in sequences checked against a model, with cfg.Seed; a failure is shrunk and
// written to cfg.Out. The error is non-nil only when nothing could be run; what
// was found is in the Result. When ctx ends the run, what was made is deleted
// still, and the Result holds what ran.
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
	spec, err := contactkit.LoadSpec()
	if err != nil {
		return nil, err
	}
	if cfg.Ops <= 0 {
		cfg.Ops = DefaultOps
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.TimeBudget <= 0 {
		cfg.TimeBudget = DefaultTimeBudget
	}
	client := &http.Client{}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	x := &explorer{cfg: cfg, spec: spec, checker: conformance.NewChecker(spec), client: client, base: base, scrub: redact.NewScrubber(cfg.Token, cfg.ForeignToken).Scrub}

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
	// Sequences run side by side (each with keys of its own); a walk never runs
	// while a contact is created or deleted, so the pages it reads agree.
	execs := make([]*execution, len(seqs))
	next := atomic.Int64{}
	stop := atomic.Bool{}
	var wg sync.WaitGroup
	for range min(cmp.Or(cfg.Parallel, DefaultParallel), len(seqs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j := int(next.Add(1) - 1)
				if j >= len(seqs) || stop.Load() || bctx.Err() != nil {
					return
				}
				execs[j] = x.execute(bctx, seqs[j], j+1)
				if execs[j].fail != nil {
					stop.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	for j, e := range execs {
		if e == nil {
			continue
		}
		if e.fail == nil {
			res.Operations += len(seqs[j])
			continue
		}
		res.Operations += e.fail.at + 1
		if e.fail.findings[0].Check == conformance.CheckTransport {
			res.Scenarios = append(res.Scenarios, x.failedResult(e, seqs[j], "", nil))
			break
		}
		seq, alone := x.alone(bctx, seqs, j, e)
		if alone == nil {
			// Seen only beside other sequences (a write that reached another
			// sequence's contact): reported as found, unshrunk.
			res.Scenarios = append(res.Scenarios, x.failedResult(e, seqs[j][:e.fail.at+1], "", nil))
			break
		}
		shrunk, se := x.shrink(bctx, seq[:alone.fail.at+1], alone)
		res.Shrunk = append(res.Shrunk, [2]int{alone.fail.at + 1, len(shrunk)})
		file, werr := x.write(se, shrunk)
		if file != "" {
			res.Files = append(res.Files, file)
		}
		res.Scenarios = append(res.Scenarios, x.failedResult(se, shrunk, file, werr))
		break // one failure, shrunk, says more than many unshrunk
	}
	res.Requests = x.requests.Load()
	res.Duration = time.Since(start)
	if len(res.Scenarios) == 0 {
		msg := fmt.Sprintf("%d operations, %d requests, every answer as the contract and the model say", res.Operations, res.Requests)
		if ctx.Err() == nil && bctx.Err() != nil {
			msg += fmt.Sprintf(" (stopped by the time budget of %s)", cfg.TimeBudget)
		}
		res.Scenarios = append(res.Scenarios, conformance.ScenarioResult{
			Name: fmt.Sprintf("explore: seed %d", cfg.Seed), File: "explore", Tags: []string{"explore"}, Status: conformance.Passed, Duration: res.Duration,
			Steps: []conformance.StepResult{{Name: msg, File: "explore", Status: conformance.Passed, Duration: res.Duration, Requests: int(res.Requests)}},
		})
	}
	if ctx.Err() != nil {
		return res, conformance.ErrInterrupted
	}
	return res, nil
}

// execute runs seq once with a fresh model; n tells this execution's keys from
// every other's.
func (x *explorer) execute(ctx context.Context, seq []action, n int) *execution {
	e := &execution{x: x, m: model.New(x.spec, model.Config{}), marker: int((uint64(x.cfg.Seed)*2654435761 + uint64(n)*40503) % 100000)}
	e.run(ctx, seq)
	return e
}

// alone finds a sequence that fails when it runs by itself, as a replay and a
// scenario file do: the one that failed beside others (seqs[j], whose execution
// was e) if it fails alone, else the first of all that does. It returns nil when
// none does.
func (x *explorer) alone(ctx context.Context, seqs [][]action, j int, e *execution) ([]action, *execution) {
	if a := x.execute(ctx, seqs[j], 20_000+j); a.fail != nil && a.fail.signature(seqs[j]) == e.fail.signature(seqs[j]) {
		return seqs[j], a
	}
	for k, seq := range seqs {
		if ctx.Err() != nil {
			break
		}
		if a := x.execute(ctx, seq, 30_000+k); a.fail != nil {
			return seq, a
		}
	}
	return nil, nil
}

// shrink reduces seq, whose execution e failed, to the shortest sequence with the
// simplest values that still fails the same way, and returns it with its
// execution.
func (x *explorer) shrink(ctx context.Context, seq []action, e *execution) ([]action, *execution) {
	sig := e.fail.signature(seq)
	best, bestE := seq, e
	runs := 0
	try := func(cand []action) bool {
		if runs >= DefaultShrinkRuns || ctx.Err() != nil || len(cand) == 0 {
			return false
		}
		runs++
		ce := x.execute(ctx, cand, 10_000+runs)
		if ce.fail == nil || ce.fail.signature(cand) != sig {
			return false
		}
		best, bestE = cand[:ce.fail.at+1], ce
		return true
	}
	// The failing operation alone, or with the few before it, is often enough.
	for k := 1; k <= 3 && k < len(best); k++ {
		if try(append([]action{}, best[len(best)-k:]...)) {
			break
		}
	}
	// Drop chunks of actions, halving the chunk size.
	for n := len(best) / 2; n >= 1; n /= 2 {
		for i := 0; i+n <= len(best); {
			cand := append(append([]action{}, best[:i]...), best[i+n:]...)
			if !try(cand) {
				i += n
			}
		}
	}
	for i := 0; i < len(best); i++ {
		if !try(append(append([]action{}, best[:i]...), best[i+1:]...)) {
			continue
		}
		i--
	}
	// Simplify what is left, while it gets simpler: fewer rows, shorter names,
	// plainer queries.
	for i := 0; i < len(best); i++ {
		for again := true; again; {
			again = false
			for _, cand := range simpler(best[i]) {
				c := append([]action{}, best...)
				c[i] = cand
				if try(c) {
					again = i < len(best)
					break
				}
			}
		}
	}
	return best, bestE
}

// simpler returns variants of a, each a little simpler.
func simpler(a action) []action {
	var out []action
	if len(a.rows) > 1 {
		for j := range a.rows {
			b := a
			b.rows = append(append([]row{}, a.rows[:j]...), a.rows[j+1:]...)
			out = append(out, b)
		}
	}
	for j, rw := range a.rows {
		if rw.focusName && rw.class != invalid && rw.shape == "" {
			var name string
			_ = jsonUnmarshal(rw.value, &name)
			if r := []rune(name); len(r) > 1 {
				b := a
				b.rows = append([]row{}, a.rows...)
				b.rows[j].value = jsonString(string(r[:len(r)/2]))
				out = append(out, b)
				b2 := a
				b2.rows = append([]row{}, a.rows...)
				b2.rows[j].value = jsonString(string(r[len(r)/2:]))
				out = append(out, b2)
			}
		}
		if rw.shape == "extra" {
			b := a
			b.rows = append([]row{}, a.rows...)
			b.rows[j].shape = ""
			out = append(out, b)
		}
	}
	if a.kind == kList {
		if a.page != "" {
			b := a
			b.page = ""
			out = append(out, b)
		}
		if a.limit != "" {
			b := a
			b.limit = ""
			out = append(out, b)
		}
	}
	if a.ref > 0 {
		b := a
		b.ref = 0
		out = append(out, b)
	}
	return out
}

// write writes e's steps to a scenario file in Config.Out and returns its path.
func (x *explorer) write(e *execution, seq []action) (string, error) {
	if x.cfg.Out == "" {
		return "", nil
	}
	f := e.fail.findings[0]
	header := []string{
		fmt.Sprintf("Found by contactkit conform's exploration, seed %d, shrunk to %d operation(s).", x.cfg.Seed, len(seq)),
		"Replay: contactkit conform --target URL --token TOKEN --app APP --suite " + filepath.ToSlash(x.cfg.Out) + " --explore 0",
		"Failure: " + oneLine(f.String(), 200),
	}
	if f.Contract != "" {
		header = append(header, "Contract: "+f.Contract)
	}
	needs := e.needs()
	switch {
	case slices.Contains(needs, conformance.NeedForeignToken):
		header[1] = strings.Replace(header[1], "--app APP", "--app APP --foreign-app APP2 --foreign-token TOKEN2", 1)
	case slices.Contains(needs, conformance.NeedForeignApp):
		header[1] = strings.Replace(header[1], "--app APP", "--app APP --foreign-app APP2", 1)
	}
	var cleanup []yStep
	for _, c := range e.made {
		auth := ""
		if c.foreign {
			auth = conformance.AuthForeignToken
		}
		cleanup = append(cleanup, yStep{Name: fmt.Sprintf("delete contact %d", c.ord), Op: contactkit.OpDeleteContact, Auth: auth,
			Params: map[string]string{"contactId": fmt.Sprintf("{{c%d}}", c.ord)}, Expect: yExpect{Status: []int{http.StatusOK, http.StatusNotFound}}})
	}
	name := fmt.Sprintf("explore seed %d: %s", x.cfg.Seed, clip(strings.TrimSpace(f.Message), 80))
	data, err := scenarioYAML(name, header, e.steps, cleanup, needs)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(x.cfg.Out, 0o755); err != nil {
		return "", fmt.Errorf("write scenario: %w", err)
	}
	path := filepath.Join(x.cfg.Out, fmt.Sprintf("explore-seed-%d.yaml", x.cfg.Seed))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("write scenario: %w", err)
	}
	return path, nil
}

// needs lists what a replay of e's steps needs of the run: the foreign app, and
// the foreign token when a step acts as the second identity.
func (e *execution) needs() []string {
	var app, token bool
	for _, st := range e.steps {
		app = app || st.Auth == conformance.AuthForeignApp || st.Auth == conformance.AuthForeignToken
		token = token || st.Auth == conformance.AuthForeignToken
	}
	for _, c := range e.made {
		app, token = app || c.foreign, token || c.foreign
	}
	var out []string
	if app {
		out = append(out, conformance.NeedForeignApp)
	}
	if token {
		out = append(out, conformance.NeedForeignToken)
	}
	return out
}

// failedResult turns a failing execution into a report's scenario: the shrunk
// sequence as steps, the last one failed with its findings.
func (x *explorer) failedResult(e *execution, seq []action, file string, werr error) conformance.ScenarioResult {
	sc := conformance.ScenarioResult{
		Name: fmt.Sprintf("explore: seed %d, %d operation(s) after shrinking", x.cfg.Seed, len(seq)),
		File: cmp.Or(file, "explore"), Tags: []string{"explore"}, Status: conformance.Failed,
	}
	for i, st := range e.steps {
		sr := conformance.StepResult{Name: st.Name, File: sc.File, Line: 0, Operation: st.Op, Status: conformance.Passed, Requests: 1}
		if i == e.fail.step || (i == len(e.steps)-1 && e.fail.step >= len(e.steps)) {
			sr.Status = conformance.Failed
			sr.Curl = e.fail.curl
			sr.HTTPStatus = e.fail.status
			sr.Body = e.fail.body
			sr.Findings = e.fail.findings
		}
		sc.Steps = append(sc.Steps, sr)
	}
	if len(sc.Steps) == 0 {
		sc.Steps = append(sc.Steps, conformance.StepResult{Name: "explore", File: sc.File, Status: conformance.Failed, Curl: e.fail.curl, Findings: e.fail.findings})
	}
	if werr != nil {
		sc.Steps[len(sc.Steps)-1].Findings = append(sc.Steps[len(sc.Steps)-1].Findings, conformance.Finding{Check: conformance.CheckTransport, Message: "the scenario file was not written: " + werr.Error()})
	}
	return sc
}

// NewSeed returns a random seed, for a run that was given none.
func NewSeed() int64 { return rand.Int64N(1 << 53) }
