package serve_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/contactkit/contactkit/serve"
)

func ExampleStart() {
	s, err := serve.Start(serve.Config{
		Addr:    "127.0.0.1:0",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") }),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Shutdown(context.Background())
	resp, err := http.Get("http://" + s.Addr().String() + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 hello
}
