package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance"
)

// verdictCacheSize bounds each verdict cache. An identical exchange gets an
// identical verdict from the checks, so a repeated request (a page polled, a
// load test) is judged once; keys are digests, so a long URL costs no more.
const verdictCacheSize = 4096

// maxCachedFindings keeps a hostile answer's thousands of findings out of the
// cache, whose size is then bounded by verdictCacheSize times this.
const maxCachedFindings = 64

// cache is a bounded map of verdicts by digest; when full it starts over, which
// costs a few re-checks and keeps memory flat.
type cache[V any] struct {
	// mu guards m.
	mu  sync.Mutex
	m   map[[32]byte]V
	max int
}

func newCache[V any](max int) *cache[V] { return &cache[V]{m: make(map[[32]byte]V), max: max} }

func (c *cache[V]) get(k [32]byte) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *cache[V]) put(k [32]byte, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = v
}

// digest hashes the parts that decide a verdict, each length-prefixed so no two
// lists of parts collide.
func digest(parts ...[]byte) [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		l := len(p)
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// requestVerdict is what checking a request found: its operation, app, contact
// and the ways it breaks the contract.
type requestVerdict struct {
	op, app, contactID string
	findings           []conformance.Finding
}

// checkRequest routes the request with the contract's router and validates it
// with kin-openapi: parameters, body, and a bearer token present (whether the
// token is granted is the target's to say).
func (s *Server) checkRequest(ctx context.Context, f *flight) {
	f.app = appOf(f.path)
	if f.reqTooLarge {
		if route, params, err := s.spec.Router.FindRoute(&http.Request{Method: f.method, URL: &url.URL{Path: f.path}}); err == nil {
			f.op, f.contactID = route.Operation.OperationID, params["contactId"]
		}
		return
	}
	var key [32]byte
	cacheable := len(f.reqBody) == 0
	if cacheable {
		// The contract has no header parameters: method, URL, the token's shape
		// and the content type decide the verdict.
		key = digest([]byte(f.method), []byte(f.uri), []byte(authShape(f.header)), []byte(f.header.Get("Content-Type")))
		if v, ok := s.reqVerdicts.get(key); ok {
			f.op, f.contactID, f.reqFindings = v.op, v.contactID, slices.Clone(v.findings)
			return
		}
	}
	v := s.judgeRequest(ctx, f)
	f.op, f.contactID, f.reqFindings = v.op, v.contactID, v.findings
	if cacheable && len(v.findings) <= maxCachedFindings {
		s.reqVerdicts.put(key, v)
	}
}

func (s *Server) judgeRequest(ctx context.Context, f *flight) requestVerdict {
	v := requestVerdict{app: f.app}
	req, err := http.NewRequestWithContext(ctx, f.method, f.uri, nil)
	if err != nil {
		v.findings = []conformance.Finding{{Check: CheckRequest, Message: "the request line is not one the contract can route", Contract: contactkit.SpecFile + "#/paths"}}
		return v
	}
	req.Header = f.header
	route, params, err := s.spec.Router.FindRoute(req)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		v.findings = []conformance.Finding{{Check: CheckRequest, Message: fmt.Sprintf("%s is not a method the contract allows on %s", clip(f.method, 32), clip(f.path, 200)),
			Expected: "a documented method", Actual: clip(f.method, 32), Contract: contactkit.SpecFile + "#/paths"}}
		return v
	case err != nil:
		v.findings = []conformance.Finding{{Check: CheckRequest, Message: fmt.Sprintf("%s %s is not a route of the contract", clip(f.method, 32), clip(f.path, 200)),
			Expected: "a path of openapi.yaml", Actual: clip(f.path, 200), Contract: contactkit.SpecFile + "#/paths"}}
		return v
	}
	v.op, v.contactID = route.Operation.OperationID, params["contactId"]
	if len(f.reqBody) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(f.reqBody))
		req.ContentLength = int64(len(f.reqBody))
	}
	input := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			MultiError:              true,
			AuthenticationFunc:      bearerPresent,
			SchemaValidationOptions: contactkit.SchemaOptions(),
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
		v.findings = s.requestFindings(v.op, err)
	}
	return v
}

// errNoBearer is what bearerPresent says of a request with no bearer token.
var errNoBearer = errors.New("no bearer token")

// bearerPresent accepts any request that carries Authorization: Bearer <token>:
// which tokens are granted which apps is the target's business.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme == nil || in.SecurityScheme.Type != "http" || !strings.EqualFold(in.SecurityScheme.Scheme, "bearer") {
		return nil
	}
	if authShape(in.RequestValidationInput.Request.Header) != "bearer" {
		return errNoBearer
	}
	return nil
}

// authShape says what kind of Authorization a request carries, never the token.
func authShape(h http.Header) string {
	v := h.Get("Authorization")
	scheme, token, _ := strings.Cut(strings.TrimSpace(v), " ")
	switch {
	case v == "":
		return "none"
	case !strings.EqualFold(scheme, "Bearer"):
		return "other"
	case strings.TrimSpace(token) == "":
		return "bearer-only"
	}
	return "bearer"
}

// requestFindings turns kin-openapi's verdict on a request into findings.
func (s *Server) requestFindings(op string, err error) []conformance.Finding {
	where := s.opLocation(op)
	var out []conformance.Finding
	for _, e := range flatten(err) {
		var sec *openapi3filter.SecurityRequirementsError
		var re *openapi3filter.RequestError
		switch {
		case errors.As(e, &sec):
			out = append(out, conformance.Finding{Check: CheckRequest, Message: "the request has no bearer token; the contract requires Authorization: Bearer <token>",
				Expected: "Authorization: Bearer <token>", Actual: "none or another scheme", Contract: contactkit.SpecFile + "#/components/securitySchemes/bearerAuth"})
		case errors.As(e, &re) && re.Parameter != nil:
			f := conformance.Finding{Check: CheckRequest, Message: fmt.Sprintf("%s parameter %s: %s", re.Parameter.In, re.Parameter.Name, reasonOf(re)),
				Contract: where + "/parameters"}
			var se *openapi3.SchemaError
			if errors.As(re.Err, &se) {
				f.Expected, f.Actual = expectation(se), show(se.Value)
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
				out = append(out, conformance.Finding{Check: CheckRequest, Message: "request body: " + reasonOf(re), Contract: where + "/requestBody"})
			}
			for _, se := range schemaErrs {
				ptr := pointerOf(se.JSONPointer())
				out = append(out, conformance.Finding{Check: CheckRequest, Message: fmt.Sprintf("request body %s: %s", orText(ptr, "(whole)"), se.Reason),
					Pointer: ptr, Expected: expectation(se), Actual: show(se.Value), Contract: where + "/requestBody"})
			}
		default:
			out = append(out, conformance.Finding{Check: CheckRequest, Message: clip(e.Error(), 300), Contract: where})
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
		return clip(re.Err.Error(), 300)
	}
	return "invalid"
}

// flatten unpacks kin-openapi's multi-errors into single errors. It looks at
// the error's own type, not its chain, so a RequestError keeps the parameter or
// body it is about.
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
	}
	return []error{err}
}

func expectation(se *openapi3.SchemaError) string {
	s := se.Schema
	if s == nil {
		return se.SchemaField
	}
	switch se.SchemaField {
	case "type":
		if s.Type != nil {
			return strings.Join(s.Type.Slice(), " or ")
		}
	case "minimum":
		if s.Min != nil {
			return fmt.Sprintf(">= %v", *s.Min)
		}
	case "maximum":
		if s.Max != nil {
			return fmt.Sprintf("<= %v", *s.Max)
		}
	case "required":
		return "required: " + strings.Join(s.Required, ", ")
	}
	return se.SchemaField
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return clip(string(b), 300)
}

func pointerOf(toks []string) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString("/" + escapeToken(t))
	}
	return b.String()
}

func escapeToken(t string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(t)
}

// opLocation names an operation in the contract, as findings cite it.
func (s *Server) opLocation(id string) string {
	op := s.spec.Op(id)
	if op == nil {
		return contactkit.SpecFile + "#/paths"
	}
	return contactkit.SpecFile + "#/paths/" + escapeToken(op.Path) + "/" + strings.ToLower(op.Method)
}

// checkAnswer runs the checks every answer gets (conformance.Checker, the
// runner's own code) and the session model's, and keeps every finding.
func (s *Server) checkAnswer(ctx context.Context, f *flight) {
	key := digest([]byte(f.op), []byte(f.method), []byte(f.path), []byte(rawQuery(f.uri)), []byte(strconv.Itoa(f.status)),
		[]byte(f.respHeader.Get("Content-Type")), f.plain)
	if fs, ok := s.respVerdicts.get(key); ok {
		f.findings = slices.Clone(fs)
	} else {
		_, _, fs := s.checker.Check(ctx, conformance.Exchange{Op: f.op, Method: f.method, Path: f.path, Query: f.query,
			Status: f.status, Header: f.respHeader, Body: f.plain})
		if len(fs) <= maxCachedFindings {
			s.respVerdicts.put(key, fs)
		}
		f.findings = slices.Clone(fs)
	}
	f.findings = append(f.findings, s.model.end(f, true, key)...)
}

func rawQuery(uri string) string {
	_, q, _ := strings.Cut(uri, "?")
	return q
}

// appOf reads the app id from a /contacts/{appId}[/...] path, or "".
func appOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/contacts/")
	if !ok {
		return ""
	}
	app, _, _ := strings.Cut(rest, "/")
	return app
}

// jsonString encodes s as a JSON string.
func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
