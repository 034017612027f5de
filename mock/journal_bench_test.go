package mock

import (
	"net/http"
	"testing"
)

// BenchmarkJournalCost compares a list answered with the journal on (headers and
// bodies kept, redacted) and off, in one run: the ratio is the journal's cost.
func BenchmarkJournalCost(b *testing.B) {
	for _, tc := range []struct {
		name string
		size int
	}{{"on", 0}, {"off", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := New(Config{JournalSize: tc.size})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				serveOne(b, s, "GET", "/contacts/app?page=1&limit=10", "", http.StatusOK)
			}
		})
	}
}
