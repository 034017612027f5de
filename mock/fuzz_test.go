package mock

import (
	"bytes"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/contactkit/contactkit"
)

// fuzzAnswer checks the invariants every answer keeps: a JSON envelope whose
// statusCode is the HTTP status, and never a 5xx.
func fuzzAnswer(t *testing.T, rec *httptest.ResponseRecorder, want ...int) {
	t.Helper()
	var env struct {
		StatusCode int               `json:"statusCode"`
		Code       string            `json:"code"`
		Message    string            `json:"message"`
		Errors     map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("answer %d is not a JSON envelope: %v: %q", rec.Code, err, rec.Body.String())
	}
	if env.StatusCode != rec.Code || env.Code == "" || env.Message == "" {
		t.Fatalf("envelope %+v for HTTP %d", env, rec.Code)
	}
	for _, w := range want {
		if rec.Code == w {
			return
		}
	}
	t.Fatalf("status %d, want one of %v: %s", rec.Code, want, rec.Body.String())
}

func FuzzCreateBody(f *testing.F) {
	for _, seed := range []string{
		docsBatch, `[]`, `null`, `{}`, `[1]`, `[{"name":"x","phone":1.5}]`, `[{"name":"","phone":"1"}]`,
		`[{"name":"a","phone":99999999999999999999}]`, `[{"name":"a","phone":6.28e12}]`, `[[[[`, "\xff",
		`[{"name":"a\u0000b","phone":-1}]`, `[{"name":"a","phone":1}] []`,
	} {
		f.Add([]byte(seed))
	}
	s, err := New(Config{Strict: true, Contacts: 3, MaxContacts: 1 << 30})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/contacts/fuzz", bytes.NewReader(body))
		req.Header.Set("Authorization", token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		fuzzAnswer(t, rec, http.StatusCreated, http.StatusUnprocessableEntity)
		if rec.Code == http.StatusCreated {
			var rows []map[string]any
			if err := json.Unmarshal(body, &rows); err != nil || len(rows) == 0 {
				t.Fatalf("stored a body that is no array of rows: %q", body)
			}
		}
	})
}

func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "page=1", "page=0", "limit=50", "limit=51", "page=2&limit=3", "page=99999999999999999999",
		"page=%32", "page=1&page=x", "limit=1e1", "page=+1", "page=;", "%zz", "page=9223372036854775807&limit=50",
	} {
		f.Add(seed)
	}
	s, err := New(Config{Strict: true, Contacts: 7})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/contacts/fuzz", nil)
		req.URL.RawQuery = query
		req.Header.Set("Authorization", token)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		fuzzAnswer(t, rec, http.StatusOK, http.StatusBadRequest)
		page, limit, ok := wantPaging(t, query)
		if rec.Code == http.StatusOK && !ok {
			t.Fatalf("200 for a query paging refuses: %q", query)
		}
		if rec.Code == http.StatusOK {
			var got struct {
				Data []any `json:"data"`
				Meta struct {
					Limit       int   `json:"limit"`
					CurrentPage int64 `json:"current_page"`
				} `json:"meta"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &got)
			if got.Meta.Limit != limit || got.Meta.CurrentPage != page || len(got.Data) > limit {
				t.Fatalf("query %q: meta %+v with %d rows, paging read page %d limit %d", query, got.Meta, len(got.Data), page, limit)
			}
		}
	})
}

// wantPaging is the test's own reading of a list query: each parameter's first
// non-empty value (as kin-openapi's form decoder picks it), an integer within the
// contract's bounds, or its default when absent; false when the list must refuse.
func wantPaging(t *testing.T, query string) (page int64, limit int, ok bool) {
	spec, err := contactkit.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return 0, 0, false
	}
	pick := func(name string, b contactkit.Bounds) (int64, bool) {
		for _, v := range q[name] {
			if v == "" {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil && n >= b.Min && (b.Max == 0 || n <= b.Max)
		}
		return b.Default, len(q[name]) == 0 // only empty values are refused
	}
	page, okPage := pick("page", spec.Paging.Page)
	l, okLimit := pick("limit", spec.Paging.Limit)
	return page, int(l), okPage && okLimit
}

// FuzzPhoneText holds parsePhone to exact rational arithmetic (math/big) on any
// JSON number: an integer that fits an int64 is read as it, any other integer is
// too large, anything else is not an integer, however a float64 would round it.
func FuzzPhoneText(f *testing.F) {
	for _, seed := range []string{"6281234567890", "6281234567890.0000001", "1e-400", "6.28e12", "-0.0",
		"62812345678900e-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"1e19", "0.5e1", "1E3", "100e-2", "0e999"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil || dec.More() {
			return
		}
		n, ok := v.(json.Number)
		if !ok || n.String() != s {
			return
		}
		if _, exp, found := strings.Cut(strings.ToLower(s), "e"); found {
			if e, err := strconv.Atoi(exp); err != nil || e > 400 || e < -400 {
				return // math/big would take long to agree on these
			}
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat cannot read %q", s)
		}
		got, msg := (&words{phoneType: msgPhoneType}).parsePhone(n)
		switch {
		case !r.IsInt():
			if msg != msgPhoneInteger {
				t.Fatalf("phone %s: got (%d, %q), want %q", s, got, msg, msgPhoneInteger)
			}
		case r.Num().IsInt64():
			if msg != "" || got != r.Num().Int64() {
				t.Fatalf("phone %s: got (%d, %q), want %d", s, got, msg, r.Num().Int64())
			}
		default:
			if msg != msgPhoneRange {
				t.Fatalf("phone %s: got (%d, %q), want %q", s, got, msg, msgPhoneRange)
			}
		}
	})
}
