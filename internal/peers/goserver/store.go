package goserver

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxContacts bounds an app's contacts; apps are bounded by the grants, since
// only a granted app ever comes into being.
const maxContacts = 200000

type contact struct {
	id      string
	name    string
	phone   int64
	blocked bool
	created time.Time
}

// app keeps its contacts in the order they were made, and by id.
type app struct {
	list []*contact
	byID map[string]*contact
}

func (a *app) remove(c *contact) {
	delete(a.byID, c.id)
	for i, x := range a.list {
		if x == c {
			a.list = append(a.list[:i], a.list[i+1:]...)
			return
		}
	}
}

// store holds every app in memory behind one lock: the handlers do little under
// it, and one lock makes a batch trivially atomic.
type store struct {
	mu       sync.Mutex
	apps     map[string]*app
	seed     int64
	contacts int
}

// app gives the app, bringing it into being (with its seeded contacts) on first use.
// The caller holds mu.
func (s *store) app(id string) *app {
	a, ok := s.apps[id]
	if !ok {
		a = &app{byID: make(map[string]*contact)}
		for _, c := range seeded(s.seed, id, s.contacts) {
			a.list = append(a.list, c)
			a.byID[c.id] = c
		}
		s.apps[id] = a
	}
	return a
}

// newID is a random (version 4) UUID.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (Go 1.24+)
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

var (
	firstNames = strings.Fields("Ahmad Bunga Cahya Dimas Eka Farhan Gita Hendra Intan Jaya Kartika " +
		"Lukman Mega Nanda Oki Permata Qori Rahmat Sari Teguh Utami Vina Wahyu Yudi Zahra")
	lastNames = strings.Fields("Nugroho Hartono Susanto Purnomo Sembiring Manurung Tanjung " +
		"Situmorang Effendi Sulistyo Wirawan Hakim Salim Firmansyah Ramadhan")
	seedEpoch = time.Date(2024, 5, 14, 4, 51, 48, 0, time.UTC)
)

// seeded makes n contacts that depend only on seed and app id.
func seeded(seed int64, appID string, n int) []*contact {
	sum := sha256.Sum256([]byte(strconv.FormatInt(seed, 10) + "/" + appID))
	r := mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
	out := make([]*contact, n)
	t := seedEpoch.Add(-time.Duration(n) * time.Hour)
	for i := range out {
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:8], r.Uint64())
		binary.LittleEndian.PutUint64(b[8:], r.Uint64())
		name := firstNames[r.IntN(len(firstNames))]
		for range r.IntN(3) {
			name += " " + lastNames[r.IntN(len(lastNames))]
		}
		t = t.Add(time.Duration(1+r.IntN(3599)) * time.Second) // increasing, so newest first agrees with created_at
		out[i] = &contact{
			id:      formatUUID(b),
			name:    name,
			phone:   628_000_000_000 + r.Int64N(1_000_000_000),
			blocked: r.IntN(8) == 0,
			created: t,
		}
	}
	return out
}
