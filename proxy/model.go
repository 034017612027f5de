package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance"
)

// Bounds of the session model: what a client sends never grows it without end.
const (
	maxModelApps   = 1000
	maxModelAppLen = 256
	maxModelIDs    = 10_000 // per app, in each of deleted, blocked, matched
	maxPending     = 10_000 // created rows not yet seen in a list, per app
	// Longer ids, names and phones are not tracked: no contact of this API has
	// them, and keeping them would let one client grow the model by megabytes.
	maxModelID    = 128
	maxModelName  = 1024
	maxModelPhone = 32
)

// model keeps what the proxy saw of each app across the session, and judges later
// answers by it: a contact deleted through the proxy stays gone, a PUT flips
// is_blocked and later reads agree, a contact created through the proxy shows in
// a list that holds the whole app, with the name and phone sent.
//
// It is sound for observed traffic: it assumes every write to an app goes
// through this proxy, and it judges a read only against facts settled before
// the read began, with no write to the app in flight meanwhile (exchanges run
// concurrently; their order is known only where they do not overlap). Deletes
// need no such care: a deleted id never comes back.
type model struct {
	// mu guards apps and every appModel in it.
	mu   sync.Mutex
	apps map[string]*appModel
}

type appModel struct {
	writes  int    // writes in flight
	epoch   uint64 // bumped at each write's start and end
	deleted map[string]time.Time
	blocked map[string]fact
	matched map[string]row // id -> the row created through the proxy
	pending []row

	// version counts changes to the facts above; changedAt is the last one's time.
	version   uint64
	changedAt time.Time
	// The last list page judged, so an identical page judged against unchanged
	// facts (a page polled, a load test) is not decoded again.
	listKey      [32]byte
	listVersion  uint64
	listStart    time.Time
	listQuiet    bool
	listFindings []conformance.Finding
}

// touch notes a change to the app's facts.
func (am *appModel) touch(now time.Time) {
	am.version++
	am.changedAt = now
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
	quiet bool // no other write in flight when it started
}

func newModel() *model { return &model{apps: map[string]*appModel{}} }

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
		am = &appModel{deleted: map[string]time.Time{}, blocked: map[string]fact{}, matched: map[string]row{}}
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

// end closes the exchange's mark and, when spec is given and the answer was read,
// judges it by the model and learns from it. key is the answer's digest (zero
// when unknown). It returns the model's findings.
func (m *model) end(f *flight, spec *contactkit.Spec, key [32]byte) []conformance.Finding {
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
	if spec == nil || f.plain == nil {
		return nil
	}
	j := judge{spec: spec, f: f, am: am, quiet: quiet, now: time.Now(), key: key}
	return j.run()
}

type judge struct {
	spec  *contactkit.Spec
	f     *flight
	am    *appModel
	quiet bool
	now   time.Time
	key   [32]byte
	out   []conformance.Finding
}

func (j *judge) add(op, ptr, msg, want, got string) {
	where := contactkit.SpecFile + "#/paths"
	if o := j.spec.Op(op); o != nil {
		where = contactkit.SpecFile + "#/paths/" + escapeToken(o.Path) + "/" + strings.ToLower(o.Method)
	}
	j.out = append(j.out, conformance.Finding{Check: CheckModel, Pointer: ptr, Message: msg, Expected: want, Actual: got, Contract: where})
}

// contactView is the part of a contact the model reads.
type contactView struct {
	ID        string          `json:"id"`
	Phone     json.RawMessage `json:"phone"`
	Tag       *string         `json:"tag"`
	Tags      []string        `json:"tags"`
	IsBlocked *bool           `json:"is_blocked"`
}

func (j *judge) run() []conformance.Finding {
	f := j.f
	switch {
	case f.op == contactkit.OpCreateContacts && f.status == http.StatusCreated:
		j.created()
	case f.status != http.StatusOK:
		return nil
	case f.op == contactkit.OpDeleteContact:
		if at, ok := j.am.deleted[f.contactID]; ok && at.Before(f.start) {
			j.add(contactkit.OpDeleteContact, "", fmt.Sprintf("contact %s was deleted through the proxy at %s, yet deleting it again answers 200", clip(f.contactID, 64), at.Format(time.RFC3339)),
				"404", "200")
		}
		if len(j.am.deleted) < maxModelIDs && len(f.contactID) <= maxModelID {
			j.am.deleted[f.contactID] = j.now
		}
		delete(j.am.blocked, f.contactID)
		delete(j.am.matched, f.contactID)
		j.am.touch(j.now)
	case f.op == contactkit.OpGetContact || f.op == contactkit.OpToggleContactBlock:
		var body struct {
			Data *contactView `json:"data"`
		}
		if json.Unmarshal(f.plain, &body) != nil || body.Data == nil {
			return nil // the schema check says what is wrong
		}
		j.contact("/data", f.contactID, *body.Data, f.op == contactkit.OpToggleContactBlock)
	case f.op == contactkit.OpListContacts:
		j.list()
	}
	return j.out
}

// created remembers the rows of a create the target accepted.
func (j *judge) created() {
	var rows []struct {
		Name  any             `json:"name"`
		Phone json.RawMessage `json:"phone"`
	}
	if json.Unmarshal(j.f.reqBody, &rows) != nil {
		return
	}
	for _, r := range rows {
		name, ok := r.Name.(string)
		if !ok || len(name) > maxModelName || len(r.Phone) > maxModelPhone || !isNumber(r.Phone) || len(j.am.pending) >= maxPending {
			continue
		}
		j.am.pending = append(j.am.pending, row{name: name, phone: string(r.Phone), at: j.now})
		j.am.touch(j.now)
	}
}

func isNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}

// contact judges one contact the target showed, at ptr, by what the proxy saw.
func (j *judge) contact(ptr, id string, c contactView, toggled bool) {
	f := j.f
	if c.ID != "" {
		id = c.ID
	}
	if len(id) > maxModelID {
		return
	}
	if at, ok := j.am.deleted[id]; ok && at.Before(f.start) {
		what := "served"
		if f.op == contactkit.OpListContacts {
			what = "listed"
		}
		j.add(contactkit.OpDeleteContact, ptr, fmt.Sprintf("contact %s was deleted through the proxy (DELETE answered 200 at %s), yet it is still %s; a deleted contact must stay gone",
			clip(id, 64), at.Format(time.RFC3339), what), "404, and absent from lists", "present")
		return
	}
	if r, ok := j.am.matched[id]; ok {
		if !bytes.Equal(bytes.TrimSpace(c.Phone), []byte(r.phone)) && len(c.Phone) > 0 {
			j.add(contactkit.OpCreateContacts, ptr+"/phone", fmt.Sprintf("contact %s was created through the proxy with phone %s, but shows phone %s", clip(id, 64), r.phone, clip(string(c.Phone), 40)), r.phone, clip(string(c.Phone), 40))
		}
		if c.Tag != nil && *c.Tag != r.name {
			j.add(contactkit.OpCreateContacts, ptr+"/tag", fmt.Sprintf("contact %s was created through the proxy as %q, but its tag is %q", clip(id, 64), r.name, clip(*c.Tag, 100)), r.name, clip(*c.Tag, 100))
		}
		if c.Tags != nil && !contains(c.Tags, r.name) {
			j.add(contactkit.OpCreateContacts, ptr+"/tags", fmt.Sprintf("contact %s was created through the proxy as %q, but its tags do not hold that name", clip(id, 64), r.name), "tags containing "+r.name, show(c.Tags))
		}
	}
	if c.IsBlocked == nil {
		return
	}
	now := *c.IsBlocked
	old, known := j.am.blocked[id]
	known = known && old.at.Before(f.start) && j.quiet
	switch {
	case toggled && known && old.blocked == now:
		j.add(contactkit.OpToggleContactBlock, ptr+"/is_blocked", fmt.Sprintf("PUT on contact %s did not flip is_blocked: it was %t and is still %t", clip(id, 64), old.blocked, now),
			fmt.Sprint(!old.blocked), fmt.Sprint(now))
	case !toggled && known && old.blocked != now:
		j.add(contactkit.OpToggleContactBlock, ptr+"/is_blocked", fmt.Sprintf("contact %s shows is_blocked %t, but the last answer through the proxy left it %t and nothing wrote since", clip(id, 64), now, old.blocked),
			fmt.Sprint(old.blocked), fmt.Sprint(now))
	}
	if toggled || j.quiet {
		prev, ok := j.am.blocked[id]
		switch {
		case ok && prev.blocked == now && !toggled:
			// Nothing new: keep the older settling time, and the model unchanged.
		case ok || len(j.am.blocked) < maxModelIDs:
			j.am.blocked[id] = fact{blocked: now, at: j.now}
			j.am.touch(j.now)
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// list judges a page: every contact on it, and, when the page holds the whole
// app, that every contact created through the proxy before it is there.
func (j *judge) list() {
	var page struct {
		Data []contactView `json:"data"`
		Meta *struct {
			CurrentPage json.RawMessage `json:"current_page"`
			NextPage    json.RawMessage `json:"next_page"`
		} `json:"meta"`
	}
	am := j.am
	if j.key != ([32]byte{}) && j.key == am.listKey && am.version == am.listVersion && am.changedAt.Before(am.listStart) && j.quiet == am.listQuiet {
		j.out = append(j.out, am.listFindings...)
		return
	}
	defer func() {
		am.listKey, am.listVersion, am.listStart, am.listQuiet = j.key, am.version, j.f.start, j.quiet
		am.listFindings = append(am.listFindings[:0:0], j.out...)
	}()
	if json.Unmarshal(j.f.plain, &page) != nil {
		return
	}
	for i, c := range page.Data {
		j.contact(fmt.Sprintf("/data/%d", i), c.ID, c, false)
	}
	// Pair rows created through the proxy with the contacts that show them.
	if len(j.am.pending) == 0 {
		return
	}
	var left []row
	for _, r := range j.am.pending {
		found := false
		for _, c := range page.Data {
			if c.Tag != nil && *c.Tag == r.name && bytes.Equal(bytes.TrimSpace(c.Phone), []byte(r.phone)) {
				if _, taken := j.am.matched[c.ID]; !taken && len(j.am.matched) < maxModelIDs {
					j.am.matched[c.ID] = r
					j.am.touch(j.now)
					found = true
					break
				}
			}
		}
		if !found {
			left = append(left, r)
		}
	}
	j.am.pending = left
	whole := page.Meta != nil && string(page.Meta.CurrentPage) == "1" && string(page.Meta.NextPage) == "null"
	if !whole || !j.quiet {
		return
	}
	left = left[:0:0]
	for _, r := range j.am.pending {
		if r.at.Before(j.f.start) {
			actual, also := "absent", ""
			for _, c := range page.Data {
				if bytes.Equal(bytes.TrimSpace(c.Phone), []byte(r.phone)) && c.Tag != nil {
					actual = fmt.Sprintf("phone %s with tag %q", r.phone, clip(*c.Tag, 100))
					also = fmt.Sprintf(" (a contact with that phone has tag %q)", clip(*c.Tag, 100))
					break
				}
			}
			j.add(contactkit.OpCreateContacts, "/data", fmt.Sprintf("contact %q (phone %s) was created through the proxy (201), but this page, which holds every contact of the app, does not show it with that name and phone%s",
				clip(r.name, 100), r.phone, also), "a contact with tag "+clip(r.name, 100)+" and phone "+r.phone, actual)
			j.am.touch(j.now)
			continue // reported once
		}
		left = append(left, r)
	}
	j.am.pending = left
}
