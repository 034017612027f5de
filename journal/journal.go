package journal

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

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

// Violation is one way an exchange breaks the contract, or departs from a reading
// of its silences (Source "reading"); its fields are those of check.Finding,
// which the proxy fills it from.
type Violation struct {
	Check    string `json:"check"`
	Message  string `json:"message"`
	Pointer  string `json:"pointer,omitempty"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	Contract string `json:"contract,omitempty"`
	// Source is what the broken assertion rests on: "docs" (when empty), "http",
	// or "reading", a reading of a silence of the docs, named by Reading; a
	// departure from a reading is worth a look, not a violation.
	Source  string `json:"source,omitempty"`
	Reading string `json:"reading,omitempty"`
}

// Exchange is what a server saw, handed to Keep or Add. They keep it bounded, as
// it came: the texts and bodies as copies of their first bytes, the header maps
// themselves (copied only when too large); the Entry, redacted and clipped, is
// built when it is read.
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
	// listening is len(subs), read without the lock: Keep builds an entry for
	// the live feed only when someone listens.
	listening atomic.Int32
	// seen is the credentials of the exchanges kept (their headers'; their
	// bodies' credential fields, once an entry is built), so that every entry
	// is scrubbed of them, whichever exchange carried them; bounded.
	seen redact.Seen
	// lastBody is the answer body kept last (record.go's keepBody).
	lastBody atomic.Pointer[keptBody]

	// mu guards every field below.
	mu      sync.Mutex
	ring    []record // capacity cfg.MaxEntries; records ring[head], ring[head+1], ...
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
	return &Journal{cfg: cfg, ring: make([]record, cfg.MaxEntries), subs: map[*subscriber]struct{}{}}
}

// Keep keeps x, dropping the oldest records past the bounds, and sends its entry
// to the live feed's listeners. It is what a server calls on every exchange, so it
// does the least it can: it copies the first bytes of x's texts and bodies and
// keeps the header maps themselves (the caller must not change them afterwards);
// the credentials come out and the texts are clipped when an entry is read.
func (j *Journal) Keep(x Exchange) {
	j.keep(j.record(x), false)
}

// Add is Keep (x's header maps are kept as they are, too), and returns the entry
// as a reader will see it: building it costs what reading it does, so a server
// on a hot path calls Keep.
func (j *Journal) Add(x Exchange) Entry {
	e, _ := j.keep(j.record(x), true)
	return e
}

// keep stores r and feeds the listeners; with want (or listeners) it builds r's
// entry too, outside the lock.
func (j *Journal) keep(r record, want bool) (Entry, bool) {
	var e Entry
	built := want || j.listening.Load() > 0
	if built {
		e = j.entry(&r) // learns its bodies' credentials as it masks them
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	r.seq, e.Seq = j.seq, j.seq
	for j.n > 0 && (j.n == len(j.ring) || j.bytes+r.size > j.cfg.MaxBytes) {
		j.dropOldest()
	}
	if r.size <= j.cfg.MaxBytes {
		j.ring[(j.head+j.n)%len(j.ring)] = r
		j.n++
		j.bytes += r.size
	}
	if !built {
		return e, false
	}
	for s := range j.subs {
		select {
		case s.ch <- e:
		default:
			// Never wait for a listener: one that fell behind is dropped, and may
			// reconnect with Last-Event-ID.
			j.unsubscribe(s)
			j.dropped++
		}
	}
	return e, true
}

func (j *Journal) dropOldest() {
	j.bytes -= j.ring[j.head].size
	j.ring[j.head] = record{}
	j.head = (j.head + 1) % len(j.ring)
	j.n--
}

// Entries returns the kept entries f selects, oldest first; never nil. Each is
// built from its record now: credentials out, texts clipped.
func (j *Journal) Entries(f Filter) []Entry {
	picked := j.pick(f)
	out := make([]Entry, len(picked))
	for i := range picked {
		out[i] = j.built(&picked[i])
	}
	return out
}

// pick returns the records f selects, oldest first: copies of the ring's
// records, which share their strings, so a reader that builds their entries one
// at a time holds one entry at a time.
func (j *Journal) pick(f Filter) []record {
	j.mu.Lock()
	picked := make([]record, 0, j.n)
	for i := range j.n {
		r := &j.ring[(j.head+i)%len(j.ring)]
		if f.matches(r.seq, r.time, r.status, r.part(partOp), r.part(partApp)) {
			picked = append(picked, *r)
		}
	}
	j.mu.Unlock()
	// Every credential the picked records carry scrubs every entry built from
	// them, whichever exchange carried it.
	for i := range picked {
		j.learn(&picked[i])
	}
	return picked
}

// learn adds the credentials r's bodies carry in fields named like one (a
// password, a token an answer issues) to the credentials seen.
func (j *Journal) learn(r *record) {
	for _, p := range []int{partReqBody, partRespBody} {
		_, values := redact.Fields(r.part(p))
		j.seen.Add(values...)
	}
}

// built is r's entry with its sequence number.
func (j *Journal) built(r *record) Entry {
	e := j.entry(r)
	e.Seq = r.seq
	return e
}

// Scrubber returns a Scrubber of the credentials the journal has seen (see
// redact.Seen), for what a server writes besides the journal: its log lines,
// its recordings.
func (j *Journal) Scrubber() *redact.Scrubber { return j.seen.Scrubber() }

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
		j.unsubscribe(s)
	}
}

// unsubscribe ends s's feed. The caller holds j.mu.
func (j *Journal) unsubscribe(s *subscriber) {
	delete(j.subs, s)
	close(s.ch)
	j.listening.Store(int32(len(j.subs)))
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
	j.listening.Store(int32(len(j.subs)))
	stop := func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		if _, ok := j.subs[s]; ok {
			j.unsubscribe(s)
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
