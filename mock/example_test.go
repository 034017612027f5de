package mock_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/contactkit/contactkit/mock"
)

// ExampleNew serves the mock with httptest and creates, then lists, a contact.
func ExampleNew() {
	srv, err := mock.New(mock.Config{Auth: map[string][]string{"dev-token": {"my-app"}}, Contacts: -1})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	call := func(method, path, body string) {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer dev-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, len(out) > 0)
	}
	call("POST", "/contacts/my-app", `[{"name":"Budi Santoso","phone":6281234567890}]`)
	call("GET", "/contacts/my-app", "")
	call("GET", "/contacts/other-app", "")
	// Output:
	// 201 true
	// 200 true
	// 403 true
}

// ExampleServer_Start listens on a free loopback port and shuts down.
func ExampleServer_Start() {
	srv, err := mock.New(mock.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		panic(err)
	}
	if err := srv.Start(); err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(srv.Addr().String(), "127.0.0.1:"))
	fmt.Println(srv.Shutdown(context.Background()))
	// Output:
	// true
	// <nil>
}
