package journal

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/contactkit/contactkit/redact"
)

// Defaults for Config's zero fields.
const (
	// DefaultMaxEntries is how many recent exchanges a journal keeps.
	DefaultMaxEntries = 1000
	// DefaultMaxBytes bounds the bytes all kept entries hold together; the oldest
	// go first when a new one would pass it.
	DefaultMaxBytes = 32 << 20
	// DefaultMaxBody is how much of each request and answer body an entry keeps.
	DefaultMaxBody = 64 << 10
	// DefaultMaxPath is how much of the request line's path and query an entry keeps.
	DefaultMaxPath = 512
	// DefaultMaxText bounds a method, an app id, a problem, an injected fault's
	// description and each text of a violation.
	DefaultMaxText = 1024
	// DefaultMaxHeaders is how many header lines of a request or an answer an entry
	// keeps, each value clipped to DefaultMaxText.
	DefaultMaxHeaders = 64
	// DefaultMaxViolations is how many violations an entry keeps; the count of the
	// rest is said in one more.
	DefaultMaxViolations = 50
	// DefaultMaxSubscribers caps the live feed's listeners at once.
	DefaultMaxSubscribers = 16
	// DefaultSubscriberBuffer is how many entries a listener may fall behind before
	// it is dropped.
	DefaultSubscriberBuffer = 256
)

// maxMethod bounds a method: no real one is longer.
const maxMethod = 32

// Config bounds a Journal. Its zero value uses the defaults; a negative MaxBody
// keeps no bodies.
type Config struct {
	MaxEntries       int
	MaxBytes         int
	MaxBody          int
	MaxPath          int
	MaxText          int
	MaxHeaders       int
	MaxViolations    int
	MaxSubscribers   int
	SubscriberBuffer int
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxEntries, DefaultMaxEntries)
	def(&c.MaxBytes, DefaultMaxBytes)
	def(&c.MaxBody, DefaultMaxBody)
	def(&c.MaxPath, DefaultMaxPath)
	def(&c.MaxText, DefaultMaxText)
	def(&c.MaxHeaders, DefaultMaxHeaders)
	def(&c.MaxViolations, DefaultMaxViolations)
	def(&c.MaxSubscribers, DefaultMaxSubscribers)
	def(&c.SubscriberBuffer, DefaultSubscriberBuffer)
	if c.MaxBody < 0 {
		c.MaxBody = 0
	}
	return c
}

// Entry is one exchange as the journal keeps it. Its JSON field names are the
// admin API's; time, method, path, operation_id, status, duration_ms and problem
// are those the mock has always served.
type Entry struct {
	// Seq numbers entries from 1 in the order they were added; ?since=N and the
	// live feed's event ids use it.
	Seq         int64     `json:"seq"`
	Time        time.Time `json:"time"`
	Method      string    `json:"method"`
	Path        string    `json:"path"` // path and query as sent, clipped, credentials redacted
	OperationID string    `json:"operation_id,omitempty"`
	App         string    `json:"app,omitempty"`
	Status      int       `json:"status"`
	DurationMs  float64   `json:"duration_ms"`
	Request     Message   `json:"request"`
	Response    Message   `json:"response"`
	// Violations is the contract's verdict: empty (never null) when the exchange
	// conforms.
	Violations []Violation `json:"violations"`
	// Injected describes a fault injected on purpose (the mock's faults); empty for
	// an answer the server gave as its contract says.
	Injected string `json:"injected,omitempty"`
	Problem  string `json:"problem,omitempty"`
	// PathTruncated says Path was clipped.
	PathTruncated bool `json:"path_truncated,omitempty"`

	size int // bytes the entry holds, for the byte bound
}

// Message is a request or an answer: its headers and its body, clipped.
type Message struct {
	Header http.Header `json:"headers,omitempty"`
	// Body is the body as text, or in base64 when BodyEncoding says so (a body
	// that is not UTF-8).
	Body         string `json:"body,omitempty"`
	BodyEncoding string `json:"body_encoding,omitempty"`
	// BodyBytes is the body's full size when known, -1 when it is not.
	BodyBytes int64 `json:"body_bytes"`
	// Truncated says Body holds only the start of the body.
	Truncated bool `json:"truncated,omitempty"`
}

// Violation is one way an exchange breaks the contract; its fields are those of
// conformance.Finding, which the proxy fills it from.
type Violation struct {
	Check    string `json:"check"`
	Message  string `json:"message"`
	Pointer  string `json:"pointer,omitempty"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	Contract string `json:"contract,omitempty"`
}

// Exchange is what a server saw, handed to Add, which bounds and redacts it into
// an Entry. Add keeps none of its slices or maps.
type Exchange struct {
	Time     time.Time
	Duration time.Duration
	Method   string
	// URI is the request line's target, path and query, as sent.
	URI         string
	OperationID string
	App         string
	Status      int

	RequestHeader http.Header
	RequestBody   []byte
	// RequestBodySize is the request body's full size: -1 when unknown, 0 means
	// len(RequestBody).
	RequestBodySize int64
	// RequestTruncated says RequestBody is only the start of the body.
	RequestTruncated bool

	ResponseHeader    http.Header
	ResponseBody      []byte
	ResponseBodySize  int64
	ResponseTruncated bool

	Violations []Violation
	Injected   string
	Problem    string
	// Secrets are credentials to scrub beyond those the request's headers carry
	// (which Add finds itself), such as an admin token.
	Secrets []string
}

// ErrClosed is what Subscribe returns once the journal is closed.
var ErrClosed = errors.New("journal closed")

// ErrTooManySubscribers is what Subscribe returns when the live feed has as many
// listeners as Config.MaxSubscribers.
var ErrTooManySubscribers = errors.New("too many live feed subscribers")

// Journal is a bounded ring of recent exchanges with a live feed. It is safe for
// concurrent use.
type Journal struct {
	cfg Config

	// mu guards every field below.
	mu      sync.Mutex
	ring    []Entry // capacity cfg.MaxEntries; entries ring[head], ring[head+1], ...
	head    int
	n       int
	bytes   int
	seq     int64
	subs    map[*subscriber]struct{}
	closed  bool
	dropped int64 // subscribers dropped for falling behind, for the health answer
}

// New returns an empty journal bounded by cfg.
func New(cfg Config) *Journal {
	cfg = cfg.withDefaults()
	return &Journal{cfg: cfg, ring: make([]Entry, cfg.MaxEntries), subs: map[*subscriber]struct{}{}}
}

// Add redacts and bounds x, keeps it (dropping the oldest entries past the
// bounds), sends it to the live feed's subscribers, and returns the entry kept.
func (j *Journal) Add(x Exchange) Entry {
	e := j.entry(x)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	for j.n > 0 && (j.n == len(j.ring) || j.bytes+e.size > j.cfg.MaxBytes) {
		j.dropOldest()
	}
	if e.size <= j.cfg.MaxBytes {
		j.ring[(j.head+j.n)%len(j.ring)] = e
		j.n++
		j.bytes += e.size
	}
	for s := range j.subs {
		select {
		case s.ch <- e:
		default:
			// Never wait for a listener: one that fell behind is dropped, and may
			// reconnect with Last-Event-ID.
			delete(j.subs, s)
			close(s.ch)
			j.dropped++
		}
	}
	return e
}

func (j *Journal) dropOldest() {
	j.bytes -= j.ring[j.head].size
	j.ring[j.head] = Entry{}
	j.head = (j.head + 1) % len(j.ring)
	j.n--
}

// entry builds the kept form of x: credentials out first, then every text clipped.
func (j *Journal) entry(x Exchange) Entry {
	reqHeader, secrets := redact.Header(x.RequestHeader)
	respHeader, respSecrets := redact.Header(x.ResponseHeader)
	secrets = append(append(secrets, respSecrets...), x.Secrets...)
	sc := redact.NewScrubber(secrets...)
	c := j.cfg
	// Every kept string is a copy of its own: a clipped one would otherwise be a
	// slice of what the server read (a whole request line, a 1 MB header or
	// body) and keep all of it in memory.
	text := func(s string) string {
		out, _ := sc.Clip(s, c.MaxText, false)
		return strings.Clone(out)
	}
	e := Entry{
		Time:        x.Time,
		Method:      strings.Clone(redact.Cut(x.Method, maxMethod)),
		OperationID: text(x.OperationID),
		App:         text(x.App),
		Status:      x.Status,
		DurationMs:  float64(x.Duration.Microseconds()) / 1000,
		Injected:    text(x.Injected),
		Problem:     text(x.Problem),
		Violations:  []Violation{},
	}
	e.Path, e.PathTruncated = sc.Clip(redact.Query(x.URI), c.MaxPath, false)
	e.Path = strings.Clone(e.Path)
	e.Request = j.message(sc, reqHeader, x.RequestBody, x.RequestBodySize, x.RequestTruncated)
	e.Response = j.message(sc, respHeader, x.ResponseBody, x.ResponseBodySize, x.ResponseTruncated)
	for i, v := range x.Violations {
		if i == c.MaxViolations {
			e.Violations = append(e.Violations, Violation{Check: "more", Message: strconv.Itoa(len(x.Violations)-i) + " more violations not kept"})
			break
		}
		e.Violations = append(e.Violations, Violation{Check: text(v.Check), Message: text(v.Message), Pointer: text(v.Pointer),
			Expected: text(v.Expected), Actual: text(v.Actual), Contract: text(v.Contract)})
	}
	e.size = e.sizeOf()
	return e
}

func (j *Journal) message(sc *redact.Scrubber, h http.Header, body []byte, size int64, truncated bool) Message {
	m := Message{BodyBytes: size}
	if size == 0 && !truncated {
		m.BodyBytes = int64(len(body))
	}
	if len(h) > 0 {
		m.Header = make(http.Header, min(len(h), j.cfg.MaxHeaders))
		lines := 0
		for name, values := range h {
			for _, v := range values {
				if lines == j.cfg.MaxHeaders {
					m.Header["X-Journal-Truncated"] = []string{"more headers not kept"}
					break
				}
				lines++
				// A header's name and value are strings of their own; only a
				// clipped one is a slice that would pin the rest.
				k, kcut := sc.Clip(redact.Cut(name, j.cfg.MaxText), j.cfg.MaxText, false)
				if kcut || len(k) < len(name) {
					k = strings.Clone(k)
				}
				val, vcut := sc.Clip(v, j.cfg.MaxText, false)
				if vcut {
					val = strings.Clone(val)
				}
				m.Header[k] = append(m.Header[k], val)
			}
		}
	}
	if j.cfg.MaxBody == 0 || len(body) == 0 {
		m.Truncated = truncated || len(body) > 0
		return m
	}
	if utf8.Valid(body) {
		text := string(body)
		m.Body, m.Truncated = sc.Clip(text, j.cfg.MaxBody, truncated)
		if len(m.Body) < len(text) {
			m.Body = strings.Clone(m.Body) // a clip would pin the whole copy
		}
		return m
	}
	// Not text: scrub what can be, then keep base64 of the start.
	raw := sc.Scrub(string(body))
	cut := len(raw) > j.cfg.MaxBody*3/4
	if cut {
		raw = raw[:j.cfg.MaxBody*3/4]
	}
	m.Body, m.BodyEncoding, m.Truncated = base64.StdEncoding.EncodeToString([]byte(raw)), "base64", cut || truncated
	return m
}

func (e *Entry) sizeOf() int {
	n := 200 + len(e.Method) + len(e.Path) + len(e.OperationID) + len(e.App) + len(e.Injected) + len(e.Problem)
	for _, m := range []*Message{&e.Request, &e.Response} {
		n += len(m.Body)
		for k, vs := range m.Header {
			for _, v := range vs {
				n += len(k) + len(v) + 16
			}
		}
	}
	for _, v := range e.Violations {
		n += 64 + len(v.Check) + len(v.Message) + len(v.Pointer) + len(v.Expected) + len(v.Actual) + len(v.Contract)
	}
	return n
}

// Entries returns copies of the kept entries f selects, oldest first; never nil.
func (j *Journal) Entries(f Filter) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Entry, 0, j.n)
	for i := range j.n {
		e := j.ring[(j.head+i)%len(j.ring)]
		if f.Match(e) {
			out = append(out, e)
		}
	}
	return out
}

// Len returns how many entries the journal holds, and their bytes.
func (j *Journal) Len() (entries, bytes int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.n, j.bytes
}

// Clear forgets every entry; sequence numbers go on from where they were.
func (j *Journal) Clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.ring)
	j.head, j.n, j.bytes = 0, 0, 0
}

// Close ends every live feed and refuses new ones, so a server's Shutdown does not
// wait on them. Entries can still be added and read.
func (j *Journal) Close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	for s := range j.subs {
		delete(j.subs, s)
		close(s.ch)
	}
}

// subscriber is one listener of the live feed.
type subscriber struct{ ch chan Entry }

// Subscribe returns a channel of every entry added from now on, and a function
// to stop listening. The channel is closed when the listener falls more than
// Config.SubscriberBuffer entries behind, or when the journal closes. It fails
// with ErrTooManySubscribers or ErrClosed.
func (j *Journal) Subscribe() (<-chan Entry, func(), error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, nil, ErrClosed
	}
	if len(j.subs) >= j.cfg.MaxSubscribers {
		return nil, nil, ErrTooManySubscribers
	}
	s := &subscriber{ch: make(chan Entry, j.cfg.SubscriberBuffer)}
	j.subs[s] = struct{}{}
	stop := func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		if _, ok := j.subs[s]; ok {
			delete(j.subs, s)
			close(s.ch)
		}
	}
	return s.ch, stop, nil
}

// Stats are the journal's counters, for a health answer.
type Stats struct {
	Entries     int   `json:"entries"`
	Bytes       int   `json:"bytes"`
	Seq         int64 `json:"seq"`
	Subscribers int   `json:"subscribers"`
	Dropped     int64 `json:"subscribers_dropped"`
}

// Stats returns the journal's counters.
func (j *Journal) Stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return Stats{Entries: j.n, Bytes: j.bytes, Seq: j.seq, Subscribers: len(j.subs), Dropped: j.dropped}
}
