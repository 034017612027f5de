package store

import (
	"hash/fnv"
	"slices"
	"sync"

	"github.com/brianvoe/gofakeit/v6"
)

// Indonesian given names and family names: gofakeit's own names are English, and a
// front end built against "John Smith" looks nothing like its real users.
var (
	firstNames = []string{
		"Adi", "Agus", "Ahmad", "Andi", "Anisa", "Ayu", "Bambang", "Bayu", "Budi", "Citra",
		"Dedi", "Dewi", "Dian", "Dimas", "Eka", "Endang", "Fajar", "Fitri", "Gilang", "Hadi",
		"Hendra", "Indah", "Intan", "Joko", "Kartika", "Kurniawan", "Lestari", "Made", "Maya", "Muhammad",
		"Nur", "Nyoman", "Putri", "Putu", "Rahmat", "Rina", "Rizky", "Sari", "Siti", "Slamet",
		"Sri", "Taufik", "Teguh", "Tri", "Wahyu", "Wayan", "Wulan", "Yanti", "Yudi", "Yusuf",
	}
	lastNames = []string{
		"Hidayat", "Santoso", "Wijaya", "Saputra", "Pratama", "Kusuma", "Setiawan", "Nugroho", "Siregar", "Nasution",
		"Simanjuntak", "Harahap", "Lubis", "Sinaga", "Gunawan", "Halim", "Susanto", "Wibowo", "Purnomo", "Hakim",
		"Rahman", "Permana", "Suryadi", "Hutapea", "Tanjung", "Syahputra", "Firmansyah", "Ramadhan", "Maulana", "Anggraini",
		"Handayani", "Rahayu", "Wulandari", "Puspita", "Utami", "Sembiring", "Purba", "Sitompul", "Pangaribuan", "Manurung",
	}
	// Many Indonesians go by one name; about one contact in ten does.
	singleNames = []string{
		"Sukarno", "Suharti", "Mulyono", "Wagiman", "Sutrisno", "Paijo", "Ngatini", "Tukiyem", "Sumarni", "Kasno",
	}
)

// fullNames holds every "First Last" once, so a million seeded contacts share a few
// thousand strings instead of owning a million.
var fullNames = sync.OnceValue(func() []string {
	names := make([]string, 0, len(firstNames)*len(lastNames))
	for _, f := range firstNames {
		for _, l := range lastNames {
			names = append(names, f+" "+l)
		}
	}
	return names
})

// Indonesian mobile prefixes after the country code (Telkomsel, Indosat, XL, Axis,
// Tri, Smartfren).
var mobilePrefixes = []int64{
	811, 812, 813, 821, 822, 823, 851, 852, 853,
	814, 815, 816, 855, 856, 857, 858,
	817, 818, 819, 859, 877, 878,
	831, 832, 833, 838,
	895, 896, 897, 898, 899,
	881, 882, 883, 884, 885, 886, 887, 888, 889,
}

// seedSpanMs is the two years before ReferenceDate that seeded contacts are dated in.
const seedSpanMs = 2 * 365 * 24 * 60 * 60 * 1000

// Faker draws an app's fake data from a generator seeded with the server's seed
// and the app id. The sequence of draws is fixed, so the same seed and app id give
// the same contacts and the same new ids, byte for byte. A Faker is used by one
// goroutine at a time.
type Faker struct {
	f *gofakeit.Faker
}

// NewFaker returns the Faker of appID under seed.
func NewFaker(seed int64, appID string) *Faker {
	return &Faker{f: gofakeit.NewUnlocked(appSeed(seed, appID))}
}

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

// Contacts draws n contacts, oldest first: an app's seeded contacts when the
// Faker is new. Names are shared strings (a few thousand for a million contacts).
func (fk *Faker) Contacts(n int) []Contact {
	f := fk.f
	rows := make([]Contact, n)
	full := fullNames()
	ref := ReferenceDate.UnixMilli()
	dates := make([]int64, n)
	for i := range rows {
		c := &rows[i]
		c.ID = fk.ID()
		if f.Number(1, 10) == 1 {
			c.Name = singleNames[f.Number(0, len(singleNames)-1)]
		} else {
			c.Name = full[f.Number(0, len(full)-1)]
		}
		c.Phone = newPhone(f)
		c.Blocked = f.Number(1, 10) == 1
		dates[i] = ref - 1 - int64(f.Uint64()%seedSpanMs)
	}
	// Dates sorted oldest first match creation order, so "newest first" is simply the
	// slice read backwards.
	slices.Sort(dates)
	for i := range rows {
		rows[i].CreatedMs = dates[i]
	}
	return rows
}

// ID draws a random (version 4) UUID, so ids repeat with the seed as the rest of
// the data does.
func (fk *Faker) ID() [16]byte {
	var id [16]byte
	hi, lo := fk.f.Uint64(), fk.f.Uint64()
	for i := range 8 {
		id[i] = byte(hi >> (56 - 8*i))
		id[8+i] = byte(lo >> (56 - 8*i))
	}
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}

// newPhone draws a mobile number as the API writes it: 62, a mobile prefix, then 7
// or 8 digits (6281234567890).
func newPhone(f *gofakeit.Faker) int64 {
	p := 62*1000 + mobilePrefixes[f.Number(0, len(mobilePrefixes)-1)]
	if f.Number(0, 1) == 0 {
		return p*10_000_000 + int64(f.Number(0, 9_999_999))
	}
	return p*100_000_000 + int64(f.Number(0, 99_999_999))
}
