package mock

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
)

// changedSpec indexes a copy of the contract with each old replaced by its new
// (pairs: old, new, ...), each at its first place.
func changedSpec(t *testing.T, pairs ...string) *contactkit.Spec {
	t.Helper()
	changed := contactkit.Contract()
	for i := 0; i+1 < len(pairs); i += 2 {
		next := bytes.Replace(changed, []byte(pairs[i]), []byte(pairs[i+1]), 1)
		require.NotEqual(t, changed, next, "%q was found in the contract", pairs[i])
		changed = next
	}
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

// TestMockFollowsContractWords changes, in a copy of the contract, the docs' words
// for a phone that is no number and a body that is no array, and the 404's code
// word: the mock answers with the new words, no copy of its own.
func TestMockFollowsContractWords(t *testing.T) {
	spec := changedSpec(t, "0.phone: Nomor telepon harus ber-tipe data number", "0.phone: Telepon harus angka")
	s, err := New(Config{Spec: spec})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/contacts/app", bytes.NewReader([]byte(`[{"name":"Budi","phone":"6281"}]`)))
	req.Header.Set("Authorization", token)
	s.ServeHTTP(rec, req)
	assert.Contains(t, rec.Body.String(), `"0.phone":"Telepon harus angka"`, "a string phone, in the changed contract's words")

	spec = changedSpec(t, "body: Data harus ber-tipe data array", "body: Harus array")
	s, err = New(Config{Spec: spec})
	require.NoError(t, err)
	rec = httptest.NewRecorder()
	req = httptest.NewRequest("POST", "/contacts/app", bytes.NewReader([]byte(`{"name":"Budi"}`)))
	req.Header.Set("Authorization", token)
	s.ServeHTTP(rec, req)
	assert.Contains(t, rec.Body.String(), `"body":"Harus array"`, "an object body, in the changed contract's words")

	spec = changedSpec(t, "code: NOT_FOUND", "code: TIDAK_ADA",
		"FORBIDDEN, NOT_FOUND, UNPROCESSABLE_ENTITY]", "FORBIDDEN, TIDAK_ADA, UNPROCESSABLE_ENTITY]")
	s, err = New(Config{Spec: spec, Strict: true})
	require.NoError(t, err)
	rec = call(s, "GET", "/nowhere")
	assert.Equal(t, http.StatusNotFound, rec.Code, "an unknown route")
	assert.Contains(t, rec.Body.String(), `"code":"TIDAK_ADA"`, "an unknown route, in the changed contract's code word")
}

// TestMockFollowsContractFirstPage makes pages count from 0 in a copy of the
// contract: first_page, previous_page and which rows a page holds follow it.
func TestMockFollowsContractFirstPage(t *testing.T) {
	spec := changedSpec(t, "Anything else (0, negative, not an integer) answers 400.\n          schema:\n            type: integer\n            minimum: 1\n            default: 1",
		"Anything else (0, negative, not an integer) answers 400.\n          schema:\n            type: integer\n            minimum: 0\n            default: 0")
	s, err := New(Config{Spec: spec, Contacts: 5})
	require.NoError(t, err)
	plain, err := New(Config{Contacts: 5})
	require.NoError(t, err)
	for _, tc := range []struct {
		page, plainPage string
		meta            string
	}{
		{"0", "1", `"current_page":0,"first_page":0,"previous_page":null,"next_page":1,"last_page":2`},
		{"1", "2", `"current_page":1,"first_page":0,"previous_page":0,"next_page":2,"last_page":2`},
		{"2", "3", `"current_page":2,"first_page":0,"previous_page":1,"next_page":null,"last_page":2`},
	} {
		rec := call(s, "GET", "/contacts/app?limit=2&page="+tc.page)
		require.Equal(t, http.StatusOK, rec.Code, "page %s from 0: status", tc.page)
		assert.Contains(t, rec.Body.String(), tc.meta, "page %s from 0: meta", tc.page)
		want := call(plain, "GET", "/contacts/app?limit=2&page="+tc.plainPage).Body.String()
		data := func(body string) string { return body[:strings.Index(body, `"meta"`)] }
		assert.Equal(t, data(want), data(rec.Body.String()), "page %s from 0 holds page %s from 1", tc.page, tc.plainPage)
	}
}
