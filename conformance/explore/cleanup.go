package explore

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

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
		deadline := time.Now().Add(DefaultWalkTime)
		read, most := 0, DefaultWalkItems
		// Nobody creates or deletes while the walk reads (the gate), so no page
		// shifts under it either.
		e.x.gate.RLock()
		for page := 1; read < most && time.Now().Before(deadline); page++ {
			r := e.newRequest(contactkit.OpListContacts, id, "", "")
			e.setQuery(r, strconv.Itoa(page), strconv.Itoa(e.maxLimit()))
			a, _ := e.send(ctx, r)
			data, _ := check.Field(a.body, "data").([]any)
			read += len(data)
			if n, err := strconv.ParseInt(textOf(check.Field(check.Field(a.body, "meta"), "total")), 10, 64); page == 1 && err == nil && n > fullWalkTotal && !unknown[id.app] {
				// Only rows a refusal kept out are sought, in a big app: a seek
				// walk's worth, not every page.
				most = bigSeekItems
			}
			for _, it := range data {
				itID, _ := check.Field(it, "id").(string)
				if e.preexisting[itID] || itID == "" {
					continue
				}
				if lost[id.app][textOf(check.Field(it, "phone"))] || lost[id.app][textOf(check.Field(it, "tag"))] {
					doomed = append(doomed, itID)
				}
			}
			if a.status != http.StatusOK || check.Field(check.Field(a.body, "meta"), "next_page") == nil {
				break
			}
		}
		e.x.gate.RUnlock()
		for _, itID := range doomed {
			e.send(ctx, e.newRequest(contactkit.OpDeleteContact, id, itID, ""))
		}
	}
}
