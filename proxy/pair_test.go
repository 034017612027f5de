package proxy

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/journal"
	"github.com/contactkit/contactkit/mock"
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

// TestBatchLimitIsAReading: the docs name no limit on a batch, so a server
// that refuses a large one as a whole (the mock past --max-batch) departs from
// a reading, never from the docs: whether its rows were valid or it held
// phones that are not numbers, which a refusal of the whole need not name.
func TestBatchLimitIsAReading(t *testing.T) {
	m, err := mock.New(mock.Config{MaxBatch: 2_000})
	require.NoError(t, err)
	r := newRig(t, m, Config{})
	rows := func(n int, phone string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(`{"name":"Budi","phone":`+phone+`},`, n), ",") + "]"
	}
	for _, tc := range []struct{ name, body string }{
		{"valid rows", rows(2_001, "6281234567890")},
		{"phones that are not numbers", rows(2_001, `"x"`)},
	} {
		a := r.do("POST", "/contacts/app1", tc.body)
		require.Equal(t, 422, a.status, "%s: the mock refuses the batch whole", tc.name)
	}
	var failing []string
	for _, v := range violations(r) {
		if v.Check != string(check.BadRequest) && v.Check != "more" && v.Source != string(check.Reading) {
			failing = append(failing, v.Message)
		}
	}
	assert.Empty(t, failing, "a refusal of a batch as a whole breaks no rule of the docs")
	var readings []string
	for _, v := range violations(r) {
		if v.Source == string(check.Reading) {
			readings = append(readings, v.Reading)
		}
	}
	assert.Contains(t, readings, contactkit.ReadingCreateBatchSize, "it departs from the reading, and says which")
}

// TestCollapsedFindingsKeepTheirCount: a 422 that names none of a batch's eight
// phones that are not numbers is one finding, and the journal's violation says
// how many more rows it stands for, and where.
func TestCollapsedFindingsKeepTheirCount(t *testing.T) {
	target := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write(contactkit.Envelope(http.StatusUnprocessableEntity, contactkit.Word(http.StatusUnprocessableEntity), "invalid", nil))
	})
	r := newRig(t, target, Config{})
	rows := strings.TrimSuffix(strings.Repeat(`{"name":"Budi","phone":"x"},`, 8), ",")
	r.do("POST", "/contacts/app1", "["+rows+"]")
	var named []string
	for _, v := range violations(r) {
		if strings.HasPrefix(v.Message, "the 422 does not name") {
			named = append(named, v.Message)
		}
	}
	require.Len(t, named, 1, "one finding for the eight rows")
	assert.Contains(t, named[0], "the 422 does not name 0.phone")
	assert.Contains(t, named[0], "and 7 more like it, at /errors/1.phone, /errors/2.phone, /errors/3.phone, /errors/4.phone, /errors/5.phone, …")
	assert.Contains(t, r.logs.String(), "and 7 more like it", "the log line says so too")
}
