package journal

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contactkit/contactkit/redact"
)

// A record is an exchange as the journal keeps it between Keep and a read: the
// first bytes of its texts and bodies, copied into one string, the header maps as
// the server had them, and the few fields filters read. Keep does no more than
// that on a server's hot path; the Entry (credentials out, every text clipped) is
// built from the record when someone reads it. The texts are kept a little past
// their clip (rawFactor), so that a credential taken out at read time cannot
// shorten a text below what the clip shows; a text cut at its raw bound is
// scrubbed as cut, so a credential it ends in the middle of never shows.
type record struct {
	raw    string          // the kept parts but the answer's body, back to back
	ends   [numParts]int32 // where each part ends in raw
	cut    [numParts]bool  // whether the part was cut at its bound
	answer *keptBody       // the answer's body, shared with records of the same one
	seq    int64
	time   time.Time
	took   time.Duration
	status int

	reqHeader, respHeader http.Header
	reqSize, respSize     int64 // the bodies' full sizes, -1 when unknown
	violations            []Violation
	moreViolations        int      // how many violations past MaxViolations were not kept
	secrets               []string // shared with the server: never written
	size                  int      // the bytes the record holds, for Config.MaxBytes
}

// The parts of a record's raw string.
const (
	partMethod = iota
	partURI
	partOp
	partApp
	partInjected
	partProblem
	partReqBody
	partRespBody
	numParts
)

// rawFactor is how much longer than its clip a text is kept raw.
const rawFactor = 2

// recordOverhead is what a record costs besides its texts, bodies, headers and
// violations: the struct in the ring, its maps' and slices' headers.
const recordOverhead = 200

// keptBody is an answer's body as kept, and its size as an entry writes it.
// The journal remembers the last one: a server that gives the same answer again
// and again (a polled page) keeps one string of it, measured once.
type keptBody struct {
	text string
	size int
}

// part returns part i of the record.
func (r *record) part(i int) string {
	if i == partRespBody {
		if r.answer == nil {
			return "" // a zero record: a slot of the ring emptied
		}
		return r.answer.text
	}
	start := int32(0)
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.raw[start:r.ends[i]]
}

// record keeps what an entry will need of x, bounded.
func (j *Journal) record(x Exchange) record {
	c := j.cfg
	texts := [partReqBody]string{x.Method, x.URI, x.OperationID, x.App, x.Injected, x.Problem}
	bounds := [partReqBody]int{maxMethod, rawFactor * c.MaxPath, rawFactor * c.MaxText, rawFactor * c.MaxText,
		rawFactor * c.MaxText, rawFactor * c.MaxText}
	r := record{time: x.Time, took: x.Duration, status: x.Status, secrets: x.Secrets,
		reqSize:  bodySize(x.RequestBody, x.RequestBodySize, x.RequestTruncated),
		respSize: bodySize(x.ResponseBody, x.ResponseBodySize, x.ResponseTruncated)}
	total := 0
	for i, s := range texts {
		texts[i] = redact.Cut(s, bounds[i])
		r.cut[i] = len(texts[i]) < len(s)
		total += len(texts[i])
	}
	reqBody := x.RequestBody[:min(len(x.RequestBody), c.MaxBody)]
	r.cut[partReqBody] = len(reqBody) < len(x.RequestBody) || x.RequestTruncated
	total += len(reqBody)
	// One allocation: the parts, back to back, in one string.
	var b strings.Builder
	b.Grow(total)
	for i, s := range texts {
		b.WriteString(s)
		r.ends[i] = int32(b.Len())
	}
	b.Write(reqBody)
	r.ends[partReqBody] = int32(b.Len())
	r.raw = b.String()
	respBody := x.ResponseBody[:min(len(x.ResponseBody), c.MaxBody)]
	r.cut[partRespBody] = len(respBody) < len(x.ResponseBody) || x.ResponseTruncated
	r.answer = j.keepBody(respBody)
	// The credentials the headers carry scrub every entry, this one's and the
	// others' (a token used as a bearer here, echoed by another answer): keepHeader
	// hands them to j.seen as it measures the headers.
	var reqBytes, respBytes int
	r.reqHeader, reqBytes = j.keepHeader(x.RequestHeader)
	r.respHeader, respBytes = j.keepHeader(x.ResponseHeader)
	for i, v := range x.Violations {
		if i == c.MaxViolations {
			r.moreViolations = len(x.Violations) - i
			break
		}
		t := func(s string) string { return keepText(s, rawFactor*c.MaxText) }
		r.violations = append(r.violations, Violation{Check: t(v.Check), Message: t(v.Message), Pointer: t(v.Pointer),
			Expected: t(v.Expected), Actual: t(v.Actual), Contract: t(v.Contract), Source: t(v.Source), Reading: t(v.Reading)})
	}
	r.size = r.sizeOf(reqBytes + respBytes)
	return r
}

// keepBody returns body kept: the last answer's body when it is the same bytes
// (compared whole, which costs far less than copying and measuring them), else a
// copy, measured, which becomes the last.
func (j *Journal) keepBody(body []byte) *keptBody {
	if len(body) == 0 {
		return &noBody
	}
	if last := j.lastBody.Load(); last != nil && last.text == string(body) {
		return last
	}
	text := string(body)
	kept := &keptBody{text: text, size: bodyJSONLen(text)}
	j.lastBody.Store(kept)
	return kept
}

var noBody keptBody

// bodySize is a body's full size as the entry reports it: given, or the body's
// own length when it was given whole.
func bodySize(body []byte, size int64, truncated bool) int64 {
	if size == 0 && !truncated {
		return int64(len(body))
	}
	return size
}

// keepText is s, or a copy of its first n bytes: a slice would keep all of s.
func keepText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.Clone(redact.Cut(s, n))
}

// keepHeader returns h itself when it is within the journal's bounds, the common
// case; otherwise a copy of what fits (MaxHeaders lines, each value kept raw as
// texts are), with a note that there were more. It also returns the bytes the
// header kept holds (headerBytes), and adds the credentials h carries to those
// seen, on the same walk.
func (j *Journal) keepHeader(h http.Header) (http.Header, int) {
	lines, bound, size := 0, rawFactor*j.cfg.MaxText, 0
	fits := true
	for name, values := range h {
		j.seen.AddHeaderLine(name, values)
		lines += len(values)
		for _, v := range values {
			fits = fits && len(v) <= bound && len(name) <= bound
			size += jsonLen(name) + jsonLen(v) + headerLineCost
		}
	}
	if fits && lines <= j.cfg.MaxHeaders {
		return h, size
	}
	out := make(http.Header, min(len(h), j.cfg.MaxHeaders+1))
	lines = 0
	for name, values := range h {
		for _, v := range values {
			if lines == j.cfg.MaxHeaders {
				out[truncatedHeader] = []string{"more headers not kept"}
				return out, headerBytes(out)
			}
			lines++
			k := keepText(name, bound)
			out[k] = append(out[k], keepText(v, bound))
		}
	}
	return out, headerBytes(out)
}

// headerLineCost is what a header line costs besides its name and value.
const headerLineCost = 16

// headerBytes is what h costs, as Config.MaxBytes counts it: written in JSON.
func headerBytes(h http.Header) int {
	n := 0
	for name, values := range h {
		for _, v := range values {
			n += jsonLen(name) + jsonLen(v) + headerLineCost
		}
	}
	return n
}

// truncatedHeader notes, in an entry's headers, that some were not kept.
const truncatedHeader = "X-Journal-Truncated"

// sizeOf is what r costs, counted as Config.MaxBytes counts it: every byte of
// its texts, bodies, headers (headers bytes, from headerBytes) and violations
// as its entry writes them in JSON (never fewer than it holds), and a fixed
// overhead. So the cap bounds what the journal's answer costs, too: a control
// byte held is six bytes written (\u0001), an HTML character six, a body that
// is not UTF-8 its base64.
func (r *record) sizeOf(headers int) int {
	n := recordOverhead + headers + r.answer.size
	for i := range partReqBody {
		n += jsonLen(r.part(i))
	}
	n += bodyJSONLen(r.part(partReqBody))
	for _, v := range r.violations {
		n += 64 + jsonLen(v.Check) + jsonLen(v.Message) + jsonLen(v.Pointer) + jsonLen(v.Expected) + jsonLen(v.Actual) + jsonLen(v.Contract)
	}
	return n
}

// bodyJSONLen is what a body costs in an entry: its JSON string's length, or its
// base64 when it is not UTF-8.
func bodyJSONLen(body string) int {
	if !utf8.ValidString(body) {
		return base64.StdEncoding.EncodedLen(len(body))
	}
	return jsonLen(body)
}

// jsonExtra is how many bytes encoding/json adds to an ASCII byte in a string:
// 1 for a quote, a backslash, \n, \r and \t; 5 for another control byte and
// for < > & (escaped for HTML: \u003c).
var jsonExtra = func() (t [utf8.RuneSelf]uint8) {
	for c := range 0x20 {
		t[c] = 5
	}
	for _, c := range "\"\\\n\r\t" {
		t[c] = 1
	}
	for _, c := range "<>&" {
		t[c] = 5
	}
	return t
}()

// jsonLen is the length of s as encoding/json writes it inside a string's
// quotes: an invalid byte becomes \ufffd (6), U+2028 and U+2029 are escaped (6).
func jsonLen(s string) int {
	// Most bodies (every answer the mock writes) are printable ASCII: then only
	// five bytes grow, counted by strings.Count, which the runtime vectorizes,
	// after one pass that reads eight bytes at a time. This runs on every request;
	// for a short text (a header) the five calls cost more than a byte loop.
	if len(s) >= minCountedText && printableASCII(s) {
		return len(s) + strings.Count(s, `"`) + strings.Count(s, `\`) +
			5*(strings.Count(s, "<")+strings.Count(s, ">")+strings.Count(s, "&"))
	}
	n := len(s)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n += int(jsonExtra[c])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 5
		case r == '\u2028' || r == '\u2029':
			n += 3
		}
		i += size
	}
	return n
}

// minCountedText is the length from which jsonLen counts with strings.Count.
const minCountedText = 64

// printableASCII reports whether every byte of s is at least a space and below
// 0x80, eight bytes a word: a byte below 0x20 borrows into its top bit when 0x20
// is taken from it, and a byte of 0x80 or more has it already.
func printableASCII(s string) bool {
	const highs, spaces = 0x8080808080808080, 0x2020202020202020
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if (w|(w-spaces)&^w)&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// entry builds r's entry: credentials out first, then every text clipped.
func (j *Journal) entry(r *record) Entry {
	reqHeader, secrets := redact.Header(r.reqHeader)
	respHeader, respSecrets := redact.Header(r.respHeader)
	secrets = append(append(secrets, respSecrets...), r.secrets...)
	sc := redact.NewScrubber(secrets...).With(j.seen.Scrubber())
	c := j.cfg
	// The raw string is the record's own and outlives the entry, so clips of it
	// are fine here; a text the server handed over is copied (a violation's).
	text := func(s string, cut bool) string {
		out, _ := sc.Clip(s, c.MaxText, cut)
		return out
	}
	e := Entry{
		Seq:         r.seq,
		Time:        r.time,
		Method:      r.part(partMethod),
		OperationID: text(r.part(partOp), r.cut[partOp]),
		App:         text(r.part(partApp), r.cut[partApp]),
		Status:      r.status,
		DurationMs:  float64(r.took.Microseconds()) / 1000,
		Injected:    text(r.part(partInjected), r.cut[partInjected]),
		Problem:     text(r.part(partProblem), r.cut[partProblem]),
		Violations:  make([]Violation, 0, len(r.violations)+1),
	}
	var pathCut bool
	e.Path, pathCut = sc.Clip(redact.Query(r.part(partURI)), c.MaxPath, r.cut[partURI])
	e.PathTruncated = pathCut || r.cut[partURI]
	e.Request = j.message(sc, reqHeader, r.part(partReqBody), r.reqSize, r.cut[partReqBody])
	e.Response = j.message(sc, respHeader, r.part(partRespBody), r.respSize, r.cut[partRespBody])
	bound := rawFactor * c.MaxText
	for _, v := range r.violations {
		vt := func(s string) string { return strings.Clone(text(s, len(s) == bound)) }
		e.Violations = append(e.Violations, Violation{Check: vt(v.Check), Message: vt(v.Message), Pointer: vt(v.Pointer),
			Expected: vt(v.Expected), Actual: vt(v.Actual), Contract: vt(v.Contract), Source: vt(v.Source), Reading: vt(v.Reading)})
	}
	if r.moreViolations > 0 {
		e.Violations = append(e.Violations, Violation{Check: "more", Message: strconv.Itoa(r.moreViolations) + " more violations not kept"})
	}
	return e
}

// message builds a request's or an answer's side of an entry from its headers
// (credentials already masked), its kept body and the body's full size.
func (j *Journal) message(sc *redact.Scrubber, h http.Header, body string, size int64, cut bool) Message {
	m := Message{BodyBytes: size}
	bound := rawFactor * j.cfg.MaxText
	if len(h) > 0 {
		m.Header = make(http.Header, min(len(h), j.cfg.MaxHeaders+1))
		lines := 0
		for name, values := range h {
			for _, v := range values {
				if lines == j.cfg.MaxHeaders {
					m.Header[truncatedHeader] = []string{"more headers not kept"}
					break
				}
				lines++
				// A value at its raw bound may have been cut there.
				k, _ := sc.Clip(redact.Cut(name, j.cfg.MaxText), j.cfg.MaxText, false)
				val, _ := sc.Clip(v, j.cfg.MaxText, len(v) == bound)
				m.Header[k] = append(m.Header[k], val)
			}
		}
	}
	if len(body) == 0 {
		m.Truncated = cut
		return m
	}
	// Fields named like a credential (a password, an issued token) are masked
	// whatever their value, before the credentials known are scrubbed.
	body, values := redact.Fields(body)
	j.seen.Add(values...)
	if utf8.ValidString(body) {
		m.Body, m.Truncated = sc.Clip(body, j.cfg.MaxBody, cut)
		m.Truncated = m.Truncated || cut
		return m
	}
	// Not text: scrub what can be, then keep base64 of the start.
	raw := sc.Scrub(body)
	short := len(raw) > j.cfg.MaxBody*3/4
	if short {
		raw = raw[:j.cfg.MaxBody*3/4]
	}
	m.Body, m.BodyEncoding, m.Truncated = base64.StdEncoding.EncodeToString([]byte(raw)), "base64", short || cut
	return m
}
