package explore

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/contactkit/contactkit"
)

// class says what the contract makes of a generated value.
type class int

const (
	// valid values must be accepted and come back exactly.
	valid class = iota
	// lenient values are ones the docs are silent on (a phone of 0, a name of
	// spaces, a very long name): a server may take them, and then they must come
	// back exactly, or refuse them with a documented 4xx, and then store nothing.
	lenient
	// invalid values break the contract's schema: they must be refused with a
	// documented 4xx, and nothing of the batch may be stored.
	invalid
)

func (c class) String() string { return [...]string{"valid", "lenient", "invalid"}[c] }

// kind is what an action does.
type kind int

const (
	kCreate    kind = iota // a batch of rows
	kCreateRaw             // a body that is not a batch of rows
	kWalk                  // every page of an app's list
	kList                  // one page, page and limit as generated
	kGet
	kToggle
	kDelete
	kAuth // one operation with credentials or an identity that must be refused
)

// row is one row of a create batch. One field is under test (focus); the other
// carries a value unique to the run, by which the row is found in the list.
type row struct {
	// focusName: the name is under test and the phone is the key; otherwise the
	// phone is under test and the name is the key.
	focusName bool
	// value is the JSON text of the field under test.
	value string
	// shape changes the row: "" a plain object, "missing" leaves the field under
	// test out, "extra" adds a field the contract does not name, "bare" sends
	// value alone as the row.
	shape string
	class class
}

// auth is a way of sending credentials.
type auth int

const (
	authToken        auth = iota // Bearer <token>, the right one
	authNone                     // no Authorization header
	authBasic                    // Basic credentials
	authBearerOnly               // "Bearer" and nothing else
	authRawToken                 // the token with no scheme
	authOtherScheme              // "Token <token>"
	authSuffix                   // Bearer <token>x
	authPrefix                   // Bearer x<token>
	authWrong                    // a token nobody issued
	authLower                    // "bearer <token>": schemes are case-insensitive (RFC 7235), so either answer is right
	authForeignApp               // the token on the foreign app (not granted)
	authForeignToken             // the foreign token on the app (not granted)
	authForeignOwn               // the foreign token on its own app
)

// action is one generated operation. Contacts are named by ordinal, so that an
// action keeps its meaning when the shrinker drops others.
type action struct {
	kind kind
	// foreign: the foreign identity acting on its own app (create, walk, get, ...).
	foreign bool
	rows    []row
	raw     string // kCreateRaw: the body
	rawKeys int    // kCreateRaw: rows of keys the body would name, checked absent
	// page and limit are the query values; "" leaves one out.
	page, limit string
	qclass      class
	// ref picks a contact made earlier (modulo how many); -1 a contact id nobody
	// made.
	ref int
	// op and cred are kAuth's operation and credentials; crossRef makes the
	// request name the other identity's contact through the acting identity's app.
	op       string
	cred     auth
	crossRef bool
}

// gen draws values from the contract's schemas and bounds.
type gen struct {
	r      *rand.Rand
	paging contactkit.Paging
	// nameMin is the name's minLength; phone bounds are the int64 format's.
	nameMin    int
	nameMax    int // 0: the contract sets none
	twoIds     bool
	foreignApp bool
}

func newGen(spec *contactkit.Spec, seed int64, foreignApp, foreignToken bool) *gen {
	g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 0x636f6e74616374)), paging: spec.Paging, nameMin: 1, foreignApp: foreignApp, twoIds: foreignToken}
	if ref := spec.Doc.Components.Schemas["NewContact"]; ref != nil && ref.Value != nil {
		if p := ref.Value.Properties["name"]; p != nil && p.Value != nil {
			g.nameMin = int(p.Value.MinLength)
			if p.Value.MaxLength != nil {
				g.nameMax = int(*p.Value.MaxLength)
			}
		}
	}
	return g
}

func (g *gen) pick(n int) int { return g.r.IntN(n) }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// Text in many scripts: every piece here must come back byte for byte. Nothing
// holds '{', so no scenario placeholder can form.
var pieces = []string{
	"John Doe", "Jane", "Doe, John", "O'Brien", "Zoë", "Åsa Öberg", "Łukasz Żółć",
	"e\u0301", "n\u0303o", "a\u0308\u0304", // combining marks, not normalised
	"Анна Каренина", "Ελένη", "محمد علي", "שָׁלוֹם", "देवनागरी", "สมชาย", "李小龙", "東京タワー", "김민수",
	"😀", "👩‍💻", "🇮🇩", "👍🏽", "𝒜𝓁𝒾𝒸ℯ", "𠜎𠜱", "🀄",
	"abc \u202eRTL\u202c", "\u200fعربي English", "tab\there", "quote \" back\\slash", "<b>&amp;</b>", "a/b", "line\u2028sep",
	" leading", "trailing ", "x", "Ω",
}

// edges are the names most likely to be altered on the way in or out.
var edges = []string{" leading", "trailing ", "e\u0301", "😀", "👩‍💻", "𝒜𝓁𝒾𝒸ℯ", "محمد علي", "\u200fعربي English", "a\u0308\u0304", "quote \" back\\slash", "x"}

// name returns a valid name and its class: a short or long text in many
// scripts, or a lenient one (blank, very long).
func (g *gen) name() (string, class) {
	if g.chance(0.3) {
		return edges[g.pick(len(edges))], valid
	}
	switch g.pick(12) {
	case 0:
		return " ", lenient // blank: the schema's minLength holds, the docs say nothing
	case 1:
		return strings.Repeat("Ab", 20+g.pick(140)), lenient // longer than any docs' example
	case 2:
		return "\u0000x", lenient
	case 4:
		return strings.Repeat("Zoë ", 10+g.pick(50)) + "Ω", lenient
	case 3:
		s := pieces[g.pick(len(pieces))]
		return strings.Repeat(s, 1+g.pick(3)), valid
	}
	var b strings.Builder
	for n := 1 + g.pick(3); n > 0; n-- {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(pieces[g.pick(len(pieces))])
	}
	s := b.String()
	if g.nameMax > 0 && len([]rune(s)) > g.nameMax {
		s = string([]rune(s)[:g.nameMax])
	}
	return s, valid
}

var (
	two63    = new(big.Int).Lsh(big.NewInt(1), 63)
	int64Max = new(big.Int).Sub(two63, big.NewInt(1))
)

// phone returns the JSON text of a phone and its class: near the int32, int53
// (JavaScript) and int64 limits, one past the last, zero and negatives, and
// values of the wrong type.
func (g *gen) phone() (string, class) {
	switch g.pick(24) {
	case 0:
		return strconv.FormatInt(math.MaxInt32, 10), valid
	case 1:
		return strconv.FormatInt(math.MaxInt32+1, 10), valid
	case 2:
		return strconv.FormatInt(1<<53-1, 10), valid
	case 3:
		return strconv.FormatInt(1<<53+1, 10), valid // a float64 cannot hold it
	case 4:
		return strconv.FormatInt(1<<53+3, 10), valid
	case 5:
		return int64Max.String(), valid
	case 6:
		return new(big.Int).Add(int64Max, big.NewInt(1)).String(), invalid // one past int64
	case 7:
		return "-" + new(big.Int).Add(two63, big.NewInt(1)).String(), invalid
	case 8:
		return "0", lenient
	case 9:
		return "-6280000000000", lenient
	case 10:
		return strconv.FormatInt(math.MinInt64, 10), lenient
	case 11:
		return "1.5", invalid
	case 12:
		return `"6280000000000"`, invalid
	case 13:
		return "true", invalid
	case 14:
		return "null", invalid
	case 15:
		return "[6280000000000]", invalid
	case 16:
		return "1e400", invalid
	case 17:
		return "1", valid
	}
	return strconv.FormatInt(6280000000000+g.r.Int64N(1e12), 10), valid
}

// badName returns the JSON text of a name the schema refuses.
func (g *gen) badName() string {
	return []string{`""`, "123", "null", "true", `["John"]`, `{"first":"John"}`}[g.pick(6)]
}

// newRow draws one row and its class.
func (g *gen) newRow(wantInvalid bool) row {
	if wantInvalid {
		switch g.pick(6) {
		case 0:
			return row{focusName: true, value: g.badName(), class: invalid}
		case 1:
			return row{focusName: true, value: `"x"`, shape: "missing", class: invalid}
		case 2:
			return row{focusName: false, value: "1", shape: "missing", class: invalid}
		case 3:
			return row{focusName: true, value: []string{"null", `"x"`, "1", "[]"}[g.pick(4)], shape: "bare", class: invalid}
		}
		for {
			v, c := g.phone()
			if c == invalid {
				return row{value: v, class: invalid}
			}
		}
	}
	if g.chance(0.5) {
		n, c := g.name()
		return row{focusName: true, value: jsonString(n), class: c}
	}
	v, c := g.phone()
	for c == invalid {
		v, c = g.phone()
	}
	r := row{value: v, class: c}
	if g.chance(0.05) {
		r.shape, r.class = "extra", max(r.class, lenient)
	}
	return r
}

// bodies that are not a batch of rows; each must be refused (400 or 422) and store
// nothing.
var rawBodies = []string{
	"", "[]", "{}", "null", `"x"`, "1", "[1,2]", "[{", `[{"name":"a","phone":1}] x`, "[{\"name\":\"\xff\",\"phone\":1}]",
	`{"name":"John","phone":6280000000000}`, "[[]]", `[{"name":"John","phone":6280000000000},]`,
}

// newAction draws the next operation.
func (g *gen) newAction() action {
	a := action{ref: g.pick(3)}
	if g.chance(0.2) {
		a.ref = g.pick(1 << 10)
	}
	if g.chance(0.05) {
		a.ref = -1
	}
	switch p := g.pick(100); {
	case p < 24:
		a.kind = kCreate
		n := 1 + g.pick(3)
		if g.chance(0.15) {
			n = 4 + g.pick(20)
		}
		bad := -1
		if g.chance(0.3) {
			bad = g.pick(n)
		}
		for i := range n {
			a.rows = append(a.rows, g.newRow(i == bad))
		}
		a.foreign = g.twoIds && g.chance(0.35)
	case p < 29:
		a.kind = kCreateRaw
		a.raw = rawBodies[g.pick(len(rawBodies))]
		if g.chance(0.3) {
			a.raw = "[]" // one past minItems
		}
	case p < 37:
		a.kind = kWalk
		a.limit = strconv.FormatInt(g.limit(), 10)
		a.foreign = g.twoIds && g.chance(0.2)
	case p < 47:
		a.kind = kList
		a.page, a.limit, a.qclass = g.query()
	case p < 80:
		a.kind = []kind{kGet, kToggle, kDelete}[min(2, (p-47)/12)]
		a.foreign = g.twoIds && g.chance(0.2)
		if g.twoIds && g.chance(0.25) {
			// Broken object level authorization: the right token on its own app,
			// naming the other identity's contact.
			a.op = map[kind]string{kGet: contactkit.OpGetContact, kToggle: contactkit.OpToggleContactBlock, kDelete: contactkit.OpDeleteContact}[a.kind]
			a.kind, a.cred, a.crossRef = kAuth, authToken, true
			if a.foreign {
				a.cred = authForeignOwn
			}
		}
	default:
		a.kind = kAuth
		a.op = []string{contactkit.OpListContacts, contactkit.OpGetContact, contactkit.OpCreateContacts, contactkit.OpToggleContactBlock, contactkit.OpDeleteContact}[g.pick(5)]
		a.cred = g.cred()
		if a.cred == authLower && (a.op != contactkit.OpListContacts && a.op != contactkit.OpGetContact) {
			a.op = contactkit.OpGetContact // either answer is right: only reads keep the model exact
		}
		if (a.cred == authToken || a.cred == authForeignOwn) && (a.op == contactkit.OpCreateContacts || a.op == contactkit.OpListContacts) {
			a.op = contactkit.OpGetContact // the right token on its own app: only another app's contact id can make it wrong
		}
		if a.op == contactkit.OpCreateContacts {
			a.rows = []row{g.newRow(false)}
			for a.rows[0].class != valid {
				a.rows[0] = g.newRow(false)
			}
		}
		a.crossRef = g.twoIds && g.chance(0.4)
	}
	return a
}

// cred draws credentials that must be refused (or, for authLower, may be taken).
func (g *gen) cred() auth {
	opts := []auth{authNone, authBasic, authBearerOnly, authRawToken, authOtherScheme, authLower}
	if g.foreignApp {
		// Only a target that checks tokens can refuse a token that is not exactly
		// right; naming a foreign app is how the user says it does.
		opts = append(opts, authSuffix, authPrefix, authWrong, authForeignApp, authForeignApp)
	}
	if g.twoIds {
		opts = append(opts, authForeignToken, authForeignToken, authToken, authToken, authToken, authForeignOwn, authForeignOwn, authForeignOwn)
	}
	return opts[g.pick(len(opts))]
}

func (g *gen) limit() int64 {
	lo, hi := max(g.paging.Limit.Min, 1), g.paging.Limit.Max
	if hi == 0 {
		hi = lo + 50
	}
	switch g.pick(6) {
	case 0:
		return lo
	case 1, 2:
		return hi
	case 3:
		return max(lo, min(hi, 2+g.r.Int64N(4)))
	}
	return lo + g.r.Int64N(hi-lo+1)
}

// query draws page and limit values around the contract's bounds.
func (g *gen) query() (page, limit string, c class) {
	pg := g.paging.Page
	page, limit = "", ""
	c = valid
	switch g.pick(10) {
	case 0:
		page, c = strconv.FormatInt(pg.Min-1, 10), invalid
	case 1:
		odd := []struct {
			v string
			c class
		}{{"-1", invalid}, {"abc", invalid}, {"1.5", invalid}, {"1e3", lenient}, {"0x10", lenient}, {"", lenient}, {" 1", lenient}, {"１", lenient}}[g.pick(8)]
		page, c = odd.v, odd.c
	case 2:
		page, c = strconv.FormatInt(math.MaxInt32+1, 10), lenient // past the end; some servers keep int32 pages
	case 3:
		page, c = "9223372036854775808", lenient
	case 4, 5:
		page = strconv.FormatInt(pg.Min+g.r.Int64N(4), 10)
	case 6:
		page = strconv.FormatInt(1000+g.r.Int64N(1000), 10) // past the last page
	}
	lb := g.paging.Limit
	switch g.pick(10) {
	case 0:
		limit = strconv.FormatInt(lb.Min-1, 10)
		c = invalid
	case 1:
		switch limit = []string{"-1", "x", "2.5", "", "9223372036854775808"}[g.pick(5)]; limit {
		case "", "9223372036854775808":
			c = max(c, lenient) // left empty, or above the maximum: 400 or clamped (design.md)
		default:
			c = invalid
		}
	case 2:
		if lb.Max > 0 {
			limit, c = strconv.FormatInt(lb.Max+1, 10), max(c, lenient)
		}
	case 3, 4, 5:
		limit = strconv.FormatInt(g.limit(), 10)
	}
	return page, limit, c
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
