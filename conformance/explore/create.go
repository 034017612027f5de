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

// rowJSON writes a row with its key, concrete or as a scenario template.
func (e *execution) rowJSON(rw row, k key, tpl bool) string {
	keyText := k.value
	if tpl {
		keyText = k.tpl
	}
	name := jsonString(keyText)
	if tpl {
		name = `"` + keyText + `"` // a template's placeholder is written as is
	}
	return rowText(rw, name, keyText, e.serverField(rw, k, tpl))
}

// Values of the fields a server makes that a row sends (mass assignment).
const (
	injectedCreatedAt = "2001-01-01T00:00:00.000+07:00"
	injectedBlocked   = true
)

// serverField is the member a row of shape shapeID, shapeBlocked or
// shapeCreated adds, as JSON text: the id of a contact the sequence made (one
// nobody made, before any), is_blocked true, a created_at of 2001.
func (e *execution) serverField(rw row, k key, tpl bool) string {
	switch rw.shape {
	case shapeID:
		id, text := unknownID, unknownID
		for _, c := range slices.Backward(e.made) {
			if c.alive && c.id != "" && c.app == k.app {
				id, text = c.id, fmt.Sprintf("{{c%d}}", c.ord)
				break
			}
		}
		if !tpl {
			e.injected[k.ord] = [2]string{id, text}
			text = id
		}
		return `"id":"` + text + `"`
	case shapeBlocked:
		return fmt.Sprintf(`"is_blocked":%t`, injectedBlocked)
	case shapeCreated:
		return `"created_at":"` + injectedCreatedAt + `"`
	}
	return ""
}

// rowText writes a row: its value under test and its key, the name's as JSON
// text (nameJSON) or the phone's, and extra, a member of a field the server
// makes, as JSON text ("" for none).
func rowText(rw row, nameJSON, phoneText, extra string) string {
	if rw.shape == shapeBare {
		return rw.value
	}
	var fields []string
	if rw.focusName {
		if rw.shape != shapeMissing {
			fields = append(fields, `"name":`+rw.value)
		}
		fields = append(fields, `"phone":`+phoneText)
	} else {
		fields = append(fields, `"name":`+nameJSON)
		if rw.shape != shapeMissing {
			fields = append(fields, `"phone":`+rw.value)
		}
	}
	if rw.shape == shapeExtra {
		fields = append(fields, `"nickname":"extra"`)
	}
	if extra != "" {
		fields = append(fields, extra)
	}
	return "{" + strings.Join(fields, ",") + "}"
}

// newKey gives the next row its unique key: a name, or a phone of 13 digits like
// a real one (6281, the execution's marker, the row's number).
func (e *execution) newKey(byName bool, id identity) key {
	e.rows++
	k := key{ord: e.rows, byName: byName, app: id.app, foreign: id.foreign}
	if k.byName {
		k.value = e.nameKey(k.ord)
		k.tpl = e.nameTpl(k.ord)
	} else {
		k.value = strconv.FormatInt(6281_00000_0000+int64(e.marker)*10_000+int64(k.ord%10_000), 10)
		k.tpl = fmt.Sprintf("{{p%d}}", k.ord)
	}
	return k
}

// create sends rows as actor onto app's list (actor's own unless the action is an
// authorization probe), then walks the lists to see that every row or none was
// stored, exactly as sent.
func (e *execution) create(ctx context.Context, i int, actor, owner identity, rows []row, refuse *cred, mediaType string) {
	r := e.newRequest(contactkit.OpCreateContacts, owner, "", "")
	if mediaType != "" {
		r.contentType = mediaType
		r.step.Headers = append(r.step.Headers, scenario.Pair{Name: "Content-Type", Value: mediaType})
	}
	r.authz, r.authShow, r.step.Auth = "Bearer "+actor.token, "Bearer ***", actor.yAuth
	refusal := refuse != nil
	if refusal {
		r.authz, r.authShow, r.step.Auth, r.step.Headers = refuse.header, refuse.show, refuse.yAuth, refuse.headers
		if refuse.app != "" {
			r.setParam("appId", refuse.app)
		}
	}
	var keys []key
	var body, tpl []string
	for _, rw := range rows {
		k := e.newKey(!rw.focusName, owner)
		keys = append(keys, k)
		body = append(body, e.rowJSON(rw, k, false))
		tpl = append(tpl, e.rowJSON(rw, k, true))
		if rw.shape != shapeBare {
			r.vars = append(r.vars, k) // a bare row sends its value alone, not its key
		}
	}
	r.body, r.hasBody = []byte("["+strings.Join(body, ",")+"]"), true
	r.step.RawBody = ptr("[" + strings.Join(tpl, ",") + "]")
	ex := e.predict(r)
	r.step.Name = fmt.Sprintf("create %d row(s) (%s) answers %s", len(rows), describeRows(rows), statusList(ex.statuses))
	e.stored(ctx, i, r, ex, actor, owner, rows, keys)
}

// createRaw sends a body that is not a batch of plain rows: it should be
// refused, storing nothing; a server that takes it departs from a reading, and
// what it stored must read back the same everywhere.
func (e *execution) createRaw(ctx context.Context, i int, rb raw) {
	id := e.who(false)
	r := e.newRequest(contactkit.OpCreateContacts, id, "", "")
	body, tpl := rb.body, rb.body
	var keys []key
	var rows []row
	if rb.keyed() {
		k := e.newKey(false, id)
		keys, rows = []key{k}, []row{{focusName: true, value: `"?"`}}
		body, tpl = fmt.Sprintf(rb.body, k.value), fmt.Sprintf(rb.body, k.tpl)
		r.vars = append(r.vars, k)
	}
	r.body, r.hasBody = []byte(body), true
	r.step.RawBody = ptr(tpl)
	if rb.mediaType != "" {
		r.contentType = rb.mediaType
		r.step.Headers = append(r.step.Headers, scenario.Pair{Name: "Content-Type", Value: rb.mediaType})
	}
	r.step.Name = "a create body that is not a batch of rows: " + clip(strconv.Quote(body), 60) + " is refused"
	ex := e.predict(r)
	ex.rows = nil // what a server makes of such a body is its own: found, then read back the same
	e.stored(ctx, i, r, ex, id, id, rows, keys)
}

// stored sends the create r and then walks the lists to see that every row or
// none was stored, exactly as sent when the rows are ones a server may take.
func (e *execution) stored(ctx context.Context, i int, r *request, ex expect, actor, owner identity, rows []row, keys []key) {
	first := len(e.keys)
	e.keys = append(e.keys, keys...)
	a, failed := e.check(ctx, i, r, ex)
	if a.status >= 400 && a.status < 500 {
		for j := first; j < len(e.keys); j++ {
			e.keys[j].refused = true
		}
	}
	if failed || len(keys) == 0 {
		return
	}
	taken := a.status == http.StatusCreated
	// A refused create may have stored into the actor's app instead: look there too.
	apps := []identity{owner}
	if actor.app != owner.app {
		apps = append(apps, actor)
	}
	for _, id := range apps {
		if id.token == "" {
			continue // the foreign app without the foreign token: unreadable
		}
		want := []key(nil)
		if taken && id.app == owner.app {
			want = keys
		}
		if !e.findRows(ctx, i, id, rows, ex.rows, keys, want) {
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
// contact each, with the values sent (when the docs say a server must keep them
// as sent), and that the other rows' keys are not. The contacts found become the
// sequence's.
// classes are the rows' classes as the model predicted them (nil: a body that is
// not a batch, whose rows a server may read as it likes).
func (e *execution) findRows(ctx context.Context, i int, id identity, rows []row, classes []model.Class, keys, want []key) bool {
	r := e.newRequest(contactkit.OpListContacts, id, "", "")
	e.setQuery(r, "", strconv.Itoa(e.maxLimit()))
	// Of a big app the walk stops once every row stored has been seen.
	seek := func(items []any) bool {
		for _, k := range want {
			sel := "phone"
			if k.byName {
				sel = "tag"
			}
			if !slices.ContainsFunc(items, func(it any) bool { return textOf(check.Field(it, sel)) == k.value }) {
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
		if j < len(rows) && rows[j].shape == shapeBare {
			continue // its key was never sent
		}
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
			itID, _ := check.Field(it, "id").(string)
			if e.preexisting[itID] || textOf(check.Field(it, sel)) != k.value {
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
		exact := j < len(classes) && classes[j] <= model.Lenient
		switch {
		case !exact && hit != nil:
			// Taken against a reading: what was stored is whatever the server
			// made of it, and from now on it must read back the same.
			c.name, _ = check.Field(hit, "tag").(string)
			if p, ok := check.Field(hit, "phone").(json.Number); ok {
				c.phone = p.String()
			}
		case k.byName:
			asserts = append(asserts, assertion{ptr: "/data", sel: sel, selVal: k.value, selTpl: selTpl, field: "phone", kind: "equals", want: json.Number(c.phone)})
		default:
			asserts = append(asserts, assertion{ptr: "/data", sel: sel, selVal: k.value, selTpl: selTpl, field: "tag", kind: "equals", want: c.name})
		}
		if n > 1 {
			asserts = append(asserts, assertion{ptr: "/data", sel: sel, selVal: k.value, selTpl: selTpl, kind: "once", count: n})
		}
		if hit != nil {
			c.id, _ = check.Field(hit, "id").(string)
			c.created, _ = check.Field(hit, "created_at").(string)
			c.blocked, _ = check.Field(hit, "is_blocked").(bool)
			found[k.ord] = c
			r.step.Capture = append(r.step.Capture,
				scenario.Capture{Name: fmt.Sprintf("c%d", k.ord), From: "/data[" + sel + "=" + selTpl + "]/id"},
				scenario.Capture{Name: fmt.Sprintf("t%d", k.ord), From: "/data[" + sel + "=" + selTpl + "]/created_at"})
		} else if !w.complete {
			// It may sit on a page the walk did not read: nothing is known of it.
			asserts = slices.DeleteFunc(asserts, func(a assertion) bool { return a.selVal == k.value })
		}
	}
	asserts = append(asserts, e.unhonoured(rows, keys, found)...)
	asserts = append(asserts, e.pageAsserts(id, items)...)
	r.step.Walk = true
	r.step.Name = fmt.Sprintf("the list of app %s holds exactly the rows stored, as sent", appWord(id))
	ex := expect{statuses: []int{http.StatusOK}, asserts: asserts}
	findings := evalAll(map[string]any{"data": items}, asserts, check.OpLocation(e.x.spec, contactkit.OpCreateContacts))
	e.record(r, ex)
	// What was found is the sequence's to delete, whatever else is wrong.
	for _, k := range keys {
		if c := found[k.ord]; c != nil {
			e.made = append(e.made, c)
			findings = append(findings, e.m.Claim(c.app, c.id, c.name, c.phone, c.created, c.blocked)...)
		}
	}
	return !e.failed(ctx, i, wr, findings)
}

// unhonoured are what the list must say of the rows that sent a field the
// server makes, when it took them: it made its own. The contact has an id of
// its own, not the one sent; a created_at of its own, not 2001; and the
// is_blocked a plain row of the batch got, whatever was sent.
func (e *execution) unhonoured(rows []row, keys []key, found map[int]*mine) []assertion {
	var plain *mine
	for j, rw := range rows {
		if rw.shape == "" && found[keys[j].ord] != nil {
			plain = found[keys[j].ord]
			break
		}
	}
	var out []assertion
	for j, rw := range rows {
		c := found[keys[j].ord]
		if c == nil {
			continue
		}
		// Found by its key: the id is this step's capture, which its own
		// expectations cannot use.
		k := keys[j]
		sel := "phone"
		if k.byName {
			sel = "tag"
		}
		at := assertion{ptr: "/data", sel: sel, selVal: k.value, selTpl: k.tpl}
		switch rw.shape {
		case shapeID:
			sent := e.injected[keys[j].ord]
			if sent[0] != unknownID {
				// The contact whose id the row sent is still there, once.
				out = append(out, assertion{ptr: "/data", sel: "id", selVal: sent[0], selTpl: sent[1], kind: "once"})
			}
			a := at
			a.field, a.kind, a.want, a.wantTpl = "id", "not_equals", sent[0], sent[1]
			out = append(out, a)
		case shapeCreated:
			a := at
			a.field, a.kind, a.want = "created_at", "not_equals", injectedCreatedAt
			out = append(out, a)
		case shapeBlocked:
			if plain != nil {
				a := at
				a.field, a.kind, a.want = "is_blocked", "equals", plain.blocked
				out = append(out, a)
			}
		}
	}
	return out
}

// growTo is how many contacts kGrow makes an app hold: past a thousand, where
// servers cap totals, pages and offsets (1,000, 1,024).
const growTo = 1_030

// growBatch is the rows of one create of kGrow: no bigger than the explorer's
// other batches, since the docs set no largest batch.
const growBatch = 20

// grow makes the app hold growTo contacts, in batches of valid rows, then walks
// it once: every row is there, once, as sent. Not when the app holds that many
// already.
func (e *execution) grow(ctx context.Context, i int) {
	own := e.who(false)
	total, ok := e.total(ctx, own)
	if !ok || total >= growTo {
		return
	}
	var rows []row
	var keys []key
	for left := growTo - total; left > 0 && e.fail == nil && ctx.Err() == nil; left -= growBatch {
		batch := make([]row, min(left, growBatch))
		var body, tpl []string
		for j := range batch {
			batch[j] = row{focusName: true, value: jsonString(fmt.Sprintf("Grow %d", j))}
			k := e.newKey(false, own)
			keys = append(keys, k)
			body = append(body, e.rowJSON(batch[j], k, false))
			tpl = append(tpl, e.rowJSON(batch[j], k, true))
		}
		rows = append(rows, batch...)
		cr := e.newRequest(contactkit.OpCreateContacts, own, "", "")
		cr.body, cr.hasBody = []byte("["+strings.Join(body, ",")+"]"), true
		cr.step.RawBody = ptr("[" + strings.Join(tpl, ",") + "]")
		cr.vars = keys[len(keys)-len(batch):]
		e.keys = append(e.keys, cr.vars...)
		ex := e.predict(cr)
		cr.step.Name = fmt.Sprintf("grow the app: create %d row(s) answers %s", len(batch), statusList(ex.statuses))
		if a, failed := e.check(ctx, i, cr, ex); failed || a.status != http.StatusCreated {
			return
		}
	}
	if e.fail != nil || ctx.Err() != nil {
		return
	}
	classes := make([]model.Class, len(rows))
	e.findRows(ctx, i, own, rows, classes, keys, keys)
}
