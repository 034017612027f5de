package explore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/conformance/explore"
	"github.com/contactkit/contactkit/report"
	"github.com/contactkit/contactkit/scenario"
)

// setup is how a double is run: open (any token, one identity) or with two
// tokens, each granted its own app.
type setup int

const (
	open setup = iota
	twoTokens
)

func (s setup) String() string { return [...]string{"open", "two tokens"}[s] }

func serve(t *testing.T, s setup, bug string) (*httptest.Server, explore.Config) {
	t.Helper()
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	var grants map[string][]string
	if s == twoTokens {
		grants = map[string][]string{"token-one-secret": {"app1"}, "token-two-secret": {"app2"}}
	}
	srv := httptest.NewServer(newDouble(spec, grants, bug))
	t.Cleanup(srv.Close)
	cfg := explore.Config{Target: srv.URL, Token: "token-one-secret", App: "app1", Timeout: 10 * time.Second}
	if s == twoTokens {
		cfg.ForeignApp, cfg.ForeignToken = "app2", "token-two-secret"
	}
	return srv, cfg
}

func TestFaithfulDoublePasses(t *testing.T) {
	seeds := 10
	if raceEnabled || testing.Short() {
		seeds = 2
	}
	for _, s := range []setup{open, twoTokens} {
		for seed := range int64(seeds) {
			_, cfg := serve(t, s, "")
			cfg.Seed = seed
			res, err := explore.Run(context.Background(), cfg)
			require.NoError(t, err)
			if !res.OK() {
				t.Errorf("%s, seed %d: faithful double failed: %s", s, seed, describe(res))
			}
		}
	}
}

func describe(res *explore.Result) string {
	var out string
	for _, sc := range res.Scenarios {
		for _, st := range sc.Steps {
			if st.Status != report.Failed {
				continue
			}
			out += "\n  step " + st.Name + "\n    " + st.Curl
			for _, f := range st.Findings {
				out += "\n    - " + f.String() + " [expected " + f.Expected + ", actual " + f.Actual + "]"
			}
		}
	}
	return out
}

// bugs are the broken doubles: each breaks one behaviour, and the setup it
// needs to be seen (a second token for the authorization matrix).
var bugs = []struct {
	bug   string
	setup setup
	// ops is the exploration's length when not the default: the sequences
	// cannot find a bug only the concurrency phase after them can.
	ops int
}{
	// authorization
	{bug: "auth-suffix", setup: twoTokens},
	{bug: "auth-basic", setup: open},
	{bug: "auth-raw", setup: open},
	{bug: "bfla-list", setup: twoTokens},
	{bug: "bola-get", setup: twoTokens},
	{bug: "bola-delete", setup: twoTokens},
	{bug: "refused-write-applied", setup: twoTokens},
	// crashes on particular inputs
	{bug: "500-emoji", setup: open},
	{bug: "500-combining", setup: open},
	{bug: "500-int53", setup: open},
	{bug: "500-page-past-end", setup: open},
	{bug: "500-limit-1", setup: open},
	// values altered on the way in or out
	{bug: "phone-float", setup: open},
	{bug: "phone-int32", setup: open},
	{bug: "name-trim", setup: open},
	{bug: "name-nfc", setup: open},
	{bug: "name-truncate", setup: open},
	// batches
	{bug: "batch-drop-last", setup: open},
	{bug: "batch-partial", setup: open},
	{bug: "batch-first-phone", setup: open},
	// paging
	{bug: "paging-off-by-one", setup: open},
	{bug: "paging-skip", setup: open},
	{bug: "paging-total", setup: open},
	{bug: "paging-unstable", setup: open},
	// state leaking between contacts or apps
	{bug: "toggle-two", setup: open},
	{bug: "toggle-not-stored", setup: open},
	{bug: "toggle-always-blocks", setup: open},
	{bug: "delete-two", setup: open},
	{bug: "delete-revives", setup: open},
	{bug: "deleted-listed", setup: open},
	{bug: "apps-shared", setup: twoTokens},
	// authorization on identifiers
	{bug: "app-like", setup: twoTokens},
	{bug: "query-app", setup: twoTokens},
	{bug: "cache-before-auth", setup: open},
	{bug: "token-case", setup: twoTokens},
	// inputs the contract allows
	{bug: "charset-415", setup: open},
	{bug: "put-body", setup: open},
	{bug: "mass-assign", setup: open},
	{bug: "phone-list-float", setup: open},
	// states
	{bug: "empty-500", setup: open},
	{bug: "cap-1000", setup: open},
	{bug: "full-last-page", setup: open},
	// invariants after writes
	{bug: "put-renames", setup: open},
	{bug: "put-tags", setup: open},
	{bug: "errors-first-only", setup: open},
	{bug: "create-touches-other", setup: open},
	// concurrency: found only by operations that overlap on purpose
	{bug: "toggle-lost-update", setup: open, ops: 40},
	{bug: "create-torn", setup: open, ops: 40},
}

// readingDoubles break only a reading of a silence of the docs: the explorer
// warns, naming the reading, and does not fail (unless strict about readings).
var readingDoubles = []struct {
	bug, reading string
}{
	// The docs' own PUT example shows another created_at than their list.
	{"toggle-touches-created", contactkit.ReadingCreatedAtStable},
	// The docs say nothing of an empty batch.
	{"batch-empty-201", contactkit.ReadingCreateNotBatch},
}

// TestReadingDoublesWarn: a double that departs only from a reading passes with
// a warning that names it, every seed; strict about readings, it fails.
func TestReadingDoublesWarn(t *testing.T) {
	seeds := []int64{1, 2, 3}
	if raceEnabled || testing.Short() {
		seeds = seeds[:1]
	}
	for _, b := range readingDoubles {
		for _, seed := range seeds {
			_, cfg := serve(t, open, b.bug)
			cfg.Seed = seed
			res, err := explore.Run(context.Background(), cfg)
			require.NoError(t, err)
			require.True(t, res.OK(), "%s, seed %d: failed, want a warning:%s", b.bug, seed, describe(res))
			require.Len(t, res.Scenarios, 1)
			sc := res.Scenarios[0]
			assert.Equal(t, report.Warned, sc.Status, "%s, seed %d: status", b.bug, seed)
			var readings []string
			for _, f := range sc.Steps[0].Findings {
				readings = append(readings, f.Reading)
			}
			assert.Contains(t, readings, b.reading, "%s, seed %d: readings warned of", b.bug, seed)

			cfg.StrictReadings = true
			res, err = explore.Run(context.Background(), cfg)
			require.NoError(t, err)
			assert.False(t, res.OK(), "%s, seed %d: strict about readings, it passed", b.bug, seed)
		}
	}
}

// maxShrunk is how many operations a shrunk case may keep: a failure that
// needs a state (a contact made, read, blocked, then read again) keeps the
// operations that make it.
const maxShrunk = 8

// TestBrokenDoublesAreCaught runs the explorer with its default budget against
// every broken double, with five seeds (one under the race detector or -short,
// whose slowness would not prove more): each must be caught and shrink to a few
// operations. The first seed's scenario file must parse and, replayed by the
// scripted runner, fail against the broken double and pass against a faithful
// one.
func TestBrokenDoublesAreCaught(t *testing.T) {
	seeds := []int64{1, 2, 3, 4, 5}
	if raceEnabled || testing.Short() {
		seeds = seeds[:1]
	}
	for _, b := range bugs {
		t.Run(b.bug, func(t *testing.T) {
			for _, seed := range seeds {
				srv, cfg := serve(t, b.setup, b.bug)
				cfg.Seed, cfg.Ops = seed, b.ops
				if seed == seeds[0] {
					cfg.Out = t.TempDir()
				}
				res, err := explore.Run(context.Background(), cfg)
				require.NoError(t, err)
				if res.OK() {
					t.Errorf("%s (%s), seed %d: not caught in %d operations", b.bug, b.setup, seed, res.Operations)
					continue
				}
				if len(res.Shrunk) == 0 {
					// Neither the big state nor overlapping operations are
					// shrunk: each is one.
					require.True(t, slices.ContainsFunc(res.Scenarios[0].Steps, func(st report.StepResult) bool {
						return strings.HasPrefix(st.Name, "grow the app") || st.Name == explore.ConcurrencyStep && st.Status == report.Failed
					}), "%s, seed %d: not shrunk, yet neither the big state nor concurrency:%s", b.bug, seed, describe(res))
					continue
				}
				if n := res.Shrunk[0][1]; n > maxShrunk {
					t.Errorf("%s, seed %d: shrunk to %d operations (from %d), want at most %d:%s", b.bug, seed, n, res.Shrunk[0][0], maxShrunk, describe(res))
				}
				if cfg.Out != "" {
					checkReplay(t, b.bug, b.setup, srv.URL, cfg, res)
				}
			}
		})
	}
}

// checkReplay proves a written scenario file: it parses, and replayed by the
// scripted runner it fails against the broken double it came from and passes
// against a faithful one.
func checkReplay(t *testing.T, bug string, s setup, target string, cfg explore.Config, res *explore.Result) {
	t.Helper()
	require.Len(t, res.Files, 1, "%s: files written", bug)
	data, err := os.ReadFile(res.Files[0])
	require.NoError(t, err)
	require.NotContains(t, string(data), "secret", "%s: the file holds a token", bug)
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	_, err = scenario.Parse(spec, filepath.Base(res.Files[0]), data)
	require.NoError(t, err, "%s: written file does not parse:\n%s", bug, data)
	replay := func(target string) *report.Report {
		rc := conformance.Config{Target: target, Token: cfg.Token, App: cfg.App, ForeignApp: cfg.ForeignApp, ForeignToken: cfg.ForeignToken, Suite: os.DirFS(cfg.Out), SuiteName: cfg.Out}
		rep, err := conformance.Run(context.Background(), rc)
		require.NoError(t, err)
		return rep
	}
	if rep := replay(target); rep.OK() {
		t.Errorf("%s: the written file passes against the broken double:\n%s", bug, data)
	}
	good, _ := serve(t, s, "")
	if rep := replay(good.URL); !rep.OK() {
		var buf strings.Builder
		_ = rep.WriteText(&buf, false)
		t.Errorf("%s: the written file fails against a faithful double:\n%s\n%s", bug, data, buf.String())
	}
}

// TestInterruptedRunCleansUp cancels the run mid-way: what it made is deleted
// still, and the Result says it was interrupted.
func TestInterruptedRunCleansUp(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	d := newDouble(spec, nil, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 150 {
			cancel()
		}
		d.ServeHTTP(w, r)
	}))
	defer srv.Close()
	res, err := explore.Run(ctx, explore.Config{Target: srv.URL, Token: "t", App: "app1", Seed: 3})
	require.ErrorIs(t, err, explore.ErrInterrupted)
	require.NotNil(t, res)
	require.Greater(t, n.Load(), int64(150), "requests sent")
	d.mu.Lock()
	defer d.mu.Unlock()
	var left []string
	for _, c := range d.rows {
		if !c.deleted && !strings.HasPrefix(c.name, "Seed ") {
			left = append(left, c.name)
		}
	}
	assert.Empty(t, left, "contacts the interrupted run made and left behind")
}

// TestCatchRates measures, for every broken double, in how many of N seeds
// the explorer catches it (CATCH_SEEDS=N; skipped without: a sweep, not a
// test). bench/explore.sh runs it.
func TestCatchRates(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CATCH_SEEDS"))
	if n <= 0 {
		t.Skip("a sweep: set CATCH_SEEDS=N to run it (bench/explore.sh does)")
	}
	for _, b := range bugs {
		caught := 0
		for seed := range int64(n) {
			_, cfg := serve(t, b.setup, b.bug)
			cfg.Seed = 1000 + seed
			res, err := explore.Run(context.Background(), cfg)
			require.NoError(t, err)
			if !res.OK() {
				caught++
			}
		}
		t.Logf("%-24s caught in %2d of %d seeds", b.bug, caught, n)
	}
}
