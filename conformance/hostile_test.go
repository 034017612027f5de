package conformance_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/report"
)

const hostileScenario = `name: hostile
steps:
  - name: list
    op: listContacts
    expect: {status: 200}
  - name: detail
    op: getContact
    params: {contactId: "{{random_uuid}}"}
    expect: {status: 404}
cleanup:
  - name: cleanup runs anyway
    op: deleteContact
    params: {contactId: "{{random_uuid}}"}
    expect: {status: [200, 404]}
`

var hostileSuite = fstest.MapFS{"hostile.yaml": {Data: []byte(hostileScenario)}}

// hostile wraps a misbehaving handler for GET requests; DELETE (the cleanup)
// always gets a faithful 404 and is counted, to prove cleanup runs.
type hostile struct {
	get     http.HandlerFunc
	deletes atomic.Int32
	other   atomic.Int32 // requests to paths no step asked for (a followed redirect)
}

func (h *hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/elsewhere":
		h.other.Add(1)
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodDelete:
		h.deletes.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"statusCode":404,"code":"NOT_FOUND","message":"The endpoint you are looking for seems to be not found."}`)
	default:
		h.get(w, r)
	}
}

func TestHostileTargets(t *testing.T) {
	// Only the hang needs the per-request timeout to fire, and its target never
	// answers, so a short one is exact; the others get a generous one, so a slow
	// machine cannot turn a large body into a timeout.
	cases := []struct {
		name     string
		get      http.HandlerFunc
		check    check.Check // the kind of finding the first step must carry
		contains string
	}{
		{"hang", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/" {
				w.WriteHeader(http.StatusNotFound) // the preflight
				return
			}
			<-r.Context().Done()
		}, check.Transport, "no answer within 1s"},
		{"html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>oops</html>")
		}, check.Body, "body is not JSON"},
		{"5xx", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"down"}`)
		}, check.Status, "status 503 is not one listContacts documents"},
		{"10 MB body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"data":"`))
			w.Write(bytes.Repeat([]byte("x"), 10<<20))
			w.Write([]byte(`"}`))
		}, check.Body, "larger than the 1048576 bytes"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, check.Redirect, "redirecting to \"/elsewhere\""},
		{"garbage headers", func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: banana\r\n\r\n{}")
			buf.Flush()
			conn.Close()
		}, check.Transport, "no answer"},
		{"cut off mid-body", func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data\":")
			buf.Flush()
			conn.Close()
		}, check.Transport, "the body broke off"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &hostile{get: tc.get}
			srv := httptest.NewServer(h)
			defer srv.Close()
			timeout := time.Minute
			if tc.name == "hang" {
				timeout = time.Second
			}
			rep, err := conformance.Run(context.Background(), conformance.Config{
				Target: srv.URL, Token: testToken, App: testApp, Suite: hostileSuite, Timeout: timeout,
			})
			require.NoError(t, err, "%s: the run itself must not fail", tc.name)
			require.Len(t, rep.Scenarios, 1)
			assert.False(t, rep.OK(), "%s: must be a mismatch", tc.name)
			steps := rep.Scenarios[0].Steps
			require.NotEmpty(t, steps)
			var found bool
			for _, f := range steps[0].Findings {
				if f.Check == tc.check && strings.Contains(f.Message, tc.contains) {
					found = true
				}
			}
			assert.True(t, found, "%s: want a %s finding holding %q, got %+v", tc.name, tc.check, tc.contains, steps[0].Findings)
			last := steps[len(steps)-1]
			assert.True(t, last.Cleanup, "%s: the cleanup step is reported", tc.name)
			assert.Equal(t, int32(1), h.deletes.Load(), "%s: cleanup sent its DELETE", tc.name)
			assert.Zero(t, h.other.Load(), "%s: a redirect was followed", tc.name)
			if tc.check == check.Transport {
				assert.Equal(t, report.Skipped, steps[1].Status, "%s: the step after a lost answer is skipped", tc.name)
			}
		})
	}
}

func TestUnreachableTarget(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	_, err = conformance.Run(context.Background(), conformance.Config{Target: "http://" + addr, Token: testToken, App: testApp, Suite: hostileSuite})
	assert.True(t, errors.Is(err, conformance.ErrUnreachable), "closed port: err = %v, want ErrUnreachable", err)
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  conformance.Config
		want error
	}{
		{"empty", conformance.Config{}, conformance.ErrConfig},
		{"no token", conformance.Config{Target: "http://127.0.0.1:1", App: "a"}, conformance.ErrConfig},
		{"bad pattern", conformance.Config{Target: "http://127.0.0.1:1", Token: "t", App: "a", Run: "("}, conformance.ErrConfig},
		{"same foreign app", conformance.Config{Target: "http://127.0.0.1:1", Token: "t", App: "a", ForeignApp: "a"}, conformance.ErrConfig},
		{"bad suite", conformance.Config{Target: "http://127.0.0.1:1", Token: "t", App: "a", Suite: fstest.MapFS{"x.yaml": {Data: []byte("name: [")}}}, conformance.ErrSuite},
	}
	for _, tc := range cases {
		_, err := conformance.Run(context.Background(), tc.cfg)
		assert.ErrorIs(t, err, tc.want, "config %s", tc.name)
	}
}

// TestTokenEchoedIsScrubbed runs against a server that puts the token in its
// bodies, headers and errors; no report may hold it.
func TestTokenEchoedIsScrubbed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusOK)
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		io.WriteString(w, `{"statusCode":200,"code":"`+tok+`","message":"your token is `+tok+`","data":{"`+tok+`":1}}`)
	}))
	defer srv.Close()
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: srv.URL, Token: testToken, App: testApp, Suite: hostileSuite})
	require.NoError(t, err)
	for name, out := range reports(t, rep) {
		assert.NotContains(t, out, testToken, "%s report holds the token", name)
		assert.Contains(t, out, "***", "%s report shows where the token was", name)
	}
}

// TestShortTokenKeepsWords checks a one-letter token is redacted where a
// credential goes and nowhere else: "Bearer t" hides, "conform-wrong-token" and
// "t is a letter" stay readable.
func TestShortTokenKeepsWords(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"statusCode":403,"code":"FORBIDDEN","message":"You do not have access to this resource.","echo":"`+r.Header.Get("Authorization")+`","note":"t is a letter","path":"/contacts/t"}`)
	}))
	defer srv.Close()
	suite := fstest.MapFS{"a.yaml": {Data: []byte("name: a\nsteps:\n  - name: wrong\n    op: listContacts\n    auth: wrong-token\n    expect: {status: 200}\n  - name: right\n    op: listContacts\n    expect: {status: 200}\n")}}
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: srv.URL, Token: "t", App: testApp, Suite: suite})
	require.NoError(t, err)
	steps := rep.Scenarios[0].Steps
	require.Len(t, steps, 2)
	assert.Contains(t, steps[0].Curl, "Bearer conform-wrong-token-", "wrong token stays readable")
	assert.Contains(t, steps[1].Curl, "'Authorization: Bearer ***'", "the token is redacted in curl")
	assert.Contains(t, steps[1].Body, `"echo":"Bearer ***"`, "the echoed token is redacted in the body")
	assert.Contains(t, steps[1].Body, `"note":"t is a letter","path":"/contacts/t"`, "the token as an ordinary word stays")
}

// TestInterruptedRunStillCleansUp cancels the run while a step waits for an answer:
// Run returns ErrInterrupted with the report, and the cleanup step still ran.
func TestInterruptedRunStillCleansUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Bool
	h := &hostile{get: func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.WriteHeader(http.StatusNotFound) // the preflight
			return
		}
		started.Store(true)
		cancel()
		<-r.Context().Done()
	}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	rep, err := conformance.Run(ctx, conformance.Config{Target: srv.URL, Token: testToken, App: testApp, Suite: hostileSuite, Timeout: 30 * time.Second})
	require.ErrorIs(t, err, conformance.ErrInterrupted)
	require.NotNil(t, rep, "an interrupted run still reports")
	assert.True(t, started.Load())
	assert.Equal(t, int32(1), h.deletes.Load(), "cleanup ran after the cancel")
}

// TestTokenNeverLeaks runs against a server that echoes the token in every form
// it could take (cut by the runner's excerpts, JSON-escaped as PHP does, URL- and
// base64-encoded, \u-escaped so it only shows once decoded, half of it): no report
// holds its first 8 characters, or any of the encoded forms.
func TestTokenNeverLeaks(t *testing.T) {
	const token = "s3cr3t/Tok+en-ABCDEF0123"
	php := strings.ReplaceAll(token, "/", `\/`)
	var uesc strings.Builder
	for _, c := range token {
		fmt.Fprintf(&uesc, `\u%04x`, c)
	}
	forms := map[string]string{
		"PHP JSON":         php,
		"query escaped":    url.QueryEscape(token),
		"path escaped":     url.PathEscape(token),
		"base64 of header": base64.StdEncoding.EncodeToString([]byte("Bearer " + token)),
		"base64url raw":    base64.RawURLEncoding.EncodeToString([]byte(token)),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		head := `{"statusCode":200,"code":"` + strings.Repeat("c", 190) + uesc.String() + `","message":"`
		// The message puts the token across the 2048-byte cut of the report's body excerpt.
		body := head + strings.Repeat("m", 2048-12-len(head)) + token + `","data":{`
		for name, f := range forms {
			body += `"` + name + `":"` + f + `",`
		}
		body += `"half":"` + token[:12] + `"}}`
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", token)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: srv.URL, Token: token, App: testApp, Suite: hostileSuite})
	require.NoError(t, err)
	for name, out := range reports(t, rep) {
		assert.NotContains(t, out, token[:8], "%s report holds the token's first 8 characters", name)
		for form, f := range forms {
			if form == "base64 of header" {
				f = f[12:] // "Bearer " and the token's first 2 bytes share the first 12 characters
			}
			assert.NotContains(t, out, f[:8], "%s report holds the token %s", name, form)
		}
		assert.Contains(t, out, "***", "%s report shows where the token was", name)
	}
}

// rawTarget listens on loopback and hands every connection to serve, for targets
// that do not speak HTTP at all.
func rawTarget(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return l.Addr().String()
}

// TestNotHTTPTargets: a target that accepts connections but does not answer in
// HTTP is ErrNotHTTP at once, with one line saying so and every scenario reported
// not run, not a mismatch per step.
func TestNotHTTPTargets(t *testing.T) {
	plain := httptest.NewServer(newDouble(flawNone))
	defer plain.Close()
	cases := []struct {
		name, target, want string
	}{
		{"SSH banner", "http://" + rawTarget(t, func(c net.Conn) {
			io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
			io.Copy(io.Discard, c)
		}), ""}, // "malformed HTTP response", or that it spoke first: net/http says either
		{"closes at once", "http://" + rawTarget(t, func(net.Conn) {}), "closed the connection without answering"},
		{"https to a plain port", strings.Replace(plain.URL, "http://", "https://", 1), "try http://"},
	}
	for _, tc := range cases {
		rep, err := conformance.Run(context.Background(), conformance.Config{Target: tc.target, Token: testToken, App: testApp, Suite: hostileSuite})
		require.ErrorIs(t, err, conformance.ErrNotHTTP, "%s: error", tc.name)
		assert.Contains(t, err.Error(), tc.want, "%s: error", tc.name)
		assert.NotContains(t, err.Error(), "\n", "%s: one line", tc.name)
		require.NotNil(t, rep, "%s: a report of what did not run", tc.name)
		assert.Equal(t, 3, rep.Summary.Steps.Skipped, "%s: every step reported not run", tc.name)
		assert.Equal(t, err.Error(), rep.Error, "%s: the report says why", tc.name)
	}
}

// TestTargetDiesMidRun stops accepting connections during the second step: the
// run is ErrTargetLost, with the report of what ran and the rest not run.
func TestTargetDiesMidRun(t *testing.T) {
	var srv *httptest.Server
	h := &hostile{get: func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/contacts/app1/") {
			newDouble(flawNone).ServeHTTP(w, r) // the preflight and the list
			return
		}
		// The detail: the target goes away without answering, idle connections
		// and all, so the next request must dial and is refused.
		conn, _, err := w.(http.Hijacker).Hijack()
		srv.Listener.Close()
		srv.CloseClientConnections()
		if err == nil {
			conn.Close()
		}
	}}
	srv = httptest.NewServer(h)
	defer srv.Close()
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: srv.URL, Token: testToken, App: testApp, Suite: hostileSuite, Parallel: 1})
	require.ErrorIs(t, err, conformance.ErrTargetLost)
	require.NotNil(t, rep)
	steps := rep.Scenarios[0].Steps
	require.Len(t, steps, 3)
	assert.Equal(t, report.Passed, steps[0].Status, "the step before the target died")
	assert.Equal(t, rep.Error, err.Error())
}

// TestStepCountIndependentOfOutcome: a run that passes, one that fails, one whose
// target is gone and one without a foreign app all report the same steps.
func TestStepCountIndependentOfOutcome(t *testing.T) {
	steps := func(rep *report.Report) int {
		s := rep.Summary.Steps
		return s.Passed + s.Failed + s.Skipped
	}
	good := httptest.NewServer(newDouble(flawNone))
	defer good.Close()
	want := steps(runAgainst(t, good, nil))
	noForeign := steps(runAgainst(t, good, func(c *conformance.Config) { c.ForeignApp = "" }))
	assert.Equal(t, want, noForeign, "steps without a foreign app")
	bad := httptest.NewServer(newDouble(flawPhoneString))
	defer bad.Close()
	assert.Equal(t, want, steps(runAgainst(t, bad, nil)), "steps of a failing run")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l.Close()
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: "http://" + l.Addr().String(), Token: testToken, App: testApp, ForeignApp: testForeign})
	require.ErrorIs(t, err, conformance.ErrUnreachable)
	assert.Equal(t, want, steps(rep), "steps of a run whose target is down")
}

// TestDeadline stops a run whose target hangs: ErrInterrupted naming the
// deadline, with the report of what ran.
func TestDeadline(t *testing.T) {
	h := &hostile{get: func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.WriteHeader(http.StatusNotFound) // the preflight
			return
		}
		<-r.Context().Done()
	}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: srv.URL, Token: testToken, App: testApp, Suite: hostileSuite, Deadline: 100 * time.Millisecond, Timeout: time.Minute})
	require.ErrorIs(t, err, conformance.ErrInterrupted)
	assert.Contains(t, err.Error(), "deadline of 100ms passed")
	require.NotNil(t, rep)
	assert.Equal(t, int32(1), h.deletes.Load(), "cleanup ran after the deadline")
}

// TestConsoleEscapesControls runs against a target whose answers carry terminal
// escapes (an OSC title, a screen clear, BEL, NUL, a C1 control, a bidi override):
// the console report shows them escaped, never raw.
func TestConsoleEscapesControls(t *testing.T) {
	const evil = "\x1b]0;pwned\x07\x1b[2J\x00\u009b31m\u202eevil\x7f"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, `{"statusCode":418,"message":"`+evil+`"}`) // raw, as a hostile target sends it
	}))
	defer srv.Close()
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: srv.URL, Token: testToken, App: testApp, Suite: hostileSuite})
	require.NoError(t, err)
	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text, true))
	out := text.String()
	for i, r := range out {
		if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x202e) {
			t.Fatalf("console report holds %U at byte %d: %q", r, i, out[max(0, i-40):min(len(out), i+40)])
		}
	}
	assert.Contains(t, out, `\x1b]0;pwned\x07`, "the OSC sequence shows escaped")
}

// reports writes rep in every form a user gets: console (verbose), JSON, JUnit.
func reports(t *testing.T, rep *report.Report) map[string]string {
	t.Helper()
	var text, js, junit bytes.Buffer
	require.NoError(t, rep.WriteText(&text, true))
	require.NoError(t, rep.WriteJSON(&js))
	require.NoError(t, rep.WriteJUnit(&junit))
	return map[string]string{"console": text.String(), "JSON": js.String(), "JUnit": junit.String()}
}
