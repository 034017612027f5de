package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/conformance/explore"
	"github.com/contactkit/contactkit/mock"
	"github.com/contactkit/contactkit/report"
)

// listTotal reads meta.total of app's list on the mock.
func listTotal(t *testing.T, url, token, app string) json.Number {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/contacts/"+app, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Meta struct {
			Total json.Number `json:"total"`
		} `json:"meta"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return body.Meta.Total
}

// TestExploreAgainstMock cross-checks the explorer and the mock, which were
// written apart: over several seeds, open and with two tokens, the exploration

// exploreModes are the identities the exploration runs with against the mock:
// open mode, and two tokens each granted its own app.
var exploreModes = []struct {
	name string
	auth map[string][]string
	cfg  explore.Config
}{
	{"open", nil, explore.Config{Token: "any-token", App: "app1"}},
	{"two tokens", map[string][]string{"token-one": {"app1"}, "token-two": {"app2"}},
		explore.Config{Token: "token-one", App: "app1", ForeignApp: "app2", ForeignToken: "token-two"}},
}

// exploreClean explores target with cfg and seed and fails the test, with the
// report, if the exploration found anything.
func exploreClean(t *testing.T, what, target string, cfg explore.Config, seed int64) *explore.Result {
	t.Helper()
	cfg.Target, cfg.Seed = target, seed
	res, err := explore.Run(context.Background(), cfg)
	require.NoError(t, err)
	if !res.OK() {
		rep := &report.Report{Target: target, App: cfg.App}
		res.AddTo(rep)
		var out strings.Builder
		require.NoError(t, rep.WriteText(&out, false))
		t.Errorf("%s, seed %d: exploration against the mock failed:\n%s", what, seed, out.String())
	}
	return res
}

// finds nothing, and leaves every app as it found it.
func TestExploreAgainstMock(t *testing.T) {
	seeds := []int64{1, 2, 3, 4, 5}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, tc := range exploreModes {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := mock.New(mock.Config{Auth: tc.auth, Strict: true})
			require.NoError(t, err)
			ts := httptest.NewServer(srv)
			defer ts.Close()
			before := listTotal(t, ts.URL, tc.cfg.Token, "app1")
			for _, seed := range seeds {
				res := exploreClean(t, tc.name, ts.URL, tc.cfg, seed)
				assert.Greater(t, res.Requests, int64(explore.DefaultOps), "%s, seed %d: requests sent", tc.name, seed)
			}
			assert.Equal(t, before, listTotal(t, ts.URL, tc.cfg.Token, "app1"), "%s: app1's contacts after exploring", tc.name)
			if tc.cfg.ForeignToken != "" {
				assert.Equal(t, json.Number("25"), listTotal(t, ts.URL, tc.cfg.ForeignToken, "app2"), "%s: app2's contacts after exploring", tc.name)
			}
		})
	}
}

// TestExploreBigApp explores apps too big to walk in full: a walk cut short by
// a bound judges only the pages it read (no count, no absence), so an honest big
// app raises no alarm, and the walks stay cheap: a few requests per operation,
// not a walk of every page each time.
func TestExploreBigApp(t *testing.T) {
	const contacts = 20_000
	for _, tc := range exploreModes {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := mock.New(mock.Config{Auth: tc.auth, Contacts: contacts})
			require.NoError(t, err)
			ts := httptest.NewServer(srv)
			defer ts.Close()
			for _, seed := range []int64{1, 2} {
				res := exploreClean(t, fmt.Sprintf("%s, %d contacts", tc.name, contacts), ts.URL, tc.cfg, seed)
				assert.Less(t, res.Requests, int64(10*explore.DefaultOps), "%s, seed %d: requests sent for %d operations", tc.name, seed, res.Operations)
			}
			assert.Equal(t, json.Number("20000"), listTotal(t, ts.URL, tc.cfg.Token, "app1"), "%s: app1's contacts after exploring", tc.name)
		})
	}
}

// TestConformExploresAfterTheSuite runs the command as CI does: the scripted
// suite, then the exploration, the seed in every report.
func TestConformExploresAfterTheSuite(t *testing.T) {
	srv, err := mock.New(mock.Config{Auth: map[string][]string{"cli-token-one": {"app1"}, "cli-token-two": {"app2"}}})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	jsonFile, junitFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	t.Setenv(foreignTokenEnv, "cli-token-two")

	code, stdout, stderr := execute(t, "conform", "--target", ts.URL, "--token", "cli-token-one", "--app", "app1", "--foreign-app", "app2",
		"--explore", "120", "--seed", "42", "--json", jsonFile, "--junit", junitFile)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "explored 120 generated operations; seed 42")
	for _, f := range []string{jsonFile, junitFile} {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.NotContains(t, string(data), "cli-token", "%s holds a token", f)
		assert.NotContains(t, stdout+stderr, "cli-token", "output holds a token")
	}
	data, _ := os.ReadFile(jsonFile)
	var rep report.Report
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, int64(42), rep.Seed, "seed in the JSON report")
	xml, _ := os.ReadFile(junitFile)
	assert.Contains(t, string(xml), `<property name="seed" value="42">`, "seed in the JUnit report")
}

// TestConformForeignTokenSteps checks conform gives the scripted steps the
// foreign token (flag or environment), as a replayed exploration needs, and
// skips them, saying why, without it.
func TestConformForeignTokenSteps(t *testing.T) {
	srv, err := mock.New(mock.Config{Auth: map[string][]string{"cli-token-one": {"app1"}, "cli-token-two": {"app2"}}})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f.yaml"), []byte(`name: the second identity
steps:
  - name: the foreign token reads its own app
    op: listContacts
    auth: foreign-token
    expect: {status: 200}
  - name: the foreign token is refused on the main app
    op: listContacts
    params: {appId: "{{app}}"}
    auth: foreign-token
    expect: {status: 403}
`), 0o644))
	base := []string{"conform", "--target", ts.URL, "--token", "cli-token-one", "--app", "app1", "--foreign-app", "app2", "--suite", dir, "--explore", "0", "--verbose"}
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"flag", []string{"--foreign-token", "cli-token-two"}, "", "scenarios 1 passed, 0 warned, 0 failed, 0 skipped"},
		{"environment", nil, "cli-token-two", "scenarios 1 passed, 0 warned, 0 failed, 0 skipped"},
		{"none", nil, "", "needs --foreign-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(foreignTokenEnv, tc.env)
			code, stdout, stderr := execute(t, append(base, tc.args...)...)
			assert.Equal(t, exitOK, code, "%s: exit code; stderr:\n%s", tc.name, stderr)
			assert.Contains(t, stdout, tc.want, "%s: report", tc.name)
			assert.NotContains(t, stdout+stderr, "cli-token", "%s: output holds a token", tc.name)
		})
	}
}

func TestConformExploreFlags(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"foreign token without foreign app", []string{"--foreign-token", "x"}, "--foreign-token needs --foreign-app"},
		{"negative budget", []string{"--explore", "-1"}, "--explore must be 0 or more"},
		{"seed not a number", []string{"--seed", "x"}, "not an integer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"conform", "--target", "http://127.0.0.1:1", "--token", "t", "--app", "a"}, tc.args...)
			code, _, stderr := execute(t, args...)
			assert.Equal(t, exitUsage, code, "%s: exit code", tc.name)
			assert.Contains(t, stderr, tc.stderr, "%s: stderr", tc.name)
		})
	}
}

// BenchmarkExploreMock measures the exploration's rate against the mock in the
// same process (both share the CPU): requests checked per second, default budget.
func BenchmarkExploreMock(b *testing.B) {
	srv, err := mock.New(mock.Config{})
	require.NoError(b, err)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var reqs int64
	for i := 0; b.Loop(); i++ {
		res, err := explore.Run(context.Background(), explore.Config{Target: ts.URL, Token: "bench-token", App: "app1", Seed: int64(i % 5)})
		if err != nil || !res.OK() {
			b.Fatalf("seed %d: %v, ok %t", i%5, err, res != nil && res.OK())
		}
		reqs += res.Requests
	}
	b.ReportMetric(float64(reqs)/b.Elapsed().Seconds(), "req/s")
}

// TestConformDeadlineReachesExploration: --deadline bounds the whole run, so
// against a slow target the exploration stops when it passes, cleans up, and
// the reports say the run was cut short (exit 1), however many operations were
// asked for.
func TestConformDeadlineReachesExploration(t *testing.T) {
	srv, err := mock.New(mock.Config{Auth: map[string][]string{"cli-token-one": {"app1"}}, Latency: 20 * time.Millisecond})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	jsonFile := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := execute(t, "conform", "--target", ts.URL, "--token", "cli-token-one", "--app", "app1",
		"--run", "^list - defaults", "--explore", "100000", "--seed", "9", "--deadline", "3s", "--json", jsonFile)
	require.Equal(t, exitMismatch, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stderr, "the deadline of 3s passed")
	data, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	var rep report.Report
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Contains(t, rep.Error, "exploration interrupted", "the report says the deadline stopped the exploration")
	assert.Less(t, rep.Explored, 100000, "operations explored before the deadline")
	assert.Empty(t, failedSteps(rep), "an interrupted run blames the target for nothing")
}

func failedSteps(rep report.Report) []string {
	var out []string
	for _, sc := range rep.Scenarios {
		for _, st := range sc.Steps {
			if st.Status == report.Failed {
				out = append(out, sc.Name+" > "+st.Name)
			}
		}
	}
	return out
}

// TestJUnitNamesAreStable: two runs with other seeds name the same tests, so
// CI history follows each from run to run; and the same seed against a fresh
// mock writes the same JSON report, durations aside.
func TestJUnitNamesAreStable(t *testing.T) {
	run := func(seed string) (names []string, rep map[string]any) {
		srv, err := mock.New(mock.Config{Auth: map[string][]string{"cli-token-one": {"app1"}, "cli-token-two": {"app2"}}})
		require.NoError(t, err)
		ts := httptest.NewServer(srv)
		defer ts.Close()
		dir := t.TempDir()
		junitFile, jsonFile := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.json")
		code, stdout, stderr := execute(t, "conform", "--target", ts.URL, "--token", "cli-token-one", "--app", "app1", "--foreign-app", "app2",
			"--foreign-token", "cli-token-two", "--explore", "80", "--seed", seed, "--junit", junitFile, "--json", jsonFile)
		require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		data, err := os.ReadFile(junitFile)
		require.NoError(t, err)
		var suites struct {
			Suites []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name string `xml:"name,attr"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		require.NoError(t, xml.Unmarshal(data, &suites))
		for _, s := range suites.Suites {
			for _, c := range s.Cases {
				names = append(names, s.Name+" > "+c.Name)
			}
		}
		data, err = os.ReadFile(jsonFile)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &rep))
		delete(rep, "target") // each mock has a port of its own
		return names, withoutTimes(rep).(map[string]any)
	}
	one, repOne := run("1")
	two, _ := run("2")
	_, repAgain := run("1")
	assert.Equal(t, one, two, "JUnit test names of seeds 1 and 2")
	assert.Equal(t, repOne, repAgain, "JSON reports of seed 1 twice, durations aside")
}

// withoutTimes drops what a report says of time: when it started, how long.
func withoutTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k != "duration_ns" && k != "started" {
				out[k] = withoutTimes(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutTimes(e)
		}
		return out
	}
	return v
}
