package peers_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/contactkit/contactkit/internal/peers"
)

// probes check, for one choice, that a peer does what the choice's value says.
// Each uses an app of its own. contacts and slow are checked elsewhere (TestSeeded)
// or not observable.
var probes = map[string]func(t *testing.T, c *client, v map[string]string, app string){
	"json": func(t *testing.T, c *client, v map[string]string, app string) {
		trailing := c.req("POST", app, `[{"name":"Trail","phone":62811}] x`)
		badUTF8 := c.req("POST", app, "[{\"name\":\"Bad \xff\",\"phone\":62812}]")
		if v["json"] == "strict" {
			trailing.expect(t, notJSONStatus(v))
			badUTF8.expect(t, notJSONStatus(v))
			return
		}
		trailing.expect(t, 201)
		badUTF8.expect(t, 201)
		tags := tagsOf(t, c, app)
		if !slices.Contains(tags, "Trail") || !slices.Contains(tags, "Bad \uFFFD") {
			t.Fatalf("lenient json stored %q", tags)
		}
	},
	"notjson": func(t *testing.T, c *client, v map[string]string, app string) {
		for _, body := range []string{`{"name":"Obj","phone":1}`, `nope`, `"str"`, `null`} {
			a := c.req("POST", app, body).expect(t, notJSONStatus(v))
			if v["notjson"] == "422" && len(a.errors()) == 0 {
				t.Fatalf("%s: 422 without errors: %s", body, a.body)
			}
		}
	},
	"limitmax": func(t *testing.T, c *client, v map[string]string, app string) {
		a := c.req("GET", app+"?limit=51", "")
		if v["limitmax"] == "400" {
			a.expect(t, 400)
		} else if num(a.expect(t, 200).meta()["limit"]) != 50 {
			t.Fatalf("limit 51 read as %v", a.meta()["limit"])
		}
	},
	"paging": func(t *testing.T, c *client, v map[string]string, app string) {
		for _, q := range []string{"?page=0", "?page=-1", "?page=x", "?limit=0", "?limit=1.5", "?page="} {
			a := c.req("GET", app+q, "")
			if v["paging"] == "400" {
				a.expect(t, 400)
			} else if m := a.expect(t, 200).meta(); num(m["current_page"]) != 1 || num(m["limit"]) != 10 {
				t.Fatalf("%s: meta %v", q, m)
			}
		}
	},
	"order": func(t *testing.T, c *client, v map[string]string, app string) {
		c.req("POST", app, `[{"name":"A","phone":1},{"name":"B","phone":2}]`).expect(t, 201)
		c.req("POST", app, `[{"name":"C","phone":3}]`).expect(t, 201)
		want := []string{"A", "B", "C"}
		if v["order"] == "newest" {
			want = []string{"C", "B", "A"}
		}
		if got := tagsOf(t, c, app); !slices.Equal(got, want) {
			t.Fatalf("order %v", got)
		}
	},
	"time": func(t *testing.T, c *client, v map[string]string, app string) {
		c.req("POST", app, `[{"name":"T","phone":1}]`).expect(t, 201)
		at := c.req("GET", app, "").expect(t, 200).items()[0].(map[string]any)["created_at"].(string)
		re := `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$`
		if v["time"] == "millis" {
			re = `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`
		}
		if !regexp.MustCompile(re).MatchString(at) {
			t.Fatalf("created_at %q", at)
		}
	},
	"chunked": func(t *testing.T, c *client, v map[string]string, app string) {
		a := c.req("GET", app, "").expect(t, 200)
		chunked := slices.Contains(a.resp.TransferEncoding, "chunked")
		if chunked != (v["chunked"] == "on") || chunked == (a.resp.ContentLength >= 0) {
			t.Fatalf("Transfer-Encoding %v, Content-Length %d", a.resp.TransferEncoding, a.resp.ContentLength)
		}
	},
	"gzip": func(t *testing.T, c *client, v map[string]string, app string) {
		a := c.req("GET", app, "", "Accept-Encoding", "gzip").expect(t, 200)
		if got := a.resp.Header.Get("Content-Encoding") == "gzip"; got != (v["gzip"] == "on") {
			t.Fatalf("Content-Encoding %q", a.resp.Header.Get("Content-Encoding"))
		}
		if a := c.req("GET", app, "", "Accept-Encoding", "gzip;q=0"); a.resp.Header.Get("Content-Encoding") != "" {
			t.Fatal("gzip;q=0 got gzip")
		}
	},
	"charset": func(t *testing.T, c *client, v map[string]string, app string) {
		want := "application/json"
		if v["charset"] == "on" {
			want += "; charset=utf-8"
		}
		for _, a := range []answer{c.req("GET", app, ""), c.req("GET", "/nope", "")} {
			if got := a.resp.Header.Get("Content-Type"); got != want {
				t.Fatalf("Content-Type %q, want %q", got, want)
			}
		}
	},
	"cache": func(t *testing.T, c *client, v map[string]string, app string) {
		a := c.req("GET", app, "").expect(t, 200)
		etag, cc := a.resp.Header.Get("ETag"), a.resp.Header.Get("Cache-Control")
		if v["cache"] == "private" {
			if etag != "" || cc != "private, max-age=0" {
				t.Fatalf("ETag %q, Cache-Control %q", etag, cc)
			}
			return
		}
		if etag == "" || cc != "no-cache" {
			t.Fatalf("ETag %q, Cache-Control %q", etag, cc)
		}
		c.req("GET", app, "", "If-None-Match", etag).expect(t, 304)
		c.req("POST", app, `[{"name":"E","phone":1}]`).expect(t, 201)
		c.req("GET", app, "", "If-None-Match", etag).expect(t, 200)
	},
	"close": func(t *testing.T, c *client, v map[string]string, app string) {
		closed := 0
		for range 14 {
			if c.req("GET", app, "").resp.Close {
				closed++
			}
		}
		if want := map[string]int{"0": 0, "7": 2}[v["close"]]; closed != want {
			t.Fatalf("%d of 14 answers closed, want %d", closed, want)
		}
	},
	"method": func(t *testing.T, c *client, v map[string]string, app string) {
		for _, m := range []string{"PATCH", "PUT", "DELETE", "OPTIONS"} {
			a := c.req(m, app, "")
			if v["method"] == "404" {
				a.expect(t, 404)
			} else if a.expect(t, 405).resp.Header.Get("Allow") != "GET, POST" {
				t.Fatalf("Allow %q", a.resp.Header.Get("Allow"))
			}
			if a.resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Fatal("CORS answered")
			}
		}
	},
	"emptybatch": func(t *testing.T, c *client, v map[string]string, app string) {
		c.req("POST", app, `[]`).expect(t, map[string]int{"422": 422, "201": 201}[v["emptybatch"]])
		if n := len(tagsOf(t, c, app)); n != 0 {
			t.Fatalf("[] made %d contacts", n)
		}
	},
	"extra": func(t *testing.T, c *client, v map[string]string, app string) {
		body := `[{"name":"X","phone":1,"id":"not-a-uuid","is_blocked":true,"created_at":"2000-01-01T00:00:00Z"}]`
		if v["extra"] == "refuse" {
			e := c.req("POST", app, body).expect(t, 422).errors()
			if e["0.id"] == nil || e["0.is_blocked"] == nil || e["0.created_at"] == nil || e["0.name"] != nil {
				t.Fatalf("errors %v", e)
			}
			return
		}
		c.req("POST", app, body).expect(t, 201)
		it := c.req("GET", app, "").expect(t, 200).items()[0].(map[string]any)
		if it["id"] == "not-a-uuid" || it["is_blocked"] != false || strings.HasPrefix(it["created_at"].(string), "2000") {
			t.Fatalf("a row's extra fields were honoured: %v", it)
		}
	},
	"blankname": func(t *testing.T, c *client, v map[string]string, app string) {
		a := c.req("POST", app, `[{"name":"   ","phone":1}]`)
		if v["blankname"] == "refuse" {
			if a.expect(t, 422).errors()["0.name"] == nil {
				t.Fatalf("errors %v", a.errors())
			}
		} else if a.expect(t, 201); !slices.Contains(tagsOf(t, c, app), "   ") {
			t.Fatal("the blank name is not stored as sent")
		}
	},
	"longname": func(t *testing.T, c *client, v map[string]string, app string) {
		long := strings.Repeat("é", 101)
		a := c.req("POST", app, `[{"name":"`+long+`","phone":1},{"name":"`+strings.Repeat("ü", 100)+`","phone":2}]`)
		if v["longname"] == "100" {
			if e := a.expect(t, 422).errors(); e["0.name"] == nil || e["1.name"] != nil {
				t.Fatalf("errors %v", e)
			}
			return
		}
		a.expect(t, 201)
		c.req("POST", app, `[{"name":"`+strings.Repeat("ñ", 300)+`","phone":1}]`).expect(t, 201)
	},
	"phonerange": func(t *testing.T, c *client, v map[string]string, app string) {
		a := c.req("POST", app, `[{"name":"Zero","phone":0},{"name":"Neg","phone":-5}]`)
		if v["phonerange"] == "positive" {
			if e := a.expect(t, 422).errors(); e["0.phone"] == nil || e["1.phone"] == nil {
				t.Fatalf("errors %v", e)
			}
			return
		}
		a.expect(t, 201)
		var phones []string
		for _, it := range c.req("GET", app, "").expect(t, 200).items() {
			phones = append(phones, fmt.Sprint(it.(map[string]any)["phone"]))
		}
		if slices.Sort(phones); !slices.Equal(phones, []string{"-5", "0"}) {
			t.Fatalf("phones %v", phones)
		}
	},
	"tags": func(t *testing.T, c *client, v map[string]string, app string) {
		c.req("POST", app, `[{"name":"Budi Santoso Putra","phone":1}]`).expect(t, 201)
		id := c.req("GET", app, "").expect(t, 200).items()[0].(map[string]any)["id"].(string)
		tags := fmt.Sprint(c.req("GET", app+"/"+id, "").expect(t, 200).data()["tags"])
		want := "[Budi Santoso Putra]"
		if v["tags"] == "words" {
			want = "[Budi Santoso Putra Budi Putra]"
		}
		if tags != want {
			t.Fatalf("tags %s, want %s", tags, want)
		}
	},
	"pastlast": func(t *testing.T, c *client, v map[string]string, app string) {
		c.req("POST", app, `[{"name":"P1","phone":1},{"name":"P2","phone":2},{"name":"P3","phone":3}]`).expect(t, 201)
		a := c.req("GET", app+"?page=5&limit=2", "").expect(t, 200)
		m := a.meta()
		want := map[string]int64{"last": 2, "requested": 4}[v["pastlast"]]
		if len(a.items()) != 0 || num(m["current_page"]) != 5 || m["next_page"] != nil || num(m["previous_page"]) != want || num(m["last_page"]) != 2 {
			t.Fatalf("past the last page: %s", a.body)
		}
	},
	"emptymeta": func(t *testing.T, c *client, v map[string]string, app string) {
		m := c.req("GET", app, "").expect(t, 200).meta()
		want := map[string]int64{"1": 1, "0": 0}[v["emptymeta"]]
		if num(m["total"]) != 0 || num(m["last_page"]) != want || m["previous_page"] != nil || m["next_page"] != nil {
			t.Fatalf("meta of an empty app %v", m)
		}
	},
	"contenttype": func(t *testing.T, c *client, v map[string]string, app string) {
		want := map[string]int{"strict": 415, "ignore": 201}[v["contenttype"]]
		c.req("POST", app, `[{"name":"CT","phone":1}]`, "Content-Type", "text/plain").expect(t, want)
		c.req("POST", app, `[{"name":"CT","phone":1}]`, "Content-Type", "").expect(t, want)
		c.req("POST", app, `[{"name":"CT","phone":1}]`, "Content-Type", "Application/JSON; charset=utf-8").expect(t, 201)
	},
	"bearer": func(t *testing.T, c *client, v map[string]string, app string) {
		want := map[string]int{"insensitive": 200, "exact": 403}[v["bearer"]]
		c.req("GET", app, "", "Authorization", "bearer tok1").expect(t, want)
		c.req("GET", app, "", "Authorization", "BEARER tok1").expect(t, want)
	},
}

func notJSONStatus(v map[string]string) int {
	if v["notjson"] == "400" {
		return 400
	}
	return 422
}

// tagsOf lists an app's names, in the list's order.
func tagsOf(t *testing.T, c *client, app string) []string {
	t.Helper()
	var tags []string
	for _, it := range c.req("GET", app+"?limit=50", "").expect(t, 200).items() {
		tags = append(tags, it.(map[string]any)["tag"].(string))
	}
	return tags
}

// TestChoices runs each peer with each peer's defaults, so that every choice is
// checked both ways in both servers.
func TestChoices(t *testing.T) {
	var unprobed []string
	for _, ch := range peers.Choices {
		if probes[ch.Name] == nil && ch.Name != "contacts" && ch.Name != "slow" {
			unprobed = append(unprobed, ch.Name)
		}
	}
	if len(unprobed) > 0 {
		t.Errorf("choices without a probe: %v", unprobed)
	}
	for _, kind := range peers.Kinds {
		for _, column := range peers.Kinds {
			t.Run(fmt.Sprintf("%s/as-%s", kind, column), func(t *testing.T) {
				t.Parallel()
				values := peers.ChoicesOf(column)
				var apps []string
				for name := range probes {
					apps = append(apps, name)
				}
				base := peers.Start(t, kind, peers.Options{
					Grants:   []string{"tok1=" + strings.Join(apps, ",")},
					Contacts: peers.NoContacts,
					Choices:  values,
				})
				for name, probe := range probes {
					t.Run(name, func(t *testing.T) {
						probe(t, newClient(t, base, "tok1"), values, "/contacts/"+name)
					})
				}
			})
		}
	}
}
