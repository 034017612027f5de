package mock

import "sync/atomic"

// budget is the one memory budget of the process: contacts held by the memory
// store and request bodies being read take from it, and give back when they let
// go.
type budget struct {
	max  int64
	used atomic.Int64
}

func newBudget(max int64) *budget { return &budget{max: max} }

// take reserves n bytes, or reports false, reserving nothing, when that would pass
// the budget.
func (b *budget) Take(n int64) bool {
	for {
		used := b.used.Load()
		if used+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// give returns n bytes taken before.
func (b *budget) Give(n int64) { b.used.Add(-n) }
