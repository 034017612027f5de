package proxy

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/redact"
)

// TestCredentialsOutsideAuthorizationNeverLeave: a front end logs in through the
// proxy (a password in a form and in a JSON body, a token issued in the answer),
// then uses the issued token as its bearer, and an answer echoes both in fields
// of no credential's name, the token \u-escaped once; a path carries the token
// percent-encoded byte by byte. Neither the password nor the token shows in the
// logs, the journal or the recording (the journal's own tests read its live
// feed too).
func TestCredentialsOutsideAuthorizationNeverLeave(t *testing.T) {
	const (
		password = "hunter2-correct-horse"
		issued   = "issued-token-98765-ABCDEF"
	)
	d := newDouble(spec(t), flawNone)
	target := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/login":
			fmt.Fprintf(w, `{"data":{"access_token":%q,"token_type":"bearer"}}`, issued)
		case "/whoami":
			fmt.Fprintf(w, `{"note":"\u0069%s","said":%q}`, issued[1:], password)
		default:
			d.ServeHTTP(w, r)
		}
	})
	dir := t.TempDir()
	var logs bytes.Buffer
	r := newRig(t, target, Config{RecordDir: dir, Logger: slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs}, nil))})
	r.do("POST", "/login", `{"username":"budi","password":"`+password+`"}`, "Authorization", "")
	r.do("POST", "/session", "user=budi&password="+password, "Authorization", "", "Content-Type", "application/x-www-form-urlencoded")
	r.do("GET", "/contacts/app1?limit=10", "", "Authorization", "Bearer\t"+issued)
	r.do("GET", "/whoami", "", "Authorization", "")
	var pct strings.Builder
	for i := range len(issued) {
		fmt.Fprintf(&pct, "%%%02X", issued[i])
	}
	r.do("GET", "/contacts/"+pct.String(), "", "Authorization", "")
	file, err := r.proxy.WriteRecording()
	require.NoError(t, err)
	rec, err := os.ReadFile(file)
	require.NoError(t, err)
	journalJSON := r.do("GET", "/__admin/requests", "").body
	for name, out := range map[string]string{"logs": logs.String(), "journal": string(journalJSON), "recording": string(rec)} {
		require.NotEmpty(t, out, name)
		for _, leak := range []string{password[:redact.PrefixLen], password[len(password)-redact.PrefixLen:], issued[:redact.PrefixLen], issued[len(issued)-redact.PrefixLen:]} {
			if i := strings.Index(out, leak); i >= 0 {
				t.Errorf("%s shows %q: …%s…", name, leak, out[max(0, i-80):min(len(out), i+80)])
			}
		}
	}
}
