package explore

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/conformance/model"
	"github.com/contactkit/contactkit/scenario"
)

// request is one request to make, and its scenario form.
type request struct {
	op       string
	app      string // path's appId
	contact  string // path's contactId; "" for list and create
	query    url.Values
	qorder   []string // query keys in order
	authz    string   // the Authorization header; "" sends none
	authShow string   // the header as reports show it, the token masked
	body     []byte
	hasBody  bool
	// contentType is the Content-Type sent; "" sends application/json.
	contentType string

	// step is the request as a scenario file says it; vars are the row keys its
	// body uses, declared in the scenario's vars.
	step *scenario.Step
	vars []key
}

// mediaType is the Content-Type r sends.
func (r *request) mediaType() string { return cmp.Or(r.contentType, "application/json") }

// answer is what came back.
type answer struct {
	status int
	body   any
	raw    []byte
	curl   string
	req    int // its number in the execution
}

func (e *execution) path(r *request) string {
	p := "/contacts/" + url.PathEscape(r.app)
	if r.contact != "" {
		p += "/" + url.PathEscape(r.contact)
	}
	return p
}

// send makes one request, judges it with the model at once and starts the
// checks every answer gets beside the next request, and returns the answer and
// the model's findings. A transport failure is a finding of its own.
func (e *execution) send(ctx context.Context, r *request) (*answer, []check.Finding) {
	e.requests++
	e.x.requests.Add(1)
	apiPath := e.path(r)
	u := *e.x.base
	u.Path = strings.TrimSuffix(u.Path, "/") + apiPath
	u.RawPath = ""
	if r.app != "" && strings.ContainsAny(r.app+r.contact, "/%?#") {
		u.RawPath = strings.TrimSuffix(e.x.base.EscapedPath(), "/") + apiPath
	}
	var q []string
	for _, k := range r.qorder {
		q = append(q, url.QueryEscape(k)+"="+url.QueryEscape(r.query.Get(k)))
	}
	u.RawQuery = strings.Join(q, "&")
	method := e.x.spec.Op(r.op).Method
	a := &answer{curl: curl(method, u.String(), r.authShow, r.mediaType(), r.body, r.hasBody)}

	rctx := ctx
	if r.op == contactkit.OpCreateContacts {
		// A create in flight when the run is interrupted goes on to its answer:
		// what it stored is then known, and cleaned up.
		rctx = context.WithoutCancel(ctx)
	}
	rctx, cancel := context.WithTimeout(rctx, e.x.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if r.hasBody {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(rctx, method, u.String(), rd)
	if err != nil {
		return a, []check.Finding{{Check: check.Transport, Message: "cannot build the request: " + e.x.scrub(err.Error())}}
	}
	req.Header.Set("Content-Type", r.mediaType())
	req.Header.Set("Accept", "application/json")
	if r.authz != "" {
		req.Header.Set("Authorization", r.authz)
	}
	write := r.op == contactkit.OpCreateContacts || r.op == contactkit.OpDeleteContact || r.op == contactkit.OpToggleContactBlock
	if write {
		e.x.still.RLock()
		defer e.x.still.RUnlock()
	}
	if r.op == contactkit.OpCreateContacts || r.op == contactkit.OpDeleteContact {
		e.x.gate.Lock()
	}
	resp, err := e.x.client.Do(req)
	if r.op == contactkit.OpCreateContacts || r.op == contactkit.OpDeleteContact {
		e.x.gate.Unlock()
	}
	if err != nil {
		if ctx.Err() != nil {
			return a, nil // the run was interrupted, not the target at fault: no answer, no finding
		}
		return a, []check.Finding{{Check: check.Transport, Message: "no answer: " + e.x.scrub(err.Error()), Curl: a.curl}}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, check.MaxBody+1))
	resp.Body.Close()
	if err != nil {
		if ctx.Err() != nil {
			return a, nil
		}
		return a, []check.Finding{{Check: check.Transport, Message: "answer cut off: " + e.x.scrub(err.Error()), Curl: a.curl}}
	}
	truncated := len(raw) > check.MaxBody
	if truncated {
		raw = raw[:check.MaxBody]
	}
	a.status, a.raw = resp.StatusCode, raw
	a.req = e.requests
	// Decoded within the checks' bounds: a hostile answer of a million small
	// items costs what its first items do. Not one JSON value: no body.
	body, _, _ := check.Decode(raw)
	a.body = body
	if e.quiet {
		return a, nil
	}
	// The every-answer checks run beside the next request: the server works on it
	// while they do. settle collects their findings at the end of the action.
	p := &pendingCheck{a: a, r: r, step: len(e.steps), done: make(chan struct{})}
	x := check.Exchange{Op: r.op, Method: method, Path: apiPath, Query: r.query, RequestHeader: req.Header, RequestBody: r.hasBody,
		Status: resp.StatusCode, Header: resp.Header, Body: raw, Truncated: truncated}
	go func() {
		defer close(p.done)
		_, _, p.findings = e.x.checker.Check(ctx, x)
	}()
	e.pending = append(e.pending, p)
	return a, e.m.Observe(model.Exchange{Op: r.op, App: r.app, ContactID: r.contact, RequestBody: r.body, Status: resp.StatusCode, Body: body})
}

// pendingCheck is the every-answer checks of one answer, under way.
type pendingCheck struct {
	a        *answer
	r        *request
	step     int // the step the request is recorded in
	findings []check.Finding
	done     chan struct{}
}

// settle waits for the every-answer checks of action at and fails it with the
// earliest answer that broke the docs or HTTP, unless an earlier answer already
// failed it; departures from readings become warnings.
func (e *execution) settle(ctx context.Context, at int) {
	pending := e.pending
	e.pending = nil
	for _, p := range pending {
		<-p.done
	}
	for _, p := range pending {
		failing := e.sortOut(p.a, p.findings)
		if len(failing) == 0 {
			continue
		}
		if e.fail != nil && (e.fail.at < at || e.fail.req <= p.a.req) {
			return
		}
		e.fail = nil
		if p.step >= len(e.steps) {
			// A request no step recorded (a page of a walk): record it alone.
			st := *p.r.step
			st.Expect = scenario.Expect{Status: []int{p.a.status}}
			if st.Name == "" {
				st.Name = p.r.op + " with " + queryText(p.r) + " answers as the contract says"
			}
			e.steps = append(e.steps, recorded{step: &st, vars: p.r.vars})
		}
		e.failed(ctx, at, p.a, failing)
		e.fail.step = p.step
		e.steps = e.steps[:p.step+1]
		return
	}
}

func curl(method, u, authShow, mediaType string, body []byte, hasBody bool) string {
	var b strings.Builder
	b.WriteString("curl -sS -X " + method + " " + shellQuote(u) + " -H " + shellQuote("Content-Type: "+mediaType))
	if authShow != "" {
		b.WriteString(" -H " + shellQuote("Authorization: "+authShow))
	}
	if hasBody {
		s := string(body)
		if len(s) > 4096 {
			s = s[:4096] + "…(cut)"
		}
		b.WriteString(" --data-raw " + shellQuote(s))
	}
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
