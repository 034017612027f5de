package mock

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// The answer memory: a list page or a contact, encoded once, is served again as
// long as the store has not been written since (Store.Version), the way a
// front end polling page 1 or reopening a contact asks for it over and over.
// Only an answer the store produced is remembered: a failure, a Prefer example
// or a fault is built afresh each time (faults and strict mode work on the
// answer after this, on a copy when they change it).

// answerSlots is how many answers the memory holds, one per slot: a new answer
// takes its key's slot from whichever answer held it.
const answerSlots = 256

// maxRememberedAnswer is the largest body remembered, so the memory holds at most
// answerSlots times this (4 MiB) whatever clients ask for; a page of 50 contacts
// is about 8 KiB.
const maxRememberedAnswer = 16 << 10

// readKey names a read answer by what decides it: the operation and app, and the
// page and limit of a list or the id of a contact.
type readKey struct {
	op    string
	app   string
	page  int64
	limit int
	id    [16]byte
}

// rememberedAnswer is a body with what it answered, and the store's version it
// was read under.
type rememberedAnswer struct {
	key     readKey
	version uint64
	body    []byte // never changed once remembered: served and journaled as it is
}

// answers is the answer memory; its zero value is ready and it is safe for
// concurrent use without a lock (a slot is swapped whole).
type answers struct {
	seed  maphash.Seed
	slots [answerSlots]atomic.Pointer[rememberedAnswer]
}

func newAnswers() *answers { return &answers{seed: maphash.MakeSeed()} }

func (m *answers) slot(k readKey) *atomic.Pointer[rememberedAnswer] {
	return &m.slots[maphash.Comparable(m.seed, k)%answerSlots]
}

// get returns the body remembered for k under version, if any.
func (m *answers) get(k readKey, version uint64) ([]byte, bool) {
	if a := m.slot(k).Load(); a != nil && a.version == version && a.key == k {
		return a.body, true
	}
	return nil, false
}

// put remembers body for k, read under version; body must never change after.
func (m *answers) put(k readKey, version uint64, body []byte) {
	if len(body) > maxRememberedAnswer {
		return
	}
	k.app = strings.Clone(k.app) // the request's is a slice of its request line
	m.slot(k).Store(&rememberedAnswer{key: k, version: version, body: body})
}
