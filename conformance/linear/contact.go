package linear

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// contactRound is one contact round, drawn from the seed: the operations each
// client sends to one contact.
type contactRound struct {
	n     int
	focus kind     // the write the round leans toward
	ops   [][]kind // each client's, in order
}

// Of a contact round's operations, this share is its focus and the same share
// of the rest (GETs and the other write) GETs: writes of one kind overlap, with
// reads among them. A DELETE in a round of toggles comes only as a client's
// last operation, so that it does not end the toggling it is there to meet.
const (
	focusShare = 0.7
	getShare   = 0.2
)

func (r *runner) contactPlan(rng *rand.Rand, n, focus int) plan {
	p := &contactRound{n: n, focus: [...]kind{put, del}[focus]}
	other := [...]kind{del, put}[focus]
	for c := range r.cfg.Clients {
		var ops []kind
		for i := range r.cfg.Ops {
			switch u := rng.Float64(); {
			case u < focusShare || i == 0 && c < 2:
				ops = append(ops, p.focus)
			case u < focusShare+getShare || other == del && i < r.cfg.Ops-1:
				ops = append(ops, get)
			default:
				ops = append(ops, other)
			}
		}
		p.ops = append(p.ops, ops)
	}
	return p
}

// contactState is the model of one contact: whether it exists, and if so
// whether it is blocked.
type contactState struct{ exists, blocked bool }

func (s contactState) String() string {
	if !s.exists {
		return "the contact gone"
	}
	return fmt.Sprintf("is_blocked=%t", s.blocked)
}

// contactStep is what the docs say each operation does to one contact: GET
// answers it, PUT flips is_blocked and answers the new state, DELETE removes it;
// once it is gone each answers 404.
func contactStep(s contactState, e *event) (contactState, reply) {
	if !s.exists {
		return s, reply{status: http.StatusNotFound}
	}
	switch e.kind {
	case get:
		return s, reply{status: http.StatusOK, blocked: s.blocked}
	case put:
		s.blocked = !s.blocked
		return s, reply{status: http.StatusOK, blocked: s.blocked}
	}
	return contactState{}, reply{status: http.StatusOK}
}

func opOf(k kind) string {
	return [...]string{contactkit.OpGetContact, contactkit.OpToggleContactBlock, contactkit.OpDeleteContact,
		contactkit.OpCreateContacts, contactkit.OpListContacts}[k]
}

// readContact reads an answer to a GET, PUT or DELETE of one contact as the
// model does: 404, or 200 with is_blocked (GET and PUT).
func readContact(k kind, a *answer) (reply, bool) {
	if a.err != nil || a.body == nil {
		return reply{}, false
	}
	switch a.status {
	case http.StatusNotFound:
		return reply{status: a.status}, true
	case http.StatusOK:
		if k == del {
			return reply{status: a.status}, true
		}
		b, ok := check.Field(check.Field(a.body, "data"), "is_blocked").(bool)
		return reply{status: a.status, blocked: b}, ok
	}
	return reply{}, false
}

// play creates the round's contact, finds its id, reads its state, lets the
// clients loose on it and checks their history; the contact is deleted
// afterwards, whatever happened.
func (p *contactRound) play(ctx context.Context, r *runner) (o outcome) {
	k := r.key(p.n, 0)
	var ids []string
	var lost []key // made, maybe, and never found
	gone := false
	defer func() {
		if !gone {
			r.remove(ctx, ids, lost)
		}
	}()

	q := request{op: contactkit.OpCreateContacts, body: batchJSON([]key{k})}
	a := r.send(ctx, q)
	if a.err != nil || a.status != http.StatusCreated {
		if a.err != nil || a.status >= 500 {
			lost = []key{k}
		}
		o.add(p.n, r.unreadable(ctx, q, a, http.StatusCreated))
		return o
	}
	f, tr := r.seek(ctx, []key{k})
	ids = f.ids[k.phone]
	if len(ids) == 0 && !f.whole {
		lost = []key{k}
	}
	switch {
	case tr.note != "" || len(tr.findings) > 0:
		o.add(p.n, tr)
		return o
	case len(ids) == 0:
		o.note("round %d not played: the contact it made (phone %d) is not among the %d contacts read from both ends of the list", p.n+1, k.phone, f.read)
		return o
	case len(ids) > 1:
		o.note("round %d not played: %d contacts carry its phone %d (a run with the same seed left one, or the create stored it twice)", p.n+1, len(ids), k.phone)
		return o
	}
	id := ids[0]

	q = request{op: contactkit.OpGetContact, contact: id}
	a = r.send(ctx, q)
	first, ok := readContact(get, a)
	if !ok || first.status != http.StatusOK {
		o.add(p.n, r.unreadable(ctx, q, a, http.StatusOK))
		return o
	}

	events, troubles := p.race(ctx, r, id)
	o.ops = len(events)
	if len(troubles) > 0 {
		for _, tr := range troubles {
			o.add(p.n, tr)
		}
		return o
	}
	// The read after all were done saw it gone: nothing left to delete.
	gone = slices.ContainsFunc(events, func(e *event) bool { return e.client == len(p.ops) && e.got.status == http.StatusNotFound })

	init := contactState{exists: true, blocked: first.blocked}
	verdict, w := judge(machine[contactState]{init: init, step: contactStep, describe: contactState.String}, events, r.cfg.CheckTimeout)
	switch verdict {
	case porcupine.Unknown:
		o.note("round %d not judged: the check of its %d operations did not end within %s (porcupine's Unknown is no verdict)", p.n+1, len(events), r.cfg.CheckTimeout)
		return o
	case porcupine.Illegal:
		o.findings = append(o.findings, p.finding(r, init, events, w))
	}
	o.judged = true
	return o
}

// race sends every client's operations at once, from one start, and gives their
// history in the order they began, and the answers the model cannot read.
func (p *contactRound) race(ctx context.Context, r *runner, id string) ([]*event, []trouble) {
	var mu sync.Mutex // guards events and troubles
	var events []*event
	var troubles []trouble
	var t0 time.Time
	start := make(chan struct{})
	var wg sync.WaitGroup
	for c, ops := range p.ops {
		wg.Go(func() {
			<-start
			for _, k := range ops {
				q := request{op: opOf(k), contact: id}
				call := time.Since(t0)
				a := r.send(ctx, q)
				e := &event{client: c, kind: k, call: call, ret: time.Since(t0), curl: a.curl}
				got, ok := readContact(k, a)
				var tr trouble
				if !ok {
					tr = r.unreadable(ctx, q, a, http.StatusOK, http.StatusNotFound)
				}
				e.got = got
				mu.Lock()
				events = append(events, e)
				if !ok {
					troubles = append(troubles, tr)
				}
				mu.Unlock()
			}
		})
	}
	t0 = time.Now()
	close(start)
	wg.Wait()
	// What the contact is once all are done pins the end of every order: a
	// toggle or a delete lost shows here, if no answer before showed it.
	q := request{op: contactkit.OpGetContact, contact: id}
	call := time.Since(t0)
	a := r.send(ctx, q)
	e := &event{client: len(p.ops), kind: get, call: call, ret: time.Since(t0), curl: a.curl}
	got, ok := readContact(get, a)
	e.got = got
	events = append(events, e)
	if !ok {
		troubles = append(troubles, r.unreadable(ctx, q, a, http.StatusOK, http.StatusNotFound))
	}
	slices.SortStableFunc(events, func(a, b *event) int { return cmp.Compare(a.call, b.call) })
	return events, troubles
}

// finding tells a contact round no order explains.
func (p *contactRound) finding(r *runner, init contactState, events []*event, w *why) check.Finding {
	c := w.culprit
	// The rule the culprit breaks: DELETE's when it or the state it meets is
	// about the contact being there, PUT's when it is about is_blocked.
	rule := contactkit.OpToggleContactBlock
	if c.kind == del || w.want.status != c.got.status {
		rule = contactkit.OpDeleteContact
	}
	expected := c.text(w.want)
	if w.want == c.got {
		expected = "an answer some order of the operations gives"
	}
	return check.Finding{Check: check.Linear, Source: check.Docs,
		Message: fmt.Sprintf("round %d: %d clients sent %d GETs, PUTs and DELETEs at once to one contact (%s before; c%d read it once all were done), and no order of them explains their answers: %s%s",
			p.n+1, len(p.ops), len(events)-1, init, len(p.ops)+1, w.story(init.String()), beside(events, c)),
		Expected: expected, Actual: c.text(c.got),
		Contract: check.OpLocation(r.spec, rule) + "/description", Curl: c.curl}
}

// add reports tr of round n: its findings, and once a round that the round
// was not judged, and why.
func (o *outcome) add(n int, tr trouble) {
	o.findings = append(o.findings, tr.findings...)
	if o.unjudged || tr.note == "" && len(tr.findings) == 0 {
		return
	}
	o.unjudged = true
	why := tr.note
	if why == "" {
		why = "an answer the model cannot read: " + tr.findings[0].String()
	}
	o.note("round %d not judged: %s", n+1, check.Clip(why, 300))
}
