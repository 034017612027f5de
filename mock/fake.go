package mock

import (
	"slices"
	"strings"
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

// seedContacts makes n contacts from f, oldest first. The sequence of draws from f
// is fixed, so the same seed gives the same contacts, byte for byte.
func seedContacts(f *gofakeit.Faker, n int) []contact {
	rows := make([]contact, n)
	full := fullNames()
	ref := ReferenceDate.UnixMilli()
	dates := make([]int64, n)
	for i := range rows {
		c := &rows[i]
		c.id = newID(f)
		if f.Number(1, 10) == 1 {
			c.name = singleNames[f.Number(0, len(singleNames)-1)]
		} else {
			c.name = full[f.Number(0, len(full)-1)]
		}
		c.phone = newPhone(f)
		c.blocked = f.Number(1, 10) == 1
		dates[i] = ref - 1 - int64(f.Uint64()%seedSpanMs)
	}
	// Dates sorted oldest first match creation order, so "newest first" is simply the
	// slice read backwards.
	slices.Sort(dates)
	for i := range rows {
		rows[i].created = dates[i]
	}
	return rows
}

// newID draws a random (version 4) UUID from the app's faker, so ids repeat with
// the seed as the rest of the data does.
func newID(f *gofakeit.Faker) [16]byte {
	var id [16]byte
	hi, lo := f.Uint64(), f.Uint64()
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

// tags derives a contact's tags from its name, as the docs' example does for
// "John Doe": the full name, the first name, and "Last, First". For a longer name the
// last word is the last name and the rest the first ("Aisyah, Siti Nur"); a
// one-word name is its only tag.
func tags(name string) []string {
	words := strings.Fields(name)
	if len(words) < 2 {
		return []string{name}
	}
	last := words[len(words)-1]
	rest := strings.Join(words[:len(words)-1], " ")
	return []string{name, words[0], last + ", " + rest}
}
