package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// hostile is text a target may put in an answer, and so in a report.
const hostile = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`

// sampleReport is a run with one step of each outcome, text from the target
// hostile wherever it can reach.
func sampleReport() *Report {
	rep := &Report{Target: "http://127.0.0.1:4010", App: "app1", Seed: 42, Scenarios: []ScenarioResult{
		{Name: "create " + hostile, File: "suite/create.yaml", Line: 3, Status: Failed, Steps: []StepResult{
			{Name: "create two contacts", File: "suite/create.yaml", Line: 10, Operation: contactkit.OpCreateContacts, Status: Passed, Requests: 1},
			{Name: "both are in the list", File: "suite/create.yaml", Line: 18, Operation: contactkit.OpListContacts, Status: Failed, Requests: 3, Tries: 3,
				Curl: `curl -sS -X GET 'http://127.0.0.1:4010/contacts/app1?limit=50' -H 'Authorization: Bearer ***'`, HTTPStatus: 200, Body: `{"data":[{"tag":"` + hostile + `"}]}`,
				Findings: []check.Finding{{Check: check.Expect, Message: "/data/0/tag want \"Budi\", got " + hostile, Expected: `"Budi"`, Actual: hostile,
					Contract: "openapi.yaml#/paths/~1contacts~1{appId}/get"}}},
		}},
		{Name: "auth", File: "suite/auth.yaml", Line: 1, Status: Warned, Steps: []StepResult{
			{Name: "a foreign app is refused", File: "suite/auth.yaml", Line: 5, Status: Warned, HTTPStatus: 404, Body: "{}",
				Findings: []check.Finding{{Check: check.Expect, Source: check.Reading, Reading: contactkit.ReadingAuthRefusal, Message: "status 404, want 403", Expected: "403", Actual: "404"}}},
		}},
		{Name: "foreign", File: "suite/foreign.yaml", Line: 1, Status: Skipped, SkipReason: "needs --foreign-app"},
	}}
	rep.Count()
	return rep
}

// TestHTMLReport: failures come first with their request, expected and actual
// values and rule; warnings name their reading; passing steps are folded; every
// text from the target is escaped; nothing is fetched from anywhere.
func TestHTMLReport(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, sampleReport().WriteHTML(&b))
	page := b.String()

	failures, warnings, passed := strings.Index(page, `id="failures"`), strings.Index(page, `id="warnings"`), strings.Index(page, `id="passed"`)
	require.True(t, failures > 0 && warnings > failures && passed > warnings, "sections in order: failures %d, warnings %d, passed %d", failures, warnings, passed)
	for _, want := range []string{
		"both are in the list", "suite/create.yaml:18", "curl -sS -X GET &#39;http://127.0.0.1:4010/contacts/app1?limit=50&#39;",
		"&#34;Budi&#34;", "openapi.yaml#/paths/~1contacts~1{appId}/get", "3 tries",
		"warning: ", "reading <code>auth-refusal</code>", "needs --foreign-app",
	} {
		assert.Contains(t, page, want, "the page shows it")
	}
	assert.NotContains(t, page, "<script", "no script, the target's least of all")
	assert.NotContains(t, page, "<img", "no markup from the target")
	assert.Contains(t, page, "&lt;script&gt;window.__xss=1&lt;/script&gt;", "the target's text is shown as text")
	assert.Regexp(t, `(?s)<details><summary><span class="badge failed">FAIL</span>create .*create two contacts`, page, "passing steps are folded")
	for _, external := range []*regexp.Regexp{regexp.MustCompile(`(?i)<[^>]*\b(src|href)\s*=`), regexp.MustCompile(`(?i)url\(`), regexp.MustCompile(`(?i)@import`)} {
		assert.NotRegexp(t, external, page, "the page refers to nothing outside itself")
	}
	assert.Contains(t, page, `content="default-src 'none'; style-src 'unsafe-inline'"`, "its policy forbids fetching")
}

// TestHTMLReportOfAPassingRun says so at the top, with nothing unfolded.
func TestHTMLReportOfAPassingRun(t *testing.T) {
	rep := &Report{Target: "http://x", App: "a", Scenarios: []ScenarioResult{{Name: "s", Status: Passed, Steps: []StepResult{{Name: "st", Status: Passed}}}}}
	rep.Count()
	var b bytes.Buffer
	require.NoError(t, rep.WriteHTML(&b))
	assert.Contains(t, b.String(), `<span class="verdict ok">OK</span>`)
	assert.NotContains(t, b.String(), `id="failures"`)
}
