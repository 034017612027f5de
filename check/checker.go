package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/contactkit/contactkit"
)

// MaxBody caps what a judge reads of an answer: every answer of this API is far
// smaller, and a hostile target must not exhaust memory.
const MaxBody = 1 << 20

// Exchange is one request and its answer, as the checks every answer gets see them.
type Exchange struct {
	// Op is the operationId the request was meant for; "" lets the checks find it
	// from Method and Path.
	Op     string
	Method string
	// Path is the path below the target's base, as the contract writes it.
	Path  string
	Query url.Values
	// RequestHeader is what the request sent, when known: the checks read its
	// Accept and Content-Type to know which answers HTTP allows.
	RequestHeader http.Header
	// RequestBody says the request carried a body.
	RequestBody bool
	Status      int
	Header      http.Header
	Body        []byte
	// Truncated says Body was cut at the size a reader keeps (MaxBody).
	Truncated bool
}

// Checker judges exchanges against the contract: the checks every answer gets,
// unasked, and the request check. It is safe for concurrent use.
type Checker struct {
	spec *contactkit.Spec
}

// New returns a Checker for the contract spec indexes.
func New(spec *contactkit.Spec) *Checker { return &Checker{spec: spec} }

// Spec returns the contract the Checker judges by.
func (c *Checker) Spec() *contactkit.Spec { return c.spec }

// Check runs every check on x and returns the operation it was found to be ("" for
// a route the contract does not have), the decoded body (nil when it is not JSON,
// numbers as json.Number) and every finding.
func (c *Checker) Check(ctx context.Context, x Exchange) (op string, body any, findings []Finding) {
	j := c.judge(x)
	var out []Finding
	add := func(f Finding) { out = append(out, f) }

	switch {
	case x.Status >= 300 && x.Status < 400:
		f := Finding{Check: Redirect, Message: fmt.Sprintf("answered %d redirecting to %q; the API never redirects and the runner does not follow", x.Status, Clip(x.Header.Get("Location"), 200)),
			Expected: "no redirect", Actual: strconv.Itoa(x.Status), Contract: c.responsesLocation(j.op)}
		if j.operation == nil {
			f.Source, f.Reading = Reading, contactkit.ReadingUnknownRoute
		}
		add(f)
	case j.operation != nil && !j.documented && !j.httpAllowed:
		add(Finding{Check: Status, Message: fmt.Sprintf("status %d is not one %s documents (%s)", x.Status, j.op, strings.Join(statusWords(j.operation), ", ")),
			Expected: "one of " + strings.Join(statusWords(j.operation), ", "), Actual: strconv.Itoa(x.Status), Contract: c.responsesLocation(j.op)})
	case j.operation == nil && !j.httpAllowed && x.Status != http.StatusNotFound:
		f := Finding{Check: Status, Message: fmt.Sprintf("%s %s is not a route of the contract, so it must answer 404 (or 405), not %d", Clip(x.Method, 32), Clip(x.Path, 200), x.Status),
			Expected: "404 or 405", Actual: strconv.Itoa(x.Status), Contract: Loc("#/info/description")}
		if x.Status >= 400 && x.Status < 500 {
			// Which refusal an unknown route gets is the docs' silence; that it is
			// a refusal is not.
			f.Source, f.Reading = Reading, contactkit.ReadingUnknownRoute
		}
		add(f)
	}
	if x.Method == http.MethodHead || (x.Method == http.MethodOptions && x.Status < 300) {
		// HEAD answers carry no body, and an OPTIONS answer describes the
		// resource (RFC 9110 9.3.2, 9.3.7): nothing of the envelope to judge.
		return j.op, nil, out
	}

	// Bodies the docs never describe (a status only HTTP gives) are judged as the
	// contract reads them: in the envelope, a warning when not.
	bodySource, bodyReading := Docs, ""
	if j.httpAllowed && !j.documented {
		bodySource, bodyReading = Reading, contactkit.ReadingHTTPStatusBodies
	}
	mark := func(fs []Finding) []Finding {
		if bodySource == Reading {
			return AsReading(bodyReading, fs)
		}
		return fs
	}

	if !isJSONMediaType(x.Header.Get("Content-Type")) {
		f := Finding{Check: ContentType, Source: HTTP, Message: fmt.Sprintf("content type is %q, want application/json", Clip(x.Header.Get("Content-Type"), 100)),
			Expected: "application/json", Actual: Clip(x.Header.Get("Content-Type"), 100), Contract: c.contentLocation(j.op, x.Status)}
		if bodySource == Reading {
			f.Source, f.Reading = Reading, bodyReading
		}
		add(f)
	}
	if x.Truncated {
		add(Finding{Check: Body, Source: bodySource, Reading: bodyReading, Message: fmt.Sprintf("body is larger than the %d bytes a judge reads; an answer of this API is never that big", MaxBody),
			Expected: fmt.Sprintf("at most %d bytes", MaxBody), Actual: "more"})
		return j.op, nil, out
	}
	body, skipped, err := decodeAnswer(x.Body)
	if err != nil {
		add(Finding{Check: Body, Source: bodySource, Reading: bodyReading, Message: "body is not JSON: " + err.Error(), Expected: "a JSON envelope", Actual: OneLine(string(x.Body), 120), Contract: Loc("#/info/description")})
		return j.op, nil, out
	}
	// What a hostile target packed past the decoding bounds is reported, not
	// judged; the list's data keeps its true length for the page check.
	dataLen := -1
	for _, sk := range skipped {
		f := sk.finding()
		f.Source, f.Reading = bodySource, bodyReading
		add(f)
		if sk.pointer == "/data" && !sk.object {
			dataLen = sk.total
		}
	}

	if j.schema {
		out = append(out, c.validate(ctx, x, j, c.schemaBody(x.Body, body, len(skipped) > 0))...)
	} else {
		shown, _ := forSchema(body, c.schemaItems())
		out = append(out, mark(c.validateEnvelope(shown, x.Status))...)
	}
	out = append(out, mark(c.envelope(x, j, body))...)
	if j.op == contactkit.OpListContacts && x.Status == http.StatusOK {
		out = append(out, page(c.spec.Paging, x.Query, body, dataLen)...)
	}
	return j.op, body, Collapse(out)
}

// judgement is what the checks know of an exchange before they read its body.
type judgement struct {
	op         string
	operation  *openapi3.Operation
	route      *routers.Route
	pathParams map[string]string
	// documented says the status is the operation's: documented, or a reading
	// accepts it; schema says the operation has a schema for it.
	documented, schema bool
	// httpAllowed says HTTP gives the status for what the request was, where the
	// docs give none: 405 for a method the path lacks, 406 for an Accept it cannot
	// meet, 413 and 415 for a body, 414 and 431 for a request too large, 429 for
	// too many requests.
	httpAllowed bool
}

func (c *Checker) judge(x Exchange) judgement {
	var j judgement
	route, params, err := c.findRoute(x.Method, x.Path, x.Query)
	if x.Method == http.MethodHead && errors.Is(err, routers.ErrMethodNotAllowed) {
		// HEAD is GET without the body (RFC 9110 9.3.2).
		if r, p, gerr := c.findRoute(http.MethodGet, x.Path, x.Query); gerr == nil {
			route, params, err = r, p, nil
		}
	}
	if err == nil && (x.Op == "" || route.Operation.OperationID == x.Op) {
		j.route, j.pathParams, j.operation = route, params, route.Operation
		j.op = route.Operation.OperationID
		j.schema = route.Operation.Responses.Status(x.Status) != nil
		j.documented = j.schema
	}
	j.httpAllowed = httpAllows(x, j.operation != nil, errors.Is(err, routers.ErrMethodNotAllowed))
	if j.operation != nil && readingStatus(j.op, x.Status) {
		// A create body that is not a batch may answer 400 (a reading: the
		// contract documents 422); the envelope must still be right.
		j.documented = true
	}
	return j
}

// httpStatuses are the statuses HTTP gives for what a request is, where the docs
// give none; httpAllows says when each does.
var httpStatuses = []int{http.StatusMethodNotAllowed, http.StatusNotAcceptable, http.StatusRequestEntityTooLarge,
	http.StatusRequestURITooLong, http.StatusUnsupportedMediaType, http.StatusTooManyRequests, http.StatusRequestHeaderFieldsTooLarge}

// httpAllows reports whether HTTP gives x's status for the request x is: 405 for
// a route the contract does not have (a method its path lacks, or any method but
// GET), 406 for an Accept without JSON, 413 and 415 for a body, 414, 431 and 429
// for any request.
func httpAllows(x Exchange, known, methodNotAllowed bool) bool {
	switch x.Status {
	case http.StatusMethodNotAllowed:
		return !known && (methodNotAllowed || x.Method != http.MethodGet)
	case http.StatusNotAcceptable:
		return x.RequestHeader.Get("Accept") != "" && !strings.Contains(x.RequestHeader.Get("Accept"), "application/json")
	case http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return x.RequestBody
	case http.StatusRequestURITooLong, http.StatusRequestHeaderFieldsTooLarge, http.StatusTooManyRequests:
		return true
	}
	return false
}

// readingStatus reports a status op answers by a reading of the docs' silence,
// beyond those the contract documents: a create body that is not a batch may
// answer 400.
func readingStatus(op string, status int) bool {
	return op == contactkit.OpCreateContacts && status == http.StatusBadRequest
}

// AnswerStatuses lists, ascending, every status an answer to op may have for some
// request without a status finding: those the contract documents, those a reading
// adds, and those HTTP gives for what a request is. An op of "" is a route the
// contract does not have: 404, and 405 and the rest HTTP gives. A scenario that
// expects another status expects what no faithful server answers.
func AnswerStatuses(spec *contactkit.Spec, op string) []int {
	var out []int
	if o := spec.Op(op); o != nil {
		out = append(out, o.Statuses...)
		if readingStatus(op, http.StatusBadRequest) {
			out = append(out, http.StatusBadRequest)
		}
	} else {
		out = append(out, http.StatusNotFound)
	}
	for _, status := range httpStatuses {
		// The most any request could be: a method no route has, an Accept
		// without JSON, a body.
		x := Exchange{Method: "X", Status: status, RequestHeader: http.Header{"Accept": {"text/plain"}}, RequestBody: true}
		if httpAllows(x, op != "", op == "") {
			out = append(out, status)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isJSONMediaType accepts application/json and any +json type, with parameters
// (a charset) or without.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// schemaBody is the body the schema check reads: raw, unless the decoded body
// was cut (decoded) or holds more than the schema check reads (forSchema). A list
// answer holding more items than the contract's largest limit is already wrong,
// and the page checks say so; the schema check then reads only the first few
// more than that limit, so a hostile list of a million items costs no more than
// an honest page.
func (c *Checker) schemaBody(raw []byte, body any, decoded bool) []byte {
	shown, trimmed := forSchema(body, c.schemaItems())
	if !trimmed && !decoded {
		return raw
	}
	b, err := json.Marshal(shown)
	if err != nil {
		return raw
	}
	return b
}

// schemaItems is how many items of an array the schema check reads: a few more
// than the contract's largest page.
func (c *Checker) schemaItems() int {
	if top := int(c.spec.Paging.Limit.Max); top > 0 {
		return top + MorePlaces
	}
	return MaxJudgedItems
}

func statusWords(op *openapi3.Operation) []string {
	out := slices.Collect(maps.Keys(op.Responses.Map()))
	slices.Sort(out)
	return out
}

func (c *Checker) responsesLocation(op string) string {
	if op == "" {
		return Loc("#/info/description")
	}
	return OpLocation(c.spec, op) + "/responses"
}

func (c *Checker) contentLocation(op string, status int) string {
	if op == "" {
		return Loc("#/info/description")
	}
	o := c.spec.Op(op)
	if o == nil || o.Operation.Responses.Status(status) == nil {
		return c.responsesLocation(op)
	}
	if ref := o.Operation.Responses.Status(status).Ref; ref != "" {
		return Loc(ref + "/content")
	}
	return c.responsesLocation(op) + "/" + strconv.Itoa(status) + "/content"
}

func (c *Checker) findRoute(method, path string, query url.Values) (*routers.Route, map[string]string, error) {
	u := &url.URL{Path: path, RawQuery: query.Encode()}
	req, err := http.NewRequest(method, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	return c.spec.Router.FindRoute(req)
}

// validate checks the body against the operation's response schema with
// kin-openapi, every violation at once.
func (c *Checker) validate(ctx context.Context, x Exchange, j judgement, body []byte) []Finding {
	u := &url.URL{Path: x.Path, RawQuery: x.Query.Encode()}
	req, err := http.NewRequestWithContext(ctx, j.route.Method, u.String(), nil)
	if err != nil {
		return nil
	}
	// A fresh input per answer: validation mutates it.
	header := x.Header.Clone()
	// The content type is judged apart; forcing it here still checks the body.
	header.Set("Content-Type", "application/json")
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: j.pathParams, Route: j.route},
		Status:                 x.Status,
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
	root := responseSchema(j.route.Operation, x.Status)
	var out []Finding
	for _, e := range flatten(err) {
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			out = append(out, schemaFinding(se, root, Schema, ""))
			continue
		}
		var re *openapi3filter.ResponseError
		if errors.As(e, &re) && re.Reason == "status is not supported" {
			continue // reported by the status check
		}
		out = append(out, Finding{Check: Schema, Message: Clip(e.Error(), 300), Contract: c.contentLocation(j.op, x.Status)})
	}
	return out
}

// validateEnvelope checks an answer with no operation schema (an unknown route, an
// undocumented status) against the bare envelope.
func (c *Checker) validateEnvelope(body any, status int) []Finding {
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
			if contactkit.Code(status) == "" && se.SchemaField == "enum" {
				continue // a status HTTP gives has no word in the contract's enums
			}
			out = append(out, schemaFinding(se, root, Schema, ""))
		}
	}
	return out
}

// envelope checks the invariants every answer shares: statusCode repeats the HTTP
// status, code is its word, message is the docs' sentence.
func (c *Checker) envelope(x Exchange, j judgement, body any) []Finding {
	obj, ok := body.(map[string]any)
	if !ok {
		return []Finding{{Check: Envelope, Message: "body is not a JSON object envelope", Expected: "object", Actual: JSONType(body), Contract: Loc("#/info/description")}}
	}
	var out []Finding
	rule := Loc("#/info/description")
	if sc, ok := obj["statusCode"]; ok && !Equal(sc, x.Status) {
		out = append(out, Finding{Check: Envelope, Pointer: "/statusCode", Message: fmt.Sprintf("envelope statusCode %s disagrees with the HTTP status %d", Show(sc), x.Status),
			Expected: strconv.Itoa(x.Status), Actual: Show(sc), Contract: rule})
	}
	if want := contactkit.Code(x.Status); want != "" {
		if code, ok := obj["code"]; ok && !Equal(code, want) {
			out = append(out, Finding{Check: Envelope, Pointer: "/code", Message: fmt.Sprintf("envelope code %s is not the word for %d", Show(code), x.Status),
				Expected: strconv.Quote(want), Actual: Show(code), Contract: rule})
		}
	}
	msgOp := j.op
	if msgOp == "" && x.Status == http.StatusNotFound {
		msgOp = contactkit.OpListContacts // the docs' one 404 sentence, for any route
	}
	o := c.spec.Op(msgOp)
	if o == nil {
		return out
	}
	if want := o.Message(x.Status); want != "" {
		if msg, ok := obj["message"]; ok && !Equal(msg, want) {
			where := rule
			if r := o.Operation.Responses.Status(x.Status); r != nil && r.Ref != "" {
				where = Loc(r.Ref + "/content/application~1json/examples/docs")
			}
			out = append(out, Finding{Check: Envelope, Pointer: "/message", Message: fmt.Sprintf("envelope message is not the docs' sentence for %d", x.Status),
				Expected: strconv.Quote(want), Actual: Show(msg), Contract: where})
		}
	}
	return out
}
