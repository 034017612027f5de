package mock

import (
	"context"
	"hash/fnv"
	"strings"
	"sync"

	"github.com/brianvoe/gofakeit/v6"
)

// Store is what the mock's handlers need of the contacts they serve, one app at a
// time, and what the admin API needs to export, replace and reset them. An app
// comes into being on first use, seeded from the server's seed and its id. Methods
// take ctx and return errors because a store may live across a network; failures
// are the sentinels of errors.go (errNoApp, errNoContact, errFull, errNoMemory) or
// anything else, which answers 500.
type Store interface {
	// Page returns page (from 1) of the app's live contacts, newest first, limit
	// per page, and how many live contacts the app holds.
	Page(ctx context.Context, appID string, page int64, limit int) ([]Contact, int, error)
	Get(ctx context.Context, appID string, id [16]byte) (Contact, error)
	// Toggle flips is_blocked and returns the contact as it now is.
	Toggle(ctx context.Context, appID string, id [16]byte) (Contact, error)
	Delete(ctx context.Context, appID string, id [16]byte) error
	// Create stores every row or none, dated nowMs (never before the app's newest).
	Create(ctx context.Context, appID string, rows []NewContact, nowMs int64) error
	// Export returns every live contact of the app, oldest first.
	Export(ctx context.Context, appID string) ([]Contact, error)
	// Replace makes rows (oldest first, ids unique) the app's contacts.
	Replace(ctx context.Context, appID string, rows []Contact) error
	// Empty leaves the app with no contacts (it is not seeded again until Reset).
	Empty(ctx context.Context, appID string) error
	// Reset drops every app; each comes back seeded on its next use.
	Reset(ctx context.Context) error
	// Apps reports how many apps exist.
	Apps(ctx context.Context) (int, error)
	// Close lets go of what the store holds outside the process (connections).
	Close() error
}

var _ Store = (*memStore)(nil)

// contact is one stored contact, kept small because an app may hold millions:
// 16 + 8 + 8 + 16 + 2 bytes.
type contact struct {
	id      [16]byte
	phone   int64
	created int64 // unix milliseconds
	name    string
	blocked bool
	deleted bool
	owned   bool // name given by a client (seeded names are shared strings)
}

// Contact is a contact as the store hands it out: a copy, never a pointer into it.
type Contact struct {
	ID        [16]byte
	Phone     int64
	Name      string
	Blocked   bool
	CreatedMs int64
}

func (c *contact) export() Contact {
	return Contact{ID: c.id, Phone: c.phone, Name: c.name, Blocked: c.blocked, CreatedMs: c.created}
}

// NewContact is one row of a create batch, already validated.
type NewContact struct {
	Name  string
	Phone int64
}

// memStore holds every app's contacts in memory, each app isolated from the others.
type memStore struct {
	seed     int64
	contacts int
	maxApps  int
	maxRows  int
	open     bool
	budget   *budget // nil: nothing counted

	// mu guards apps; each app guards its own contents.
	mu   sync.RWMutex
	apps map[string]*app
}

func newMemStore(cfg Config, b *budget) *memStore {
	return &memStore{
		budget:   b,
		seed:     cfg.Seed,
		contacts: cfg.Contacts,
		maxApps:  cfg.MaxApps,
		maxRows:  cfg.MaxContacts,
		open:     len(cfg.Auth) == 0,
		apps:     map[string]*app{},
	}
}

// app returns the app with id, bringing it into being (unseeded) on first use.
// Seeding happens later under the app's own lock, so a million-contact app never
// holds up other apps.
func (s *memStore) app(id string) (*app, error) {
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
	if s.open && len(s.apps) >= s.maxApps {
		return nil, errNoApp
	}
	id = strings.Clone(id) // the request's is a slice of its whole request line
	a = &app{id: id, seed: appSeed(s.seed, id), contacts: s.contacts, budget: s.budget}
	s.apps[id] = a
	return a, nil
}

func (s *memStore) Page(_ context.Context, appID string, page int64, limit int) ([]Contact, int, error) {
	a, err := s.app(appID)
	if err != nil {
		return nil, 0, err
	}
	return a.page(page, limit)
}

func (s *memStore) Get(_ context.Context, appID string, id [16]byte) (Contact, error) {
	a, err := s.app(appID)
	if err != nil {
		return Contact{}, err
	}
	return a.get(id)
}

func (s *memStore) Toggle(_ context.Context, appID string, id [16]byte) (Contact, error) {
	a, err := s.app(appID)
	if err != nil {
		return Contact{}, err
	}
	return a.toggle(id)
}

func (s *memStore) Delete(_ context.Context, appID string, id [16]byte) error {
	a, err := s.app(appID)
	if err != nil {
		return err
	}
	return a.remove(id)
}

func (s *memStore) Create(_ context.Context, appID string, rows []NewContact, nowMs int64) error {
	a, err := s.app(appID)
	if err != nil {
		return err
	}
	return a.create(rows, nowMs, s.maxRows)
}

func (s *memStore) Export(_ context.Context, appID string) ([]Contact, error) {
	a, err := s.app(appID)
	if err != nil {
		return nil, err
	}
	return a.exportAll()
}

func (s *memStore) Replace(_ context.Context, appID string, rows []Contact) error {
	a, err := s.app(appID)
	if err != nil {
		return err
	}
	if len(rows) > s.maxRows {
		return errFull
	}
	return a.replace(rows)
}

func (s *memStore) Empty(ctx context.Context, appID string) error {
	return s.Replace(ctx, appID, nil)
}

// Reset drops every app; each is seeded afresh, identically, on its next use.
func (s *memStore) Reset(context.Context) error {
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
func (s *memStore) Apps(context.Context) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.apps), nil
}

// Close does nothing: the memory store holds nothing outside the process.
func (s *memStore) Close() error { return nil }

// appSeed derives an app's faker seed from the server seed and the app id, so each
// app's data depends on nothing else (not request order, not other apps).
func appSeed(seed int64, appID string) int64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(uint64(seed) >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(appID))
	v := int64(h.Sum64() &^ (1 << 63))
	if v == 0 {
		v = 1 // gofakeit treats 0 as "seed from crypto/rand"
	}
	return v
}

// app is one application's contacts: an append-only slice in creation order (oldest
// first), an index from id to position, and a Fenwick tree over "alive" flags, so the
// k-th newest live contact is found in O(log n) however many were deleted.
type app struct {
	id       string
	seed     int64
	contacts int

	// mu guards every field below.
	mu          sync.Mutex
	budget      *budget // nil once the app is dropped, or when nothing is counted
	held        int64   // bytes taken from budget
	seeded      bool
	faker       *gofakeit.Faker // used only under mu, so its sequence is the app's own
	rows        []contact
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
	cost := int64(a.contacts) * contactCost
	if !a.take(cost) {
		return errNoRoomApp
	}
	a.faker = gofakeit.NewUnlocked(a.seed)
	a.rows = seedContacts(a.faker, a.contacts)
	a.reindex()
	a.seeded = true
	return nil
}

// take reserves n bytes of the budget for the app. The caller holds a.mu.
func (a *app) take(n int64) bool {
	if a.budget != nil && !a.budget.take(n) {
		return false
	}
	a.held += n
	return true
}

// give returns n bytes of the app's to the budget. The caller holds a.mu.
func (a *app) give(n int64) {
	if a.budget != nil {
		a.budget.give(n)
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

// rowsCost is what rows hold of the budget.
func rowsCost(rows []contact) int64 {
	n := int64(len(rows)) * contactCost
	for i := range rows {
		if rows[i].owned {
			n += int64(len(rows[i].name))
		}
	}
	return n
}

// reindex rebuilds the index and the tree from rows. The caller holds a.mu.
func (a *app) reindex() {
	a.index = make(map[[16]byte]int32, len(a.rows))
	a.live = 0
	for i := range a.rows {
		c := &a.rows[i]
		if c.deleted {
			continue
		}
		a.index[c.id] = int32(i)
		a.live++
		a.lastCreated = max(a.lastCreated, c.created)
	}
	a.alive = newFenwick(a.liveFlags(), cap(a.rows))
}

// liveFlags says, per row, whether it is live. The caller holds a.mu.
func (a *app) liveFlags() []bool {
	flags := make([]bool, len(a.rows))
	for i := range a.rows {
		flags[i] = !a.rows[i].deleted
	}
	return flags
}

// page returns page number page (from 1) of the live contacts, newest first, limit
// per page, and the number of live contacts. Its cost is O(limit log n) on any page.
func (a *app) page(page int64, limit int) ([]Contact, int, error) {
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
	out := make([]Contact, 0, n)
	for k := range n {
		// The j-th newest live contact is the (live-j+1)-th oldest.
		pos := a.alive.find(a.live - offset - k)
		out = append(out, a.rows[pos].export())
	}
	return out, a.live, nil
}

// get returns a copy of the contact with id.
func (a *app) get(id [16]byte) (Contact, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensureSeeded(); err != nil {
		return Contact{}, err
	}
	i, ok := a.index[id]
	if !ok {
		return Contact{}, errNoContact
	}
	return a.rows[i].export(), nil
}

// exportAll returns copies of every live contact, oldest first.
func (a *app) exportAll() ([]Contact, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensureSeeded(); err != nil {
		return nil, err
	}
	out := make([]Contact, 0, a.live)
	for i := range a.rows {
		if !a.rows[i].deleted {
			out = append(out, a.rows[i].export())
		}
	}
	return out, nil
}

// replace makes rows, oldest first, the app's contacts; an id given twice is
// refused, since the index could hold only one of them.
func (a *app) replace(rows []Contact) error {
	kept := make([]contact, len(rows))
	seen := make(map[[16]byte]struct{}, len(rows))
	for i, c := range rows {
		if _, dup := seen[c.ID]; dup {
			return errDuplicateID
		}
		seen[c.ID] = struct{}{}
		kept[i] = contact{id: c.ID, phone: c.Phone, created: c.CreatedMs, name: c.Name, blocked: c.Blocked, owned: true}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.held
	a.give(old)
	if !a.take(rowsCost(kept)) {
		a.take(old) // what it held before, still held: within the budget it was
		return errNoMemory
	}
	if a.faker == nil {
		a.faker = gofakeit.NewUnlocked(a.seed) // later creates draw their ids from it
	}
	a.rows, a.lastCreated, a.seeded = kept, 0, true
	a.reindex()
	return nil
}

// toggle flips is_blocked and returns the contact as it now is.
func (a *app) toggle(id [16]byte) (Contact, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensureSeeded(); err != nil {
		return Contact{}, err
	}
	i, ok := a.index[id]
	if !ok {
		return Contact{}, errNoContact
	}
	a.rows[i].blocked = !a.rows[i].blocked
	return a.rows[i].export(), nil
}

// remove deletes the contact with id, leaving a tombstone that a later compaction
// clears once tombstones outnumber live contacts.
func (a *app) remove(id [16]byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensureSeeded(); err != nil {
		return err
	}
	i, ok := a.index[id]
	if !ok {
		return errNoContact
	}
	a.rows[i].deleted = true
	if a.rows[i].owned {
		a.give(int64(len(a.rows[i].name)))
	}
	a.rows[i].name = "" // let the string go
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
	kept := make([]contact, 0, max(a.live*2, 16))
	for _, c := range a.rows {
		if !c.deleted {
			kept = append(kept, c)
		}
	}
	a.give(int64(len(a.rows)-len(kept)) * contactCost)
	a.rows = kept
	a.reindex()
}

// create stores every row or none, dated now (never before the app's newest
// contact, so newest-first order and dates agree).
func (a *app) create(rows []NewContact, now int64, maxRows int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensureSeeded(); err != nil {
		return err
	}
	if a.live+len(rows) > maxRows {
		return errFull
	}
	cost := int64(len(rows)) * contactCost
	for _, r := range rows {
		cost += int64(len(r.Name))
	}
	if !a.take(cost) {
		return errNoMemory
	}
	created := max(now, a.lastCreated)
	a.lastCreated = created
	for _, r := range rows {
		id := newID(a.faker)
		for a.hasID(id) {
			id = newID(a.faker)
		}
		a.rows = append(a.rows, contact{id: id, phone: r.Phone, created: created, name: r.Name, owned: true})
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
