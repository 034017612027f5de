package conformance_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/report"
)

// runAgainst runs the default suite against h over real HTTP.
func runAgainst(t *testing.T, srv *httptest.Server, mod func(*conformance.Config)) *report.Report {
	t.Helper()
	cfg := conformance.Config{Target: srv.URL, Token: testToken, App: testApp, ForeignApp: testForeign, Parallel: 4, Timeout: 30 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	rep, err := conformance.Run(context.Background(), cfg)
	require.NoError(t, err, "run against %s", srv.URL)
	return rep
}

// failures lists every failed step as "scenario > step: finding [contract]".
func failures(rep *report.Report) []string {
	var out []string
	for _, sc := range rep.Scenarios {
		for _, st := range sc.Steps {
			for _, f := range st.Findings {
				out = append(out, sc.Name+" > "+st.Name+": "+f.String()+" ["+f.Contract+"]")
			}
		}
	}
	return out
}

func TestFaithfulDoublePasses(t *testing.T) {
	srv := httptest.NewServer(newDouble(flawNone))
	defer srv.Close()
	rep := runAgainst(t, srv, nil)
	assert.Empty(t, failures(rep), "faithful double: findings")
	assert.True(t, rep.OK(), "faithful double: report OK")
	assert.Zero(t, rep.Summary.Scenarios.Skipped, "faithful double: nothing skipped with a foreign app")
	assert.Greater(t, rep.Summary.Steps.Passed, 40, "steps passed")
}

// TestFaithfulAlternativesPass answers, where the docs are silent, with the
// other readings the contract allows (readings.go); none of them may raise an alarm.
func TestFaithfulAlternativesPass(t *testing.T) {
	d := newDouble(flawNone)
	d.alt = true
	srv := httptest.NewServer(d)
	defer srv.Close()
	for _, parallel := range []int{1, 16} {
		rep := runAgainst(t, srv, func(c *conformance.Config) { c.Parallel = parallel })
		assert.Empty(t, failures(rep), "alternative answers, parallel %d: findings", parallel)
	}
}

func TestBrokenDoublesAreCaught(t *testing.T) {
	cases := []struct {
		flaw flaw
		want string // text a finding must hold, naming the broken behaviour
	}{
		{flawStatusCodeMismatch, "envelope statusCode 200 disagrees with the HTTP status 404"},
		{flawCodeWrong, "envelope code \"FORBIDDEN_ACCESS\" is not the word for 403"},
		{flawMessageWrong, "envelope message is not the docs' sentence for 404"},
		{flawPhoneString, "openapi.yaml#/components/schemas/Contact/properties/phone"},
		{flawTextPlain, "content type is \"text/plain; charset=utf-8\", want application/json"},
		{flawLimitHonoured, "limit=51 was honoured above the documented max of 50"},
		{flawDeleteKeeps, "get after delete answers 404: expect: status 200, want 404"},
		{flawPutNeverUnblocks, "the second PUT flips it back: expect: /data/is_blocked"},
		{flawPutNoop, "the first PUT flips is_blocked: expect: /data/is_blocked want anything but"},
		{flawMissingToken401, "without a token answers 403: status: status 401 is not one"},
		{flawMissingTokenAllowed, "list without a token answers 403: expect: status 200, want 403"},
		{flawForeignAllowed, "not granted answers 403: expect: status 200, want 403"},
		{flawWrongTokenAllowed, "list with a token nobody issued answers 403: expect: status 200, want 403"},
		{flawPagingRepeats, "is listed twice across pages"},
		{flawTotalWrong, "meta.total says"},
		{flawNextOnLast, "meta.next_page must be null on the last page"},
		{flawPastEndItems, "is past the last page (2) yet holds"},
		{flawInvalidRowAccepted, "second row has a text phone answers 422 keyed 1.phone: expect: status 201, want 422"},
		{flawErrorsNoIndex, "/errors/1.phone is absent"},
		{flawPartialBatch, "nothing of the failed batches was stored: expect: /data[phone="},
		{flawCreatedMissing, "both are in the list with tag = name: expect: /data[phone="},
		{flawTagsMissingName, "tags holding the name: expect: /data/tags want it to contain"},
		{flawUnknownContact200, "detail of an unknown contact answers 404: expect: status 200, want 404"},
		{flawDeletedGettable, "get after delete answers 404: expect: status 200, want 404"},
		{flawPreviousOnFirst, "meta.previous_page must be null on the first page"},
		{flawDefaultLimit20, "list with no parameters: expect: /meta/limit want 10"},
		{flawLastPageFloor, "meta.last_page is"},
		{flawDetailTag, "openapi.yaml#/components/schemas/ContactDetail/required"},
		{flawCreatedAtBad, "openapi.yaml#/components/schemas/Contact/properties/created_at"},
		{flawUnknownRouteText, "a path outside the API answers 404: body: body is not JSON"},
		{flawMalformed500, "malformed JSON answers 400 or 422: status: status 500 is not one"},
	}
	for _, tc := range cases {
		t.Run(string(tc.flaw), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(newDouble(tc.flaw))
			defer srv.Close()
			rep := runAgainst(t, srv, nil)
			assert.False(t, rep.OK(), "double with %q: the run must fail", tc.flaw)
			got := failures(rep)
			found := false
			for _, f := range got {
				if strings.Contains(f, tc.want) {
					found = true
					break
				}
			}
			assert.True(t, found, "double with %q: no finding holds %q; findings:\n%s", tc.flaw, tc.want, strings.Join(got, "\n"))
		})
	}
}

// TestReadingDoublesWarn: a double that departs only from a reading of the
// docs' silences passes with warnings naming that reading; strict about
// readings, the same run fails.
func TestReadingDoublesWarn(t *testing.T) {
	for _, tc := range []struct {
		flaw    flaw
		reading string
	}{
		{flawPageZero, contactkit.ReadingPagingInvalid},
		{flawIDNotUUID, contactkit.ReadingContactID},
		{flawObjectBodyStored, contactkit.ReadingCreateNotBatch},
	} {
		srv := httptest.NewServer(newDouble(tc.flaw))
		rep := runAgainst(t, srv, nil)
		assert.True(t, rep.OK(), "double with %q: the run must pass with warnings; failures:\n%s", tc.flaw, strings.Join(failures(rep), "\n"))
		assert.Positive(t, rep.Summary.Steps.Warned, "double with %q: warned steps", tc.flaw)
		assert.Contains(t, rep.Readings(), tc.reading, "double with %q: readings warned of", tc.flaw)
		strict := runAgainst(t, srv, func(c *conformance.Config) { c.StrictReadings = true })
		assert.False(t, strict.OK(), "double with %q: strict about readings, the run must fail", tc.flaw)
		srv.Close()
	}
}

// BenchmarkDefaultSuite times the default suite against the faithful double, the
// runner's own cost; speed is measured here, never asserted in a test.
func BenchmarkDefaultSuite(b *testing.B) {
	srv := httptest.NewServer(newDouble(flawNone))
	defer srv.Close()
	cfg := conformance.Config{Target: srv.URL, Token: testToken, App: testApp, ForeignApp: testForeign}
	for b.Loop() {
		rep, err := conformance.Run(context.Background(), cfg)
		if err != nil || !rep.OK() {
			b.Fatalf("default suite against the faithful double: err %v, ok %v", err, rep != nil && rep.OK())
		}
	}
}
