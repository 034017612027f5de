package model_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance/model"
)

// A deleted contact that shows up again in a list is a finding.
func ExampleModel_Observe() {
	spec, err := contactkit.LoadSpec()
	if err != nil {
		panic(err)
	}
	m := model.New(spec, model.Config{})
	const id = "abc5ea66-11ad-11ef-8e7a-00155d34f1bf"
	m.Observe(model.Exchange{Op: contactkit.OpDeleteContact, App: "app1", ContactID: id, Status: 200})

	dec := json.NewDecoder(strings.NewReader(`{"data":[{"id":"` + id + `","phone":6280000000000,"tag":"John Doe","is_blocked":false,"created_at":"2024-05-14T11:51:48.000+07:00"}]}`))
	dec.UseNumber()
	var page any
	if err := dec.Decode(&page); err != nil {
		panic(err)
	}
	for _, f := range m.Observe(model.Exchange{Op: contactkit.OpListContacts, App: "app1", Status: 200, Body: page}) {
		fmt.Println(f.Check, f.Pointer, f.Message)
	}
	// Output:
	// model /data/0 contact abc5ea66-11ad-11ef-8e7a-00155d34f1bf was deleted, yet it shows up again
}
