package main

// The proxy meets the mock here, as a user meets them: a session through the
// proxy against the mock, recorded, then replayed with conform.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
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
	"github.com/contactkit/contactkit/journal"
	"github.com/contactkit/contactkit/mock"
	"github.com/contactkit/contactkit/proxy"
	"github.com/contactkit/contactkit/scenario"
)

const proxyToken = "front-end-token-Zq81xYv0"

// call sends one request as a front end would and returns the status and body.
func call(t *testing.T, base, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+proxyToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m), "%s %s answers JSON", method, path)
	return resp.StatusCode, m
}

// frontEnd clicks through an app: a list, a new contact, its detail, block and
// unblock, delete, and the list again.
func frontEnd(t *testing.T, base string) {
	t.Helper()
	call(t, base, "GET", "/contacts/shop?page=1&limit=10", "")
	status, _ := call(t, base, "POST", "/contacts/shop", `[{"name":"Rina Wijaya","phone":6281311112222}]`)
	require.Equal(t, http.StatusCreated, status)
	_, list := call(t, base, "GET", "/contacts/shop?page=1&limit=10", "")
	id := ""
	for _, c := range list["data"].([]any) {
		if c := c.(map[string]any); c["tag"] == "Rina Wijaya" {
			id = c["id"].(string)
		}
	}
	require.NotEmpty(t, id, "the new contact is on the first page")
	call(t, base, "GET", "/contacts/shop/"+id, "")
	call(t, base, "PUT", "/contacts/shop/"+id, "")
	call(t, base, "GET", "/contacts/shop/"+id, "")
	call(t, base, "PUT", "/contacts/shop/"+id, "")
	call(t, base, "DELETE", "/contacts/shop/"+id, "")
	call(t, base, "GET", "/contacts/shop/"+id, "")
	call(t, base, "GET", "/contacts/shop?page=1&limit=10", "")
}

// keepsDeleted breaks the mock one way: DELETE answers 200 as the docs say, but
// the contact stays.
type keepsDeleted struct {
	next http.Handler
	msg  string
}

func (k keepsDeleted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodDelete {
		k.next.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"statusCode":200,"code":"OK","message":`+strings.TrimSpace(mustJSON(k.msg))+`}`)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func newProxyTarget(t *testing.T) *httptest.Server {
	t.Helper()
	srv, err := mock.New(mock.Config{Strict: true})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

// recordingProxy starts the mock and a proxy in front of it that records into a
// new directory.
func recordingProxy(t *testing.T) (dir string, target *httptest.Server, p *proxy.Server, url string) {
	t.Helper()
	dir = t.TempDir()
	target = newProxyTarget(t)
	p, err := proxy.New(proxy.Config{Target: target.URL, RecordDir: dir})
	require.NoError(t, err)
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	return dir, target, p, ps.URL
}

// replays runs the recording in dir against target and requires it to pass (ok)
// or fail.
func replays(t *testing.T, dir, name, target string, ok bool, recording []byte) {
	t.Helper()
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: target, Token: "replay-token", App: "replay-app", Suite: os.DirFS(dir), SuiteName: dir})
	require.NoError(t, err)
	if rep.OK() != ok {
		var out strings.Builder
		_ = rep.WriteText(&out, true)
		t.Errorf("replay against %s: OK = %v, want %v\n%s\n%s", name, rep.OK(), ok, out.String(), recording)
	}
}

func TestProxyRecordingReplaysAgainstMock(t *testing.T) {
	dir, _, p, url := recordingProxy(t)
	frontEnd(t, url)
	for _, e := range p.Journal().Entries(journal.Filter{}) {
		assert.Empty(t, e.Violations, "the mock breaks nothing: %s %s", e.Method, e.Path)
	}
	file, err := p.WriteRecording()
	require.NoError(t, err)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	_, err = scenario.Parse(spec, filepath.Base(file), data)
	require.NoError(t, err, "the recording loads")
	assert.NotContains(t, string(data), proxyToken[:8], "no token in the recording")

	broken := httptest.NewServer(keepsDeleted{next: newProxyTarget(t).Config.Handler, msg: spec.Op(contactkit.OpDeleteContact).Message(http.StatusOK)})
	defer broken.Close()
	for _, tc := range []struct {
		name   string
		target string
		ok     bool
	}{
		{"a fresh mock", newProxyTarget(t).URL, true},
		{"a mock that keeps deleted contacts", broken.URL, false},
	} {
		t.Run(tc.name, func(t *testing.T) { replays(t, dir, tc.name, tc.target, tc.ok, data) })
	}
}

// TestRecordingKeepsInvalidInputInvalid records creates the mock refuses: the
// recording sends the same invalid values again (an empty name stays empty, a
// phone as text stays text), expects the same 422 keys, and replays green; a
// target that takes anything fails the replay.
func TestRecordingKeepsInvalidInputInvalid(t *testing.T) {
	dir, target, p, url := recordingProxy(t)
	status, _ := call(t, target.URL, "POST", "/__admin/faults", `{"op":"listContacts","status":503,"times":1}`)
	require.Equal(t, http.StatusOK, status, "a fault rule")
	status, _ = call(t, url, "GET", "/contacts/shop", "")
	require.Equal(t, http.StatusServiceUnavailable, status, "the fault fires")
	for _, body := range []string{
		`[{"name":"","phone":6281311110001}]`,
		`[{"name":"Rina Wijaya","phone":"6281311110002"}]`,
		`[{"name":"Rina Wijaya","phone":6281311110003},{"name":"   ","phone":6281.5}]`,
	} {
		status, _ = call(t, url, "POST", "/contacts/shop", body)
		require.Equal(t, http.StatusUnprocessableEntity, status, "the mock refuses %s", body)
	}
	file, err := p.WriteRecording()
	require.NoError(t, err)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	text := string(data)
	for _, want := range []string{
		`- name: ""`, `phone: "6281311110002"`, `name: '   '`, `phone: 6281.5`,
		`/errors/0.name:`, `/errors/0.phone:`, `/errors/1.name:`, `/errors/1.phone:`, `present: true`,
	} {
		assert.Contains(t, text, want, "the recording keeps the invalid input and the 422's keys")
	}
	assert.Contains(t, text, "# exchanges left out, since no scenario can replay them: 1 (a status the contract does not document", "the fault's 503 is left out, and the file says so")
	assert.NotContains(t, text, "503")

	accepting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"statusCode":201,"code":"CREATED","message":"Data has been successfully inserted."}`)
	}))
	defer accepting.Close()
	for _, tc := range []struct {
		name   string
		target string
		ok     bool
	}{{"a fresh mock", newProxyTarget(t).URL, true}, {"a target that takes anything", accepting.URL, false}} {
		replays(t, dir, tc.name, tc.target, tc.ok, data)
	}
}

// TestDefaultSuiteThroughStrictProxy replays the whole default suite through the
// proxy, --strict, to the mock: a faithful server, so no answer may be flagged
// (strict would turn it into a 502, and the suite would fail). The suite's
// deliberately bad requests are flagged as requests, and only as such.
func TestDefaultSuiteThroughStrictProxy(t *testing.T) {
	srv, err := mock.New(mock.Config{Auth: map[string][]string{"suite-token-0123": {"app1"}}, Strict: true})
	require.NoError(t, err)
	target := httptest.NewServer(srv)
	defer target.Close()
	p, err := proxy.New(proxy.Config{Target: target.URL, Strict: true})
	require.NoError(t, err)
	ps := httptest.NewServer(p)
	defer ps.Close()

	rep, err := conformance.Run(context.Background(), conformance.Config{Target: ps.URL, Token: "suite-token-0123", App: "app1", ForeignApp: "app2"})
	require.NoError(t, err)
	if !rep.OK() {
		var out strings.Builder
		_ = rep.WriteText(&out, false)
		t.Fatalf("the default suite through the strict proxy failed:\n%s", out.String())
	}
	requests := 0
	for _, e := range p.Journal().Entries(journal.Filter{}) {
		for _, v := range e.Violations {
			if v.Check == string(check.BadRequest) {
				requests++
				continue
			}
			t.Errorf("%s %s (%d): %s: %s", e.Method, e.Path, e.Status, v.Check, v.Message)
		}
	}
	assert.NotZero(t, requests, "the suite's bad requests are flagged as requests")
}

// proxyBuffer is a buffer the command writes to while the test reads it.
type proxyBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *proxyBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *proxyBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestProxyCommand runs `contactkit proxy` as the README does: it prints where it
// listens, logs violations, and writes the recording when stopped.
func TestProxyCommand(t *testing.T) {
	target := newProxyTarget(t)
	dir := t.TempDir()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	out, w := io.Pipe()
	var stderr proxyBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"proxy", "--target", target.URL, "--addr", "127.0.0.1:0", "--record", dir, "--log-format", "json"}, w, &stderr)
		w.Close()
	}()
	lines := bufio.NewScanner(out)
	require.True(t, lines.Scan(), "the proxy prints where it listens")
	_, url, ok := strings.Cut(lines.Text(), "listening on ")
	require.True(t, ok, "first line %q names the address", lines.Text())
	var rest proxyBuffer
	copied := make(chan struct{})
	go func() {
		for lines.Scan() {
			rest.Write([]byte(lines.Text() + "\n"))
		}
		close(copied)
	}()

	frontEnd(t, url)
	call(t, url, "GET", "/contacts/shop?limit=500", "") // a request the contract refuses

	stop()
	select {
	case err := <-done:
		assert.NoError(t, err, "the proxy stops cleanly")
	case <-time.After(15 * time.Second):
		t.Fatal("the proxy did not stop within 15 s")
	}
	<-copied
	assert.Contains(t, rest.String(), "recording written to", "stdout says where the recording went")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.Len(t, files, 1, "one recording")
	logs := stderr.String()
	assert.Contains(t, logs, `"msg":"contract violation"`)
	assert.Contains(t, logs, `"operation":"listContacts"`)
	assert.NotContains(t, logs, proxyToken[:8], "no token in the logs")
}

func TestProxyUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"proxy"}, "--target required"},
		{[]string{"proxy", "--target", "127.0.0.1:4010"}, "http://127.0.0.1:4010"},
		{[]string{"proxy", "--target", "http://127.0.0.1:4010", "--log-format", "xml"}, "--log-format"},
		{[]string{"proxy", "--target", "http://127.0.0.1:4010", "--addr", "nowhere"}, "--addr"},
		{[]string{"proxy", "--target", "http://127.0.0.1:4010", "--max-body", "0"}, "positive"},
	} {
		code, _, stderr := execute(t, tc.args...)
		assert.Equal(t, exitUsage, code, "%v: exit code", tc.args)
		assert.Contains(t, stderr, tc.want, "%v: message", tc.args)
	}
}
