package check_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// TestRequestFindingsKnowTheirSource: a request that breaks a rule of the docs
// is a docs finding; one that breaks only a reading the contract marks
// (x-readings) names that reading.
func TestRequestFindingsKnowTheirSource(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	c := check.New(spec)
	bearer := http.Header{"Authorization": {"Bearer tok"}, "Content-Type": {"application/json"}}
	for _, tc := range []struct {
		name, method, uri, body string
		reading                 string // "" for the docs
	}{
		{"page below the first", "GET", "/contacts/app1?page=0", "", contactkit.ReadingPagingInvalid},
		{"page not an integer", "GET", "/contacts/app1?page=abc", "", contactkit.ReadingPagingInvalid},
		{"limit below the least", "GET", "/contacts/app1?limit=0", "", contactkit.ReadingPagingInvalid},
		{"limit above the docs' max", "GET", "/contacts/app1?limit=51", "", ""},
		{"a row without a phone", "POST", "/contacts/app1", `[{"name":"A"}]`, contactkit.ReadingCreateRow},
		{"a name that is not text", "POST", "/contacts/app1", `[{"name":1,"phone":6281}]`, contactkit.ReadingCreateRow},
		{"an empty name", "POST", "/contacts/app1", `[{"name":"","phone":6281}]`, contactkit.ReadingCreateValues},
		{"an empty batch", "POST", "/contacts/app1", `[]`, contactkit.ReadingCreateNotBatch},
		{"an object, not a batch", "POST", "/contacts/app1", `{"name":"A","phone":6281}`, contactkit.ReadingCreateNotBatch},
		{"a phone past int64", "POST", "/contacts/app1", `[{"name":"A","phone":92233720368547758070}]`, contactkit.ReadingCreateRow},
		{"a phone that is not a number", "POST", "/contacts/app1", `[{"name":"A","phone":"x"}]`, ""},
	} {
		_, _, fs := c.Request(context.Background(), check.Request{Method: tc.method, URI: tc.uri, Header: bearer, Body: []byte(tc.body)})
		require.NotEmpty(t, fs, "%s: no finding", tc.name)
		for _, f := range fs {
			if tc.reading == "" {
				assert.False(t, f.IsReading(), "%s: %s is a reading (%s), want the docs", tc.name, f, f.Reading)
				continue
			}
			assert.Equal(t, check.Reading, f.Source, "%s: %s: source", tc.name, f)
			assert.Equal(t, tc.reading, f.Reading, "%s: %s: reading", tc.name, f)
		}
	}
}

// TestAnswerFindingsKnowTheirSource: the every-answer checks fail what breaks
// the docs or HTTP and only warn of what departs from a reading.
func TestAnswerFindingsKnowTheirSource(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	c := check.New(spec)
	page := func(id, createdAt string, total, limit, cur, last int, next string) []byte {
		return []byte(`{"statusCode":200,"code":"OK","message":"The request has been successfully processed.","data":[` +
			strings.Join(func() []string {
				if id == "" {
					return nil
				}
				return []string{`{"id":"` + id + `","phone":6281234567890,"tag":"A","is_blocked":false,"created_at":"` + createdAt + `"}`}
			}(), ",") + `],"meta":{"total":` + itoa(total) + `,"limit":` + itoa(limit) + `,"current_page":` + itoa(cur) +
			`,"first_page":1,"previous_page":null,"next_page":` + next + `,"last_page":` + itoa(last) + `}}`)
	}
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	for _, tc := range []struct {
		name   string
		x      check.Exchange
		source check.Source // "" wants no finding
		check  check.Check
	}{
		{"a faithful page, UTC and a charset", check.Exchange{Method: "GET", Path: "/contacts/a", Status: 200, Header: json,
			Body: page("abc5ea66-11ad-11ef-8e7a-00155d34f1bf", "2024-05-14T04:51:48Z", 1, 10, 1, 1, "null")}, "", ""},
		{"an id that is not a UUID", check.Exchange{Method: "GET", Path: "/contacts/a", Status: 200, Header: json,
			Body: page("c-1", "2024-05-14T04:51:48Z", 1, 10, 1, 1, "null")}, check.Reading, check.Schema},
		{"a time that is not RFC 3339", check.Exchange{Method: "GET", Path: "/contacts/a", Status: 200, Header: json,
			Body: page("abc5ea66-11ad-11ef-8e7a-00155d34f1bf", "14/05/2024", 1, 10, 1, 1, "null")}, check.Docs, check.Schema},
		{"a page past the last answered as the last", check.Exchange{Method: "GET", Path: "/contacts/a", Query: url.Values{"page": {"9"}}, Status: 200, Header: json,
			Body: page("abc5ea66-11ad-11ef-8e7a-00155d34f1bf", "2024-05-14T04:51:48Z", 1, 10, 1, 1, "null")}, check.Reading, check.Paging},
		{"meta.limit above the max", check.Exchange{Method: "GET", Path: "/contacts/a", Query: url.Values{"limit": {"60"}}, Status: 200, Header: json,
			Body: page("", "", 0, 60, 1, 0, "null")}, check.Docs, check.Paging},
		{"text/html", check.Exchange{Method: "GET", Path: "/contacts/a/b", Status: 404, Header: http.Header{"Content-Type": {"text/html"}},
			Body: []byte(`{"statusCode":404,"code":"NOT_FOUND","message":"The endpoint you are looking for seems to be not found."}`)}, check.HTTP, check.ContentType},
		{"401 for no token", check.Exchange{Method: "GET", Path: "/contacts/a", Status: 401, Header: json,
			Body: []byte(`{"statusCode":401,"code":"UNAUTHORIZED","message":"x"}`)}, check.Docs, check.Status},
		{"405 with Allow for an unknown method", check.Exchange{Method: "PATCH", Path: "/contacts/a/b", Status: 405, Header: json,
			Body: []byte(`{"statusCode":405,"code":"METHOD_NOT_ALLOWED","message":"Method not allowed."}`)}, "", ""},
		{"405 in plain text", check.Exchange{Method: "PATCH", Path: "/contacts/a/b", Status: 405, Header: http.Header{"Content-Type": {"text/plain"}},
			Body: []byte("method not allowed")}, check.Reading, check.ContentType},
		{"415 for a create of another type", check.Exchange{Method: "POST", Path: "/contacts/a", Status: 415, Header: json, RequestBody: true,
			Body: []byte(`{"statusCode":415,"code":"UNSUPPORTED_MEDIA_TYPE","message":"Unsupported."}`)}, "", ""},
		{"200 for HEAD of the list", check.Exchange{Method: "HEAD", Path: "/contacts/a", Status: 200, Header: json}, "", ""},
		{"200 for an unknown route", check.Exchange{Method: "GET", Path: "/nope", Status: 200, Header: json,
			Body: []byte(`{"statusCode":200,"code":"OK","message":"x"}`)}, check.Docs, check.Status},
		{"403 for an unknown route", check.Exchange{Method: "GET", Path: "/nope", Status: 403, Header: json,
			Body: []byte(`{"statusCode":403,"code":"FORBIDDEN","message":"You do not have access to this resource."}`)}, check.Reading, check.Status},
		{"400 for a create body that is not a batch", check.Exchange{Method: "POST", Path: "/contacts/a", Status: 400, Header: json, RequestBody: true,
			Body: []byte(`{"statusCode":400,"code":"BAD_REQUEST","message":"The request body does not contain valid data."}`)}, "", ""},
	} {
		_, _, fs := c.Check(context.Background(), tc.x)
		if tc.source == "" {
			assert.Empty(t, fs, "%s: findings", tc.name)
			continue
		}
		var got []string
		found := false
		for _, f := range fs {
			got = append(got, f.String()+" ["+string(f.Source)+" "+f.Reading+"]")
			src := f.Source
			if src == "" {
				src = check.Docs
			}
			found = found || f.Check == tc.check && src == tc.source
		}
		assert.True(t, found, "%s: want a %s finding from %s, got %v", tc.name, tc.check, tc.source, got)
		if tc.source == check.Reading {
			for _, f := range fs {
				assert.True(t, f.IsReading(), "%s: %s fails, want only warnings", tc.name, f)
			}
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
