package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/contactkit/contactkit"
)

// Class says what the docs make of a value a client sends, and so what a server
// must answer to it. A batch is judged by its worst row.
type Class int

// Classes, from the least to the most refused.
const (
	// Valid values must be taken (201) and come back exactly.
	Valid Class = iota
	// Lenient values are ones the docs are silent on (a phone of 0, a name of
	// spaces or of control characters, a very long name, a phone no float64
	// holds, a field the docs do not name): a server may take them, and then
	// they must come back exactly, or refuse them (400 or 422) and store nothing.
	Lenient
	// Invalid values break the contract's reading of a row (a missing field, a
	// name that is not text, a phone that is not a whole number in int64): a
	// server should refuse them (400 or 422); taking them departs from
	// contactkit.ReadingCreateRow.
	Invalid
	// NotNumber is a phone that is not a JSON number, the docs' own 422.
	NotNumber
)

func (c Class) String() string { return [...]string{"valid", "lenient", "invalid", "not a number"}[c] }

// Request is a request as the model predicts its answer.
type Request struct {
	// Op is the operationId; the model predicts nothing of a route the contract
	// does not have.
	Op string
	// App and ContactID are the path's.
	App, ContactID string
	Query          url.Values
	Header         http.Header
	Body           []byte
}

// Grants are which tokens are granted which apps, when the caller knows: the
// explorer knows its identities, the proxy its --auth. Nil: the target's own
// business, and any token may be granted.
type Grants map[string][]string

// Prediction is what the docs, HTTP and the contract's readings make of a request
// before its answer.
type Prediction struct {
	// Statuses are the answers right without a word.
	Statuses []int
	// Readings are answers the docs allow but a reading does not: they warn,
	// naming the reading.
	Readings map[int]string
	// Why says what decided it, in a few words ("no bearer token").
	Why string
	// Rows classes each row of a create's batch (nil when the body is not one).
	Rows []Class
	// ErrorKeys are the `errors` keys a 422 must hold: the docs' `<row>.phone`
	// of every row whose phone is not a number.
	ErrorKeys []string
}

// Accepts reports whether status is right without a word; when it departs only
// from a reading, reading names it.
func (p Prediction) Accepts(status int) (ok bool, reading string) {
	if slices.Contains(p.Statuses, status) {
		return true, ""
	}
	id, ok := p.Readings[status]
	return ok, id
}

// Predict says what the answer to r must be, by the docs, HTTP and the
// contract's readings, and by what the model knows of the contact r names.
// Where several refusals apply (no token and a bad body) any of them is right:
// the docs do not say which a server checks first.
func (m *Model) Predict(r Request, g Grants) Prediction {
	var p Prediction
	op := m.spec.Op(r.Op)
	if op == nil {
		return p
	}
	refusal, why, sure := authRefusal(r, g)
	var ok Prediction
	switch r.Op {
	case contactkit.OpListContacts:
		ok = predictPaging(r.Query, m.spec.Paging)
	case contactkit.OpCreateContacts:
		ok = predictCreate(r)
	default:
		ok = m.predictContact(r)
	}
	switch {
	case refusal == nil:
		return ok
	case !sure:
		// Whether the token is granted is the target's to say: a refusal is as
		// right as the answer it would give otherwise.
		ok.Statuses = append(ok.Statuses, http.StatusForbidden)
		return ok
	}
	p = *refusal
	p.Why = why
	p.Rows = ok.Rows
	if refused(ok) {
		// The request is wrong on two counts; either refusal is right.
		p.Statuses = append(p.Statuses, refusals(ok)...)
		p.Why += "; " + ok.Why
	}
	slices.Sort(p.Statuses)
	p.Statuses = slices.Compact(p.Statuses)
	return p
}

// refused reports whether p predicts only refusals.
func refused(p Prediction) bool {
	return len(p.Statuses) > 0 && !slices.ContainsFunc(p.Statuses, func(s int) bool { return s < 300 })
}

func refusals(p Prediction) []int {
	return slices.DeleteFunc(slices.Clone(p.Statuses), func(s int) bool { return s < 300 })
}

// authRefusal is the refusal r's credentials earn, nil when they may pass; sure
// says the refusal is certain (else the target may take or refuse them: its
// tokens are its own business when the caller does not know them, and the
// scheme's letter case is free, RFC 7235).
func authRefusal(r Request, g Grants) (p *Prediction, why string, sure bool) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	forbidden := &Prediction{Statuses: []int{http.StatusForbidden}}
	switch {
	case r.Header.Get("Authorization") == "":
		return forbidden, "no Authorization header", true
	case !strings.EqualFold(scheme, "Bearer"):
		return forbidden, "another scheme than Bearer", true
	case token == "":
		return forbidden, "Bearer with no token", true
	}
	if g != nil {
		apps, known := g[token]
		switch {
		case !known:
			return forbidden, "a token nobody issued", true
		case !slices.Contains(apps, r.App):
			// A server may hide which apps exist: 404 departs only from a reading.
			return &Prediction{Statuses: []int{http.StatusForbidden}, Readings: map[int]string{http.StatusNotFound: contactkit.ReadingAuthRefusal}},
				"a token not granted the app", true
		}
	}
	if g == nil || scheme != "Bearer" {
		return forbidden, "", false
	}
	return nil, "", true
}

// predictContact predicts a get, PUT or delete by what the model knows of the
// contact: one the caller claims and nobody deleted answers 200, one deleted or
// made up answers 404, another app's answers 403 or 404; of any other the model
// knows too little (another client may have deleted it).
func (m *Model) predictContact(r Request) Prediction {
	m.mu.Lock()
	c, known := m.contacts[r.ContactID]
	var seen Contact
	if known {
		seen = *c
	}
	m.mu.Unlock()
	switch {
	case !known:
		return Prediction{Statuses: []int{http.StatusOK, http.StatusNotFound}, Why: "a contact the model has not seen"}
	case seen.MadeUp:
		return Prediction{Statuses: []int{http.StatusNotFound}, Why: "an id that names no contact"}
	case seen.App != r.App:
		return Prediction{Statuses: []int{http.StatusForbidden, http.StatusNotFound}, Why: "a contact of another app"}
	case seen.Gone:
		return Prediction{Statuses: []int{http.StatusNotFound}, Why: "a contact that is gone"}
	case seen.Claimed:
		return Prediction{Statuses: []int{http.StatusOK}, Why: "a contact that is there"}
	}
	return Prediction{Statuses: []int{http.StatusOK, http.StatusNotFound}, Why: "a contact seen, that another client may have deleted"}
}

// predictPaging predicts a list by its page and limit: in range and whole, 200;
// below the least or not a number, 400 (a default read instead departs from
// contactkit.ReadingPagingInvalid); above the largest limit, or a whole number in
// an odd form (1e3, " 1", past int64), 200 or 400.
func predictPaging(q url.Values, paging contactkit.Paging) Prediction {
	c := max(paramClass(q, "page", paging.Page), paramClass(q, "limit", paging.Limit))
	switch c {
	case Invalid:
		return Prediction{Statuses: []int{http.StatusBadRequest}, Readings: map[int]string{http.StatusOK: contactkit.ReadingPagingInvalid}, Why: "a page or limit out of range or not an integer"}
	case Lenient:
		return Prediction{Statuses: []int{http.StatusOK, http.StatusBadRequest}, Why: "a page or limit the docs say nothing of"}
	}
	return Prediction{Statuses: []int{http.StatusOK}, Why: "a page and limit in range"}
}

// QueryClass is the class of a list's page and limit values ("" leaves one out).
func QueryClass(page, limit string, paging contactkit.Paging) Class {
	q := url.Values{}
	if page != "" {
		q.Set("page", page)
	}
	if limit != "" {
		q.Set("limit", limit)
	}
	return max(paramClass(q, "page", paging.Page), paramClass(q, "limit", paging.Limit))
}

func paramClass(q url.Values, name string, b contactkit.Bounds) Class {
	if !q.Has(name) {
		return Valid
	}
	vs := q[name]
	if len(vs) > 1 {
		return Lenient // given twice: which one counts is the server's
	}
	v := vs[0]
	if v == "" {
		return Lenient // given empty: the default, or a 400
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err == nil && n < b.Min:
		return Invalid
	case err == nil && b.Max > 0 && n > b.Max:
		return Lenient // 400 or clamped
	case err == nil:
		return Valid
	}
	if _, ok := new(big.Int).SetString(v, 10); ok {
		return Lenient // a whole number past int64: past the end, or a 400
	}
	if f, ferr := strconv.ParseFloat(strings.TrimSpace(v), 64); ferr == nil && f == math.Trunc(f) && f >= float64(b.Min) {
		return Lenient // 1e3, " 1": a whole number some servers read
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r > unicode.MaxASCII }) || strings.HasPrefix(v, "0x") {
		return Lenient // a digit of another script, hexadecimal
	}
	return Invalid
}

// predictCreate predicts a create by its media type and body.
func predictCreate(r Request) Prediction {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
			return Prediction{Statuses: []int{http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity},
				Readings: map[int]string{http.StatusCreated: contactkit.ReadingCreateMediaType}, Why: "a body that does not say it is JSON"}
		}
	}
	notBatch := Prediction{Statuses: []int{http.StatusBadRequest, http.StatusUnprocessableEntity},
		Readings: map[int]string{http.StatusCreated: contactkit.ReadingCreateNotBatch}, Why: "a body that is not a batch of rows"}
	// The rows are read one at a time: a 1 MB batch holds half a million, and
	// only their classes are kept.
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('[') || !dec.More() {
		return notBatch
	}
	p := Prediction{}
	worst := Valid
	for i := 0; dec.More(); i++ {
		var rw any
		if dec.Decode(&rw) != nil {
			return notBatch
		}
		c := RowClass(rw)
		p.Rows = append(p.Rows, c)
		worst = max(worst, c)
		if c == NotNumber {
			p.ErrorKeys = append(p.ErrorKeys, fmt.Sprintf("%d.phone", i))
		}
	}
	if _, err := dec.Token(); err != nil {
		return notBatch // the batch is cut off, or not JSON past its rows
	}
	if _, err := dec.Token(); err != io.EOF || !utf8.Valid(r.Body) {
		// Read leniently, it is a batch: refused, or taken as the rows it holds.
		lenient := Prediction{Statuses: []int{http.StatusBadRequest, http.StatusUnprocessableEntity},
			Readings: map[int]string{http.StatusCreated: contactkit.ReadingCreateLenient}, Why: "a batch followed by more, or not UTF-8", Rows: p.Rows}
		if worst >= Invalid {
			lenient.Readings = nil // and its rows are refused besides
			lenient.ErrorKeys = p.ErrorKeys
		}
		return lenient
	}
	switch worst {
	case Valid:
		p.Statuses, p.Why = []int{http.StatusCreated}, "a batch of valid rows"
	case Lenient:
		p.Statuses, p.Why = []int{http.StatusCreated, http.StatusBadRequest, http.StatusUnprocessableEntity}, "a batch with values the docs say nothing of"
	case Invalid:
		p.Statuses, p.Why = []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, "a batch with a row the contract refuses"
		p.Readings = map[int]string{http.StatusCreated: contactkit.ReadingCreateRow}
	default:
		p.Statuses, p.Why = []int{http.StatusUnprocessableEntity}, "a batch with a phone that is not a number"
		p.Readings = map[int]string{http.StatusBadRequest: contactkit.ReadingCreateRow}
	}
	if len(p.Rows) > LargeBatch {
		// The docs name no limit on a batch: a server may refuse a large one
		// whole, which departs from a reading only.
		if p.Readings == nil {
			p.Readings = map[int]string{}
		}
		for _, st := range []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity} {
			if _, ok := p.Readings[st]; !ok && !slices.Contains(p.Statuses, st) {
				p.Readings[st] = contactkit.ReadingCreateBatchSize
			}
		}
	}
	return p
}

// LargeBatch is the most rows a batch may hold and still be judged row by row
// without a word: past it a server may also refuse the batch as a whole
// (reading create-batch-size).
const LargeBatch = 1_000

// RowClass says what the docs make of one decoded row of a create (numbers as
// json.Number): an object with a name and a phone, each judged, and nothing else.
func RowClass(row any) Class {
	obj, ok := row.(map[string]any)
	if !ok {
		return Invalid
	}
	c := Valid
	for k := range obj {
		if k != "name" && k != "phone" {
			c = Lenient // a field the docs do not name: ignored or refused, never honoured
		}
	}
	switch name := obj["name"].(type) {
	case string:
		c = max(c, NameClass(name))
	default:
		c = max(c, Invalid) // missing, or not text
	}
	switch phone := obj["phone"].(type) {
	case json.Number:
		c = max(c, PhoneClass(phone.String()))
	case nil:
		if _, there := obj["phone"]; !there {
			return max(c, Invalid)
		}
		return max(c, NotNumber)
	default:
		return max(c, NotNumber)
	}
	return c
}

// LongName is where a name stops being one every server must take: the docs set
// no length, and servers set their own (100, 255, ...).
const LongName = 64

// NameClass says what the docs make of a name: blank, very long or holding
// control characters, a server may refuse it.
func NameClass(name string) Class {
	switch {
	case strings.TrimSpace(name) == "",
		utf8.RuneCountInString(name) > LongName,
		strings.ContainsFunc(name, unicode.IsControl):
		return Lenient
	}
	return Valid
}

// PhoneClass says what the docs make of a phone given as a JSON number's text: a
// realistic Indonesian mobile number must be taken; another whole number in
// int64 may be refused (the docs set no range); a number that is not a whole
// number in int64 should be refused.
func PhoneClass(text string) Class {
	n, ok := new(big.Int).SetString(text, 10)
	switch {
	case !ok || !n.IsInt64():
		return Invalid
	case RealisticPhone(n.Int64()):
		return Valid
	}
	return Lenient
}

// RealisticPhone: 62, then 9 to 12 digits, as the docs' example.
func RealisticPhone(n int64) bool {
	s := strconv.FormatInt(n, 10)
	return strings.HasPrefix(s, "62") && len(s) >= 11 && len(s) <= 14
}
