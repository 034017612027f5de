package linear

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/redact"
)

// Defaults for the zero values of Config, and the bounds every value is held to.
const (
	// DefaultRounds is how many contact rounds a run plays.
	DefaultRounds = 6
	// DefaultCreateRounds is how many create rounds a run plays.
	DefaultCreateRounds = 3
	// DefaultClients is how many clients send at once in a round.
	DefaultClients = 4
	// DefaultOps is how many operations each client sends in a contact round; in
	// a create round a reader reads at most twice as many times.
	DefaultOps = 3
	// DefaultTimeout bounds each request.
	DefaultTimeout = 10 * time.Second
	// DefaultCheckTimeout bounds porcupine's check of one round's history.
	DefaultCheckTimeout = time.Second

	// MaxRounds, MaxClients and MaxOps bound what a Config may ask for, so a run
	// and its messages stay small whatever it says.
	MaxRounds  = 64
	MaxClients = 16
	MaxOps     = 16

	// WalkItems and WalkTime bound one walk of the list that looks for rows a
	// round made.
	WalkItems = 2000
	WalkTime  = 30 * time.Second
)

// Errors Run returns.
var (
	// ErrConfig means the Config cannot be run.
	ErrConfig = errors.New("bad linearizability configuration")
	// ErrInterrupted means ctx ended the run early; the Result holds what ran,
	// and what the run made was deleted still.
	ErrInterrupted = errors.New("linearizability run interrupted")
)

// Config says what to check. The zero value of each optional field is useful.
type Config struct {
	// Target is the base URL of the implementation, e.g. http://127.0.0.1:4010.
	Target string
	// Token is the bearer token granted App; it never appears in a Result.
	Token string
	App   string
	// Client sends the requests; nil means a client of our own with a
	// connection kept for each of the clients. Redirects are never followed.
	Client *http.Client
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Seed decides the rows' keys and every operation a round sends; the same
	// seed sends the same operations (their timing is the server's).
	Seed int64
	// Spec is the contract the target is held to; nil means the embedded one.
	Spec *contactkit.Spec

	// Rounds is how many contact rounds to play: 0 means DefaultRounds, a
	// negative number none.
	Rounds int
	// CreateRounds is how many create rounds to play: 0 means
	// DefaultCreateRounds, a negative number none. A create round needs App
	// quiet: the caller guarantees no other writer in App during Run.
	CreateRounds int
	// Clients is how many clients send at once; 0 means DefaultClients.
	Clients int
	// Ops is how many operations each client sends in a contact round; 0 means
	// DefaultOps.
	Ops int
	// CheckTimeout bounds porcupine's check of one round; 0 means
	// DefaultCheckTimeout.
	CheckTimeout time.Duration
}

// Result is what a run found.
type Result struct {
	Seed int64
	// Rounds is how many rounds were played, Judged how many of them had their
	// history checked to a verdict.
	Rounds, Judged int
	// Operations is how many operations the rounds' histories hold; Requests
	// every request sent, setup, walks and cleanup included.
	Operations int
	Requests   int64
	Duration   time.Duration
	// Findings are what breaks the contract: one check.Linear finding for each
	// round no order explains, one for a create round whose 201 rows the list
	// lacks or holds twice, and the every-answer checks' findings (or a
	// check.Expect one) on the answers that kept a round from being judged.
	Findings []check.Finding
	// Notes say what was not judged and why: a check out of time, a round cut
	// short, a walk that did not read the whole list.
	Notes []string
}

// OK reports whether the run found nothing that fails.
func (r *Result) OK() bool { return len(check.Failing(r.Findings, false)) == 0 }

// runner holds what every round of a run shares.
type runner struct {
	cfg     Config
	spec    *contactkit.Spec
	checker *check.Checker
	client  *http.Client
	// base is the target's scheme, host and path, without a trailing slash;
	// shown is the same with any password masked, for curl lines.
	base, shown string
	scrub       func(string) string
	marker      int // makes this run's keys unique
	requests    atomic.Int64
}

// Run plays cfg's contact rounds, then its create rounds, against cfg.Target,
// one round at a time, and returns what it found. The error is non-nil only when
// nothing could be run (ErrConfig), or ctx ended the run (ErrInterrupted, with
// the Result of what ran).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Target == "" || cfg.Token == "" || cfg.App == "" {
		return nil, fmt.Errorf("%w: target, token and app are required", ErrConfig)
	}
	base, err := url.Parse(cfg.Target)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" {
		return nil, fmt.Errorf("%w: target %q is not an http(s) base URL", ErrConfig, redact.Query(cfg.Target))
	}
	spec := cfg.Spec
	if spec == nil {
		if spec, err = contactkit.LoadSpec(); err != nil {
			return nil, err
		}
	}
	cfg.Rounds = rounds(cfg.Rounds, DefaultRounds)
	cfg.CreateRounds = rounds(cfg.CreateRounds, DefaultCreateRounds)
	cfg.Clients = min(cmp.Or(max(cfg.Clients, 0), DefaultClients), MaxClients)
	cfg.Ops = min(cmp.Or(max(cfg.Ops, 0), DefaultOps), MaxOps)
	cfg.Timeout = cmp.Or(max(cfg.Timeout, 0), DefaultTimeout)
	cfg.CheckTimeout = cmp.Or(max(cfg.CheckTimeout, 0), DefaultCheckTimeout)

	var client *http.Client
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	} else {
		// Go's default keeps 2 idle connections a host: the other clients would
		// dial afresh for every request.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = cfg.Clients + 1
		client = &http.Client{Transport: t}
		defer t.CloseIdleConnections()
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	base.Fragment = ""
	r := &runner{cfg: cfg, spec: spec, checker: check.New(spec), client: client,
		base:   strings.TrimSuffix(base.String(), "/"),
		shown:  strings.TrimSuffix(base.Redacted(), "/"),
		scrub:  redact.NewScrubber(cfg.Token).Scrub,
		marker: int((uint64(cfg.Seed)*0x9e3779b97f4a7c15+0x6c696e)>>40) % 100_000,
	}

	start := time.Now()
	res := &Result{Seed: cfg.Seed}
	// Every round is drawn up front, in order, so the seed alone decides them.
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6c696e656172))
	var plans []plan
	focus := rng.IntN(2)
	for i := range cfg.Rounds {
		plans = append(plans, r.contactPlan(rng, len(plans), (focus+i)%2))
	}
	for i := range cfg.CreateRounds {
		plans = append(plans, r.createPlan(rng, len(plans), i%2 == 1))
	}
	for _, p := range plans {
		if ctx.Err() != nil {
			break
		}
		out := p.play(ctx, r)
		res.Rounds++
		if out.judged {
			res.Judged++
		}
		res.Operations += out.ops
		res.Findings = append(res.Findings, fold(out.findings)...)
		res.Notes = append(res.Notes, out.notes...)
	}
	res.Requests = r.requests.Load()
	res.Duration = time.Since(start)
	for i := range res.Findings {
		f := &res.Findings[i]
		f.Message, f.Expected, f.Actual, f.Curl = r.scrub(f.Message), r.scrub(f.Expected), r.scrub(f.Actual), r.scrub(f.Curl)
	}
	for i := range res.Notes {
		res.Notes[i] = r.scrub(res.Notes[i])
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("%w after %d of %d rounds: %w", ErrInterrupted, res.Rounds, len(plans), context.Cause(ctx))
	}
	return res, nil
}

// rounds reads a count of rounds: 0 the default, negative none, at most
// MaxRounds.
func rounds(n, def int) int {
	switch {
	case n < 0:
		return 0
	case n == 0:
		return def
	}
	return min(n, MaxRounds)
}

// plan is one round, drawn from the seed before any is played.
type plan interface {
	play(ctx context.Context, r *runner) outcome
}

// outcome is what one round tells the Result.
type outcome struct {
	judged   bool
	ops      int
	findings []check.Finding
	notes    []string
	unjudged bool // a note says why the round was not judged
}

func (o *outcome) note(format string, args ...any) {
	o.notes = append(o.notes, fmt.Sprintf(format, args...))
}

// fold makes the same finding on many answers of a round (every PUT timed
// out) one finding, counted.
func fold(fs []check.Finding) []check.Finding {
	var out []check.Finding
	seen := map[string]int{}
	for _, f := range fs {
		k := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%q", f.Check, f.Source, f.Reading, f.Message, f.Pointer, f.Expected, f.Actual, f.Contract, f.More)
		if i, ok := seen[k]; ok {
			out[i].Count = max(out[i].Count, 1) + max(f.Count, 1)
			continue
		}
		seen[k] = len(out)
		out = append(out, f)
	}
	return out
}
