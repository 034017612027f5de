package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contactkit/contactkit/store"
	"github.com/contactkit/contactkit/store/memory"
)

// The benchmarks drive ServeHTTP directly (routing, validation, store, encoding),
// so they measure the mock rather than loopback TCP.

const million = 1_000_000

// bigMock returns a mock whose app "big" holds a million contacts, seeded.
func bigMock(b *testing.B) *Server {
	b.Helper()
	s, err := New(Config{Contacts: million})
	if err != nil {
		b.Fatal(err)
	}
	serveOne(b, s, "GET", "/contacts/big?limit=1", "", http.StatusOK)
	return s
}

func serveOne(b *testing.B, s *Server, method, path, body string, want int) *httptest.ResponseRecorder {
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.Header.Set("Authorization", token)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: status %d, want %d: %s", method, path, rec.Code, want, rec.Body)
	}
	return rec
}

func BenchmarkList(b *testing.B) {
	s := bigMock(b)
	// Delete a spread of contacts first, so the deep page also crosses tombstones.
	for i := range 1000 {
		id := newestID(b, s, 1+i*97)
		serveOne(b, s, "DELETE", "/contacts/big/"+id, "", http.StatusOK)
	}
	// Pages from 20,000 of limit 10 and from 19,000 of limit 50 are deep in the
	// list (not past its end): each must cost what page 1 costs. Each run reads
	// a window of 1,000 pages from there, more than the answer memory holds
	// (256), so the store reads every page.
	for _, tc := range []struct {
		page, limit int
	}{{1, 10}, {20000, 10}, {1, 50}, {18000, 50}} {
		target := func(i int) string {
			return fmt.Sprintf("/contacts/big?page=%d&limit=%d", tc.page+i%1000, tc.limit)
		}
		b.Run(fmt.Sprintf("page=%d&limit=%d", tc.page, tc.limit), func(b *testing.B) {
			rec := serveOne(b, s, "GET", target(999), "", http.StatusOK)
			if strings.Contains(rec.Body.String(), `"data":[]`) {
				b.Fatalf("%s is past the last page", target(999))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				serveOne(b, s, "GET", target(i), "", http.StatusOK)
				i++
			}
		})
	}
}

// newestID returns the id on the given page (limit 1).
func newestID(b *testing.B, s *Server, page int) string {
	rec := serveOne(b, s, "GET", fmt.Sprintf("/contacts/big?limit=1&page=%d", page), "", http.StatusOK)
	body := rec.Body.String()
	i := strings.Index(body, `"id":"`)
	return body[i+6 : i+6+36]
}

func BenchmarkGet(b *testing.B) {
	s := bigMock(b)
	path := "/contacts/big/" + newestID(b, s, 500_000)
	b.ReportAllocs()
	for b.Loop() {
		serveOne(b, s, "GET", path, "", http.StatusOK)
	}
}

func BenchmarkToggle(b *testing.B) {
	s := bigMock(b)
	path := "/contacts/big/" + newestID(b, s, 500_000)
	b.ReportAllocs()
	for b.Loop() {
		serveOne(b, s, "PUT", path, "", http.StatusOK)
	}
}

func BenchmarkCreateBatch10(b *testing.B) {
	s, err := New(Config{Contacts: 100_000, MaxContacts: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]string, 10)
	for i := range rows {
		rows[i] = fmt.Sprintf(`{"name":"Budi Santoso %d","phone":62812345678%02d}`, i, i)
	}
	body := "[" + strings.Join(rows, ",") + "]"
	b.ReportAllocs()
	for b.Loop() {
		serveOne(b, s, "POST", "/contacts/big", body, http.StatusCreated)
	}
}

// BenchmarkListUncached makes every query distinct, so each request goes through
// routing and kin-openapi's validation instead of the verdict cache.
func BenchmarkListUncached(b *testing.B) {
	s := bigMock(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		serveOne(b, s, "GET", "/contacts/big?page=20000&limit=10&n="+strconv.Itoa(i), "", http.StatusOK)
	}
}

// BenchmarkEncodeListPage compares the hand-written JSON of a list page (limit 50)
// with encoding/json writing the same document, as the reason the mock keeps it.
func BenchmarkEncodeListPage(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	rows, total, _ := memory.New(store.Config{Seed: DefaultSeed, Contacts: 50}, nil).Page(context.Background(), "bench", 1, 50)
	type jsonContact struct {
		ID        string `json:"id"`
		Phone     int64  `json:"phone"`
		Tag       string `json:"tag"`
		IsBlocked bool   `json:"is_blocked"`
		CreatedAt string `json:"created_at"`
	}
	type jsonMeta struct {
		Total        int    `json:"total"`
		Limit        int    `json:"limit"`
		CurrentPage  int64  `json:"current_page"`
		FirstPage    int    `json:"first_page"`
		PreviousPage *int64 `json:"previous_page"`
		NextPage     *int64 `json:"next_page"`
		LastPage     int64  `json:"last_page"`
	}
	type jsonPage struct {
		StatusCode int           `json:"statusCode"`
		Code       string        `json:"code"`
		Message    string        `json:"message"`
		Data       []jsonContact `json:"data"`
		Meta       jsonMeta      `json:"meta"`
	}
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a := s.list(rows, total, 1, 50)
			putBuffer(a.body)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := jsonPage{StatusCode: 200, Code: "OK", Message: "Contact list retrieved successfully.",
				Data: make([]jsonContact, len(rows)), Meta: jsonMeta{Total: total, Limit: 50, CurrentPage: 1, FirstPage: 1, LastPage: 1}}
			for i, c := range rows {
				var id []byte
				p.Data[i] = jsonContact{ID: string(appendID(id, c.ID)), Phone: c.Phone, Tag: c.Name, IsBlocked: c.Blocked,
					CreatedAt: time.UnixMilli(c.CreatedMs).In(s.cfg.Zone).Format(createdLayout)}
			}
			if _, err := json.Marshal(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// discardWriter is a ResponseWriter that keeps nothing but its header map, so
// BenchmarkHandler measures the mock's handler without a recorder's copies.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkHandler is the handler's own cost per list request, what bench/load.sh
// adds to bare net/http: "repeated" sends one target (the verdict remembered),
// "cold" a new query each time (kin-openapi judges it), with the journal on and off.
func BenchmarkHandler(b *testing.B) {
	for _, journal := range []struct {
		name string
		size int
	}{{"journal", 0}, {"no-journal", -1}} {
		for _, cold := range []bool{false, true} {
			name := journal.name + "/repeated"
			if cold {
				name = journal.name + "/cold"
			}
			b.Run(name, func(b *testing.B) {
				s, err := New(Config{JournalSize: journal.size})
				if err != nil {
					b.Fatal(err)
				}
				w := &discardWriter{}
				i := 0
				b.ReportAllocs()
				for b.Loop() {
					target := "/contacts/bench-app?page=1&limit=10"
					if cold {
						i++
						target += "&n=" + strconv.Itoa(i)
					}
					req, _ := http.NewRequest(http.MethodGet, target, nil)
					req.RequestURI, req.Body = target, http.NoBody
					req.Header = http.Header{"Authorization": {"Bearer bench-token"}, "User-Agent": {"wrk"}}
					w.h = http.Header{}
					s.ServeHTTP(w, req)
				}
			})
		}
	}
}
