package peers_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactkit/contactkit/internal/peers"
	"github.com/contactkit/contactkit/internal/peers/goserver"
)

// TestChoiceTable: the table documented in this package is what each peer does by default.
func TestChoiceTable(t *testing.T) {
	table := func(k peers.Kind) map[string]string {
		m := map[string]string{}
		for _, c := range peers.Choices {
			if _, dup := m[c.Name]; dup {
				t.Errorf("choice %s listed twice", c.Name)
			}
			m[c.Name] = c.Default(k)
		}
		return m
	}
	if got, want := goserver.Defaults(), table(peers.Go); !maps.Equal(got, want) {
		t.Errorf("go peer's defaults\n%v\nthe table says\n%v", got, want)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: the Node.js peer server needs it; CI installs it")
	}
	out, err := exec.Command(node, peers.NodeScript(), "--choices").Output()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := table(peers.Node); !maps.Equal(got, want) {
		t.Errorf("node peer's defaults\n%v\nthe table says\n%v", got, want)
	}
}

// listAll walks every page of an app (limit 50), checking meta against the data,
// and gives the items in order.
func listAll(t *testing.T, c *client, app string) []map[string]any {
	t.Helper()
	var all []map[string]any
	var total int64 = -1
	for page := int64(1); ; page++ {
		a := c.req("GET", fmt.Sprintf("/contacts/%s?page=%d&limit=50", app, page), "").expect(t, 200)
		m := a.meta()
		if total == -1 {
			total = num(m["total"])
		}
		last := (total + 49) / 50
		if num(m["total"]) != total || num(m["limit"]) != 50 || num(m["current_page"]) != page || num(m["first_page"]) != 1 {
			t.Fatalf("page %d: meta %v (total was %d)", page, m, total)
		}
		if total > 0 && num(m["last_page"]) != last {
			t.Fatalf("page %d: last_page %v of %d contacts", page, m["last_page"], total)
		}
		if (page == 1) != (m["previous_page"] == nil) || (page > 1 && num(m["previous_page"]) != page-1) {
			t.Fatalf("page %d: previous_page %v", page, m["previous_page"])
		}
		if (page >= last) != (m["next_page"] == nil) || (page < last && num(m["next_page"]) != page+1) {
			t.Fatalf("page %d: next_page %v, last %d", page, m["next_page"], last)
		}
		if want := min(50, total-(page-1)*50); int64(len(a.items())) != max(want, 0) {
			t.Fatalf("page %d: %d items of %d contacts", page, len(a.items()), total)
		}
		for _, it := range a.items() {
			item := it.(map[string]any)
			checkContact(t, item, "tag")
			all = append(all, item)
		}
		if page >= last {
			break
		}
	}
	ids := map[any]bool{}
	for _, it := range all {
		if ids[it["id"]] {
			t.Fatalf("contact %v listed twice", it["id"])
		}
		ids[it["id"]] = true
	}
	return all
}

// checkContact checks a contact's fields; nameField is "tag" (list, PUT) or "tags" (detail).
func checkContact(t *testing.T, c map[string]any, nameField string) {
	t.Helper()
	want := slices.Sorted(slices.Values([]string{"created_at", "id", "is_blocked", nameField, "phone"}))
	if got := slices.Sorted(maps.Keys(c)); !slices.Equal(got, want) {
		t.Fatalf("contact fields %v, want %v", got, want)
	}
	if s, _ := c["created_at"].(string); !rfc3339(s) {
		t.Fatalf("created_at %q is not RFC 3339", c["created_at"])
	}
	if _, ok := c["is_blocked"].(bool); !ok {
		t.Fatalf("is_blocked %v", c["is_blocked"])
	}
	if _, ok := c["phone"].(json.Number); !ok {
		t.Fatalf("phone %v is not a number", c["phone"])
	}
	if id, _ := c["id"].(string); !isUUID(id) {
		t.Fatalf("id %q is not a UUID", c["id"])
	}
}

func rfc3339(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if r != '-' {
				return false
			}
		} else if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func byTag(items []map[string]any, tag string) []map[string]any {
	var out []map[string]any
	for _, it := range items {
		if it["tag"] == tag {
			out = append(out, it)
		}
	}
	return out
}

// TestDocumented checks, with each peer's default choices, what the docs make certain.
func TestDocumented(t *testing.T) {
	for _, kind := range peers.Kinds {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			base := peers.Start(t, kind, peers.Options{Seed: 1})
			c := newClient(t, base, "tok1")

			before := listAll(t, c, "app1")
			// A phone past 2^53 must come back exactly; names exactly as sent;
			// duplicate phones are accepted, as in the docs' example.
			uniq := fmt.Sprintf("Zoë Ñúñez 山田 😀 %d", time.Now().UnixNano())
			batch := `[{"name":"John Doe","phone":6280000000000},{"name":"Jane Doe","phone":6280000000000},` +
				`{"name":` + jsonString(uniq) + `,"phone":9007199254740993}]`
			a := c.req("POST", "/contacts/app1", batch).expect(t, 201)
			if keys := slices.Sorted(maps.Keys(a.env)); !slices.Equal(keys, []string{"code", "message", "statusCode"}) {
				t.Errorf("201 envelope has %v", keys)
			}
			after := listAll(t, c, "app1")
			if len(after) != len(before)+3 {
				t.Fatalf("%d contacts after creating 3 in %d", len(after), len(before))
			}
			mine := byTag(after, uniq)
			if len(mine) != 1 || mine[0]["phone"] != json.Number("9007199254740993") || mine[0]["is_blocked"] != false {
				t.Fatalf("created contact: %v", mine)
			}
			if len(byTag(after, "John Doe")) < 1 || len(byTag(after, "Jane Doe")) < 1 {
				t.Fatal("the duplicate-phone rows are not listed")
			}
			if again := listAll(t, c, "app1"); !slices.EqualFunc(again, after, func(x, y map[string]any) bool { return x["id"] == y["id"] }) {
				t.Fatal("the list's order changed while nothing did")
			}
			id := mine[0]["id"].(string)
			created, _ := time.Parse(time.RFC3339Nano, mine[0]["created_at"].(string))
			if d := time.Since(created); d < -time.Minute || d > time.Minute {
				t.Errorf("created_at %v is not now", created)
			}

			// Detail.
			d := c.req("GET", "/contacts/app1/"+id, "").expect(t, 200).data()
			checkContact(t, d, "tags")
			if tags, _ := d["tags"].([]any); len(tags) == 0 || tags[0] != uniq || d["id"] != id {
				t.Fatalf("detail %v", d)
			}
			for _, tg := range d["tags"].([]any) {
				if _, ok := tg.(string); !ok {
					t.Fatalf("tag %v is not a string", tg)
				}
			}

			// PUT toggles, and answers the contact as the list does.
			for _, want := range []bool{true, false} {
				p := c.req("PUT", "/contacts/app1/"+id, "").expect(t, 200).data()
				checkContact(t, p, "tag")
				if p["is_blocked"] != want || p["id"] != id || p["tag"] != uniq {
					t.Fatalf("PUT gave %v, want is_blocked %v", p, want)
				}
				if got := c.req("GET", "/contacts/app1/"+id, "").expect(t, 200).data()["is_blocked"]; got != want {
					t.Fatalf("after PUT the detail says is_blocked %v", got)
				}
			}

			// Another app's contact is not there, even for a token granted both.
			c2 := newClient(t, base, "tok2")
			c2.req("GET", "/contacts/app2/"+id, "").expect(t, 404)
			c2.req("PUT", "/contacts/app2/"+id, "").expect(t, 404)
			c2.req("DELETE", "/contacts/app2/"+id, "").expect(t, 404)
			if slices.ContainsFunc(listAll(t, c2, "app2"), func(m map[string]any) bool { return m["tag"] == uniq }) {
				t.Fatal("app2 lists app1's contact")
			}

			// 403: no header, a malformed one, an unknown token, a token's case, another app's token.
			for _, auth := range []string{"", "tok1", "Bearer", "Bearer ", "Bearer nope", "Bearer TOK1", "Basic tok1", "Bearer tok2"} {
				for _, r := range [][2]string{{"GET", "/contacts/app1"}, {"GET", "/contacts/app1/" + id},
					{"POST", "/contacts/app1"}, {"PUT", "/contacts/app1/" + id}, {"DELETE", "/contacts/app1/" + id}} {
					body := ""
					if r[0] == "POST" {
						body = `[{"name":"Intruder","phone":628}]`
					}
					c.req(r[0], r[1], body, "Authorization", auth).expect(t, 403)
				}
			}
			c.req("GET", "/contacts/app2", "").expect(t, 403)
			c.req("GET", "/contacts/app9", "").expect(t, 403)

			// 422: every invalid row is reported, and nothing of the batch is stored.
			bad := `[{"name":"Fine","phone":628111},{"name":"Text Phone","phone":"628"},{"phone":628},{"name":"No Phone"}]`
			e := c.req("POST", "/contacts/app1", bad).expect(t, 422).errors()
			if e["1.phone"] != sentPhoneType || e["3.phone"] != sentPhoneType || e["2.name"] == nil {
				t.Fatalf("422 errors %v", e)
			}
			if _, ok := e["0.name"]; ok {
				t.Fatalf("422 errors %v name a valid row", e)
			}
			if n := len(listAll(t, c, "app1")); n != len(after) {
				t.Fatalf("%d contacts after a refused batch, %d before", n, len(after))
			}

			// DELETE, then it is gone.
			c.req("DELETE", "/contacts/app1/"+id, "").expect(t, 200)
			c.req("GET", "/contacts/app1/"+id, "").expect(t, 404)
			c.req("PUT", "/contacts/app1/"+id, "").expect(t, 404)
			c.req("DELETE", "/contacts/app1/"+id, "").expect(t, 404)
			if n := len(listAll(t, c, "app1")); n != len(after)-1 {
				t.Fatalf("%d contacts after deleting one of %d", n, len(after))
			}

			// Unknown paths and contacts.
			for _, p := range []string{"/", "/contacts", "/contact/app1", "/contacts/app1/" + id + "/x", "/contacts/app1/nope", "/v1/contacts/app1"} {
				c.req("GET", p, "").expect(t, 404)
			}
			// Past the last page: an empty 200.
			last := num(c.req("GET", "/contacts/app1", "").expect(t, 200).meta()["last_page"])
			if a := c.req("GET", fmt.Sprintf("/contacts/app1?page=%d", last+1), "").expect(t, 200); len(a.items()) != 0 || a.env["data"] == nil {
				t.Fatalf("past the last page: %s", a.body)
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestPaging: pages partition the list, in one order, and limit defaults to 10.
func TestPaging(t *testing.T) {
	for _, kind := range peers.Kinds {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			c := newClient(t, peers.Start(t, kind, peers.Options{Seed: 5, Contacts: 23}), "tok1")
			all := listAll(t, c, "app1")
			if len(all) != 23 {
				t.Fatalf("%d seeded contacts, want 23", len(all))
			}
			var paged []any
			for page := 1; page <= 3; page++ {
				a := c.req("GET", fmt.Sprintf("/contacts/app1?page=%d", page), "").expect(t, 200)
				if m := a.meta(); num(m["limit"]) != 10 || num(m["last_page"]) != 3 || num(m["total"]) != 23 {
					t.Fatalf("page %d meta %v", page, m)
				}
				for _, it := range a.items() {
					paged = append(paged, it.(map[string]any)["id"])
				}
			}
			if len(paged) != 23 {
				t.Fatalf("pages of 10 hold %d contacts", len(paged))
			}
			for i, it := range all {
				if paged[i] != it["id"] {
					t.Fatalf("item %d: %v by pages of 10, %v by pages of 50", i, paged[i], it["id"])
				}
			}
			if a := c.req("GET", "/contacts/app1", "").expect(t, 200); num(a.meta()["current_page"]) != 1 || len(a.items()) != 10 {
				t.Fatalf("no query: %s", a.body)
			}
		})
	}
}

// TestSeeded: an app's starting contacts depend on the seed and the app only.
func TestSeeded(t *testing.T) {
	for _, kind := range peers.Kinds {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			grants := []string{"tok1=app1,app2"}
			first := func(seed int64, app string) string {
				c := newClient(t, peers.Start(t, kind, peers.Options{Seed: seed, Contacts: 12, Grants: grants}), "tok1")
				return string(c.req("GET", "/contacts/"+app+"?limit=50", "").expect(t, 200).body)
			}
			a, b := first(3, "app1"), first(3, "app1")
			if a != b {
				t.Fatalf("the same seed gave\n%s\n%s", a, b)
			}
			if a == first(4, "app1") || a == first(3, "app2") {
				t.Fatal("another seed or app gave the same contacts")
			}
			// Without Options.Contacts, the peer's own default.
			want := map[peers.Kind]int64{peers.Node: 0, peers.Go: 3000}[kind]
			c := newClient(t, peers.Start(t, kind, peers.Options{}), "tok1")
			if got := num(c.req("GET", "/contacts/app1", "").expect(t, 200).meta()["total"]); got != want {
				t.Fatalf("an app starts with %d contacts, want %d", got, want)
			}
		})
	}
}

// TestConcurrent: creates, toggles and reads at once lose nothing (and, for the
// in-process Go peer, race nothing).
func TestConcurrent(t *testing.T) {
	for _, kind := range peers.Kinds {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			base := peers.Start(t, kind, peers.Options{Contacts: peers.NoContacts})
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := newClient(goT{t}, base, "tok1")
					for i := range 10 {
						body := fmt.Sprintf(`[{"name":"G%d R%d a","phone":628%d},{"name":"G%d R%d b","phone":628%d}]`, g, i, i, g, i, i)
						c.req("POST", "/contacts/app1", body).expect(t, 201)
						a := c.req("GET", "/contacts/app1?limit=5", "").expect(t, 200)
						if items := a.items(); len(items) > 0 {
							id := items[0].(map[string]any)["id"].(string)
							c.req("PUT", "/contacts/app1/"+id, "").expect(t, 200)
						}
					}
				}()
			}
			wg.Wait()
			if n := len(listAll(t, newClient(t, base, "tok1"), "app1")); n != 160 {
				t.Fatalf("%d contacts after 80 batches of 2", n)
			}
		})
	}
}

// goT lets a goroutine other than the test's fail the test: Fatal ends the
// goroutine instead of the test.
type goT struct{ testing.TB }

func (g goT) Fatal(args ...any) { g.Error(args...); runtime.Goexit() }
func (g goT) Fatalf(format string, args ...any) {
	g.Errorf(format, args...)
	runtime.Goexit()
}
