package memory

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFenwickFind(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 8, 25, 100, 1000} {
		r := rand.New(rand.NewPCG(uint64(n), 1))
		flags := make([]bool, n)
		for i := range flags {
			flags[i] = r.IntN(3) > 0
		}
		f := newFenwick(flags, n+r.IntN(n+1))
		check := func(stage string) {
			k := 0
			for i, live := range flags {
				if live {
					k++
					assert.Equal(t, i, f.find(k), "n=%d %s: find(%d)", n, stage, k)
				}
			}
		}
		check("built")
		for i := range flags {
			if r.IntN(2) == 0 {
				if flags[i] {
					f.add(i, -1)
				} else {
					f.add(i, 1)
				}
				flags[i] = !flags[i]
			}
		}
		check("after flips")
	}
}
