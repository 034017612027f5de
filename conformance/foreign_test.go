package conformance_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/report"
)

const foreignToken = "second-identity-token-0123456789"

// foreignSuite acts as each identity the scenario format can name, so a
// replayed exploration sends what the exploration sent.
var foreignSuite = fstest.MapFS{"foreign.yaml": {Data: []byte(`name: foreign
steps:
  - name: the foreign token on its own app
    op: listContacts
    auth: foreign-token
    expect: {status: 200}
  - name: the foreign token on the main app
    op: listContacts
    params: {appId: "{{app}}"}
    auth: foreign-token
    expect: {status: 200}
  - name: the token with a suffix
    op: listContacts
    auth: token-suffix
    expect: {status: 200}
  - name: the token with a prefix
    op: listContacts
    auth: token-prefix
    expect: {status: 200}
`)}}

// TestForeignTokenAuth checks what each auth mode sends, where, and that no
// report holds either token, even one the target echoes.
func TestForeignTokenAuth(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"statusCode":200,"code":"OK","message":"`+r.Header.Get("Authorization")+`","data":"x"}`)
	}))
	defer srv.Close()
	rep, err := conformance.Run(context.Background(), conformance.Config{Target: srv.URL, Token: testToken, App: "app1",
		ForeignApp: "app2", ForeignToken: foreignToken, Suite: foreignSuite})
	require.NoError(t, err)
	require.Len(t, rep.Scenarios, 1)
	require.NotEqual(t, report.Skipped, rep.Scenarios[0].Status, "scenario run with a foreign token")

	want := []struct{ sent, curl string }{
		{"/contacts/app2 Bearer " + foreignToken, "Bearer ***'"},
		{"/contacts/app1 Bearer " + foreignToken, "Bearer ***'"},
		{"/contacts/app1 Bearer " + testToken + "x", "Bearer ***x'"},
		{"/contacts/app1 Bearer x" + testToken, "Bearer x***'"},
	}
	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(got), len(want), "requests sent")
	sent := got[len(got)-len(want):] // after the preflight
	for i, w := range want {
		assert.Equal(t, w.sent, sent[i], "step %d: request sent", i+1)
		assert.Contains(t, rep.Scenarios[0].Steps[i].Curl, w.curl, "step %d: curl", i+1)
	}
	for name, out := range reports(t, rep) {
		assert.NotContains(t, out, foreignToken[:8], "%s report holds the foreign token", name)
		assert.NotContains(t, out, testToken[:8], "%s report holds the token", name)
	}
}

// TestForeignTokenNeeded checks a scenario that acts as the second identity is
// skipped, with the reason, when the run has no foreign token, and that a
// foreign token needs the app it is granted.
func TestForeignTokenNeeded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	needs := fstest.MapFS{"n.yaml": {Data: []byte("name: n\nneeds: [foreign_token]\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n")}}
	for _, tc := range []struct {
		name  string
		suite fstest.MapFS
	}{{"auth: foreign-token", foreignSuite}, {"needs: [foreign_token]", needs}} {
		rep, err := conformance.Run(context.Background(), conformance.Config{Target: srv.URL, Token: testToken, App: "app1", ForeignApp: "app2", Suite: tc.suite})
		require.NoError(t, err, tc.name)
		sc := rep.Scenarios[0]
		assert.Equal(t, report.Skipped, sc.Status, "%s: status", tc.name)
		assert.Contains(t, sc.SkipReason, "needs --foreign-token", "%s: skip reason", tc.name)
	}
	_, err := conformance.Run(context.Background(), conformance.Config{Target: srv.URL, Token: testToken, App: "app1", ForeignToken: foreignToken, Suite: foreignSuite})
	require.ErrorIs(t, err, conformance.ErrConfig, "a foreign token without its app")
	assert.True(t, strings.Contains(err.Error(), "foreign app"), "error %q names the foreign app", err)
}
