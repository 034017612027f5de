package main

// Replicas of the mock on one Redis, as a team runs them behind a load balancer:
// the runner must not be able to tell them from one server.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/conformance/explore"
	"github.com/contactkit/contactkit/internal/redistest"
	"github.com/contactkit/contactkit/mock"
	"github.com/contactkit/contactkit/report"
)

// roundRobin is the smallest load balancer: each request to the next target in
// turn, as an nginx upstream does by default.
func roundRobin(t *testing.T, targets ...string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	proxies := make([]*httputil.ReverseProxy, len(targets))
	for i, target := range targets {
		u, err := url.Parse(target)
		require.NoError(t, err)
		proxies[i] = httputil.NewSingleHostReverseProxy(u)
	}
	var n atomic.Int64
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxies[(n.Add(1)-1)%int64(len(proxies))].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	return lb, &n
}

// replica is one mock on srv's Redis, served over real HTTP.
func replica(t *testing.T, srv *redistest.Server, cfg mock.Config) *httptest.Server {
	t.Helper()
	cfg.Store = srv.URL(0)
	m, err := mock.New(cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(m)
	t.Cleanup(hs.Close)
	t.Cleanup(func() { _ = m.Shutdown(context.Background()) })
	return hs
}

// TestDefaultSuitePassesAgainstTwoReplicas: the scripted suite and then the
// exploration, every request alternating between two replicas on one Redis.
func TestDefaultSuitePassesAgainstTwoReplicas(t *testing.T) {
	srv := redistest.Start(t)
	cfg := mock.Config{Auth: map[string][]string{"e2e-token": {"app1"}, "e2e-token-two": {"app2"}}, Strict: true}
	a, b := replica(t, srv, cfg), replica(t, srv, cfg)
	lb, sent := roundRobin(t, a.URL, b.URL)

	rep, err := conformance.Run(context.Background(), conformance.Config{
		Target: lb.URL, Token: "e2e-token", App: "app1", ForeignApp: "app2",
	})
	require.NoError(t, err)
	if !rep.OK() {
		var out strings.Builder
		require.NoError(t, rep.WriteText(&out, false))
		t.Fatalf("default suite against two replicas on one Redis failed:\n%s", out.String())
	}
	assert.GreaterOrEqual(t, rep.Summary.Scenarios.Passed, 15, "scenarios that ran and passed")
	assert.Zero(t, rep.Summary.Scenarios.Skipped, "scenarios skipped")
	assert.Greater(t, sent.Load(), int64(50), "requests spread over the replicas")

	for _, seed := range []int64{1, 2} {
		res, err := explore.Run(context.Background(), explore.Config{Target: lb.URL, Token: "e2e-token", App: "app1",
			ForeignApp: "app2", ForeignToken: "e2e-token-two", Seed: seed})
		require.NoError(t, err)
		if !res.OK() {
			rep := &report.Report{Target: lb.URL, App: "app1"}
			res.AddTo(rep)
			var out strings.Builder
			require.NoError(t, rep.WriteText(&out, false))
			t.Errorf("seed %d: exploration against two replicas on one Redis failed:\n%s", seed, out.String())
		}
		assert.Greater(t, res.Requests, int64(explore.DefaultOps), "seed %d: requests sent", seed)
	}
}

// TestRoundRobinCatchesReplicasThatDisagree proves the test above can fail: two
// replicas in memory keep state apart, and the suite, alternating between
// them, must notice.
func TestRoundRobinCatchesReplicasThatDisagree(t *testing.T) {
	cfg := mock.Config{Auth: map[string][]string{"e2e-token": {"app1"}}}
	var urls []string
	for range 2 {
		m, err := mock.New(cfg)
		require.NoError(t, err)
		hs := httptest.NewServer(m)
		t.Cleanup(hs.Close)
		urls = append(urls, hs.URL)
	}
	lb, _ := roundRobin(t, urls...)
	rep, err := conformance.Run(context.Background(), conformance.Config{
		Target: lb.URL, Token: "e2e-token", App: "app1", ForeignApp: "app2",
	})
	require.NoError(t, err)
	assert.False(t, rep.OK(), "the suite passed against two replicas that share no state")
}

func TestMockStoreFlags(t *testing.T) {
	for _, args := range [][]string{
		{"mock", "--store", "postgres://localhost/0"},
		{"mock", "--store", "redis://:hunter2@localhost:notaport/0"},
		{"mock", "--store-prefix", ""},
		{"mock", "--store-timeout", "0s"},
	} {
		code, stdout, stderr := execute(t, args...)
		assert.Equal(t, exitUsage, code, "contactkit %s: exit code", strings.Join(args, " "))
		assert.NotEmpty(t, stderr, "contactkit %s: says why", strings.Join(args, " "))
		assert.NotContains(t, stdout+stderr, "hunter2", "contactkit %s: shows the password", strings.Join(args, " "))
	}

	srv := redistest.StartWithPassword(t, "hunter2")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"mock", "--addr", "127.0.0.1:0", "--store", srv.URL(3), "--store-prefix", "team-a:"}, &out, &errOut)
	}()
	var base string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil && strings.Contains(out.String(), "Ctrl-C stops")
	}, 5*time.Second, 10*time.Millisecond, "banner printed")
	assert.Contains(t, out.String(), `store: redis://:xxxxx@`+srv.Addr+`/3, keys prefixed "team-a:"`, "the banner names the store")

	req, _ := http.NewRequest("POST", base+"/contacts/app", strings.NewReader(`[{"name":"Budi","phone":6281234567890}]`))
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 201, resp.StatusCode, "create through the mock")

	rdb := srv.Client(t, 3)
	keys, err := rdb.Keys(ctx, "*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys, "keys in database 3")
	for _, k := range keys {
		assert.True(t, strings.HasPrefix(k, "team-a:"), "key %q has the prefix", k)
	}
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("mock did not shut down")
	}
	assert.NotContains(t, out.String()+errOut.String(), "hunter2", "output shows the password")
}
