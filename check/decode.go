package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Bounds of what a judge decodes of one answer. Within MaxBody a hostile target
// can pack half a million values, and decoding each into a Go value, then
// judging it, costs a hundred bytes and more: an answer is decoded only as far
// as these bounds, and what lies past them is skipped unread and reported
// (Unjudged). An honest answer of this API never reaches them: a page holds at
// most the contract's largest limit of contacts, and the largest object is a
// 422's errors, two members a row (a batch of 10,000 rows all wrong is 20,000).
// They are far above what an honest answer needs, so the count of a hostile
// array's repeated items stays right into the tens of thousands.
const (
	// MaxJudgedItems is how many items of one array are decoded.
	MaxJudgedItems = 50_000
	// MaxJudgedMembers is how many members of one object are decoded.
	MaxJudgedMembers = 50_000
	// MaxJudgedValues is how many values are decoded in all.
	MaxJudgedValues = 100_000
)

// Bounds of what the schema check reads of a decoded answer: kin-openapi builds
// an error of a few kilobytes for each violation, so an object of sixty
// thousand wrong members would cost hundreds of megabytes. Past them the schema
// check judges the first members and items; the others checks still see them.
const (
	schemaMembers = 1_000
	schemaValues  = 5_000
)

// A skipped part of an answer: where, and how much of it was decoded.
type skipped struct {
	pointer     string
	kept, total int
	object      bool
}

// Decode decodes an answer's body as the checks read it, numbers as
// json.Number, within MaxJudgedItems, MaxJudgedMembers and MaxJudgedValues: an
// array or object past them holds only its first items or members (once
// MaxJudgedValues are decoded, containers hold what was decoded before). It
// returns the decoded value and whether all of it was decoded, or an error for
// a body that is not one JSON value.
func Decode(raw []byte) (v any, whole bool, err error) {
	v, skipped, err := decodeAnswer(raw)
	return v, err == nil && len(skipped) == 0, err
}

// DecodeJSON reads b as one JSON value, numbers as json.Number (exact), whole,
// and refuses anything after it: the decoder of texts a judge trusts (a request
// body it sent or recorded, a --var). An answer is read with Decode.
func DecodeJSON(b []byte) (any, error) {
	if !json.Valid(b) {
		return nil, syntaxError(b)
	}
	d := decoder{src: b, left: math.MaxInt, items: math.MaxInt, members: math.MaxInt}
	return d.value(), nil
}

// decodeAnswer is Decode for the checks, with what was skipped.
func decodeAnswer(raw []byte) (any, []skipped, error) {
	if !json.Valid(raw) {
		return nil, nil, syntaxError(raw)
	}
	d := decoder{src: raw, left: MaxJudgedValues, items: MaxJudgedItems, members: MaxJudgedMembers}
	return d.value(), d.skipped, nil
}

// errTrailing says a text holds more than one JSON value.
var errTrailing = errors.New("data after the JSON value")

// syntaxError says why raw is not one JSON value, as encoding/json's Decoder
// says it, without building any of it.
func syntaxError(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(new(json.RawMessage)); err != nil {
		return err
	}
	return errTrailing
}

// decoder reads a valid JSON text (json.Valid said so) into Go values within
// the bounds, by recursive descent: json.Valid bounds the nesting at 10,000.
type decoder struct {
	src     []byte
	i       int
	items   int       // items of an array decoded, at most
	members int       // members of an object decoded, at most
	left    int       // values that may still be decoded
	path    []pathTok // where the value being read is, for a skipped part's pointer
	skipped []skipped
}

// pathTok is one step of a decoder's path: a member's key, or an item's index.
type pathTok struct {
	key   string
	index int // -1 for a member
}

func (d *decoder) space() {
	for d.i < len(d.src) {
		switch d.src[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value decodes the value at d.i, or skips it and returns nil once d.left is
// spent.
func (d *decoder) value() any {
	d.space()
	if d.left <= 0 {
		d.skip()
		return nil
	}
	d.left--
	switch c := d.src[d.i]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		return d.str()
	case 't':
		d.i += 4
		return true
	case 'f':
		d.i += 5
		return false
	case 'n':
		d.i += 4
		return nil
	default:
		start := d.i
		for d.i < len(d.src) && isNumberByte(d.src[d.i]) {
			d.i++
		}
		return json.Number(d.src[start:d.i])
	}
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func (d *decoder) array() []any {
	d.i++ // [
	out := []any{}
	total := 0
	for d.more(']') {
		if len(out) < d.items && d.left > 0 {
			d.path = append(d.path, pathTok{index: total})
			out = append(out, d.value())
			d.path = d.path[:len(d.path)-1]
		} else {
			d.skip()
		}
		total++
	}
	if total > len(out) {
		d.skip1(len(out), total, false)
	}
	return out
}

func (d *decoder) object() map[string]any {
	d.i++ // {
	out := map[string]any{}
	total, kept := 0, 0 // kept may pass len(out): a key given twice is kept once
	for d.more('}') {
		keep := kept < d.members && d.left > 0
		var key string
		if keep {
			key = d.str()
		} else {
			d.skip()
		}
		d.space()
		d.i++ // :
		if keep {
			d.path = append(d.path, pathTok{key: key, index: -1})
			out[key] = d.value()
			d.path = d.path[:len(d.path)-1]
			kept++
		} else {
			d.skip()
		}
		total++
	}
	if total > kept {
		d.skip1(kept, total, true)
	}
	return out
}

// more moves past blanks and a comma, and reports whether the array or object
// goes on; when it does not, it has moved past its closing byte.
func (d *decoder) more(closing byte) bool {
	d.space()
	if d.src[d.i] == closing {
		d.i++
		return false
	}
	if d.src[d.i] == ',' {
		d.i++
		d.space()
	}
	return true
}

// skip1 notes that the array or object at d.path kept kept of its total.
func (d *decoder) skip1(kept, total int, object bool) {
	toks := make([]string, len(d.path))
	for i, t := range d.path {
		toks[i] = t.key
		if t.index >= 0 {
			toks[i] = strconv.Itoa(t.index)
		}
	}
	d.skipped = append(d.skipped, skipped{pointer: PointerOf(toks), kept: kept, total: total, object: object})
}

// str decodes the string at d.i.
func (d *decoder) str() string {
	start := d.i
	d.skipString()
	body := d.src[start+1 : d.i-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body)
	}
	var s string
	_ = json.Unmarshal(d.src[start:d.i], &s) // escapes, or bytes that are not UTF-8 (U+FFFD, as encoding/json)
	return s
}

// skip moves past the value at d.i without decoding it.
func (d *decoder) skip() {
	d.space()
	switch d.src[d.i] {
	case '"':
		d.skipString()
	case '{', '[':
		depth := 0
		for {
			switch d.src[d.i] {
			case '"':
				d.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			d.i++
			if depth == 0 {
				return
			}
		}
	default: // a number, true, false or null
		for d.i < len(d.src) && !isDelimiter(d.src[d.i]) {
			d.i++
		}
	}
}

// skipString moves past the string at d.i.
func (d *decoder) skipString() {
	d.i++ // "
	for d.src[d.i] != '"' {
		if d.src[d.i] == '\\' {
			d.i++
		}
		d.i++
	}
	d.i++
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', ':', ']', '}', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// unjudged is the finding for a part of an answer the checks skipped.
func (sk skipped) finding() Finding {
	at, what := sk.pointer, "items"
	if at == "" {
		at = "the body"
	}
	if sk.object {
		what = "members"
	}
	return Finding{Check: Unjudged, Pointer: sk.pointer,
		Message: fmt.Sprintf("%s holds %d %s; the checks judged the first %d (a judge decodes at most %d items of an array, %d members of an object and %d values in all, more than an answer of this API holds)",
			at, sk.total, what, sk.kept, MaxJudgedItems, MaxJudgedMembers, MaxJudgedValues),
		Expected: fmt.Sprintf("at most %d %s", sk.kept, what), Actual: fmt.Sprintf("%d %s", sk.total, what)}
}

// forSchema returns v trimmed to what the schema check reads (every array to
// items, every object to schemaMembers, schemaValues in all) and whether
// anything was trimmed. An object is trimmed to its first members by name, so
// the same answer is judged the same way every time.
func forSchema(v any, items int) (any, bool) {
	if fits(v, items, new(int)) {
		return v, false
	}
	left := schemaValues
	var walk func(v any) any
	walk = func(v any) any {
		left--
		switch x := v.(type) {
		case []any:
			out := make([]any, 0, min(len(x), items))
			for _, it := range x {
				if len(out) == items || left <= 0 {
					break
				}
				out = append(out, walk(it))
			}
			return out
		case map[string]any:
			out := make(map[string]any, min(len(x), schemaMembers))
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if len(out) == schemaMembers || left <= 0 {
					break
				}
				out[k] = walk(x[k])
			}
			return out
		}
		return v
	}
	return walk(v), true
}

// fits reports whether v is within what the schema check reads; seen counts
// the values met so far.
func fits(v any, items int, seen *int) bool {
	*seen++
	if *seen > schemaValues {
		return false
	}
	switch x := v.(type) {
	case []any:
		if len(x) > items {
			return false
		}
		for _, it := range x {
			if !fits(it, items, seen) {
				return false
			}
		}
	case map[string]any:
		if len(x) > schemaMembers {
			return false
		}
		for _, it := range x {
			if !fits(it, items, seen) {
				return false
			}
		}
	}
	return true
}
