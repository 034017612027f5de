package explore_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/conformance/explore"
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
	seeds := 20
	if testing.Short() {
		seeds = 4
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
			if st.Status != conformance.Failed {
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

var _ = os.ReadFile
var _ = filepath.Join

// bugs are the broken doubles: each breaks one behaviour, and the setup it
// needs to be seen (a second token for the authorization matrix).
var bugs = []struct {
	bug   string
	setup setup
}{
	// authorization
	{"auth-suffix", twoTokens},
	{"auth-basic", open},
	{"auth-raw", open},
	{"bfla-list", twoTokens},
	{"bola-get", twoTokens},
	{"bola-delete", twoTokens},
	{"refused-write-applied", twoTokens},
	// crashes on particular inputs
	{"500-emoji", open},
	{"500-combining", open},
	{"500-int53", open},
	{"500-page-past-end", open},
	{"500-limit-1", open},
	// values altered on the way in or out
	{"phone-float", open},
	{"phone-int32", open},
	{"name-trim", open},
	{"name-nfc", open},
	{"name-truncate", open},
	{"toggle-touches-created", open},
	// batches
	{"batch-drop-last", open},
	{"batch-partial", open},
	{"batch-empty-201", open},
	{"batch-first-phone", open},
	// paging
	{"paging-off-by-one", open},
	{"paging-skip", open},
	{"paging-total", open},
	{"paging-unstable", open},
	// state leaking between contacts or apps
	{"toggle-two", open},
	{"toggle-not-stored", open},
	{"toggle-always-blocks", open},
	{"delete-two", open},
	{"delete-revives", open},
	{"deleted-listed", open},
	{"apps-shared", twoTokens},
}

// maxShrunk is how many operations a shrunk case may keep.
const maxShrunk = 6

func TestBrokenDoublesAreCaught(t *testing.T) {
	seeds := []int64{1, 2, 3, 4, 5}
	for _, b := range bugs {
		t.Run(b.bug, func(t *testing.T) {
			for _, seed := range seeds {
				_, cfg := serve(t, b.setup, b.bug)
				cfg.Seed = seed
				res, err := explore.Run(context.Background(), cfg)
				require.NoError(t, err)
				if res.OK() {
					t.Errorf("%s (%s), seed %d: not caught in %d operations", b.bug, b.setup, seed, res.Operations)
					continue
				}
				if n := res.Shrunk[0][1]; n > maxShrunk {
					t.Errorf("%s, seed %d: shrunk to %d operations (from %d), want at most %d:%s", b.bug, seed, n, res.Shrunk[0][0], maxShrunk, describe(res))
				}
				t.Logf("seed %d: %d ops -> %d:%s", seed, res.Shrunk[0][0], res.Shrunk[0][1], describe(res))
			}
		})
	}
}
