package model_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/conformance/model"
)

const (
	idA = "abc5ea66-11ad-11ef-8e7a-00155d34f1bf"
	idB = "abc5ea66-11ad-11ef-8e7a-00155d34f1c0"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v), s)
	return v
}

func contact(id, phone, tag string, blocked bool) string {
	return fmt.Sprintf(`{"id":%q,"phone":%s,"tag":%q,"is_blocked":%t,"created_at":"2024-05-14T11:51:48.000+07:00"}`, id, phone, tag, blocked)
}

func list(items ...string) string { return `{"data":[` + strings.Join(items, ",") + `]}` }
func single(item string) string   { return `{"data":` + item + `}` }
func ex(op, app, id string, status int, body string) step {
	return step{op: op, app: app, id: id, status: status, body: body}
}

type step struct {
	op, app, id string
	status      int
	body        string
}

func TestObserve(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	const (
		L = contactkit.OpListContacts
		G = contactkit.OpGetContact
		P = contactkit.OpToggleContactBlock
		D = contactkit.OpDeleteContact
	)
	detail := `{"data":{"id":"` + idA + `","phone":6280000000000,"tags":["John Doe","John"],"is_blocked":false,"created_at":"2024-05-14T11:51:48.000+07:00"}}`
	tests := []struct {
		name    string
		claim   bool
		steps   []step
		want    int    // findings on the last step
		message string // part of the first finding's message
	}{
		{"consistent list, detail, toggle, delete", false, []step{
			ex(L, "a", "", 200, list(contact(idA, "6280000000000", "John Doe", false))),
			ex(G, "a", idA, 200, detail),
			ex(P, "a", idA, 200, single(contact(idA, "6280000000000", "John Doe", true))),
			ex(D, "a", idA, 200, `{}`),
			ex(G, "a", idA, 404, `{}`),
		}, 0, ""},
		{"unclaimed contact toggled by someone else", false, []step{
			ex(L, "a", "", 200, list(contact(idA, "6280000000000", "John Doe", false))),
			ex(L, "a", "", 200, list(contact(idA, "6280000000000", "John Doe", true))),
		}, 0, ""},
		{"phone above 2^53 rounded", false, []step{
			ex(L, "a", "", 200, list(contact(idA, "9007199254740993", "John Doe", false))),
			ex(L, "a", "", 200, list(contact(idA, "9007199254740992", "John Doe", false))),
		}, 1, "phone changed"},
		{"same phone written differently", false, []step{
			ex(L, "a", "", 200, list(contact(idA, "6280000000000", "John Doe", false))),
			ex(L, "a", "", 200, list(contact(idA, "6.28e12", "John Doe", false))),
		}, 0, ""},
		{"name trimmed", false, []step{
			ex(L, "a", "", 200, list(contact(idA, "1", " John", false))),
			ex(P, "a", idA, 200, single(contact(idA, "1", "John", true))),
		}, 1, "tag (its name) changed"},
		{"detail tags without the name", false, []step{
			ex(L, "a", "", 200, list(contact(idA, "6280000000000", "Jane Doe", false))),
			ex(G, "a", idA, 200, detail),
		}, 1, "do not hold its name"},
		{"deleted contact listed again", false, []step{
			ex(D, "a", idA, 200, `{}`),
			ex(L, "a", "", 200, list(contact(idA, "1", "x", false))),
		}, 1, "deleted, yet it shows up"},
		{"deleted twice", false, []step{
			ex(D, "a", idA, 200, `{}`),
			ex(D, "a", idA, 200, `{}`),
		}, 1, "was deleted, yet"},
		{"detail about another contact", false, []step{
			ex(G, "a", idB, 200, detail),
		}, 1, "is about contact"},
		{"contact of another app through this app's path", false, []step{
			ex(L, "a", "", 200, list(contact(idA, "1", "x", false))),
			ex(G, "b", idA, 200, detail),
		}, 1, "through app"},
		{"contact of another app in this app's list", false, []step{
			ex(L, "a", "", 200, list(contact(idA, "1", "x", false))),
			ex(L, "b", "", 200, list(contact(idA, "1", "x", false))),
		}, 1, "shows up in an answer for app"},
		{"claimed: a PUT that does not flip", true, []step{
			ex(P, "a", idA, 200, single(contact(idA, "1", "x", false))),
		}, 1, "did not flip"},
		{"claimed: flipped without a PUT", true, []step{
			ex(L, "a", "", 200, list(contact(idA, "1", "x", true))),
		}, 1, "nobody sent a PUT"},
		{"claimed: vanished", true, []step{
			ex(G, "a", idA, 404, `{}`),
		}, 1, "nobody deleted it"},
		{"claimed: flips", true, []step{
			ex(P, "a", idA, 200, single(contact(idA, "1", "x", true))),
			ex(P, "a", idA, 200, single(contact(idA, "1", "x", false))),
		}, 0, ""},
		{"refusals teach nothing", true, []step{
			ex(P, "a", idA, 403, `{}`),
			ex(D, "a", idA, 403, `{}`),
			ex(G, "a", idA, 200, `{"data":{"id":"`+idA+`","phone":1,"tags":["x"],"is_blocked":false,"created_at":"2024-05-14T11:51:48.000+07:00"}}`),
		}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := model.New(spec, model.Config{})
			if tt.claim {
				require.Empty(t, m.Claim("a", idA, "x", "1", "2024-05-14T11:51:48.000+07:00", false))
			}
			for i, s := range tt.steps {
				got := m.Observe(model.Exchange{Op: s.op, App: s.app, ContactID: s.id, Status: s.status, Body: decode(t, s.body)})
				if i < len(tt.steps)-1 {
					require.Empty(t, got, "step %d (%s) of %q", i, s.op, tt.name)
					continue
				}
				assert.Len(t, got, tt.want, "findings of %q: %v", tt.name, got)
				if tt.message != "" && len(got) > 0 {
					assert.Contains(t, got[0].Message, tt.message, "finding of %q", tt.name)
					assert.Equal(t, check.Model, got[0].Check)
					assert.True(t, strings.HasPrefix(got[0].Contract, contactkit.SpecFile+"#/"), "contract %q", got[0].Contract)
				}
			}
		})
	}
}

func TestModelIsBounded(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	m := model.New(spec, model.Config{MaxContacts: 10})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				id := fmt.Sprintf("00000000-0000-4000-8000-%04d%08d", g, i)
				m.Observe(model.Exchange{Op: contactkit.OpListContacts, App: "a", Status: 200, Body: decode(t, list(contact(id, "1", "x", false)))})
			}
		}()
	}
	wg.Wait()
	if got := m.Len(); got > 10 {
		t.Errorf("Len() = %d after 2000 contacts, want at most 10", got)
	}
}

// TestForgetsPastMaxBytes: what the model holds is bounded in bytes too, however
// heavy the names it is shown; the oldest contacts go first, and the model says
// how many it forgot.
func TestForgetsPastMaxBytes(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	const maxBytes = 64 << 10
	m := model.New(spec, model.Config{MaxBytes: maxBytes})
	heavy := strings.Repeat("n", 2000)
	for page := range 20 {
		var items []string
		for i := range 10 {
			items = append(items, contact(fmt.Sprintf("00000000-0000-4000-8000-%012d", page*10+i), "6281200000000", heavy, false))
		}
		require.Empty(t, m.Observe(model.Exchange{Op: contactkit.OpListContacts, App: "app1", Status: 200, Body: decode(t, list(items...))}))
		assert.LessOrEqual(t, m.Bytes(), int64(maxBytes), "bytes after page %d", page)
	}
	assert.Positive(t, m.Forgotten(), "contacts forgotten")
	_, oldest := m.Lookup("00000000-0000-4000-8000-000000000000")
	_, newest := m.Lookup("00000000-0000-4000-8000-000000000199")
	assert.False(t, oldest, "the oldest contact is forgotten")
	assert.True(t, newest, "the newest is remembered")
	assert.Equal(t, m.Len()*(2000+256+36+4+13+29), int(m.Bytes()), "bytes counted, every contact's texts and its fixed cost")
}

// TestTagsNeverChange: a detail's tags, once seen, come back the same; the API
// changes no name, and tags come from the name.
func TestTagsNeverChange(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	m := model.New(spec, model.Config{})
	detail := func(tags string) any {
		return decode(t, `{"data":{"id":"`+idA+`","phone":6281234567890,"tags":`+tags+`,"is_blocked":false,"created_at":"2024-05-14T11:51:48.000+07:00"}}`)
	}
	see := func(tags string) []check.Finding {
		return m.Observe(model.Exchange{Op: contactkit.OpGetContact, App: "app1", ContactID: idA, Status: 200, Body: detail(tags)})
	}
	assert.Empty(t, see(`["Budi Santoso","Budi"]`), "the first detail")
	assert.Empty(t, see(`["Budi Santoso","Budi"]`), "the same tags again")
	assert.Empty(t, see(`["Budi","Budi Santoso"]`), "the same tags in another order")
	fs := see(`["Budi Santoso"]`)
	require.Len(t, fs, 1, "tags that changed")
	assert.Contains(t, fs[0].Message, "tags changed")
	assert.Equal(t, "/data/tags", fs[0].Pointer)
}
