package linear_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/conformance/linear"
)

func serve(t *testing.T, bug string) (*double, linear.Config) {
	t.Helper()
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	d := newDouble(spec, bug)
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return d, linear.Config{Target: srv.URL, Token: doubleToken, App: doubleApp}
}

// linearFindings gives the check.Linear findings of res.
func linearFindings(res *linear.Result) []check.Finding {
	var out []check.Finding
	for _, f := range res.Findings {
		if f.Check == check.Linear {
			out = append(out, f)
		}
	}
	return out
}

// TestBrokenDoublesAreCaught: each double that breaks one operation under
// concurrency is caught with the default Config in at least 9 runs of 10, by a
// finding that names the operation, the rule it breaks and its request.
func TestBrokenDoublesAreCaught(t *testing.T) {
	const (
		putRule    = "openapi.yaml#/paths/~1contacts~1{appId}~1{contactId}/put/description"
		deleteRule = "openapi.yaml#/paths/~1contacts~1{appId}~1{contactId}/delete/description"
		createRule = "openapi.yaml#/paths/~1contacts~1{appId}/post/description"
	)
	for _, tc := range []struct {
		bug   string
		rules []string // the rules its findings may cite
		says  string   // what the first finding's message holds
	}{
		// A PUT that reads, waits and writes also answers 200 having written
		// to a contact a DELETE removed meanwhile: DELETE's rule.
		{lostUpdate, []string{putRule, deleteRule}, "PUT"},
		{doubleDelete, []string{deleteRule}, "DELETE"},
		{partialBatch, []string{createRule}, "read total"},
		{lostBatch, []string{createRule}, "total"},
	} {
		t.Run(tc.bug, func(t *testing.T) {
			t.Parallel()
			runs, want := 10, 9
			if testing.Short() {
				runs, want = 3, 2
			}
			caught := 0
			for seed := range int64(runs) {
				d, cfg := serve(t, tc.bug)
				cfg.Seed = seed
				res, err := linear.Run(context.Background(), cfg)
				require.NoError(t, err, "seed %d", seed)
				fs := linearFindings(res)
				if len(fs) == 0 {
					t.Logf("%s, seed %d: not caught (%d rounds, %d judged, notes %q)", tc.bug, seed, res.Rounds, res.Judged, res.Notes)
					continue
				}
				caught++
				f := fs[0]
				for _, f := range fs {
					assert.Contains(t, tc.rules, f.Contract, "seed %d: the finding's rule", seed)
				}
				assert.Contains(t, f.Message, tc.says, "seed %d", seed)
				assert.Contains(t, f.Curl, "Bearer ***", "seed %d: the request, token masked", seed)
				assert.Equal(t, check.Docs, f.Source, "seed %d", seed)
				assert.Len(t, d.names(), seeded, "seed %d: the run deleted what it made, and only that", seed)
				if caught == 1 {
					t.Logf("seed %d: %s\n    expected: %s\n    actual: %s\n    contract: %s\n    request: %s", seed, f, f.Expected, f.Actual, f.Contract, f.Curl)
				}
			}
			assert.GreaterOrEqual(t, caught, want, "%s caught in %d runs of %d, want at least %d", tc.bug, caught, runs, want)
		})
	}
}

// TestFaithfulDoublePasses: a double with a lock around every operation is
// never flagged, every round is judged, and it ends holding what it started
// with.
func TestFaithfulDoublePasses(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 5
	}
	for seed := range int64(seeds) {
		d, cfg := serve(t, faithful)
		cfg.Seed = seed
		res, err := linear.Run(context.Background(), cfg)
		require.NoError(t, err, "seed %d", seed)
		assert.Empty(t, res.Findings, "seed %d: findings on a faithful double", seed)
		assert.Empty(t, res.Notes, "seed %d: notes on a faithful double", seed)
		assert.Equal(t, linear.DefaultRounds+linear.DefaultCreateRounds, res.Rounds, "seed %d: rounds", seed)
		assert.Equal(t, res.Rounds, res.Judged, "seed %d: judged rounds", seed)
		assert.True(t, res.OK(), "seed %d", seed)
		assert.Len(t, d.names(), seeded, "seed %d: left behind %q", seed, d.names())
	}
}

// TestRunIsSmall: the default run costs few requests, so that the explorer can
// afford it.
func TestRunIsSmall(t *testing.T) {
	_, cfg := serve(t, faithful)
	res, err := linear.Run(context.Background(), cfg)
	require.NoError(t, err)
	// 6 contact rounds of 4 clients × 3 operations and a read, and 3 create
	// rounds, each with its setup, walk and cleanup: about 150 requests.
	assert.Greater(t, res.Operations, 80, "operations in the histories")
	assert.Less(t, res.Requests, int64(200), "requests, setup and cleanup included")
	t.Logf("%d rounds, %d operations, %d requests, %s against a double whose every store access takes %s", res.Rounds, res.Operations, res.Requests, res.Duration, roundTrip)
}

// TestTokenNeverShown: whatever a run reports, on a double that fails it, holds
// no token; the curl lines mask it.
func TestTokenNeverShown(t *testing.T) {
	for _, bug := range []string{lostUpdate, doubleDelete, partialBatch, lostBatch} {
		_, cfg := serve(t, bug)
		cfg.Seed = 3
		res, err := linear.Run(context.Background(), cfg)
		require.NoError(t, err, bug)
		b, err := json.Marshal(res)
		require.NoError(t, err)
		assert.NotContains(t, string(b), doubleToken[:8], "%s: the token in the result", bug)
	}
}

// TestInterruptedRunCleansUp: a run cut short mid-round says so, and still
// deletes what it made.
func TestInterruptedRunCleansUp(t *testing.T) {
	for _, creates := range []bool{false, true} {
		for _, after := range []time.Duration{time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond} {
			d, cfg := serve(t, faithful)
			if creates {
				cfg.Rounds = -1 // create rounds only
			}
			ctx, cancel := context.WithTimeout(context.Background(), after)
			res, err := linear.Run(ctx, cfg)
			cancel()
			if err == nil {
				continue // it ended in time
			}
			require.ErrorIs(t, err, linear.ErrInterrupted, "after %s, creates only %v", after, creates)
			require.NotNil(t, res, "after %s, creates only %v: the result of what ran", after, creates)
			assert.Empty(t, res.Findings, "after %s, creates only %v: a cut history is no finding", after, creates)
			assert.Len(t, d.names(), seeded, "after %s, creates only %v: left behind", after, creates)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for name, cfg := range map[string]linear.Config{
		"no target":   {Token: "t", App: "a"},
		"no token":    {Target: "http://127.0.0.1:1", App: "a"},
		"no app":      {Target: "http://127.0.0.1:1", Token: "t"},
		"no scheme":   {Target: "127.0.0.1:4010", Token: "t", App: "a"},
		"with query":  {Target: "http://127.0.0.1:1/?x=1", Token: "t", App: "a"},
		"bad scheme":  {Target: "ftp://127.0.0.1", Token: "t", App: "a"},
		"unparsable":  {Target: "http://[::1", Token: "t", App: "a"},
		"empty host":  {Target: "http://", Token: "t", App: "a"},
		"only spaces": {Target: " ", Token: "t", App: "a"},
	} {
		res, err := linear.Run(context.Background(), cfg)
		assert.ErrorIs(t, err, linear.ErrConfig, name)
		assert.Nil(t, res, name)
	}
}

// TestUnreadableAnswersAreNotJudged: a target whose answers the model cannot
// read (a 500 on every PUT) gets no linear finding, but the answers are
// reported as what they break, and the rounds say they were not judged.
func TestUnreadableAnswersAreNotJudged(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	d := newDouble(spec, faithful)
	srv := httptest.NewServer(failPuts{d})
	defer srv.Close()
	res, err := linear.Run(context.Background(), linear.Config{Target: srv.URL, Token: doubleToken, App: doubleApp, Seed: 1, CreateRounds: -1})
	require.NoError(t, err)
	assert.Empty(t, linearFindings(res), "no linear finding from an unjudged round")
	require.NotEmpty(t, res.Findings, "the 500s are findings")
	assert.Equal(t, check.Status, res.Findings[0].Check, "a 500 is a status the contract does not document")
	assert.Less(t, res.Judged, res.Rounds, "rounds with a 500 are not judged")
	assert.True(t, strings.Contains(strings.Join(res.Notes, "\n"), "not judged") || res.Judged == 0)
	assert.Len(t, d.names(), seeded, "left behind")
}

// TestHostileTargets: a target that hangs, floods or echoes the token costs a
// bounded time, yields no linear finding (its rounds are not judged), is
// reported for what it breaks, never shows the token, and is cleaned up after.
func TestHostileTargets(t *testing.T) {
	isPut := func(r *http.Request) bool { return r.Method == http.MethodPut }
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		check  check.Check
	}{
		{"a PUT that never answers", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, check.Transport},
		{"a PUT answered with 2 MiB", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"data":"` + strings.Repeat("x", 2<<20) + `"}`))
		}, check.Body},
		{"a PUT answered with the token, not JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("oops " + r.Header.Get("Authorization")))
		}, check.Body},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := contactkit.LoadSpec()
			require.NoError(t, err)
			d := newDouble(spec, faithful)
			srv := httptest.NewServer(hostile{d: d, match: isPut, answer: tc.answer})
			defer srv.Close()
			start := time.Now()
			res, err := linear.Run(context.Background(), linear.Config{Target: srv.URL, Token: doubleToken, App: doubleApp, Seed: 2,
				Timeout: 200 * time.Millisecond, CreateRounds: -1})
			require.NoError(t, err, tc.name)
			assert.Less(t, time.Since(start), 10*time.Second, "%s: bounded", tc.name)
			assert.Empty(t, linearFindings(res), "%s: no round judged on answers it cannot read", tc.name)
			require.NotEmpty(t, res.Findings, tc.name)
			assert.Equal(t, tc.check, res.Findings[0].Check, "%s: %s", tc.name, res.Findings[0])
			b, err := json.Marshal(res)
			require.NoError(t, err)
			assert.NotContains(t, string(b), doubleToken[:8], "%s: the token in the result", tc.name)
			assert.Less(t, len(b), 64<<10, "%s: the result stays small", tc.name)
			assert.Len(t, d.names(), seeded, "%s: left behind", tc.name)
		})
	}
}

// TestRowsAreSoughtAfterCreates: after a create round the list is walked for
// every row of every batch answered 201: a row lost, or stored twice, is named.
func TestRowsAreSoughtAfterCreates(t *testing.T) {
	for bug, says := range map[string]string{lostBatch: "are not in it", twice: "more than once"} {
		named := false
		for seed := int64(0); seed < 5 && !named; seed++ {
			d, cfg := serve(t, bug)
			cfg.Seed, cfg.Rounds = seed, -1
			res, err := linear.Run(context.Background(), cfg)
			require.NoError(t, err, "%s, seed %d", bug, seed)
			for _, f := range linearFindings(res) {
				if strings.Contains(f.Message, says) {
					named = true
					assert.Equal(t, "every row of a batch answered 201, once", f.Expected, "%s: %s", bug, f)
					t.Logf("%s: %s", bug, f)
				}
			}
			assert.Len(t, d.names(), seeded, "%s, seed %d: left behind", bug, seed)
		}
		assert.True(t, named, "%s: no finding says the rows %s", bug, says)
	}
}
