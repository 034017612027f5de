// Package contactkit holds the Contacts API contract (openapi.yaml, embedded) and
// loads it for the mock and the conformance runner, which never import each other.
package contactkit

import (
	"context"
	_ "embed"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:embed openapi.yaml
var contract []byte

// SpecFile is the name the contract is served and reported under, as in
// "openapi.yaml#/components/schemas/Contact".
const SpecFile = "openapi.yaml"

// Operation ids of the contract, shared by the mock and the runner.
const (
	OpListContacts       = "listContacts"
	OpGetContact         = "getContact"
	OpCreateContacts     = "createContacts"
	OpToggleContactBlock = "toggleContactBlock"
	OpDeleteContact      = "deleteContact"
)

// Contract returns the embedded openapi.yaml, byte for byte.
func Contract() []byte {
	return append([]byte(nil), contract...)
}

var (
	loadOnce sync.Once
	loaded   *openapi3.T
	loadErr  error
)

// Load parses and validates the embedded contract, examples included. It does the
// work once; every caller shares the result and must treat it as read-only.
func Load() (*openapi3.T, error) {
	loadOnce.Do(func() {
		loaded, loadErr = Parse(contract)
	})
	return loaded, loadErr
}

// Parse loads and validates a contract from YAML or JSON bytes.
func Parse(data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("parse contract: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate contract: %w", err)
	}
	return doc, nil
}

// NewRouter builds a kin-openapi router for doc that matches requests on any host:
// the contract's servers list only documents where the mock listens by default.
func NewRouter(doc *openapi3.T) (routers.Router, error) {
	hostless := *doc
	hostless.Servers = nil
	r, err := gorillamux.NewRouter(&hostless)
	if err != nil {
		return nil, fmt.Errorf("build router: %w", err)
	}
	return r, nil
}

// schemaOptions checks `format: uuid`, which kin-openapi leaves unchecked unless
// asked. RFC 9562 admits every version in use (v1 as in the docs' example, v4, v7).
// The format map is shared and never written: WithStringFormatValidators keeps
// it as is, where WithStringFormatValidator would build a map on every VisitJSON,
// a cost paid on each parameter of each request.
var schemaOptions = []openapi3.SchemaValidationOption{
	openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
		"uuid": openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562),
	}),
}

// SchemaOptions are the schema validation options every check against the contract
// uses, so the mock and the runner judge formats alike. Callers must not modify
// the slice.
func SchemaOptions() []openapi3.SchemaValidationOption {
	return schemaOptions
}
