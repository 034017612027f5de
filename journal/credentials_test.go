package journal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/redact"
)

// A login session, as a front end's traffic through the proxy (or the mock's
// journal) may hold it: a password in a body, a token issued in an answer and
// then used as a bearer, the token and the password echoed by later answers in
// fields of no credential's name, and a token written so that no form of it
// shows until the text is decoded.
const (
	password = "hunter2-correct-horse"
	issued   = "issued-token-98765-ABCDEF"
)

func loginSession() []Exchange {
	var uesc strings.Builder
	for _, c := range issued {
		fmt.Fprintf(&uesc, `\u%04x`, c)
	}
	var pct strings.Builder
	for i := range len(issued) {
		fmt.Fprintf(&pct, "%%%02X", issued[i])
	}
	return []Exchange{
		{Method: "POST", URI: "/login", Status: 200,
			RequestHeader: http.Header{"Content-Type": {"application/json"}},
			RequestBody:   []byte(`{"username":"budi","password":"` + password + `"}`),
			ResponseBody:  []byte(`{"data":{"access_token":"` + issued + `","token_type":"bearer"}}`)},
		{Method: "POST", URI: "/session", Status: 200,
			RequestHeader: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			RequestBody:   []byte("user=budi&password=" + password)},
		{Method: "GET", URI: "/contacts/app1?page=1", Status: 200,
			RequestHeader: http.Header{"Authorization": {"Bearer\t" + issued}}},
		{Method: "GET", URI: "/echo", Status: 200, ResponseBody: []byte(`{"note":"` + issued + `","said":"` + password + `"}`)},
		{Method: "GET", URI: "/escaped", Status: 200, ResponseBody: []byte(`{"note":"` + uesc.String() + `"}`)},
		{Method: "GET", URI: "/contacts/" + pct.String() + "?x=" + pct.String(), Status: 404},
	}
}

// TestCredentialsOutsideAuthorizationNeverShow: no entry, whether read from the
// journal or sent on the live feed, holds the password or the issued token, in
// any form, in any exchange, before or after the one that carried it.
func TestCredentialsOutsideAuthorizationNeverShow(t *testing.T) {
	j := New(Config{})
	srv := httptest.NewServer(j)
	defer srv.Close()
	defer j.Close() // ends the feed, or Close would wait for it
	feed := openFeed(t, srv.URL+"/__admin/requests/stream", nil)
	waitSubscribers(t, j, 1)
	session := loginSession()
	for _, x := range session {
		j.Keep(x)
	}
	var texts []string
	for range session {
		_, e := feed.next(t)
		b, _ := json.Marshal(e)
		texts = append(texts, "feed: "+string(b))
	}
	resp, err := http.Get(srv.URL + "/__admin/requests")
	require.NoError(t, err)
	var env struct{ Data []json.RawMessage }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	resp.Body.Close()
	require.Len(t, env.Data, len(session))
	for _, d := range env.Data {
		texts = append(texts, "journal: "+string(d))
	}
	for _, text := range texts {
		for _, leak := range []string{password[:redact.PrefixLen], password[len(password)-redact.PrefixLen:], issued[:redact.PrefixLen], issued[len(issued)-redact.PrefixLen:]} {
			assert.NotContains(t, text, leak, "%s", text)
		}
	}
	assert.Contains(t, texts[0], `\"username\":\"budi\"`, "what is no credential stays")
}

// TestSeenCredentialsAreBounded: the credentials a journal keeps to scrub later
// entries are the newest, a bounded number, whatever clients send.
func TestSeenCredentialsAreBounded(t *testing.T) {
	j := New(Config{MaxEntries: 10})
	for i := range 5000 {
		x := exchange(i)
		x.RequestHeader = http.Header{"Authorization": {fmt.Sprintf("Bearer %06d-distinct-token", i)}}
		x.RequestBody = []byte(fmt.Sprintf(`{"password":"%06d-distinct-password"}`, i))
		j.Keep(x)
	}
	n, bytes := j.seen.Len()
	assert.LessOrEqual(t, n, redact.DefaultMaxSeen, "credentials kept")
	assert.LessOrEqual(t, bytes, redact.DefaultMaxSeen*2048, "their bytes")
	es := j.Entries(Filter{})
	require.NotEmpty(t, es)
	assert.NotContains(t, es[len(es)-1].Request.Body, "distinct-password", "the newest password is masked")
}

// TestHeaderCredentialsScrubOtherEntries: a token a client only ever sent in a
// header (a bearer, a cookie, an API key) is taken out of every other entry
// that holds it, and out of what the journal's Scrubber writes (log lines).
func TestHeaderCredentialsScrubOtherEntries(t *testing.T) {
	const bearer, cookie, apiKey = "header-only-bearer-4242", "cookie-session-777777", "api-key-0123456789"
	j := New(Config{})
	j.Keep(Exchange{Method: "GET", URI: "/contacts/app1", Status: 200, RequestHeader: http.Header{
		"Authorization": {"Bearer " + bearer}, "Cookie": {"session=" + cookie}, "X-Api-Key": {apiKey}}})
	echo := `{"note":"` + bearer + ` ` + cookie + ` ` + apiKey + `"}`
	j.Keep(Exchange{Method: "GET", URI: "/echo", Status: 200, ResponseBody: []byte(echo)})
	entries := j.Entries(Filter{})
	require.Len(t, entries, 2)
	body := entries[1].Response.Body
	line := j.Scrubber().Scrub(echo)
	for _, secret := range []string{bearer, cookie, apiKey} {
		assert.NotContains(t, body, secret, "the echo's entry")
		assert.NotContains(t, line, secret, "a log line")
	}
}
