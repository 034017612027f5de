package peers_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactkit/contactkit/internal/peers"
)

// TestJunk: whatever a client sends, a peer answers with a status below 500 and,
// when it answers a body, an envelope (the client checks both on every answer).
func TestJunk(t *testing.T) {
	for _, kind := range peers.Kinds {
		for _, column := range peers.Kinds {
			t.Run(fmt.Sprintf("%s/as-%s", kind, column), func(t *testing.T) {
				t.Parallel()
				values := peers.ChoicesOf(column)
				base := peers.Start(t, kind, peers.Options{Contacts: 5, Seed: 9, Choices: values})
				c := newClient(t, base, "tok1")
				id := c.req("GET", "/contacts/app1", "").expect(t, 200).items()[0].(map[string]any)["id"].(string)
				r := rand.New(rand.NewPCG(1, 2))
				pick := func(s ...string) string { return s[r.IntN(len(s))] }
				segs := []string{"contacts", "app1", "app2", id, "", "..", ".", "%2F", "%25", "%zz", "%00", "🙂", "a%20b", "x"}
				bodies := []string{
					"", "[", "]", "[{]", "[{}]", "[null]", "[[]]", `[{"name":null,"phone":null}]`, `[{"name":1,"phone":true}]`,
					`[{"name":"a","phone":1e999999999}]`, `[{"name":"a","phone":-0.0e-0}]`, `[{"name":"a","phone":1.0e3}]`,
					`[{"name":"a","phone":123456789012345678901234567890}]`, `[{"name":"\ud800","phone":1}]`,
					`[{"name":"\u0000","phone":1}]`, `[{"__proto__":{"x":1},"name":"p","phone":1}]`,
					`[{"constructor":1,"name":"c","phone":1}]`, strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
					"\xef\xbb\xbf[]", `[{"name":"a","phone":1}]` + "\x00", "[1,2,3]", `{"0":{"name":"a","phone":1}}`,
				}
				for range 2000 {
					// Mostly the API's routes, so that bodies get read.
					path := "/contacts/" + pick("app1", "app1", "app2", "nope", "")
					switch r.IntN(4) {
					case 0:
						path += "/" + pick(id, id, "nope", "")
					case 1:
						path = ""
						for range 1 + r.IntN(4) {
							path += "/" + pick(segs...)
						}
					}
					if r.IntN(3) == 0 {
						path += pick("?page=", "?page=1&limit=", "?limit=99999999999999999999", "?page=%zz", "?page=2&page=x", "?limit=-1")
					}
					method := pick("GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")
					body := pick(bodies...)
					if r.IntN(4) == 0 {
						b := []byte(body + pick(bodies...))
						for range 3 {
							if len(b) > 0 {
								b[r.IntN(len(b))] = byte(r.IntN(256))
							}
						}
						body = string(b)
					}
					auth := pick("Bearer tok1", "Bearer tok1", "Bearer tok1", "Bearer tok2", "bearer tok1", "", "Bearer  tok1", "Bearer tok1 ", "Bearer\ttok1")
					ct := pick("application/json", "application/json", "text/plain", "", "application/json; charset=latin1")
					if strings.Contains(path, "%zz") {
						continue // not a URL the Go client sends; TestRawJunk sends such
					}
					c.req(method, path, body, "Authorization", auth, "Content-Type", ct)
				}
				// The peer still works.
				c.req("GET", "/contacts/app1", "").expect(t, 200)
			})
		}
	}
}

// TestRawJunk: requests no well-behaved client sends, over a raw connection. The
// peer may refuse them (with 400) or close, but never answers 5xx and keeps serving.
func TestRawJunk(t *testing.T) {
	raws := []string{
		"GET /contacts/%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok1\r\n\r\n",
		"GET /contacts/app1?page=%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok1\r\n\r\n",
		"GET //contacts/app1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok1\r\n\r\n",
		"GET /contacts/app1/../app1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok1\r\n\r\n",
		"GET http://x/contacts/app1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok1\r\n\r\n",
		"FOO /contacts/app1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /contacts/app1 HTTP/1.0\r\nAuthorization: Bearer tok1\r\n\r\n",
		"POST /contacts/app1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok1\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n[{]",
		"POST /contacts/app1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n",
		"POST /contacts/app1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"GET /contacts/app1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok1\r\nX: " + strings.Repeat("a", 70000) + "\r\n\r\n",
		"\x00\x01\x02 garbage\r\n\r\n",
	}
	for _, kind := range peers.Kinds {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			base := peers.Start(t, kind, peers.Options{Contacts: 3})
			addr := strings.TrimPrefix(base, "http://")
			for _, raw := range raws {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				conn.Write([]byte(raw))
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
				got, _ := io.ReadAll(conn)
				conn.Close()
				if len(got) > 0 {
					line, _, _ := bytes.Cut(got, []byte("\r\n"))
					var status int
					fmt.Sscanf(string(line), "HTTP/1.%d %d", new(int), &status)
					if status == 0 || status >= 500 {
						t.Errorf("%.60q: answered %q", raw, line)
					}
				}
			}
			newClient(t, base, "tok1").req("GET", "/contacts/app1", "").expect(t, 200)
		})
	}
}

// TestBigBody: a body over 1 MiB is refused (or the connection dropped), not stored.
func TestBigBody(t *testing.T) {
	for _, kind := range peers.Kinds {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			base := peers.Start(t, kind, peers.Options{Contacts: peers.NoContacts})
			row := `{"name":"Big","phone":628},`
			body := "[" + strings.Repeat(row, (1<<20)/len(row)+10) + `{"name":"Big","phone":628}]`
			req, _ := http.NewRequest("POST", base+"/contacts/app1", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer tok1")
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 400 && resp.StatusCode != 422 {
					t.Fatalf("a %d-byte body got %d", len(body), resp.StatusCode)
				}
			}
			c := newClient(t, base, "tok1")
			if n := num(c.req("GET", "/contacts/app1", "").expect(t, 200).meta()["total"]); n != 0 {
				t.Fatalf("%d contacts stored from a refused body", n)
			}
			// Just under the bound is fine.
			small := "[" + strings.Repeat(row, 30000) + `{"name":"Big","phone":628}]`
			c.req("POST", "/contacts/app1", small).expect(t, 201)
		})
	}
}
