package contactkit

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// EnvelopeSchema names the schema every answer's body is wrapped in.
const EnvelopeSchema = "Envelope"

// Spec is the contract read once: its operations by id with their documented
// statuses and examples, the paging bounds, and a router. The mock, the runner and
// the proxy ask it instead of repeating a fact openapi.yaml holds. It is read-only
// once built and safe to share between goroutines.
type Spec struct {
	Doc    *openapi3.T
	Router routers.Router
	// Envelope is the schema of every answer's body, with its $ref kept so that
	// findings can name it.
	Envelope *openapi3.SchemaRef
	Paging   Paging

	ops   map[string]*Op
	order []*Op
	codes map[int]string // the envelope's code word by status, from the examples
}

// Op is one operation of the contract.
type Op struct {
	ID        string
	Method    string // upper case, as in net/http
	Path      string // the template, "/contacts/{appId}/{contactId}"
	Operation *openapi3.Operation
	// Statuses are the documented HTTP statuses, ascending.
	Statuses []int
	// HeaderOrCookieParams is true when an answer may depend on a header or a
	// cookie the contract declares, beyond method, path and query.
	HeaderOrCookieParams bool
	// Params are the path and query parameters, the path item's and the operation's.
	Params openapi3.Parameters

	messages map[int]string
	// examples are the named examples of each documented answer, as decoded.
	examples map[int]map[string]any
}

// Paging holds the bounds of listContacts' `page` and `limit`, read from their
// schemas.
type Paging struct {
	Page  Bounds
	Limit Bounds
}

// Bounds are an integer parameter's schema: minimum, maximum (0 when unbounded)
// and default.
type Bounds struct {
	Min, Max, Default int64
}

var (
	specOnce sync.Once
	spec     *Spec
	specErr  error
)

// LoadSpec returns the index of the embedded contract, built once and shared.
func LoadSpec() (*Spec, error) {
	specOnce.Do(func() {
		doc, err := Load()
		if err != nil {
			specErr = err
			return
		}
		spec, specErr = NewSpec(doc)
	})
	return spec, specErr
}

// NewSpec indexes doc. Tests use it on a changed copy of the contract to show that
// everything built on the index follows the contract.
func NewSpec(doc *openapi3.T) (*Spec, error) {
	router, err := NewRouter(doc)
	if err != nil {
		return nil, err
	}
	s := &Spec{Doc: doc, Router: router, ops: map[string]*Op{}, codes: map[int]string{}}
	if doc.Components != nil {
		if ref := doc.Components.Schemas[EnvelopeSchema]; ref != nil && ref.Value != nil {
			s.Envelope = &openapi3.SchemaRef{Ref: "#/components/schemas/" + EnvelopeSchema, Value: ref.Value}
		}
	}
	if s.Envelope == nil {
		return nil, fmt.Errorf("index contract: no %s schema", EnvelopeSchema)
	}
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			if o.OperationID == "" {
				return nil, fmt.Errorf("index contract: %s %s has no operationId", method, path)
			}
			op := &Op{ID: o.OperationID, Method: method, Path: path, Operation: o,
				messages: map[int]string{}, examples: map[int]map[string]any{}}
			for _, params := range []openapi3.Parameters{item.Parameters, o.Parameters} {
				for _, p := range params {
					if p.Value == nil {
						continue
					}
					switch p.Value.In {
					case openapi3.ParameterInHeader, openapi3.ParameterInCookie:
						op.HeaderOrCookieParams = true
					default:
						op.Params = append(op.Params, p)
					}
				}
			}
			for code, resp := range o.Responses.Map() {
				status, err := strconv.Atoi(code)
				if err != nil {
					continue // "default" or a range: documents no single status
				}
				op.Statuses = append(op.Statuses, status)
				op.messages[status] = docsMessage(resp)
				op.examples[status] = examplesOf(resp)
				if err := s.readCodes(op.ID, status, op.examples[status]); err != nil {
					return nil, err
				}
			}
			slices.Sort(op.Statuses)
			s.ops[op.ID] = op
			s.order = append(s.order, op)
		}
	}
	slices.SortFunc(s.order, func(a, b *Op) int { return cmp.Compare(a.ID, b.ID) })
	list := s.ops[OpListContacts]
	if list == nil {
		return nil, fmt.Errorf("index contract: no %s operation", OpListContacts)
	}
	if s.Paging.Page, err = list.bounds("page"); err != nil {
		return nil, err
	}
	if s.Paging.Limit, err = list.bounds("limit"); err != nil {
		return nil, err
	}
	return s, nil
}

// readCodes learns the envelope's code word for status from an answer's
// examples, which must agree with each other and with every other answer's.
func (s *Spec) readCodes(opID string, status int, examples map[string]any) error {
	for name, ex := range examples {
		body, _ := ex.(map[string]any)
		code, ok := body["code"].(string)
		if !ok {
			continue
		}
		if sc, ok := asInt(body["statusCode"]); !ok || sc != status {
			return fmt.Errorf("index contract: %s %d example %s says statusCode %v", opID, status, name, body["statusCode"])
		}
		if known, ok := s.codes[status]; ok && known != code {
			return fmt.Errorf("index contract: %s %d example %s says code %q, another answer %q", opID, status, name, code, known)
		}
		for other, word := range s.codes {
			if word == code && other != status {
				return fmt.Errorf("index contract: %s %d example %s says code %q, the word of %d", opID, status, name, code, other)
			}
		}
		s.codes[status] = code
	}
	return nil
}

func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		return int(n), float64(int(n)) == n
	case int:
		return n, true
	case int64:
		return int(n), true
	}
	return 0, false
}

// Code returns the envelope's `code` word for status as the contract's examples
// give it, or "" for a status the contract never answers.
func (s *Spec) Code(status int) string { return s.codes[status] }

// Word returns the `code` word for any status: the contract's (Code), or for a
// status it never answers (500, 503, a proxy's 502) one made as the contract's are
// made, from the status's name: INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE.
func (s *Spec) Word(status int) string {
	if c := s.codes[status]; c != "" {
		return c
	}
	return statusWord(status)
}

// Op returns the operation with that id, or nil.
func (s *Spec) Op(id string) *Op { return s.ops[id] }

// Ops returns every operation, ordered by id.
func (s *Spec) Ops() []*Op { return slices.Clone(s.order) }

// Documents reports whether status is one the operation documents.
func (o *Op) Documents(status int) bool {
	_, ok := slices.BinarySearch(o.Statuses, status)
	return ok
}

// Message returns the `message` of the docs' example for the operation's status, the
// sentence a faithful server sends, or "" when the contract has none.
func (o *Op) Message(status int) string { return o.messages[status] }

// Example returns the named example of the operation's answer with status, as
// decoded from the contract (objects are map[string]any), or nil.
func (o *Op) Example(status int, name string) any { return o.examples[status][name] }

// ExampleError returns one entry of the `errors` of a named example (a 422's
// `0.phone`), the API's own words for that problem, or "".
func (o *Op) ExampleError(status int, name, key string) string {
	body, _ := o.Example(status, name).(map[string]any)
	errs, _ := body["errors"].(map[string]any)
	msg, _ := errs[key].(string)
	return msg
}

// Param returns the path or query parameter of that name, or nil.
func (o *Op) Param(name string) *openapi3.Parameter {
	for _, p := range o.Params {
		if p.Value.Name == name {
			return p.Value
		}
	}
	return nil
}

func (o *Op) bounds(name string) (Bounds, error) {
	p := o.Param(name)
	if p == nil || p.Schema == nil || p.Schema.Value == nil {
		return Bounds{}, fmt.Errorf("index contract: %s has no %s parameter with a schema", o.ID, name)
	}
	sc := p.Schema.Value
	var b Bounds
	if sc.Min != nil {
		b.Min = int64(*sc.Min)
	}
	if sc.Max != nil {
		b.Max = int64(*sc.Max)
	}
	switch d := sc.Default.(type) {
	case float64:
		b.Default = int64(d)
	case int:
		b.Default = int64(d)
	case int64:
		b.Default = d
	default:
		return Bounds{}, fmt.Errorf("index contract: %s parameter %s has no integer default", o.ID, name)
	}
	return b, nil
}

func docsMessage(resp *openapi3.ResponseRef) string {
	body, _ := examplesOf(resp)["docs"].(map[string]any)
	msg, _ := body["message"].(string)
	return msg
}

// examplesOf returns the named examples of an answer's JSON body.
func examplesOf(resp *openapi3.ResponseRef) map[string]any {
	out := map[string]any{}
	if resp == nil || resp.Value == nil {
		return out
	}
	media := resp.Value.Content.Get("application/json")
	if media == nil {
		return out
	}
	for name, ex := range media.Examples {
		if ex != nil && ex.Value != nil {
			out[name] = ex.Value.Value
		}
	}
	return out
}
