package main

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secret = "cmd-secret-token-42"

// notFoundSuite asks one unknown route for its 404, the smallest scenario that
// tells a right answer from a wrong one.
const notFoundSuite = `name: unknown route
steps:
  - name: an unknown route answers 404
    method: GET
    path: /nowhere
    expect:
      status: 404
`

func writeSuite(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	return dir
}

// echoing answers every request with a 404 envelope; broken also echoes the
// Authorization header back, as a hostile server might, and answers in text.
func echoing(broken bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "you sent "+r.Header.Get("Authorization"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"statusCode":404,"code":"NOT_FOUND","message":"The endpoint you are looking for seems to be not found."}`)
	})
}

func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestConformExitCodes(t *testing.T) {
	good := httptest.NewServer(echoing(false))
	defer good.Close()
	bad := httptest.NewServer(echoing(true))
	defer bad.Close()
	suite := writeSuite(t, map[string]string{"routes.yaml": notFoundSuite})
	broken := writeSuite(t, map[string]string{"a.yaml": notFoundSuite, "b.yaml": "name: typo\nsteps:\n  - name: x\n    op: listContact\n    expect: {status: 200}\n"})
	misspelt := writeSuite(t, map[string]string{"m.yaml": notFoundSuite + "      body:\n        /message: {lenght: 3}\n"})

	cases := []struct {
		name   string
		args   []string
		want   int
		stderr string
	}{
		{"all match", []string{"--target", good.URL, "--suite", suite, "--explore", "0"}, exitOK, ""},
		{"mismatch", []string{"--target", bad.URL, "--suite", suite}, exitMismatch, ""},
		{"unreachable", []string{"--target", closedURL(t), "--suite", suite}, exitNoTarget, "target unreachable"},
		{"suite error says file:line", []string{"--target", good.URL, "--suite", broken}, exitUsage, "b.yaml:4: op \"listContact\" is not an operationId"},
		{"misspelt matcher is a load error", []string{"--target", good.URL, "--suite", misspelt}, exitUsage, "m.yaml:9: matcher: unknown key \"lenght\""},
		{"missing suite dir", []string{"--target", good.URL, "--suite", filepath.Join(suite, "nope")}, exitUsage, "not a directory"},
		{"bad run pattern", []string{"--target", good.URL, "--suite", suite, "--run", "("}, exitUsage, "run pattern"},
		{"nothing selected", []string{"--target", good.URL, "--suite", suite, "--tags", "nope"}, exitUsage, "no scenario matches"},
		{"bad target", []string{"--target", "ftp://x", "--suite", suite}, exitUsage, "not an http(s) URL"},
		{"bad timeout", []string{"--target", good.URL, "--timeout", "0s"}, exitUsage, "--timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"conform", "--token", secret, "--app", "app1"}, tc.args...)
			code, stdout, stderr := execute(t, args...)
			assert.Equal(t, tc.want, code, "conform %s: exit code; stdout:\n%s\nstderr:\n%s", tc.name, stdout, stderr)
			assert.Contains(t, stderr, tc.stderr, "conform %s: stderr", tc.name)
			assert.NotContains(t, stdout+stderr, secret, "conform %s: the token leaked", tc.name)
		})
	}
}

// TestConformRefusedTokenHint runs against a target that refuses the token on
// every request: the report ends with a hint naming the likely cause.
func TestConformRefusedTokenHint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"statusCode":403,"code":"FORBIDDEN","message":"You do not have access to this resource."}`)
	}))
	defer srv.Close()
	code, stdout, _ := execute(t, "conform", "--target", srv.URL, "--token", secret, "--app", "app1", "--run", "list - ")
	assert.Equal(t, exitMismatch, code)
	assert.Contains(t, stdout, `hint: every request sent with --token was refused (403): is the token granted app "app1" on this target?`)
}

func TestConformMissingFlags(t *testing.T) {
	t.Setenv(tokenEnv, "")
	code, _, stderr := execute(t, "conform", "--app", "a")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--target, --token required")
}

func TestConformReportsHideTheToken(t *testing.T) {
	bad := httptest.NewServer(echoing(true))
	defer bad.Close()
	suite := writeSuite(t, map[string]string{"routes.yaml": notFoundSuite})
	dir := t.TempDir()
	jsonFile, junitFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	t.Setenv(tokenEnv, secret) // the token may come from the environment too

	code, stdout, stderr := execute(t, "conform", "--target", bad.URL, "--app", "app1", "--suite", suite,
		"--json", jsonFile, "--junit", junitFile, "--verbose", "--explore", "0")
	require.Equal(t, exitMismatch, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "you sent Bearer ***", "the echoed token is redacted in the console")
	assert.Contains(t, stdout, "scenarios 0 passed, 0 warned, 1 failed, 0 skipped")

	for _, f := range []string{jsonFile, junitFile} {
		data, err := os.ReadFile(f)
		require.NoError(t, err, "report %s", f)
		assert.NotContains(t, string(data), secret, "report %s holds the token", f)
	}
	data, _ := os.ReadFile(jsonFile)
	assert.True(t, json.Valid(data), "JSON report is JSON")
	data, _ = os.ReadFile(junitFile)
	var suites struct {
		Tests int `xml:"tests,attr"`
	}
	require.NoError(t, xml.Unmarshal(data, &suites), "JUnit report is XML")
	assert.Equal(t, 1, suites.Tests, "JUnit testcases")
	assert.False(t, strings.Contains(stdout+stderr, secret), "console holds the token")
}

// TestConformReportsOnEveryExit writes --json and --junit whatever the exit code,
// with the same JUnit test count: a target that passes, one that fails, one that
// does not speak HTTP and one that is down.
func TestConformReportsOnEveryExit(t *testing.T) {
	good := httptest.NewServer(echoing(false))
	defer good.Close()
	bad := httptest.NewServer(echoing(true))
	defer bad.Close()
	banner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer banner.Close()
	go func() {
		for {
			c, err := banner.Accept()
			if err != nil {
				return
			}
			go func() {
				io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
				io.Copy(io.Discard, c) // an SSH server waits for the client's banner
				c.Close()
			}()
		}
	}()
	suite := writeSuite(t, map[string]string{"routes.yaml": notFoundSuite})
	cases := []struct {
		name, target string
		want         int
		stderr       string
	}{
		{"all match", good.URL, exitOK, ""},
		{"mismatch", bad.URL, exitMismatch, ""},
		{"not HTTP", "http://" + banner.Addr().String(), exitNoTarget, "target does not speak HTTP"},
		{"down", closedURL(t), exitNoTarget, "target unreachable"},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		jsonFile, junitFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
		code, stdout, stderr := execute(t, "conform", "--target", tc.target, "--token", secret, "--app", "app1", "--suite", suite, "--explore", "0", "--json", jsonFile, "--junit", junitFile)
		assert.Equal(t, tc.want, code, "%s: exit code; stdout:\n%s\nstderr:\n%s", tc.name, stdout, stderr)
		assert.Contains(t, stderr, tc.stderr, "%s: stderr", tc.name)
		if tc.want == exitNoTarget {
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "%s: one line on stderr: %q", tc.name, stderr)
			assert.Empty(t, stdout, "%s: no report on stdout", tc.name)
		}
		data, err := os.ReadFile(jsonFile)
		require.NoError(t, err, "%s: JSON report written", tc.name)
		assert.True(t, json.Valid(data), "%s: JSON report is JSON", tc.name)
		data, err = os.ReadFile(junitFile)
		require.NoError(t, err, "%s: JUnit report written", tc.name)
		var suites struct {
			Tests int `xml:"tests,attr"`
		}
		require.NoError(t, xml.Unmarshal(data, &suites), "%s: JUnit report is XML", tc.name)
		assert.Equal(t, 1, suites.Tests, "%s: JUnit tests", tc.name)
	}
}

func TestConformTargetWithoutScheme(t *testing.T) {
	code, _, stderr := execute(t, "conform", "--target", "127.0.0.1:4010", "--token", secret, "--app", "app1")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "write http://127.0.0.1:4010")
}

// TestExplorationNeverLeaksTokens runs the default suite and the exploration
// against a target that echoes both identities' tokens in every answer, raw,
// JSON-escaped with PHP's `\/` and base64-encoded: no report holds either token
// or the first 8 characters of one.
func TestExplorationNeverLeaksTokens(t *testing.T) {
	const foreign = "cmd-foreign/token+99"
	leaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		esc := strings.ReplaceAll(auth, "/", `\/`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"statusCode":500,"code":"%s","message":"%s %s"}`, esc, base64.StdEncoding.EncodeToString([]byte(auth)), auth)
	}))
	defer leaky.Close()
	dir := t.TempDir()
	jsonFile, junitFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, stdout, stderr := execute(t, "conform", "--target", leaky.URL, "--token", secret, "--app", "app1",
		"--foreign-app", "app2", "--foreign-token", foreign, "--explore", "50", "--seed", "7",
		"--explore-out", filepath.Join(dir, "out"), "--json", jsonFile, "--junit", junitFile)
	assert.Equal(t, exitMismatch, code, "exit code; stderr: %s", stderr)
	outputs := map[string]string{"stdout": stdout, "stderr": stderr}
	for _, f := range []string{jsonFile, junitFile} {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		outputs[f] = string(data)
	}
	_ = filepath.WalkDir(filepath.Join(dir, "out"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			outputs[p] = string(data)
		}
		return nil
	})
	for name, text := range outputs {
		for _, tok := range []string{secret, foreign} {
			for _, form := range []string{tok[:8], strings.ReplaceAll(tok, "/", `\/`)[:8], base64.StdEncoding.EncodeToString([]byte("Bearer " + tok))[12:20]} {
				assert.NotContains(t, text, form, "%s holds a piece of a token", name)
			}
		}
	}
}

// TestConformSuiteErrorIsAJUnitError: a suite that does not load exits 2 and
// still writes a JUnit file CI reads as an error, never as zero tests passed.
func TestConformSuiteErrorIsAJUnitError(t *testing.T) {
	good := httptest.NewServer(echoing(false))
	defer good.Close()
	broken := writeSuite(t, map[string]string{"b.yaml": "name: b\nsteps:\n  - name: s\n    op: listContact\n    expect: {status: 200}\n"})
	junitFile := filepath.Join(t.TempDir(), "r.xml")
	code, _, stderr := execute(t, "conform", "--target", good.URL, "--token", secret, "--app", "app1", "--suite", broken, "--junit", junitFile)
	require.Equal(t, exitUsage, code, "stderr:\n%s", stderr)
	data, err := os.ReadFile(junitFile)
	require.NoError(t, err, "JUnit report written")
	var suites struct {
		Tests  int `xml:"tests,attr"`
		Errors int `xml:"errors,attr"`
		Suites []struct {
			Cases []struct {
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(data, &suites), "JUnit report is XML:\n%s", data)
	assert.Equal(t, 1, suites.Tests, "JUnit tests")
	assert.Equal(t, 1, suites.Errors, "JUnit errors")
	require.Len(t, suites.Suites, 1)
	require.Len(t, suites.Suites[0].Cases, 1)
	require.NotNil(t, suites.Suites[0].Cases[0].Error, "the case is an error")
	assert.Contains(t, suites.Suites[0].Cases[0].Error.Message, `b.yaml:4: op "listContact"`, "the error says file:line")
}
