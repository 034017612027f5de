// Package memory keeps every app's contacts in the process's memory, each app
// behind its own lock, paged in O(log n) on any page.
package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/contactkit/contactkit/store"
)

// ContactCost is what one stored contact costs, in bytes, besides its name: the
// row (56), its index entry and share of the map (~48), its tree node (4) and the
// slack of a slice grown by doubling. Measured: a million seeded contacts hold
// about 130 MB.
const ContactCost = 136

// Budget is the memory budget contacts are taken from (the mock's, which request
// bodies share).
type Budget interface {
	// Take reserves n bytes, or reports false, reserving nothing, when that would
	// pass the budget.
	Take(n int64) bool
	// Give returns n bytes taken before.
	Give(n int64)
}

// errNoRoomApp is an app the budget has no room to seed.
var errNoRoomApp = fmt.Errorf("%w: memory budget reached", store.ErrNoApp)

// Flags of a stored contact, one byte beside each row: an app may hold millions,
// and the rows are the Faker's own slice, seeded without a copy.
const (
	deleted uint8 = 1 << iota // a tombstone, until the next compaction
	owned                     // name given by a client (seeded names are shared strings)
)

// Store holds every app's contacts in memory, each app isolated from the others.
type Store struct {
	cfg    store.Config
	budget Budget // nil: nothing counted

	// mu guards apps; each app guards its own contents.
	mu   sync.RWMutex
	apps map[string]*app

	// version counts the writes done (see Version).
	version atomic.Uint64
}

// Version returns a number that changes after every write (a toggle, delete,
// create, replace or reset, whether it succeeded or not), so a reader that took
// it before reading an app knows what it read is still current while the number
// stays. It is bumped after the write, never before: a read that saw the write's
// effect under the old number is remembered under a number that no longer holds.
// The memory store is its data's only writer; it never fails.
func (s *Store) Version(context.Context) (uint64, error) { return s.version.Load(), nil }

// wrote marks a write done, for Version; every write defers it.
func (s *Store) wrote() { s.version.Add(1) }

// New returns an empty Store; contacts it holds are taken from b (nil: none
// counted).
func New(cfg store.Config, b Budget) *Store {
	return &Store{cfg: cfg, budget: b, apps: map[string]*app{}}
}

// app returns the app with id, bringing it into being (unseeded) on first use.
// Seeding happens later under the app's own lock, so a million-contact app never
// holds up other apps.
func (s *Store) app(id string) (*app, error) {
	s.mu.RLock()
	a := s.apps[id]
	s.mu.RUnlock()
	if a != nil {
		return a, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[id]; a != nil {
		return a, nil
	}
	if s.cfg.MaxApps > 0 && len(s.apps) >= s.cfg.MaxApps {
		return nil, store.ErrNoApp
	}
	id = strings.Clone(id) // the request's is a slice of its whole request line
	a = &app{id: id, seed: s.cfg.Seed, contacts: s.cfg.Contacts, budget: s.budget}
	s.apps[id] = a
	return a, nil
}

func (s *Store) Page(_ context.Context, appID string, page int64, limit int) ([]store.Contact, int, error) {
	a, err := s.app(appID)
	if err != nil {
		return nil, 0, err
	}
	return a.page(page, limit)
}

func (s *Store) Get(_ context.Context, appID string, id [16]byte) (store.Contact, error) {
	a, err := s.app(appID)
	if err != nil {
		return store.Contact{}, err
	}
	return a.get(id)
}

func (s *Store) Toggle(_ context.Context, appID string, id [16]byte) (store.Contact, error) {
	defer s.wrote()
	a, err := s.app(appID)
	if err != nil {
		return store.Contact{}, err
	}
	return a.toggle(id)
}

func (s *Store) Delete(_ context.Context, appID string, id [16]byte) error {
	defer s.wrote()
	a, err := s.app(appID)
	if err != nil {
		return err
	}
	return a.remove(id)
}

func (s *Store) Create(_ context.Context, appID string, rows []store.NewContact, nowMs int64) error {
	defer s.wrote()
	a, err := s.app(appID)
	if err != nil {
		return err
	}
	return a.create(rows, nowMs, s.cfg.MaxContacts)
}

func (s *Store) Export(_ context.Context, appID string) ([]store.Contact, error) {
	a, err := s.app(appID)
	if err != nil {
		return nil, err
	}
	return a.exportAll()
}

func (s *Store) Replace(_ context.Context, appID string, rows []store.Contact) error {
	defer s.wrote()
	a, err := s.app(appID)
	if err != nil {
		return err
	}
	if len(rows) > s.cfg.MaxContacts {
		return store.ErrFull
	}
	return a.replace(rows)
}

// ReplaceIfNew is Replace for an app that has not come into being yet; in one
// process's memory that is every app when it starts.
func (s *Store) ReplaceIfNew(ctx context.Context, appID string, rows []store.Contact) error {
	s.mu.RLock()
	a := s.apps[appID]
	s.mu.RUnlock()
	if a != nil {
		return nil
	}
	return s.Replace(ctx, appID, rows)
}

func (s *Store) Empty(ctx context.Context, appID string) error {
	return s.Replace(ctx, appID, nil)
}

// Reset drops every app; each is seeded afresh, identically, on its next use.
func (s *Store) Reset(context.Context) error {
	defer s.wrote()
	s.mu.Lock()
	old := s.apps
	s.apps = map[string]*app{}
	s.mu.Unlock()
	for _, a := range old {
		a.drop()
	}
	return nil
}

// Apps reports how many apps exist, for health.
func (s *Store) Apps(context.Context) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.apps), nil
}

// Close does nothing: the memory store holds nothing outside the process.
func (s *Store) Close() error { return nil }

// app is one application's contacts: an append-only slice in creation order (oldest
// first), an index from id to position, and a Fenwick tree over "alive" flags, so the
// k-th newest live contact is found in O(log n) however many were deleted.
type app struct {
	id       string
	seed     int64
	contacts int

	// mu guards every field below.
	mu          sync.Mutex
	budget      Budget // nil once the app is dropped, or when nothing is counted
	held        int64  // bytes taken from budget
	seeded      bool
	faker       *store.Faker // used only under mu, so its sequence is the app's own
	rows        []store.Contact
	flags       []uint8 // per row: deleted, owned
	index       map[[16]byte]int32
	alive       fenwick
	live        int
	lastCreated int64
}

// ensureSeeded seeds the app on first use, if the memory budget has room for its
// contacts. The caller holds a.mu.
func (a *app) ensureSeeded() error {
	if a.seeded {
		return nil
	}
	cost := int64(a.contacts) * ContactCost
	if !a.take(cost) {
		return errNoRoomApp
	}
	a.faker = store.NewFaker(a.seed, a.id)
	a.rows = a.faker.Contacts(a.contacts)
	a.flags = make([]uint8, len(a.rows))
	a.reindex()
	a.seeded = true
	return nil
}

// take reserves n bytes of the budget for the app. The caller holds a.mu.
func (a *app) take(n int64) bool {
	if a.budget != nil && !a.budget.Take(n) {
		return false
	}
	a.held += n
	return true
}

// give returns n bytes of the app's to the budget. The caller holds a.mu.
func (a *app) give(n int64) {
	if a.budget != nil {
		a.budget.Give(n)
	}
	a.held -= n
}

// drop gives back all the app holds, for good: a reset has let it go, and the
// requests still using it end soon.
func (a *app) drop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.give(a.held)
	a.budget = nil
}

// ownedCost is what rows hold of the budget when their names are their own.
func ownedCost(rows []store.Contact) int64 {
	n := int64(len(rows)) * ContactCost
	for i := range rows {
		n += int64(len(rows[i].Name))
	}
	return n
}

// reindex rebuilds the index and the tree from rows. The caller holds a.mu.
func (a *app) reindex() {
	a.index = make(map[[16]byte]int32, len(a.rows))
	a.live = 0
	for i := range a.rows {
		if a.flags[i]&deleted != 0 {
			continue
		}
		a.index[a.rows[i].ID] = int32(i)
		a.live++
		a.lastCreated = max(a.lastCreated, a.rows[i].CreatedMs)
	}
	a.alive = newFenwick(a.liveFlags(), cap(a.rows))
}

// liveFlags says, per row, whether it is live. The caller holds a.mu.
func (a *app) liveFlags() []bool {
	flags := make([]bool, len(a.rows))
	for i := range a.rows {
		flags[i] = a.flags[i]&deleted == 0
	}
	return flags
}

// page returns page number page (from 1) of the live contacts, newest first, limit
// per page, and the number of live contacts. Its cost is O(limit log n) on any page.
func (a *app) page(page int64, limit int) ([]store.Contact, int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensureSeeded(); err != nil {
		return nil, 0, err
	}
	// Compare before multiplying: page may be as large as int64 allows.
	if page < 1 || limit < 1 || page-1 >= (int64(a.live)+int64(limit)-1)/int64(limit) {
		return nil, a.live, nil
	}
	offset := int((page - 1) * int64(limit))
	n := min(limit, a.live-offset)
	out := make([]store.Contact, 0, n)
	for k := range n {
		// The j-th newest live contact is the (live-j+1)-th oldest.
		pos := a.alive.find(a.live - offset - k)
		out = append(out, a.rows[pos])
	}
	return out, a.live, nil
}

// find returns the row of the live contact with id, seeding the app first. The
// caller holds a.mu.
func (a *app) find(id [16]byte) (int32, error) {
	if err := a.ensureSeeded(); err != nil {
		return 0, err
	}
	i, ok := a.index[id]
	if !ok {
		return 0, store.ErrNoContact
	}
	return i, nil
}

// get returns a copy of the contact with id.
func (a *app) get(id [16]byte) (store.Contact, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i, err := a.find(id)
	if err != nil {
		return store.Contact{}, err
	}
	return a.rows[i], nil
}

// exportAll returns copies of every live contact, oldest first.
func (a *app) exportAll() ([]store.Contact, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensureSeeded(); err != nil {
		return nil, err
	}
	out := make([]store.Contact, 0, a.live)
	for i := range a.rows {
		if a.flags[i]&deleted == 0 {
			out = append(out, a.rows[i])
		}
	}
	return out, nil
}

// replace makes rows, oldest first, the app's contacts; an id given twice is
// refused, since the index could hold only one of them.
func (a *app) replace(rows []store.Contact) error {
	seen := make(map[[16]byte]struct{}, len(rows))
	for _, c := range rows {
		if _, dup := seen[c.ID]; dup {
			return store.ErrDuplicateID
		}
		seen[c.ID] = struct{}{}
	}
	kept := slices.Clone(rows)
	flags := make([]uint8, len(kept))
	for i := range flags {
		flags[i] = owned
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.held
	a.give(old)
	if !a.take(ownedCost(kept)) {
		a.take(old) // what it held before, still held: within the budget it was
		return store.ErrNoMemory
	}
	if a.faker == nil {
		a.faker = store.NewFaker(a.seed, a.id) // later creates draw their ids from it
	}
	a.rows, a.flags, a.lastCreated, a.seeded = kept, flags, 0, true
	a.reindex()
	return nil
}

// toggle flips is_blocked and returns the contact as it now is.
func (a *app) toggle(id [16]byte) (store.Contact, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i, err := a.find(id)
	if err != nil {
		return store.Contact{}, err
	}
	a.rows[i].Blocked = !a.rows[i].Blocked
	return a.rows[i], nil
}

// remove deletes the contact with id, leaving a tombstone that a later compaction
// clears once tombstones outnumber live contacts.
func (a *app) remove(id [16]byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	i, err := a.find(id)
	if err != nil {
		return err
	}
	a.flags[i] |= deleted
	if a.flags[i]&owned != 0 {
		a.give(int64(len(a.rows[i].Name)))
	}
	a.rows[i].Name = "" // let the string go
	delete(a.index, id)
	a.alive.add(int(i), -1)
	a.live--
	if dead := len(a.rows) - a.live; dead > 1024 && dead > a.live {
		a.compact()
	}
	return nil
}

// compact drops tombstones, in O(n), which the deletes that made them pay for.
// The caller holds a.mu.
func (a *app) compact() {
	kept := make([]store.Contact, 0, max(a.live*2, 16))
	flags := make([]uint8, 0, cap(kept))
	for i, c := range a.rows {
		if a.flags[i]&deleted == 0 {
			kept = append(kept, c)
			flags = append(flags, a.flags[i])
		}
	}
	a.give(int64(len(a.rows)-len(kept)) * ContactCost)
	a.rows, a.flags = kept, flags
	a.reindex()
}

// create stores every row or none, dated now (never before the app's newest
// contact, so newest-first order and dates agree).
func (a *app) create(rows []store.NewContact, now int64, maxRows int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensureSeeded(); err != nil {
		return err
	}
	if a.live+len(rows) > maxRows {
		return store.ErrFull
	}
	cost := int64(len(rows)) * ContactCost
	for _, r := range rows {
		cost += int64(len(r.Name))
	}
	if !a.take(cost) {
		return store.ErrNoMemory
	}
	created := max(now, a.lastCreated)
	a.lastCreated = created
	for _, r := range rows {
		id := a.faker.ID()
		for a.hasID(id) {
			id = a.faker.ID()
		}
		a.rows = append(a.rows, store.Contact{ID: id, Phone: r.Phone, CreatedMs: created, Name: r.Name})
		a.flags = append(a.flags, owned)
		pos := len(a.rows) - 1
		a.index[id] = int32(pos)
		a.live++
		if len(a.rows) > a.alive.size() {
			// The slice grew (by doubling): rebuild the tree at its new capacity,
			// in O(n) that the doubling amortizes.
			a.alive = newFenwick(a.liveFlags(), cap(a.rows))
		} else {
			a.alive.add(pos, 1)
		}
	}
	return nil
}

// hasID reports whether a live contact has id; a clash among random 122-bit ids is
// all but impossible, but a duplicate would corrupt the index. The caller holds a.mu.
func (a *app) hasID(id [16]byte) bool {
	_, ok := a.index[id]
	return ok
}

// fenwick is a binary indexed tree of 0/1 flags (1 = live) over positions 0..n-1.
type fenwick struct {
	tree []int32 // 1-based
	top  int     // highest power of two <= n, for find
}

// newFenwick builds the tree over flags in O(n), sized for capacity positions.
func newFenwick(flags []bool, capacity int) fenwick {
	n := max(capacity, len(flags), 1)
	t := make([]int32, n+1)
	for i, f := range flags {
		if f {
			t[i+1]++
		}
	}
	for i := 1; i <= n; i++ {
		if j := i + i&-i; j <= n {
			t[j] += t[i]
		}
	}
	top := 1
	for top*2 <= n {
		top *= 2
	}
	return fenwick{tree: t, top: top}
}

func (f *fenwick) size() int { return len(f.tree) - 1 }

// add adds delta at position pos (0-based).
func (f *fenwick) add(pos int, delta int32) {
	for i := pos + 1; i < len(f.tree); i += i & -i {
		f.tree[i] += delta
	}
}

// find returns the 0-based position of the k-th live flag (k from 1).
func (f *fenwick) find(k int) int {
	pos := 0
	rem := int32(k)
	for step := f.top; step > 0; step >>= 1 {
		if next := pos + step; next < len(f.tree) && f.tree[next] < rem {
			pos = next
			rem -= f.tree[next]
		}
	}
	return pos // 1-based pos+1 holds it, so 0-based pos
}
