package mock

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
)

// TestAnswerMemoryFollowsEveryWrite: a page and a contact, read twice, are served
// from the answer memory; after each kind of write (toggle, delete, create, the
// admin API's empty and reset) the next read shows the write. On both stores.
func TestAnswerMemoryFollowsEveryWrite(t *testing.T) {
	onceOnly(t)
	for _, sc := range bothStores {
		t.Run(sc.name, func(t *testing.T) { answerMemoryFollowsEveryWrite(t, newMock(t, sc.cfg(t, Config{Contacts: 20}))) })
	}
}

func answerMemoryFollowsEveryWrite(t *testing.T, m *mockT) {
	const page = "/contacts/app?page=1&limit=5"
	list := func() reply { return m.do("GET", page, "") }
	first := list()
	require.Equal(t, http.StatusOK, first.status)
	require.Equal(t, first.raw, list().raw, "the same page read twice")
	version, err := m.srv.store.Version(context.Background())
	require.NoError(t, err, "the store's version")
	body, hit := m.srv.answers.get(readKey{op: contactkit.OpListContacts, app: "app", page: 1, limit: 5}, version)
	require.True(t, hit, "the page is remembered")
	require.Equal(t, first.raw, body)

	row := func(r reply, i int) map[string]any { return r.data()[i].(map[string]any) }
	id := row(first, 0)["id"].(string)
	get := func() reply { return m.do("GET", "/contacts/app/"+id, "") }
	blocked := get().object()["is_blocked"]
	require.Equal(t, blocked, get().object()["is_blocked"], "the contact read twice")

	require.Equal(t, http.StatusOK, m.do("PUT", "/contacts/app/"+id, "").status)
	assert.NotEqual(t, blocked, get().object()["is_blocked"], "a toggle shows on the contact")
	assert.NotEqual(t, blocked, row(list(), 0)["is_blocked"], "and on the page")

	require.Equal(t, http.StatusOK, m.do("DELETE", "/contacts/app/"+id, "").status)
	assert.Equal(t, http.StatusNotFound, get().status, "a deleted contact is gone")
	after := list()
	assert.NotEqual(t, id, row(after, 0)["id"], "and off the page")
	assert.EqualValues(t, 19, after.meta()["total"])

	require.Equal(t, http.StatusCreated, m.do("POST", "/contacts/app", `[{"name":"Ani Lestari","phone":6281234567890}]`).status)
	created := list()
	newID := row(created, 0)["id"].(string)
	assert.NotEqual(t, row(after, 0)["id"], newID, "a created contact heads the page")
	assert.EqualValues(t, 20, created.meta()["total"])
	assert.Equal(t, "Ani Lestari", row(created, 0)["tag"])
	assert.Equal(t, http.StatusOK, m.do("GET", "/contacts/app/"+newID, "").status)

	require.Equal(t, http.StatusOK, m.do("DELETE", "/__admin/apps/app", "").status)
	assert.Empty(t, list().data(), "an emptied app has an empty page")

	require.Equal(t, http.StatusOK, m.do("POST", "/__admin/reset", "{}").status)
	assert.Equal(t, string(first.raw), string(list().raw), "a reset app is seeded as it first was")
}

// TestAnswerMemoryUnderConcurrentToggles: readers racing writers on one contact
// never keep a stale answer: once the writers are done, the contact and its page
// read as the last write left them.
func TestAnswerMemoryUnderConcurrentToggles(t *testing.T) {
	m := newMock(t, Config{Contacts: 3})
	page := m.do("GET", "/contacts/app?limit=1", "")
	contact := page.data()[0].(map[string]any)
	id, blocked := contact["id"].(string), contact["is_blocked"].(bool)
	const writers, toggles = 4, 25
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					m.do("GET", "/contacts/app/"+id, "")
					m.do("GET", "/contacts/app?limit=1", "")
				}
			}
		})
	}
	var writes sync.WaitGroup
	for range writers {
		writes.Go(func() {
			for range toggles {
				assert.Equal(t, http.StatusOK, m.do("PUT", "/contacts/app/"+id, "").status)
			}
		})
	}
	writes.Wait()
	close(stop)
	wg.Wait()
	want := blocked != (writers*toggles%2 == 1)
	assert.Equal(t, want, m.do("GET", "/contacts/app/"+id, "").object()["is_blocked"], "the contact")
	assert.Equal(t, want, m.do("GET", "/contacts/app?limit=1", "").data()[0].(map[string]any)["is_blocked"], "its page")
}
