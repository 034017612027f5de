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
