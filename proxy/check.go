package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	cmodel "github.com/contactkit/contactkit/conformance/model"
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
	findings           []check.Finding
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

// predict asks the model what the request's answer must be, by the request
// alone: what the contact it names is, the session model judges when it knows.
func (s *Server) predict(f *flight) {
	if f.op == "" || f.reqTooLarge {
		return
	}
	var g cmodel.Grants
	if len(s.cfg.Grants) > 0 {
		g = s.cfg.Grants
	}
	f.prediction = s.predictor.Predict(cmodel.Request{Op: f.op, App: f.app, Query: f.query, Header: f.header, Body: f.reqBody}, g)
}

// judgePair holds the answer's status to what the request deserved: a server
// that takes what the docs refuse (201 to a phone that is not a number, 200 to
// a request with no token) breaks the docs, however well-formed its answer; a
// 422 must name every row the docs say is invalid.
func (s *Server) judgePair(f *flight) []check.Finding {
	p := f.prediction
	if len(p.Statuses) == 0 || f.status == 0 || !s.spec.Op(f.op).Documents(f.status) && f.status != http.StatusBadRequest {
		return nil // no prediction, or a status the checks already say is not the operation's
	}
	where := cmodel.OpLocation(s.spec, f.op)
	ok, reading := p.Accepts(f.status)
	switch {
	case !ok:
		return []check.Finding{{Check: check.Expect, Message: fmt.Sprintf("answered %d to %s; the docs say %s", f.status, p.Why, statusWords(p.Statuses)),
			Expected: statusWords(p.Statuses), Actual: strconv.Itoa(f.status), Contract: where}}
	case reading != "":
		return []check.Finding{{Check: check.Expect, Source: check.Reading, Reading: reading,
			Message:  fmt.Sprintf("answered %d to %s; the contract reads the docs as %s", f.status, p.Why, statusWords(p.Statuses)),
			Expected: statusWords(p.Statuses), Actual: strconv.Itoa(f.status), Contract: where}}
	}
	var out []check.Finding
	if f.status == http.StatusUnprocessableEntity && len(p.ErrorKeys) > 0 {
		var body struct {
			Errors map[string]any `json:"errors"`
		}
		_ = json.Unmarshal(f.plain, &body) // not JSON: the checks say so
		errs := body.Errors
		var missing []string
		for _, k := range p.ErrorKeys {
			if _, named := errs[k]; !named {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		// One finding, collapsed as the checks collapse theirs: a batch of a
		// thousand such rows is one problem.
		f := check.Finding{Check: check.Expect, Pointer: "/errors/" + check.EscapeToken(missing[0]),
			Message:  fmt.Sprintf("the 422 does not name %s, which the docs say is invalid (a phone that is not a number)", missing[0]),
			Expected: missing[0] + " in errors", Actual: check.Show(keys(errs)), Contract: where}
		if len(missing) > 1 {
			f.Count = len(missing)
			for _, k := range missing[1:min(len(missing), 1+check.MorePlaces)] {
				f.More = append(f.More, "/errors/"+check.EscapeToken(k))
			}
		}
		if len(p.Rows) > cmodel.LargeBatch && !namesRow(errs) {
			// Refused as a whole, as a server may refuse a batch larger than it
			// takes: the docs name no limit, nor what such a refusal says.
			f.Source, f.Reading = check.Reading, contactkit.ReadingCreateBatchSize
		}
		out = append(out, f)
	}
	return out
}

// namesRow reports whether a 422's errors name any row (keys "<row>" or
// "<row>.<field>").
func namesRow(errs map[string]any) bool {
	for k := range errs {
		row, _, _ := strings.Cut(k, ".")
		if _, err := strconv.Atoi(row); err == nil {
			return true
		}
	}
	return false
}

func statusWords(ss []int) string {
	var out []string
	for _, s := range ss {
		out = append(out, strconv.Itoa(s))
	}
	return strings.Join(out, " or ")
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// judgeRequest asks the contract's request check (check.Checker, the
// runner's own code) about the request.
func (s *Server) judgeRequest(ctx context.Context, f *flight) requestVerdict {
	op, params, findings := s.checker.Request(ctx, check.Request{Method: f.method, URI: f.uri, Header: f.header, Body: f.reqBody})
	return requestVerdict{op: op, app: f.app, contactID: params["contactId"], findings: findings}
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

// checkAnswer runs the checks every answer gets (check.Checker, the
// runner's own code) and the session model's, and keeps every finding.
func (s *Server) checkAnswer(ctx context.Context, f *flight) {
	sent := "no body"
	if len(f.reqBody) > 0 {
		sent = "a body"
	}
	key := digest([]byte(f.op), []byte(f.method), []byte(f.path), []byte(rawQuery(f.uri)), []byte(strconv.Itoa(f.status)),
		[]byte(f.respHeader.Get("Content-Type")), []byte(sent), []byte(f.header.Get("Accept")), f.plain)
	if fs, ok := s.respVerdicts.get(key); ok {
		f.findings = slices.Clone(fs)
	} else {
		_, _, fs := s.checker.Check(ctx, check.Exchange{Op: f.op, Method: f.method, Path: f.path, Query: f.query,
			RequestHeader: f.header, RequestBody: len(f.reqBody) > 0, Status: f.status, Header: f.respHeader, Body: f.plain})
		if len(fs) <= maxCachedFindings {
			s.respVerdicts.put(key, fs)
		}
		f.findings = slices.Clone(fs)
	}
	f.findings = append(f.findings, s.judgePair(f)...)
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
