package peers_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The documentation's sentences, copied again here from contacts-api-docs.txt so
// that a peer cannot pass by sharing a typo with its test.
const (
	sentOK        = "The request has been successfully processed."
	sentCreated   = "Data has been successfully inserted."
	sentDeleted   = "Data has been successfully deleted."
	sentBad       = "The request body does not contain valid data."
	sentForbidden = "You do not have access to this resource."
	sentNotFound  = "The endpoint you are looking for seems to be not found."
	sentInvalid   = "Data cannot be processed as it is invalid."
	sentPhoneType = "Nomor telepon harus ber-tipe data number"
)

var words = map[int]string{
	200: "OK", 201: "CREATED", 400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND",
	405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE", 422: "UNPROCESSABLE_ENTITY",
}

// client talks to one peer over real HTTP, and checks the envelope of every answer.
type client struct {
	t     testing.TB
	base  string
	token string // default bearer token
	hc    *http.Client
}

func newClient(t testing.TB, base, token string) *client {
	// No transparent gzip: the tests see the answer as sent.
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: base, token: token, hc: &http.Client{Transport: tr, Timeout: 20 * time.Second}}
}

type answer struct {
	status int
	resp   *http.Response
	body   []byte
	env    map[string]any // numbers as json.Number
}

func (a answer) data() map[string]any   { m, _ := a.env["data"].(map[string]any); return m }
func (a answer) items() []any           { l, _ := a.env["data"].([]any); return l }
func (a answer) meta() map[string]any   { m, _ := a.env["meta"].(map[string]any); return m }
func (a answer) errors() map[string]any { m, _ := a.env["errors"].(map[string]any); return m }

// req is a request; header pairs are name, value; "Authorization" replaces the
// client's token (an empty value sends none).
func (c *client) req(method, path, body string, header ...string) answer {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if c.token != "" {
		r.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			r.Header.Del(header[i])
		} else {
			r.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := c.hc.Do(r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var src io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			c.t.Fatalf("%s %s: gzip: %v", method, path, err)
		}
		src = zr
	}
	b, err := io.ReadAll(src)
	if err != nil {
		c.t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	a := answer{status: resp.StatusCode, resp: resp, body: b}
	if resp.StatusCode >= 500 {
		c.t.Fatalf("%s %s: %d: %s", method, path, resp.StatusCode, b)
	}
	if method == http.MethodHead || resp.StatusCode == http.StatusNotModified {
		return a
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		c.t.Errorf("%s %s: Content-Type %q", method, path, resp.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&a.env); err != nil {
		c.t.Fatalf("%s %s: %d answer is not a JSON object: %v: %q", method, path, resp.StatusCode, err, b)
	}
	if got := num(a.env["statusCode"]); got != int64(resp.StatusCode) {
		c.t.Errorf("%s %s: statusCode %v, HTTP status %d", method, path, a.env["statusCode"], resp.StatusCode)
	}
	if a.env["code"] != words[resp.StatusCode] {
		c.t.Errorf("%s %s: code %v for %d", method, path, a.env["code"], resp.StatusCode)
	}
	want := map[int]string{200: sentOK, 201: sentCreated, 400: sentBad, 403: sentForbidden, 404: sentNotFound, 422: sentInvalid}[resp.StatusCode]
	if resp.StatusCode == 200 && method == http.MethodDelete {
		want = sentDeleted
	}
	if msg, ok := a.env["message"].(string); !ok || (want != "" && msg != want) {
		c.t.Errorf("%s %s: message %q for %d, want %q", method, path, a.env["message"], resp.StatusCode, want)
	}
	return a
}

// expect fails the test unless the answer has the status.
func (a answer) expect(t testing.TB, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s %s: status %d, want %d: %s", a.resp.Request.Method, a.resp.Request.URL.Path, a.status, status, a.body)
	}
	return a
}

// num reads a JSON number (json.Number) as an int64; -1 if it is not one.
func num(v any) int64 {
	n, ok := v.(json.Number)
	if !ok {
		return -1
	}
	i, err := n.Int64()
	if err != nil {
		return -1
	}
	return i
}
