package explore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/conformance/model"
)

// maxBody caps what is read of an answer, as the scripted runner does.
const maxBody = 1 << 20

// A walk reads every page of an app that holds at most fullWalkTotal contacts
// (meta.total of its first page). A bigger app is walked with the contract's
// largest limit and only in part: bigWalkItems items, or, when it seeks rows just
// created, until it has seen them all (bigSeekItems at most), so a big honest app
// costs a few requests per walk, not thousands. Every walk is bounded besides by the scripted runner's item and
// time bounds, for a next_page that never ends. A walk cut short by a bound
// judges only what it saw: no count, no absence of a row it may not have read.
const (
	fullWalkTotal = 2_000
	bigWalkItems  = 100
	bigSeekItems  = 1_000
)

// walkTime bounds one walk, like the scripted runner's.
var walkTime = conformance.DefaultWalkTime

// walkAttempts is how often a walk whose pages disagree is read again before it
// counts: another client's write can shift a contact between two pages.
const walkAttempts = 3

// mine is a contact the sequence made.
type mine struct {
	ord     int // its row's number in the sequence: names its scenario variables
	app     string
	foreign bool // made by the foreign identity
	id      string
	name    string // as sent (decoded)
	phone   string // as sent (JSON text)
	keyName bool   // found by its name (its phone is under test); else by its phone
	created string
	blocked bool
	alive   bool
}

// key is how a row of the sequence is found in a list.
type key struct {
	ord     int
	byName  bool
	value   string // the concrete name or phone
	tpl     string // the same in a scenario file
	app     string
	foreign bool
	// refused says the create was answered with a refusal: a faithful server
	// stored none of its rows.
	refused bool
}

// failure is the first finding of a sequence: where it happened and what.
type failure struct {
	at       int // index of the action
	req      int // the request's number in the execution
	step     int // index of the recorded step
	findings []conformance.Finding
	curl     string
	status   int
	body     string
}

// signature says whether two failures are "the same": the shrinker keeps a
// smaller sequence only when it still fails the same way.
func (f *failure) signature(seq []action) string {
	if f == nil {
		return ""
	}
	return fmt.Sprintf("%d|%s", seq[f.at].kind, f.findings[0].Check)
}

// execution runs one sequence against the target with a fresh model, records it
// as scenario steps, and cleans up after itself.
type execution struct {
	x      *explorer
	m      *model.Model
	marker int // makes this execution's keys unique
	made   []*mine
	keys   []key // every row sent, found or not
	rows   int
	// preexisting holds the ids listed before the sequence made anything: a row
	// key that collides with one of them is not ours.
	preexisting map[string]bool
	steps       []yStep
	leaked      int // leaks' captures so far, naming them
	// quiet sends without judging: the answers are read, not checked.
	quiet    bool
	pending  []*pendingCheck
	fail     *failure
	requests int
}

// identity is who acts: a token and the app it is granted.
type identity struct {
	foreign bool
	app     string
	token   string
	yAuth   string // how a scenario file says it
}

func (e *execution) who(foreign bool) identity {
	if foreign {
		return identity{foreign: true, app: e.x.cfg.ForeignApp, token: e.x.cfg.ForeignToken, yAuth: conformance.AuthForeignToken}
	}
	return identity{app: e.x.cfg.App, token: e.x.cfg.Token}
}

// request is one request to make and what is expected of its answer.
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
	// scenario form
	yStep yStep
}

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

// send makes one request, judges it with the every-answer checks and the model,
// and returns the answer and the findings.
func (e *execution) send(ctx context.Context, r *request) (*answer, []conformance.Finding) {
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
	a := &answer{curl: curl(method, u.String(), r.authShow, r.body, r.hasBody)}

	rctx, cancel := context.WithTimeout(ctx, e.x.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if r.hasBody {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(rctx, method, u.String(), rd)
	if err != nil {
		return a, []conformance.Finding{{Check: conformance.CheckTransport, Message: "cannot build the request: " + e.x.scrub(err.Error())}}
	}
	req.Header.Set("Content-Type", "application/json")
	if r.authz != "" {
		req.Header.Set("Authorization", r.authz)
	}
	if r.op == contactkit.OpCreateContacts || r.op == contactkit.OpDeleteContact {
		e.x.gate.Lock()
	}
	resp, err := e.x.client.Do(req)
	if r.op == contactkit.OpCreateContacts || r.op == contactkit.OpDeleteContact {
		e.x.gate.Unlock()
	}
	if err != nil {
		return a, []conformance.Finding{{Check: conformance.CheckTransport, Message: "no answer: " + e.x.scrub(err.Error()), Curl: a.curl}}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body.Close()
	if err != nil {
		return a, []conformance.Finding{{Check: conformance.CheckTransport, Message: "answer cut off: " + e.x.scrub(err.Error()), Curl: a.curl}}
	}
	truncated := len(raw) > maxBody
	if truncated {
		raw = raw[:maxBody]
	}
	a.status, a.raw = resp.StatusCode, raw
	a.req = e.requests
	var body any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&body) != nil {
		body = nil
	}
	a.body = body
	if e.quiet {
		return a, nil
	}
	// The every-answer checks run beside the next request: the server works on it
	// while they do. settle collects their findings at the end of the action.
	p := &pendingCheck{a: a, r: r, step: len(e.steps), done: make(chan struct{})}
	x := conformance.Exchange{Op: r.op, Method: method, Path: apiPath, Query: r.query, Status: resp.StatusCode, Header: resp.Header, Body: raw, Truncated: truncated}
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
	findings []conformance.Finding
	done     chan struct{}
}

// settle waits for the every-answer checks of action at and fails it with the
// earliest answer that broke the contract, unless an earlier answer already
// failed it.
func (e *execution) settle(at int) {
	pending := e.pending
	e.pending = nil
	for _, p := range pending {
		<-p.done
	}
	for _, p := range pending {
		if len(p.findings) == 0 {
			continue
		}
		if e.fail != nil && (e.fail.at < at || e.fail.req <= p.a.req) {
			return
		}
		e.fail = nil
		if p.step >= len(e.steps) {
			// A request no step recorded (a page of a walk): record it alone.
			st := p.r.yStep
			st.Expect = yExpect{Status: []int{p.a.status}}
			if st.Name == "" {
				st.Name = fmt.Sprintf("%s with %s answers as the contract says", p.r.op, queryText(p.r))
			}
			e.steps = append(e.steps, st)
		}
		e.failed(at, p.a, p.findings)
		e.fail.step = p.step
		e.steps = e.steps[:p.step+1]
		return
	}
}

// expect is what a request's answer must be: a status among these and every
// assertion holding.
type expect struct {
	statuses []int
	asserts  []assertion
	// onPage adds assertions about the contacts an answer's page shows.
	onPage *identity
}

// check runs r, judges it against ex and, recording the step, returns the answer
// and whether it failed (then e.fail holds why).
func (e *execution) check(ctx context.Context, at int, r *request, ex expect) (*answer, bool) {
	a, findings := e.send(ctx, r)
	if a.status != 0 && !slices.Contains(ex.statuses, a.status) {
		findings = append(findings, conformance.Finding{Check: conformance.CheckExpect, Message: fmt.Sprintf("status %d, want %s", a.status, statusList(ex.statuses)),
			Expected: statusList(ex.statuses), Actual: strconv.Itoa(a.status), Contract: model.OpLocation(e.x.spec, r.op)})
	} else if a.status != 0 {
		if ex.onPage != nil && a.status == http.StatusOK {
			items, _ := field(a.body, "data").([]any)
			ex.asserts = append(ex.asserts, e.pageAsserts(*ex.onPage, items)...)
			ex.asserts = append(ex.asserts, e.leaks(ctx, *ex.onPage, items)...)
		}
		findings = append(findings, evalAll(a.body, ex.asserts, e.x.spec, r.op)...)
	}
	e.record(r, ex)
	return a, e.failed(at, a, findings)
}

func (e *execution) failed(at int, a *answer, findings []conformance.Finding) bool {
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
	e.fail = &failure{at: at, req: a.req, step: len(e.steps) - 1, findings: findings, curl: a.curl, status: a.status, body: oneLine(e.x.scrub(string(a.raw)), 500)}
	return true
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

// run executes seq, stopping at the first failure, and always cleans up.
func (e *execution) run(ctx context.Context, seq []action) {
	defer e.cleanup(ctx)
	// What was there before: a key of ours that collides with it is not ours.
	e.x.gate.RLock()
	// Of a big app, the first pages: a key of ours is unique to the execution, so
	// a collision is a leftover of an earlier run, listed near the newest.
	w, _, ok := e.walkOnce(ctx, 0, e.who(false), int64(e.maxLimit()), nil)
	e.x.gate.RUnlock()
	if !ok {
		return
	}
	e.preexisting = map[string]bool{}
	for _, it := range w.items {
		if id, ok := field(it, "id").(string); ok {
			e.preexisting[id] = true
		}
	}
	e.settle(0)
	if e.fail != nil {
		return
	}
	for i, a := range seq {
		if ctx.Err() != nil || e.fail != nil {
			return
		}
		e.do(ctx, i, a)
		e.settle(i)
	}
}

func (e *execution) maxLimit() int {
	if l := e.x.spec.Paging.Limit.Max; l > 0 {
		return int(l)
	}
	return int(e.x.spec.Paging.Limit.Default)
}

// do runs one action.
func (e *execution) do(ctx context.Context, i int, a action) {
	switch a.kind {
	case kCreate:
		e.create(ctx, i, e.who(a.foreign), e.who(a.foreign), a.rows, nil)
	case kCreateRaw:
		id := e.who(false)
		r := e.newRequest(contactkit.OpCreateContacts, id, "", "")
		r.body, r.hasBody = []byte(a.raw), true
		r.yStep.RawBody = ptr(a.raw)
		r.yStep.Name = "a create body that is not a batch of rows: " + clip(strconv.Quote(a.raw), 60) + " is refused"
		e.check(ctx, i, r, expect{statuses: []int{http.StatusBadRequest, http.StatusUnprocessableEntity}})
	case kWalk:
		l, _ := strconv.ParseInt(a.limit, 10, 64)
		e.walk(ctx, i, e.who(a.foreign), l)
	case kList:
		id := e.who(false)
		r := e.newRequest(contactkit.OpListContacts, id, "", "")
		e.setQuery(r, a.page, a.limit)
		ex := expect{statuses: []int{http.StatusOK}}
		switch a.qclass {
		case invalid:
			ex.statuses = []int{http.StatusBadRequest}
		case lenient:
			ex.statuses = []int{http.StatusOK, http.StatusBadRequest}
		}
		ex.onPage = &id
		r.yStep.Name = fmt.Sprintf("list with %s answers %s", queryText(r), statusList(ex.statuses))
		e.check(ctx, i, r, ex)
	case kGet, kToggle, kDelete:
		id := e.who(a.foreign)
		c := e.pickMine(a.ref, id.app)
		op := map[kind]string{kGet: contactkit.OpGetContact, kToggle: contactkit.OpToggleContactBlock, kDelete: contactkit.OpDeleteContact}[a.kind]
		e.onContact(ctx, i, op, id, c)
	case kAuth:
		e.auth(ctx, i, a)
	}
}

// pickMine returns the ref-th contact made in app, alive or not, or nil.
func (e *execution) pickMine(ref int, app string) *mine {
	var in []*mine
	for _, c := range e.made {
		if c.app == app {
			in = append(in, c)
		}
	}
	if ref < 0 || len(in) == 0 {
		return nil
	}
	return in[len(in)-1-ref%len(in)] // 0 is the newest: sequences work on what they just made
}

// unknownID names no contact; fixed so that a sequence replays exactly.
const unknownID = "00000000-0000-4000-8000-00000000e404"

// onContact gets, toggles or deletes c (nil: a contact nobody made) as id.
func (e *execution) onContact(ctx context.Context, i int, op string, id identity, c *mine) {
	contact, tpl := unknownID, "{{random_uuid}}"
	if c != nil {
		contact, tpl = c.id, fmt.Sprintf("{{c%d}}", c.ord)
	}
	r := e.newRequest(op, id, contact, tpl)
	ex := expect{statuses: []int{http.StatusNotFound}}
	verb := map[string]string{contactkit.OpGetContact: "get", contactkit.OpToggleContactBlock: "PUT", contactkit.OpDeleteContact: "delete"}[op]
	what := "a contact nobody made"
	if c != nil {
		what = fmt.Sprintf("contact %d", c.ord)
		if !c.alive {
			what += " (deleted)"
		}
	}
	r.yStep.Name = fmt.Sprintf("%s %s answers 404", verb, what)
	if c != nil && c.alive {
		ex.statuses = []int{http.StatusOK}
		blocked := c.blocked
		if op == contactkit.OpToggleContactBlock {
			blocked = !blocked
		}
		switch op {
		case contactkit.OpGetContact:
			ex.asserts = e.contactAsserts(c, "/data", true, blocked)
			r.yStep.Name = fmt.Sprintf("get %s shows it as created, is_blocked %t", what, blocked)
		case contactkit.OpToggleContactBlock:
			ex.asserts = e.contactAsserts(c, "/data", false, blocked)
			r.yStep.Name = fmt.Sprintf("PUT %s flips is_blocked to %t", what, blocked)
		default:
			r.yStep.Name = fmt.Sprintf("delete %s", what)
		}
	}
	a, failed := e.check(ctx, i, r, ex)
	if failed || c == nil || !c.alive || a.status != http.StatusOK {
		return
	}
	switch op {
	case contactkit.OpToggleContactBlock:
		c.blocked = !c.blocked
	case contactkit.OpDeleteContact:
		c.alive = false
	}
}

// contactAsserts are what an answer showing c must say. detail: the detail's
// form (tags) rather than the list's (tag).
func (e *execution) contactAsserts(c *mine, at string, detail bool, blocked bool) []assertion {
	idv := fmt.Sprintf("{{c%d}}", c.ord)
	out := []assertion{
		{ptr: at, field: "id", kind: "equals", want: c.id, wantTpl: idv},
		{ptr: at, field: "is_blocked", kind: "equals", want: blocked},
		{ptr: at, field: "created_at", kind: "equals", want: c.created, wantTpl: fmt.Sprintf("{{t%d}}", c.ord)},
	}
	if c.keyName {
		out = append(out, assertion{ptr: at, field: "phone", kind: "equals", want: json.Number(c.phone)})
	} else {
		out = append(out, assertion{ptr: at, field: "phone", kind: "equals", want: json.Number(c.phone), wantTpl: fmt.Sprintf("{{p%d}}", c.ord)})
	}
	nameTpl := ""
	if c.keyName {
		nameTpl = e.nameTpl(c.ord)
	}
	if detail {
		out = append(out, assertion{ptr: at, field: "tags", kind: "contains", want: c.name, wantTpl: nameTpl})
	} else {
		out = append(out, assertion{ptr: at, field: "tag", kind: "equals", want: c.name, wantTpl: nameTpl})
	}
	return out
}

// newRequest starts a request of op by id on contact (its scenario form tpl).
func (e *execution) newRequest(op string, id identity, contact, tpl string) *request {
	r := &request{op: op, app: id.app, contact: contact, authz: "Bearer " + id.token, authShow: "Bearer ***"}
	r.yStep = yStep{Op: op, Auth: id.yAuth}
	if tpl != "" {
		r.yStep.Params = map[string]string{"contactId": tpl}
	}
	return r
}

func (e *execution) setQuery(r *request, page, limit string) {
	r.query = url.Values{}
	r.yStep.Query = &yQuery{}
	if page != "" {
		r.query.Set("page", page)
		r.qorder = append(r.qorder, "page")
		r.yStep.Query.Page = ptr(page)
	}
	if limit != "" {
		r.query.Set("limit", limit)
		r.qorder = append(r.qorder, "limit")
		r.yStep.Query.Limit = ptr(limit)
	}
	if len(r.qorder) == 0 {
		r.yStep.Query = nil
	}
}

func queryText(r *request) string {
	if len(r.qorder) == 0 {
		return "no query"
	}
	var parts []string
	for _, k := range r.qorder {
		parts = append(parts, k+"="+strconv.Quote(r.query.Get(k)))
	}
	return strings.Join(parts, " ")
}

// rowJSON writes a row with its key, concrete or as a scenario template.
func (e *execution) rowJSON(rw row, k key, tpl bool) string {
	keyText := k.value
	if tpl {
		keyText = k.tpl
	}
	if rw.shape == "bare" {
		return rw.value
	}
	var fields []string
	if rw.focusName {
		if rw.shape != "missing" {
			fields = append(fields, `"name":`+rw.value)
		}
		fields = append(fields, `"phone":`+keyText)
	} else {
		if tpl {
			fields = append(fields, `"name":"`+keyText+`"`)
		} else {
			fields = append(fields, `"name":`+jsonString(keyText))
		}
		if rw.shape != "missing" {
			fields = append(fields, `"phone":`+rw.value)
		}
	}
	if rw.shape == "extra" {
		fields = append(fields, `"nickname":"extra"`)
	}
	return "{" + strings.Join(fields, ",") + "}"
}

// newKey gives the next row its unique key.
func (e *execution) newKey(rw row, id identity) key {
	e.rows++
	k := key{ord: e.rows, byName: !rw.focusName, app: id.app, foreign: id.foreign}
	if k.byName {
		k.value = e.nameKey(k.ord)
		k.tpl = e.nameTpl(k.ord)
	} else {
		k.value = strconv.FormatInt(628_100_000_000_000+int64(e.marker)*100_000+int64(k.ord), 10)
		k.tpl = fmt.Sprintf("{{p%d}}", k.ord)
	}
	return k
}

func (e *execution) nameKey(ord int) string { return fmt.Sprintf("Explore %05d %d", e.marker, ord) }
func (e *execution) nameTpl(ord int) string { return fmt.Sprintf("Explore {{run_id}} %d", ord) }

// create sends rows as actor onto app's list (actor's own unless the action is an
// authorization probe), then walks the lists to see that every row or none was
// stored, exactly as sent.
func (e *execution) create(ctx context.Context, i int, actor, owner identity, rows []row, refuse *cred) {
	r := e.newRequest(contactkit.OpCreateContacts, owner, "", "")
	r.authz, r.authShow, r.yStep.Auth = "Bearer "+actor.token, "Bearer ***", actor.yAuth
	refusal := refuse != nil
	if refusal {
		r.authz, r.authShow, r.yStep.Auth, r.yStep.Headers = refuse.header, refuse.show, refuse.yAuth, refuse.headers
		if refuse.app != "" {
			r.yStep.Params = map[string]string{"appId": refuse.app}
		}
	}
	var keys []key
	var body, tpl []string
	worst := valid
	for _, rw := range rows {
		k := e.newKey(rw, owner)
		keys = append(keys, k)
		body = append(body, e.rowJSON(rw, k, false))
		tpl = append(tpl, e.rowJSON(rw, k, true))
		worst = max(worst, rw.class)
		if !rw.focusName || rw.shape != "missing" {
			r.yStep.Vars = append(r.yStep.Vars, k)
		}
	}
	r.body, r.hasBody = []byte("["+strings.Join(body, ",")+"]"), true
	r.yStep.RawBody = ptr("[" + strings.Join(tpl, ",") + "]")
	ex := expect{}
	switch {
	case refusal:
		ex.statuses = []int{http.StatusForbidden}
	case worst == valid:
		ex.statuses = []int{http.StatusCreated}
	case worst == lenient:
		ex.statuses = []int{http.StatusCreated, http.StatusBadRequest, http.StatusUnprocessableEntity}
	default:
		ex.statuses = []int{http.StatusBadRequest, http.StatusUnprocessableEntity}
	}
	r.yStep.Name = fmt.Sprintf("create %d row(s) (%s) answers %s", len(rows), describeRows(rows), statusList(ex.statuses))
	first := len(e.keys)
	e.keys = append(e.keys, keys...)
	a, failed := e.check(ctx, i, r, ex)
	if a.status >= 400 && a.status < 500 {
		for j := first; j < len(e.keys); j++ {
			e.keys[j].refused = true
		}
	}
	if failed {
		return
	}
	stored := a.status == http.StatusCreated
	// A refused create may have stored into the actor's app instead: look there too.
	apps := []identity{owner}
	if refusal && actor.app != owner.app {
		apps = append(apps, actor)
	}
	for _, id := range apps {
		if id.token == "" {
			continue // the foreign app without the foreign token: unreadable
		}
		want := []key(nil)
		if stored && id.app == owner.app {
			want = keys
		}
		if !e.findRows(ctx, i, id, rows, keys, want) {
			return
		}
	}
}

func describeRows(rows []row) string {
	var parts []string
	for _, rw := range rows {
		f := "phone"
		if rw.focusName {
			f = "name"
		}
		s := f + " " + clip(rw.value, 40)
		if rw.shape != "" {
			s += " (" + rw.shape + ")"
		}
		parts = append(parts, s)
	}
	return clip(strings.Join(parts, "; "), 200)
}

// findRows walks id's app and checks that exactly the rows of want are there, one
// contact each, with the values sent, and that the other rows' keys are not.
// The contacts found become the sequence's.
func (e *execution) findRows(ctx context.Context, i int, id identity, rows []row, keys, want []key) bool {
	r := e.newRequest(contactkit.OpListContacts, id, "", "")
	e.setQuery(r, "", strconv.Itoa(e.maxLimit()))
	// Of a big app the walk stops once every row stored has been seen.
	seek := func(items []any) bool {
		for _, k := range want {
			sel := "phone"
			if k.byName {
				sel = "tag"
			}
			if !slices.ContainsFunc(items, func(it any) bool { return textOf(field(it, sel)) == k.value }) {
				return false
			}
		}
		return true
	}
	w, ok := e.walkRead(ctx, i, id, int64(e.maxLimit()), seek)
	if !ok {
		return false
	}
	items, wr := w.items, w.last
	var asserts []assertion
	found := map[int]*mine{}
	for j, k := range keys {
		sel, selTpl := "phone", k.tpl
		if k.byName {
			sel = "tag"
		}
		stored := slices.ContainsFunc(want, func(w key) bool { return w.ord == k.ord })
		if !stored {
			asserts = append(asserts, assertion{ptr: "/data", sel: sel, selVal: k.value, selTpl: selTpl, kind: "absent"})
			continue
		}
		rw := rows[j]
		var n int
		var hit any
		for _, it := range items {
			itID, _ := field(it, "id").(string)
			if e.preexisting[itID] || textOf(field(it, sel)) != k.value {
				continue
			}
			n++
			if hit == nil {
				hit = it
			}
		}
		c := &mine{ord: k.ord, app: id.app, foreign: id.foreign, keyName: k.byName, alive: true}
		if k.byName {
			c.name, c.phone = k.value, rw.value
		} else {
			c.phone = k.value
			_ = json.Unmarshal([]byte(rw.value), &c.name)
		}
		asserts = append(asserts, assertion{ptr: "/data", sel: sel, selVal: k.value, selTpl: selTpl, kind: "present"})
		if k.byName {
			asserts = append(asserts, assertion{ptr: "/data", sel: sel, selVal: k.value, selTpl: selTpl, field: "phone", kind: "equals", want: json.Number(c.phone)})
		} else {
			asserts = append(asserts, assertion{ptr: "/data", sel: sel, selVal: k.value, selTpl: selTpl, field: "tag", kind: "equals", want: c.name})
		}
		if n > 1 {
			asserts = append(asserts, assertion{ptr: "/data", sel: sel, selVal: k.value, selTpl: selTpl, kind: "once", count: n})
		}
		if hit != nil {
			c.id, _ = field(hit, "id").(string)
			c.created, _ = field(hit, "created_at").(string)
			c.blocked, _ = field(hit, "is_blocked").(bool)
			found[k.ord] = c
			r.yStep.addCapture(fmt.Sprintf("c%d", k.ord), "/data["+sel+"="+selTpl+"]/id")
			r.yStep.addCapture(fmt.Sprintf("t%d", k.ord), "/data["+sel+"="+selTpl+"]/created_at")
		} else if !w.complete {
			// It may sit on a page the walk did not read: nothing is known of it.
			asserts = asserts[:len(asserts)-2]
		}
	}
	asserts = append(asserts, e.pageAsserts(id, items)...)
	r.yStep.Walk = true
	r.yStep.Name = fmt.Sprintf("the list of app %s holds exactly the rows stored, as sent", appWord(id))
	ex := expect{statuses: []int{http.StatusOK}, asserts: asserts}
	findings := evalAll(map[string]any{"data": items}, asserts, e.x.spec, contactkit.OpCreateContacts)
	e.record(r, ex)
	// What was found is the sequence's to delete, whatever else is wrong.
	for _, k := range keys {
		if c := found[k.ord]; c != nil {
			e.made = append(e.made, c)
			findings = append(findings, e.m.Claim(c.app, c.id, c.name, c.phone, c.created, c.blocked)...)
		}
	}
	return !e.failed(i, wr, findings)
}

func appWord(id identity) string {
	if id.foreign {
		return "{{foreign_app}}"
	}
	return "{{app}}"
}

// walk reads every page of id's app with limit and checks the pages against each
// other and against the model: every contact made there and alive is listed
// once as it is, none deleted is, and no row of another app or of a refused
// batch is.
func (e *execution) walk(ctx context.Context, i int, id identity, limit int64) {
	r := e.newRequest(contactkit.OpListContacts, id, "", "")
	e.setQuery(r, "", strconv.FormatInt(limit, 10))
	w, ok := e.walkRead(ctx, i, id, limit, nil)
	if !ok {
		return
	}
	items, wr := w.items, w.last
	e.setQuery(r, "", strconv.FormatInt(w.limit, 10))
	// A walk cut short sees only some pages: what it did not see may be listed
	// on the others, so only what it saw is judged.
	var asserts []assertion
	if w.complete {
		asserts = e.walkAsserts(id)
	}
	asserts = append(asserts, e.pageAsserts(id, items)...)
	r.yStep.Walk, r.yStep.AcrossPages = true, w.complete
	r.yStep.Name = fmt.Sprintf("every page of %s with limit %d agrees with the others and with what was made", appWord(id), w.limit)
	findings := evalAll(map[string]any{"data": items}, asserts, e.x.spec, contactkit.OpListContacts)
	e.record(r, expect{statuses: []int{http.StatusOK}, asserts: asserts})
	e.failed(i, wr, findings)
}

// pageAsserts are what one page must say of the contacts made: none deleted or of
// another app is on it, and those on it are as the model has them.
func (e *execution) pageAsserts(id identity, items []any) []assertion {
	on := map[string]bool{}
	for _, it := range items {
		if s, ok := field(it, "id").(string); ok {
			on[s] = true
		}
	}
	var out []assertion
	for _, c := range e.made {
		idTpl := fmt.Sprintf("{{c%d}}", c.ord)
		switch {
		case c.app != id.app:
			out = append(out, assertion{ptr: "/data", sel: "id", selVal: c.id, selTpl: idTpl, kind: "absent", why: "a contact of another app"})
		case !c.alive:
			out = append(out, assertion{ptr: "/data", sel: "id", selVal: c.id, selTpl: idTpl, kind: "absent", why: "a deleted contact"})
		case on[c.id]:
			for _, a := range e.contactAsserts(c, "/data", false, c.blocked) {
				if a.field == "id" {
					continue // the selector says it
				}
				a.sel, a.selVal, a.selTpl = "id", c.id, idTpl
				out = append(out, a)
			}
		}
	}
	return out
}

// leaks are what a page of id's app must say of the first contact on it that
// the model saw in another app (listed there, not made by the sequence): it is
// absent. A scenario file cannot name a contact it did not make, so a step before
// walks the owner's app and captures the one at the same place in its list, and
// the page must not hold that one.
func (e *execution) leaks(ctx context.Context, id identity, items []any) []assertion {
	for _, it := range items {
		cid, _ := field(it, "id").(string)
		c, ok := e.m.Lookup(cid)
		if !ok || c.App == id.app || slices.ContainsFunc(e.made, func(m *mine) bool { return m.id == cid }) {
			continue
		}
		owner := e.who(c.App == e.x.cfg.ForeignApp && c.App != e.x.cfg.App)
		if owner.app != c.App || owner.token == "" {
			continue
		}
		limit := int64(e.maxLimit())
		e.quiet = true
		w, _, ok := e.walkOnce(ctx, 0, owner, limit, nil)
		e.quiet = false
		if !ok {
			return nil
		}
		at := slices.IndexFunc(w.items, func(o any) bool { return field(o, "id") == cid })
		if at < 0 {
			continue
		}
		e.leaked++
		name := fmt.Sprintf("o%d", e.leaked)
		r := e.newRequest(contactkit.OpListContacts, owner, "", "")
		e.setQuery(r, "", strconv.FormatInt(w.limit, 10))
		r.yStep.Walk = true
		r.yStep.Name = fmt.Sprintf("the contact listed %s in %s (%s when found)", ordinal(at+1), appWord(owner), cid)
		r.yStep.addCapture(name, fmt.Sprintf("/data/%d/id", at))
		e.record(r, expect{statuses: []int{http.StatusOK}})
		return []assertion{{ptr: "/data", sel: "id", selVal: cid, selTpl: "{{" + name + "}}", kind: "absent", why: "a contact of " + appWord(owner)}}
	}
	return nil
}

func ordinal(n int) string {
	switch {
	case n%10 == 1 && n%100 != 11:
		return fmt.Sprintf("%dst", n)
	case n%10 == 2 && n%100 != 12:
		return fmt.Sprintf("%dnd", n)
	case n%10 == 3 && n%100 != 13:
		return fmt.Sprintf("%drd", n)
	}
	return fmt.Sprintf("%dth", n)
}

func (e *execution) walkAsserts(id identity) []assertion {
	var out []assertion
	for _, c := range e.made {
		idTpl := fmt.Sprintf("{{c%d}}", c.ord)
		switch {
		case c.app != id.app:
			out = append(out, assertion{ptr: "/data", sel: "id", selVal: c.id, selTpl: idTpl, kind: "absent", why: "a contact of another app"})
		case !c.alive:
			out = append(out, assertion{ptr: "/data", sel: "id", selVal: c.id, selTpl: idTpl, kind: "absent", why: "a deleted contact"})
		default:
			out = append(out, assertion{ptr: "/data", sel: "id", selVal: c.id, selTpl: idTpl, kind: "once"},
				assertion{ptr: "/data", sel: "id", selVal: c.id, selTpl: idTpl, field: "is_blocked", kind: "equals", want: c.blocked})
		}
	}
	return out
}

// walkRead reads every page (or, of a big app, the first ones: see
// fullWalkTotal), retrying when the pages disagree, and records nothing.
func (e *execution) walkRead(ctx context.Context, i int, id identity, limit int64, seek func([]any) bool) (walked, bool) {
	var w walked
	var findings []conformance.Finding
	for attempt := range walkAttempts {
		var ok bool
		e.x.gate.RLock()
		w, findings, ok = e.walkOnce(ctx, i, id, limit, seek)
		e.x.gate.RUnlock()
		if !ok {
			return w, false
		}
		if len(findings) == 0 {
			return w, true
		}
		if attempt < walkAttempts-1 {
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	r := e.newRequest(contactkit.OpListContacts, id, "", "")
	e.setQuery(r, "", strconv.FormatInt(w.limit, 10))
	r.yStep.Walk, r.yStep.AcrossPages = true, true
	r.yStep.Name = fmt.Sprintf("every page of %s with limit %d agrees with the others", appWord(id), w.limit)
	e.record(r, expect{statuses: []int{http.StatusOK}})
	e.failed(i, w.last, findings)
	return w, false
}

// walkOnce reads every page once. ok is false when a page failed its own checks
// (e.fail says why); findings are the pages' disagreements.
//
// seek, when not nil, says whether the items read so far hold every row the
// walk looks for: a walk of a big app stops there. complete is false when the
// walk stopped before the last page; limit is the one it walked with (the
// contract's largest for a big app).
func (e *execution) walkOnce(ctx context.Context, i int, id identity, limit int64, seek func([]any) bool) (w walked, findings []conformance.Finding, ok bool) {
	var items []any
	var last *answer
	ids := map[string]bool{}
	var total any
	pages := 0
	big := false
	deadline := time.Now().Add(walkTime)
	complete := true
	for page := int64(1); ; page++ {
		lim := strconv.FormatInt(limit, 10)
		r := e.newRequest(contactkit.OpListContacts, id, "", "")
		e.setQuery(r, strconv.FormatInt(page, 10), lim)
		a, fs := e.send(ctx, r)
		last = a
		if a.status != 0 && a.status != http.StatusOK {
			fs = append(fs, conformance.Finding{Check: conformance.CheckExpect, Message: fmt.Sprintf("list page %d answered %d, want 200", page, a.status),
				Expected: "200", Actual: strconv.Itoa(a.status), Contract: model.OpLocation(e.x.spec, contactkit.OpListContacts)})
		}
		if len(fs) > 0 && e.quiet {
			return walked{last: a, limit: limit}, nil, false
		}
		if len(fs) > 0 {
			r.yStep.Name = fmt.Sprintf("list page %d with limit %d answers 200 as the contract and the model say", page, limit)
			ex := expect{statuses: []int{http.StatusOK}}
			if a.status == http.StatusOK {
				data, _ := field(a.body, "data").([]any)
				ex.asserts = append(e.pageAsserts(id, data), e.leaks(ctx, id, data)...)
			}
			e.record(r, ex)
			e.failed(i, a, fs)
			return walked{last: a, limit: limit}, nil, false
		}
		pages++
		data, _ := field(a.body, "data").([]any)
		meta := field(a.body, "meta")
		if page == 1 {
			total = field(meta, "total")
			if n, err := strconv.ParseInt(textOf(total), 10, 64); err == nil && n > fullWalkTotal {
				big = true
				if top := int64(e.maxLimit()); limit < top {
					// Walk a big app with the largest limit: start again.
					limit, page, pages = top, 0, 0
					continue
				}
			}
		} else if !jsonEq(total, field(meta, "total")) {
			findings = append(findings, conformance.Finding{Check: conformance.CheckPaging, Pointer: "/meta/total", Message: fmt.Sprintf("page %d says total %v, page 1 said %v", page, field(meta, "total"), total),
				Expected: fmt.Sprint(total), Actual: fmt.Sprint(field(meta, "total")), Contract: contactkit.SpecFile + "#/components/schemas/PageMeta/properties/total", Curl: a.curl})
		}
		for j, it := range data {
			itID, _ := field(it, "id").(string)
			if ids[itID] {
				findings = append(findings, conformance.Finding{Check: conformance.CheckPaging, Pointer: fmt.Sprintf("/data/%d/id", j), Message: fmt.Sprintf("contact %s is on page %d and on an earlier page", itID, page),
					Expected: "each contact on one page", Actual: "twice", Contract: model.OpLocation(e.x.spec, contactkit.OpListContacts), Curl: a.curl})
			}
			ids[itID] = true
		}
		items = append(items, data...)
		if field(meta, "next_page") == nil {
			break
		}
		bigDone := seek == nil && len(items) >= bigWalkItems || seek != nil && (len(items) >= bigSeekItems || seek(items))
		if big && bigDone || len(items) >= conformance.DefaultWalkItems || time.Now().After(deadline) {
			complete = false
			break
		}
	}
	w = walked{items: items, last: last, limit: limit, complete: complete}
	if n, ok := total.(json.Number); ok && complete && n.String() != strconv.Itoa(len(items)) {
		findings = append(findings, conformance.Finding{Check: conformance.CheckPaging, Pointer: "/meta/total", Message: fmt.Sprintf("the %d pages hold %d contacts, meta.total says %s", pages, len(items), n),
			Expected: strconv.Itoa(len(items)), Actual: n.String(), Contract: contactkit.SpecFile + "#/components/schemas/PageMeta/properties/total", Curl: last.curl})
	}
	return w, findings, true
}

// walked is what a walk read: the items of every page it read, its last answer,
// the limit it walked with and whether it read every page.
type walked struct {
	items    []any
	last     *answer
	limit    int64
	complete bool
}

// auth sends one operation with credentials or an identity that must be refused,
// then checks that the refusal changed nothing.
func (e *execution) auth(ctx context.Context, i int, a action) {
	own, foreign := e.who(false), e.who(true)
	if a.cred == authToken || a.cred == authForeignOwn {
		a.crossRef = true
	}
	// actor sends; pathID owns the path's app; the contact named comes from target.
	actor, path := own, own
	target := own
	switch a.cred {
	case authForeignApp:
		path = foreign
		if a.crossRef {
			target = foreign
		}
	case authForeignToken:
		actor = foreign
	case authForeignOwn:
		actor, path = foreign, foreign
	case authToken:
		target = foreign
	}
	c := e.pickMine(a.ref, target.app)
	if a.op == contactkit.OpCreateContacts {
		cr := &cred{}
		cr.header, cr.show = e.credHeader(a.cred, actor)
		var hdr map[string]string
		cr.yAuth, hdr = e.credScenario(a.cred, path)
		cr.headers = hdr
		if a.cred == authForeignToken {
			cr.app = appWord(path)
		}
		e.create(ctx, i, actor, path, a.rows, cr)
		return
	}
	contact, tpl := "", ""
	if a.op != contactkit.OpListContacts {
		contact, tpl = unknownID, "{{random_uuid}}"
		if c != nil {
			contact, tpl = c.id, fmt.Sprintf("{{c%d}}", c.ord)
		}
	}
	r := e.newRequest(a.op, path, contact, tpl)
	r.authz, r.authShow = e.credHeader(a.cred, actor)
	r.yStep.Auth, r.yStep.Headers = e.credScenario(a.cred, path)
	if a.cred == authForeignToken {
		// The foreign token on the main app: auth: foreign-token names the
		// foreign app unless the file says which.
		if r.yStep.Params == nil {
			r.yStep.Params = map[string]string{}
		}
		r.yStep.Params["appId"] = appWord(path)
	}
	ex := expect{statuses: []int{http.StatusForbidden}}
	what := "is refused (403)"
	switch {
	case a.cred == authLower:
		// Schemes are case-insensitive (RFC 7235): taking it is as right as refusing.
		ex.statuses = []int{http.StatusForbidden, http.StatusOK}
		if c == nil || !c.alive {
			ex.statuses = []int{http.StatusForbidden, http.StatusNotFound}
		}
		if a.op == contactkit.OpListContacts {
			ex.statuses = []int{http.StatusForbidden, http.StatusOK}
		}
		what = "is taken or refused"
	case a.cred == authToken || a.cred == authForeignOwn:
		// The right token on its own app, naming the other app's contact: there is
		// no such contact in this app.
		ex.statuses = []int{http.StatusForbidden, http.StatusNotFound}
		what = "answers 403 or 404: the contact is another app's"
		if a.op == contactkit.OpListContacts {
			return
		}
	}
	r.yStep.Name = fmt.Sprintf("%s on %s with %s %s", a.op, appWord(path), credWord(a.cred), what)
	ans, failed := e.check(ctx, i, r, ex)
	if failed || c == nil || ans.status == http.StatusOK {
		return
	}
	if a.op == contactkit.OpToggleContactBlock || a.op == contactkit.OpDeleteContact {
		// The refusal changed nothing: the owner reads the contact as it was.
		owner := e.who(c.foreign)
		if owner.token == "" {
			return
		}
		e.onContact(ctx, i, contactkit.OpGetContact, owner, c)
		if e.fail == nil && len(e.steps) > 0 {
			e.steps[len(e.steps)-1].Name = fmt.Sprintf("the refused %s changed nothing: %s", a.op, e.steps[len(e.steps)-1].Name)
		}
	}
}

// cred is how a refused request sends its credentials.
type cred struct {
	header, show, yAuth string
	headers             map[string]string
	app                 string // the appId a scenario file names, when not auth's own
}

// credHeader is the Authorization header for cred sent as actor, and how reports
// show it (the token masked, never shown in part).
func (e *execution) credHeader(cred auth, actor identity) (string, string) {
	t := actor.token
	switch cred {
	case authNone:
		return "", ""
	case authBasic:
		return "Basic Y29udGFjdGtpdDpleHBsb3Jl", "Basic Y29udGFjdGtpdDpleHBsb3Jl"
	case authBearerOnly:
		return "Bearer", "Bearer"
	case authRawToken:
		return t, "***"
	case authOtherScheme:
		return "Token " + t, "Token ***"
	case authSuffix:
		return "Bearer " + t + "x", "Bearer ***x"
	case authPrefix:
		return "Bearer x" + t, "Bearer x***"
	case authWrong:
		return "Bearer contactkit-explore-wrong-token", "Bearer contactkit-explore-wrong-token"
	case authLower:
		return "bearer " + t, "bearer ***"
	}
	return "Bearer " + t, "Bearer ***"
}

// credScenario says cred in a scenario file. A file never holds a token, so the
// variants that embed it are written with the nearest credentials a file can
// name; the step's name says what was sent.
func (e *execution) credScenario(cred auth, path identity) (string, map[string]string) {
	switch cred {
	case authNone:
		return "none", nil
	case authBasic:
		return "basic", nil
	case authBearerOnly:
		return "bearer-only", nil
	case authRawToken:
		// Any text without a scheme shows the same flaw; the token is never written.
		return "", map[string]string{"Authorization": "explore-not-the-token"}
	case authOtherScheme:
		return "", map[string]string{"Authorization": "Token explore-not-the-token"}
	case authWrong:
		return conformance.AuthWrongToken, nil
	case authSuffix:
		return conformance.AuthTokenSuffix, nil
	case authPrefix:
		return conformance.AuthTokenPrefix, nil
	case authForeignApp:
		return conformance.AuthForeignApp, nil
	case authForeignToken, authForeignOwn:
		return conformance.AuthForeignToken, nil
	}
	return path.yAuth, nil
}

func credWord(cred auth) string {
	return map[auth]string{
		authToken: "its own token", authNone: "no Authorization", authBasic: "Basic credentials", authBearerOnly: `"Bearer" alone`,
		authRawToken: "the token without a scheme", authOtherScheme: `the "Token" scheme`, authSuffix: "the token with a suffix",
		authPrefix: "the token with a prefix", authWrong: "a token nobody issued", authLower: `"bearer" in lower case`,
		authForeignApp: "the token not granted this app", authForeignToken: "the foreign token, not granted this app", authForeignOwn: "the foreign token",
	}[cred]
}

// cleanup deletes every contact the sequence made and did not delete, even when
// ctx is done: with a fresh context, bounded.
func (e *execution) cleanup(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.x.cfg.Timeout*2)
	defer cancel()
	for _, c := range e.made {
		if !c.alive || c.id == "" {
			continue
		}
		id := e.who(c.foreign)
		if id.token == "" {
			continue
		}
		r := e.newRequest(contactkit.OpDeleteContact, id, c.id, fmt.Sprintf("{{c%d}}", c.ord))
		e.send(cctx, r)
		c.alive = false
	}
	e.sweep(cctx)
	for _, p := range e.pending {
		<-p.done // no check outlives the run
	}
	e.pending = nil
}

// sweep deletes contacts that carry a key of this execution but were never found
// (a run cut short between a create and the walk after it): the keys are unique
// to the execution, so such a contact is its own.
func (e *execution) sweep(ctx context.Context) {
	found := map[int]bool{}
	for _, c := range e.made {
		found[c.ord] = true
	}
	lost := map[string]map[string]bool{} // app -> key values
	unknown := map[string]bool{}         // apps with rows of a create not refused
	for _, k := range e.keys {
		if !found[k.ord] {
			if lost[k.app] == nil {
				lost[k.app] = map[string]bool{}
			}
			lost[k.app][k.value] = true
			unknown[k.app] = unknown[k.app] || !k.refused
		}
	}
	for _, id := range []identity{e.who(false), e.who(true)} {
		if id.token == "" || len(lost[id.app]) == 0 {
			continue
		}
		var doomed []string // deleted after the walk, so no page shifts under it
		deadline := time.Now().Add(walkTime)
		read, most := 0, conformance.DefaultWalkItems
		for page := 1; read < most && time.Now().Before(deadline); page++ {
			r := e.newRequest(contactkit.OpListContacts, id, "", "")
			e.setQuery(r, strconv.Itoa(page), strconv.Itoa(e.maxLimit()))
			a, _ := e.send(ctx, r)
			data, _ := field(a.body, "data").([]any)
			read += len(data)
			if n, err := strconv.ParseInt(textOf(field(field(a.body, "meta"), "total")), 10, 64); page == 1 && err == nil && n > fullWalkTotal && !unknown[id.app] {
				// Only rows a refusal kept out are sought, in a big app: a seek
				// walk's worth, not every page.
				most = bigSeekItems
			}
			for _, it := range data {
				itID, _ := field(it, "id").(string)
				if e.preexisting[itID] || itID == "" {
					continue
				}
				if lost[id.app][textOf(field(it, "phone"))] || lost[id.app][textOf(field(it, "tag"))] {
					doomed = append(doomed, itID)
				}
			}
			if a.status != http.StatusOK || field(field(a.body, "meta"), "next_page") == nil {
				break
			}
		}
		for _, itID := range doomed {
			e.send(ctx, e.newRequest(contactkit.OpDeleteContact, id, itID, ""))
		}
	}
}

func (e *execution) record(r *request, ex expect) {
	st := r.yStep
	st.Expect.Status = ex.statuses
	for _, a := range ex.asserts {
		st.addAssert(a)
	}
	e.steps = append(e.steps, st)
}

func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonEq(a, b any) bool {
	na, ok1 := a.(json.Number)
	nb, ok2 := b.(json.Number)
	if ok1 && ok2 {
		return model.SameNumber(na.String(), nb.String())
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func field(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

func ptr[T any](v T) *T { return &v }

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func oneLine(s string, n int) string { return clip(strings.Join(strings.Fields(s), " "), n) }

func curl(method, u, authShow string, body []byte, hasBody bool) string {
	var b strings.Builder
	b.WriteString("curl -sS -X " + method + " " + shellQuote(u) + " -H 'Content-Type: application/json'")
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

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
