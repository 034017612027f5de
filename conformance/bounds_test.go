package conformance_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/conformance"
)

var walkSuite = fstest.MapFS{"walk.yaml": {Data: []byte(`name: walk
steps:
  - name: walk every page
    op: listContacts
    query: {limit: 10}
    walk: true
    expect: {status: 200}
`)}}

// pagedList serves a list of last pages of 10 contacts, every page consistent;
// brokenNext instead says next_page is the next page on every page, past the last
// one it names (1).
func pagedList(last int, brokenNext bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		var items []string
		for i := range 10 {
			items = append(items, fmt.Sprintf(`{"id":"00000000-0000-4000-8000-%012d","phone":62811%08d,"tag":"x","is_blocked":false,"created_at":"2024-05-14T11:51:48.000+07:00"}`, page*10+i, i))
		}
		prev := "null"
		if brokenNext {
			last = 1
		}
		if page > 1 {
			prev = strconv.Itoa(page - 1)
		}
		if brokenNext && page > 1 {
			items = nil
		}
		next := strconv.Itoa(page + 1)
		if page >= last && !brokenNext {
			next = "null"
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"statusCode":200,"code":"OK","message":"The request has been successfully processed.","data":[%s],"meta":{"total":%d,"limit":10,"current_page":%d,"first_page":1,"previous_page":%s,"next_page":%s,"last_page":%d}}`,
			strings.Join(items, ","), last*10, page, prev, next, last)
	}
}

// seekSuite walks a list of pagedList for the contact numbered n, expected
// present or absent.
func seekSuite(n int, present bool) fstest.MapFS {
	matcher := "{present: true}"
	if !present {
		matcher = "{absent: true}"
	}
	return fstest.MapFS{"seek.yaml": {Data: []byte(fmt.Sprintf(`name: seek
steps:
  - name: walk for a contact
    op: listContacts
    query: {limit: 10}
    walk: true
    expect:
      status: 200
      body:
        "/data[id=00000000-0000-4000-8000-%012d]": %s
`, n, matcher))}}
}

// TestWalkIsBounded: a walk ends by the items it holds, by time, or at the first
// page whose next_page is wrong, never by walking on; an honest list up to
// FullWalkTotal contacts is walked to its end, and a bigger one from both ends
// until it holds what the step names, or BigWalkItems items.
func TestWalkIsBounded(t *testing.T) {
	cases := []struct {
		name     string
		h        http.HandlerFunc
		suite    fstest.MapFS
		mod      func(*conformance.Config)
		requests int
		finding  string
	}{
		{"items", pagedList(150, false), walkSuite, func(c *conformance.Config) { c.WalkItems = 50 }, 5, "holds the most items a walk keeps (50)"},
		{"time", pagedList(150, false), walkSuite, func(c *conformance.Config) { c.WalkTime = time.Nanosecond }, 1, "took longer than a walk may (1ns)"},
		{"next_page past the last page", pagedList(1, true), walkSuite, nil, 1, "meta.next_page must be null on the last page"},
		{"an honest list of FullWalkTotal contacts", pagedList(conformance.FullWalkTotal/10, false), walkSuite, nil, conformance.FullWalkTotal / 10, ""},
		// Page p holds the contacts numbered 10p to 10p+9.
		{"a big list, the contact sought on its last page", pagedList(100_000_000, false), seekSuite(1_000_000_005, true), nil, 2, ""},
		{"a big list, the contact sought on its second page", pagedList(100_000_000, false), seekSuite(25, true), nil, 3, ""},
		{"a big list, a contact that is not there", pagedList(100_000_000, false), seekSuite(7, false), nil, conformance.BigWalkItems / 10, ""},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(tc.h)
		cfg := conformance.Config{Target: srv.URL, Token: testToken, App: testApp, Suite: tc.suite}
		if tc.mod != nil {
			tc.mod(&cfg)
		}
		rep, err := conformance.Run(context.Background(), cfg)
		srv.Close()
		require.NoError(t, err, "%s", tc.name)
		st := rep.Scenarios[0].Steps[0]
		assert.Equal(t, tc.requests, st.Requests, "%s: requests of the walk", tc.name)
		if strings.HasPrefix(tc.name, "a big list") {
			assert.Contains(t, st.Note, "from both ends", "%s: the step says the walk read part of the list", tc.name)
		} else {
			assert.Empty(t, st.Note, "%s: note", tc.name)
		}
		if tc.finding == "" {
			assert.Empty(t, failures(rep), "%s: findings", tc.name)
			continue
		}
		assert.Contains(t, strings.Join(failures(rep), "\n"), tc.finding, "%s: findings", tc.name)
	}
}

// TestHugeListAnswerIsBounded answers a list with 30,000 empty items: the
// findings of one kind collapse into one with a count, and the report stays small.
func TestHugeListAnswerIsBounded(t *testing.T) {
	items := strings.TrimSuffix(strings.Repeat("{},", 30000), ",")
	body := `{"statusCode":200,"code":"OK","message":"The request has been successfully processed.","data":[` + items + `],"meta":{"total":1,"limit":10,"current_page":1,"first_page":1,"previous_page":null,"next_page":null,"last_page":1}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: srv.URL, Token: testToken, App: testApp, Suite: hostileSuite})
	require.NoError(t, err)
	st := rep.Scenarios[0].Steps[0]
	assert.LessOrEqual(t, len(st.Findings), 20, "findings of the huge answer: %v", st.Findings)
	var dup *check.Finding
	for i, f := range st.Findings {
		if strings.Contains(f.Message, "listed twice on one page") {
			dup = &st.Findings[i]
		}
	}
	require.NotNil(t, dup, "a duplicate-item finding")
	assert.Equal(t, 29999, dup.Count, "duplicate items counted")
	assert.Len(t, dup.More, 5, "places of the first few others")
	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	assert.Less(t, js.Len(), 64<<10, "JSON report size")
}
