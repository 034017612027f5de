package journal

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkAdd is the cost a server pays per exchange it journals: a list
// answer of about 1 KB with a bearer token.
func BenchmarkAdd(b *testing.B) {
	j := New(Config{})
	body := []byte(`{"statusCode":200,"code":"OK","message":"The request has been successfully processed.","data":[` +
		strings.Repeat(`{"id":"0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10","phone":6281234567890,"tag":"Budi Santoso","is_blocked":false,"created_at":"2024-05-14T11:51:48.000+07:00"},`, 9) +
		`{"id":"0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10","phone":6281234567890,"tag":"Budi Santoso","is_blocked":false,"created_at":"2024-05-14T11:51:48.000+07:00"}]}`)
	x := Exchange{
		Time: time.Now(), Method: "GET", URI: "/contacts/app?page=1&limit=10", OperationID: "listContacts", App: "app", Status: 200,
		RequestHeader:  http.Header{"Authorization": {"Bearer dev-token-0123456789"}, "Accept": {"*/*"}, "User-Agent": {"bench"}},
		ResponseHeader: http.Header{"Content-Type": {"application/json"}, "Content-Length": {"1234"}, "Access-Control-Allow-Origin": {"*"}},
		ResponseBody:   body,
	}
	b.ReportAllocs()
	for b.Loop() {
		j.Add(x)
	}
}
