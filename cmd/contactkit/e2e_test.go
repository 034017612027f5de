package main

// The mock and the runner never import each other; they meet here, as a user
// meets them: the default suite replayed against the mock over real HTTP.

import (
	"bufio"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/mock"
)

func TestDefaultSuitePassesAgainstMock(t *testing.T) {
	for _, tc := range []struct {
		name        string
		auth        map[string][]string
		foreignApp  string
		wantSkipped bool
	}{
		{"auth mode with a foreign app", map[string][]string{"e2e-token": {"app1"}}, "app2", false},
		{"open mode without a foreign app", nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := mock.New(mock.Config{Auth: tc.auth, Strict: true})
			require.NoError(t, err)
			ts := httptest.NewServer(srv)
			defer ts.Close()

			rep, err := conformance.Run(context.Background(), conformance.Config{
				Target: ts.URL, Token: "e2e-token", App: "app1", ForeignApp: tc.foreignApp,
			})
			require.NoError(t, err)
			if !rep.OK() {
				var out strings.Builder
				require.NoError(t, rep.WriteText(&out, false))
				t.Fatalf("default suite against the mock failed:\n%s", out.String())
			}
			sum := rep.Summary
			assert.Zero(t, sum.Scenarios.Failed, "failed scenarios")
			assert.Zero(t, sum.Steps.Failed, "failed steps")
			assert.GreaterOrEqual(t, sum.Scenarios.Passed, 15, "scenarios that ran and passed")
			assert.Equal(t, tc.wantSkipped, sum.Scenarios.Skipped > 0,
				"foreign-app scenarios skipped (%d) only without --foreign-app", sum.Scenarios.Skipped)
		})
	}
}

// TestCommandLineEndToEnd drives both subcommands exactly as the README does:
// the mock on a free loopback port, conform against it, then a graceful stop.
func TestCommandLineEndToEnd(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()

	out, w := io.Pipe()
	mockDone := make(chan error, 1)
	go func() {
		mockDone <- run(ctx, []string{"mock", "--addr", "127.0.0.1:0", "--auth", "cli-token=app1", "--log-format", "none"}, w, io.Discard)
		w.Close()
	}()

	lines := bufio.NewScanner(out)
	require.True(t, lines.Scan(), "the mock prints where it listens")
	first := lines.Text()
	go io.Copy(io.Discard, out) // the rest of the banner, and the shutdown line
	_, url, ok := strings.Cut(first, "listening on ")
	require.True(t, ok, "first line %q names the address", first)

	code, stdout, stderr := execute(t, "conform", "--target", url, "--token", "cli-token", "--app", "app1", "--foreign-app", "app2")
	assert.Equal(t, exitOK, code, "conform against the mock: exit code\n%s%s", stdout, stderr)
	assert.Contains(t, stdout, "0 failed", "summary line")
	assert.NotContains(t, stdout+stderr, "cli-token", "the token never appears in output")

	code, _, _ = execute(t, "conform", "--target", url, "--token", "not-granted", "--app", "app1")
	assert.Equal(t, exitMismatch, code, "conform with a token the mock refuses must find mismatches")

	stop()
	select {
	case err := <-mockDone:
		assert.NoError(t, err, "mock stops cleanly on cancel")
	case <-time.After(10 * time.Second):
		t.Fatal("mock did not shut down within 10 s of cancel")
	}
}

// TestOpenModeMockIsRecognised runs the default suite with a foreign app against
// the mock in open mode, as the quick start starts it: the token scenarios fail,
// and the report says why, once, in words a user can act on.
func TestOpenModeMockIsRecognised(t *testing.T) {
	srv, err := mock.New(mock.Config{})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: ts.URL, Token: "t", App: "app1", ForeignApp: "app2"})
	require.NoError(t, err)
	assert.False(t, rep.OK(), "open mode cannot pass the token scenarios")
	assert.Contains(t, rep.Hint, "it checks no tokens", "the hint names open mode")
	assert.Contains(t, rep.Hint, "--auth TOKEN=APP", "the hint says how to start the mock")
}
