package explore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/conformance/model"
	"github.com/contactkit/contactkit/scenario"
)

// A walk reads every page of an app that holds at most fullWalkTotal contacts
// (meta.total of its first page). A bigger app is walked with the contract's
// largest limit and only in part: bigWalkItems items, or, when it seeks rows just
// created, until it has seen them all (bigSeekItems at most), so a big honest app
// costs a few requests per walk, not thousands. Every walk is bounded besides by
// DefaultWalkItems and DefaultWalkTime, for a next_page that never ends. A walk
// cut short by a bound judges only what it saw: no count, no absence of a row it
// may not have read.
const (
	fullWalkTotal = 2_000
	bigWalkItems  = 100
	bigSeekItems  = 1_000
)

// walkAttempts is how often a walk whose pages disagree is read again before it
// counts: another client's write can shift a contact between two pages.
const walkAttempts = 3

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
	r.step.Walk, r.step.AcrossPages = true, w.complete
	r.step.Name = fmt.Sprintf("every page of %s with limit %d agrees with the others and with what was made", appWord(id), w.limit)
	findings := evalAll(map[string]any{"data": items}, asserts, check.OpLocation(e.x.spec, contactkit.OpListContacts))
	e.record(r, expect{statuses: []int{http.StatusOK}, asserts: asserts})
	e.failed(ctx, i, wr, findings)
}

// pageAsserts are what one page must say of the contacts made: none deleted or of
// another app is on it, and those on it are as the model has them.
func (e *execution) pageAsserts(id identity, items []any) []assertion {
	on := map[string]bool{}
	for _, it := range items {
		if s, ok := check.Field(it, "id").(string); ok {
			on[s] = true
		}
	}
	var out []assertion
	for _, c := range e.made {
		idTpl := fmt.Sprintf("{{c%d}}", c.ord)
		if a, ok := absent(c, id, idTpl); ok {
			out = append(out, a)
			continue
		}
		if on[c.id] {
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

// absent is the assertion that no list of id's app holds c, when c is another
// app's or deleted.
func absent(c *mine, id identity, idTpl string) (assertion, bool) {
	why := ""
	switch {
	case c.app != id.app:
		why = "a contact of another app"
	case !c.alive:
		why = "a deleted contact"
	default:
		return assertion{}, false
	}
	return assertion{ptr: "/data", sel: "id", selVal: c.id, selTpl: idTpl, kind: "absent", why: why}, true
}

// leaks are what a page of id's app must say of the first contact on it that
// the model saw in another app (listed there, not made by the sequence): it is
// absent. A scenario file cannot name a contact it did not make, so a step before
// walks the owner's app and captures the one at the same place in its list, and
// the page must not hold that one.
func (e *execution) leaks(ctx context.Context, id identity, items []any) []assertion {
	for _, it := range items {
		cid, _ := check.Field(it, "id").(string)
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
		at := slices.IndexFunc(w.items, func(o any) bool { return check.Field(o, "id") == cid })
		if at < 0 {
			continue
		}
		e.leaked++
		name := fmt.Sprintf("o%d", e.leaked)
		r := e.newRequest(contactkit.OpListContacts, owner, "", "")
		e.setQuery(r, "", strconv.FormatInt(w.limit, 10))
		r.step.Walk = true
		r.step.Name = fmt.Sprintf("the contact listed %s in %s (%s when found)", ordinal(at+1), appWord(owner), cid)
		r.step.Capture = append(r.step.Capture, scenario.Capture{Name: name, From: fmt.Sprintf("/data/%d/id", at)})
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
		if a, ok := absent(c, id, idTpl); ok {
			out = append(out, a)
		} else {
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
	var findings []check.Finding
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
	r.step.Walk, r.step.AcrossPages = true, true
	r.step.Name = fmt.Sprintf("every page of %s with limit %d agrees with the others", appWord(id), w.limit)
	e.record(r, expect{statuses: []int{http.StatusOK}})
	e.failed(ctx, i, w.last, findings)
	return w, false
}

// walkOnce reads every page once. ok is false when a page failed its own checks
// (e.fail says why); findings are the pages' disagreements.
//
// seek, when not nil, says whether the items read so far hold every row the
// walk looks for: a walk of a big app stops there. complete is false when the
// walk stopped before the last page; limit is the one it walked with (the
// contract's largest for a big app).
func (e *execution) walkOnce(ctx context.Context, i int, id identity, limit int64, seek func([]any) bool) (w walked, findings []check.Finding, ok bool) {
	var items []any
	var last *answer
	ids := map[string]bool{}
	var total any
	pages := 0
	big := false
	deadline := time.Now().Add(DefaultWalkTime)
	complete := true
	for page := int64(1); ; page++ {
		lim := strconv.FormatInt(limit, 10)
		r := e.newRequest(contactkit.OpListContacts, id, "", "")
		e.setQuery(r, strconv.FormatInt(page, 10), lim)
		a, fs := e.send(ctx, r)
		last = a
		if a.status != 0 && a.status != http.StatusOK {
			fs = append(fs, check.Finding{Check: check.Expect, Message: fmt.Sprintf("list page %d answered %d, want 200", page, a.status),
				Expected: "200", Actual: strconv.Itoa(a.status), Contract: model.OpLocation(e.x.spec, contactkit.OpListContacts)})
		}
		if len(fs) > 0 && e.quiet {
			return walked{last: a, limit: limit}, nil, false
		}
		if len(fs) > 0 {
			r.step.Name = fmt.Sprintf("list page %d with limit %d answers 200 as the contract and the model say", page, limit)
			ex := expect{statuses: []int{http.StatusOK}}
			if a.status == http.StatusOK {
				data, _ := check.Field(a.body, "data").([]any)
				ex.asserts = append(e.pageAsserts(id, data), e.leaks(ctx, id, data)...)
			}
			e.record(r, ex)
			e.failed(ctx, i, a, fs)
			return walked{last: a, limit: limit}, nil, false
		}
		pages++
		data, _ := check.Field(a.body, "data").([]any)
		meta := check.Field(a.body, "meta")
		if page == 1 {
			total = check.Field(meta, "total")
			if n, err := strconv.ParseInt(textOf(total), 10, 64); err == nil && n > fullWalkTotal {
				big = true
				if top := int64(e.maxLimit()); limit < top {
					// Walk a big app with the largest limit: start again.
					limit, page, pages = top, 0, 0
					continue
				}
			}
		} else if !check.Equal(total, check.Field(meta, "total")) {
			findings = append(findings, check.Finding{Check: check.Paging, Pointer: "/meta/total", Message: fmt.Sprintf("page %d says total %v, page 1 said %v", page, check.Field(meta, "total"), total),
				Expected: fmt.Sprint(total), Actual: fmt.Sprint(check.Field(meta, "total")), Contract: contactkit.SpecFile + "#/components/schemas/PageMeta/properties/total", Curl: a.curl})
		}
		for j, it := range data {
			itID, _ := check.Field(it, "id").(string)
			if ids[itID] {
				findings = append(findings, check.Finding{Check: check.Paging, Pointer: fmt.Sprintf("/data/%d/id", j), Message: fmt.Sprintf("contact %s is on page %d and on an earlier page", itID, page),
					Expected: "each contact on one page", Actual: "twice", Contract: model.OpLocation(e.x.spec, contactkit.OpListContacts), Curl: a.curl})
			}
			ids[itID] = true
		}
		items = append(items, data...)
		if check.Field(meta, "next_page") == nil {
			break
		}
		bigDone := seek == nil && len(items) >= bigWalkItems || seek != nil && (len(items) >= bigSeekItems || seek(items))
		if big && bigDone || len(items) >= DefaultWalkItems || time.Now().After(deadline) {
			complete = false
			break
		}
	}
	w = walked{items: items, last: last, limit: limit, complete: complete}
	if n, ok := total.(json.Number); ok && complete && n.String() != strconv.Itoa(len(items)) {
		findings = append(findings, check.Finding{Check: check.Paging, Pointer: "/meta/total", Message: fmt.Sprintf("the %d pages hold %d contacts, meta.total says %s", pages, len(items), n),
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

// total reads, without judging the answer, how many contacts id's app holds: the
// meta of its first page at the largest limit.
func (e *execution) total(ctx context.Context, id identity) (int64, bool) {
	r := e.newRequest(contactkit.OpListContacts, id, "", "")
	e.setQuery(r, "", strconv.Itoa(e.maxLimit()))
	e.quiet = true
	a, _ := e.send(ctx, r)
	e.quiet = false
	return check.Int(check.Field(check.Field(a.body, "meta"), "total"))
}

// fullPages reads id's app's total (quietly) and returns a limit that divides it,
// so that every page of a walk with it is full and the last one exactly so; 0
// when the app is empty or its total unknown.
func (e *execution) fullPages(ctx context.Context, id identity) int64 {
	total, ok := e.total(ctx, id)
	if !ok || total <= 0 {
		return 0
	}
	for l := min(total, int64(e.maxLimit())); l > 1; l-- {
		if total%l == 0 {
			return l
		}
	}
	return 1
}
