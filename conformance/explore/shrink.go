package explore

import (
	"context"
	"fmt"

	"github.com/contactkit/contactkit/conformance/model"
)

// alone finds a sequence that fails when it runs by itself, as a replay and a
// scenario file do: the one that failed beside others (seqs[j], whose execution
// was e) if it fails alone, else the first of all that does. It returns nil when
// none does.
func (x *explorer) alone(ctx context.Context, seqs [][]action, j int, e *execution) ([]action, *execution) {
	if a := x.execute(ctx, seqs[j], 20_000+j); a.fail != nil && a.fail.signature(seqs[j]) == e.fail.signature(seqs[j]) {
		return seqs[j], a
	}
	for k, seq := range seqs {
		if ctx.Err() != nil {
			break
		}
		if a := x.execute(ctx, seq, 30_000+k); a.fail != nil {
			return seq, a
		}
	}
	return nil, nil
}

// shrink reduces seq, whose execution e failed, to the shortest sequence with the
// simplest values that still fails the same way, and returns it with its
// execution. Every candidate is judged afresh: its expectations come from its
// own values, never from the case it was shrunk from.
func (x *explorer) shrink(ctx context.Context, seq []action, e *execution) ([]action, *execution) {
	sig := e.fail.signature(seq)
	best, bestE := seq, e
	runs := 0
	try := func(cand []action) bool {
		if runs >= DefaultShrinkRuns || ctx.Err() != nil || len(cand) == 0 {
			return false
		}
		runs++
		ce := x.execute(ctx, cand, 10_000+runs)
		if ce.fail == nil || ce.fail.signature(cand) != sig {
			return false
		}
		best, bestE = cand[:ce.fail.at+1], ce
		return true
	}
	// The failing operation alone, or with the few before it, is often enough.
	for k := 1; k <= 3 && k < len(best); k++ {
		if try(append([]action{}, best[len(best)-k:]...)) {
			break
		}
	}
	// Drop chunks of actions, halving the chunk size.
	for n := len(best) / 2; n >= 1; n /= 2 {
		for i := 0; i+n <= len(best); {
			cand := append(append([]action{}, best[:i]...), best[i+n:]...)
			if !try(cand) {
				i += n
			}
		}
	}
	for i := 0; i < len(best); i++ {
		if !try(append(append([]action{}, best[:i]...), best[i+1:]...)) {
			continue
		}
		i--
	}
	// Simplify what is left, while it gets simpler: fewer rows, shorter names,
	// plainer queries.
	for i := 0; i < len(best); i++ {
		for again := true; again; {
			again = false
			for _, cand := range simpler(best[i]) {
				c := append([]action{}, best...)
				c[i] = cand
				if try(c) {
					again = i < len(best)
					break
				}
			}
		}
	}
	return best, bestE
}

// simpler returns variants of a, each a little simpler. A variant is judged as
// what it is: the model predicts its answer from its own values, so a name cut
// short is judged as the name it now is.
func simpler(a action) []action {
	var out []action
	if len(a.rows) > 1 {
		for j := range a.rows {
			b := a
			b.rows = append(append([]row{}, a.rows[:j]...), a.rows[j+1:]...)
			out = append(out, b)
		}
	}
	for j, rw := range a.rows {
		if rw.focusName && rw.classOf() < model.Invalid && rw.shape == "" {
			var name string
			_ = jsonUnmarshal(rw.value, &name)
			if r := []rune(name); len(r) > 1 {
				for _, half := range []string{string(r[:len(r)/2]), string(r[len(r)/2:])} {
					b := a
					b.rows = append([]row{}, a.rows...)
					b.rows[j].value = jsonString(half)
					out = append(out, b)
				}
			}
		}
		if rw.shape == shapeExtra {
			b := a
			b.rows = append([]row{}, a.rows...)
			b.rows[j].shape = ""
			out = append(out, b)
		}
	}
	if a.kind == kList {
		if a.page != "" {
			b := a
			b.page = ""
			out = append(out, b)
		}
		if a.limit != "" {
			b := a
			b.limit = ""
			out = append(out, b)
		}
	}
	if a.ref > 0 {
		b := a
		b.ref = 0
		out = append(out, b)
	}
	return out
}

// signature says whether two failures are "the same": the shrinker keeps a
// smaller sequence only when it still fails the same way, on the same kind of
// operation, by the same check and on the same authority.
func (f *failure) signature(seq []action) string {
	if f == nil {
		return ""
	}
	first := f.findings[0]
	return fmt.Sprintf("%d|%s|%s|%s", seq[f.at].kind, first.Check, first.Source, first.Reading)
}
