package mock

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lastEntry returns the journal's newest entry.
func (m *mockT) lastEntry() map[string]any {
	m.t.Helper()
	entries := m.do("GET", "/__admin/requests", "").data()
	require.NotEmpty(m.t, entries, "the journal has entries")
	return entries[len(entries)-1].(map[string]any)
}

func TestFaultStatus(t *testing.T) {
	m := newMock(t, Config{})
	r := m.do("POST", "/__admin/faults", `{"op": "listContacts", "status": 503, "times": 2}`)
	require.Equal(t, 200, r.status, "POST /__admin/faults: %s", r.raw)

	for i := range 2 {
		got := m.rawDo("GET", "/contacts/app", "")
		assert.Equal(t, 503, got.status, "request %d is injected", i+1)
		assert.Equal(t, "SERVICE_UNAVAILABLE", got.json["code"], "in the envelope")
		assert.Contains(t, got.json["message"], "Injected by the mock", "says it is not the API")
		e := m.lastEntry()
		assert.Equal(t, "fault rule 1: status 503", e["injected"], "journaled as injected")
	}
	assert.Equal(t, 200, m.do("GET", "/contacts/app", "").status, "the third is the API's again")
	assert.Equal(t, 200, m.do("GET", "/contacts/app/"+m.firstID("app"), "").status, "another operation is untouched")

	rules := m.do("GET", "/__admin/faults", "").data()
	require.Len(t, rules, 1)
	assert.Equal(t, 2.0, rules[0].(map[string]any)["hits"], "GET lists the rule and its hits")

	require.Equal(t, 200, m.do("POST", "/__admin/faults", `{"status": 429, "app": "slow"}`).status)
	got := m.rawDo("GET", "/contacts/slow", "")
	assert.Equal(t, 429, got.status)
	assert.Equal(t, "1", got.header.Get("Retry-After"), "429 says when to come back")
	assert.Equal(t, 200, m.do("GET", "/contacts/fast", "").status, "matched by app")

	require.Equal(t, 200, m.do("DELETE", "/__admin/faults", "").status)
	assert.Equal(t, 200, m.do("GET", "/contacts/slow", "").status, "DELETE clears every rule")
	assert.Empty(t, m.do("GET", "/__admin/faults", "").data(), "and GET lists none")
}

func TestFaultStoresNothing(t *testing.T) {
	m := newMock(t, Config{})
	require.Equal(t, 200, m.do("POST", "/__admin/faults", `{"method": "POST", "status": 500, "times": 1}`).status)
	before := m.total("app")
	assert.Equal(t, 500, m.rawDo("POST", "/contacts/app", docsBatch).status)
	assert.Equal(t, before, m.total("app"), "an injected status stores nothing")
}

func TestFaultAfterAuthAndBesidePrefer(t *testing.T) {
	m := newMock(t, Config{Auth: map[string][]string{"test-token": {"app"}}})
	require.Equal(t, 200, m.do("POST", "/__admin/faults", `{"status": 502, "times": 1}`).status)
	assert.Equal(t, 403, m.do("GET", "/contacts/app", "", "Authorization: Bearer wrong").status, "a refused token gets its 403, not the fault")
	assert.Equal(t, 404, m.do("GET", "/nowhere", "").status, "an unknown route gets its 404")
	assert.Equal(t, 502, m.rawDo("GET", "/contacts/app", "").status, "the rule was not spent by those")

	got := m.do("GET", "/contacts/app", "", "Prefer: code=503")
	assert.Equal(t, 200, got.status, "Prefer still gives documented answers only")
}

func TestFaultBodies(t *testing.T) {
	m := newMock(t, Config{Strict: true})
	require.Equal(t, 200, m.do("POST", "/__admin/faults", `[{"op": "listContacts", "body": "malformed", "times": 1},
		{"op": "listContacts", "body": "truncated", "times": 1}]`).status)

	malformed := m.rawDo("GET", "/contacts/app", "")
	assert.Equal(t, 200, malformed.status, "malformed keeps the status (strict mode does not replace it)")
	assert.False(t, json.Valid(malformed.raw), "malformed body is not JSON: %s", malformed.raw)
	assert.Equal(t, "fault rule 1: body malformed", m.lastEntry()["injected"])

	resp, err := m.http.Client().Do(m.request("GET", "/contacts/app"))
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "truncated: the body stops short of its Content-Length")
	assert.Equal(t, "fault rule 2: body truncated", m.lastEntry()["injected"])
	assert.Equal(t, 200, m.do("GET", "/contacts/app", "").status, "then the API again")
}

func TestFaultCut(t *testing.T) {
	for _, cut := range []string{CutClose, CutReset} {
		t.Run(cut, func(t *testing.T) {
			m := newMock(t, Config{})
			require.Equal(t, 200, m.do("POST", "/__admin/faults", `{"cut": "`+cut+`", "times": 1}`).status)
			conn, err := net.Dial("tcp", m.http.Listener.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			_, err = io.WriteString(conn, "GET /contacts/app HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n")
			require.NoError(t, err)
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
			n, err := bufio.NewReader(conn).Read(make([]byte, 1))
			assert.Equal(t, 0, n, "no answer at all")
			if cut == CutReset {
				assert.True(t, errors.Is(err, syscall.ECONNRESET), "reset: got %v, want connection reset", err)
			} else {
				assert.ErrorIs(t, err, io.EOF, "close: the connection ends")
			}
			e := m.lastEntry()
			assert.Equal(t, "fault rule 1: cut "+cut, e["injected"])
			assert.Equal(t, 0.0, e["status"], "no status was sent")
		})
	}
}

func TestFaultLatency(t *testing.T) {
	m := newMock(t, Config{})
	require.Equal(t, 200, m.do("POST", "/__admin/faults", `{"op": "getContact", "latency_ms": [150, 200]}`).status)
	id := m.firstID("app")
	start := time.Now()
	assert.Equal(t, 200, m.do("GET", "/contacts/app/"+id, "").status, "latency alone keeps the answer")
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "the answer waited at least the rule's minimum")
	assert.Regexp(t, `^fault rule 1: latency (1[5-9][0-9]|200)ms$`, m.lastEntry()["injected"])
}

func TestFaultRateIsSeeded(t *testing.T) {
	run := func(seed int64) []int {
		m := newMock(t, Config{Seed: seed})
		require.Equal(t, 200, m.do("POST", "/__admin/faults", `{"op": "listContacts", "status": 503, "rate": 0.5}`).status)
		var got []int
		for range 40 {
			got = append(got, m.rawDo("GET", "/contacts/app?limit=1", "").status)
		}
		// Reset restores the rules as at start: the same draws come again.
		require.Equal(t, 200, m.do("POST", "/__admin/reset", "", adminPOST).status)
		return got
	}
	a, b := run(7), run(7)
	assert.Equal(t, a, b, "the same seed injects on the same requests")
	n := 0
	for _, s := range a {
		if s == 503 {
			n++
		}
	}
	assert.True(t, n > 5 && n < 35, "rate 0.5 injects about half: %d of 40", n)
	assert.NotEqual(t, a, run(8), "another seed, other draws")
}

func TestFaultRulesRefused(t *testing.T) {
	m := newMock(t, Config{})
	for _, tc := range []struct{ body, want string }{
		{``, "want a rule"},
		{`{"op": "listContacts", "status": 503, "colour": "red"}`, `unknown field "colour"`},
		{`{"op": "nope", "status": 503}`, `op: "nope" is no operation`},
		{`{"status": 404}`, "want 429 or 500-599"},
		{`{"status": 200}`, "want 429 or 500-599"},
		{`{"method": "PATCH", "status": 500}`, "method"},
		{`{"op": "listContacts"}`, "a rule needs status, cut, body or latency_ms"},
		{`{"status": 503, "cut": "reset"}`, "one of status, cut and body"},
		{`{"cut": "slam"}`, "cut"},
		{`{"body": "empty"}`, "body"},
		{`{"latency_ms": [10, 999999]}`, "latency_ms: want 0 to 30000 ms"},
		{`{"latency_ms": [20, 10]}`, "min above max"},
		{`{"latency_ms": [1, 2, 3]}`, "latency_ms"},
		{`{"status": 503, "times": -1}`, "times"},
		{`{"status": 503, "rate": 1.5}`, "rate"},
		// A probability too small for a float64 reads as 0, which would mean
		// "always": the opposite of what was asked.
		{`{"status": 503, "rate": 1e-400}`, "rate"},
		{`[{"status": 503, "rate": 0.5}, {"status": 503, "rate": 1e-400}]`, "rule 1: rate"},
		{`{"status": 503, "rate": 0}`, "rate"},
		{`{"status": 500, "retry_after": 5}`, "retry_after: goes with status 429 or 503"},
		{`{"status": 503, "id": 9}`, "id"},
		{`{"status": "503"}`, "status: want a int"},
		{`{"status": 503} {}`, "more after"},
		{`[]`, "empty list"},
	} {
		r := m.do("POST", "/__admin/faults", tc.body, adminPOST)
		assert.Equal(t, 422, r.status, "POST %s", tc.body)
		assert.Contains(t, r.json["message"], tc.want, "POST %s: says why", tc.body)
	}
	assert.Empty(t, m.do("GET", "/__admin/faults", "").data(), "no refused rule was kept")

	many := "[" + strings.TrimSuffix(strings.Repeat(`{"status": 503},`, DefaultMaxFaults+1), ",") + "]"
	assert.Equal(t, 422, m.do("POST", "/__admin/faults", many).status, "the number of rules is bounded")
}

func TestParseFault(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want FaultRule
	}{
		{"op=listContacts,status=503,rate=0.1", FaultRule{Op: "listContacts", Status: 503, Rate: 0.1}},
		{"app=a,method=post,cut=reset,times=1", FaultRule{App: "a", Method: "POST", Cut: "reset", Times: 1}},
		{"latency=200ms-2s", FaultRule{LatencyMs: []int64{200, 2000}}},
		{"status=429,retry_after=3,body=malformed", FaultRule{Status: 429, RetryAfter: 3, Body: "malformed"}},
	} {
		got, err := ParseFault(tc.in)
		require.NoError(t, err, "ParseFault(%q)", tc.in)
		assert.Equal(t, tc.want, got, "ParseFault(%q)", tc.in)
		again, err := ParseFault(got.String())
		require.NoError(t, err, "ParseFault(%q.String())", tc.in)
		assert.Equal(t, got, again, "String round-trips %q", tc.in)
	}
	for _, in := range []string{"op", "status=x", "colour=red", "latency=fast", "status=503,rate=1e-400", "status=503,rate=0"} {
		_, err := ParseFault(in)
		assert.Error(t, err, "ParseFault(%q)", in)
	}
	_, err := New(Config{Faults: []FaultRule{{Status: 404}}})
	assert.ErrorContains(t, err, "fault 1: status", "New refuses a bad rule")
}

// request builds a request with the test token.
func (m *mockT) request(method, path string) *http.Request {
	m.t.Helper()
	req, err := http.NewRequest(method, m.http.URL+path, nil)
	require.NoError(m.t, err)
	req.Header.Set("Authorization", token)
	return req
}

// rawDo sends a request whose answer is outside the contract (an injected fault):
// it is read, not checked against openapi.yaml.
func (m *mockT) rawDo(method, path, body string) reply {
	m.t.Helper()
	req := m.request(method, path)
	if body != "" {
		req.Body = io.NopCloser(strings.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := m.http.Client().Do(req)
	require.NoError(m.t, err, "%s %s", method, path)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.json)
	return r
}
