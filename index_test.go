package contactkit_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	contactkit "github.com/contactkit/contactkit"
)

func TestSpecIndex(t *testing.T) {
	s, err := contactkit.LoadSpec()
	require.NoError(t, err)

	want := map[string]struct {
		method, path string
		statuses     []int
	}{
		contactkit.OpListContacts:       {http.MethodGet, "/contacts/{appId}", []int{200, 400, 403, 404}},
		contactkit.OpCreateContacts:     {http.MethodPost, "/contacts/{appId}", []int{201, 403, 404, 422}},
		contactkit.OpGetContact:         {http.MethodGet, "/contacts/{appId}/{contactId}", []int{200, 403, 404}},
		contactkit.OpToggleContactBlock: {http.MethodPut, "/contacts/{appId}/{contactId}", []int{200, 403, 404}},
		contactkit.OpDeleteContact:      {http.MethodDelete, "/contacts/{appId}/{contactId}", []int{200, 403, 404}},
	}
	assert.Len(t, s.Ops(), len(want), "operations indexed")
	for id, w := range want {
		op := s.Op(id)
		if !assert.NotNil(t, op, "Op(%q)", id) {
			continue
		}
		assert.Equal(t, w.method+" "+w.path, op.Method+" "+op.Path, "route of %s", id)
		assert.Equal(t, w.statuses, op.Statuses, "statuses of %s", id)
		assert.False(t, op.HeaderOrCookieParams, "%s declares a header or cookie parameter", id)
		assert.Equal(t, "You do not have access to this resource.", op.Message(403), "403 message of %s", id)
		assert.True(t, op.Documents(403), "%s documents 403", id)
		assert.False(t, op.Documents(500), "%s documents 500", id)
	}
	assert.Nil(t, s.Op("nope"), "an unknown operation id")
	assert.Equal(t, contactkit.Paging{
		Page:  contactkit.Bounds{Min: 1, Default: 1},
		Limit: contactkit.Bounds{Min: 1, Max: 50, Default: 10},
	}, s.Paging)
	assert.Equal(t, "#/components/schemas/Envelope", s.Envelope.Ref)
}

// TestSpecFollowsContract changes the contract in a copy and shows the index reads
// the new bounds rather than numbers of its own.
func TestSpecFollowsContract(t *testing.T) {
	changed := bytes.Replace(contactkit.Contract(), []byte("maximum: 50\n            default: 10"), []byte("maximum: 20\n            default: 5"), 1)
	require.NotEqual(t, contactkit.Contract(), changed, "the limit's bounds were found in the contract")
	doc, err := contactkit.Parse(changed)
	require.NoError(t, err)
	s, err := contactkit.NewSpec(doc)
	require.NoError(t, err)
	assert.Equal(t, contactkit.Bounds{Min: 1, Max: 20, Default: 5}, s.Paging.Limit)
}

// TestCodesFollowContract changes the 404's code word in a copy of the contract:
// the index reads the new word from the examples; a word the contract does not
// hold is made from the status's name, once, for every package.
func TestCodesFollowContract(t *testing.T) {
	s, err := contactkit.LoadSpec()
	require.NoError(t, err)
	for status, want := range map[int]string{200: "OK", 201: "CREATED", 400: "BAD_REQUEST", 403: "FORBIDDEN",
		404: "NOT_FOUND", 422: "UNPROCESSABLE_ENTITY"} {
		assert.Equal(t, want, s.Code(status), "Code(%d)", status)
		assert.Equal(t, want, s.Word(status), "Word(%d)", status)
	}
	for status, want := range map[int]string{500: "INTERNAL_SERVER_ERROR", 503: "SERVICE_UNAVAILABLE",
		502: "BAD_GATEWAY", 504: "GATEWAY_TIMEOUT", 429: "TOO_MANY_REQUESTS", 499: "ERROR"} {
		assert.Empty(t, s.Code(status), "Code(%d): not the contract's", status)
		assert.Equal(t, want, s.Word(status), "Word(%d)", status)
		assert.Equal(t, want, contactkit.Word(status), "package Word(%d)", status)
	}

	changed := bytes.ReplaceAll(contactkit.Contract(), []byte("code: NOT_FOUND"), []byte("code: NO_SUCH_THING"))
	changed = bytes.Replace(changed, []byte("FORBIDDEN, NOT_FOUND, UNPROCESSABLE_ENTITY]"), []byte("FORBIDDEN, NO_SUCH_THING, UNPROCESSABLE_ENTITY]"), 1)
	doc, err := contactkit.Parse(changed)
	require.NoError(t, err)
	other, err := contactkit.NewSpec(doc)
	require.NoError(t, err)
	assert.Equal(t, "NO_SUCH_THING", other.Code(404), "Code(404) of the changed contract")

	clash := bytes.Replace(contactkit.Contract(), []byte("code: NOT_FOUND"), []byte("code: FORBIDDEN"), 1)
	doc, err = contactkit.Parse(clash)
	require.NoError(t, err)
	_, err = contactkit.NewSpec(doc)
	assert.ErrorContains(t, err, "says code", "a contract whose 404 examples disagree")
}

func TestEnvelope(t *testing.T) {
	for _, tc := range []struct {
		status        int
		code, message string
		data          []byte
		want          string
	}{
		{503, "SERVICE_UNAVAILABLE", "Try again.", nil, `{"statusCode":503,"code":"SERVICE_UNAVAILABLE","message":"Try again."}`},
		{200, "OK", `say "hi"` + "\u2028", []byte(`[1]`), `{"statusCode":200,"code":"OK","message":"say \"hi\"\u2028","data":[1]}`},
		{404, "NOT_FOUND", "bad \xff", nil, `{"statusCode":404,"code":"NOT_FOUND","message":"bad \ufffd"}`},
	} {
		got := string(contactkit.Envelope(tc.status, tc.code, tc.message, tc.data))
		assert.Equal(t, tc.want, got, "Envelope(%d, %q)", tc.status, tc.message)
	}
}
