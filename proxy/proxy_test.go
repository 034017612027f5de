package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/internal/peers/goserver"
	"github.com/contactkit/contactkit/journal"
	"github.com/contactkit/contactkit/scenario"

	"github.com/contactkit/contactkit/redact"
)

const testToken = "s3cr3t-token-ABCDEF-zyxwvutsQP"

func spec(t testing.TB) *contactkit.Spec {
	t.Helper()
	s, err := contactkit.LoadSpec()
	require.NoError(t, err)
	return s
}

// rig is a proxy in front of a target, both over real HTTP.
type rig struct {
	t      *testing.T
	target *httptest.Server
	proxy  *Server
	http   *httptest.Server
	logs   *bytes.Buffer
}

func newRig(t *testing.T, target http.Handler, cfg Config) *rig {
	t.Helper()
	ts := httptest.NewServer(target)
	t.Cleanup(ts.Close)
	logs := &bytes.Buffer{}
	cfg.Target = ts.URL
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, nil))
	}
	p, err := New(cfg)
	require.NoError(t, err)
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	return &rig{t: t, target: ts, proxy: p, http: ps, logs: logs}
}

// answer is one answer a client got.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(a.body, &m), "answer is JSON: %s", a.body)
	return m
}

func (r *rig) do(method, path, body string, header ...string) answer {
	r.t.Helper()
	return send(r.t, r.http.URL, method, path, body, header...)
}

func send(t *testing.T, base, method, path, body string, header ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// session is what a front end does: list, create two, find them, read one,
// toggle it twice, delete it, look again. Every request is one the contract
// allows, so a faithful target must give the proxy nothing to flag.
func session(t *testing.T, r *rig) {
	t.Helper()
	r.do("GET", "/contacts/app1?page=1&limit=50", "")
	r.do("POST", "/contacts/app1", `[{"name":"New Budi Santoso","phone":6281234567890},{"name":"New Siti","phone":6281298765432}]`)
	list := r.do("GET", "/contacts/app1?page=1&limit=50", "")
	id := ""
	if m, ok := list.json(t)["data"].([]any); ok {
		for _, c := range m {
			c := c.(map[string]any)
			if c["phone"] == 6281234567890.0 || c["phone"] == "6281234567890" {
				id = c["id"].(string)
			}
		}
	}
	if id == "" { // the created contact is missing: read a seeded one instead
		if m, ok := list.json(t)["data"].([]any); ok && len(m) > 0 {
			id = m[0].(map[string]any)["id"].(string)
		}
	}
	require.NotEmpty(t, id, "a contact to work on")
	r.do("GET", "/contacts/app1/"+id, "")
	r.do("PUT", "/contacts/app1/"+id, "")
	r.do("GET", "/contacts/app1/"+id, "")
	r.do("PUT", "/contacts/app1/"+id, "")
	r.do("DELETE", "/contacts/app1/"+id, "")
	r.do("GET", "/contacts/app1?limit=50", "")
	r.do("GET", "/contacts/app1/"+id, "")
	r.do("GET", "/contacts/app1/0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10", "")
}

func violations(r *rig) []journal.Violation {
	var out []journal.Violation
	for _, e := range r.proxy.Journal().Entries(journal.Filter{}) {
		out = append(out, e.Violations...)
	}
	return out
}

// TestFlagsEachBreak drives the same session through the proxy to a faithful
// double and to doubles that each break one behaviour: the faithful one draws
// no violation, each broken one the violation that names its break.
func TestFlagsEachBreak(t *testing.T) {
	for _, tc := range []struct {
		flaw      flaw
		wantCheck check.Check
		wantText  string
	}{
		{flawNone, "", ""},
		{flawStatusCode, check.Envelope, "statusCode"},
		{flawBadMeta, check.Paging, "last_page"},
		{flawPhoneString, check.Schema, "/data/0/phone"},
		{flawTextPlain, check.ContentType, "text/plain"},
		{flawUndocumented, check.Status, "status 200"},
		{flawDeletedListed, check.Model, "was deleted, yet it shows up again"},
		{flawToggleNoFlip, check.Model, "did not flip"},
		{flawCreatedMissing, check.Model, "does not show it"},
		{flawWrongTag, check.Model, `tag "Someone Else"`},
	} {
		name := string(tc.flaw)
		if name == "" {
			name = "faithful"
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t, newDouble(spec(t), tc.flaw), Config{})
			session(t, r)
			got := violations(r)
			if tc.flaw == flawNone {
				assert.Empty(t, got, "a faithful target draws no violation")
				return
			}
			found := false
			for _, v := range got {
				if v.Check == string(tc.wantCheck) && strings.Contains(v.Message+v.Pointer+v.Actual, tc.wantText) {
					found = true
				}
			}
			assert.True(t, found, "flaw %q: violations %+v, want a %s one mentioning %q", tc.flaw, got, tc.wantCheck, tc.wantText)
			assert.Contains(t, r.logs.String(), `"msg":"contract violation"`, "each violation is logged")
		})
	}
}

// TestConcurrentClicksRaiseNoFalseAlarm sends overlapping reads and writes on
// the same contacts to a faithful target: the model judges only what it can
// order, so it flags nothing.
func TestConcurrentClicksRaiseNoFalseAlarm(t *testing.T) {
	r := newRig(t, newDouble(spec(t), flawNone), Config{})
	r.do("POST", "/contacts/app1", `[{"name":"Busy One","phone":6281200000111},{"name":"Busy Two","phone":6281200000222}]`)
	var ids []string
	for _, c := range r.do("GET", "/contacts/app1?limit=50", "").json(t)["data"].([]any) {
		ids = append(ids, c.(map[string]any)["id"].(string))
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 15 {
				id := ids[(w+i)%3]
				switch (w + i) % 4 {
				case 0:
					r.do("PUT", "/contacts/app1/"+id, "")
				case 1:
					r.do("GET", "/contacts/app1/"+id, "")
				case 2:
					r.do("GET", "/contacts/app1?limit=50", "")
				case 3:
					r.do("GET", "/contacts/app1?page=2&limit=3", "")
				}
			}
		})
	}
	wg.Wait()
	r.do("GET", "/contacts/app1?limit=50", "")
	assert.Empty(t, violations(r), "overlapping exchanges on a faithful target")
}

// TestCreateThenDeleteUnseen creates a contact and deletes it before any list
// shows it: a create's answer carries no ids, so the proxy cannot know which
// contact went, and a later whole-app list without it is no violation.
func TestCreateThenDeleteUnseen(t *testing.T) {
	r := newRig(t, newDouble(spec(t), flawNone), Config{})
	before := r.do("GET", "/contacts/app1?limit=50", "").json(t)["data"].([]any)
	r.do("POST", "/contacts/app1", `[{"name":"Gone Soon","phone":6281200000333}]`)
	// The id is learnt behind the proxy's back, as a concurrent list whose order
	// the proxy cannot know would teach it.
	var id string
	for _, c := range send(t, r.target.URL, "GET", "/contacts/app1?limit=50", "").json(t)["data"].([]any) {
		if c.(map[string]any)["tag"] == "Gone Soon" {
			id = c.(map[string]any)["id"].(string)
		}
	}
	require.NotEmpty(t, id, "the created contact")
	require.Equal(t, http.StatusOK, r.do("DELETE", "/contacts/app1/"+id, "").status)
	after := r.do("GET", "/contacts/app1?limit=50", "").json(t)["data"].([]any)
	assert.Len(t, after, len(before), "the app is back to what it held")
	assert.Empty(t, violations(r), "a deleted contact the proxy never saw listed")
}

// TestViolationLogLine shows one violation's log line names the operation, the
// pointer, expected and actual, and the contract's rule.
func TestViolationLogLine(t *testing.T) {
	r := newRig(t, newDouble(spec(t), flawPhoneString), Config{})
	r.do("GET", "/contacts/app1?limit=1", "")
	var line map[string]any
	for _, l := range strings.Split(r.logs.String(), "\n") {
		if strings.Contains(l, `"contract violation"`) {
			require.NoError(t, json.Unmarshal([]byte(l), &line))
			break
		}
	}
	require.NotNil(t, line, "a violation line in %s", r.logs.String())
	for k, want := range map[string]string{
		"operation": "listContacts", "check": "schema", "pointer": "/data/0/phone", "side": "answer",
		"contract": "openapi.yaml#/components/schemas/Contact/properties/phone",
	} {
		assert.Equal(t, want, line[k], "log field %s", k)
	}
	assert.NotEmpty(t, line["expected"], "expected")
	assert.NotEmpty(t, line["actual"], "actual")
}

// TestLogLinesBounded shows an answer with many violations logs a bounded number
// of lines and a count of the rest.
func TestLogLinesBounded(t *testing.T) {
	d := newDouble(spec(t), flawPhoneString)
	r := newRig(t, d, Config{})
	for i := range 40 {
		r.do("POST", "/contacts/app1", fmt.Sprintf(`[{"name":"N%d","phone":62811000%05d}]`, i, i))
	}
	r.logs.Reset()
	r.do("GET", "/contacts/app1?limit=50", "")
	logs := r.logs.String()
	lines := strings.Count(logs, `"msg":"contract violation"`)
	assert.Equal(t, maxLoggedViolations, lines, "violation lines for 45 bad phones")
	var total int
	_, after, _ := strings.Cut(logs, `"violations":`)
	_, _ = fmt.Sscanf(after, "%d", &total)
	require.Greater(t, total, maxLoggedViolations, "violations on the exchange")
	more := fmt.Sprintf(`"more":%d`, total-maxLoggedViolations)
	assert.True(t, strings.Contains(logs, `"msg":"more contract violations"`) && strings.Contains(logs, more), "a line counts the other violations (%s)", more)
}

func TestFlagsRequestsTheContractRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		want                     string
	}{
		{"limit above the max", "GET", "/contacts/app1?limit=51", "", nil, "limit"},
		{"page zero", "GET", "/contacts/app1?page=0", "", nil, "page"},
		{"no token", "GET", "/contacts/app1", "", []string{"Authorization", ""}, "bearer"},
		{"a row without a phone", "POST", "/contacts/app1", `[{"name":"A"}]`, nil, "phone"},
		{"unknown route", "GET", "/contacts", "", nil, "not a route"},
		{"unknown method", "PATCH", "/contacts/app1/x", "", nil, "method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, newDouble(spec(t), flawNone), Config{})
			r.do(tc.method, tc.path, tc.body, tc.header...)
			var req []journal.Violation
			for _, v := range violations(r) {
				if v.Check == string(check.BadRequest) {
					req = append(req, v)
				}
			}
			require.NotEmpty(t, req, "%s %s: a request violation", tc.method, tc.path)
			assert.Contains(t, strings.ToLower(req[0].Message), tc.want, "%s %s", tc.method, tc.path)
		})
	}
}

// echoTarget answers with what it received, in headers and body, and a status of
// its own, to show nothing changes on the way.
type echoTarget struct{}

func (echoTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Got-Method", r.Method)
	w.Header().Set("X-Got-Uri", r.RequestURI)
	w.Header().Set("X-Got-Custom", r.Header.Get("X-Custom"))
	w.Header().Set("X-Got-Auth", r.Header.Get("Authorization"))
	w.Header().Set("X-Got-Forwarded", r.Header.Get("X-Forwarded-For"))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Answer", "kept")
	w.WriteHeader(http.StatusTeapot)
	_, _ = w.Write(append([]byte("got:"), body...))
}

func TestForwardsUnchanged(t *testing.T) {
	r := newRig(t, echoTarget{}, Config{})
	a := r.do("POST", "/contacts/app1?b=2&a=1&a=0", "[1, 2,3]", "X-Custom", "v1")
	assert.Equal(t, http.StatusTeapot, a.status, "status passes through")
	assert.Equal(t, "got:[1, 2,3]", string(a.body), "body both ways")
	for k, want := range map[string]string{
		"X-Got-Method": "POST", "X-Got-Uri": "/contacts/app1?b=2&a=1&a=0", "X-Got-Custom": "v1",
		"X-Got-Auth": "Bearer " + testToken, "X-Got-Forwarded": "", "X-Answer": "kept", "Content-Type": "application/octet-stream",
	} {
		assert.Equal(t, want, a.header.Get(k), "header %s", k)
	}
}

func TestPreflightIsForwardedNotJudged(t *testing.T) {
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "http://localhost:5173")
		w.WriteHeader(http.StatusNoContent)
	}), Config{Strict: true})
	a := r.do("OPTIONS", "/contacts/app1", "", "Authorization", "", "Origin", "http://localhost:5173", "Access-Control-Request-Method", "POST")
	assert.Equal(t, http.StatusNoContent, a.status, "the target's preflight answer, untouched by --strict")
	assert.Equal(t, "http://localhost:5173", a.header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, violations(r), "a preflight is not judged")
	assert.Len(t, r.proxy.Journal().Entries(journal.Filter{}), 1, "but it is journaled")
}

func TestHeadPassesThrough(t *testing.T) {
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "123") // the size a GET would have
		w.WriteHeader(http.StatusOK)
	}), Config{})
	a := r.do("HEAD", "/contacts/app1", "")
	assert.Equal(t, http.StatusOK, a.status, "a HEAD answer has no body to wait for")
	assert.Equal(t, "123", a.header.Get("Content-Length"))
}

func TestKeepsTheTargetsBasePath(t *testing.T) {
	ts := httptest.NewServer(echoTarget{})
	defer ts.Close()
	p, err := New(Config{Target: ts.URL + "/api/v1/"})
	require.NoError(t, err)
	ps := httptest.NewServer(p)
	defer ps.Close()
	a := send(t, ps.URL, "GET", "/contacts/app1?page=2", "")
	assert.Equal(t, "/api/v1/contacts/app1?page=2", a.header.Get("X-Got-Uri"))
}

func TestRefusesABadTarget(t *testing.T) {
	for _, target := range []string{"", "127.0.0.1:4010", "ftp://host", "http://", "http://u:secretpw@host/?q=1"} {
		_, err := New(Config{Target: target})
		assert.ErrorIs(t, err, ErrConfig, "target %q", target)
		if err != nil {
			assert.NotContains(t, err.Error(), "secretpw", "a password in the target is not repeated")
		}
	}
}

func TestStrict(t *testing.T) {
	t.Run("a violating answer becomes a 502 envelope", func(t *testing.T) {
		r := newRig(t, newDouble(spec(t), flawPhoneString), Config{Strict: true})
		a := r.do("GET", "/contacts/app1?limit=2", "")
		assert.Equal(t, http.StatusBadGateway, a.status)
		m := a.json(t)
		assert.Equal(t, 502.0, m["statusCode"])
		assert.Equal(t, "BAD_GATEWAY", m["code"])
		assert.Contains(t, m["message"], "breaks the contract")
		assert.Equal(t, "application/json", a.header.Get("Content-Type"))
		e := r.proxy.Journal().Entries(journal.Filter{})
		require.Len(t, e, 1)
		assert.Equal(t, http.StatusOK, e[0].Status, "the journal keeps what the target answered")
		assert.Contains(t, e[0].Problem, "502")
	})
	t.Run("a conforming answer passes byte for byte", func(t *testing.T) {
		d := newDouble(spec(t), flawNone)
		r := newRig(t, d, Config{Strict: true})
		a := r.do("GET", "/contacts/app1?limit=2", "")
		direct := send(t, r.target.URL, "GET", "/contacts/app1?limit=2", "")
		assert.Equal(t, http.StatusOK, a.status)
		assert.Equal(t, string(direct.body), string(a.body))
	})
	t.Run("an answer that only departs from a reading passes", func(t *testing.T) {
		// The Go peer answers page=0 with the first page where our reading says
		// 400: the docs are silent, so the journal notes it and the client gets
		// the target's answer.
		peer, err := goserver.New(goserver.Config{Grants: map[string][]string{testToken: {"app1"}}})
		require.NoError(t, err)
		r := newRig(t, peer, Config{Strict: true})
		a := r.do("GET", "/contacts/app1?page=0&limit=2", "")
		assert.Equal(t, http.StatusOK, a.status)
		e := r.proxy.Journal().Entries(journal.Filter{})
		require.Len(t, e, 1)
		require.NotEmpty(t, e[0].Violations)
		for _, v := range e[0].Violations {
			assert.Equal(t, "reading", v.Source, "%+v", v)
			assert.Equal(t, "paging-invalid", v.Reading)
		}
		assert.Empty(t, e[0].Problem)
		assert.NotContains(t, r.logs.String(), `"level":"WARN"`, "a reading's departure is not a warning")
		assert.Contains(t, r.logs.String(), "departs from a reading")
	})
}

func TestTargetTrouble(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	ln.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(20 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.Close()
		}
	}))
	defer hangup.Close()
	for _, tc := range []struct {
		name, target string
		timeout      time.Duration
		status       int
		want         string
	}{
		{"refused", closed, 0, http.StatusBadGateway, "refused the connection"},
		{"too slow", slow.URL, 300 * time.Millisecond, http.StatusGatewayTimeout, "did not answer within"},
		{"hangs up", hangup.URL, 0, http.StatusBadGateway, "closed the connection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(Config{Target: tc.target, Timeout: tc.timeout})
			require.NoError(t, err)
			ps := httptest.NewServer(p)
			defer ps.Close()
			a := send(t, ps.URL, "GET", "/contacts/app1", "")
			assert.Equal(t, tc.status, a.status)
			m := a.json(t)
			assert.Equal(t, float64(tc.status), m["statusCode"], "envelope statusCode")
			assert.Contains(t, m["message"], tc.want)
			for _, goText := range []string{"dial tcp", "EOF", "context deadline", "connect:"} {
				assert.NotContains(t, m["message"], goText, "no Go error text for %s", tc.name)
			}
		})
	}
}

func TestLargeAnswerPassesUnchecked(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 3000)
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(big)
	}), Config{MaxBody: 1000})
	a := r.do("GET", "/contacts/app1", "")
	assert.Equal(t, big, a.body, "a body over the cap streams through whole")
	e := r.proxy.Journal().Entries(journal.Filter{})
	require.Len(t, e, 1)
	assert.Contains(t, e[0].Problem, "not checked")
	assert.True(t, e[0].Response.Truncated)
}

func TestAdmin(t *testing.T) {
	d := newDouble(spec(t), flawNone)
	r := newRig(t, d, Config{AdminToken: "admin-secret-token"})
	r.do("GET", "/contacts/app1", "")
	hits := d.hits

	a := send(t, r.http.URL, "GET", "/__admin/requests", "", "Authorization", "")
	assert.Equal(t, http.StatusForbidden, a.status, "journal without the admin token")
	a = send(t, r.http.URL, "GET", "/__admin/requests", "", "Authorization", "Bearer admin-secret-token", "Origin", "https://evil.example")
	assert.Equal(t, http.StatusOK, a.status, "journal with the admin token")
	assert.Empty(t, a.header.Get("Access-Control-Allow-Origin"), "no CORS on admin")
	data, _ := a.json(t)["data"].([]any)
	require.Len(t, data, 1)
	assert.Equal(t, []any{}, data[0].(map[string]any)["violations"], "violations is [] when it conforms")

	a = send(t, r.http.URL, "GET", "/__admin/health", "", "Authorization", "")
	assert.Equal(t, http.StatusOK, a.status, "health needs no token")
	a = send(t, r.http.URL, "OPTIONS", "/__admin/requests", "", "Authorization", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "DELETE")
	assert.Equal(t, http.StatusForbidden, a.status, "no preflight for admin")
	assert.Empty(t, a.header.Get("Access-Control-Allow-Origin"))
	a = send(t, r.http.URL, "DELETE", "/__admin/requests", "", "Authorization", "Bearer admin-secret-token")
	assert.Equal(t, http.StatusOK, a.status)
	assert.Empty(t, r.proxy.Journal().Entries(journal.Filter{}), "DELETE clears")
	a = send(t, r.http.URL, "GET", "/__admin/anything", "", "Authorization", "Bearer admin-secret-token")
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, hits, d.hits, "admin is never forwarded")
}

// A page whose own name rebinds to 127.0.0.1 is same-origin with the proxy, but
// its requests still name its host: a loopback proxy's admin refuses them, as
// the mock's does (the same check, package serve), while the API passes through.
func TestAdminRefusesRebindingHost(t *testing.T) {
	d := newDouble(spec(t), flawNone)
	r := newRig(t, d, Config{}) // Addr defaults to loopback
	r.do("GET", "/contacts/app1", "")
	for _, tc := range []struct {
		method, host string
		want         int
	}{
		{"GET", "127.0.0.1:4020", 200}, {"GET", "localhost:4020", 200}, {"GET", "[::1]:4020", 200},
		{"GET", "attacker.example", 403}, {"GET", "attacker.example:4020", 403}, {"GET", "127.0.0.1.attacker.example", 403},
		{"DELETE", "attacker.example", 403},
		{"GET", "localhost", 200},
	} {
		req, err := http.NewRequest(tc.method, r.http.URL+"/__admin/requests", nil)
		require.NoError(t, err)
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, tc.want, resp.StatusCode, "%s /__admin/requests with Host %q", tc.method, tc.host)
		if tc.want == 403 {
			assert.NotContains(t, string(body), "/contacts/app1", "Host %q reads no journal", tc.host)
		}
	}
	assert.Len(t, r.proxy.Journal().Entries(journal.Filter{}), 1, "a foreign Host cleared nothing")
	req, _ := http.NewRequest("GET", r.http.URL+"/contacts/app1", nil)
	req.Host = "attacker.example"
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "the API itself passes any Host")

	shared := newRig(t, d, Config{Addr: "0.0.0.0:4020"})
	req, _ = http.NewRequest("GET", shared.http.URL+"/__admin/requests", nil)
	req.Host = "proxy.team.test:4020"
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "a shared proxy answers its own names (protect it with --admin-token)")
}

// TestTokenNeverLeaves sends the token through a target that echoes it, breaks
// the contract (so there are findings, logs and a strict 502 to look in), and
// records; then searches every output for the token and its first 8 characters.
func TestTokenNeverLeaves(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			d := newDouble(spec(t), flawStatusCode)
			d.echo = testToken
			var logs bytes.Buffer
			lw := &lockedWriter{w: &logs}
			var h slog.Handler = slog.NewJSONHandler(lw, nil)
			if format == "text" {
				h = slog.NewTextHandler(lw, nil)
			}
			r := newRig(t, d, Config{Strict: true, RecordDir: dir, Logger: slog.New(h), AdminToken: "admin-" + testToken})
			session(t, r)
			r.do("GET", "/contacts/app1?limit=51&token="+testToken, "")
			r.do("POST", "/contacts/app1", `[{"name":"`+testToken+`","phone":6281200000001}]`)
			file, err := r.proxy.WriteRecording()
			require.NoError(t, err)
			rec, err := os.ReadFile(file)
			require.NoError(t, err)
			journalJSON := send(t, r.http.URL, "GET", "/__admin/requests", "", "Authorization", "Bearer admin-"+testToken).body
			strict := r.do("GET", "/contacts/app1/no-such-contact", "").body
			for name, out := range map[string]string{"logs": logs.String(), "journal": string(journalJSON), "recording": string(rec), "strict answer": string(strict)} {
				require.NotEmpty(t, out, name)
				for _, leak := range []string{testToken, testToken[:redact.PrefixLen], testToken[len(testToken)-redact.PrefixLen:]} {
					if i := strings.Index(out, leak); i >= 0 {
						t.Errorf("%s shows %q: …%s…", name, leak, out[max(0, i-80):min(len(out), i+80)])
					}
				}
			}
		})
	}
}

// TestStalledClient shows a client that stops sending its body is cut off by
// the read timeout and answered, and holds no more than MaxBody meanwhile.
func TestStalledClient(t *testing.T) {
	d := newDouble(spec(t), flawNone)
	ts := httptest.NewServer(d)
	defer ts.Close()
	p, err := New(Config{Target: ts.URL, Addr: "127.0.0.1:0", ReadTimeout: 500 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, p.Start())
	defer p.Shutdown(context.Background())
	c, err := net.Dial("tcp", p.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "POST /contacts/app1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 100000\r\n\r\n[{\"na")
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(15*time.Second)))
	got, _ := io.ReadAll(c)
	assert.Contains(t, string(got), "400", "the stalled client is answered")
	assert.Zero(t, d.hits, "nothing was forwarded")
}

func TestConnectionCap(t *testing.T) {
	d := newDouble(spec(t), flawNone)
	ts := httptest.NewServer(d)
	defer ts.Close()
	p, err := New(Config{Target: ts.URL, Addr: "127.0.0.1:0", MaxConns: 1})
	require.NoError(t, err)
	require.NoError(t, p.Start())
	defer p.Shutdown(context.Background())
	first, err := net.Dial("tcp", p.Addr().String())
	require.NoError(t, err)
	defer first.Close()
	// The first connection is accepted and idle; the second is refused clearly.
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", p.Addr().String())
		if err != nil {
			return false
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(c)
		return strings.Contains(string(b), "503") && strings.Contains(string(b), "too many connections")
	}, 10*time.Second, 50*time.Millisecond)
}

// TestRecordingReplays records a session through the proxy against a faithful
// double, then replays the recording with conform: green against a fresh
// faithful double, red against doubles that break what the session showed.
func TestRecordingReplays(t *testing.T) {
	dir := t.TempDir()
	r := newRig(t, newDouble(spec(t), flawNone), Config{RecordDir: dir})
	session(t, r)
	file, err := r.proxy.WriteRecording()
	require.NoError(t, err)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	scenarios, err := scenario.Parse(testSpec(t), filepath.Base(file), data)
	require.NoError(t, err, "the recording loads:\n%s", data)
	require.Len(t, scenarios, 1)
	text := string(data)
	for _, want := range []string{"{{unique_name}}", "{{unique_phone}}", "capture:", "not_equals", "absent: true", "{{random_uuid}}"} {
		assert.Contains(t, text, want, "recording:\n%s", text)
	}
	assert.NotContains(t, text, "New Budi Santoso", "names become vars")
	assert.NotContains(t, text, "6281234567890", "phones become vars")
	r.do("GET", "/nowhere", "")
	file, err = r.proxy.WriteRecording()
	require.NoError(t, err)
	data, err = os.ReadFile(file)
	require.NoError(t, err)
	scenarios, err = scenario.Parse(testSpec(t), filepath.Base(file), data)
	require.NoError(t, err, "the recording loads:\n%s", data)
	require.Len(t, scenarios, 1, "a route outside any app joins the app's scenario")
	assert.Contains(t, string(data), "path: /nowhere")

	for _, tc := range []struct {
		flaw flaw
		ok   bool
	}{
		{flawNone, true},
		{flawDeletedListed, false},
		{flawToggleNoFlip, false},
		{flawCreatedMissing, false},
		{flawWrongTag, false},
	} {
		t.Run(string(tc.flaw)+" replay", func(t *testing.T) {
			ts := httptest.NewServer(newDouble(spec(t), tc.flaw))
			defer ts.Close()
			rep, err := conformance.Run(context.Background(), conformance.Config{Target: ts.URL, Token: "replay-token", App: "other-app", Suite: os.DirFS(dir)})
			require.NoError(t, err)
			if rep.OK() != tc.ok {
				var out strings.Builder
				_ = rep.WriteText(&out, true)
				t.Errorf("replay against %q: OK = %v, want %v\n%s\nrecording:\n%s", tc.flaw, rep.OK(), tc.ok, out.String(), text)
			}
		})
	}
}

// lockedWriter lets the logger and the test share a buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRecordingAuthModes shows how a recording writes requests sent other than
// with the session's token: never the token, a mode the runner knows instead.
func TestRecordingAuthModes(t *testing.T) {
	dir := t.TempDir()
	r := newRig(t, newDouble(spec(t), flawNone), Config{RecordDir: dir})
	r.do("GET", "/contacts/app1", "")
	r.do("GET", "/contacts/app1", "", "Authorization", "")
	r.do("GET", "/contacts/app1", "", "Authorization", "Basic dXNlcjpwYXNz")
	r.do("GET", "/contacts/app1", "", "Authorization", "Bearer")
	r.do("GET", "/contacts/app1", "", "Authorization", "Bearer another-token-4321")
	r.do("GET", "/contacts/app1", "", "Prefer", "code=404")
	file, err := r.proxy.WriteRecording()
	require.NoError(t, err)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	scs, err := scenario.Parse(testSpec(t), filepath.Base(file), data)
	require.NoError(t, err, "%s", data)
	require.Len(t, scs, 1)
	var got []string
	for _, st := range scs[0].Steps {
		got = append(got, st.Auth)
	}
	assert.Equal(t, []string{scenario.AuthToken, scenario.AuthNone, scenario.AuthBasic, scenario.AuthBearerOnly, scenario.AuthWrongToken, scenario.AuthToken}, got, "auth of each step")
	assert.Contains(t, scs[0].Needs, scenario.NeedForeignApp, "a wrong token needs a target that checks tokens")
	assert.Contains(t, string(data), "Prefer: code=404", "headers the client sent")
	for _, secret := range []string{testToken[:8], "another-token", "dXNlcjpwYXNz"} {
		assert.NotContains(t, string(data), secret)
	}
}

func testSpec(t *testing.T) *contactkit.Spec {
	t.Helper()
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	return spec
}
