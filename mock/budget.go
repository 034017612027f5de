package mock

import "sync/atomic"

// contactCost is what one stored contact costs, in bytes, besides its name: the
// row (56), its index entry and share of the map (~48), its tree node (4) and the
// slack of a slice grown by doubling. Measured: a million seeded contacts hold
// about 130 MB.
const contactCost = 136

// budget is the one memory budget of the process: contacts held by the store and
// request bodies being read take from it, and give back when they let go.
type budget struct {
	max  int64
	used atomic.Int64
}

func newBudget(max int64) *budget { return &budget{max: max} }

// take reserves n bytes, or reports false, reserving nothing, when that would pass
// the budget.
func (b *budget) take(n int64) bool {
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
func (b *budget) give(n int64) { b.used.Add(-n) }
