package proxy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/journal"
)

// sloppySession is a client that also sends what the contract refuses: a
// phone that is not a number, a batch with two of them, a read with no token,
// a read of an app the token is not granted; and reads one page twice.
func sloppySession(r *rig) {
	r.do("GET", "/contacts/app1?page=1&limit=5", "")
	r.do("GET", "/contacts/app1?page=1&limit=5", "")
	r.do("POST", "/contacts/app1", `[{"name":"Budi","phone":"6281234567890"}]`)
	r.do("POST", "/contacts/app1", `[{"name":"Ana","phone":6281234567891},{"name":"Ani","phone":true},{"name":"Ina","phone":"x"}]`)
	r.do("GET", "/contacts/app1", "", "Authorization", "")
	r.do("GET", "/contacts/app2", "")
}

// TestJudgesThePair drives a client that errs on purpose through the proxy:
// against a faithful target only the client's requests are flagged (as
// request findings); against a target that answers them wrongly, the target is.
func TestJudgesThePair(t *testing.T) {
	for _, tc := range []struct {
		flaw flaw
		want string // a server finding must hold it; "" for none
	}{
		{flawNone, ""},
		{flawTakesBadPhone, "answered 201 to a batch with a phone that is not a number"},
		{flawNoTokenOK, "answered 200 to no Authorization header"},
		{flawErrorsOffBy1, "the 422 does not name 1.phone"},
		{flawReorders, "read twice with no write between lists its contacts in another order"},
		{flawAnyApp, "answered 200 to a token not granted the app"},
	} {
		name := string(tc.flaw)
		if name == "" {
			name = "faithful"
		}
		t.Run(name, func(t *testing.T) {
			d := newDouble(spec(t), tc.flaw)
			d.grants = true
			r := newRig(t, d, Config{Grants: map[string][]string{testToken: {grantedApp}}})
			sloppySession(r)
			var server, client []journal.Violation
			for _, v := range violations(r) {
				if v.Check == string(check.BadRequest) {
					client = append(client, v)
				} else {
					server = append(server, v)
				}
			}
			assert.NotEmpty(t, client, "the client's mistakes are request findings")
			if tc.want == "" {
				assert.Empty(t, server, "a faithful target draws no finding of its own")
				return
			}
			var msgs []string
			for _, v := range server {
				msgs = append(msgs, v.Message)
			}
			assert.Contains(t, strings.Join(msgs, "\n"), tc.want, "the target's findings")
		})
	}
}
