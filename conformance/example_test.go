package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/contactkit/contactkit/conformance"
)

// Run the embedded default suite against an implementation; here, the tests'
// faithful in-memory double.
func ExampleRun() {
	srv := httptest.NewServer(newDouble(flawNone))
	defer srv.Close()

	rep, err := conformance.Run(context.Background(), conformance.Config{
		Target:     srv.URL,
		Token:      testToken,
		App:        testApp,
		ForeignApp: testForeign,
	})
	switch {
	case errors.Is(err, conformance.ErrUnreachable):
		fmt.Println("target down:", err)
	case err != nil:
		fmt.Println("cannot run:", err)
	default:
		fmt.Println("all match:", rep.OK(), "failed steps:", rep.Summary.Steps.Failed)
	}
	// Output: all match: true failed steps: 0
}
