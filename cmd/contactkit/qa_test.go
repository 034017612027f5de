package main

// The example QA suite (fixtures/examples/qa), run as a QA engineer runs it:
// the command line against the mock, with a vars file and an admin token from
// the environment, and its HTML report opened in a browser.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/browsertest"
	"github.com/contactkit/contactkit/mock"
	"github.com/contactkit/contactkit/report"
)

const (
	qaSuite      = "../../fixtures/examples/qa"
	qaVars       = "../../fixtures/examples/qa-vars.yaml"
	qaAdminToken = "qa-admin-token-0042"
)

// qaMock starts the mock as the README's CI jobs do: a token for app1, and an
// admin token.
func qaMock(t *testing.T) string {
	t.Helper()
	srv, err := mock.New(mock.Config{Auth: map[string][]string{"t": {"app1"}}, AdminToken: qaAdminToken, Strict: true})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

// copySuite copies the example suite to a new directory, with edit applied to
// the file named.
func copySuite(t *testing.T, file, old, new string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(qaSuite)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(qaSuite, e.Name()))
		require.NoError(t, err)
		if e.Name() == file {
			require.Contains(t, string(data), old, "%s holds the text to change", file)
			data = []byte(strings.Replace(string(data), old, new, 1))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644))
	}
	return dir
}

// TestQASuitePassesAgainstMock runs the example suite, which uses every key of
// the format, green against the mock, reports and all.
func TestQASuitePassesAgainstMock(t *testing.T) {
	t.Setenv("CONTACTKIT_ADMIN_TOKEN", qaAdminToken)
	target := qaMock(t)
	dir := t.TempDir()
	// The reports' directory is made when missing, as CI names one.
	jsonOut, junitOut, htmlOut := filepath.Join(dir, "r.json"), filepath.Join(dir, "reports", "r.xml"), filepath.Join(dir, "reports", "r.html")
	code, stdout, stderr := execute(t, "conform", "--target", target, "--token", "t", "--app", "app1", "--suite", qaSuite,
		"--vars", qaVars, "--var", "page_size=7", "--explore", "0", "--json", jsonOut, "--junit", junitOut, "--html", htmlOut)
	require.Equal(t, exitOK, code, "the example suite against the mock\nstdout:\n%s\nstderr:\n%s", stdout, stderr)

	data, err := os.ReadFile(jsonOut)
	require.NoError(t, err)
	var rep report.Report
	require.NoError(t, json.Unmarshal(data, &rep))
	var names []string
	tries := map[string]int{}
	for _, sc := range rep.Scenarios {
		names = append(names, sc.Name)
		for _, st := range sc.Steps {
			tries[st.Name] = st.Tries
		}
	}
	assert.Equal(t, "setup - the mock is up, with its seed data and no faults", names[0], "the setup runs first")
	assert.Equal(t, "teardown - no fault rule is left behind", names[len(names)-1], "the teardown runs last")
	assert.Contains(t, names, "create - each row's contact reads back as sent [who=Siti Nur Aisyah]", "a run per example row")
	assert.Equal(t, 3, tries["the list answers 200 on the third try"], "the retried list took three tries")
	for _, f := range []string{junitOut, htmlOut} {
		info, err := os.Stat(f)
		require.NoError(t, err)
		assert.NotZero(t, info.Size(), "%s written", f)
	}
	assert.NotContains(t, stdout+stderr+string(data), qaAdminToken, "the admin token from the environment is not shown")
}

// TestQASuiteLoadErrors: an unset environment variable and a header name typo in
// a matcher are load errors with file:line, exit 2.
func TestQASuiteLoadErrors(t *testing.T) {
	target := qaMock(t)
	os.Unsetenv("CONTACTKIT_ADMIN_TOKEN") // the test process's own, if a developer set it
	t.Setenv("CONTACTKIT_ADMIN_TOKEN", "")
	os.Unsetenv("CONTACTKIT_ADMIN_TOKEN")
	code, _, stderr := execute(t, "conform", "--target", target, "--token", "t", "--app", "app1", "--suite", qaSuite, "--vars", qaVars)
	assert.Equal(t, exitUsage, code, "an unset variable: exit code")
	assert.Contains(t, stderr, qaSuite+`/_setup.yaml:16: step "every app is back to its seed, every fault rule gone" uses {{env.CONTACTKIT_ADMIN_TOKEN}}, but CONTACTKIT_ADMIN_TOKEN is not set in the environment`)

	t.Setenv("CONTACTKIT_ADMIN_TOKEN", qaAdminToken)
	code, _, stderr = execute(t, "conform", "--target", target, "--token", "t", "--app", "app1", "--suite", qaSuite)
	assert.Equal(t, exitUsage, code, "a --var the suite needs, missing: exit code")
	assert.Contains(t, stderr, `contacts.yaml:7: var "name" uses {{contact_prefix}}, which is not defined before it, nor by an example row, --var or --vars`)

	code, _, stderr = execute(t, "conform", "--target", target, "--token", "t", "--app", "app1", "--suite", qaSuite, "--vars", qaVars, "--var", "nope")
	assert.Equal(t, exitUsage, code, "a --var without a value: exit code")
	assert.Contains(t, stderr, "write NAME=VALUE")
}

// TestQAFailureInBrowser runs the example suite with one wrong header
// expectation: the run fails, the console names the step's file:line, and the
// HTML report, opened in headless Chromium, shows the failing step's name, its
// curl and the expected value, and loads nothing from the network.
func TestQAFailureInBrowser(t *testing.T) {
	ctx := browsertest.New(t) // skips, saying why, without Chromium
	t.Setenv("CONTACTKIT_ADMIN_TOKEN", qaAdminToken)
	target := qaMock(t)
	suite := copySuite(t, "list.yaml", "Content-Type: {contains: application/json}", "Content-Type: {contains: text/html}")
	htmlOut, junitOut := filepath.Join(t.TempDir(), "report.html"), filepath.Join(t.TempDir(), "report.xml")
	code, stdout, stderr := execute(t, "conform", "--target", target, "--token", "t", "--app", "app1", "--suite", suite,
		"--vars", qaVars, "--explore", "0", "--html", htmlOut, "--junit", junitOut)
	require.Equal(t, exitMismatch, code, "a wrong header expectation fails the run\n%s%s", stdout, stderr)
	const step = "a page of page_size contacts, answered quickly"
	assert.Contains(t, stdout, `failed step "`+step+`" (`+suite+`/list.yaml:8)`, "the console names the step and its file:line")
	assert.Contains(t, stdout, `header Content-Type want it to contain "text/html", got "application/json"`)

	var (
		mu       sync.Mutex
		requests []string
	)
	chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	})
	_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
	require.NoError(t, err)
	page := (&url.URL{Scheme: "file", Path: htmlOut}).String()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(page)))

	// innerText is what is rendered: text in a closed <details> is not in it.
	failures := browsertest.Eval[string](t, ctx, `document.querySelector('#failures').innerText`)
	for _, want := range []string{step, "curl -sS -X GET '" + target + "/contacts/app1?page=1&limit=10'", `"text/html"`, "list.yaml:8", "contract"} {
		assert.Contains(t, failures, want, "the failure shows it")
	}
	assert.NotContains(t, failures, "'Authorization: Bearer t'", "the token is not shown")
	visible := browsertest.Eval[bool](t, ctx, `(() => { const r = document.querySelector('#failures article pre.curl').getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.top < window.innerHeight })()`)
	assert.True(t, visible, "the failing step's curl is on the first screen")
	body := browsertest.Eval[string](t, ctx, `document.body.innerText`)
	assert.NotContains(t, body, "the detail has it, its tags holding the name", "passing steps are folded")
	assert.Contains(t, body, "Passed (", "passing steps are listed, folded")
	assert.Equal(t, 0, browsertest.Eval[int](t, ctx, `document.querySelectorAll('script, img, link, iframe, object').length`), "nothing to load")
	assert.Equal(t, 0, browsertest.Eval[int](t, ctx, `performance.getEntriesByType('resource').length`), "no resource loaded")

	if shot := os.Getenv("CONTACTKIT_SCREENSHOT"); shot != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(shot, png, 0o600))
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{page}, requests, "the page is the only request")
}

// TestShortTokenKeepsWordsInTheJournal: the README's token, "t", is masked in
// the mock's journal where a credential goes, and nowhere else.
func TestShortTokenKeepsWordsInTheJournal(t *testing.T) {
	srv, err := mock.New(mock.Config{Auth: map[string][]string{"t": {"app1"}}})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/contacts/app1", strings.NewReader(`[{"name":"t","phone":6281234567890}]`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	resp, err = http.Get(ts.URL + "/__admin/requests")
	require.NoError(t, err)
	defer resp.Body.Close()
	journal, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(journal), `Bearer ***`, "the token is masked in the header")
	assert.NotContains(t, string(journal), `Bearer t"`, "the token is not shown")
	assert.Contains(t, string(journal), `\"name\":\"t\"`, "a name that reads like the token stays")
}
