package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/peers"
	"github.com/contactkit/contactkit/internal/peers/goserver"
)

// TestConformPassesPeers: `conform`, the default suite and the exploration, fails
// neither of the two servers written from the docs alone (internal/peers), each
// with its own choices at the docs' silences and with the other's, with one
// identity and with two: warnings are allowed, failures are not. The bench runs
// a hundred seeds of each (bench/peers.sh); this runs a few.
func TestConformPassesPeers(t *testing.T) {
	seeds := []int{1, 2}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, kind := range peers.Kinds {
		for _, swapped := range []bool{false, true} {
			opts := peers.Options{Grants: []string{"peer-token-one=app1", "peer-token-two=app2"}}
			name := fmt.Sprintf("%s with its own choices", kind)
			if swapped {
				// The other peer's choice at every silence, and slow answers.
				opts.Choices, opts.Slow = map[string]string{}, true
				for _, c := range peers.Choices {
					other := peers.Go
					if kind == peers.Go {
						other = peers.Node
					}
					opts.Choices[c.Name] = c.Default(other)
				}
				name = fmt.Sprintf("%s with the other's choices", kind)
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				for _, seed := range seeds {
					for _, two := range []bool{false, true} {
						url := peers.Start(t, kind, opts)
						args := []string{"conform", "--target", url, "--token", "peer-token-one", "--app", "app1", "--foreign-app", "app2",
							"--explore", "150", "--seed", fmt.Sprint(seed), "--json", filepath.Join(t.TempDir(), "r.json")}
						if two {
							args = append(args, "--foreign-token", "peer-token-two")
						}
						code, stdout, stderr := execute(t, args...)
						require.Equal(t, exitOK, code, "seed %d, two identities %v: a correct server failed:\n%s\n%s", seed, two, stdout, stderr)
						require.NotContains(t, stdout, "FAIL", "seed %d, two identities %v", seed, two)
					}
				}
			})
		}
	}
}

// TestConformFailsABrokenPeer proves the test above can fail: the Go peer with
// one documented behaviour broken, a PUT that flips is_blocked and back (so
// answers 200 and changes nothing), fails the run.
func TestConformFailsABrokenPeer(t *testing.T) {
	h, err := goserver.New(goserver.Config{Grants: map[string][]string{"peer-token-one": {"app1"}}})
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			h.ServeHTTP(httptest.NewRecorder(), r.Clone(r.Context())) // the first flip, unseen
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	code, stdout, _ := execute(t, "conform", "--target", srv.URL, "--token", "peer-token-one", "--app", "app1", "--explore", "0", "--seed", "1")
	require.Equal(t, exitMismatch, code, "a peer whose PUT changes nothing passed:\n%s", stdout)
	require.Contains(t, stdout, "the first PUT flips is_blocked", "the failure names the PUT")
}
