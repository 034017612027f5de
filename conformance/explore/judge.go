package explore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/conformance/model"
	"github.com/contactkit/contactkit/scenario"
)

// expect is what a request's answer must be: a status among statuses (or one
// that departs only from a reading, in readings) and every assertion holding.
type expect struct {
	statuses []int
	// readings are statuses the docs allow but the contract's readings do not:
	// answering one warns, naming the reading.
	readings map[int]string
	// errorKeys are what a 422's errors must name (the docs' <row>.phone).
	errorKeys []string
	// rows classes a create's rows (model.Prediction.Rows).
	rows    []model.Class
	asserts []assertion
	// onPage adds assertions about the contacts an answer's page shows.
	onPage *identity
}

// predict asks the model what r's answer must be.
func (e *execution) predict(r *request) expect {
	h := http.Header{}
	if r.authz != "" {
		h.Set("Authorization", r.authz)
	}
	h.Set("Content-Type", r.mediaType())
	p := e.m.Predict(model.Request{Op: r.op, App: r.app, ContactID: r.contact, Query: r.query, Header: h, Body: r.body}, e.x.grants)
	return expect{statuses: p.Statuses, readings: p.Readings, errorKeys: p.ErrorKeys, rows: p.Rows}
}

// statusFinding judges status against ex; nil when it is one of ex.statuses.
func (ex expect) statusFinding(status int, contract string) *check.Finding {
	if slices.Contains(ex.statuses, status) {
		return nil
	}
	f := &check.Finding{Check: check.Expect, Message: fmt.Sprintf("status %d, want %s", status, statusList(ex.statuses)),
		Expected: statusList(ex.statuses), Actual: strconv.Itoa(status), Contract: contract}
	if id, ok := ex.readings[status]; ok {
		f.Source, f.Reading = check.Reading, id
	}
	return f
}

// check runs r, judges it against ex and, recording the step, returns the answer
// and whether it failed (then e.fail holds why).
func (e *execution) check(ctx context.Context, at int, r *request, ex expect) (*answer, bool) {
	a, findings := e.send(ctx, r)
	if a.status != 0 {
		if f := ex.statusFinding(a.status, model.OpLocation(e.x.spec, r.op)); f != nil {
			findings = append(findings, *f)
		} else {
			if a.status == http.StatusUnprocessableEntity {
				for _, k := range ex.errorKeys {
					ex.asserts = append(ex.asserts, assertion{ptr: "/errors/" + check.EscapeToken(k), kind: "present"})
				}
			}
			if a.status == http.StatusOK && len(ex.asserts) == 0 {
				ex = e.modelSays(ctx, r, a, ex)
			}
			findings = append(findings, evalAll(a.body, ex.asserts, model.OpLocation(e.x.spec, r.op))...)
		}
	}
	e.record(r, ex)
	return a, e.failed(ctx, at, a, findings)
}

// modelSays adds to ex what a read's answer must say of the contacts the
// sequence made, whoever sent it: a page holds none deleted or of another app,
// and those it holds as they are; a detail of a contact made shows it as it is.
// So a file written from the sequence says it too.
func (e *execution) modelSays(ctx context.Context, r *request, a *answer, ex expect) expect {
	switch r.op {
	case contactkit.OpListContacts:
		id := ex.onPage
		if id == nil {
			id = &identity{app: r.app}
		}
		items, _ := check.Field(a.body, "data").([]any)
		ex.asserts = append(ex.asserts, e.pageAsserts(*id, items)...)
		if ex.onPage != nil {
			ex.asserts = append(ex.asserts, e.leaks(ctx, *ex.onPage, items)...)
		}
	case contactkit.OpGetContact:
		for _, c := range e.made {
			if c.id == r.contact && c.alive && c.app == r.app {
				ex.asserts = e.contactAsserts(c, "/data", true, c.blocked)
			}
		}
	}
	return ex
}

// warning is a departure from a reading, seen on the answer to curl.
type warning struct {
	finding check.Finding
	curl    string
}

// sortOut keeps the findings that depart only from readings as warnings (unless
// the run is strict about readings) and returns the rest, which fail.
func (e *execution) sortOut(a *answer, findings []check.Finding) []check.Finding {
	var failing []check.Finding
	for _, f := range findings {
		if f.Fails(e.x.cfg.StrictReadings) {
			failing = append(failing, f)
			continue
		}
		f.Message, f.Actual = e.x.scrub(f.Message), e.x.scrub(f.Actual)
		e.warnings = append(e.warnings, warning{finding: f, curl: a.curl})
	}
	return failing
}

// failed records the first failing finding of the execution, at action at and
// answer a, and reports whether the execution has failed. Once ctx is done the
// answers are cut short by the run, not by the target: nothing is judged.
func (e *execution) failed(ctx context.Context, at int, a *answer, findings []check.Finding) bool {
	if ctx.Err() != nil {
		return e.fail != nil
	}
	findings = e.sortOut(a, findings)
	if len(findings) == 0 || e.fail != nil {
		return e.fail != nil
	}
	for i := range findings {
		if findings[i].Curl == "" {
			findings[i].Curl = a.curl
		}
		findings[i].Message = e.x.scrub(findings[i].Message)
		findings[i].Actual = e.x.scrub(findings[i].Actual)
	}
	e.fail = &failure{at: at, req: a.req, step: len(e.steps) - 1, findings: findings, curl: a.curl, status: a.status, body: check.OneLine(e.x.scrub(string(a.raw)), 500)}
	return true
}

// failure is the first failing finding of a sequence: where it happened and what.
type failure struct {
	at       int // index of the action
	req      int // the request's number in the execution
	step     int // index of the recorded step
	findings []check.Finding
	curl     string
	status   int
	body     string
}

func statusList(s []int) string {
	var out []string
	for _, v := range s {
		out = append(out, strconv.Itoa(v))
	}
	if len(out) == 1 {
		return out[0]
	}
	return "one of " + strings.Join(out, ", ")
}

// assertion is one thing an answer must say about a value, in a form the
// explorer checks and a scenario file can say (fixtures/README.md).
type assertion struct {
	ptr string // "/data/phone", or "/data" with a selector
	// sel and selVal pick the first element of /data whose sel field reads selVal;
	// selTpl is selVal in the scenario file.
	sel, selVal, selTpl string
	field               string // below the selected element
	kind                string // equals, not_equals, contains, same_items, present, absent, once
	want                any
	wantTpl             string // want in the scenario file, when it is a variable
	count               int    // once: how many there were
	why                 string
	// reading names the reading the assertion rests on, "" for the docs.
	reading string
}

func (a assertion) pointer(tpl bool) string {
	p := a.ptr
	if a.sel != "" {
		v := a.selVal
		if tpl {
			v = a.selTpl
		}
		p += "[" + a.sel + "=" + v + "]"
	}
	if a.field != "" {
		p += "/" + a.field
	}
	return p
}

// matcher is a as a scenario file says it.
func (a assertion) matcher() (kind string, arg any) {
	switch a.kind {
	case "absent":
		return scenario.MatchAbsent, true
	case "present", "once":
		return scenario.MatchPresent, true
	}
	var v any = a.want
	if n, ok := v.(json.Number); ok {
		v = n // scenario.Value writes it exactly
	}
	if a.wantTpl != "" {
		v = a.wantTpl
	}
	return a.kind, v
}

// evalAll checks every assertion against doc and returns a finding for each that
// does not hold.
func evalAll(doc any, asserts []assertion, contract string) []check.Finding {
	var out []check.Finding
	for _, a := range asserts {
		val, found := resolve(doc, a)
		var msg, want, got string
		switch a.kind {
		case "absent":
			if !found {
				continue
			}
			msg, want, got = "is listed", "absent", check.Show(val)
			if a.why != "" {
				msg += ", yet it is " + a.why
			}
		case "present", "once":
			if found && a.count <= 1 {
				continue
			}
			msg, want, got = "is not listed", "listed", "absent"
			if found {
				msg, want, got = fmt.Sprintf("is listed %d times", a.count), "listed once", strconv.Itoa(a.count)
			}
		case "equals":
			if found && sameValue(val, a.want) {
				continue
			}
			msg, want, got = "is "+check.Show(val)+", want "+check.Show(a.want), check.Show(a.want), check.Show(val)
			if !found {
				msg, got = "is absent, want "+check.Show(a.want), "absent"
			}
		case "same_items":
			if found && check.Equal(sortedItems(val), sortedItems(a.want)) {
				continue
			}
			msg, want, got = "holds "+check.Show(val)+", not the items "+check.Show(a.want)+" an earlier answer showed", "the items "+check.Show(a.want), check.Show(val)
		case "not_equals":
			if !found || !sameValue(val, a.want) {
				continue
			}
			msg, want, got = "is "+check.Show(val)+", the value the request sent, which the server must not take", "not "+check.Show(a.want), check.Show(val)
		case "contains":
			arr, _ := val.([]any)
			if slices.ContainsFunc(arr, func(v any) bool { return sameValue(v, a.want) }) {
				continue
			}
			msg, want, got = "does not hold "+check.Show(a.want), "holding "+check.Show(a.want), check.Show(val)
		}
		f := check.Finding{Check: check.Model, Pointer: a.pointer(false), Message: a.pointer(false) + " " + msg, Expected: want, Actual: got, Contract: contract}
		if a.reading != "" {
			f.Source, f.Reading = check.Reading, a.reading
		}
		out = append(out, f)
	}
	return out
}

// resolve finds the value a addresses in doc.
func resolve(doc any, a assertion) (any, bool) {
	cur := doc
	for _, t := range strings.Split(strings.TrimPrefix(a.ptr, "/"), "/") {
		if t == "" {
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[t]; !ok {
			return nil, false
		}
	}
	if a.sel != "" {
		arr, _ := cur.([]any)
		cur = nil
		found := false
		for _, e := range arr {
			if v, ok := e.(map[string]any)[a.sel]; ok && textOf(v) == a.selVal {
				cur, found = e, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	if a.field != "" {
		m, _ := cur.(map[string]any)
		v, ok := m[a.field]
		return v, ok
	}
	return cur, true
}

// sameValue compares JSON values, numbers by exact value.
func sameValue(a, b any) bool {
	na, ok1 := a.(json.Number)
	nb, ok2 := b.(json.Number)
	if ok1 && ok2 {
		return check.SameNumber(na.String(), nb.String())
	}
	if ok1 != ok2 {
		return false
	}
	return a == b
}

// textOf renders a decoded value as a selector compares it: strings bare, numbers
// as their text, null as nothing.
func textOf(v any) string {
	if v == nil {
		return ""
	}
	return check.TextOf(v)
}

// sortedItems is an array's items in the order of their JSON text, so that two
// arrays of the same items in other orders compare equal.
func sortedItems(v any) any {
	arr, ok := v.([]any)
	if !ok {
		return v
	}
	out := slices.Clone(arr)
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(check.Show(a), check.Show(b)) })
	return out
}
