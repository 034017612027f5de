package mock

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// preflight sends a browser's CORS preflight for method on path from origin.
func (m *mockT) preflight(path, origin, method, headers string) reply {
	m.t.Helper()
	req, err := http.NewRequest(http.MethodOptions, m.http.URL+path, nil)
	require.NoError(m.t, err)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	if headers != "" {
		req.Header.Set("Access-Control-Request-Headers", headers)
	}
	return m.send(req)
}

func TestPreflightReflectsHeaders(t *testing.T) {
	m := newMock(t, Config{})
	for _, tc := range []struct{ asked, want string }{
		{"authorization, content-type, x-request-id", "authorization, content-type, x-request-id"},
		{"Prefer", "Prefer"},
		{"", "Authorization, Content-Type, Prefer"},
		{"bad header, x", "Authorization, Content-Type, Prefer"},        // not a token: not echoed
		{"x-a\r\nSet-Cookie: y", "Authorization, Content-Type, Prefer"}, // never reaches us, but refused anyway
		{strings.Repeat("x-h,", maxRequestHeaders+1) + "x", "Authorization, Content-Type, Prefer"},
		{"x-" + strings.Repeat("a", maxRequestHeaderBytes), "Authorization, Content-Type, Prefer"},
	} {
		asked := tc.asked
		if strings.ContainsAny(asked, "\r\n") {
			continue // net/http refuses to send it; allowedHeaders is tested below
		}
		r := m.preflight("/contacts/app", "http://localhost:5173", "POST", asked)
		assert.Equal(t, 204, r.status)
		assert.Equal(t, tc.want, r.header.Get("Access-Control-Allow-Headers"), "preflight asking %.40q", asked)
		assert.Equal(t, "*", r.header.Get("Access-Control-Allow-Origin"))
	}
	assert.Equal(t, corsHeadersDefault, allowedHeaders([]string{"x-a\r\nSet-Cookie: y"}), "a value that is no token list")
	assert.Equal(t, []string{"a, b"}, allowedHeaders([]string{"a", "b"}), "several header lines")
}

func TestSeveralCORSOrigins(t *testing.T) {
	m := newMock(t, Config{CORSOrigin: "http://localhost:5173", CORSOrigins: []string{"https://app.example.test"}})
	for _, tc := range []struct{ origin, want string }{
		{"http://localhost:5173", "http://localhost:5173"},
		{"https://app.example.test", "https://app.example.test"},
		{"https://evil.example.test", ""},
		{"", ""},
	} {
		r := m.do("GET", "/contacts/app", "", "Origin: "+tc.origin)
		assert.Equal(t, tc.want, r.header.Get("Access-Control-Allow-Origin"), "origin %q", tc.origin)
		assert.Equal(t, "Origin", r.header.Get("Vary"), "origin %q: caches keep answers apart", tc.origin)
		p := m.preflight("/contacts/app", tc.origin, "DELETE", "authorization")
		assert.Equal(t, tc.want, p.header.Get("Access-Control-Allow-Origin"), "preflight from %q", tc.origin)
	}
	got := m.do("GET", "/contacts/app", "", "Origin: http://localhost:5173", "Prefer: delay=1")
	assert.Equal(t, "Preference-Applied", got.header.Get("Access-Control-Expose-Headers"), "a browser may read Preference-Applied")
}

// A page on another origin must not be able to reset state, change faults or
// data, or read the journal. A browser enforces CORS: it sends a simple request
// (a form POST) without asking, and lets the page read an answer only if it
// carries Access-Control-Allow-Origin; anything else it preflights first. These
// tests play the browser's part.
func TestAnotherOriginCannotDriveAdmin(t *testing.T) {
	m := newMock(t, Config{}) // open mode, no admin token, CORS * for the API
	const evil = "https://evil.example.test"
	require.Equal(t, 201, m.do("POST", "/contacts/app", docsBatch).status)
	total := m.total("app")

	// 1. A cross-site form: POST with a simple content type, sent without a
	// preflight. The mock refuses it, so nothing changes.
	for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", ""} {
		for _, path := range []string{"/__admin/reset", "/__admin/faults"} {
			headers := []string{"Origin: " + evil, "Authorization:"}
			if ct != "" {
				headers = append(headers, "Content-Type: "+ct)
			}
			r := m.do("POST", path, "", headers...)
			if ct != "" {
				req, _ := http.NewRequest("POST", m.http.URL+path, strings.NewReader(`{"status":503}`))
				req.Header.Set("Origin", evil)
				req.Header.Set("Content-Type", ct)
				r = m.send(req)
			}
			assert.Equal(t, 403, r.status, "form POST %s as %q", path, ct)
			assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"), "form POST %s: no CORS", path)
		}
	}
	assert.Equal(t, total, m.total("app"), "no form reset the state")
	assert.Empty(t, m.do("GET", "/__admin/faults", "").data(), "no form added a fault")

	// 2. Anything else needs a preflight, which admin does not grant.
	for _, method := range []string{"POST", "PUT", "DELETE", "GET"} {
		p := m.preflight("/__admin/reset", evil, method, "content-type")
		assert.Empty(t, p.header.Get("Access-Control-Allow-Origin"), "preflight %s from another origin: not allowed", method)
		assert.Empty(t, p.header.Get("Access-Control-Allow-Methods"), "preflight %s: no methods granted", method)
	}

	// 3. Reading: a simple GET is sent, but its answer carries no CORS header, so
	// the browser keeps it from the page; nosniff and CORP keep it out of a
	// <script> or an embed too.
	for _, path := range []string{"/__admin/requests", "/__admin/apps/app", "/__admin/faults", "/__admin/health", "/__admin/"} {
		r := m.do("GET", path, "", "Origin: "+evil, "Authorization:")
		assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"), "GET %s from another origin: unreadable", path)
		assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"), "GET %s", path)
		assert.Equal(t, "same-origin", r.header.Get("Cross-Origin-Resource-Policy"), "GET %s", path)
	}

	// The same calls as a script on the page's own origin (or curl) makes them work.
	assert.Equal(t, 200, m.do("POST", "/__admin/reset", "", adminPOST).status, "the custom header")
	assert.Equal(t, 200, m.do("POST", "/__admin/reset", "{}").status, "a JSON body")
}

func TestAdminCORSWhenAsked(t *testing.T) {
	m := newMock(t, Config{AdminCORSOrigins: []string{"http://localhost:3000"}})
	p := m.preflight("/__admin/reset", "http://localhost:3000", "POST", "content-type")
	assert.Equal(t, "http://localhost:3000", p.header.Get("Access-Control-Allow-Origin"), "an origin named for admin is allowed")
	r := m.do("GET", "/__admin/requests", "", "Origin: http://localhost:3000")
	assert.Equal(t, "http://localhost:3000", r.header.Get("Access-Control-Allow-Origin"))
	other := m.do("GET", "/__admin/requests", "", "Origin: http://localhost:5173")
	assert.Empty(t, other.header.Get("Access-Control-Allow-Origin"), "only that origin")
}

func TestAdminTokenGuardsPageAndAPI(t *testing.T) {
	m := newMock(t, Config{AdminToken: "s3cret-admin-token"})
	page := m.do("GET", "/__admin/", "", "Authorization:")
	assert.Equal(t, 401, page.status, "the page asks the browser for the token")
	assert.Contains(t, page.header.Get("WWW-Authenticate"), "Basic")
	for _, path := range []string{"/__admin/requests", "/__admin/faults", "/__admin/apps", "/__admin/apps/app", "/__admin/requests/stream"} {
		assert.Equal(t, 403, m.do("GET", path, "", "Authorization: Bearer wrong").status, "GET %s with a wrong token", path)
	}
	assert.Equal(t, 200, m.do("GET", "/__admin/health", "", "Authorization:").status, "health needs no token")

	basic := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("any-user:s3cret-admin-token"))
	okPage := m.do("GET", "/__admin/", "", basic)
	assert.Equal(t, 200, okPage.status, "Basic with the token as password")
	assert.Equal(t, "text/html; charset=utf-8", okPage.header.Get("Content-Type"))
	assert.Contains(t, okPage.header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Equal(t, "DENY", okPage.header.Get("X-Frame-Options"))
	assert.Equal(t, 200, m.do("GET", "/__admin/page.js", "", basic).status)
	assert.Equal(t, 200, m.do("GET", "/__admin/requests", "", "Authorization: Bearer s3cret-admin-token").status)

	// The admin token never shows in the journal, whole or in part.
	m.do("GET", "/contacts/app?note=s3cret-admin-token", "", "X-Echo: s3cret-admin-token")
	j := m.do("GET", "/__admin/requests", "", basic)
	assert.NotContains(t, string(j.raw), "s3cret-a", "the journal scrubs the admin token")
}

func TestAdminRedirectsToPage(t *testing.T) {
	m := newMock(t, Config{})
	client := *m.http.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(m.http.URL + "/__admin")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/__admin/", resp.Header.Get("Location"))
}

// A page whose own name rebinds to 127.0.0.1 is same-origin with the mock, but
// its requests still name its host: a loopback mock's admin refuses them.
func TestAdminRefusesRebindingHost(t *testing.T) {
	m := newMock(t, Config{}) // Addr defaults to loopback
	for _, tc := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:4010", 200}, {"localhost:4010", 200}, {"[::1]:4010", 200}, {"app.localhost", 200},
		{"evil.example.test:4010", 403}, {"evil.example.test", 403}, {"127.0.0.1.evil.test", 403},
	} {
		req, err := http.NewRequest("GET", m.http.URL+"/__admin/requests", nil)
		require.NoError(t, err)
		req.Host = tc.host
		assert.Equal(t, tc.want, m.send(req).status, "admin with Host %q", tc.host)
	}
	req, _ := http.NewRequest("GET", m.http.URL+"/contacts/app", nil)
	req.Host = "evil.example.test"
	req.Header.Set("Authorization", token)
	assert.Equal(t, 200, m.send(req).status, "the API itself answers any Host")

	shared := newMock(t, Config{Addr: "0.0.0.0:4010"})
	req, _ = http.NewRequest("GET", shared.http.URL+"/__admin/requests", nil)
	req.Host = "mock.team.test:4010"
	assert.Equal(t, 200, shared.send(req).status, "a shared mock answers its own names (protect it with --admin-token)")
}
