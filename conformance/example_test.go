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

// A scenario file that does not load says where and why.
func ExampleParse() {
	_, err := conformance.Parse("my-suite/block.yaml", []byte(`name: block twice
steps:
  - name: toggle
    op: toggleBlock
    expect: {status: 200}
`))
	fmt.Println(err)
	// Output: my-suite/block.yaml:4: op "toggleBlock" is not an operationId of the contract (known: createContacts, deleteContact, getContact, listContacts, toggleContactBlock)
}
