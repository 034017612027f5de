package mock

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
)

// changedSpec indexes a copy of the contract with old replaced by new, once.
func changedSpec(t *testing.T, old, new string) *contactkit.Spec {
	t.Helper()
	changed := bytes.Replace(contactkit.Contract(), []byte(old), []byte(new), 1)
	require.NotEqual(t, contactkit.Contract(), changed, "%q was found in the contract", old)
	doc, err := contactkit.Parse(changed)
	require.NoError(t, err, "parse the changed contract")
	spec, err := contactkit.NewSpec(doc)
	require.NoError(t, err, "index the changed contract")
	return spec
}

// call sends one request straight to s, with the test token.
func call(s *Server, method, target string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	req.Header.Set("Authorization", token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// TestMockFollowsContractPaging changes limit's maximum and default in a copy of
// the contract: the mock accepts the new maximum, refuses one more, and pages by
// the new default, with no number of its own.
func TestMockFollowsContractPaging(t *testing.T) {
	spec := changedSpec(t, "maximum: 50\n            default: 10", "maximum: 70\n            default: 7")
	s, err := New(Config{Spec: spec, Contacts: 100})
	require.NoError(t, err)
	tests := []struct {
		query     string
		status    int
		wantLimit string
	}{
		{"", http.StatusOK, `"limit":7,`},
		{"?limit=70", http.StatusOK, `"limit":70,`},
		{"?limit=71", http.StatusBadRequest, ""},
		{"?limit=51", http.StatusOK, `"limit":51,`}, // past the embedded contract's maximum
	}
	for _, tt := range tests {
		// Twice: the second answer comes from the remembered verdict.
		for round := range 2 {
			rec := call(s, "GET", "/contacts/app"+tt.query)
			assert.Equal(t, tt.status, rec.Code, "list%s (round %d) status", tt.query, round)
			assert.Contains(t, rec.Body.String(), tt.wantLimit, "list%s (round %d) meta", tt.query, round)
		}
	}
	rec := call(s, "GET", "/contacts/app")
	assert.Equal(t, 7, bytes.Count(rec.Body.Bytes(), []byte(`"id":`)), "list with no limit: rows, want the new default")
}

// TestVerdictMemoryOffForHeaderParams adds a header parameter to the list in a copy
// of the contract. Method, path and query then no longer decide kin-openapi's
// verdict, so the mock must judge the same URL twice, once per header value.
func TestVerdictMemoryOffForHeaderParams(t *testing.T) {
	spec := changedSpec(t, "      parameters:\n        - name: page\n",
		"      parameters:\n        - name: X-Trace\n          in: header\n          schema:\n            type: integer\n        - name: page\n")
	require.True(t, spec.Op(contactkit.OpListContacts).HeaderOrCookieParams, "the change adds a header parameter")
	s, err := New(Config{Spec: spec})
	require.NoError(t, err)
	assert.Nil(t, s.verdicts, "verdict memory with a header parameter in the contract")
	for _, tt := range []struct {
		trace  string
		status int
	}{
		{"1", http.StatusOK},
		{"not-a-number", http.StatusBadRequest},
		{"2", http.StatusOK},
	} {
		rec := call(s, "GET", "/contacts/app?page=1", "X-Trace", tt.trace)
		assert.Equal(t, tt.status, rec.Code, "list with X-Trace: %s", tt.trace)
	}

	// The embedded contract has none: the memory is on.
	plain, err := New(Config{})
	require.NoError(t, err)
	assert.NotNil(t, plain.verdicts, "verdict memory with the embedded contract")
}
