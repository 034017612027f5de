package linear

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// A create round's batches hold at least minBatch rows, never one, and no two
// of a round the same number, so that a reader seeing part of a batch, or one
// batch of two, sees a total whole batches seldom give.
const minBatch = 2

// createRound is one create round, drawn from the seed: some clients create a
// batch each, the others read the total while they do.
type createRound struct {
	n       int
	batches [][]key // each writer's rows
	readers int
	reads   int // the most each reader reads
}

// createPlan draws create round n. Rounds alternate: in one half the clients
// create and half read, so that readers meet batches being written; in the
// next every client creates, so that batches meet batches.
func (r *runner) createPlan(rng *rand.Rand, n int, allWrite bool) plan {
	writers := max(1, r.cfg.Clients/2)
	if allWrite {
		writers = r.cfg.Clients
	}
	p := &createRound{n: n, readers: r.cfg.Clients - writers, reads: 2 * r.cfg.Ops}
	j := 0
	for _, size := range rng.Perm(writers + 1)[:writers] {
		var keys []key
		for range minBatch + size {
			keys = append(keys, r.key(n, j))
			j++
		}
		p.batches = append(p.batches, keys)
	}
	return p
}

// totalStep is what the docs say of an application's list: a create stores
// all its rows at once, and the total counts every contact.
func totalStep(s int64, e *event) (int64, reply) {
	if e.kind == create {
		return s + int64(e.rows), reply{status: http.StatusCreated}
	}
	return s, reply{status: http.StatusOK, total: s}
}

func describeTotal(s int64) string { return "total " + strconv.FormatInt(s, 10) }

var totalQuery = url.Values{"page": {"1"}, "limit": {"1"}}

// readTotal reads page 1's meta.total.
func (r *runner) readTotal(ctx context.Context) (*answer, int64, bool) {
	a := r.send(ctx, request{op: contactkit.OpListContacts, query: totalQuery})
	if a.err != nil || a.status != http.StatusOK {
		return a, 0, false
	}
	total, ok := intField(check.Field(a.body, "meta"), "total")
	return a, total, ok
}

// play reads the total, lets the writers create and the readers read at once,
// reads the total once more, checks the history, then walks the list for every
// row of every batch answered 201; what was made is deleted afterwards,
// whatever happened.
func (p *createRound) play(ctx context.Context, r *runner) (o outcome) {
	var keys []key
	for _, b := range p.batches {
		keys = append(keys, b...)
	}
	var ids []string
	lost := keys // made, maybe, and never found
	defer func() { r.remove(ctx, ids, lost) }()

	listQ := request{op: contactkit.OpListContacts, query: totalQuery}
	a, before, ok := r.readTotal(ctx)
	if !ok {
		lost = nil // nothing was sent
		o.add(p.n, r.unreadable(ctx, listQ, a, http.StatusOK))
		return o
	}
	events, troubles := p.race(ctx, r)
	o.ops = len(events)
	if ctx.Err() != nil {
		troubles = append(troubles, trouble{note: "cut short: " + context.Cause(ctx).Error()})
	}
	if len(troubles) > 0 {
		for _, tr := range troubles {
			o.add(p.n, tr)
		}
		return o
	}

	verdict, w := judge(machine[int64]{init: before, step: totalStep, describe: describeTotal}, events, r.cfg.CheckTimeout)
	switch verdict {
	case porcupine.Unknown:
		o.note("round %d not judged: the check of its %d operations did not end within %s (porcupine's Unknown is no verdict)", p.n+1, len(events), r.cfg.CheckTimeout)
	case porcupine.Illegal:
		o.findings = append(o.findings, p.finding(r, before, events, w))
		o.judged = true
	default:
		o.judged = true
	}

	f, tr := r.seek(ctx, keys)
	o.findings = append(o.findings, tr.findings...)
	if tr.note != "" || len(tr.findings) > 0 {
		why := tr.note
		if why == "" {
			why = tr.findings[0].String()
		}
		o.note("round %d: its rows were not sought in the list: %s", p.n+1, check.Clip(why, 300))
	}
	lost = nil
	for _, k := range keys {
		ids = append(ids, f.ids[k.phone]...)
		if len(f.ids[k.phone]) == 0 && !f.whole {
			lost = append(lost, k)
		}
	}
	if tr.note == "" && len(tr.findings) == 0 {
		p.stored(&o, r, f)
	}
	return o
}

// race sends every writer's batch and every reader's reads at once, from one
// start, then reads the total once all are done, and gives their history in
// the order they began, and the answers the model cannot read.
func (p *createRound) race(ctx context.Context, r *runner) ([]*event, []trouble) {
	var mu sync.Mutex // guards events and troubles
	var events []*event
	var troubles []trouble
	record := func(e *event, tr trouble, ok bool) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
		if !ok {
			troubles = append(troubles, tr)
		}
	}
	var t0 time.Time
	start := make(chan struct{})
	var writing atomic.Int32
	writing.Store(int32(len(p.batches)))
	var wg sync.WaitGroup
	for c, keys := range p.batches {
		wg.Go(func() {
			defer writing.Add(-1)
			<-start
			q := request{op: contactkit.OpCreateContacts, body: batchJSON(keys)}
			call := time.Since(t0)
			a := r.send(ctx, q)
			e := &event{client: c, kind: create, rows: len(keys), call: call, ret: time.Since(t0), curl: a.curl,
				got: reply{status: a.status}}
			ok := a.err == nil && a.status == http.StatusCreated && a.body != nil
			var tr trouble
			if !ok {
				tr = r.unreadable(ctx, q, a, http.StatusCreated)
			}
			record(e, tr, ok)
		})
	}
	readOnce := func(c int) {
		call := time.Since(t0)
		a, total, ok := r.readTotal(ctx)
		e := &event{client: c, kind: read, call: call, ret: time.Since(t0), curl: a.curl, got: reply{status: http.StatusOK, total: total}}
		var tr trouble
		if !ok {
			tr = r.unreadable(ctx, request{op: contactkit.OpListContacts, query: totalQuery}, a, http.StatusOK)
		}
		record(e, tr, ok)
	}
	for i := range p.readers {
		wg.Go(func() {
			<-start
			// Reads go on while a batch is being written, and at least once.
			for n := 0; n < p.reads && (n == 0 || writing.Load() > 0); n++ {
				readOnce(len(p.batches) + i)
			}
		})
	}
	t0 = time.Now()
	close(start)
	wg.Wait()
	// A batch lost shows in a read after all are done, if none saw it before.
	readOnce(len(p.batches) + p.readers)
	slices.SortStableFunc(events, func(a, b *event) int { return cmp.Compare(a.call, b.call) })
	return events, troubles
}

// finding tells a create round no order explains.
func (p *createRound) finding(r *runner, before int64, events []*event, w *why) check.Finding {
	c := w.culprit
	expected, story := c.text(w.want), w.story(describeTotal(before))
	if w.want == c.got {
		expected = "an answer some order of the operations gives"
	}
	if c.kind == read {
		if totals := possibleTotals(before, events, c); !slices.Contains(totals, c.got.total) {
			// Said without any order: what the batches before it and beside it allow.
			story = fmt.Sprintf("%s answered %s, where the batches done before it began, and any of those under way with it, give only %s",
				c.who()+" "+c.kind.String()+" "+span(c.call, c.ret), c.text(c.got), orList(totals, 8, "or"))
			expected = "total " + orList(totals, 8, "or")
		}
	}
	var sizes []int64
	for _, b := range p.batches {
		sizes = append(sizes, int64(len(b)))
	}
	readers := ""
	if p.readers > 0 {
		readers = fmt.Sprintf(" while %d read page 1's meta.total", p.readers)
	}
	return check.Finding{Check: check.Linear, Source: check.Docs,
		Message: fmt.Sprintf("round %d: %d clients created batches of %s rows at once%s (%s before; c%d read it once all were done), and no order of them explains their answers: %s%s",
			p.n+1, len(p.batches), orList(sizes, len(sizes), "and"), readers, describeTotal(before), len(p.batches)+p.readers+1, story, beside(events, c)),
		Expected: expected, Actual: c.text(c.got),
		Contract: check.OpLocation(r.spec, contactkit.OpCreateContacts) + "/description", Curl: c.curl}
}

// possibleTotals are the totals read may answer whatever the order: before,
// plus every batch done before it began, plus any of those under way with it.
func possibleTotals(before int64, events []*event, read *event) []int64 {
	sums := []int64{before}
	for _, e := range events {
		switch {
		case e.kind != create:
		case e.ret < read.call:
			for i := range sums {
				sums[i] += int64(e.rows)
			}
		case e.call <= read.ret:
			for _, s := range sums {
				sums = append(sums, s+int64(e.rows))
			}
		}
	}
	slices.Sort(sums)
	return slices.Compact(sums)
}

// orList writes the first n of numbers as "1, 2 or 3" (with "and" for "or").
func orList(numbers []int64, n int, or string) string {
	var parts []string
	for i, t := range numbers {
		if i == n {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, strconv.FormatInt(t, 10))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + or + " " + parts[len(parts)-1]
}

// stored checks that every row of every batch is in the list exactly once: a
// row twice is always wrong; a row missing only when the walk read the whole
// list.
func (p *createRound) stored(o *outcome, r *runner, f found) {
	var missing, twice []string
	for c, b := range p.batches {
		for _, k := range b {
			switch n := len(f.ids[k.phone]); {
			case n == 0 && f.whole:
				missing = append(missing, fmt.Sprintf("%s (phone %d, c%d's)", k.name, k.phone, c+1))
			case n > 1:
				twice = append(twice, fmt.Sprintf("%s (phone %d, c%d's) %d times", k.name, k.phone, c+1, n))
			}
		}
	}
	var what []string
	if len(missing) > 0 {
		what = append(what, fmt.Sprintf("%d rows are not in it: %s", len(missing), clipList(missing, 5)))
	}
	if len(twice) > 0 {
		what = append(what, fmt.Sprintf("%d rows are in it more than once: %s", len(twice), clipList(twice, 5)))
	}
	if len(what) > 0 {
		o.findings = append(o.findings, check.Finding{Check: check.Linear, Source: check.Docs,
			Message: fmt.Sprintf("round %d: every batch answered 201, and in the list read afterwards (%d contacts) %s",
				p.n+1, f.read, strings.Join(what, "; ")),
			Expected: "every row of a batch answered 201, once", Actual: strings.Join(what, "; "),
			Contract: check.OpLocation(r.spec, contactkit.OpCreateContacts) + "/description"})
		return
	}
	var unseen int
	for _, k := range slices.Concat(p.batches...) {
		if len(f.ids[k.phone]) == 0 {
			unseen++
		}
	}
	if unseen > 0 {
		o.note("round %d: %d rows of batches answered 201 were not among the %d contacts read from both ends of the list; it was not read whole, so they may sit further in", p.n+1, unseen, f.read)
	}
}

func clipList(items []string, n int) string {
	if len(items) > n {
		return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
	}
	return strings.Join(items, ", ")
}
