package check_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// items is n copies of item, comma separated.
func items(item string, n int) string { return strings.TrimSuffix(strings.Repeat(item+",", n), ",") }

// TestCheckCostBounded: checking an answer costs a bounded amount whatever a
// hostile target packs into its megabyte: half a million small items in an
// array (a list's data, another operation's, an unknown route's, meta), an
// errors object of sixty thousand wrong members. What was not judged is
// reported; an honest answer, a 422 naming twenty thousand fields included,
// is judged whole and draws nothing.
func TestCheckCostBounded(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	c := check.New(spec)
	const okMsg = "The request has been successfully processed."
	list := func(data string) []byte {
		return []byte(`{"statusCode":200,"code":"OK","message":"` + okMsg + `","data":` + data + `,"meta":{"total":500000,"limit":50,"current_page":1,"first_page":1,"previous_page":null,"next_page":2,"last_page":10000}}`)
	}
	var honest, hostile []string
	for i := range 10_000 {
		honest = append(honest, fmt.Sprintf(`"%d.phone":"Nomor telepon harus ber-tipe data number","%d.name":"Nama wajib diisi"`, i, i))
	}
	for i := range 60_000 {
		hostile = append(hostile, fmt.Sprintf(`"%d":1`, i))
	}
	unprocessable := func(errs []string) []byte {
		return []byte(`{"statusCode":422,"code":"UNPROCESSABLE_ENTITY","message":"Data cannot be processed as it is invalid.","errors":{` + strings.Join(errs, ",") + `}}`)
	}
	listX := check.Exchange{Op: contactkit.OpListContacts, Method: "GET", Path: "/contacts/a", Query: url.Values{"limit": {"50"}}, Status: 200}
	for _, tc := range []struct {
		name string
		x    check.Exchange
		body []byte
		want []string // in the findings
	}{
		{"list of half a million numbers", listX, list("[" + items("1", 500_000) + "]"), []string{"unjudged: /data holds 500000 items", "page 1 holds 500000 contacts"}},
		{"list of a third of a million objects", listX, list("[" + items("{}", 330_000) + "]"), []string{"unjudged: /data holds 330000 items"}},
		{"a contact that is an array", check.Exchange{Op: contactkit.OpGetContact, Method: "GET", Path: "/contacts/a/0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10", Status: 200},
			[]byte(`{"statusCode":200,"code":"OK","message":"` + okMsg + `","data":[` + items("1", 500_000) + `]}`), []string{"unjudged: /data holds 500000 items"}},
		{"an unknown route's array", check.Exchange{Method: "GET", Path: "/nope", Status: 404},
			[]byte(`{"statusCode":404,"code":"NOT_FOUND","message":"x","data":[` + items("1", 500_000) + `]}`), []string{"unjudged: /data holds 500000 items"}},
		{"meta an array", listX, []byte(`{"statusCode":200,"code":"OK","message":"` + okMsg + `","data":[],"meta":[` + items("1", 500_000) + `]}`), []string{"unjudged: /meta holds 500000 items"}},
		{"nested arrays", listX, list("[" + items("["+items("1", 99)+"]", 5_000) + "]"), []string{"unjudged: /data holds 5000 items"}},
		{"sixty thousand wrong errors", check.Exchange{Op: contactkit.OpCreateContacts, Method: "POST", Path: "/contacts/a", Status: 422}, unprocessable(hostile), []string{"schema: /errors/0: value must be a string"}},
		{"an honest 422 of ten thousand rows", check.Exchange{Op: contactkit.OpCreateContacts, Method: "POST", Path: "/contacts/a", Status: 422}, unprocessable(honest), nil},
	} {
		tc.x.Header = http.Header{"Content-Type": {"application/json"}}
		tc.x.Body = tc.body
		require.LessOrEqual(t, len(tc.body), check.MaxBody, "%s: a body a judge reads", tc.name)
		var fs []check.Finding
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, _, fs = c.Check(context.Background(), tc.x)
		runtime.ReadMemStats(&after)
		took := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d bytes, %.1f MB allocated, %d findings", tc.name, len(tc.body), float64(took)/1e6, len(fs))
		assert.Less(t, took, uint64(16<<20)*raceScale, "%s: bytes allocated by one check of %d bytes", tc.name, len(tc.body))
		var all []string
		for _, f := range fs {
			all = append(all, f.String())
		}
		joined := strings.Join(all, "\n")
		for _, w := range tc.want {
			assert.Contains(t, joined, w, "%s: findings", tc.name)
		}
		if tc.want == nil {
			assert.Empty(t, fs, "%s: an honest answer draws nothing", tc.name)
		}
	}
}

// TestRequestCheckCostBounded: the request check of a 1 MB batch (a proxy
// judges what any client sends) keeps a bounded number of findings whatever
// the batch holds, and still judges every row: the first thousand by
// kin-openapi, every later one alone, their findings past a thousand counted in
// one. An honest batch of thousands of rows draws nothing.
func TestRequestCheckCostBounded(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	c := check.New(spec)
	header := http.Header{"Authorization": {"Bearer t"}, "Content-Type": {"application/json"}}
	for _, tc := range []struct {
		name     string
		body     string
		findings int    // at most
		folded   string // the last finding, counting the rest; "" when none
	}{
		{"half a million integers", "[" + items("1", 500_000) + "]", 2_001, "request body: 498000 more problems in later rows"},
		{"a third of a million empty rows", "[" + items("{}", 330_000) + "]", 3_001, "request body: 328000 more problems in later rows"},
		{"a hundred integers", "[" + items("1", 100) + "]", 100, ""},
		{"an honest batch of five thousand rows", "[" + items(`{"name":"Budi Santoso","phone":6281234567890}`, 5_000) + "]", 0, ""},
		{"one bad row past the thousandth", "[" + items(`{"name":"Budi","phone":62812}`, 3_000) + `,{"name":"Budi","phone":"x"}]`, 1, ""},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, _, fs := c.Request(context.Background(), check.Request{Method: "POST", URI: "/contacts/a", Header: header, Body: []byte(tc.body)})
		runtime.ReadMemStats(&after)
		took := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d bytes, %.1f MB allocated, %d findings", tc.name, len(tc.body), float64(took)/1e6, len(fs))
		// Each later row is let go once judged: the allocations are the rows
		// passing through, where half a million findings kept took 972 MB.
		assert.Less(t, took, uint64(400<<20)*raceScale, "%s: bytes allocated", tc.name)
		if tc.findings == 0 {
			assert.Empty(t, fs, "%s: an honest batch draws nothing", tc.name)
			continue
		}
		require.NotEmpty(t, fs, "%s: findings", tc.name)
		assert.LessOrEqual(t, len(fs), tc.findings, "%s: findings kept", tc.name)
		last := fs[len(fs)-1].String()
		if tc.folded != "" {
			assert.Contains(t, last, tc.folded, "%s: the rest counted", tc.name)
		} else {
			assert.NotContains(t, last, "more problems", "%s: nothing folded", tc.name)
		}
		if tc.name == "one bad row past the thousandth" {
			assert.Equal(t, "/3000/phone", fs[0].Pointer, "%s: where", tc.name)
		}
	}
}
