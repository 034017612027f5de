package conformance_test

// The scenario keys QA suites reach for (examples, variables, header and time
// expectations, retry, unchecked steps, setup and teardown), run over real HTTP
// against the faithful double with a little around it.

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/report"
)

// around serves the faithful double behind a few things a QA suite meets: an
// admin route outside the contract, headers of its own, slow answers, and
// refusals before it lets a list through. It logs every request it gets.
type around struct {
	double *double
	// refuse answers the first refuse lists with a 403 envelope.
	refuse int
	// slow delays every detail by this much.
	slow time.Duration
	// adminStatus is what /__admin/reset answers (200 when 0).
	adminStatus int

	// mu guards lists and log.
	mu    sync.Mutex
	lists int
	log   []string
}

func (a *around) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.log = append(a.log, r.Method+" "+r.URL.Path+" who="+r.Header.Get("X-Who")+" n="+r.Header.Get("X-N")+" env="+r.Header.Get("X-Env"))
	refused := false
	if r.Method == http.MethodGet && r.URL.Path == "/contacts/"+testApp {
		a.lists++
		refused = a.lists <= a.refuse
	}
	a.mu.Unlock()
	w.Header().Set("X-Served-By", "double")
	w.Header().Set("X-RateLimit-Remaining", "42")
	switch {
	case r.URL.Path == "/__admin/reset":
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(max(a.adminStatus, http.StatusOK))
		io.WriteString(w, "reset\n")
	case refused:
		a.double.send(w, http.StatusForbidden, nil)
	case strings.Count(r.URL.Path, "/") == 3 && r.Method == http.MethodGet:
		time.Sleep(a.slow)
		a.double.ServeHTTP(w, r)
	default:
		a.double.ServeHTTP(w, r)
	}
}

func (a *around) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.log...)
}

// runSuite runs the files against a over real HTTP.
func runSuite(t *testing.T, a *around, files map[string]string, mod func(*conformance.Config)) *report.Report {
	t.Helper()
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	suite := fstest.MapFS{}
	for name, body := range files {
		suite[name] = &fstest.MapFile{Data: []byte(body)}
	}
	cfg := conformance.Config{Target: srv.URL, Token: testToken, App: testApp, Suite: suite, SuiteName: "qa", Timeout: 10 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	rep, err := conformance.Run(context.Background(), cfg)
	require.NoError(t, err)
	return rep
}

func stepOf(t *testing.T, rep *report.Report, scenario, step string) report.StepResult {
	t.Helper()
	for _, sc := range rep.Scenarios {
		for _, st := range sc.Steps {
			if sc.Name == scenario && st.Name == step {
				return st
			}
		}
	}
	t.Fatalf("no step %q of scenario %q in the report", step, scenario)
	return report.StepResult{}
}

// TestExamplesAndVariables: one run per example row, named with it; a row's
// value beats the run's variable, which beats the scenario's var; the
// environment fills {{env.NAME}}.
func TestExamplesAndVariables(t *testing.T) {
	const suite = `name: rows
vars:
  who: the file's
  n: 0
examples:
  - {n: 1}
  - {n: 2}
steps:
  - name: list with the values as headers
    op: listContacts
    headers: {X-Who: "{{who}}", X-N: "{{n}}", X-Env: "{{env.QA_STAGE}}"}
    expect: {status: 200}
`
	a := &around{double: newDouble(flawNone)}
	rep := runSuite(t, a, map[string]string{"rows.yaml": suite}, func(cfg *conformance.Config) {
		cfg.Vars = map[string]any{"who": "the run's", "n": 9}
		cfg.Env = func(name string) (string, bool) {
			return map[string]string{"QA_STAGE": "staging"}[name], name == "QA_STAGE"
		}
	})
	require.True(t, rep.OK(), "%v", failures(rep))
	var names []string
	for _, sc := range rep.Scenarios {
		names = append(names, sc.Name)
	}
	assert.ElementsMatch(t, []string{"rows [n=1]", "rows [n=2]"}, names, "a run per row, named with it")
	assert.ElementsMatch(t, []string{
		"GET /contacts/app1 who=the run's n=1 env=staging",
		"GET /contacts/app1 who=the run's n=2 env=staging",
	}, a.requests()[1:], "requests (after the preflight)")

	// The names come from the file alone: another run, another seed, the same
	// JUnit names.
	again := runSuite(t, &around{double: newDouble(flawNone)}, map[string]string{"rows.yaml": suite}, func(cfg *conformance.Config) {
		cfg.Vars, cfg.Seed = map[string]any{"who": "someone else", "n": 1}, 99
		cfg.Env = func(string) (string, bool) { return "elsewhere", true }
	})
	var first, second bytes.Buffer
	require.NoError(t, rep.WriteJUnit(&first))
	require.NoError(t, again.WriteJUnit(&second))
	assert.Equal(t, junitNames(t, first.Bytes()), junitNames(t, second.Bytes()), "JUnit names of two runs")

	_, err := conformance.Run(context.Background(), conformance.Config{Target: "http://127.0.0.1:1", Token: "t", App: "a", Vars: map[string]any{"app": "x"}})
	assert.ErrorIs(t, err, conformance.ErrConfig, "a run's variable cannot take a built-in's name")
}

// junitNames lists a JUnit report's suite and case names, in order.
func junitNames(t *testing.T, data []byte) []string {
	t.Helper()
	var doc struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(data, &doc))
	var out []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			out = append(out, s.Name+" > "+c.Name)
		}
	}
	return out
}

// TestHeaderAndTimeExpectations: headers are matched by name in any case, with
// the body's matchers (numbers as numbers), and a slow answer fails
// max_duration.
func TestHeaderAndTimeExpectations(t *testing.T) {
	a := &around{double: newDouble(flawNone), slow: 80 * time.Millisecond}
	rep := runSuite(t, a, map[string]string{"h.yaml": `name: headers
steps:
  - name: the list's headers
    op: listContacts
    expect:
      status: 200
      max_duration: 5s
      headers:
        content-type: {matches: "^application/json"}
        X-SERVED-BY: double
        X-RateLimit-Remaining: {min: 1, max: 42, equals: "42"}
        X-Nope: {absent: true}
  - name: a header that differs
    op: listContacts
    expect:
      status: 200
      headers: {X-Served-By: mock}
  - name: a slow detail
    op: getContact
    params: {contactId: "{{random_uuid}}"}
    expect: {status: 404, max_duration: 20ms}
`}, nil)
	assert.Equal(t, report.Passed, stepOf(t, rep, "headers", "the list's headers").Status, "%v", failures(rep))
	differs := stepOf(t, rep, "headers", "a header that differs")
	require.Equal(t, report.Failed, differs.Status)
	require.Len(t, differs.Findings, 1)
	assert.Equal(t, `header X-Served-By want "mock", got "double"`, differs.Findings[0].Message)
	assert.Equal(t, `"mock"`, differs.Findings[0].Expected)
	assert.Equal(t, "h.yaml", differs.File[len(differs.File)-6:], "the step says its file")
	slow := stepOf(t, rep, "headers", "a slow detail")
	require.Equal(t, report.Failed, slow.Status)
	assert.Contains(t, slow.Findings[0].Message, "want at most 20ms")
	assert.Equal(t, "at most 20ms", slow.Findings[0].Expected)
}

// TestRetryUntilExpectationsHold: a step is tried again while its expectations
// fail, and the report says how many tries it took.
func TestRetryUntilExpectationsHold(t *testing.T) {
	suite := map[string]string{"r.yaml": `name: retry
steps:
  - name: the list, once the target lets it through
    op: listContacts
    retry: {times: 3, interval: 10ms}
    expect: {status: 200}
`}
	for _, tc := range []struct {
		refuse int
		want   report.Status
		tries  int
	}{{0, report.Passed, 1}, {2, report.Passed, 3}, {9, report.Failed, 4}} {
		rep := runSuite(t, &around{double: newDouble(flawNone), refuse: tc.refuse}, suite, nil)
		st := stepOf(t, rep, "retry", "the list, once the target lets it through")
		assert.Equal(t, tc.want, st.Status, "refusing %d lists: status", tc.refuse)
		assert.Equal(t, tc.tries, st.Tries, "refusing %d lists: tries", tc.refuse)
		assert.Equal(t, tc.tries, st.Requests, "refusing %d lists: requests", tc.refuse)
	}
}

// TestUncheckedSteps: a step outside the contract is judged by its own
// expectations only.
func TestUncheckedSteps(t *testing.T) {
	rep := runSuite(t, &around{double: newDouble(flawNone)}, map[string]string{"u.yaml": `name: admin
steps:
  - name: reset, in plain text
    method: POST
    path: /__admin/reset
    unchecked: true
    expect:
      status: 200
      headers: {Content-Type: {contains: text/plain}}
  - name: a body expectation on text
    method: POST
    path: /__admin/reset
    unchecked: true
    expect:
      status: 200
      body: {/status: ok}
`}, nil)
	assert.Equal(t, report.Passed, stepOf(t, rep, "admin", "reset, in plain text").Status, "%v", failures(rep))
	text := stepOf(t, rep, "admin", "a body expectation on text")
	require.Equal(t, report.Failed, text.Status)
	require.Len(t, text.Findings, 1, "no contract check: only the expectation's finding")
	assert.Contains(t, text.Findings[0].Message, "body is not JSON")
}

// TestSetupAndTeardown: the setup runs first, the teardown last; a failed setup
// keeps the rest from running, not the teardown.
func TestSetupAndTeardown(t *testing.T) {
	files := map[string]string{
		"_setup.yaml":    "name: setup\nsteps:\n  - name: reset\n    method: POST\n    path: /__admin/reset\n    unchecked: true\n    expect: {status: 200}\n",
		"_teardown.yaml": "name: teardown\nsteps:\n  - name: reset again\n    method: POST\n    path: /__admin/reset\n    unchecked: true\n    expect: {status: 200}\n",
		"a.yaml":         "name: a\nsteps:\n  - name: list\n    op: listContacts\n    expect: {status: 200}\n",
		"b.yaml":         "name: b\nsteps:\n  - name: list\n    op: listContacts\n    expect: {status: 200}\n",
	}
	a := &around{double: newDouble(flawNone)}
	rep := runSuite(t, a, files, func(cfg *conformance.Config) { cfg.Run = "^a$" })
	require.True(t, rep.OK(), "%v", failures(rep))
	var names []string
	for _, sc := range rep.Scenarios {
		names = append(names, sc.Name)
	}
	assert.Equal(t, []string{"setup", "a", "teardown"}, names, "the setup and teardown run with any selection")
	reqs := a.requests()
	assert.Equal(t, []string{"POST /__admin/reset", "GET /contacts/app1", "POST /__admin/reset"}, paths(reqs[1:]), "order of requests")

	a = &around{double: newDouble(flawNone), adminStatus: http.StatusServiceUnavailable}
	rep = runSuite(t, a, files, nil)
	assert.False(t, rep.OK())
	status := map[string]string{}
	for _, sc := range rep.Scenarios {
		status[sc.Name] = fmt.Sprint(sc.Status, " ", sc.SkipReason)
	}
	assert.Equal(t, map[string]string{
		"setup":    "failed ",
		"a":        `skipped the suite's setup failed (scenario "setup")`,
		"b":        `skipped the suite's setup failed (scenario "setup")`,
		"teardown": "failed ",
	}, status)
}

func paths(reqs []string) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i], _, _ = strings.Cut(r, " who=")
	}
	return out
}
