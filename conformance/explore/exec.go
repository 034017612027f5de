package explore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/conformance/model"
	"github.com/contactkit/contactkit/scenario"
)

// mine is a contact the sequence made.
type mine struct {
	ord     int // its row's number in the sequence: names its scenario variables
	app     string
	foreign bool // made by the foreign identity
	id      string
	name    string // as stored (decoded)
	phone   string // as stored (JSON text)
	keyName bool   // found by its name (its phone is under test); else by its phone
	created string
	blocked bool
	alive   bool
	// tags are the first detail's, nil before one: later ones hold the same.
	tags []any
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

// recorded is a step as a scenario file will say it, with the row keys its body
// uses.
type recorded struct {
	step *scenario.Step
	vars []key
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
	steps       []recorded
	leaked      int // leaks' captures so far, naming them
	// quiet sends without judging: the answers are read, not checked.
	quiet    bool
	pending  []*pendingCheck
	fail     *failure
	warnings []warning
	requests int
	// done counts the actions run to the end.
	done int
	// injected are the ids rows sent (shapeID) and how a file says them, by the
	// row's key ordinal.
	injected map[int][2]string
}

func newExecution(x *explorer, n int) *execution {
	m := model.New(x.spec, model.Config{})
	m.MadeUp(unknownID)
	return &execution{x: x, m: m, marker: int((uint64(x.cfg.Seed)*2654435761 + uint64(n)*40503) % 100000), injected: map[int][2]string{}}
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
		return identity{foreign: true, app: e.x.cfg.ForeignApp, token: e.x.cfg.ForeignToken, yAuth: scenario.AuthForeignToken}
	}
	return identity{app: e.x.cfg.App, token: e.x.cfg.Token}
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
		if id, ok := check.Field(it, "id").(string); ok {
			e.preexisting[id] = true
		}
	}
	e.settle(ctx, 0)
	if e.fail != nil {
		return
	}
	for i, a := range seq {
		if ctx.Err() != nil || e.fail != nil {
			return
		}
		e.do(ctx, i, a)
		e.settle(ctx, i)
		if ctx.Err() == nil && e.fail == nil {
			e.done++
		}
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
		e.create(ctx, i, e.who(a.foreign), e.who(a.foreign), a.rows, nil, a.mediaType)
	case kCreateRaw:
		e.createRaw(ctx, i, a.raw)
	case kWalk:
		l, _ := strconv.ParseInt(a.limit, 10, 64)
		if a.limit == "max" {
			l = int64(e.maxLimit())
		}
		if a.exact {
			l = e.fullPages(ctx, e.who(a.foreign))
		}
		if l > 0 {
			e.walk(ctx, i, e.who(a.foreign), l)
		}
	case kList:
		id := e.who(false)
		r := e.newRequest(contactkit.OpListContacts, id, "", "")
		e.setQuery(r, a.page, a.limit)
		if a.otherApp {
			e.nameOtherApp(r)
		}
		ex := e.predict(r)
		ex.onPage = &id
		r.step.Name = fmt.Sprintf("list with %s answers %s", queryText(r), statusList(ex.statuses))
		release := e.holdStill(a.recheck)
		if ans, failed := e.check(ctx, i, r, ex); !failed && ans.status == http.StatusOK && a.recheck != authToken {
			e.recheck(ctx, i, r, a.recheck)
		}
		release()
	case kGet, kToggle, kDelete:
		id := e.who(a.foreign)
		c := e.pickMine(a.ref, id.app)
		op := map[kind]string{kGet: contactkit.OpGetContact, kToggle: contactkit.OpToggleContactBlock, kDelete: contactkit.OpDeleteContact}[a.kind]
		e.onContact(ctx, i, op, id, c, a)
	case kAuth:
		e.auth(ctx, i, a)
	case kAppVariant:
		e.appVariant(ctx, i, a.variant)
	case kGrow:
		e.grow(ctx, i)
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

// onContact gets, toggles or deletes c (nil: a contact nobody made) as id, with
// what a asks besides: the other app named in the query, a body on a PUT.
func (e *execution) onContact(ctx context.Context, i int, op string, id identity, c *mine, opt action) {
	if op == contactkit.OpToggleContactBlock && c != nil && c.alive && c.tags == nil {
		// What the PUT must leave as it is, read first.
		e.onContact(ctx, i, contactkit.OpGetContact, id, c, action{})
		if e.fail != nil {
			return
		}
	}
	contact, tpl := unknownID, "{{random_uuid}}"
	if c != nil {
		contact, tpl = c.id, fmt.Sprintf("{{c%d}}", c.ord)
	}
	r := e.newRequest(op, id, contact, tpl)
	if opt.otherApp {
		e.nameOtherApp(r)
	}
	if opt.putBody && op == contactkit.OpToggleContactBlock && c != nil {
		// Asking for the state it has: honouring the body would change nothing.
		body := fmt.Sprintf(`{"is_blocked":%t}`, c.blocked)
		r.body, r.hasBody = []byte(body), true
		r.step.Body, r.step.HasBody = map[string]any{"is_blocked": c.blocked}, true
	}
	if op == contactkit.OpGetContact && id.app == e.x.cfg.App {
		defer e.holdStill(opt.recheck)()
	}
	ex := e.predict(r)
	verb := map[string]string{contactkit.OpGetContact: "get", contactkit.OpToggleContactBlock: "PUT", contactkit.OpDeleteContact: "delete"}[op]
	what := "a contact nobody made"
	if c != nil {
		what = fmt.Sprintf("contact %d", c.ord)
		if !c.alive {
			what += " (deleted)"
		}
	}
	r.step.Name = fmt.Sprintf("%s %s answers 404", verb, what)
	if c != nil && c.alive {
		blocked := c.blocked
		if op == contactkit.OpToggleContactBlock {
			blocked = !blocked
		}
		switch op {
		case contactkit.OpGetContact:
			ex.asserts = e.contactAsserts(c, "/data", true, blocked)
			r.step.Name = fmt.Sprintf("get %s shows it as created, is_blocked %t", what, blocked)
		case contactkit.OpToggleContactBlock:
			ex.asserts = e.contactAsserts(c, "/data", false, blocked)
			r.step.Name = fmt.Sprintf("PUT %s flips is_blocked to %t", what, blocked)
		default:
			r.step.Name = fmt.Sprintf("delete %s", what)
		}
	}
	a, failed := e.check(ctx, i, r, ex)
	if tags, ok := check.Field(check.Field(a.body, "data"), "tags").([]any); ok && !failed && c != nil && c.alive && c.tags == nil && op == contactkit.OpGetContact {
		// Tags come from the name, which nothing changes: later details hold
		// the same ones.
		c.tags = tags
		r.step.Capture = append(r.step.Capture, scenario.Capture{Name: fmt.Sprintf("g%d", c.ord), From: "/data/tags"})
	}
	if !failed && a.status == http.StatusOK && op == contactkit.OpGetContact && opt.recheck != authToken && id.app == e.x.cfg.App {
		e.recheck(ctx, i, r, opt.recheck)
	}
	if failed || c == nil || !c.alive || a.status != http.StatusOK {
		return
	}
	switch op {
	case contactkit.OpToggleContactBlock:
		c.blocked = !c.blocked
		e.afterWrite(ctx, i, id, c)
	case contactkit.OpDeleteContact:
		c.alive = false
		e.afterWrite(ctx, i, id, nil)
	}
}

// afterWrite reads, after a PUT or a delete that answered 200, the contact it
// wrote (c, nil when gone) and the first page of its app: every field but
// is_blocked is as it was, and every other contact too.
func (e *execution) afterWrite(ctx context.Context, i int, id identity, c *mine) {
	if c != nil {
		e.onContact(ctx, i, contactkit.OpGetContact, id, c, action{})
	}
	if e.fail != nil {
		return
	}
	r := e.newRequest(contactkit.OpListContacts, id, "", "")
	e.setQuery(r, "", strconv.Itoa(e.maxLimit()))
	ex := e.predict(r)
	ex.onPage = &id
	r.step.Name = "after the write, the first page shows every other contact as it was"
	e.check(ctx, i, r, ex)
}

// contactAsserts are what an answer showing c must say. detail: the detail's
// form (tags) rather than the list's (tag).
func (e *execution) contactAsserts(c *mine, at string, detail bool, blocked bool) []assertion {
	idv := fmt.Sprintf("{{c%d}}", c.ord)
	out := []assertion{
		{ptr: at, field: "id", kind: "equals", want: c.id, wantTpl: idv},
		{ptr: at, field: "is_blocked", kind: "equals", want: blocked},
		{ptr: at, field: "created_at", kind: "equals", want: c.created, wantTpl: fmt.Sprintf("{{t%d}}", c.ord), reading: contactkit.ReadingCreatedAtStable},
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
		if c.tags != nil {
			out = append(out, assertion{ptr: at, field: "tags", kind: "same_items", want: c.tags, wantTpl: fmt.Sprintf("{{g%d}}", c.ord)})
		}
	} else {
		out = append(out, assertion{ptr: at, field: "tag", kind: "equals", want: c.name, wantTpl: nameTpl})
	}
	return out
}

// newRequest starts a request of op by id on contact (its scenario form tpl).
func (e *execution) newRequest(op string, id identity, contact, tpl string) *request {
	r := &request{op: op, app: id.app, contact: contact, authz: "Bearer " + id.token, authShow: "Bearer ***"}
	r.step = &scenario.Step{Op: op, Auth: id.yAuth}
	if tpl != "" {
		r.step.Params = []scenario.Pair{{Name: "contactId", Value: tpl}}
	}
	return r
}

// again is r to send once more, as a new step.
func (r *request) again() *request {
	c := *r
	st := scenario.Step{Op: r.step.Op, Params: r.step.Params, Query: r.step.Query, Auth: r.step.Auth}
	c.step = &st
	return &c
}

// setParam sets a path parameter of r's scenario form.
func (r *request) setParam(name, value string) {
	for i := range r.step.Params {
		if r.step.Params[i].Name == name {
			r.step.Params[i].Value = value
			return
		}
	}
	r.step.Params = append(r.step.Params, scenario.Pair{Name: name, Value: value})
}

func (e *execution) setQuery(r *request, page, limit string) {
	r.query = url.Values{}
	r.qorder = nil
	r.step.Query = nil
	for _, kv := range [][2]string{{"page", page}, {"limit", limit}} {
		if kv[1] == "" {
			continue
		}
		r.query.Set(kv[0], kv[1])
		r.qorder = append(r.qorder, kv[0])
		r.step.Query = append(r.step.Query, scenario.Pair{Name: kv[0], Value: kv[1]})
	}
}

// nameOtherApp adds query parameters naming the other app to r: a server that
// reads them over the path's app shows or changes the other app's contacts.
func (e *execution) nameOtherApp(r *request) {
	other := e.x.cfg.ForeignApp
	if other == "" || r.app != e.x.cfg.App {
		return
	}
	if r.query == nil {
		r.query = url.Values{}
	}
	for _, name := range []string{"appId", "app", "app_id"} {
		r.query.Set(name, other)
		r.qorder = append(r.qorder, name)
		r.step.Query = append(r.step.Query, scenario.Pair{Name: name, Value: "{{" + scenario.BuiltinForeignApp + "}}"})
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

func (e *execution) nameKey(ord int) string { return fmt.Sprintf("Explore %05d %d", e.marker, ord) }
func (e *execution) nameTpl(ord int) string { return fmt.Sprintf("Explore {{run_id}} %d", ord) }

func appWord(id identity) string {
	if id.foreign {
		return "{{foreign_app}}"
	}
	return "{{app}}"
}

func ptr[T any](v T) *T { return &v }

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
