package mock

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// Contacts and list pages are written by hand rather than through encoding/json: a
// list page is the hot path, and appending to one buffer keeps it to one allocation
// (BenchmarkEncodeListPage measures both). Where speed does not matter (422 fields,
// examples, admin) encoding/json writes the JSON.

// createdLayout writes created_at as the docs do: 2024-05-14T11:51:48.000+07:00.
const createdLayout = "2006-01-02T15:04:05.000-07:00"

const hexDigits = "0123456789abcdef"

// appendID writes id in the canonical 8-4-4-4-12 form.
func appendID(b []byte, id [16]byte) []byte {
	for i, x := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&0x0f])
	}
	return b
}

// parseID reads a canonical UUID; anything else names no contact.
func parseID(s string) ([16]byte, bool) {
	var id [16]byte
	if len(s) != 36 {
		return id, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return id, false
			}
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return id, false
		}
		id[j] = hi<<4 | lo
		j++
		i += 2
	}
	return id, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD, and U+2028
// and U+2029 are escaped so the answer is also valid JavaScript.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0x0f])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0x0f])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendContact writes c as the list and the toggle give it (tag), or as the
// details give it (tags).
func appendContact(b []byte, c Contact, z zone, detail bool) []byte {
	b = append(b, `{"id":"`...)
	b = appendID(b, c.ID)
	b = append(b, `","phone":`...)
	b = strconv.AppendInt(b, c.Phone, 10)
	if detail {
		b = append(b, `,"tags":[`...)
		for i, t := range tags(c.Name) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, t)
		}
		b = append(b, ']')
	} else {
		b = append(b, `,"tag":`...)
		b = appendString(b, c.Name)
	}
	b = append(b, `,"is_blocked":`...)
	b = strconv.AppendBool(b, c.Blocked)
	b = append(b, `,"created_at":"`...)
	b = appendCreated(b, c.CreatedMs, z)
	return append(b, `"}`...)
}

// appendCreated writes unix milliseconds as createdLayout does. It does the
// calendar arithmetic itself: through time.Time.AppendFormat (or Date and Clock)
// the dates were a third of a list page's cost.
func appendCreated(b []byte, ms int64, z zone) []byte {
	offset := z.offsetAt(ms)
	sec := floorDiv(ms, 1000)
	milli := int(ms - sec*1000)
	local := sec + int64(offset)
	days := floorDiv(local, 86400)
	rem := int(local - days*86400)
	year, month, day := civil(days)
	if year < 0 || year > 9999 {
		return time.UnixMilli(ms).In(z.loc).AppendFormat(b, createdLayout)
	}
	b = append4(b, year)
	b = append(b, '-')
	b = append2(b, month)
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = append2(b, rem/3600)
	b = append(b, ':')
	b = append2(b, rem/60%60)
	b = append(b, ':')
	b = append2(b, rem%60)
	b = append(b, '.')
	b = append(b, byte('0'+milli/100), byte('0'+milli/10%10), byte('0'+milli%10))
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	b = append(b, sign)
	b = append2(b, offset/3600)
	b = append(b, ':')
	return append2(b, offset/60%60)
}

// zone is where created_at is written: a location, and its offset when it never
// changes (a fixed zone, as the default +07:00 is), so that writing a date looks
// nothing up: the lookup was a fifth of a list page's dates.
type zone struct {
	loc    *time.Location
	fixed  bool
	offset int
}

func newZone(loc *time.Location) zone {
	t := time.Unix(0, 0).In(loc)
	start, end := t.ZoneBounds() // both zero: the zone in effect goes on forever
	_, offset := t.Zone()
	return zone{loc: loc, fixed: start.IsZero() && end.IsZero(), offset: offset}
}

// offsetAt is the zone's UTC offset, in seconds, at unix milliseconds ms.
func (z zone) offsetAt(ms int64) int {
	if z.fixed {
		return z.offset
	}
	_, offset := time.UnixMilli(ms).In(z.loc).Zone()
	return offset
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// civil turns days since 1970-01-01 into a proleptic Gregorian date (Howard
// Hinnant's days_from_civil, inverted).
func civil(days int64) (year, month, day int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10%10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// appendPageNumber writes n, or null when there is no such page.
func appendPageNumber(b []byte, n int64, exists bool) []byte {
	if !exists {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, n, 10)
}

// rowOrdered is a 422's fields as encoding/json writes them, in row order ("2.phone"
// before "10.name", "body" first) rather than the alphabetical order it gives a map.
type rowOrdered map[string]string

func (m rowOrdered) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, k := range errorKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		key, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(m[k])
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, key...), ':'), value...)
	}
	return append(b, '}'), nil
}
