package explore

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance/model"
)

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
	// kAppVariant reads with the app's own token an app id that is a variant of
	// its own: SQL wildcards, another letter case, a space. It is another app.
	kAppVariant
	// kGrow makes the app hold more than a thousand contacts, then walks it.
	kGrow
)

// Row shapes beside a plain object.
const (
	shapeMissing = "missing" // the field under test left out
	shapeExtra   = "extra"   // a field the docs do not name, added
	shapeBare    = "bare"    // the value alone as the row
	// Fields of the contact a server makes, sent in a row: never honoured
	// (mass assignment).
	shapeID      = "id"         // an id: an existing contact's
	shapeBlocked = "is_blocked" // is_blocked: true
	shapeCreated = "created_at" // a created_at of 2001
)

// serverFields are the shapes that send a field the server makes.
var serverFields = []string{shapeID, shapeBlocked, shapeCreated}

// row is one row of a create batch. One field is under test (focus); the other
// carries a value unique to the run, by which the row is found in the list.
type row struct {
	// focusName: the name is under test and the phone is the key; otherwise the
	// phone is under test and the name is the key.
	focusName bool
	// value is the JSON text of the field under test.
	value string
	// shape changes the row: "" a plain object, or shapeMissing, shapeExtra,
	// shapeBare.
	shape string
}

// classOf is what the model makes of the row (its key aside, which is always
// valid): the generator and the shrinker ask it, the expectations are the
// model's prediction of the whole request.
func (rw row) classOf() model.Class {
	var v any
	extra := ""
	if slices.Contains(serverFields, rw.shape) {
		extra = `"` + rw.shape + `":null`
	}
	dec := json.NewDecoder(strings.NewReader(rowText(rw, jsonString(sampleName), samplePhone, extra)))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return model.Invalid
	}
	return model.RowClass(v)
}

// A key as rowText writes it, for classOf.
const (
	sampleName  = "Explore 00000 0"
	samplePhone = "6281000000000"
)

// raw is a create body that is not a batch of plain rows, with %[1]s where a
// phone key goes: if a server takes it anyway, the explorer finds what it
// stored by that phone.
type raw struct {
	body      string
	mediaType string // "" for application/json
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
	authCase                     // the token with its letters' case swapped: another token
)

// action is one generated operation. Contacts are named by ordinal, so that an
// action keeps its meaning when the shrinker drops others.
type action struct {
	kind kind
	// foreign: the foreign identity acting on its own app (create, walk, get, ...).
	foreign bool
	rows    []row
	raw     raw // kCreateRaw
	// page and limit are the query values; "" leaves one out. What they must get
	// is the model's to say when the action runs.
	page, limit string
	// ref picks a contact made earlier (modulo how many); -1 a contact id nobody
	// made.
	ref int
	// op and cred are kAuth's operation and credentials; crossRef makes the
	// request name the other identity's contact through the acting identity's app.
	op       string
	cred     auth
	crossRef bool
	// recheck, when set, sends a read that answered 200 once more at once with
	// these credentials, which must be refused: an answer kept by URL before the
	// token is checked shows.
	recheck auth

	// variant is kAppVariant's app id, from the app's own.
	variant string
	// otherApp adds query parameters naming the other app (appId, app, app_id)
	// to a read of one's own: the path's app rules.
	otherApp bool
	// mediaType is the Content-Type of a create, "" for application/json.
	mediaType string
	// putBody sends a PUT a JSON body asking for the state the contact has: the
	// docs' PUT has no body, and a body does not change what it does.
	putBody bool
	// exact walks with a limit that divides the app's total: every page full.
	exact bool
}

// gen draws values from the contract's schemas and bounds.
type gen struct {
	r          *rand.Rand
	paging     contactkit.Paging
	twoIds     bool
	foreignApp bool
	// The decks deal credentials, raw bodies, names, media types and app ids
	// like cards: every one comes up once before any comes up again, so a run of
	// a few hundred operations tries each of them, whatever the seed.
	creds deck[auth]
	// refused are the credentials a server must refuse whatever it is.
	refused    deck[auth]
	raws       deck[raw]
	edges      deck[string]
	words      deck[string]
	mediaTypes deck[string]
	variants   deck[string]
	contactOps deck[contactOp]
	authOps    deck[string]
	// Kinds of limit and page values (see limit and query).
	limitKinds, pageKinds, queryLimits deck[string]
}

// contactOp is a get, PUT or delete by one identity, on its own contact or
// (cross) on the other identity's through its own app.
type contactOp struct {
	kind           kind
	foreign, cross bool
}

// mediaTypes a create is sent with: JSON as the docs say it, with a charset or
// another letter case (the same media type, RFC 9110 8.3.1). Text, which a
// server may refuse, is a raw body's.
var mediaTypes = []string{"", "", "", "", "application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON"}

// appVariants turn the app's id into another: wildcards a LIKE lookup lets
// through to other apps, another letter case a lookup that folds case takes,
// and a space one that trims.
var appVariants = []string{"last_", "last%", "%", "_first", "whole%", "case", "space"}

// variantOf is the app id variant (one of appVariants) makes of app.
func variantOf(variant, app string) string {
	r := []rune(app)
	if len(r) == 0 {
		return ""
	}
	allButLast, allButFirst := string(r[:len(r)-1]), string(r[1:])
	switch variant {
	case "last_":
		return allButLast + "_"
	case "last%":
		return allButLast + "%"
	case "_first":
		return "_" + allButFirst
	case "whole%":
		return app + "%"
	case "case":
		if up := strings.ToUpper(app); up != app {
			return up
		}
		return strings.ToLower(app)
	case "space":
		return app + " "
	}
	return variant
}

// deck deals its cards in a random order, each once per round.
type deck[T any] struct {
	cards, left []T
}

func (d *deck[T]) deal(r *rand.Rand) T {
	if len(d.left) == 0 {
		d.left = append(d.left[:0], d.cards...)
		r.Shuffle(len(d.left), func(i, j int) { d.left[i], d.left[j] = d.left[j], d.left[i] })
	}
	c := d.left[len(d.left)-1]
	d.left = d.left[:len(d.left)-1]
	return c
}

func newGen(spec *contactkit.Spec, seed int64, foreignApp, foreignToken bool) *gen {
	g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 0x636f6e74616374)), paging: spec.Paging, foreignApp: foreignApp, twoIds: foreignToken}
	g.creds.cards = []auth{authNone, authBasic, authBearerOnly, authRawToken, authOtherScheme, authLower}
	if foreignApp {
		// Only a target that checks tokens can refuse a token that is not exactly
		// right; naming a foreign app is how the user says it does.
		g.creds.cards = append(g.creds.cards, authSuffix, authPrefix, authWrong, authForeignApp)
	}
	if foreignApp {
		g.creds.cards = append(g.creds.cards, authCase)
	}
	g.refused.cards = slices.DeleteFunc(slices.Clone(g.creds.cards), func(a auth) bool {
		return a == authLower || a == authToken || a == authForeignOwn || a == authForeignToken
	})
	if foreignToken {
		g.creds.cards = append(g.creds.cards, authForeignToken, authToken, authToken, authForeignOwn, authForeignOwn)
	}
	g.raws.cards = rawBodies
	g.edges.cards, g.words.cards = edges, pieces
	g.authOps.cards = []string{contactkit.OpListContacts, contactkit.OpGetContact, contactkit.OpCreateContacts, contactkit.OpToggleContactBlock, contactkit.OpDeleteContact}
	g.limitKinds.cards = []string{"least", "largest", "largest", "small", "any", "any"}
	g.pageKinds.cards = []string{"below", "odd", "int32", "int64", "first", "first", "past", "", "", ""}
	g.queryLimits.cards = []string{"below", "odd", "above", "within", "within", "within", "", "", "", ""}
	g.mediaTypes.cards = mediaTypes
	g.variants.cards = appVariants
	for _, k := range []kind{kGet, kGet, kToggle, kToggle, kDelete} {
		g.contactOps.cards = append(g.contactOps.cards, contactOp{kind: k})
		if foreignToken {
			g.contactOps.cards = append(g.contactOps.cards, contactOp{kind: k, foreign: true}, contactOp{kind: k, cross: true}, contactOp{kind: k, foreign: true, cross: true})
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

// name returns a name: a short or long text in many scripts, sometimes blank,
// very long or with control characters.
func (g *gen) name() string {
	if g.chance(0.3) {
		return g.edges.deal(g.r)
	}
	switch g.pick(12) {
	case 0:
		return " "
	case 1:
		return strings.Repeat("Ab", 20+g.pick(140))
	case 2:
		return "\u0000x"
	case 4:
		return strings.Repeat("Zoë ", 10+g.pick(50)) + "Ω"
	case 3:
		return strings.Repeat(g.words.deal(g.r), 1+g.pick(3))
	}
	var b strings.Builder
	for n := 1 + g.pick(3); n > 0; n-- {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(g.words.deal(g.r))
	}
	return b.String()
}

var (
	two63    = new(big.Int).Lsh(big.NewInt(1), 63)
	int64Max = new(big.Int).Sub(two63, big.NewInt(1))
)

// phoneClass is what the model makes of a phone's JSON text.
func phoneClass(text string) model.Class {
	if strings.HasPrefix(text, "-") || text[0] >= '0' && text[0] <= '9' {
		return model.PhoneClass(text)
	}
	return model.NotNumber
}

// phone returns the JSON text of a phone: near the int32, int53 (JavaScript) and
// int64 limits, one past the last, zero and negatives, and values of the wrong
// type.
func (g *gen) phone() string {
	switch g.pick(24) {
	case 0:
		return strconv.FormatInt(math.MaxInt32, 10)
	case 1:
		return strconv.FormatInt(math.MaxInt32+1, 10)
	case 2:
		return strconv.FormatInt(1<<53-1, 10)
	case 3:
		return strconv.FormatInt(1<<53+1, 10) // a float64 cannot hold it
	case 4:
		return strconv.FormatInt(1<<53+3, 10)
	case 5:
		return int64Max.String()
	case 6:
		return new(big.Int).Add(int64Max, big.NewInt(1)).String() // one past int64
	case 7:
		return "-" + new(big.Int).Add(two63, big.NewInt(1)).String()
	case 8:
		return "0"
	case 9:
		return "-6280000000000"
	case 10:
		return strconv.FormatInt(math.MinInt64, 10)
	case 11:
		return "1.5"
	case 12:
		return `"6280000000000"`
	case 13:
		return "true"
	case 14:
		return "null"
	case 15:
		return "[6280000000000]"
	case 16:
		return "1e400"
	case 17:
		return "1"
	case 18:
		return strconv.FormatInt(6280000000000000000+g.r.Int64N(1e17), 10) // 19 digits: past int53
	}
	return strconv.FormatInt(6280000000000+g.r.Int64N(1e12), 10)
}

// badName returns the JSON text of a name the contract refuses.
func (g *gen) badName() string {
	return []string{`""`, "123", "null", "true", `["John"]`, `{"first":"John"}`}[g.pick(6)]
}

// newRow draws one row; wantRefused draws one a server must or should refuse.
func (g *gen) newRow(wantRefused bool) row {
	if wantRefused {
		switch g.pick(6) {
		case 0:
			return row{focusName: true, value: g.badName()}
		case 1:
			return row{focusName: true, value: `"x"`, shape: shapeMissing}
		case 2:
			return row{focusName: false, value: "6280000000000", shape: shapeMissing}
		case 3:
			return row{focusName: true, value: []string{"null", `"x"`, "1", "[]"}[g.pick(4)], shape: shapeBare}
		}
		for {
			if v := g.phone(); phoneClass(v) >= model.Invalid {
				return row{value: v}
			}
		}
	}
	if g.chance(0.5) {
		n := g.name()
		return row{focusName: true, value: jsonString(n)}
	}
	v := g.phone()
	for phoneClass(v) >= model.Invalid {
		v = g.phone()
	}
	r := row{value: v}
	if g.chance(0.05) {
		r.shape = shapeExtra
	}
	return r
}

// rawBodies are bodies that are not a batch of plain rows sent as JSON; each
// should be refused (400 or 422) and store nothing. %[1]s is a phone key.
var rawBodies = []raw{
	{"", ""},
	{"[]", ""},
	{"{}", ""},
	{"null", ""},
	{`"x"`, ""},
	{"1", ""},
	{"[1,2]", ""},
	{"[{", ""},
	{"[[]]", ""},
	{`{"name":"John","phone":%[1]s}`, ""},
	{`[{"name":"John","phone":%[1]s},]`, ""},
	{`[{"name":"a","phone":%[1]s}] x`, ""},
	{"[{\"name\":\"\xff\",\"phone\":%[1]s}]", ""},
	{`[{"name":"John","phone":%[1]s}]`, "text/plain"},
}

// keyed reports whether the body names a phone key.
func (r raw) keyed() bool { return strings.Contains(r.body, "%[1]s") }

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
		bad := map[int]bool{}
		if g.chance(0.3) {
			// Sometimes more than one: a 422 must name every row the docs refuse.
			for range 1 + g.pick(3) {
				bad[g.pick(n)] = true
			}
		}
		// Half the time the refused rows are all the docs' own case, a phone that
		// is not a number, so that a 422 must name each of them.
		notNumbers := len(bad) > 1 && g.chance(0.5)
		for i := range n {
			switch {
			case bad[i] && notNumbers:
				a.rows = append(a.rows, row{value: []string{`"6280000000000"`, "true", "null", "[6280000000000]", "false"}[g.pick(5)]})
			default:
				a.rows = append(a.rows, g.newRow(bad[i]))
			}
		}
		if g.chance(0.15) {
			// A field the server makes, beside a plain row to compare with.
			a.rows = append([]row{{focusName: true, value: jsonString("Plain")}}, a.rows...)
			a.rows[1+g.pick(len(a.rows)-1)].shape = serverFields[g.pick(len(serverFields))]
		}
		a.mediaType = g.mediaTypes.deal(g.r)
		a.foreign = g.twoIds && g.chance(0.35)
	case p < 32:
		a.kind = kCreateRaw
		a.raw = g.raws.deal(g.r)
	case p < 39:
		a.kind = kWalk
		a.limit = strconv.FormatInt(g.limit(), 10)
		a.exact = g.chance(0.25)
		a.foreign = g.twoIds && g.chance(0.2)
	case p < 47:
		a.kind = kList
		a.page, a.limit = g.query()
		a.otherApp = g.chance(0.15)
		if g.chance(0.2) {
			a.recheck = g.refused.deal(g.r)
		}
	case p < 77:
		// The operations on one contact, by every identity the run has: each
		// comes up once a round (contactOps).
		c := g.contactOps.deal(g.r)
		a.kind, a.foreign = c.kind, c.foreign
		if c.cross {
			// Broken object level authorization: the right token on its own
			// app, naming the other identity's contact.
			a.op = map[kind]string{kGet: contactkit.OpGetContact, kToggle: contactkit.OpToggleContactBlock, kDelete: contactkit.OpDeleteContact}[a.kind]
			a.kind, a.cred, a.crossRef = kAuth, authToken, true
			if a.foreign {
				a.cred = authForeignOwn
			}
			break
		}
		a.otherApp = a.kind == kGet && g.chance(0.15)
		a.putBody = a.kind == kToggle && g.chance(0.25)
		if a.kind == kGet && g.chance(0.2) {
			a.recheck = g.refused.deal(g.r)
		}
	case p < 80:
		a.kind = kAppVariant
		a.variant = g.variants.deal(g.r)
	default:
		a.kind = kAuth
		a.op = g.authOps.deal(g.r)
		a.cred = g.creds.deal(g.r)
		if a.cred == authLower && (a.op != contactkit.OpListContacts && a.op != contactkit.OpGetContact) {
			a.op = contactkit.OpGetContact // either answer is right: only reads keep the model exact
		}
		if (a.cred == authToken || a.cred == authForeignOwn) && (a.op == contactkit.OpCreateContacts || a.op == contactkit.OpListContacts) {
			a.op = contactkit.OpGetContact // the right token on its own app: only another app's contact id can make it wrong
		}
		if a.op == contactkit.OpCreateContacts {
			a.rows = []row{g.newRow(false)}
			for a.rows[0].classOf() != model.Valid {
				a.rows[0] = g.newRow(false)
			}
		}
		a.crossRef = g.twoIds && g.chance(0.4)
	}
	return a
}

// limit draws a limit within the contract's bounds: the least, the largest, a
// small one, or any, each kind dealt in turn.
func (g *gen) limit() int64 {
	lo, hi := max(g.paging.Limit.Min, 1), g.paging.Limit.Max
	if hi == 0 {
		hi = lo + 50
	}
	switch g.limitKinds.deal(g.r) {
	case "least":
		return lo
	case "largest":
		return hi
	case "small":
		return max(lo, min(hi, 2+g.r.Int64N(4)))
	}
	return lo + g.r.Int64N(hi-lo+1)
}

// query draws page and limit values around the contract's bounds, each kind of
// page and of limit dealt in turn.
func (g *gen) query() (page, limit string) {
	pg := g.paging.Page
	switch g.pageKinds.deal(g.r) {
	case "below":
		page = strconv.FormatInt(pg.Min-1, 10)
	case "odd":
		page = []string{"-1", "abc", "1.5", "1e3", "0x10", "", " 1", "１"}[g.pick(8)]
	case "int32":
		page = strconv.FormatInt(math.MaxInt32+1, 10) // past the end; some servers keep int32 pages
	case "int64":
		page = "9223372036854775808"
	case "first":
		page = strconv.FormatInt(pg.Min+g.r.Int64N(4), 10)
	case "past":
		page = strconv.FormatInt(1000+g.r.Int64N(1000), 10) // past the last page
	}
	lb := g.paging.Limit
	switch g.queryLimits.deal(g.r) {
	case "below":
		limit = strconv.FormatInt(lb.Min-1, 10)
	case "odd":
		limit = []string{"-1", "x", "2.5", "", "9223372036854775808"}[g.pick(5)]
	case "above":
		if lb.Max > 0 {
			limit = strconv.FormatInt(lb.Max+1, 10)
		}
	case "within":
		limit = strconv.FormatInt(g.limit(), 10)
	}
	return page, limit
}

func bigDigits(s string) bool {
	_, ok := new(big.Int).SetString(s, 10)
	return ok
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
