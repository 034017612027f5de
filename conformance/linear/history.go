package linear

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// kind is what an operation of a history does.
type kind int

const (
	get kind = iota
	put
	del
	create
	read // page 1's meta.total
)

func (k kind) String() string {
	return [...]string{"GET", "PUT", "DELETE", "create", "read total"}[k]
}

// reply is what an operation answered, as the models read it.
type reply struct {
	status  int
	blocked bool  // a GET's or a PUT's 200
	total   int64 // a read's
}

// event is one operation of a history: who sent it, when (from the round's
// start, on the monotonic clock) and what it answered.
type event struct {
	client    int // from 0; the read after every client is done has client == clients
	kind      kind
	rows      int // a create's
	call, ret time.Duration
	got       reply
	curl      string
}

// text gives what an answer says: "200 is_blocked=true", "404", "total 25".
func (e *event) text(r reply) string {
	switch {
	case e.kind == read:
		return "total " + strconv.FormatInt(r.total, 10)
	case (e.kind == get || e.kind == put) && r.status == 200:
		return fmt.Sprintf("200 is_blocked=%t", r.blocked)
	}
	return strconv.Itoa(r.status)
}

// String gives the operation and its answer: "c2 PUT 0.05-1.33 ms → 200 is_blocked=true".
func (e *event) String() string {
	what := e.kind.String()
	if e.kind == create {
		what = fmt.Sprintf("create of %d rows", e.rows)
	}
	return fmt.Sprintf("%s %s %s → %s", e.who(), what, span(e.call, e.ret), e.text(e.got))
}

func (e *event) who() string { return "c" + strconv.Itoa(e.client+1) }

func span(from, to time.Duration) string {
	return fmt.Sprintf("%.2f-%.2f ms", ms(from), ms(to))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// overlaps reports whether two operations were under way at one time.
func (e *event) overlaps(o *event) bool { return e.call <= o.ret && o.call <= e.ret }

// machine is a sequential model of what a round's operations act on: its state
// before the round, and what each operation does to a state and answers from it.
type machine[S comparable] struct {
	init     S
	step     func(s S, e *event) (S, reply)
	describe func(S) string
}

// porcupine gives the model as porcupine checks it: an operation fits a state
// when the model answers what it answered.
func (m machine[S]) porcupine() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return m.init },
		Step: func(s, in, _ any) (bool, any) {
			e := in.(*event)
			next, want := m.step(s.(S), e)
			return want == e.got, next
		},
	}
}

// why explains a history no order explains: the longest order porcupine found
// that explains a part of it, the state it leaves, and an operation that cannot
// come next, with what the model answers there.
type why struct {
	prefix  []*event
	state   string
	culprit *event
	want    reply
}

// judge checks events against m within timeout; when no order explains them
// it says why.
func judge[S comparable](m machine[S], events []*event, timeout time.Duration) (porcupine.CheckResult, *why) {
	pm := m.porcupine()
	ops := make([]porcupine.Operation, len(events))
	for i, e := range events {
		ops[i] = porcupine.Operation{ClientId: e.client, Input: e, Call: int64(e.call), Return: int64(e.ret)}
	}
	verdict := porcupine.CheckOperationsTimeout(pm, ops, timeout)
	if verdict != porcupine.Illegal {
		return verdict, nil
	}
	// Only a history that fails pays for the partial orders.
	_, info := porcupine.CheckOperationsVerbose(pm, ops, timeout)
	var longest []int
	for _, part := range info.PartialLinearizations() {
		for _, seq := range part {
			// The set comes from a map: of the longest, the least in order, so
			// that one history is always told the same way.
			if len(seq) > len(longest) || len(seq) == len(longest) && slices.Compare(seq, longest) < 0 {
				longest = seq
			}
		}
	}
	return verdict, explain(m, events, longest)
}

// explain replays order (indexes of events) from m's initial state and finds,
// among the operations left that could come next, one the model answers
// otherwise.
func explain[S comparable](m machine[S], events []*event, order []int) *why {
	w := &why{}
	s := m.init
	done := make([]bool, len(events))
	told := 0 // the story tells the order up to its last change of state
	for n, i := range order {
		next, _ := m.step(s, events[i])
		if next != s {
			told = n + 1
		}
		s = next
		done[i] = true
	}
	for _, i := range order[:told] {
		w.prefix = append(w.prefix, events[i])
	}
	w.state = m.describe(s)
	var left []*event
	for i, e := range events {
		if !done[i] {
			left = append(left, e)
		}
	}
	if len(left) == 0 {
		return w // cannot happen for an Illegal history; said as it is
	}
	slices.SortStableFunc(left, func(a, b *event) int { return cmp.Compare(a.ret, b.ret) })
	first := left[0].ret
	w.culprit = left[0]
	_, w.want = m.step(s, left[0])
	for _, e := range left {
		if e.call > first {
			continue // something left ended before it began: it cannot come next
		}
		if _, want := m.step(s, e); want != e.got {
			w.culprit, w.want = e, want
			break
		}
	}
	return w
}

// list writes events, at most n of them, saying how many it left out.
func list(events []*event, n int) string {
	var parts []string
	for i, e := range events {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(events)-n))
			break
		}
		parts = append(parts, e.String())
	}
	return strings.Join(parts, ", ")
}

// overlapping lists the events under way while e was, e aside.
func overlapping(events []*event, e *event) []*event {
	var out []*event
	for _, o := range events {
		if o != e && o.overlaps(e) {
			out = append(out, o)
		}
	}
	return out
}

// story tells w in words: the order that explains a part, then the operation
// that cannot follow it.
func (w *why) story(start string) string {
	var b strings.Builder
	b.WriteString(w.culprit.who() + " " + w.culprit.kind.String() + " " + span(w.culprit.call, w.culprit.ret) +
		" answered " + w.culprit.text(w.culprit.got) + ", but ")
	if len(w.prefix) == 0 {
		b.WriteString("from the start (" + start + ")")
	} else {
		shown := w.prefix
		if len(shown) > 4 {
			fmt.Fprintf(&b, "after %s and ", plural(len(shown)-4, "earlier operation"))
			shown = shown[len(shown)-4:]
		} else {
			b.WriteString("after ")
		}
		b.WriteString(list(shown, 4) + " (then " + w.state + ")")
	}
	if w.want == w.culprit.got {
		b.WriteString(" no order of the operations left places it with the rest")
	} else {
		b.WriteString(" it must answer " + w.culprit.text(w.want))
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// beside says which operations were under way with e, if any.
func beside(events []*event, e *event) string {
	o := overlapping(events, e)
	if len(o) == 0 {
		return ""
	}
	return "; under way with it: " + list(o, 8)
}
