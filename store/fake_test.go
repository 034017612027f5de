package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/contactkit/contactkit/store"
)

// TestFakerRepeats: the same seed and app id draw the same contacts and ids,
// another app or seed others, and seeded contacts are dated oldest first.
func TestFakerRepeats(t *testing.T) {
	a, b := store.NewFaker(1, "app").Contacts(50), store.NewFaker(1, "app").Contacts(50)
	assert.Equal(t, a, b, "the same seed and app")
	assert.NotEqual(t, a, store.NewFaker(1, "other").Contacts(50), "another app")
	assert.NotEqual(t, a, store.NewFaker(2, "app").Contacts(50), "another seed")
	for i := 1; i < len(a); i++ {
		assert.LessOrEqual(t, a[i-1].CreatedMs, a[i].CreatedMs, "contact %d dated after %d", i, i-1)
	}
	assert.Less(t, a[len(a)-1].CreatedMs, store.ReferenceDate.UnixMilli(), "dated before ReferenceDate")
	assert.Equal(t, store.NewFaker(1, "app").ID(), store.NewFaker(1, "app").ID(), "ids repeat too")
}

// BenchmarkSeedContacts is the fake data of a million contacts alone.
func BenchmarkSeedContacts(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		store.NewFaker(1, "big").Contacts(1_000_000)
	}
}
