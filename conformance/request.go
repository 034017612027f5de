package conformance

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/redact"
	"github.com/contactkit/contactkit/scenario"
)

// request is a step's request, placeholders expanded.
type request struct {
	method  string
	apiPath string
	query   []scenario.Pair // values are strings now
	header  http.Header
	// stepHeaders are the headers the step's own headers set, which may carry
	// a credential the runner does not know (an admin token from the
	// environment).
	stepHeaders map[string]bool
	body        []byte
	hasBody     bool
}

func (r *runner) build(st *scenario.Step, scope *scope) (*request, error) {
	req := &request{header: http.Header{}}
	if st.Op != "" {
		op := r.spec.Op(st.Op) // the loader checked it is there
		req.method = op.Method
		tmpl := op.Path
		params := map[string]string{"appId": r.cfg.App}
		if st.Auth == scenario.AuthForeignApp || st.Auth == scenario.AuthForeignToken {
			params["appId"] = r.cfg.ForeignApp
		}
		for _, p := range st.Params {
			v, err := scope.expand(p.Value)
			if err != nil {
				return nil, err
			}
			params[p.Name] = check.TextOf(v)
		}
		path := tmpl
		for k, v := range params {
			path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
		}
		req.apiPath = path
	} else {
		req.method = st.Method
		p, err := scope.expandString(st.Path)
		if err != nil {
			return nil, err
		}
		req.apiPath = p
	}
	for _, q := range st.Query {
		v, err := scope.expand(q.Value)
		if err != nil {
			return nil, err
		}
		req.query = append(req.query, scenario.Pair{Name: q.Name, Value: check.TextOf(v)})
	}

	req.header.Set("Accept", "application/json")
	req.header.Set("Content-Type", "application/json") // the docs list it for every call
	req.header.Set("User-Agent", "contactkit-conform")
	switch st.Auth {
	case scenario.AuthToken, scenario.AuthForeignApp:
		req.header.Set("Authorization", "Bearer "+r.cfg.Token)
	case scenario.AuthForeignToken:
		req.header.Set("Authorization", "Bearer "+r.cfg.ForeignToken)
	case scenario.AuthTokenSuffix:
		req.header.Set("Authorization", "Bearer "+r.cfg.Token+"x")
	case scenario.AuthTokenPrefix:
		req.header.Set("Authorization", "Bearer x"+r.cfg.Token)
	case scenario.AuthTokenCase:
		req.header.Set("Authorization", "Bearer "+scenario.SwapCase(r.cfg.Token))
	case scenario.AuthBasic:
		req.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("conform:not-a-bearer-token")))
	case scenario.AuthBearerOnly:
		req.header.Set("Authorization", "Bearer")
	case scenario.AuthWrongToken:
		req.header.Set("Authorization", "Bearer conform-wrong-token-"+RunID(r.seed))
	}
	for _, h := range st.Headers {
		v, err := scope.expand(h.Value)
		if err != nil {
			return nil, err
		}
		req.header.Set(h.Name, check.TextOf(v))
		if req.stepHeaders == nil {
			req.stepHeaders = map[string]bool{}
		}
		req.stepHeaders[http.CanonicalHeaderKey(h.Name)] = true
	}

	switch {
	case st.RawBody != nil:
		b, err := scope.expandString(*st.RawBody)
		if err != nil {
			return nil, err
		}
		req.body, req.hasBody = []byte(b), true
	case st.HasBody:
		v, err := scope.expand(st.Body)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode body: %w", err)
		}
		req.body, req.hasBody = b, true
	}
	return req, nil
}

func (req *request) withQuery(name, value string) *request {
	c := *req
	c.query = slices.Clone(req.query)
	for i, q := range c.query {
		if q.Name == name {
			c.query[i].Value = value
			return &c
		}
	}
	c.query = append(c.query, scenario.Pair{Name: name, Value: value})
	return &c
}

func (req *request) rawQuery() string {
	var parts []string
	for _, q := range req.query {
		parts = append(parts, url.QueryEscape(q.Name)+"="+url.QueryEscape(check.TextOf(q.Value)))
	}
	return strings.Join(parts, "&")
}

func (req *request) values() url.Values {
	v, _ := url.ParseQuery(req.rawQuery())
	return v
}

// fullURL joins the target's base and the API path; the path is used as written,
// so a scenario can send encoded or odd paths.
func (r *runner) fullURL(req *request) string {
	u := r.base.Scheme + "://" + r.base.Host + r.base.EscapedPath() + req.apiPath
	if q := req.rawQuery(); q != "" {
		u += "?" + q
	}
	return u
}

// curl writes req as a command a person can paste; the scrubber takes the token out.
func (r *runner) curl(req *request) string {
	var b strings.Builder
	b.WriteString("curl -sS -X " + req.method + " " + shellQuote(r.fullURL(req)))
	for _, k := range slices.Sorted(maps.Keys(req.header)) {
		if k == "User-Agent" || k == "Accept" {
			continue
		}
		values := req.header[k]
		switch {
		case req.stepHeaders[k]:
			shown, _ := redact.Header(http.Header{k: values}) // credentials by their names
			values = shown[k]
		case k == "Authorization":
			values = []string{r.showAuthorization(values[0])}
		}
		for _, v := range values {
			b.WriteString(" -H " + shellQuote(k+": "+v))
		}
	}
	if req.hasBody {
		body := r.scrub(string(req.body))
		if len(body) > 4096 {
			body = body[:4096] + "…(cut)"
		}
		b.WriteString(" --data-raw " + shellQuote(body))
	}
	return r.scrub(b.String())
}

// showAuthorization masks the tokens in an Authorization header the runner
// built, short ones too (the scrubber leaves a short token that touches other
// characters, as in "Bearer tx").
func (r *runner) showAuthorization(v string) string {
	for _, t := range []string{r.cfg.Token, r.cfg.ForeignToken} {
		switch {
		case t == "":
		case v == "Bearer "+t:
			return "Bearer " + redact.Mask
		case v == "Bearer "+t+"x":
			return "Bearer " + redact.Mask + "x"
		case v == "Bearer x"+t:
			return "Bearer x" + redact.Mask
		case strings.EqualFold(v, "Bearer "+t):
			return "Bearer " + redact.Mask + " (its letters' case swapped)"
		}
	}
	return v
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// send makes one request and returns the exchange and how long it took to be
// answered in full, or a transport finding when there was no (complete) answer.
func (r *runner) send(ctx context.Context, op string, req *request) (check.Exchange, time.Duration, *check.Finding) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var body io.Reader
	if req.hasBody {
		body = bytes.NewReader(req.body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, r.fullURL(req), body)
	if err != nil {
		return check.Exchange{}, 0, &check.Finding{Check: check.Transport, Message: "cannot build the request: " + err.Error()}
	}
	hreq.Header = req.header.Clone()
	start := time.Now()
	resp, err := r.client.Do(hreq)
	if err != nil {
		if isDialError(err) {
			// It answered the preflight: it went away during the run.
			why := r.scrub(rootCause(err))
			r.lost.CompareAndSwap(nil, &why)
		}
		return check.Exchange{}, 0, r.transportFinding(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, check.MaxBody+1))
	took := time.Since(start)
	if err != nil {
		f := r.transportFinding(ctx, err)
		f.Message = fmt.Sprintf("answered %d but the body broke off: %s", resp.StatusCode, f.Message)
		return check.Exchange{}, 0, f
	}
	x := check.Exchange{Op: op, Method: req.method, Path: req.apiPath, Query: req.values(), RequestHeader: req.header, RequestBody: req.hasBody,
		Status: resp.StatusCode, Header: resp.Header, Body: data}
	if len(data) > check.MaxBody {
		x.Body, x.Truncated = data[:check.MaxBody], true
	}
	// The token goes before anything reads the answer, so no excerpt, cut or
	// decoded value of it can hold the token or its start.
	x.Body = []byte(r.scrub(string(x.Body)))
	for _, vs := range x.Header {
		for i := range vs {
			vs[i] = r.scrub(vs[i])
		}
	}
	return x, took, nil
}

func (r *runner) transportFinding(ctx context.Context, err error) *check.Finding {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &check.Finding{Check: check.Transport, Message: fmt.Sprintf("no answer within %s (the per-request timeout)", r.timeout), Expected: "an answer", Actual: "timeout"}
	}
	return &check.Finding{Check: check.Transport, Message: "no answer: " + rootCause(err), Expected: "an answer", Actual: "error"}
}

// snippet keeps the start of a body for the report.
func snippet(b []byte, truncated bool) string {
	const keep = 2048
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) > keep {
		s = s[:keep] + "…(cut)"
	} else if truncated {
		s += "…(cut)"
	}
	return s
}
