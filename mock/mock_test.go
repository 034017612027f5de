package mock

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactkit/contactkit/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	someID    = "abc5ea66-11ad-11ef-8e7a-00155d34f1bf" // the docs' example id: no such contact
	docsBatch = `[{"name":"John Doe","phone":6280000000000},{"name":"Jane Doe","phone":6280000000000}]`
)

// firstID returns the id of app's newest contact.
func (m *mockT) firstID(app string) string {
	m.t.Helper()
	r := m.do("GET", "/contacts/"+app+"?limit=1", "")
	require.Equal(m.t, http.StatusOK, r.status)
	require.NotEmpty(m.t, r.data(), "app %s has contacts", app)
	return r.data()[0].(map[string]any)["id"].(string)
}

func TestDocumentedStatuses(t *testing.T) {
	m := newMock(t, Config{Auth: map[string][]string{"test-token": {"app"}, "other": {"elsewhere"}}})
	id := m.firstID("app")
	forbidden := "Authorization: Bearer other"
	tests := []struct {
		name, method, path, body string
		headers                  []string
		want                     int
	}{
		{"list 200", "GET", "/contacts/app", "", nil, 200},
		{"list 400", "GET", "/contacts/app?page=0", "", nil, 400},
		{"list 403", "GET", "/contacts/app", "", []string{forbidden}, 403},
		{"list 404", "GET", "/contacts", "", nil, 404},
		{"get 200", "GET", "/contacts/app/" + id, "", nil, 200},
		{"get 403", "GET", "/contacts/app/" + id, "", []string{forbidden}, 403},
		{"get 404", "GET", "/contacts/app/" + someID, "", nil, 404},
		{"create 201", "POST", "/contacts/app", docsBatch, nil, 201},
		{"create 403", "POST", "/contacts/app", docsBatch, []string{forbidden}, 403},
		{"create 404", "POST", "/contacts/app/" + id, docsBatch, nil, 404},
		{"create 422", "POST", "/contacts/app", `[{"name":"John Doe","phone":"x"}]`, nil, 422},
		{"toggle 200", "PUT", "/contacts/app/" + id, "", nil, 200},
		{"toggle 403", "PUT", "/contacts/app/" + id, "", []string{forbidden}, 403},
		{"toggle 404", "PUT", "/contacts/app/" + someID, "", nil, 404},
		{"delete 403", "DELETE", "/contacts/app/" + id, "", []string{forbidden}, 403},
		{"delete 200", "DELETE", "/contacts/app/" + id, "", nil, 200},
		{"delete 404", "DELETE", "/contacts/app/" + id, "", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := m.do(tt.method, tt.path, tt.body, tt.headers...)
			assert.Equal(t, tt.want, r.status, "%s %s: status", tt.method, tt.path)
		})
	}
}

// TestBehaviourTable walks docs/design.md's "Behaviour where the docs are silent", row
// by row, as the mock must answer it.
func TestBehaviourTable(t *testing.T) {
	m := newMock(t, Config{Auth: map[string][]string{"test-token": {"app", "app2"}, "other": {"elsewhere"}}})
	id := m.firstID("app")

	t.Run("auth failures answer 403", func(t *testing.T) {
		for _, h := range []string{
			"Authorization:", "Authorization: Basic dGVzdDp0ZXN0", "Authorization: Bearer",
			"Authorization: Bearer    ", "Authorization: test-token", "Authorization: Bearer nope",
			"Authorization: Bearer other",
		} {
			for _, req := range [][2]string{{"GET", "/contacts/app"}, {"GET", "/contacts/app/" + id},
				{"PUT", "/contacts/app/" + id}, {"DELETE", "/contacts/app/" + id}, {"POST", "/contacts/app"}} {
				body := ""
				if req[0] == "POST" {
					body = docsBatch
				}
				r := m.do(req[0], req[1], body, h)
				assert.Equal(t, 403, r.status, "%s %s with %q", req[0], req[1], h)
			}
		}
		r := m.do("GET", "/contacts/unknown-app", "")
		assert.Equal(t, 403, r.status, "an app the token is not granted")
	})

	t.Run("unknown path or method answers 404", func(t *testing.T) {
		for _, req := range [][2]string{
			{"GET", "/"}, {"GET", "/contacts"}, {"GET", "/contacts/"}, {"GET", "/contacts/app/" + id + "/x"},
			{"PATCH", "/contacts/app"}, {"PATCH", "/contacts/app/" + id}, {"DELETE", "/contacts/app"},
			{"PUT", "/contacts/app"}, {"POST", "/contacts/app/" + id}, {"FOO", "/contacts/app"},
			{"OPTIONS", "/contacts/app"}, {"GET", "/__admin/nope"},
		} {
			r := m.do(req[0], req[1], "")
			assert.Equal(t, 404, r.status, "%s %s", req[0], req[1])
		}
	})

	t.Run("unknown or deleted contact answers 404", func(t *testing.T) {
		victim := m.firstID("app2")
		require.Equal(t, 200, m.do("DELETE", "/contacts/app2/"+victim, "").status)
		for _, cid := range []string{someID, "not-a-uuid", victim, strings.ToUpper(someID), "00000000-0000-0000-0000-000000000000"} {
			for _, method := range []string{"GET", "PUT", "DELETE"} {
				r := m.do(method, "/contacts/app2/"+cid, "")
				assert.Equal(t, 404, r.status, "%s contact %s", method, cid)
			}
		}
		for _, c := range m.listAll("app2") {
			assert.NotEqual(t, victim, c["id"], "a deleted contact is gone from the list")
		}
	})

	t.Run("bad paging answers 400", func(t *testing.T) {
		for _, q := range []string{"page=0", "page=-1", "page=abc", "page=1.5", "page=", "limit=0",
			"limit=-1", "limit=51", "limit=abc", "limit=2.0", "limit=", "page=99999999999999999999",
			"limit=99999999999999999999", "page=1e3"} {
			r := m.do("GET", "/contacts/app?"+q, "")
			assert.Equal(t, 400, r.status, "list?%s", q)
		}
	})

	t.Run("page past the last answers an empty 200", func(t *testing.T) {
		for _, page := range []string{"4", "1000", "1000000000", "9223372036854775807"} {
			r := m.do("GET", "/contacts/app?limit=10&page="+page, "")
			require.Equal(t, 200, r.status, "page %s", page)
			assert.Empty(t, r.data(), "page %s: data", page)
			assert.Contains(t, string(r.raw), `"current_page":`+page+`,`, "page %s: current_page as requested", page)
			assert.Nil(t, r.meta()["next_page"], "page %s: next_page", page)
		}
	})

	t.Run("invalid create answers 422 and stores nothing", func(t *testing.T) {
		before := m.total("app")
		for _, tt := range []struct{ body, key string }{
			{`{"name":"x","phone":1}`, "body"},
			{`[`, "body"},
			{`[]`, "body"},
			{`null`, "body"},
			{`[{"name":"Budi","phone":6281},{"name":"Sari","phone":"6281"}]`, "1.phone"},
			{`[{"name":"Budi","phone":6281},{"phone":6281}]`, "1.name"},
		} {
			r := m.do("POST", "/contacts/app", tt.body)
			assert.Equal(t, 422, r.status, "create %s", tt.body)
			assert.Contains(t, r.errors(), tt.key, "create %s: errors", tt.body)
		}
		assert.Equal(t, before, m.total("app"), "nothing stored")
	})

	t.Run("duplicate phones are accepted", func(t *testing.T) {
		before := m.total("app")
		r := m.do("POST", "/contacts/app", docsBatch)
		assert.Equal(t, 201, r.status)
		assert.Equal(t, before+2, m.total("app"))
	})

	t.Run("list is newest first and stable", func(t *testing.T) {
		all := m.listAll("app")
		again := m.listAll("app")
		assert.Equal(t, all, again, "two walks give the same order")
		assert.Len(t, all, m.total("app"), "pages hold every contact once")
		seen := map[string]bool{}
		for i, c := range all {
			assert.False(t, seen[c["id"].(string)], "id %s listed twice", c["id"])
			seen[c["id"].(string)] = true
			if i > 0 {
				assert.GreaterOrEqual(t, all[i-1]["created_at"], c["created_at"], "row %d is not newer than row %d", i, i-1)
			}
		}
	})

	t.Run("PUT toggles and answers in the list's form", func(t *testing.T) {
		r1 := m.do("PUT", "/contacts/app/"+id, "")
		r2 := m.do("PUT", "/contacts/app/"+id, `{"is_blocked":true}`)
		require.Equal(t, 200, r1.status)
		require.Equal(t, 200, r2.status)
		assert.NotEqual(t, r1.object()["is_blocked"], r2.object()["is_blocked"], "two PUTs toggle twice")
		assert.Contains(t, r1.object(), "tag")
		got := m.do("GET", "/contacts/app/"+id, "")
		assert.Equal(t, r2.object()["is_blocked"], got.object()["is_blocked"], "the toggle is stored")
	})

	t.Run("a new contact's tag and tags", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			tags []any
		}{
			{"John Doe", []any{"John Doe", "John", "Doe, John"}},
			{"Siti Nur Aisyah", []any{"Siti Nur Aisyah", "Siti", "Aisyah, Siti Nur"}},
			{"Sukarno", []any{"Sukarno"}},
		} {
			require.Equal(t, 201, m.do("POST", "/contacts/app", `[{"name":"`+tt.name+`","phone":6281234567890}]`).status)
			newest := m.do("GET", "/contacts/app?limit=1", "").data()[0].(map[string]any)
			assert.Equal(t, tt.name, newest["tag"], "tag of %q", tt.name)
			detail := m.do("GET", "/contacts/app/"+newest["id"].(string), "")
			assert.Equal(t, tt.tags, detail.object()["tags"], "tags of %q", tt.name)
		}
	})
}

func TestMetaConsistent(t *testing.T) {
	m := newMock(t, Config{Contacts: 23})
	for _, tt := range []struct {
		query                 string
		n                     int
		current, prev, next   any
		last, total, wantSize float64
	}{
		{"", 10, 1.0, nil, 2.0, 3, 23, 10},
		{"page=2", 10, 2.0, 1.0, 3.0, 3, 23, 10},
		{"page=3", 3, 3.0, 2.0, nil, 3, 23, 10},
		{"page=1&limit=50", 23, 1.0, nil, nil, 1, 23, 50},
		{"page=23&limit=1", 1, 23.0, 22.0, nil, 23, 23, 1},
	} {
		r := m.do("GET", "/contacts/a?"+tt.query, "")
		require.Equal(t, 200, r.status, tt.query)
		meta := r.meta()
		assert.Len(t, r.data(), tt.n, "list?%s: data", tt.query)
		assert.Equal(t, tt.current, meta["current_page"], "list?%s: current_page", tt.query)
		assert.Equal(t, tt.prev, meta["previous_page"], "list?%s: previous_page", tt.query)
		assert.Equal(t, tt.next, meta["next_page"], "list?%s: next_page", tt.query)
		assert.Equal(t, tt.last, meta["last_page"], "list?%s: last_page", tt.query)
		assert.Equal(t, tt.total, meta["total"], "list?%s: total", tt.query)
		assert.Equal(t, tt.wantSize, meta["limit"], "list?%s: limit", tt.query)
		assert.Equal(t, 1.0, meta["first_page"], "list?%s: first_page", tt.query)
	}
	empty := newMock(t, Config{Contacts: -1})
	r := empty.do("GET", "/contacts/a", "")
	assert.Equal(t, 1.0, r.meta()["last_page"], "no contacts: last_page")
	assert.Equal(t, 0.0, r.meta()["total"], "no contacts: total")
}

func TestDeterministic(t *testing.T) {
	a := newMock(t, Config{Seed: 7})
	b := newMock(t, Config{Seed: 7})
	c := newMock(t, Config{Seed: 8})
	// Touch the apps in another order on b: data must not depend on it.
	for _, app := range []string{"zeta", "alpha", "beta"} {
		b.do("GET", "/contacts/"+app, "")
	}
	for _, app := range []string{"alpha", "beta", "zeta"} {
		ra := a.do("GET", "/contacts/"+app+"?limit=50", "")
		rb := b.do("GET", "/contacts/"+app+"?limit=50", "")
		rc := c.do("GET", "/contacts/"+app+"?limit=50", "")
		assert.Equal(t, string(ra.raw), string(rb.raw), "app %s: same seed, same bytes", app)
		assert.NotEqual(t, string(ra.raw), string(rc.raw), "app %s: another seed, other data", app)
		id := ra.data()[3].(map[string]any)["id"].(string)
		assert.Equal(t, string(a.do("GET", "/contacts/"+app+"/"+id, "").raw),
			string(b.do("GET", "/contacts/"+app+"/"+id, "").raw), "app %s: same details", app)
	}
	x := a.do("GET", "/contacts/alpha?limit=50", "")
	y := a.do("GET", "/contacts/beta?limit=50", "")
	assert.NotEqual(t, x.data(), y.data(), "two apps get different contacts")
}

var (
	createdAtRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+07:00$`)
	phoneRE     = regexp.MustCompile(`^628\d{9,10}$`)
)

func TestSeededData(t *testing.T) {
	m := newMock(t, Config{Contacts: 1000})
	all := m.listAll("app")
	require.Len(t, all, 1000)
	blocked, single := 0, 0
	ids := map[string]bool{}
	oldest := store.ReferenceDate.AddDate(-2, 0, -1)
	for _, c := range all {
		ids[c["id"].(string)] = true
		created := c["created_at"].(string)
		assert.Regexp(t, createdAtRE, created, "created_at written like the docs")
		at, err := time.Parse(createdLayout, created)
		if assert.NoError(t, err) {
			assert.True(t, at.Before(store.ReferenceDate) && at.After(oldest), "created_at %s within two years before %s", created, store.ReferenceDate)
		}
		assert.Regexp(t, phoneRE, fmt.Sprintf("%.0f", c["phone"].(float64)), "an Indonesian mobile number")
		if c["is_blocked"].(bool) {
			blocked++
		}
		if !strings.Contains(c["tag"].(string), " ") {
			single++
		}
	}
	assert.Len(t, ids, 1000, "ids are unique")
	assert.InDelta(t, 100, blocked, 40, "about one in ten is blocked")
	assert.InDelta(t, 100, single, 40, "about one in ten goes by one name")
}

func TestIsolation(t *testing.T) {
	m := newMock(t, Config{})
	before := m.listAll("b")
	require.Equal(t, 201, m.do("POST", "/contacts/a", docsBatch).status)
	require.Equal(t, 200, m.do("DELETE", "/contacts/a/"+m.firstID("a"), "").status)
	idB := m.firstID("b")
	assert.Equal(t, 404, m.do("GET", "/contacts/a/"+idB, "").status, "b's contact is not a's")
	assert.Equal(t, 404, m.do("DELETE", "/contacts/a/"+idB, "").status, "a cannot delete b's contact")
	assert.Equal(t, before, m.listAll("b"), "b is untouched by a's writes")
	assert.Equal(t, DefaultContacts+1, m.total("a"))
}

func TestCreatedContactEverywhere(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	m := newMock(t, Config{now: func() time.Time { return now }})
	require.Equal(t, 201, m.do("POST", "/contacts/app", `[{"name":"Budi Santoso","phone":6281234567890}]`).status)
	c := m.do("GET", "/contacts/app?limit=1", "").data()[0].(map[string]any)
	assert.Equal(t, "2026-03-04T12:06:07.890+07:00", c["created_at"], "dated now, written in +07:00")
	assert.Equal(t, 6281234567890.0, c["phone"])
	d := m.do("GET", "/contacts/app/"+c["id"].(string), "")
	assert.Equal(t, 200, d.status)
	assert.Equal(t, c["created_at"], d.object()["created_at"])
	assert.Equal(t, 200, m.do("DELETE", "/contacts/app/"+c["id"].(string), "").status)
	assert.Equal(t, DefaultContacts, m.total("app"))
	assert.False(t, slices.ContainsFunc(m.listAll("app"), func(x map[string]any) bool { return x["id"] == c["id"] }))
}
