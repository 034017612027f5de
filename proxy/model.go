package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	cmodel "github.com/contactkit/contactkit/conformance/model"
)

// Bounds of the session model: what a client sends never grows it without end.
const (
	maxModelApps   = 1000
	maxModelAppLen = 256
	maxPending     = 10_000 // created rows not yet seen in a list, per app
	maxBlockFacts  = 10_000 // contacts whose is_blocked is known, per app
	maxModelID     = 128
	maxOrders      = 16  // list queries whose order is remembered, per app
	maxOrderIDs    = 100 // ids remembered of one page
	// Longer names and phones are not tracked: no contact of this API has them,
	// and keeping them would let one client grow the model by megabytes.
	maxModelName  = 1024
	maxModelPhone = 32
)

// model is the session's model: the explorer's model of the API's behaviour
// (conformance/model: values that never change, a deleted contact gone for good,
// a contact in one app only) fed with live traffic, plus what only a proxy sees:
// a contact created through it (201) must show, with the name and phone sent, in
// a later list page that holds the whole app; a PUT must flip is_blocked from
// what the proxy last saw, and later reads must agree.
//
// Live traffic runs concurrently, and the order of two exchanges is known only
// when they do not overlap. So a read is judged, and learnt from, only when no
// write to its app was in flight while it ran; a write is always learnt from,
// and judged only when no other write to the app overlapped it (after one that
// overlapped, the block state it touched is forgotten, not guessed). The model
// assumes every write to an app goes through this proxy.
type model struct {
	spec   *contactkit.Spec
	shared *cmodel.Model

	// mu guards apps, version and every appModel.
	mu   sync.Mutex
	apps map[string]*appModel
	// version counts what the shared model and the pending rows learnt, so an
	// identical page judged against an unchanged model (a page polled, a load
	// test) is not decoded and judged again.
	version uint64
}

type appModel struct {
	writes  int    // writes in flight
	epoch   uint64 // bumped at each write's start and end
	pending []row  // created through the proxy, not yet seen in a list
	blocked map[string]fact

	listKey      [32]byte
	listVersion  uint64
	listFindings []check.Finding

	// orders are the ids of the last page read for a query, in order, and the
	// app's epoch then: a page read again with no write between lists the same
	// contacts in the same order.
	orders map[string]order
}

type order struct {
	ids   []string
	epoch uint64
}

// fact is is_blocked as last seen, and when it was settled.
type fact struct {
	blocked bool
	at      time.Time
}

// row is a contact created through the proxy: what was sent, and when the
// create answered.
type row struct {
	name  string
	phone string // the JSON number as sent
	at    time.Time
}

// writeMark notes where an exchange started in its app's history.
type writeMark struct {
	app   *appModel
	write bool
	epoch uint64
	quiet bool // no write (other than itself) in flight when it started
}

func newModel(spec *contactkit.Spec) *model {
	return &model{spec: spec, shared: cmodel.New(spec, cmodel.Config{}), apps: map[string]*appModel{}}
}

func isWrite(op string) bool {
	return op == contactkit.OpCreateContacts || op == contactkit.OpToggleContactBlock || op == contactkit.OpDeleteContact
}

// begin marks the start of an exchange on a known operation.
func (m *model) begin(f *flight) *writeMark {
	if f.op == "" || f.app == "" || len(f.app) > maxModelAppLen {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	am := m.apps[f.app]
	if am == nil {
		if len(m.apps) >= maxModelApps {
			return nil
		}
		am = &appModel{blocked: map[string]fact{}}
		m.apps[f.app] = am
	}
	mk := &writeMark{app: am, write: isWrite(f.op)}
	if mk.write {
		am.writes++
		am.epoch++
		mk.quiet = am.writes == 1
	} else {
		mk.quiet = am.writes == 0
	}
	mk.epoch = am.epoch
	return mk
}

// end closes the exchange's mark and, when judge is set and the answer was read,
// judges it by the model and learns from it. key is the answer's digest (zero
// when unknown). It returns the model's findings.
func (m *model) end(f *flight, judge bool, key [32]byte) []check.Finding {
	mk := f.write
	if mk == nil {
		return nil
	}
	f.write = nil
	m.mu.Lock()
	defer m.mu.Unlock()
	am := mk.app
	// Quiet: nothing else wrote to the app while this exchange ran.
	quiet := mk.quiet && am.epoch == mk.epoch
	if mk.write {
		am.writes--
		am.epoch++
	}
	if f.op == contactkit.OpDeleteContact && f.status == http.StatusOK && len(am.pending) > 0 {
		// A create's answer carries no ids, so the contact deleted may be one of
		// the rows still waiting to be seen in a list: none of them can be
		// required any more.
		am.pending = nil
		m.version++
	}
	if !judge || f.plain == nil || (!quiet && !mk.write) {
		return nil
	}
	if f.op == contactkit.OpCreateContacts {
		if f.status == http.StatusCreated {
			m.created(am, f)
		}
		return nil
	}
	list := f.op == contactkit.OpListContacts && f.status == http.StatusOK
	if list && key != ([32]byte{}) && key == am.listKey && m.version == am.listVersion {
		return append([]check.Finding(nil), am.listFindings...)
	}
	dec := json.NewDecoder(bytes.NewReader(f.plain))
	dec.UseNumber()
	var body any
	if dec.Decode(&body) != nil {
		return nil // the checks every answer gets say what is wrong
	}
	out := m.shared.Observe(cmodel.Exchange{Op: f.op, App: f.app, ContactID: f.contactID, RequestBody: f.reqBody, Status: f.status, Body: body})
	m.version++
	out = append(out, m.blockState(am, f, body, quiet)...)
	if list {
		out = append(out, m.list(am, f, body)...)
		am.listKey, am.listVersion, am.listFindings = key, m.version, append([]check.Finding(nil), out...)
		if quiet {
			out = append(out, m.order(am, f, mk.epoch, body)...)
		}
	}
	if !quiet {
		return nil // learnt from, but another write overlapped: the order is unknown
	}
	return out
}

// blockState judges is_blocked by what the proxy last saw: a PUT flips it, a read
// agrees with it. Facts settle only from exchanges whose order is known.
func (m *model) blockState(am *appModel, f *flight, body any, quiet bool) []check.Finding {
	if f.status != http.StatusOK {
		if f.op == contactkit.OpDeleteContact || f.status == http.StatusNotFound {
			delete(am.blocked, f.contactID)
		}
		return nil
	}
	obj, _ := body.(map[string]any)
	var contacts []any
	var ptrs []string
	switch f.op {
	case contactkit.OpListContacts:
		contacts, _ = obj["data"].([]any)
		for i := range contacts {
			ptrs = append(ptrs, fmt.Sprintf("/data/%d", i))
		}
	case contactkit.OpGetContact, contactkit.OpToggleContactBlock:
		contacts, ptrs = []any{obj["data"]}, []string{"/data"}
	case contactkit.OpDeleteContact:
		delete(am.blocked, f.contactID)
		return nil
	}
	toggled := f.op == contactkit.OpToggleContactBlock
	if toggled && !quiet {
		delete(am.blocked, f.contactID) // another write overlapped: the order is unknown
		return nil
	}
	var out []check.Finding
	where := cmodel.OpLocation(m.spec, contactkit.OpToggleContactBlock)
	for i, it := range contacts {
		c, _ := it.(map[string]any)
		id, _ := c["id"].(string)
		now, ok := c["is_blocked"].(bool)
		if !ok || id == "" || len(id) > maxModelID {
			continue
		}
		old, known := am.blocked[id]
		known = known && old.at.Before(f.start)
		switch {
		case toggled && known && old.blocked == now:
			out = append(out, check.Finding{Check: check.Model, Pointer: ptrs[i] + "/is_blocked",
				Message:  fmt.Sprintf("PUT on contact %s did not flip is_blocked: it was %t and is still %t", clip(id, 64), old.blocked, now),
				Expected: fmt.Sprint(!old.blocked), Actual: fmt.Sprint(now), Contract: where})
		case !toggled && known && old.blocked != now:
			out = append(out, check.Finding{Check: check.Model, Pointer: ptrs[i] + "/is_blocked",
				Message:  fmt.Sprintf("contact %s shows is_blocked %t, but the last answer through the proxy left it %t and nothing wrote since", clip(id, 64), now, old.blocked),
				Expected: fmt.Sprint(old.blocked), Actual: fmt.Sprint(now), Contract: where})
		}
		if prev, had := am.blocked[id]; (!had && len(am.blocked) < maxBlockFacts) || (had && (prev.blocked != now || toggled)) {
			am.blocked[id] = fact{blocked: now, at: time.Now()}
		}
	}
	return out
}

// order judges a quiet page against the last read of the same query: with no
// write between, the same contacts must come in the same order (the docs let a
// server choose its order, not change it from read to read: pages would skip
// and repeat contacts).
func (m *model) order(am *appModel, f *flight, epoch uint64, body any) []check.Finding {
	items, _ := check.Field(body, "data").([]any)
	if len(items) > maxOrderIDs {
		return nil
	}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		id, _ := check.Field(it, "id").(string)
		if id == "" || len(id) > maxModelID {
			return nil
		}
		ids = append(ids, id)
	}
	q := f.query.Encode()
	prev, seen := am.orders[q]
	if am.orders == nil || !seen && len(am.orders) >= maxOrders {
		am.orders = map[string]order{} // start over: a few reads lost, memory flat
	}
	am.orders[q] = order{ids: ids, epoch: epoch}
	if !seen || prev.epoch != epoch || slices.Equal(prev.ids, ids) {
		return nil
	}
	if !sameSet(prev.ids, ids) {
		return nil // another client's write the proxy did not see
	}
	return []check.Finding{{Check: check.Model, Pointer: "/data",
		Message:  fmt.Sprintf("the same page (%s) read twice with no write between lists its contacts in another order", clip(orText(q, "no query"), 100)),
		Expected: "the order of the read before", Actual: "another order", Contract: cmodel.OpLocation(m.spec, contactkit.OpListContacts)}}
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(id string) bool { return !slices.Contains(b, id) })
}

// created remembers the rows of a create the target accepted.
func (m *model) created(am *appModel, f *flight) {
	var rows []struct {
		Name  any             `json:"name"`
		Phone json.RawMessage `json:"phone"`
	}
	if json.Unmarshal(f.reqBody, &rows) != nil {
		return
	}
	now := time.Now()
	for _, r := range rows {
		name, ok := r.Name.(string)
		if !ok || len(name) > maxModelName || len(r.Phone) > maxModelPhone || !isNumber(r.Phone) || len(am.pending) >= maxPending {
			continue
		}
		am.pending = append(am.pending, row{name: name, phone: string(bytes.TrimSpace(r.Phone)), at: now})
		m.version++
	}
}

func isNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}

// list pairs the rows created through the proxy with the contacts of a page
// that show them and, when the page holds the whole app, flags every row created
// before the page was asked for that it does not show.
func (m *model) list(am *appModel, f *flight, body any) []check.Finding {
	if len(am.pending) == 0 {
		return nil
	}
	obj, _ := body.(map[string]any)
	items, _ := obj["data"].([]any)
	var out []check.Finding
	var left []row
	taken := map[int]bool{}
	for _, r := range am.pending {
		found := false
		for i, it := range items {
			c, _ := it.(map[string]any)
			tag, _ := c["tag"].(string)
			phone, _ := c["phone"].(json.Number)
			id, _ := c["id"].(string)
			if taken[i] || id == "" || tag != r.name || !check.SameNumber(string(phone), r.phone) {
				continue
			}
			taken[i], found = true, true
			break
		}
		if !found {
			left = append(left, r)
		}
	}
	if len(left) != len(am.pending) {
		m.version++
	}
	am.pending = left
	meta, _ := obj["meta"].(map[string]any)
	whole := meta != nil && fmt.Sprint(meta["current_page"]) == "1" && meta["next_page"] == nil
	if !whole {
		return out
	}
	left = nil
	for _, r := range am.pending {
		if !r.at.Before(f.start) {
			left = append(left, r)
			continue
		}
		actual, also := "absent", ""
		for _, it := range items {
			c, _ := it.(map[string]any)
			phone, _ := c["phone"].(json.Number)
			if tag, ok := c["tag"].(string); ok && check.SameNumber(string(phone), r.phone) {
				actual = fmt.Sprintf("phone %s with tag %q", r.phone, clip(tag, 100))
				also = fmt.Sprintf(" (a contact with that phone has tag %q)", clip(tag, 100))
				break
			}
		}
		out = append(out, check.Finding{Check: check.Model, Pointer: "/data",
			Message: fmt.Sprintf("contact %q (phone %s) was created through the proxy (201), but this page, which holds every contact of the app, does not show it with that name and phone%s",
				clip(r.name, 100), r.phone, also),
			Expected: "a contact with tag " + clip(r.name, 100) + " and phone " + r.phone, Actual: actual,
			Contract: cmodel.OpLocation(m.spec, contactkit.OpCreateContacts)})
		m.version++ // reported once
	}
	am.pending = left
	return out
}
