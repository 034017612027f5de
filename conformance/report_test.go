package conformance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http/httptest"
	"testing"

	"github.com/contactkit/contactkit/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// brokenReport runs the default suite against a double with many findings, so the
// reports carry every kind of field.
func brokenReport(t *testing.T, f flaw) *report.Report {
	t.Helper()
	srv := httptest.NewServer(newDouble(f))
	defer srv.Close()
	return runAgainst(t, srv, nil)
}

func TestJSONReportRoundTrips(t *testing.T) {
	for _, f := range []flaw{flawNone, flawPhoneString, flawMissingToken401} {
		rep := brokenReport(t, f)
		var buf bytes.Buffer
		require.NoError(t, rep.WriteJSON(&buf), "flaw %q: write JSON", f)
		var back report.Report
		require.NoError(t, json.Unmarshal(buf.Bytes(), &back), "flaw %q: read JSON", f)
		assert.Equal(t, *rep, back, "flaw %q: JSON report round trip", f)
	}
}

func TestJUnitReportIsXML(t *testing.T) {
	for _, f := range []flaw{flawNone, flawPagingRepeats, flawUnknownRouteText} {
		rep := brokenReport(t, f)
		var buf bytes.Buffer
		require.NoError(t, rep.WriteJUnit(&buf), "flaw %q: write JUnit", f)

		// A strict token-by-token read proves the file is well-formed XML.
		dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
		dec.Strict = true
		for {
			_, err := dec.Token()
			if err != nil {
				require.Equal(t, "EOF", err.Error(), "flaw %q: JUnit is not well-formed XML", f)
				break
			}
		}
		var suites struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Suites   []struct {
				Cases []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		require.NoError(t, xml.Unmarshal(buf.Bytes(), &suites), "flaw %q: parse JUnit", f)
		steps := rep.Summary.Steps.Passed + rep.Summary.Steps.Failed + rep.Summary.Steps.Skipped
		cases, failures := 0, 0
		for _, s := range suites.Suites {
			cases += len(s.Cases)
			for _, c := range s.Cases {
				if c.Failure != nil {
					failures++
				}
			}
		}
		assert.Equal(t, steps, cases, "flaw %q: one testcase per step", f)
		assert.Equal(t, steps, suites.Tests, "flaw %q: tests attribute", f)
		assert.Equal(t, rep.Summary.Steps.Failed, failures, "flaw %q: failed testcases", f)
		assert.Len(t, suites.Suites, len(rep.Scenarios), "flaw %q: one testsuite per scenario", f)
	}
}

func TestTextReportNamesWhereAndWhy(t *testing.T) {
	rep := brokenReport(t, flawPhoneString)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteText(&buf, false))
	out := buf.String()
	for _, want := range []string{
		"FAIL create - new contacts show in the list and the detail (fixtures/suite/create.yaml:",
		"failed step \"both are in the list with tag = name\" (fixtures/suite/create.yaml:",
		"request:  curl -sS -X GET '",
		"-H 'Authorization: Bearer ***'",
		"expected: integer (int64)",
		"contract: openapi.yaml#/components/schemas/Contact/properties/phone",
		"more like it, at /data/1/phone",
		"FAIL: scenarios ",
	} {
		assert.Contains(t, out, want, "console report")
	}
	assert.NotContains(t, out, testToken, "console report holds the token")
}
