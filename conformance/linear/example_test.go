package linear_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance/linear"
)

func ExampleRun() {
	spec, err := contactkit.LoadSpec()
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(newDouble(spec, faithful)) // any implementation of the API
	defer srv.Close()

	res, err := linear.Run(context.Background(), linear.Config{Target: srv.URL, Token: doubleToken, App: doubleApp, Seed: 7})
	if err != nil {
		panic(err)
	}
	fmt.Printf("ok %v: %d rounds, %d judged, %d findings\n", res.OK(), res.Rounds, res.Judged, len(res.Findings))
	for _, f := range res.Findings {
		fmt.Println(f, f.Contract)
	}
	// Output: ok true: 9 rounds, 9 judged, 0 findings
}
