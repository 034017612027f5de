package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/contactkit/contactkit/journal"
	"github.com/contactkit/contactkit/proxy"
)

// A server that sends a phone as text: the proxy passes the answer on and
// journals the violation.
func ExampleNew() {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"statusCode":200,"code":"OK","message":"The request has been successfully processed.",`+
			`"data":{"id":"abc5ea66-11ad-11ef-8e7a-00155d34f1bf","phone":"6280000000000","tags":["John Doe"],`+
			`"is_blocked":false,"created_at":"2024-05-14T11:51:48.000+07:00"}}`)
	}))
	defer target.Close()

	p, err := proxy.New(proxy.Config{Target: target.URL})
	if err != nil {
		panic(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()

	req, _ := http.NewRequest(http.MethodGet, front.URL+"/contacts/my-app/abc5ea66-11ad-11ef-8e7a-00155d34f1bf", nil)
	req.Header.Set("Authorization", "Bearer dev-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	e := p.Journal().Entries(journal.Filter{})[0]
	fmt.Println(resp.StatusCode, e.OperationID, e.Request.Header.Get("Authorization"))
	for _, v := range e.Violations {
		fmt.Println(v.Check, v.Pointer, v.Contract)
	}
	// Output:
	// 200 getContact Bearer ***
	// schema /data/phone openapi.yaml#/components/schemas/ContactDetail/properties/phone
}
