package linear

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/contactkit/contactkit/check"
)

// request is one request to make.
type request struct {
	op      string
	contact string // the path's contactId; "" for list and create
	query   url.Values
	body    []byte // sent when not nil
}

// answer is what came back: the status and the body decoded, or why nothing
// did. raw is dropped once the answer is read (see readable).
type answer struct {
	curl      string
	err       error
	status    int
	header    http.Header
	raw       []byte // at most check.MaxBody
	truncated bool
	body      any // numbers as json.Number; nil when not JSON
}

func (r *runner) path(contact string) string {
	p := "/contacts/" + url.PathEscape(r.cfg.App)
	if contact != "" {
		p += "/" + url.PathEscape(contact)
	}
	return p
}

// send makes one request, bounded by the Config's Timeout, and reads at most
// check.MaxBody of its answer. Once ctx is done it sends nothing.
func (r *runner) send(ctx context.Context, q request) *answer {
	method := r.spec.Op(q.op).Method
	target := r.path(q.contact)
	if len(q.query) > 0 {
		target += "?" + q.query.Encode()
	}
	a := &answer{curl: curl(method, r.shown+target, q.body)}
	if a.err = ctx.Err(); a.err != nil {
		return a // nothing is sent once ctx is done
	}
	r.requests.Add(1)
	if method != http.MethodGet {
		// A write runs to its answer even when ctx ends meanwhile (bounded by
		// Timeout): a write cut off may still land on the server after the
		// cleanup looked, and what it made would stay.
		ctx = context.WithoutCancel(ctx)
	}
	rctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if q.body != nil {
		body = bytes.NewReader(q.body)
	}
	req, err := http.NewRequestWithContext(rctx, method, r.base+target, body)
	if err != nil {
		a.err = err
		return a
	}
	req.Header.Set("Authorization", "Bearer "+r.cfg.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		a.err = err
		return a
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, check.MaxBody+1))
	if err != nil {
		a.err = fmt.Errorf("answer %d cut off: %w", resp.StatusCode, err)
		return a
	}
	a.status, a.header = resp.StatusCode, resp.Header
	if len(raw) > check.MaxBody {
		a.raw, a.truncated = raw[:check.MaxBody], true
		return a
	}
	a.raw = raw
	if v, _, err := check.Decode(raw); err == nil {
		a.body = v
	}
	return a
}

// trouble is why an answer could not be read: what it breaks, or, when it
// breaks nothing (a 429, a run cut short), a note.
type trouble struct {
	findings []check.Finding
	note     string
}

// unreadable says why answer a to q, which was to answer want, cannot be
// read: no answer at all, or the contract's every-answer checks on it, or, when
// they find nothing, a documented status that is not the one the request must
// get.
func (r *runner) unreadable(ctx context.Context, q request, a *answer, statuses ...int) trouble {
	op := r.spec.Op(q.op)
	var words []string
	for _, s := range statuses {
		words = append(words, strconv.Itoa(s))
	}
	want := strings.Join(words, " or ")
	if a.err != nil {
		if ctx.Err() != nil {
			return trouble{note: "cut short: " + context.Cause(ctx).Error()}
		}
		what := "no answer"
		if errors.Is(a.err, context.DeadlineExceeded) {
			what = fmt.Sprintf("no answer within %s", r.cfg.Timeout)
		}
		return trouble{findings: []check.Finding{{Check: check.Transport, Source: check.HTTP,
			Message:  fmt.Sprintf("%s %s: %s: %s", op.Method, op.ID, what, check.Clip(r.scrub(a.err.Error()), 300)),
			Expected: want, Actual: what, Curl: a.curl}}}
	}
	header := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	_, _, fs := r.checker.Check(ctx, check.Exchange{Op: q.op, Method: op.Method, Path: r.path(q.contact), Query: q.query,
		RequestHeader: header, RequestBody: q.body != nil, Status: a.status, Header: a.header, Body: a.raw, Truncated: a.truncated})
	for i := range fs {
		fs[i].Curl = a.curl
	}
	if len(check.Failing(fs, false)) > 0 {
		return trouble{findings: fs}
	}
	if op.Documents(a.status) && !slices.Contains(statuses, a.status) {
		return trouble{findings: append(fs, check.Finding{Check: check.Expect,
			Message:  fmt.Sprintf("%s %s answered %d, where the request (this token, its own app, valid) must get %s", op.Method, op.ID, a.status, want),
			Expected: want, Actual: strconv.Itoa(a.status), Contract: check.OpLocation(r.spec, q.op) + "/responses", Curl: a.curl})}
	}
	return trouble{findings: fs, note: fmt.Sprintf("%s %s answered %d (%s), which the model cannot read",
		op.Method, op.ID, a.status, check.OneLine(r.scrub(check.Clip(string(a.raw), 400)), 120))}
}

func curl(method, u string, body []byte) string {
	var b strings.Builder
	b.WriteString("curl -sS -X " + method + " " + shellQuote(u) + " -H 'Authorization: Bearer ***' -H 'Content-Type: application/json'")
	if body != nil {
		b.WriteString(" --data-raw " + shellQuote(check.Clip(string(body), 4096)))
	}
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// intField reads an integer member of a decoded object.
func intField(v any, name string) (int64, bool) {
	return check.Int(check.Field(v, name))
}
