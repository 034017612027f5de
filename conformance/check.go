package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/contactkit/contactkit"
)

// tolerated holds answers design.md's table accepts that the contract's responses
// do not list: a create body that is malformed or not an array may answer 400 (the
// contract's createContacts description says so, but documents only 422). Such an
// answer must still be an envelope with statusCode and code right.
var tolerated = map[string][]int{
	contactkit.OpCreateContacts: {http.StatusBadRequest},
}

// checker holds the contract and judges every answer against it, unasked.
type checker struct {
	spec *contactkit.Spec
}

// exchange is one request and its answer, as the checks see them.
type exchange struct {
	op        string // operationId; "" for a route the contract does not have
	method    string
	apiPath   string // the path below the target's base, as the contract writes it
	query     url.Values
	status    int
	header    http.Header
	body      []byte
	truncated bool
}

// loc names a place in the contract, as a reader finds it in openapi.yaml.
func loc(fragment string) string { return contactkit.SpecFile + fragment }

func (c *checker) opLocation(op string) string {
	o := c.spec.Op(op)
	if o == nil {
		return loc("#/paths")
	}
	return loc("#/paths/" + escapeToken(o.Path) + "/" + strings.ToLower(o.Method))
}

// check runs the checks every answer gets and returns the decoded body (nil when
// it is not JSON) with every finding.
func (c *checker) check(ctx context.Context, x *exchange) (any, []Finding) {
	var out []Finding
	add := func(f Finding) { out = append(out, f) }

	route, pathParams, routeErr := c.findRoute(x)
	var op *openapi3.Operation
	if routeErr == nil && (x.op == "" || route.Operation.OperationID == x.op) {
		op = route.Operation
		x.op = op.OperationID
	}

	if x.status >= 300 && x.status < 400 {
		add(Finding{Check: CheckRedirect, Message: fmt.Sprintf("answered %d redirecting to %q; the API never redirects and the runner does not follow", x.status, x.header.Get("Location")),
			Expected: "no redirect", Actual: strconv.Itoa(x.status), Contract: c.responsesLocation(x.op)})
	} else if op != nil {
		if op.Responses.Status(x.status) == nil && !slices.Contains(tolerated[x.op], x.status) {
			add(Finding{Check: CheckStatus, Message: fmt.Sprintf("status %d is not one %s documents (%s)", x.status, x.op, strings.Join(documentedStatuses(op), ", ")),
				Expected: "one of " + strings.Join(documentedStatuses(op), ", "), Actual: strconv.Itoa(x.status), Contract: c.responsesLocation(x.op)})
		}
	} else if x.status != http.StatusNotFound && x.status != http.StatusMethodNotAllowed {
		add(Finding{Check: CheckStatus, Message: fmt.Sprintf("%s %s is not a route of the contract, so it must answer 404 (or 405), not %d", x.method, x.apiPath, x.status),
			Expected: "404 or 405", Actual: strconv.Itoa(x.status), Contract: loc("#/info/description")})
	}

	mt, _, ctErr := mime.ParseMediaType(x.header.Get("Content-Type"))
	if ctErr != nil || mt != "application/json" {
		add(Finding{Check: CheckContentType, Message: fmt.Sprintf("content type is %q, want application/json", x.header.Get("Content-Type")),
			Expected: "application/json", Actual: x.header.Get("Content-Type"), Contract: c.contentLocation(x.op, x.status)})
	}

	if x.truncated {
		add(Finding{Check: CheckBody, Message: fmt.Sprintf("body is larger than the %d bytes the runner reads; an answer of this API is never that big", maxBody),
			Expected: fmt.Sprintf("at most %d bytes", maxBody), Actual: "more"})
		return nil, out
	}
	var body any
	dec := json.NewDecoder(bytes.NewReader(x.body))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil || dec.Decode(new(any)) != io.EOF {
		msg := "body is not JSON"
		if err != nil {
			msg += ": " + err.Error()
		} else {
			msg += ": data after the JSON value"
		}
		add(Finding{Check: CheckBody, Message: msg, Expected: "a JSON envelope", Actual: oneLine(string(x.body), 120), Contract: loc("#/info/description")})
		return nil, out
	}

	if op != nil && op.Responses.Status(x.status) != nil {
		out = append(out, c.validate(ctx, x, route, pathParams, c.schemaBody(x, body))...)
	} else {
		out = append(out, c.validateEnvelope(body, x.status)...)
	}
	out = append(out, c.envelope(x, body)...)
	if x.op == contactkit.OpListContacts && x.status == http.StatusOK {
		out = append(out, pageChecks(c.spec.Paging, x.query, body)...)
	}
	return body, collapse(out)
}

// schemaBody is the body the schema check reads. A list answer holding more items
// than the contract's largest limit is already wrong, and the page checks say so;
// the schema check then reads only the first few more than that limit, so a
// hostile list of a million items costs no more than an honest page.
func (c *checker) schemaBody(x *exchange, body any) []byte {
	top := int(c.spec.Paging.Limit.Max)
	obj, _ := body.(map[string]any)
	data, _ := obj["data"].([]any)
	if top <= 0 || len(data) <= top+morePlaces {
		return x.body
	}
	trimmed := maps.Clone(obj)
	trimmed["data"] = data[:top+morePlaces]
	b, err := json.Marshal(trimmed)
	if err != nil {
		return x.body
	}
	return b
}

func documentedStatuses(op *openapi3.Operation) []string {
	var out []string
	for s := range op.Responses.Map() {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (c *checker) responsesLocation(op string) string {
	if op == "" {
		return loc("#/info/description")
	}
	return c.opLocation(op) + "/responses"
}

func (c *checker) contentLocation(op string, status int) string {
	if op == "" {
		return loc("#/info/description")
	}
	o := c.spec.Op(op)
	if o == nil || o.Operation.Responses.Status(status) == nil {
		return c.responsesLocation(op)
	}
	if ref := o.Operation.Responses.Status(status).Ref; ref != "" {
		return loc(ref + "/content")
	}
	return c.responsesLocation(op) + "/" + strconv.Itoa(status) + "/content"
}

func (c *checker) findRoute(x *exchange) (*routers.Route, map[string]string, error) {
	u := &url.URL{Path: x.apiPath, RawQuery: x.query.Encode()}
	req, err := http.NewRequest(x.method, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	return c.spec.Router.FindRoute(req)
}

// validate checks the body against the operation's response schema with
// kin-openapi, every violation at once.
func (c *checker) validate(ctx context.Context, x *exchange, route *routers.Route, pathParams map[string]string, body []byte) []Finding {
	u := &url.URL{Path: x.apiPath, RawQuery: x.query.Encode()}
	req, err := http.NewRequestWithContext(ctx, x.method, u.String(), nil)
	if err != nil {
		return nil
	}
	// A fresh input per answer: validation mutates it.
	header := x.header.Clone()
	// The content type is judged apart; forcing it here still checks the body.
	header.Set("Content-Type", "application/json")
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route},
		Status:                 x.status,
		Header:                 header,
		Options: &openapi3filter.Options{
			MultiError:              true,
			IncludeResponseStatus:   true,
			SchemaValidationOptions: contactkit.SchemaOptions(),
		},
	}
	input.SetBodyBytes(body)
	err = openapi3filter.ValidateResponse(ctx, input)
	if err == nil {
		return nil
	}
	root := c.responseSchema(route.Operation, x.status)
	var out []Finding
	for _, e := range flatten(err) {
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			toks := se.JSONPointer()
			ptr := pointerOf(toks)
			reason := se.Reason
			if reason == "" {
				reason = se.Error()
			}
			out = append(out, Finding{Check: CheckSchema, Message: fmt.Sprintf("%s: %s", orRoot(ptr), reason), Pointer: ptr,
				Expected: schemaExpectation(se), Actual: show(se.Value), Contract: schemaLocation(root, toks, se.SchemaField)})
			continue
		}
		var re *openapi3filter.ResponseError
		if errors.As(e, &re) && re.Reason == "status is not supported" {
			continue // reported by the status check
		}
		out = append(out, Finding{Check: CheckSchema, Message: e.Error(), Contract: c.contentLocation(x.op, x.status)})
	}
	return out
}

func orRoot(ptr string) string {
	if ptr == "" {
		return "the body"
	}
	return ptr
}

func schemaExpectation(se *openapi3.SchemaError) string {
	s := se.Schema
	if s == nil {
		return se.SchemaField
	}
	switch se.SchemaField {
	case "type":
		if s.Type != nil {
			w := strings.Join(s.Type.Slice(), " or ")
			if s.Format != "" {
				w += " (" + s.Format + ")"
			}
			return w
		}
	case "format":
		return "format " + s.Format
	case "required":
		return "required: " + strings.Join(s.Required, ", ")
	case "enum":
		return "one of " + show(s.Enum)
	case "minimum":
		if s.Min != nil {
			return fmt.Sprintf(">= %v", *s.Min)
		}
	case "maximum":
		if s.Max != nil {
			return fmt.Sprintf("<= %v", *s.Max)
		}
	case "nullable":
		return "not null"
	}
	return se.SchemaField
}

// flatten unpacks kin-openapi's multi-errors into single errors, for the answer
// checks and the request check alike. It looks at each error's own type, not its
// chain: a RequestError keeps the parameter or body it is about, and a
// ResponseError that only wraps a body's schema errors gives way to them.
func flatten(err error) []error {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []error
		for _, inner := range e {
			out = append(out, flatten(inner)...)
		}
		return out
	case *openapi3.SchemaError:
		if me, ok := e.Origin.(openapi3.MultiError); ok {
			return flatten(me)
		}
	case *openapi3filter.ResponseError:
		var me openapi3.MultiError
		var se *openapi3.SchemaError
		if errors.As(e.Err, &me) {
			return flatten(me)
		}
		if errors.As(e.Err, &se) {
			return flatten(se)
		}
	}
	return []error{err}
}

func (c *checker) responseSchema(op *openapi3.Operation, status int) *openapi3.SchemaRef {
	r := op.Responses.Status(status)
	if r == nil || r.Value == nil {
		return nil
	}
	m := r.Value.Content.Get("application/json")
	if m == nil {
		return nil
	}
	return m.Schema
}

// schemaLocation walks the response schema along the pointer to the schema that
// rules the value, and names it by the nearest named schema it passes:
// /data/0/phone of a page is #/components/schemas/Contact/properties/phone.
func schemaLocation(root *openapi3.SchemaRef, toks []string, field string) string {
	if root == nil {
		return ""
	}
	if field == "required" && len(toks) > 0 {
		toks = toks[:len(toks)-1] // kin-openapi points at the missing property
	}
	cur := root
	at := root.Ref
	for _, t := range toks {
		if cur.Ref != "" {
			at = cur.Ref
		}
		s := cur.Value
		if s == nil {
			break
		}
		if p, ok := s.Properties[t]; ok {
			at += "/properties/" + escapeToken(t)
			cur = p
		} else if s.Items != nil && isIndex(t) {
			at += "/items"
			cur = s.Items
		} else if s.AdditionalProperties.Schema != nil {
			at += "/additionalProperties"
			cur = s.AdditionalProperties.Schema
		} else {
			break
		}
	}
	if field == "required" || field == "additionalProperties" {
		if cur.Ref != "" {
			at = cur.Ref
		}
		at += "/" + field
	}
	if at == "" {
		return ""
	}
	return loc(at)
}

func isIndex(t string) bool {
	_, err := strconv.Atoi(t)
	return err == nil
}

// validateEnvelope checks an answer with no operation schema (an unknown route, an
// undocumented status) against the bare envelope.
func (c *checker) validateEnvelope(body any, status int) []Finding {
	root := c.spec.Envelope
	opts := append([]openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsResponse()}, contactkit.SchemaOptions()...)
	err := root.Value.VisitJSON(plain(body), opts...)
	if err == nil {
		return nil
	}
	var out []Finding
	for _, e := range flatten(err) {
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			if status == http.StatusMethodNotAllowed && se.SchemaField == "enum" {
				continue // 405 is allowed for an unknown method, and has no word in the contract's enums
			}
			ptr := ""
			for _, t := range se.JSONPointer() {
				ptr += "/" + escapeToken(t)
			}
			out = append(out, Finding{Check: CheckSchema, Message: fmt.Sprintf("%s: %s", orRoot(ptr), se.Reason), Pointer: ptr,
				Expected: schemaExpectation(se), Actual: show(se.Value), Contract: schemaLocation(root, se.JSONPointer(), se.SchemaField)})
		}
	}
	return out
}

// plain converts json.Number to float64, the form kin-openapi's VisitJSON expects.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	}
	return v
}

// envelope checks the invariants every answer shares: statusCode repeats the HTTP
// status, code is its word, message is the docs' sentence.
func (c *checker) envelope(x *exchange, body any) []Finding {
	obj, ok := body.(map[string]any)
	if !ok {
		return []Finding{{Check: CheckEnvelope, Message: "body is not a JSON object envelope", Expected: "object", Actual: jsonType(body), Contract: loc("#/info/description")}}
	}
	var out []Finding
	rule := loc("#/info/description")
	if sc, ok := obj["statusCode"]; ok && !jsonEqual(sc, x.status) {
		out = append(out, Finding{Check: CheckEnvelope, Pointer: "/statusCode", Message: fmt.Sprintf("envelope statusCode %s disagrees with the HTTP status %d", show(sc), x.status),
			Expected: strconv.Itoa(x.status), Actual: show(sc), Contract: rule})
	}
	if want := contactkit.Code(x.status); want != "" {
		if code, ok := obj["code"]; ok && !jsonEqual(code, want) {
			out = append(out, Finding{Check: CheckEnvelope, Pointer: "/code", Message: fmt.Sprintf("envelope code %s is not the word for %d", show(code), x.status),
				Expected: strconv.Quote(want), Actual: show(code), Contract: rule})
		}
	}
	msgOp := x.op
	if msgOp == "" && x.status == http.StatusNotFound {
		msgOp = contactkit.OpListContacts // the docs' one 404 sentence, for any route
	}
	o := c.spec.Op(msgOp)
	if o == nil {
		return out
	}
	if want := o.Message(x.status); want != "" {
		if msg, ok := obj["message"]; ok && !jsonEqual(msg, want) {
			where := rule
			if r := o.Operation.Responses.Status(x.status); r != nil && r.Ref != "" {
				where = loc(r.Ref + "/content/application~1json/examples/docs")
			}
			out = append(out, Finding{Check: CheckEnvelope, Pointer: "/message", Message: fmt.Sprintf("envelope message is not the docs' sentence for %d", x.status),
				Expected: strconv.Quote(want), Actual: show(msg), Contract: where})
		}
	}
	return out
}

// Exchange is one request and its answer, as the checks every answer gets see them.
// The runner, the explorer and the proxy all judge traffic through it.
type Exchange struct {
	// Op is the operationId the request was meant for; "" lets the checks find it
	// from Method and Path.
	Op     string
	Method string
	// Path is the path below the target's base, as the contract writes it.
	Path   string
	Query  url.Values
	Status int
	Header http.Header
	Body   []byte
	// Truncated says Body was cut at the size a reader keeps.
	Truncated bool
}

// Checker judges answers against the contract: the checks every answer gets,
// unasked. It is safe for concurrent use.
type Checker struct{ c checker }

// NewChecker returns a Checker for the contract spec indexes.
func NewChecker(spec *contactkit.Spec) *Checker {
	return &Checker{c: checker{spec: spec}}
}

// Check runs every check on x and returns the operation it was found to be ("" for
// a route the contract does not have), the decoded body (nil when it is not JSON)
// and every finding.
func (c *Checker) Check(ctx context.Context, x Exchange) (op string, body any, findings []Finding) {
	in := &exchange{op: x.Op, method: x.Method, apiPath: x.Path, query: x.Query, status: x.Status, header: x.Header, body: x.Body, truncated: x.Truncated}
	body, findings = c.c.check(ctx, in)
	return in.op, body, findings
}
