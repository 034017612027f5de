package check_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// listPage renders a list answer of n contacts; phoneAsString breaks every phone.
func listPage(n int, phoneAsString bool) []byte {
	var rows []string
	for i := range n {
		phone := fmt.Sprintf("%d", 6281200000000+i)
		if phoneAsString {
			phone = `"` + phone + `"`
		}
		rows = append(rows, fmt.Sprintf(`{"id":"abc5ea66-11ad-11ef-8e7a-%012d","phone":%s,"tag":"Budi Santoso","is_blocked":false,"created_at":"2024-05-14T11:51:48.000+07:00"}`, i, phone))
	}
	return fmt.Appendf(nil, `{"statusCode":200,"code":"OK","message":"The request has been successfully processed.","data":[%s],"meta":{"total":%d,"limit":%d,"current_page":1,"first_page":1,"previous_page":null,"next_page":null,"last_page":1}}`,
		strings.Join(rows, ","), n, n)
}

// BenchmarkCheckListPage measures the checks every answer gets unasked (status,
// content type, kin-openapi response validation, envelope) on a list page of 10.
func BenchmarkCheckListPage(b *testing.B) {
	spec, err := contactkit.LoadSpec()
	if err != nil {
		b.Fatal(err)
	}
	c := check.New(spec)
	for _, tc := range []struct {
		name     string
		body     []byte
		findings bool
	}{
		{"faithful", listPage(10, false), false},
		{"phones as strings", listPage(10, true), true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			x := check.Exchange{
				Op: contactkit.OpListContacts, Method: http.MethodGet, Path: "/contacts/app1",
				Query: url.Values{"limit": {"10"}}, Status: http.StatusOK,
				Header: http.Header{"Content-Type": {"application/json"}}, Body: tc.body,
			}
			if _, _, findings := c.Check(context.Background(), x); (len(findings) > 0) != tc.findings {
				b.Fatalf("%s: findings %v, want findings: %v", tc.name, findings, tc.findings)
			}
			b.ReportAllocs()
			for b.Loop() {
				c.Check(context.Background(), x)
			}
		})
	}
}
