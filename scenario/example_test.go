package scenario_test

import (
	"fmt"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/scenario"
)

// A scenario file that does not load says where and why.
func ExampleParse() {
	spec, err := contactkit.LoadSpec()
	if err != nil {
		panic(err)
	}
	_, err = scenario.Parse(spec, "my-suite/block.yaml", []byte(`name: block twice
steps:
  - name: toggle
    op: toggleBlock
    expect: {status: 200}
`))
	fmt.Println(err)
	// Output: my-suite/block.yaml:4: op "toggleBlock" is not an operationId of the contract (known: createContacts, deleteContact, getContact, listContacts, toggleContactBlock)
}
