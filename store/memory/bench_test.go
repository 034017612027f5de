package memory

import (
	"context"
	"testing"

	"github.com/contactkit/contactkit/store"
)

// BenchmarkSeedMillion measures bringing a million-contact app into being: the
// fake data, its index and the tree.
func BenchmarkSeedMillion(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s := New(store.Config{Seed: 1, Contacts: 1_000_000, MaxContacts: 2_000_000}, nil)
		if _, _, err := s.Page(context.Background(), "big", 1, 1); err != nil {
			b.Fatal(err)
		}
	}
}
