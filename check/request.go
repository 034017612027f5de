package check

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/contactkit/contactkit"
)

// Request is one request as the contract judges it, before any answer.
type Request struct {
	Method string
	// URI is the path below the target's base, with its query, as sent.
	URI    string
	Header http.Header
	Body   []byte
}

// Request routes r with the contract's router and validates it with kin-openapi
// (parameters, body, and a bearer token present: which tokens are granted which
// apps is the server's to say). It returns the operation r is for ("" for a
// route the contract does not have), the path parameters, and every finding, in
// the shape the answer checks give.
func (c *Checker) Request(ctx context.Context, r Request) (op string, params map[string]string, findings []Finding) {
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URI, nil)
	if err != nil {
		return "", nil, []Finding{{Check: BadRequest, Message: "the request line is not one the contract can route", Contract: Loc("#/paths")}}
	}
	req.Header = r.Header
	route, params, err := c.spec.Router.FindRoute(req)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return "", nil, []Finding{{Check: BadRequest, Message: fmt.Sprintf("%s is not a method the contract allows on %s", Clip(r.Method, 32), Clip(req.URL.Path, 200)),
			Expected: "a documented method", Actual: Clip(r.Method, 32), Contract: Loc("#/paths")}}
	case err != nil:
		return "", nil, []Finding{{Check: BadRequest, Message: fmt.Sprintf("%s %s is not a route of the contract", Clip(r.Method, 32), Clip(req.URL.Path, 200)),
			Expected: "a path of openapi.yaml", Actual: Clip(req.URL.Path, 200), Contract: Loc("#/paths")}}
	}
	op = route.Operation.OperationID
	body, unjudged := judgedBody(r.Body)
	findings = unjudged
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	// A fresh input per request: validation mutates it.
	input := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			MultiError:              true,
			AuthenticationFunc:      bearerPresent,
			SchemaValidationOptions: contactkit.SchemaOptions(),
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
		findings = append(findings, c.requestFindings(op, err)...)
	}
	return op, params, findings
}

// Bounds of what the request check reads of a body: kin-openapi builds an error
// of a few kilobytes for each violation, and a 1 MB batch holds half a million
// rows that are not contacts. A body too small to hold more is judged whole.
const (
	requestItems     = 1_000
	smallRequestBody = 4 << 10
)

// judgedBody returns the part of a request body the check judges (every array
// to its first requestItems, within the answer checks' other bounds) and an
// Unjudged finding saying what was left unread. A body that is not JSON is
// judged as it is: kin-openapi words why.
func judgedBody(raw []byte) ([]byte, []Finding) {
	if len(raw) <= smallRequestBody {
		return raw, nil
	}
	v, skipped, err := decodeAnswer(raw)
	if err != nil {
		return raw, nil
	}
	shown, trimmed := forSchema(v, requestItems)
	if !trimmed && len(skipped) == 0 {
		return raw, nil
	}
	b, err := json.Marshal(shown)
	if err != nil {
		return raw, nil
	}
	rows := "the body holds more values"
	if items, ok := v.([]any); ok {
		n := len(items)
		for _, sk := range skipped {
			if sk.pointer == "" && !sk.object {
				n = sk.total
			}
		}
		rows = fmt.Sprintf("the body holds %d rows", n)
	}
	return b, []Finding{{Check: Unjudged,
		Message:  fmt.Sprintf("%s than the request check judges; it judged the first %d of each array and %d values in all", rows, requestItems, schemaValues),
		Expected: fmt.Sprintf("at most %d rows", requestItems), Actual: rows}}
}

// errNoBearer is what bearerPresent says of a request with no bearer token.
var errNoBearer = errors.New("no bearer token")

// bearerPresent accepts any request that carries Authorization: Bearer <token>.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme == nil || in.SecurityScheme.Type != "http" || !strings.EqualFold(in.SecurityScheme.Scheme, "bearer") {
		return nil
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(in.RequestValidationInput.Request.Header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errNoBearer
	}
	return nil
}

// requestFindings turns kin-openapi's verdict on a request into findings.
func (c *Checker) requestFindings(op string, err error) []Finding {
	where := OpLocation(c.spec, op)
	var out []Finding
	for _, e := range flatten(err) {
		var sec *openapi3filter.SecurityRequirementsError
		var re *openapi3filter.RequestError
		switch {
		case errors.As(e, &sec):
			out = append(out, Finding{Check: BadRequest, Message: "the request has no bearer token; the contract requires Authorization: Bearer <token>",
				Expected: "Authorization: Bearer <token>", Actual: "none or another scheme", Contract: Loc("#/components/securitySchemes/bearerAuth")})
		case errors.As(e, &re) && re.Parameter != nil:
			f := Finding{Check: BadRequest, Message: fmt.Sprintf("%s parameter %s: %s", re.Parameter.In, re.Parameter.Name, reasonOf(re)),
				Contract: where + "/parameters"}
			var se *openapi3.SchemaError
			if errors.As(re.Err, &se) {
				f.Expected, f.Actual = schemaExpectation(se), Show(se.Value)
				if id := ruleReading(se.Schema, se.SchemaField); id != "" {
					f.Source, f.Reading = Reading, id
				}
			} else if re.Parameter.Schema != nil {
				// A value that does not parse as the parameter's type at all.
				if id := ruleReading(re.Parameter.Schema.Value, "type"); id != "" {
					f.Source, f.Reading = Reading, id
				}
			}
			out = append(out, f)
		case errors.As(e, &re) && re.RequestBody != nil:
			var schemaErrs []*openapi3.SchemaError
			for _, inner := range flatten(re.Err) {
				var se *openapi3.SchemaError
				if errors.As(inner, &se) {
					schemaErrs = append(schemaErrs, se)
				}
			}
			if len(schemaErrs) == 0 {
				out = append(out, Finding{Check: BadRequest, Message: "request body: " + reasonOf(re), Contract: where + "/requestBody"})
			}
			for _, se := range schemaErrs {
				f := schemaFinding(se, nil, BadRequest, "request body ")
				f.Contract = where + "/requestBody"
				out = append(out, f)
			}
		default:
			out = append(out, Finding{Check: BadRequest, Message: Clip(e.Error(), 300), Contract: where})
		}
	}
	return out
}

func reasonOf(re *openapi3filter.RequestError) string {
	if re.Reason != "" {
		return re.Reason
	}
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) && se.Reason != "" {
		return se.Reason
	}
	if re.Err != nil {
		return Clip(re.Err.Error(), 300)
	}
	return "invalid"
}
