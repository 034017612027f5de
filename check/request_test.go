package check_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// TestCheckRequest judges requests against the contract: a good one of each
// operation passes, and each way to break it gives a request finding with the
// pointer, the expectation and the contract's place.
func TestCheckRequest(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	c := check.New(spec)
	maxLimit, minPage := spec.Paging.Limit.Max, spec.Paging.Page.Min
	bearer := http.Header{"Authorization": {"Bearer tok"}, "Content-Type": {"application/json"}}
	for _, tc := range []struct {
		name, method, uri, body string
		header                  http.Header
		wantOp                  string
		want                    []check.Finding // Check, Message, Pointer, Expected, Actual, Contract; "" is not compared
	}{
		{"a good list", "GET", "/contacts/app1?page=1&limit=10", "", bearer, contactkit.OpListContacts, nil},
		{"a good create", "POST", "/contacts/app1", `[{"name":"A","phone":6281234567890}]`, bearer, contactkit.OpCreateContacts, nil},
		{"a good toggle", "PUT", "/contacts/app1/abc", "", bearer, contactkit.OpToggleContactBlock, nil},
		{"limit above the max", "GET", fmt.Sprintf("/contacts/app1?limit=%d", maxLimit+1), "", bearer, contactkit.OpListContacts, []check.Finding{
			{Check: check.BadRequest, Message: fmt.Sprintf("query parameter limit: number must be at most %d", maxLimit), Expected: fmt.Sprintf("<= %d", maxLimit),
				Actual: fmt.Sprint(maxLimit + 1), Contract: "openapi.yaml#/paths/~1contacts~1{appId}/get/parameters"}}},
		{"page below the min", "GET", fmt.Sprintf("/contacts/app1?page=%d", minPage-1), "", bearer, contactkit.OpListContacts, []check.Finding{
			{Check: check.BadRequest, Expected: fmt.Sprintf(">= %d", minPage), Actual: fmt.Sprint(minPage - 1)}}},
		{"no token", "GET", "/contacts/app1", "", http.Header{}, contactkit.OpListContacts, []check.Finding{
			{Check: check.BadRequest, Expected: "Authorization: Bearer <token>", Contract: "openapi.yaml#/components/securitySchemes/bearerAuth"}}},
		{"another scheme", "GET", "/contacts/app1", "", http.Header{"Authorization": {"Basic dTpw"}}, contactkit.OpListContacts, []check.Finding{
			{Check: check.BadRequest, Actual: "none or another scheme"}}},
		{"two rows without a phone: every violation", "POST", "/contacts/app1", `[{"name":"A"},{"name":"B"}]`, bearer, contactkit.OpCreateContacts, []check.Finding{
			{Check: check.BadRequest, Pointer: "/0/phone", Expected: "required: name, phone", Contract: "openapi.yaml#/paths/~1contacts~1{appId}/post/requestBody"},
			{Check: check.BadRequest, Pointer: "/1/phone", Expected: "required: name, phone"}}},
		{"a phone that is not a number", "POST", "/contacts/app1", `[{"name":"A","phone":"x"}]`, bearer, contactkit.OpCreateContacts, []check.Finding{
			{Check: check.BadRequest, Pointer: "/0/phone", Actual: `"x"`}}},
		{"unknown route", "GET", "/contacts", "", bearer, "", []check.Finding{
			{Check: check.BadRequest, Message: "GET /contacts is not a route of the contract", Expected: "a path of openapi.yaml", Actual: "/contacts", Contract: "openapi.yaml#/paths"}}},
		{"unknown method", "PATCH", "/contacts/app1/x", "", bearer, "", []check.Finding{
			{Check: check.BadRequest, Expected: "a documented method", Actual: "PATCH"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op, _, got := c.Request(context.Background(), check.Request{Method: tc.method, URI: tc.uri, Header: tc.header, Body: []byte(tc.body)})
			assert.Equal(t, tc.wantOp, op, "CheckRequest(%s %s) op", tc.method, tc.uri)
			require.Len(t, got, len(tc.want), "CheckRequest(%s %s) findings: %v", tc.method, tc.uri, got)
			for i, w := range tc.want {
				g := got[i]
				for _, f := range []struct{ name, got, want string }{
					{"check", string(g.Check), string(w.Check)}, {"message", g.Message, w.Message}, {"pointer", g.Pointer, w.Pointer},
					{"expected", g.Expected, w.Expected}, {"actual", g.Actual, w.Actual}, {"contract", g.Contract, w.Contract},
				} {
					if f.want != "" {
						assert.Equal(t, f.want, f.got, "CheckRequest(%s %s) finding %d %s", tc.method, tc.uri, i, f.name)
					}
				}
			}
		})
	}
}

// Judge a request before it is sent (or as a proxy sees it go by).
func ExampleChecker_Request() {
	spec, _ := contactkit.LoadSpec()
	c := check.New(spec)
	tooMany := spec.Paging.Limit.Max + 1
	op, _, findings := c.Request(context.Background(), check.Request{
		Method: "GET", URI: fmt.Sprintf("/contacts/app1?limit=%d", tooMany), Header: http.Header{"Authorization": {"Bearer tok"}},
	})
	fmt.Println(op)
	for _, f := range findings {
		fmt.Println(f.Check, f.Pointer == "", f.Contract)
	}
	// Output:
	// listContacts
	// request true openapi.yaml#/paths/~1contacts~1{appId}/get/parameters
}
