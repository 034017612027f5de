package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	doc    *openapi3.T
	router routers.Router
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
	method, p, _ := contactkit.Operation(c.doc, op)
	if p == "" {
		return loc("#/paths")
	}
	return loc("#/paths/" + escapeToken(p) + "/" + strings.ToLower(method))
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
		out = append(out, c.validate(ctx, x, route, pathParams)...)
	} else {
		out = append(out, c.validateEnvelope(body, x.status)...)
	}
	out = append(out, c.envelope(x, body)...)
	if x.op == contactkit.OpListContacts && x.status == http.StatusOK {
		out = append(out, pageChecks(x.query, body)...)
	}
	return body, out
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
	_, _, o := contactkit.Operation(c.doc, op)
	if o == nil || o.Responses.Status(status) == nil {
		return c.responsesLocation(op)
	}
	if ref := o.Responses.Status(status).Ref; ref != "" {
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
	return c.router.FindRoute(req)
}

// validate checks the body against the operation's response schema with
// kin-openapi, every violation at once.
func (c *checker) validate(ctx context.Context, x *exchange, route *routers.Route, pathParams map[string]string) []Finding {
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
	input.SetBodyBytes(x.body)
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
			ptr := ""
			for _, t := range toks {
				ptr += "/" + escapeToken(t)
			}
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

// flatten unpacks kin-openapi's MultiError trees into single errors.
func flatten(err error) []error {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var out []error
		for _, e := range me {
			out = append(out, flatten(e)...)
		}
		return out
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && re.Err != nil {
		var inner openapi3.MultiError
		if errors.As(re.Err, &inner) {
			return flatten(inner)
		}
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			var me2 openapi3.MultiError
			if se.Origin != nil && errors.As(se.Origin, &me2) {
				return flatten(me2)
			}
			return []error{se}
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
	ref := c.doc.Components.Schemas["Envelope"]
	if ref == nil || ref.Value == nil {
		return nil
	}
	opts := append([]openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsResponse()}, contactkit.SchemaOptions()...)
	err := ref.Value.VisitJSON(plain(body), opts...)
	if err == nil {
		return nil
	}
	root := &openapi3.SchemaRef{Ref: "#/components/schemas/Envelope", Value: ref.Value}
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
	if want := contactkit.DocsMessage(c.doc, msgOp, x.status); want != "" {
		if msg, ok := obj["message"]; ok && !jsonEqual(msg, want) {
			where := rule
			if _, _, o := contactkit.Operation(c.doc, msgOp); o != nil && o.Responses.Status(x.status) != nil && o.Responses.Status(x.status).Ref != "" {
				where = loc(o.Responses.Status(x.status).Ref + "/content/application~1json/examples/docs")
			}
			out = append(out, Finding{Check: CheckEnvelope, Pointer: "/message", Message: fmt.Sprintf("envelope message is not the docs' sentence for %d", x.status),
				Expected: strconv.Quote(want), Actual: show(msg), Contract: where})
		}
	}
	return out
}

// pageChecks checks that one page's meta describes its data, as the contract's
// listContacts description requires. Each page is a snapshot, so these hold even
// while others write.
func pageChecks(q url.Values, body any) []Finding {
	obj, _ := body.(map[string]any)
	meta, _ := obj["meta"].(map[string]any)
	data, okData := obj["data"].([]any)
	if meta == nil || !okData {
		return nil // the schema check reports the shape
	}
	rule := func(field string) string { return loc("#/components/schemas/PageMeta/properties/" + field) }
	num := func(k string) (int64, bool) {
		r, ok := toRat(meta[k])
		if !ok || !r.IsInt() || !r.Num().IsInt64() {
			return 0, false
		}
		return r.Num().Int64(), true
	}
	var out []Finding
	bad := func(ptr, msg, want string, got any, field string) {
		out = append(out, Finding{Check: CheckPaging, Pointer: ptr, Message: msg, Expected: want, Actual: show(got), Contract: rule(field)})
	}
	total, ok1 := num("total")
	limit, ok2 := num("limit")
	cur, ok3 := num("current_page")
	last, ok4 := num("last_page")
	if !ok1 || !ok2 || !ok3 || !ok4 || limit < 1 {
		return nil
	}

	wantPage, pageErr := queryInt(q, "page", 1)
	wantLimit, limitErr := queryInt(q, "limit", 10)
	if pageErr == nil && cur != wantPage {
		bad("/meta/current_page", fmt.Sprintf("meta.current_page is %d for page=%d", cur, wantPage), strconv.FormatInt(wantPage, 10), meta["current_page"], "current_page")
	}
	if limitErr == nil {
		switch {
		case wantLimit <= 50 && limit != wantLimit:
			bad("/meta/limit", fmt.Sprintf("meta.limit is %d for limit=%d", limit, wantLimit), strconv.FormatInt(wantLimit, 10), meta["limit"], "limit")
		case wantLimit > 50 && limit > 50:
			bad("/meta/limit", fmt.Sprintf("limit=%d was honoured above the documented max of 50", wantLimit), "<= 50", meta["limit"], "limit")
		}
	}
	if first, ok := num("first_page"); ok && first != 1 {
		bad("/meta/first_page", "meta.first_page is not 1", "1", meta["first_page"], "first_page")
	}
	wantLast := (total + limit - 1) / limit
	if total == 0 {
		if last != 0 && last != 1 {
			bad("/meta/last_page", "meta.last_page must be 0 or 1 when there are no contacts", "0 or 1", meta["last_page"], "last_page")
		}
	} else if last != wantLast {
		bad("/meta/last_page", fmt.Sprintf("meta.last_page is %d but ceil(total %d / limit %d) is %d", last, total, limit, wantLast), strconv.FormatInt(wantLast, 10), meta["last_page"], "last_page")
	}
	// Where the page sits, judged by the real last page, so a wrong last_page is
	// reported once, above.
	realLast := max(wantLast, 1)
	prev, hasPrev := meta["previous_page"]
	switch {
	case cur == 1 && hasPrev && prev != nil:
		bad("/meta/previous_page", "meta.previous_page must be null on the first page", "null", prev, "previous_page")
	case cur > 1 && cur <= realLast:
		if p, ok := num("previous_page"); !ok || p != cur-1 {
			bad("/meta/previous_page", fmt.Sprintf("meta.previous_page must be %d on page %d", cur-1, cur), strconv.FormatInt(cur-1, 10), prev, "previous_page")
		}
	case cur > realLast:
		if p, ok := num("previous_page"); !ok || p >= cur {
			bad("/meta/previous_page", fmt.Sprintf("meta.previous_page must be a page before %d", cur), fmt.Sprintf("< %d", cur), prev, "previous_page")
		}
	}
	next, hasNext := meta["next_page"]
	if cur >= realLast {
		if hasNext && next != nil {
			bad("/meta/next_page", fmt.Sprintf("meta.next_page must be null on the last page (page %d of %d) and past it", cur, realLast), "null", next, "next_page")
		}
	} else if n, ok := num("next_page"); !ok || n != cur+1 {
		bad("/meta/next_page", fmt.Sprintf("meta.next_page must be %d on page %d of %d", cur+1, cur, realLast), strconv.FormatInt(cur+1, 10), next, "next_page")
	}
	var wantLen int64
	switch {
	case cur < realLast:
		wantLen = limit
	case cur == realLast:
		wantLen = total - (realLast-1)*limit
	}
	if int64(len(data)) != wantLen {
		what := fmt.Sprintf("page %d holds %d contacts, but total %d and limit %d put %d there", cur, len(data), total, limit, wantLen)
		if cur > realLast {
			what = fmt.Sprintf("page %d is past the last page (%d) yet holds %d contacts", cur, realLast, len(data))
		}
		out = append(out, Finding{Check: CheckPaging, Pointer: "/data", Message: what, Expected: fmt.Sprintf("%d items", wantLen), Actual: fmt.Sprintf("%d items", len(data)), Contract: loc("#/components/schemas/PageMeta")})
	}
	seen := map[string]int{}
	for i, item := range data {
		id := textOf(field(item, "id"))
		if j, dup := seen[id]; dup {
			out = append(out, Finding{Check: CheckPaging, Pointer: fmt.Sprintf("/data/%d/id", i), Message: fmt.Sprintf("contact %s appears twice on one page (items %d and %d)", id, j, i), Contract: loc("#/components/schemas/PageMeta")})
		}
		seen[id] = i
	}
	return out
}

func field(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

func queryInt(q url.Values, name string, def int64) (int64, error) {
	if !q.Has(name) {
		return def, nil
	}
	return strconv.ParseInt(q.Get(name), 10, 64)
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
	return &Checker{c: checker{doc: spec.Doc, router: spec.Router}}
}

// Check runs every check on x and returns the operation it was found to be ("" for
// a route the contract does not have), the decoded body (nil when it is not JSON)
// and every finding.
func (c *Checker) Check(ctx context.Context, x Exchange) (op string, body any, findings []Finding) {
	in := &exchange{op: x.Op, method: x.Method, apiPath: x.Path, query: x.Query, status: x.Status, header: x.Header, body: x.Body, truncated: x.Truncated}
	body, findings = c.c.check(ctx, in)
	return in.op, body, findings
}
