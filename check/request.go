package check

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/jsonshape"
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
	body, later := c.judgedBody(op, r.Body)
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
		findings = c.requestFindings(op, err)
	}
	return op, params, append(findings, later...)
}

// requestItems bounds the request check's cost: kin-openapi builds an error of
// a few kilobytes for each violation, and a 1 MB batch holds half a million rows
// that are not contacts. A batch's first requestItems rows go to kin-openapi,
// which names every problem of each; each later row is decoded and judged alone
// and let go, and past requestItems of their findings the rest are counted. A
// body with no more rows (a byte scan says, before any decoding) goes whole.
const requestItems = 1_000

// judgedBody returns what kin-openapi judges of a request body for op (a
// batch's first requestItems rows, or the body as it is) and the findings of
// the rows it leaves out, judged here one at a time against the row schema. A
// body that is not a JSON array goes as it is: kin-openapi words why.
func (c *Checker) judgedBody(op string, raw []byte) ([]byte, []Finding) {
	row := c.rowSchema(op)
	if _, items := jsonshape.Of(raw); items <= requestItems || row == nil {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return raw, nil
	}
	var first []any
	var out []Finding
	rows, folded, reading := 0, 0, ""
	for i := 0; dec.More(); i++ {
		rows++
		var v any
		if dec.Decode(&v) != nil {
			return raw, nil // not JSON past here: kin-openapi says so, without building rows
		}
		if i < requestItems {
			first = append(first, v)
			continue
		}
		err := row.VisitJSON(v, contactkit.SchemaOptions()...)
		var se *openapi3.SchemaError
		if err == nil || !errors.As(err, &se) {
			continue
		}
		f := schemaFinding(se, nil, BadRequest, "")
		if len(out) == requestItems {
			if folded == 0 || reading == f.Reading {
				reading = f.Reading
			} else {
				reading = ""
			}
			folded++
			continue
		}
		f.Pointer = "/" + strconv.Itoa(i) + f.Pointer
		f.Message = "request body " + f.Pointer + ": " + Clip(se.Reason, 300)
		out = append(out, f)
	}
	if rows <= requestItems {
		return raw, nil // it held no more than kin-openapi is given
	}
	if folded > 0 {
		f := Finding{Check: BadRequest, Message: fmt.Sprintf("request body: %d more problems in later rows, as in those above", folded),
			Expected: "rows the contract's schema allows", Actual: fmt.Sprintf("%d more", folded)}
		if reading != "" {
			f.Source, f.Reading = Reading, reading
		}
		out = append(out, f)
	}
	b, err := json.Marshal(first)
	if err != nil {
		return raw, nil
	}
	where := OpLocation(c.spec, op) + "/requestBody"
	for i := range out {
		out[i].Contract = where
	}
	return b, out
}

// rowSchema is the schema of one row of op's JSON request body, when it is an
// array; nil otherwise.
func (c *Checker) rowSchema(op string) *openapi3.Schema {
	o := c.spec.Op(op)
	if o == nil || o.Operation.RequestBody == nil || o.Operation.RequestBody.Value == nil {
		return nil
	}
	mt := o.Operation.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || mt.Schema.Value.Items == nil {
		return nil
	}
	return mt.Schema.Value.Items.Value
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
