package mock

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAppendCreated(t *testing.T) {
	newYork, _ := time.LoadLocation("America/New_York")
	if newYork == nil {
		newYork = time.UTC
	}
	zones := []*time.Location{time.FixedZone("WIB", 7*3600), time.UTC, newYork, time.FixedZone("NST", -(3*3600 + 30*60)), time.FixedZone("x", 5*3600+45*60)}
	r := rand.New(rand.NewPCG(1, 2))
	cases := []int64{0, 1715662308000, 1715662308123, 1735689599999, -1, -1001, 951782400000, 4107456000000, 253402300799999, -62135596800001}
	for range 2000 {
		cases = append(cases, r.Int64N(253402300799999+62135596800000)-62135596800000)
	}
	for _, ms := range cases {
		for _, z := range zones {
			want := time.UnixMilli(ms).In(z).Format(createdLayout)
			assert.Equal(t, want, string(appendCreated(nil, ms, newZone(z))), "appendCreated(%d, %s)", ms, z)
		}
	}
}
