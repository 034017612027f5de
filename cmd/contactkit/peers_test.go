package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/internal/peers"
	"github.com/contactkit/contactkit/internal/peers/goserver"
	"github.com/contactkit/contactkit/journal"
	"github.com/contactkit/contactkit/proxy"
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
				opts.Choices, opts.Slow = peers.ChoicesOf(peers.Other(kind)), true
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

// TestProxyJudgesPeersFairly puts the proxy, told the grants, in front of each
// peer and sends what a front end does and what a sloppy one does too (a phone
// that is not a number, two of them in one batch, no token, another app, an
// unknown route, the same page twice): against correct servers only the
// client's mistakes are flagged, never the server. A peer that serves one app's
// contacts to a token not granted it is flagged.
func TestProxyJudgesPeersFairly(t *testing.T) {
	for _, kind := range peers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			target := peers.Start(t, kind, peers.Options{Grants: []string{proxyToken + "=shop"}})
			client, server := proxyVerdicts(t, target)
			assert.Positive(t, client, "the client's mistakes are flagged as such")
			assert.Empty(t, server, "a correct server is flagged")
		})
	}
	t.Run("go peer that ignores the grants", func(t *testing.T) {
		h, err := goserver.New(goserver.Config{Grants: map[string][]string{proxyToken: {"shop"}}})
		require.NoError(t, err)
		leaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.URL.Path = strings.Replace(r.URL.Path, "/contacts/other", "/contacts/shop", 1)
			h.ServeHTTP(w, r)
		}))
		defer leaky.Close()
		_, server := proxyVerdicts(t, leaky.URL)
		assert.NotEmpty(t, server, "another app's contacts served to the token passed")
	})
}

// proxyVerdicts sends a front end's traffic, careful and sloppy, through a proxy
// in front of target, and sorts what the proxy journaled: the count of the
// client's mistakes, and the server's violations; departures from a reading are
// neither.
func proxyVerdicts(t *testing.T, target string) (client int, server []string) {
	t.Helper()
	p, err := proxy.New(proxy.Config{Target: target, Grants: map[string][]string{proxyToken: {"shop"}}})
	require.NoError(t, err)
	ps := httptest.NewServer(p)
	defer ps.Close()
	frontEnd(t, ps.URL)
	send := func(method, path, body string, header ...string) {
		req, err := http.NewRequest(method, ps.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+proxyToken)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	send("GET", "/contacts/shop?page=1&limit=5", "")
	send("GET", "/contacts/shop?page=1&limit=5", "")
	send("POST", "/contacts/shop", `[{"name":"Budi","phone":"6281234567890"}]`)
	send("POST", "/contacts/shop", `[{"name":"Ana","phone":6281234567891},{"name":"Ani","phone":true},{"name":"Ina","phone":"x"}]`)
	send("GET", "/contacts/shop", "", "Authorization", "")
	send("GET", "/contacts/other", "")
	send("GET", "/contacts/shop?page=0", "")
	send("POST", "/contacts/shop", `[{"name":"Teks","phone":6281234567892}]`, "Content-Type", "text/plain")
	send("GET", "/nowhere", "")
	for _, e := range p.Journal().Entries(journal.Filter{}) {
		for _, v := range e.Violations {
			switch {
			case v.Check == string(check.BadRequest):
				client++
			case v.Source == string(check.Reading):
				t.Logf("%s %s departs from reading %s (not a violation)", e.Method, e.Path, v.Reading)
			default:
				server = append(server, e.Method+" "+e.Path+": "+v.Check+": "+v.Message)
			}
		}
	}
	return client, server
}
