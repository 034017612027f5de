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

// TestWalkIsBounded: a walk ends by the items it holds, by time, or at the first
// page whose next_page is wrong, never by walking on; an honest list longer than
// any page count a runner might pick is walked to its end.
func TestWalkIsBounded(t *testing.T) {
	cases := []struct {
		name     string
		h        http.HandlerFunc
		mod      func(*conformance.Config)
		requests int
		finding  string
	}{
		{"items", pagedList(100_000_000, false), func(c *conformance.Config) { c.WalkItems = 50 }, 5, "holds the most items a walk keeps (50)"},
		{"time", pagedList(100_000_000, false), func(c *conformance.Config) { c.WalkTime = time.Nanosecond }, 1, "took longer than a walk may (1ns)"},
		{"next_page past the last page", pagedList(1, true), nil, 1, "meta.next_page must be null on the last page"},
		{"an honest list of 1,500 pages", pagedList(1500, false), nil, 1500, ""},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(tc.h)
		cfg := conformance.Config{Target: srv.URL, Token: testToken, App: testApp, Suite: walkSuite}
		if tc.mod != nil {
			tc.mod(&cfg)
		}
		rep, err := conformance.Run(context.Background(), cfg)
		srv.Close()
		require.NoError(t, err, "%s", tc.name)
		st := rep.Scenarios[0].Steps[0]
		assert.Equal(t, tc.requests, st.Requests, "%s: requests of the walk", tc.name)
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
