package model

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// maxTags is the most tags of one contact the model remembers: no name gives
// more, and a hostile answer's thousands are not kept.
const maxTags = 16

// DefaultMaxContacts is how many contacts a Model remembers when Config says 0.
const DefaultMaxContacts = 10_000

// DefaultMaxBytes is how many bytes of contacts a Model holds when Config says 0.
const DefaultMaxBytes = 64 << 20

// contactCost is what remembering a contact costs besides its texts: the
// struct, its entry in the map and its place in the order queue.
const contactCost = 256

// Config tunes a Model; the zero value is useful.
type Config struct {
	// MaxContacts caps the contacts remembered, deleted ones included; past it the
	// oldest is forgotten (and no longer checked). 0 means DefaultMaxContacts.
	MaxContacts int
	// MaxBytes caps the bytes the contacts remembered hold (their texts, and
	// about 256 bytes each besides); past it the oldest are forgotten, as past
	// MaxContacts. 0 means DefaultMaxBytes.
	MaxBytes int64
}

// Exchange is one answered request, as the model needs it.
type Exchange struct {
	// Op is the operationId (contactkit.Op*); other operations are ignored.
	Op string
	// App and ContactID are the path's appId and contactId ("" for list and create).
	App       string
	ContactID string
	// RequestBody is the request's body as sent (a create's rows).
	RequestBody []byte
	// Status is the answer's HTTP status.
	Status int
	// Body is the decoded answer, numbers as json.Number, as check.Checker
	// returns it.
	Body any
}

// Contact is what the model knows of one contact.
type Contact struct {
	ID  string
	App string
	// Name is the name (the list's tag); "" until a list or block answer shows it.
	Name string
	// Phone is the phone as the JSON number's text.
	Phone string
	// Tags are the detail's tags as first seen (nil until a detail shows them).
	Tags      []string
	CreatedAt string
	// Blocked is the last is_blocked an answer showed.
	Blocked bool
	// Gone says a delete of it succeeded.
	Gone bool
	// Claimed says the caller created it and nobody else writes to it, so its block
	// state is the model's to predict.
	Claimed bool
	// MadeUp says the caller made the id up: it names no contact, in any app.
	MadeUp bool
}

// Model is the model of the contacts observed so far. It is safe for concurrent
// use; its memory is bounded by Config.MaxContacts and Config.MaxBytes.
type Model struct {
	spec     *contactkit.Spec
	max      int
	maxBytes int64

	// mu guards contacts, order, bytes and forgotten.
	mu        sync.Mutex
	contacts  map[string]*Contact // by id
	order     []string            // ids, oldest first, for forgetting
	bytes     int64               // what contacts hold, as contactBytes counts it
	forgotten int                 // contacts forgotten to stay within the bounds
}

// New returns an empty Model judging against the contract spec indexes.
func New(spec *contactkit.Spec, cfg Config) *Model {
	return &Model{spec: spec, max: cmp.Or(max(cfg.MaxContacts, 0), DefaultMaxContacts),
		maxBytes: cmp.Or(max(cfg.MaxBytes, 0), DefaultMaxBytes), contacts: map[string]*Contact{}}
}

// Len reports how many contacts the model remembers.
func (m *Model) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.contacts)
}

// Bytes reports the bytes the contacts remembered hold, as Config.MaxBytes
// counts them.
func (m *Model) Bytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes
}

// Forgotten reports how many contacts the model has forgotten to stay within
// Config's bounds: they are no longer checked.
func (m *Model) Forgotten() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.forgotten
}

// contactBytes is what c holds, as Config.MaxBytes counts it.
func contactBytes(c *Contact) int64 {
	n := contactCost + len(c.ID) + len(c.App) + len(c.Name) + len(c.Phone) + len(c.CreatedAt)
	for _, t := range c.Tags {
		n += 16 + len(t)
	}
	return int64(n)
}

// resized accounts for c's texts having changed from before bytes, and forgets
// the oldest contacts past the bounds. The caller holds m.mu.
func (m *Model) resized(c *Contact, before int64) {
	if m.contacts[c.ID] == c {
		m.bytes += contactBytes(c) - before
	}
	m.trim()
}

// Lookup returns a copy of what the model knows of contact id.
func (m *Model) Lookup(id string) (Contact, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.contacts[id]
	if !ok {
		return Contact{}, false
	}
	return *c, true
}

// Claim tells the model that the caller created contact id of app with these
// values and that nobody else writes to it: from now on its block state is
// predicted, and an answer saying it is gone while nobody deleted it is a finding.
// It returns the findings of the claim itself: an id already known elsewhere.
func (m *Model) Claim(app, id, name, phone, createdAt string, blocked bool) []check.Finding {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.contacts[id]; ok && c.App != app {
		return []check.Finding{m.finding(contactkit.OpListContacts, "", fmt.Sprintf("new contact %s of app %q has the id of a contact of app %q", id, app, c.App),
			"an id of its own", id, "#/components/schemas/ContactId")}
	}
	c := m.remember(app, id)
	defer m.resized(c, contactBytes(c))
	c.Name, c.Phone, c.CreatedAt, c.Blocked, c.Claimed = strings.Clone(name), strings.Clone(phone), strings.Clone(createdAt), blocked, true
	return nil
}

// MadeUp tells the model that the caller made id up: it names no contact in
// any app, so a get, PUT or delete of it answers 404.
func (m *Model) MadeUp(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.contacts[id]; ok && !c.MadeUp {
		return // a contact after all: what answers showed stands
	}
	c := m.remember("", id)
	c.Gone, c.MadeUp = true, true
}

// Observe checks one answer against the model, learns from it, and returns every
// finding: the ways the answer disagrees with what earlier answers told.
func (m *Model) Observe(x Exchange) []check.Finding {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch x.Op {
	case contactkit.OpListContacts:
		if x.Status != http.StatusOK {
			return nil
		}
		items, _ := check.Field(x.Body, "data").([]any)
		var out []check.Finding
		for i, it := range items {
			out = append(out, m.seen(x, it, fmt.Sprintf("/data/%d", i), false)...)
		}
		return out
	case contactkit.OpGetContact, contactkit.OpToggleContactBlock, contactkit.OpDeleteContact:
		return m.one(x)
	}
	return nil
}

// one judges an answer about the contact x's path names.
func (m *Model) one(x Exchange) []check.Finding {
	c := m.contacts[x.ContactID]
	if c != nil && !c.MadeUp && c.App != x.App {
		// Another app's contact: only a refusal or "no such contact" is right.
		if x.Status >= 200 && x.Status < 300 {
			return []check.Finding{m.finding(x.Op, "", fmt.Sprintf("contact %s of app %q answered %d through app %q", x.ContactID, c.App, x.Status, x.App),
				"403 or 404: a contact belongs to its own application", strconv.Itoa(x.Status), "#/components/parameters/AppId")}
		}
		return nil
	}
	switch x.Status {
	case http.StatusNotFound:
		if c == nil {
			return nil
		}
		var out []check.Finding
		if c.Claimed && !c.Gone {
			out = append(out, m.finding(x.Op, "", fmt.Sprintf("contact %s answered 404, but it was created and nobody deleted it", x.ContactID),
				"200 with the contact", "404", opFragment(m.spec, x.Op)))
		}
		c.Gone = true
		return out
	case http.StatusOK:
	default:
		return nil
	}
	if c != nil && c.MadeUp {
		return []check.Finding{m.finding(x.Op, "", fmt.Sprintf("contact %s names no contact (it was made up), yet %s answered 200", x.ContactID, x.Op),
			"404: no such contact", "200", opFragment(m.spec, x.Op))}
	}
	if c != nil && c.Gone {
		return []check.Finding{m.finding(x.Op, "", fmt.Sprintf("contact %s was deleted, yet %s answered 200", x.ContactID, x.Op),
			"404: a deleted contact is gone for good", "200", opFragment(m.spec, contactkit.OpDeleteContact))}
	}
	if x.Op == contactkit.OpDeleteContact {
		if c == nil {
			c = m.remember(x.App, x.ContactID)
		}
		c.Gone = true
		return nil
	}
	data := check.Field(x.Body, "data")
	var out []check.Finding
	if id, _ := check.Field(data, "id").(string); id != x.ContactID {
		out = append(out, m.finding(x.Op, "/data/id", fmt.Sprintf("answer for contact %s is about contact %q", x.ContactID, id),
			x.ContactID, id, opFragment(m.spec, x.Op)))
		return out
	}
	return append(out, m.seen(x, data, "/data", x.Op == contactkit.OpToggleContactBlock)...)
}

// seen checks one contact object of an answer against the model and learns it.
func (m *Model) seen(x Exchange, obj any, at string, toggled bool) []check.Finding {
	id, ok := check.Field(obj, "id").(string)
	if !ok || id == "" {
		return nil // the schema check reports it
	}
	var out []check.Finding
	c := m.contacts[id]
	if c != nil && c.MadeUp {
		// A contact has the id after all: learn it as any other.
		before := contactBytes(c)
		*c = Contact{ID: c.ID, App: strings.Clone(x.App)}
		m.resized(c, before)
	}
	if c != nil && c.App != x.App {
		return []check.Finding{m.finding(x.Op, at+"/id", fmt.Sprintf("contact %s of app %q shows up in an answer for app %q", id, c.App, x.App),
			"only app "+strconv.Quote(x.App)+"'s contacts", id, "#/components/parameters/AppId")}
	}
	if c != nil && c.Gone {
		return []check.Finding{m.finding(x.Op, at, fmt.Sprintf("contact %s was deleted, yet it shows up again", id),
			"gone for good", "listed", opFragment(m.spec, contactkit.OpDeleteContact))}
	}
	fresh := c == nil
	if fresh {
		c = m.remember(x.App, id)
	}
	// The texts learnt below are the decoded answer's own strings (check.Decode
	// copies them out of the body), counted against Config.MaxBytes.
	defer m.resized(c, contactBytes(c))
	phone, hasPhone := check.Field(obj, "phone").(json.Number)
	created, hasCreated := check.Field(obj, "created_at").(string)
	tag, hasTag := check.Field(obj, "tag").(string)
	tags, hasTags := check.Field(obj, "tags").([]any)
	blocked, hasBlocked := check.Field(obj, "is_blocked").(bool)

	if hasPhone {
		if c.Phone != "" && !check.SameNumber(c.Phone, string(phone)) {
			out = append(out, m.finding(x.Op, at+"/phone", fmt.Sprintf("contact %s's phone changed from %s to %s", id, c.Phone, phone),
				c.Phone, string(phone), "#/components/schemas/Phone"))
		} else if c.Phone == "" {
			c.Phone = string(phone)
		}
	}
	if hasCreated {
		if c.CreatedAt != "" && !sameInstant(c.CreatedAt, created) {
			// The docs' own PUT example shows another created_at than their list
			// does: that it never changes is a reading.
			f := m.finding(x.Op, at+"/created_at", fmt.Sprintf("contact %s's created_at changed from %s to %s", id, c.CreatedAt, created),
				c.CreatedAt, created, "#/components/schemas/CreatedAt")
			out = append(out, check.AsReading(contactkit.ReadingCreatedAtStable, []check.Finding{f})...)
		} else if c.CreatedAt == "" {
			c.CreatedAt = created
		}
	}
	if hasTag {
		if c.Name != "" && c.Name != tag {
			out = append(out, m.finding(x.Op, at+"/tag", fmt.Sprintf("contact %s's tag (its name) changed from %q to %q", id, c.Name, tag),
				strconv.Quote(c.Name), strconv.Quote(tag), "#/components/schemas/Contact/properties/tag"))
		} else if c.Name == "" {
			c.Name = tag
		}
	}
	if hasTags {
		var now []string
		for _, t := range tags {
			s, _ := t.(string)
			now = append(now, s)
		}
		switch {
		case c.Tags == nil && len(now) <= maxTags:
			c.Tags = now
		case c.Tags != nil && !sameTags(c.Tags, now):
			// Tags come from the name, which no operation changes (their
			// order the docs leave open).
			out = append(out, m.finding(x.Op, at+"/tags", fmt.Sprintf("contact %s's tags changed from %s to %s", id, check.Show(c.Tags), check.Show(now)),
				check.Show(c.Tags), check.Show(now), "#/components/schemas/ContactDetail/properties/tags"))
		}
	}
	if hasTags && c.Name != "" && !slices.ContainsFunc(tags, func(t any) bool { s, _ := t.(string); return s == c.Name }) {
		out = append(out, m.finding(x.Op, at+"/tags", fmt.Sprintf("contact %s's tags do not hold its name %q", id, c.Name),
			"tags holding "+strconv.Quote(c.Name), check.Show(tags), "#/components/schemas/ContactDetail/properties/tags"))
	}
	if hasBlocked {
		want := c.Blocked
		if toggled {
			want = !want
		}
		if c.Claimed && blocked != want {
			what := "is_blocked changed though nobody sent a PUT"
			if toggled {
				what = "a PUT did not flip is_blocked"
			}
			out = append(out, m.finding(x.Op, at+"/is_blocked", fmt.Sprintf("contact %s: %s", id, what),
				strconv.FormatBool(want), strconv.FormatBool(blocked), opFragment(m.spec, contactkit.OpToggleContactBlock)))
		}
		c.Blocked = blocked
	}
	return out
}

// sameInstant compares two RFC 3339 times by the instant they name: the same
// time written in another zone is the same created_at.
func sameInstant(a, b string) bool {
	if a == b {
		return true
	}
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

// sameTags compares two lists of tags as sets with counts: the docs fix no order.
func sameTags(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// remember adds contact id of app, forgetting the oldest contacts past the
// bounds. Its texts are copies, so a contact never keeps a request's path or an
// answer's body alive. The caller holds m.mu.
func (m *Model) remember(app, id string) *Contact {
	c := &Contact{ID: strings.Clone(id), App: strings.Clone(app)}
	if old, ok := m.contacts[c.ID]; ok {
		m.bytes -= contactBytes(old)
	}
	m.contacts[c.ID] = c
	m.bytes += contactBytes(c)
	m.order = append(m.order, c.ID)
	m.trim()
	return c
}

// trim forgets the oldest contacts while the model is past Config's bounds.
// The caller holds m.mu.
func (m *Model) trim() {
	for (len(m.contacts) > m.max || m.bytes > m.maxBytes) && len(m.order) > 0 {
		if c, ok := m.contacts[m.order[0]]; ok {
			m.bytes -= contactBytes(c)
			delete(m.contacts, m.order[0])
			m.forgotten++
		}
		m.order = m.order[1:]
	}
	if len(m.order) > 2*max(len(m.contacts), 1) && len(m.order) > 64 {
		// Compact: the queue holds ids of contacts forgotten, or remembered again.
		m.order = slices.DeleteFunc(m.order, func(id string) bool { _, ok := m.contacts[id]; return !ok })
	}
}

func (m *Model) finding(op, ptr, msg, want, got, fragment string) check.Finding {
	if !strings.HasPrefix(fragment, "#") {
		fragment = "#" + fragment
	}
	return check.Finding{Check: check.Model, Message: msg, Pointer: ptr, Expected: want, Actual: got, Contract: contactkit.SpecFile + fragment}
}

// opFragment names the description of operation op in the contract.
func opFragment(spec *contactkit.Spec, op string) string {
	o := spec.Op(op)
	if o == nil {
		return "#/paths"
	}
	return "#/paths/" + check.EscapeToken(o.Path) + "/" + strings.ToLower(o.Method) + "/description"
}

// OpLocation names the description of operation op in the contract, as findings
// cite it.
func OpLocation(spec *contactkit.Spec, op string) string {
	return contactkit.SpecFile + opFragment(spec, op)
}
