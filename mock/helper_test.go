package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
)

// mockT is a mock served over real HTTP, and the one way tests talk to it: every
// answer goes through check, which validates it against openapi.yaml.
type mockT struct {
	t      testing.TB
	srv    *Server
	http   *httptest.Server
	router routers.Router
}

func newMock(t testing.TB, cfg Config) *mockT {
	t.Helper()
	return newMockWith(t, cfg, nil)
}

// newMockWith lets a test reach into the Server before it serves anything.
func newMockWith(t testing.TB, cfg Config, setup func(*Server)) *mockT {
	t.Helper()
	cfg = withTestStore(t, cfg) // memory, or Redis when the suite runs on it (redis_test.go)
	s, err := New(cfg)
	require.NoError(t, err, "New")
	if setup != nil {
		setup(s)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.journal.Close() // ends live feeds, which Close would wait for
		hs.Close()
	})
	doc, err := contactkit.Load()
	require.NoError(t, err)
	router, err := contactkit.NewRouter(doc)
	require.NoError(t, err)
	return &mockT{t: t, srv: s, http: hs, router: router}
}

// reply is one answer, its body decoded when it is JSON.
type reply struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

func (r reply) data() []any {
	d, _ := r.json["data"].([]any)
	return d
}

func (r reply) object() map[string]any {
	d, _ := r.json["data"].(map[string]any)
	return d
}

func (r reply) meta() map[string]any {
	m, _ := r.json["meta"].(map[string]any)
	return m
}

func (r reply) errors() map[string]any {
	m, _ := r.json["errors"].(map[string]any)
	return m
}

// token is the bearer token tests use unless they say otherwise.
const token = "Bearer test-token"

// do sends a request with the test token; headers are "Name: value" pairs, and
// "Authorization:" with no value sends none.
func (m *mockT) do(method, path, body string, headers ...string) reply {
	m.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, m.http.URL+path, rd)
	require.NoError(m.t, err, "%s %s", method, path)
	req.Header.Set("Authorization", token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		value = strings.TrimSpace(value)
		if value == "" {
			req.Header.Del(name)
		} else {
			req.Header.Set(name, value)
		}
	}
	return m.send(req)
}

// send sends req and checks the answer against the contract.
func (m *mockT) send(req *http.Request) reply {
	m.t.Helper()
	resp, err := m.http.Client().Do(req)
	require.NoError(m.t, err, "%s %s", req.Method, req.URL)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(m.t, err)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.json)
	m.check(req, r)
	return r
}

// check holds every answer to the contract: openapi3filter.ValidateResponse for the
// operation (or, for an unrouted request, the shared 404 envelope) and the envelope
// invariants (statusCode, code, the docs' message, JSON content type).
func (m *mockT) check(req *http.Request, r reply) {
	m.t.Helper()
	what := req.Method + " " + req.URL.RequestURI()
	if r.status == http.StatusNoContent {
		assert.Empty(m.t, r.raw, "%s: 204 has no body", what)
		return
	}
	if req.URL.Path == "/openapi.yaml" || isExport(req, r) || isPagePath(req.URL.Path) {
		return
	}
	assert.Equal(m.t, "application/json", r.header.Get("Content-Type"), "%s: content type", what)
	var probeJSON map[string]any
	if !assert.NoError(m.t, json.Unmarshal(r.raw, &probeJSON), "%s: body is a JSON object: %s", what, r.raw) {
		return
	}
	assert.EqualValues(m.t, r.status, r.json["statusCode"], "%s: statusCode", what)
	if r.status == http.StatusInternalServerError {
		assert.Equal(m.t, "INTERNAL_SERVER_ERROR", r.json["code"], "%s: code", what)
		return
	}
	assert.Equal(m.t, contactkit.Code(r.status), r.json["code"], "%s: code", what)
	if strings.HasPrefix(req.URL.Path, "/__admin/") {
		return // not the contract's: envelope only
	}

	// Route a copy of the request, as the mock did, to validate the answer.
	probe := req.Clone(context.Background())
	probe.Body = http.NoBody
	route, params, err := m.router.FindRoute(probe)
	opID := contactkit.OpListContacts
	if err != nil {
		assert.Equal(m.t, http.StatusNotFound, r.status, "%s: an unrouted request answers 404", what)
		probe, _ = http.NewRequest(http.MethodGet, "/contacts/x", nil)
		route, params, err = m.router.FindRoute(probe)
		require.NoError(m.t, err)
	} else {
		opID = route.Operation.OperationID
	}
	spec, err := contactkit.LoadSpec()
	require.NoError(m.t, err)
	assert.Equal(m.t, spec.Op(opID).Message(r.status), r.json["message"], "%s: the docs' message", what)
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route},
		Status:                 r.status,
		Header:                 r.header,
		Body:                   io.NopCloser(bytes.NewReader(r.raw)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			MultiError:              true,
			SchemaValidationOptions: contactkit.SchemaOptions(),
		},
	})
	assert.NoError(m.t, err, "%s: answer %d matches openapi.yaml: %s", what, r.status, r.raw)
}

// list returns every contact of app, page by page, newest first.
func (m *mockT) listAll(app string) []map[string]any {
	m.t.Helper()
	var all []map[string]any
	for page := 1; ; page++ {
		r := m.do("GET", "/contacts/"+app+"?limit=50&page="+itoa(page), "")
		require.Equal(m.t, http.StatusOK, r.status, "list %s page %d", app, page)
		for _, c := range r.data() {
			all = append(all, c.(map[string]any))
		}
		if r.meta()["next_page"] == nil {
			return all
		}
	}
}

func (m *mockT) total(app string) int {
	m.t.Helper()
	r := m.do("GET", "/contacts/"+app+"?limit=1", "")
	require.Equal(m.t, http.StatusOK, r.status, "list %s", app)
	return int(r.meta()["total"].(float64))
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// adminPOST is the header that makes an admin POST one no HTML form can send.
const adminPOST = "X-Contactkit-Admin: 1"

// isExport reports whether r is an app's export, a data file rather than an envelope.
func isExport(req *http.Request, r reply) bool {
	return req.Method == http.MethodGet && strings.HasPrefix(req.URL.Path, "/__admin/apps/") && r.status == http.StatusOK
}

// started serves a mock with Start on a free loopback port until the test ends,
// for what only a real listener does (timeouts, the connection cap, header cap).
func started(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	s, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s, s.Addr().String()
}

// The docs' own words for a bad create, as a client reads them; the mock reads
// them from the contract's examples (TestMockFollowsContractWords).
const (
	msgPhoneType = "Nomor telepon harus ber-tipe data number"
	msgBodyArray = "Data harus ber-tipe data array"
)
