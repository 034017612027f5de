package mock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadInput sends what a shared mock gets: every answer is a documented
// envelope (the helper validates it), never a 5xx.
func TestBadInput(t *testing.T) {
	m := newMock(t, Config{MaxBody: 64 << 10, MaxBatch: 100})
	id := m.firstID("app")
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	long := strings.Repeat("a", 256)
	tests := []struct {
		name, method, path, body string
		headers                  []string
		want                     int
		key, msg                 string
	}{
		{"malformed JSON", "POST", "/contacts/app", `[{"name":`, nil, 422, "body", msgBodyJSON},
		{"truncated JSON", "POST", "/contacts/app", `[{"name":"Budi","phone":6281}`, nil, 422, "body", msgBodyJSON},
		{"trailing garbage", "POST", "/contacts/app", `[{"name":"Budi","phone":6281}] x`, nil, 422, "body", msgBodyJSON},
		{"null", "POST", "/contacts/app", `null`, nil, 422, "body", msgBodyArray},
		{"object", "POST", "/contacts/app", `{"name":"Budi","phone":6281}`, nil, 422, "body", msgBodyArray},
		{"string", "POST", "/contacts/app", `"hello"`, nil, 422, "body", msgBodyArray},
		{"empty array", "POST", "/contacts/app", `[]`, nil, 422, "body", msgBodyEmpty},
		{"deep nesting", "POST", "/contacts/app", deep, nil, 422, "body", msgBodyJSON},
		{"deep row", "POST", "/contacts/app", `[` + deep + `]`, nil, 422, "body", msgBodyJSON},
		{"too large", "POST", "/contacts/app", `[` + strings.Repeat(`{"name":"Budi","phone":6281},`, 3000) + `{"name":"Budi","phone":6281}]`, nil, 422, "body", fmt.Sprintf(msgBodyLarge, 64<<10)},
		{"too many rows", "POST", "/contacts/app", `[` + strings.Repeat(`{"name":"B","phone":1},`, 100) + `{"name":"B","phone":1}]`, nil, 422, "body", fmt.Sprintf(msgBatchLarge, 100)},
		{"row not an object", "POST", "/contacts/app", `[1]`, nil, 422, "0", msgRowType},
		{"row null", "POST", "/contacts/app", `[null]`, nil, 422, "0", msgRowType},
		{"phone overflows int64", "POST", "/contacts/app", `[{"name":"Budi","phone":99999999999999999999}]`, nil, 422, "0.phone", msgPhoneRange},
		{"phone just past int64", "POST", "/contacts/app", `[{"name":"Budi","phone":9223372036854775808}]`, nil, 422, "0.phone", msgPhoneRange},
		{"phone 1e400", "POST", "/contacts/app", `[{"name":"Budi","phone":1e400}]`, nil, 422, "0.phone", msgPhoneRange},
		{"phone fractional", "POST", "/contacts/app", `[{"name":"Budi","phone":6281.5}]`, nil, 422, "0.phone", msgPhoneInteger},
		{"phone boolean", "POST", "/contacts/app", `[{"name":"Budi","phone":true}]`, nil, 422, "0.phone", msgPhoneType},
		{"phone string", "POST", "/contacts/app", `[{"name":"Budi","phone":"6281"}]`, nil, 422, "0.phone", msgPhoneType},
		{"phone null", "POST", "/contacts/app", `[{"name":"Budi","phone":null}]`, nil, 422, "0.phone", msgPhoneType},
		{"phone missing", "POST", "/contacts/app", `[{"name":"Budi"}]`, nil, 422, "0.phone", msgPhoneRequired},
		{"name a number", "POST", "/contacts/app", `[{"name":42,"phone":6281}]`, nil, 422, "0.name", msgNameType},
		{"name empty", "POST", "/contacts/app", `[{"name":"","phone":6281}]`, nil, 422, "0.name", msgNameRequired},
		{"name blank", "POST", "/contacts/app", `[{"name":"   ","phone":6281}]`, nil, 422, "0.name", msgNameRequired},
		{"name missing", "POST", "/contacts/app", `[{"phone":6281}]`, nil, 422, "0.name", msgNameRequired},
		{"name very long", "POST", "/contacts/app", `[{"name":"` + long + `","phone":6281}]`, nil, 422, "0.name", fmt.Sprintf(msgNameLong, DefaultMaxNameLength)},
		{"name long and phone bad", "POST", "/contacts/app", `[{"name":"` + long + `","phone":"x"}]`, nil, 422, "0.name", fmt.Sprintf(msgNameLong, DefaultMaxNameLength)},
		{"invalid UTF-8", "POST", "/contacts/app", "[{\"name\":\"Bu\xffdi\",\"phone\":6281}]", nil, 422, "body", msgBodyUTF8},
		{"wrong content type", "POST", "/contacts/app", docsBatch, []string{"Content-Type: text/plain"}, 422, "body", msgBodyMediaType},
		{"form content type", "POST", "/contacts/app", docsBatch, []string{"Content-Type: application/x-www-form-urlencoded"}, 422, "body", msgBodyMediaType},
		{"json with charset", "POST", "/contacts/app", docsBatch, []string{"Content-Type: application/json; charset=utf-8"}, 201, "", ""},
		{"no content type", "POST", "/contacts/app", docsBatch, []string{"Content-Type:"}, 201, "", ""},
		{"too large without token", "POST", "/contacts/app", strings.Repeat(" ", 65<<10) + "[]", []string{"Authorization:"}, 403, "", ""},
		{"unknown method", "BREW", "/contacts/app", "", nil, 404, "", ""},
		{"encoded traversal", "GET", "/contacts/..%2F..%2Fetc%2Fpasswd", "", nil, 200 /* an app id like any other */, "", ""},
		{"dot segments", "GET", "/contacts/app/../../etc/passwd", "", nil, 404, "", ""},
		{"encoded slash in contact", "GET", "/contacts/app/" + id + "%2F..", "", nil, 404, "", ""},
		{"long query string", "GET", "/contacts/app?x=" + strings.Repeat("a", 7000), "", nil, 200, "", ""},
		{"huge query string", "GET", "/contacts/app?x=" + strings.Repeat("a", 20_000), "", nil, 404, "", ""},
		{"huge page", "GET", "/contacts/app?page=" + strings.Repeat("9", 5000), "", nil, 400, "", ""},
		{"page 10^9", "GET", "/contacts/app?page=1000000000", "", nil, 200, "", ""},
		{"repeated page", "GET", "/contacts/app?page=2&page=x", "", nil, 200, "", ""},
		{"escaped page", "GET", "/contacts/app?page=%32", "", nil, 200, "", ""},
		{"PUT with a body", "PUT", "/contacts/app/" + id, `garbage`, []string{"Content-Type: text/plain"}, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := m.do(tt.method, tt.path, tt.body, tt.headers...)
			assert.Equal(t, tt.want, r.status, "%s: status", tt.name)
			if tt.key != "" {
				assert.Equal(t, tt.msg, r.errors()[tt.key], "%s: errors[%q] in %s", tt.name, tt.key, r.raw)
			}
			for _, word := range []string{"openapi", "schema", "doesn't match", "value must", "property", "json:"} {
				assert.NotContains(t, string(r.raw), word, "%s: no library wording", tt.name)
			}
		})
	}
}

func TestEveryInvalidFieldReported(t *testing.T) {
	m := newMock(t, Config{})
	r := m.do("POST", "/contacts/app", `[{"name":"Budi","phone":"x"},{"phone":1.5},{"name":"","phone":99999999999999999999},{"name":3,"phone":6281},5,{"name":"Sari","phone":6281}]`)
	require.Equal(t, 422, r.status)
	assert.Equal(t, map[string]any{
		"0.phone": msgPhoneType,
		"1.name":  msgNameRequired,
		"1.phone": msgPhoneInteger,
		"2.name":  msgNameRequired,
		"2.phone": msgPhoneRange,
		"3.name":  msgNameType,
		"4":       msgRowType,
	}, r.errors())
	assert.Equal(t, DefaultContacts, m.total("app"), "nothing stored")
}

func TestLargeBatch(t *testing.T) {
	m := newMock(t, Config{})
	var b bytes.Buffer
	b.WriteString("[")
	for i := range 10_000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"name":"Kontak %d","phone":%d}`, i, 6281200000000+i)
	}
	b.WriteString("]")
	r := m.do("POST", "/contacts/app", b.String())
	assert.Equal(t, 201, r.status)
	assert.Equal(t, DefaultContacts+10_000, m.total("app"))
}

func TestAppCaps(t *testing.T) {
	m := newMock(t, Config{MaxApps: 2, MaxContacts: 30})
	assert.Equal(t, 200, m.do("GET", "/contacts/a", "").status)
	assert.Equal(t, 200, m.do("GET", "/contacts/b", "").status)
	assert.Equal(t, 403, m.do("GET", "/contacts/c", "").status, "past MaxApps a new app is refused")
	r := m.do("POST", "/contacts/a", `[`+strings.Repeat(`{"name":"B","phone":1},`, 5)+`{"name":"B","phone":1}]`)
	assert.Equal(t, 422, r.status, "a create past MaxContacts")
	assert.Equal(t, fmt.Sprintf(msgAppFull, 30), r.errors()["body"])
	assert.Equal(t, 201, m.do("POST", "/contacts/a", `[{"name":"B","phone":1}]`).status, "up to the cap is fine")
}

func TestPrefer(t *testing.T) {
	m := newMock(t, Config{Auth: map[string][]string{"test-token": {"app"}}})
	id := m.firstID("app")
	tests := []struct {
		name, method, path, body, prefer string
		want                             int
		applied                          string
	}{
		{"list code=404", "GET", "/contacts/app", "", "code=404", 404, "code=404, example=docs"},
		{"list code=400", "GET", "/contacts/app", "", "code=400", 400, "code=400, example=docs"},
		{"list example=empty", "GET", "/contacts/app", "", "example=empty", 200, "example=empty"},
		{"list code=200 example=empty", "GET", "/contacts/app", "", `code=200; example="empty"`, 200, "code=200, example=empty"},
		{"get code=404", "GET", "/contacts/app/" + id, "", "code=404", 404, "code=404, example=docs"},
		{"create example=notArray", "POST", "/contacts/app", docsBatch, "example=notArray", 422, "example=notArray"},
		{"create code=422", "POST", "/contacts/app", docsBatch, "code=422", 422, "code=422, example=docs"},
		{"toggle code=403", "PUT", "/contacts/app/" + id, "", "code=403", 403, "code=403, example=docs"},
		{"delete code=200", "DELETE", "/contacts/app/" + id, "", "code=200", 200, "code=200, example=docs"},
		{"undocumented status is ignored", "GET", "/contacts/app?limit=1", "", "code=500", 200, ""},
		{"unknown example is ignored", "GET", "/contacts/app?limit=1", "", "example=nope", 200, ""},
		{"garbage is ignored", "GET", "/contacts/app?limit=1", "", "code=abc, =, example", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := m.do(tt.method, tt.path, tt.body, "Prefer: "+tt.prefer)
			assert.Equal(t, tt.want, r.status, "Prefer %s: status", tt.prefer)
			assert.Equal(t, tt.applied, r.header.Get("Preference-Applied"), "Prefer %s: applied", tt.prefer)
		})
	}
	assert.Equal(t, 200, m.do("GET", "/contacts/app/"+id, "").status, "a forced answer changes no state")
	r := m.do("GET", "/contacts/app", "", "Prefer: code=200", "Authorization: Bearer wrong")
	assert.Equal(t, 403, r.status, "Prefer does not skip auth")

	// The delays asked of the clock, not timed: a loaded machine only adds to them.
	var slept []time.Duration
	var mu sync.Mutex
	record := func(_ context.Context, d time.Duration) { mu.Lock(); slept = append(slept, d); mu.Unlock() }
	delayed := newMock(t, Config{Latency: 100 * time.Millisecond, sleep: record})
	r = delayed.do("GET", "/contacts/app", "", "Prefer: delay=150")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "delay=150", r.header.Get("Preference-Applied"))
	delayed.do("GET", "/contacts/app", "")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []time.Duration{250 * time.Millisecond, 100 * time.Millisecond}, slept,
		"waits for Prefer delay=150 plus Config.Latency, then Config.Latency alone")
}

func TestAdmin(t *testing.T) {
	m := newMock(t, Config{JournalSize: 5})
	before := m.do("GET", "/contacts/app?limit=50", "")
	require.Equal(t, 201, m.do("POST", "/contacts/app", docsBatch).status)
	require.Equal(t, 200, m.do("DELETE", "/contacts/app/"+m.firstID("app"), "").status)
	m.do("POST", "/contacts/app", `[{"name":"x","phone":"y"}]`)

	r := m.do("GET", "/__admin/requests", "")
	require.Equal(t, 200, r.status)
	entries := r.data()
	require.Len(t, entries, 5, "the journal keeps the last 5")
	last := entries[4].(map[string]any)
	assert.Equal(t, "POST", last["method"])
	assert.Equal(t, "/contacts/app", last["path"])
	assert.Equal(t, "createContacts", last["operation_id"])
	assert.Equal(t, 422.0, last["status"])
	assert.Equal(t, "0.phone: "+msgPhoneType, last["problem"])
	assert.Contains(t, last, "duration_ms")

	assert.Equal(t, 200, m.do("POST", "/__admin/reset", "", adminPOST).status)
	after := m.do("GET", "/contacts/app?limit=50", "")
	assert.Equal(t, string(before.raw), string(after.raw), "reset brings the seeded state back, byte for byte")

	h := m.do("GET", "/__admin/health", "")
	assert.Equal(t, 200, h.status)
	assert.Equal(t, "ok", h.object()["status"])
	assert.Equal(t, 404, m.do("GET", "/__admin/reset", "").status, "reset is POST only")

	locked := newMock(t, Config{AdminToken: "s3cret"})
	for _, auth := range []string{"Authorization:", "Authorization: Bearer test-token", "Authorization: Bearer s3cre"} {
		for _, req := range [][2]string{{"POST", "/__admin/reset"}, {"GET", "/__admin/requests"}, {"GET", "/__admin/faults"}} {
			assert.Equal(t, 403, locked.do(req[0], req[1], "", auth, adminPOST).status, "%s %s with %q", req[0], req[1], auth)
		}
		assert.Equal(t, 200, locked.do("GET", "/__admin/health", "", auth).status, "health needs no token (%q)", auth)
	}
	assert.Equal(t, 200, locked.do("POST", "/__admin/reset", "", "Authorization: Bearer s3cret", adminPOST).status)
}

func TestCORSAndContract(t *testing.T) {
	m := newMock(t, Config{CORSOrigin: "http://localhost:5173"})
	req, _ := http.NewRequest(http.MethodOptions, m.http.URL+"/contacts/app", nil)
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	r := m.send(req)
	assert.Equal(t, 204, r.status, "preflight")
	assert.Equal(t, "http://localhost:5173", r.header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "authorization, content-type", r.header.Get("Access-Control-Allow-Headers"), "the headers asked for are allowed")
	assert.Contains(t, r.header.Get("Access-Control-Allow-Methods"), "DELETE")
	got := m.do("GET", "/contacts/app", "", "Origin: http://localhost:5173")
	assert.Equal(t, "http://localhost:5173", got.header.Get("Access-Control-Allow-Origin"), "simple requests too")

	spec := m.do("GET", "/openapi.yaml", "")
	assert.Equal(t, 200, spec.status)
	assert.True(t, bytes.HasPrefix(spec.raw, []byte("openapi: 3.0.3")), "serves the contract")
}

func TestStrictCatchesBrokenAnswer(t *testing.T) {
	var broken atomic.Bool
	m := newMockWith(t, Config{Strict: true}, func(s *Server) {
		s.breakAnswer = func(a *answer) {
			if broken.Load() && a.status == 200 {
				a.body = bytes.Replace(a.body, []byte(`"phone":`), []byte(`"phone":"x`), 1)
			}
		}
	})
	assert.Equal(t, 200, m.do("GET", "/contacts/app", "").status, "a faithful answer passes")
	assert.Equal(t, 404, m.do("GET", "/nope", "").status, "unrouted answers pass")
	assert.Equal(t, 422, m.do("POST", "/contacts/app", `[1]`).status)
	assert.Equal(t, 201, m.do("POST", "/contacts/app", docsBatch).status)
	broken.Store(true)
	r := m.do("GET", "/contacts/app", "")
	assert.Equal(t, 500, r.status, "strict mode replaces a broken answer")

	lax := newMockWith(t, Config{}, func(s *Server) {
		s.breakAnswer = func(a *answer) { panic("boom") }
	})
	assert.Equal(t, 500, lax.do("GET", "/contacts/app", "").status, "a panic still answers the envelope")
	assert.Equal(t, 500, lax.do("POST", "/contacts/app", docsBatch).status, "every time")
}

// TestSoak has many goroutines create, read, toggle and delete in one app at once:
// no write is lost, and no deleted contact comes back.
func TestSoak(t *testing.T) {
	m := newMock(t, Config{Contacts: 200})
	rounds := 30 // per goroutine: a count, not a time, so a slow machine runs the same test
	if testing.Short() {
		rounds = 6
	}
	var (
		mu      sync.Mutex
		kept    = map[string]float64{} // id -> phone
		deleted = map[string]bool{}
		phones  atomic.Int64
		wg      sync.WaitGroup
	)
	phones.Store(6289900000000)
	for w := range 8 {
		wg.Go(func() {
			for i := range rounds {
				phone := phones.Add(1)
				body := fmt.Sprintf(`[{"name":"Soak %d","phone":%d}]`, w, phone)
				if !assert.Equal(t, 201, m.do("POST", "/contacts/soak", body).status) {
					return
				}
				// Find it: it is among the newest, whatever the others did.
				id := ""
				for page := 1; id == "" && page < 50; page++ {
					for _, c := range m.do("GET", "/contacts/soak?limit=50&page="+itoa(page), "").data() {
						if c := c.(map[string]any); c["phone"] == float64(phone) {
							id = c["id"].(string)
						}
					}
				}
				if !assert.NotEmpty(t, id, "created phone %d is listed", phone) {
					return
				}
				assert.Equal(t, 200, m.do("PUT", "/contacts/soak/"+id, "").status)
				assert.Equal(t, 200, m.do("GET", "/contacts/soak/"+id, "").status)
				mu.Lock()
				if i%2 == 0 {
					mu.Unlock()
					assert.Equal(t, 200, m.do("DELETE", "/contacts/soak/"+id, "").status)
					mu.Lock()
					deleted[id] = true
				} else {
					kept[id] = float64(phone)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	all := m.listAll("soak")
	listed := map[string]bool{}
	for _, c := range all {
		listed[c["id"].(string)] = true
	}
	assert.Len(t, all, 200+len(kept), "every kept write is there, once")
	for id := range kept {
		assert.True(t, listed[id], "kept contact %s listed", id)
		assert.Equal(t, 200, m.do("GET", "/contacts/soak/"+id, "").status, "kept contact %s", id)
	}
	for id := range deleted {
		assert.False(t, listed[id], "deleted contact %s came back in the list", id)
		assert.Equal(t, 404, m.do("GET", "/contacts/soak/"+id, "").status, "deleted contact %s", id)
	}
	t.Logf("soak: %d kept, %d deleted", len(kept), len(deleted))
}

// TestStartShutdown listens for real and lets a request in flight finish.
func TestStartShutdown(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	url := "http://" + s.Addr().String()

	busy, err := New(Config{Addr: s.Addr().String()})
	require.NoError(t, err)
	assert.Error(t, busy.Start(), "a busy address fails at once")

	done := make(chan int)
	go func() {
		req, _ := http.NewRequest("GET", url+"/contacts/app", nil)
		req.Header.Set("Authorization", token)
		req.Header.Set("Prefer", "delay=1000")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	// Shut down once the request is waiting out its delay, however long it took
	// to get there.
	require.Eventually(t, func() bool { return len(s.delayed) == 1 }, 10*time.Second, 5*time.Millisecond,
		"the request reached its delay")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.Shutdown(ctx))
	assert.Equal(t, 200, <-done, "the request in flight finished")
	_, err = net.DialTimeout("tcp", s.Addr().String(), time.Second)
	assert.Error(t, err, "no longer listening")
	assert.True(t, errors.Is(err, err))
}

// TestStalledHeaderCutOff: a client that stops mid-header is disconnected.
func TestStalledHeaderCutOff(t *testing.T) {
	_, addr := started(t, Config{ReadHeaderTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /contacts/app HTTP/1.1\r\nHost: x\r\nAuthor"))
	require.NoError(t, err)
	// Our own deadline is far past the server's timeout: the server must be the
	// one to end the connection.
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 512)
	for {
		if _, err = conn.Read(buf); err != nil {
			break
		}
	}
	var netErr net.Error
	assert.False(t, errors.As(err, &netErr) && netErr.Timeout(), "cut off by the server, not by our deadline: %v", err)
}

// The journal names the paging parameter at fault, whether kin-openapi or the
// mock's own guard refused it, and the client still gets the docs' 400.
func TestJournalNamesPagingParameter(t *testing.T) {
	m := newMock(t, Config{})
	for _, tc := range []struct{ query, want string }{
		{"limit=51", "bad paging parameter: limit"},
		{"page=0", "bad paging parameter: page"},
		{"page=abc", "bad paging parameter: page"},
		{"page=99999999999999999999", "bad paging parameter: page"},
	} {
		require.Equal(t, 400, m.do("GET", "/contacts/app?"+tc.query, "").status, "list?%s", tc.query)
		entries := m.do("GET", "/__admin/requests", "").data()
		last := entries[len(entries)-1].(map[string]any)
		assert.Equal(t, tc.want, last["problem"], "journal problem for list?%s", tc.query)
	}
}

// TestErrorsInRowOrder: a 422 lists its fields by row number, then field, "body"
// first, not in encoding/json's alphabetical order of map keys.
func TestErrorsInRowOrder(t *testing.T) {
	m := newMock(t, Config{})
	rows := make([]string, 11)
	for i := range rows {
		rows[i] = `{"name":"Budi","phone":6281}`
	}
	rows[2] = `{"name":"Budi","phone":"x"}`
	rows[10] = `{"name":"","phone":6281}`
	r := m.do("POST", "/contacts/app", "["+strings.Join(rows, ",")+"]")
	require.Equal(t, 422, r.status)
	raw := string(r.raw)
	assert.Less(t, strings.Index(raw, `"2.phone"`), strings.Index(raw, `"10.name"`), "2.phone before 10.name in %s", raw)
}
