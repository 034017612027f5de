package mock

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/serve"
	"github.com/contactkit/contactkit/store/memory"

	"github.com/contactkit/contactkit/journal"
)

// Regression tests for issue 14's mock items: every input kept is bounded (8), one
// memory budget (9), connections and slow requests (10), small truths (11).

// TestEdgeBounds: a request target or an app id past its bound is refused before it
// costs anything, and what the journal keeps of a request is clipped.
func TestEdgeBounds(t *testing.T) {
	m := newMock(t, Config{})
	tests := []struct {
		name, method, path string
		want               int
	}{
		{"app id at the bound", "GET", "/contacts/" + strings.Repeat("a", MaxAppIDLength), 200},
		{"app id past the bound", "GET", "/contacts/" + strings.Repeat("a", MaxAppIDLength+1), 404},
		{"app id past the bound, contact", "GET", "/contacts/" + strings.Repeat("a", MaxAppIDLength+1) + "/" + someID, 404},
		{"create on an app id past the bound", "POST", "/contacts/" + strings.Repeat("a", MaxAppIDLength+1), 404},
		{"target past the bound", "GET", "/contacts/app?pad=" + strings.Repeat("q", MaxTargetLength), 404},
		{"admin target past the bound", "GET", "/__admin/health?pad=" + strings.Repeat("q", MaxTargetLength), 404},
	}
	for _, tt := range tests {
		body := ""
		if tt.method == "POST" {
			body = docsBatch
		}
		r := m.do(tt.method, tt.path, body)
		assert.Equal(t, tt.want, r.status, "%s: status", tt.name)
	}
	health := m.do("GET", "/__admin/health", "")
	assert.EqualValues(t, 1, health.object()["apps"], "apps brought into being: only the one within the bound")

	// A long method (within the header cap) is answered 404 and kept clipped.
	req, err := http.NewRequest(strings.Repeat("M", 10_000), m.http.URL+"/contacts/app", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", token)
	assert.Equal(t, 404, m.send(req).status, "a 10,000-byte method")
	last := m.srv.journal.Entries(journal.Filter{})
	require.NotEmpty(t, last)
	e := last[len(last)-1]
	assert.LessOrEqual(t, len(e.Method), journal.DefaultMaxText, "journal method length")
	for _, e := range last {
		assert.LessOrEqual(t, len(e.Path), journal.DefaultMaxPath, "journal path length")
	}
}

// TestHeaderCap: headers of a sane size pass, and 128 KiB of them are refused by
// net/http itself (431) when the mock serves with Start.
func TestHeaderCap(t *testing.T) {
	_, addr := started(t, Config{})
	for _, tt := range []struct {
		pad  int
		want int
	}{
		{8 << 10, 200}, // a browser with many cookies
		{128 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		req, err := http.NewRequest("GET", "http://"+addr+"/contacts/app", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", token)
		req.Header.Set("X-Pad", strings.Repeat("h", tt.pad))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, "headers of %d bytes", tt.pad)
		resp.Body.Close()
		assert.Equal(t, tt.want, resp.StatusCode, "headers of %d bytes", tt.pad)
	}
}

// TestVerdictMemoryBounded: a long URL is judged every time, never remembered, so
// the memory holds only short keys.
func TestVerdictMemoryBounded(t *testing.T) {
	s, err := New(Config{})
	require.NoError(t, err)
	for i := range 50 {
		rec := call(s, "GET", fmt.Sprintf("/contacts/app?page=1&pad=%d%s", i, strings.Repeat("x", 1000)))
		require.Equal(t, 200, rec.Code, "list with a 1,000-byte pad")
	}
	assert.Empty(t, rememberedVerdicts(s.verdicts), "remembered verdicts for long URLs")
	call(s, "GET", "/contacts/app?page=1")
	keys := rememberedVerdicts(s.verdicts)
	assert.Len(t, keys, 1, "a short URL is remembered")
	for _, k := range keys {
		assert.LessOrEqual(t, len(k.method)+len(k.path)+len(k.query), maxVerdictKey, "key %v", k)
	}
}

// rememberedVerdicts lists the keys the verdict memory holds.
func rememberedVerdicts(v *verdicts) []verdictKey {
	var keys []verdictKey
	for i := range v.slots {
		if e := v.slots[i].Load(); e != nil {
			keys = append(keys, e.key)
		}
	}
	return keys
}

// TestMemoryBudget: seeding, creates and bodies being read all take from one
// budget; past it a new app answers 403 and a create 422, and a reset gives back.
func TestMemoryBudget(t *testing.T) {
	const seedCost = 1000 * memory.ContactCost
	// The budget counts what the process holds: contacts only in the memory store.
	m := newMock(t, Config{Store: DefaultStore, Contacts: 1000, MaxMemory: 2*seedCost + 50_000})
	for _, tt := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"first app", "GET", "/contacts/a", "", 200},
		{"second app", "GET", "/contacts/b", "", 200},
		{"third app: past the budget", "GET", "/contacts/c", "", 403},
		{"create within the budget", "POST", "/contacts/a", docsBatch, 201},
		{"a body larger than what is left", "POST", "/contacts/a", "[" + strings.Repeat(" ", 20_000) + `{"name":"B","phone":1}]`, 422},
	} {
		r := m.do(tt.method, tt.path, tt.body)
		assert.Equal(t, tt.want, r.status, "%s: status", tt.name)
		if tt.want == 422 {
			assert.Equal(t, fmt.Sprintf(msgMemoryFull, 0), r.errors()["body"], "%s: message", tt.name)
		}
	}
	rows := make([]string, 400)
	for i := range rows {
		rows[i] = fmt.Sprintf(`{"name":"Kontak %d","phone":628%d}`, i, i)
	}
	r := m.do("POST", "/contacts/b", "["+strings.Join(rows, ",")+"]")
	assert.Equal(t, 422, r.status, "a create past the budget")
	assert.Equal(t, 1000, m.total("b"), "a refused create stores nothing")

	m.do("POST", "/__admin/reset", "", adminPOST)
	assert.Equal(t, 200, m.do("GET", "/contacts/c", "").status, "after a reset the budget is free again")
	assert.Equal(t, int64(seedCost), m.srv.budget.used.Load(), "budget used after a reset and one app")
}

// TestBatchCostKnownBeforeJudged: what a create costs to judge is known before
// kin-openapi reads it. A batch past MaxBatch is refused on its count (not after
// an error for each of its rows: half a million in 1 MB), and the values a
// batch holds take from the budget, not only its bytes.
func TestBatchCostKnownBeforeJudged(t *testing.T) {
	m := newMock(t, Config{})
	r := m.do("POST", "/contacts/a", "["+strings.Repeat("1,", DefaultMaxBatch)+"1]")
	assert.Equal(t, 422, r.status, "a batch of integers past the cap")
	assert.Equal(t, map[string]any{"body": fmt.Sprintf(msgBatchLarge, DefaultMaxBatch)}, r.errors(), "refused on its count alone")

	// 5,000 empty rows: 10 KB, 10,001 values.
	small := newMock(t, Config{Contacts: -1, MaxMemory: 1 << 20})
	r = small.do("POST", "/contacts/a", "["+strings.Repeat("{},", 4999)+"{}]")
	assert.Equal(t, 422, r.status, "a small body of many values")
	assert.Equal(t, map[string]any{"body": fmt.Sprintf(msgMemoryFull, 1)}, r.errors(), "refused on what judging it would cost")
	assert.Equal(t, int64(0), small.srv.budget.used.Load(), "the budget is given back")
}

// TestNoDelayOnRefusals: a Prefer delay is honoured only once the request is
// authorized, so a client without a token cannot pin a connection with it.
func TestNoDelayOnRefusals(t *testing.T) {
	s, err := New(Config{Auth: map[string][]string{"test-token": {"app"}}})
	require.NoError(t, err)
	for _, tt := range []struct {
		name, path, auth string
		status           int
		delay            time.Duration
	}{
		{"no token", "/contacts/app", "", 403, 0},
		{"wrong token", "/contacts/app", "Bearer nope", 403, 0},
		{"unknown route", "/nope", "Bearer test-token", 404, 0},
		{"authorized", "/contacts/app", "Bearer test-token", 200, 30 * time.Second},
	} {
		req := httptest.NewRequest("GET", tt.path, nil)
		req.Header.Set("Prefer", "delay=30000")
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		a := s.answer(req)
		assert.Equal(t, tt.status, a.status, "%s: status", tt.name)
		assert.Equal(t, tt.delay, a.delay, "%s: delay asked", tt.name)
	}
}

// TestDelayedRequestsCapped: past MaxDelayed requests waiting out a delay, the next
// one is answered at once and Preference-Applied does not claim the delay.
func TestDelayedRequestsCapped(t *testing.T) {
	m := newMock(t, Config{MaxDelayed: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "GET", m.http.URL+"/contacts/app", nil)
		req.Header.Set("Authorization", token)
		req.Header.Set("Prefer", "delay=30000")
		if resp, err := m.http.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	require.Eventually(t, func() bool { return len(m.srv.delayed) == 1 }, 10*time.Second, 5*time.Millisecond,
		"the first request waits out its delay")
	r := m.do("GET", "/contacts/app", "", "Prefer: example=empty, delay=30000")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "example=empty", r.header.Get("Preference-Applied"), "the delay is not claimed past the cap")
	cancel()
	<-done
}

// TestConnectionCap: past MaxConns a new connection is answered 503 in the API's
// envelope and closed, a clear refusal rather than a wait (package serve, the
// proxy's too); the connections already open are still served, and a place freed
// is taken again.
func TestConnectionCap(t *testing.T) {
	_, addr := started(t, Config{MaxConns: 2})

	get := func(c net.Conn) (int, []byte, error) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprint(c, "GET /contacts/app HTTP/1.1\r\nHost: x\r\nAuthorization: "+token+"\r\n\r\n"); err != nil {
			return 0, nil, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0, nil, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, body, nil
	}
	var open []net.Conn
	for i := range 2 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		status, _, err := get(c)
		require.NoError(t, err, "connection %d", i)
		assert.Equal(t, 200, status, "connection %d", i)
		open = append(open, c)
	}
	extra, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	status, body, err := get(extra)
	extra.Close()
	require.NoError(t, err, "a third connection past MaxConns 2 is answered")
	assert.Equal(t, 503, status, "a third connection past MaxConns 2")
	assert.JSONEq(t, `{"statusCode":503,"code":"SERVICE_UNAVAILABLE","message":"`+serve.BusyMessage+`"}`, string(body),
		"a third connection's answer")

	open[0].Close()
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer c.Close()
		status, _, err := get(c)
		return err == nil && status == 200
	}, 10*time.Second, 10*time.Millisecond, "a freed place is served again")
}

// TestIdleTimeoutInSeconds: idle keep-alive connections are closed in seconds by
// default, and after IdleTimeout when set.
func TestIdleTimeoutInSeconds(t *testing.T) {
	assert.LessOrEqual(t, Config{}.withDefaults().IdleTimeout, 30*time.Second, "default idle timeout")
	_, addr := started(t, Config{IdleTimeout: 200 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	_, err = fmt.Fprint(c, "GET /contacts/app HTTP/1.1\r\nHost: x\r\nAuthorization: "+token+"\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_, err = br.ReadByte()
	var netErr net.Error
	assert.False(t, errors.As(err, &netErr) && netErr.Timeout(), "the server closed the idle connection: %v", err)
}

// TestFractionalPhones: a phone is judged from its JSON text, so a fraction that a
// float64 would round away still answers 422.
func TestFractionalPhones(t *testing.T) {
	m := newMock(t, Config{Contacts: -1})
	for _, tt := range []struct {
		phone  string
		status int
		msg    string
		stored float64
	}{
		{"6281234567890.0000001", 422, msgPhoneInteger, 0},
		{"1e-400", 422, msgPhoneInteger, 0},
		{"6281234567890.5", 422, msgPhoneInteger, 0},
		{"628123456789.0000000001e1", 422, msgPhoneInteger, 0},
		{"9223372036854775807.5", 422, msgPhoneInteger, 0},
		{"1e19", 422, msgPhoneRange, 0},
		{"6.28e12", 201, "", 6280000000000},
		{"6281234567890.000", 201, "", 6281234567890},
		{"62812345678900e-1", 201, "", 6281234567890},
		{"0.0e-999999999999", 201, "", 0},
	} {
		r := m.do("POST", "/contacts/p", `[{"name":"Budi","phone":`+tt.phone+`}]`)
		assert.Equal(t, tt.status, r.status, "phone %s: status", tt.phone)
		if tt.msg != "" {
			assert.Equal(t, tt.msg, r.errors()["0.phone"], "phone %s: message", tt.phone)
			continue
		}
		if r.status == 201 {
			newest := m.do("GET", "/contacts/p?limit=1", "").data()[0].(map[string]any)
			assert.Equal(t, tt.stored, newest["phone"], "phone %s: stored", tt.phone)
		}
	}
}

// TestOversizedBodyGoClient: Go's own client sending 8 MiB reads the 422, rather
// than a connection reset.
func TestOversizedBodyGoClient(t *testing.T) {
	m := newMock(t, Config{})
	_, addr := started(t, Config{}) // behind the connection cap's listener
	huge := "[" + strings.Repeat(" ", 8<<20) + "]"
	for _, base := range []string{m.http.URL, "http://" + addr} {
		for i := range 3 {
			req, err := http.NewRequest("POST", base+"/contacts/app", strings.NewReader(huge))
			require.NoError(t, err)
			req.Header.Set("Authorization", token)
			req.Header.Set("Content-Type", "application/json")
			r := m.send(req)
			assert.Equal(t, 422, r.status, "8 MiB body to %s, try %d", base, i)
			assert.Equal(t, fmt.Sprintf(msgBodyLarge, DefaultMaxBody), r.errors()["body"], "8 MiB body to %s, try %d", base, i)
		}
	}
}

// TestKeptStringsPinNothing: what the journal, the verdict memory and the store
// keep of a request are copies, not slices of its request line, so a long method
// or query behind a short path is not kept with it.
func TestKeptStringsPinNothing(t *testing.T) {
	m := newMock(t, Config{Contacts: 1})
	const n, size = 200, 50_000
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	for i := range n {
		method := fmt.Sprintf("M%d%s", i, strings.Repeat("x", size))
		req, err := http.NewRequest(method, m.http.URL+fmt.Sprintf("/contacts/app%d", i), nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", token)
		m.send(req)
		m.do("GET", fmt.Sprintf("/contacts/app%d?limit=1", i), "") // an app and a verdict
	}
	grown := int64(heap()) - int64(before)
	assert.Less(t, grown, int64(n*size/4), "heap grown by %d bytes after %d requests with %d-byte methods", grown, n, size)
}

// TestLogHoldsNoCredential: the request log line masks credentials in the query
// and takes the request's own token out of the path, as the journal does.
func TestLogHoldsNoCredential(t *testing.T) {
	const tok = "log-secret-token-9876"
	var logs bytes.Buffer
	s, err := New(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/contacts/app/"+tok+"?access_token=query-secret-5555&page=1", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	s.ServeHTTP(httptest.NewRecorder(), req)
	out := logs.String()
	require.Contains(t, out, `"path"`, "a request line was logged")
	assert.NotContains(t, out, tok[:8], "the log holds the bearer token")
	assert.NotContains(t, out, "query-secret", "the log holds the query's credential")
}
