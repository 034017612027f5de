package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
)

// Faults make the mock misbehave on purpose, outside the contract: a status the
// docs do not document, a cut connection, a truncated or malformed body, a random
// latency. A rule matches requests by operation, app and method, after the bearer
// check (so a client without a token cannot spend one), for its next N matches or
// with a probability drawn from a generator seeded by --seed and the rule's
// number, so the same run injects the same faults. Every injected answer is
// journaled and logged as injected. Prefer is unchanged: it gives documented
// answers only.

// DefaultMaxFaults bounds how many fault rules are kept at once.
const DefaultMaxFaults = 100

// maxFaultBody bounds a POST /__admin/faults body.
const maxFaultBody = 64 << 10

// What a fault does besides a status.
const (
	CutReset     = "reset"     // the connection is closed with a TCP reset, no answer
	CutClose     = "close"     // the connection is closed cleanly, no answer
	BodyTruncate = "truncated" // the answer stops halfway, short of its Content-Length
	BodyMalform  = "malformed" // the answer's body is cut to invalid JSON, framed right
)

// FaultRule is one fault rule as the admin API and --fault take it. Zero fields
// match anything (Op, App, Method) or do nothing.
type FaultRule struct {
	// ID numbers a rule; the server assigns it.
	ID     int    `json:"id"`
	Op     string `json:"op,omitempty"`
	App    string `json:"app,omitempty"`
	Method string `json:"method,omitempty"`
	// Status answers this status (429 or 5xx) in the envelope instead of the real
	// answer; nothing is stored.
	Status int `json:"status,omitempty"`
	// RetryAfter is the Retry-After header's seconds; a 429 sends 1 unless set.
	RetryAfter int    `json:"retry_after,omitempty"`
	Cut        string `json:"cut,omitempty"`
	Body       string `json:"body,omitempty"`
	// LatencyMs adds a delay drawn from [min, max] milliseconds ([n] is exactly n).
	LatencyMs []int64 `json:"latency_ms,omitempty"`
	// Times fires the rule on its next Times matches only; 0 means every time.
	Times int `json:"times,omitempty"`
	// Rate fires the rule with this probability per match; 0 means always.
	Rate float64 `json:"rate,omitempty"`
	// Hits counts the times the rule fired (read only).
	Hits int `json:"hits"`
}

// fault is a rule in force with its own generator and count.
type fault struct {
	FaultRule
	rng *rand.Rand
}

// faults is the rules in force.
type faults struct {
	seed int64
	max  int
	// n is len(rules), read without the lock so that no rule costs nothing.
	n atomic.Int32
	// mu guards rules and next; each rule's generator and Hits too.
	mu    sync.Mutex
	rules []*fault
	next  int
}

func newFaults(seed int64) *faults {
	return &faults{seed: seed, max: DefaultMaxFaults}
}

// set replaces the rules with rules (numbered afresh from 1, generators seeded
// afresh), as at start and on reset.
func (f *faults) set(rules []FaultRule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules, f.next = nil, 0
	f.n.Store(0)
	return f.addLocked(rules)
}

// add appends rules and returns them with their ids.
func (f *faults) add(rules []FaultRule) ([]FaultRule, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	start := len(f.rules)
	if err := f.addLocked(rules); err != nil {
		return nil, err
	}
	out := make([]FaultRule, 0, len(rules))
	for _, r := range f.rules[start:] {
		out = append(out, r.FaultRule)
	}
	return out, nil
}

func (f *faults) addLocked(rules []FaultRule) error {
	if len(f.rules)+len(rules) > f.max {
		return fmt.Errorf("at most %d fault rules at once; DELETE /__admin/faults clears them", f.max)
	}
	for _, r := range rules {
		f.next++
		r.ID, r.Hits = f.next, 0
		f.rules = append(f.rules, &fault{FaultRule: r, rng: rand.New(rand.NewPCG(uint64(f.seed), uint64(r.ID)))})
	}
	f.n.Store(int32(len(f.rules)))
	return nil
}

func (f *faults) list() []FaultRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FaultRule, 0, len(f.rules))
	for _, r := range f.rules {
		out = append(out, r.FaultRule)
	}
	return out
}

func (f *faults) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
	f.n.Store(0)
}

// injected is a rule that fired for one request: what it does, drawn once.
type injected struct {
	rule  FaultRule
	delay time.Duration
}

// pick returns the first rule that matches the request and fires, or nil.
func (f *faults) pick(opID, app, method string) *injected {
	if f == nil || f.n.Load() == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		switch {
		case r.Op != "" && r.Op != opID,
			r.App != "" && r.App != app,
			r.Method != "" && r.Method != method,
			r.Times > 0 && r.Hits >= r.Times:
			continue
		}
		if r.Rate > 0 && r.rng.Float64() >= r.Rate {
			continue
		}
		r.Hits++
		in := &injected{rule: r.FaultRule}
		if l := r.LatencyMs; len(l) > 0 {
			ms := l[0]
			if len(l) == 2 && l[1] > l[0] {
				ms += r.rng.Int64N(l[1] - l[0] + 1)
			}
			in.delay = time.Duration(ms) * time.Millisecond
		}
		return in
	}
	return nil
}

// preempts reports whether the fault replaces the answer before the request is
// handled (a status or a cut), so nothing is stored.
func (in *injected) preempts() bool {
	return in != nil && (in.rule.Status != 0 || in.rule.Cut != "")
}

// describe says what was injected, for the journal, the log and the answer.
func (in *injected) describe() string {
	r := in.rule
	var parts []string
	switch {
	case r.Status != 0:
		parts = append(parts, "status "+strconv.Itoa(r.Status))
	case r.Cut != "":
		parts = append(parts, "cut "+r.Cut)
	case r.Body != "":
		parts = append(parts, "body "+r.Body)
	}
	if in.delay > 0 || len(r.LatencyMs) > 0 {
		parts = append(parts, "latency "+strconv.FormatInt(in.delay.Milliseconds(), 10)+"ms")
	}
	return "fault rule " + strconv.Itoa(r.ID) + ": " + strings.Join(parts, ", ")
}

// applyFault makes a what the fault says: in place of the answer (a status, a
// cut) or on it (a body, a latency).
func (s *Server) applyFault(a *answer) {
	in := a.fault
	a.injected = in.describe()
	r := in.rule
	switch {
	case r.Status != 0:
		msg := "Injected by the mock (" + a.injected + "): not an answer of the API."
		*a = answer{status: r.Status, body: contactkit.Envelope(r.Status, s.spec.Word(r.Status), msg, nil), opID: a.opID, route: a.route, params: a.params,
			fault: in, injected: a.injected}
		retry := r.RetryAfter
		if retry == 0 && r.Status == http.StatusTooManyRequests {
			retry = 1
		}
		if retry > 0 {
			a.header = http.Header{"Retry-After": {strconv.Itoa(retry)}}
		}
	case r.Cut != "":
		a.serve = func(w http.ResponseWriter, _ *http.Request) { cut(w, r.Cut == CutReset) }
	case r.Body == BodyMalform && len(a.body) > 1:
		// Framed right, but half a JSON document: a parser must refuse it.
		a.body = append([]byte(nil), a.body[:len(a.body)/2]...)
		if a.pooled {
			a.pooled = false // the copy is not the pool's; the original goes back to it
		}
	case r.Body == BodyTruncate && len(a.body) > 1:
		body, status := append([]byte(nil), a.body...), a.status
		// Content-Length promises the whole body; half comes, then net/http
		// closes the connection because the handler wrote less than it said. The
		// headers are the answer's, set (and journaled) before it is written.
		a.header = http.Header{"Content-Type": hdrJSON, "Content-Length": {strconv.Itoa(len(body))}}
		a.serve = func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write(body[:len(body)/2])
			_ = http.NewResponseController(w).Flush()
		}
	}
	if in.delay > 0 {
		// With a Prefer delay, the two stay within the one cap the timeouts allow.
		a.faultDelay = max(0, min(in.delay, s.cfg.MaxDelay-a.delay))
	}
}

// cut closes the client's connection without an answer; with reset, as a TCP RST.
func cut(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// A writer that cannot be hijacked (HTTP/2, a test recorder): the closest
		// is a reset of the stream, which net/http does on this panic.
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// FaultError is a fault rule the mock refuses, naming the field at fault.
type FaultError struct {
	Field string
	Msg   string
}

func (e *FaultError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// check refuses a rule that could not be meant, or that the contract covers.
func (r *FaultRule) check(spec *contactkit.Spec, maxDelay time.Duration) error {
	methods := map[string]bool{}
	for _, op := range spec.Ops() {
		methods[op.Method] = true
	}
	switch {
	case r.ID != 0 || r.Hits != 0:
		return &FaultError{"id", "set by the mock; leave id and hits out"}
	case r.Op != "" && spec.Op(r.Op) == nil:
		return &FaultError{"op", fmt.Sprintf("%q is no operation of the contract (%s)", clip(r.Op, 64), opNames(spec))}
	case r.Method != "" && !methods[r.Method]:
		return &FaultError{"method", fmt.Sprintf("%q: want one of the contract's methods (%s)", clip(r.Method, 16), strings.Join(slices.Sorted(maps.Keys(methods)), ", "))}
	case len(r.App) > maxDataAppID:
		return &FaultError{"app", fmt.Sprintf("longer than %d bytes", maxDataAppID)}
	case r.Status != 0 && r.Status != http.StatusTooManyRequests && (r.Status < 500 || r.Status > 599):
		return &FaultError{"status", fmt.Sprintf("%d: want 429 or 500-599; documented answers come from the Prefer header", r.Status)}
	case r.RetryAfter < 0 || r.RetryAfter > 3600:
		return &FaultError{"retry_after", "want 0 to 3600 seconds"}
	case r.RetryAfter > 0 && r.Status != http.StatusTooManyRequests && r.Status != http.StatusServiceUnavailable:
		return &FaultError{"retry_after", "goes with status 429 or 503"}
	case r.Cut != "" && r.Cut != CutReset && r.Cut != CutClose:
		return &FaultError{"cut", fmt.Sprintf("%q: want %q or %q", clip(r.Cut, 16), CutReset, CutClose)}
	case r.Body != "" && r.Body != BodyTruncate && r.Body != BodyMalform:
		return &FaultError{"body", fmt.Sprintf("%q: want %q or %q", clip(r.Body, 16), BodyTruncate, BodyMalform)}
	case btoi(r.Status != 0)+btoi(r.Cut != "")+btoi(r.Body != "") > 1:
		return &FaultError{"", "one of status, cut and body per rule"}
	case r.Status == 0 && r.Cut == "" && r.Body == "" && len(r.LatencyMs) == 0:
		return &FaultError{"", "a rule needs status, cut, body or latency_ms"}
	case len(r.LatencyMs) > 2:
		return &FaultError{"latency_ms", "want [min, max] or [ms]"}
	case r.Times < 0 || r.Times > 1_000_000:
		return &FaultError{"times", "want 1 to 1000000, or 0 for every time"}
	case r.Rate < 0 || r.Rate > 1 || r.Rate != r.Rate:
		return &FaultError{"rate", "want a probability from 0 to 1; 0 means always"}
	}
	for _, ms := range r.LatencyMs {
		if ms < 0 || time.Duration(ms)*time.Millisecond > maxDelay {
			return &FaultError{"latency_ms", fmt.Sprintf("want 0 to %d ms", maxDelay.Milliseconds())}
		}
	}
	if len(r.LatencyMs) == 2 && r.LatencyMs[0] > r.LatencyMs[1] {
		return &FaultError{"latency_ms", "min above max"}
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func opNames(spec *contactkit.Spec) string {
	var names []string
	for _, op := range spec.Ops() {
		names = append(names, op.ID)
	}
	return strings.Join(names, ", ")
}

// decodeFaults reads a POST /__admin/faults body: one rule or a list, strictly
// (an unknown key is an error, not a rule that silently matches everything).
func decodeFaults(body []byte) ([]FaultRule, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, &FaultError{"", `want a rule such as {"op":"listContacts","status":503,"times":2}`}
	}
	var rules []FaultRule
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var err error
	if body[0] == '[' {
		err = dec.Decode(&rules)
	} else {
		var r FaultRule
		err = dec.Decode(&r)
		rules = []FaultRule{r}
	}
	if err == nil && dec.More() {
		err = errors.New("more after the JSON value")
	}
	if err != nil {
		return nil, &FaultError{"", "not a fault rule: " + clip(jsonProblem(err), 200)}
	}
	if len(rules) == 0 {
		return nil, &FaultError{"", "an empty list of rules"}
	}
	return rules, nil
}

// jsonProblem words a decoding error without Go's type names.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("%s: want a %s", typeErr.Field, typeErr.Type.Kind())
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// ParseFault reads a --fault flag's value, key=value pairs separated by commas:
//
//	op=listContacts,status=503,rate=0.1
//	app=my-app,method=POST,cut=reset,times=1
//	op=listContacts,latency=200ms-2s
//
// Keys are those of a rule's JSON (op, app, method, status, retry_after, cut,
// body, times, rate) plus latency, a duration or a range of two.
func ParseFault(s string) (FaultRule, error) {
	var r FaultRule
	for _, pair := range strings.Split(s, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || value == "" {
			return r, fmt.Errorf("%q: want key=value pairs such as op=listContacts,status=503,rate=0.1", clip(pair, 40))
		}
		var err error
		switch key {
		case "op":
			r.Op = value
		case "app":
			r.App = value
		case "method":
			r.Method = strings.ToUpper(value)
		case "status":
			r.Status, err = strconv.Atoi(value)
		case "retry_after":
			r.RetryAfter, err = strconv.Atoi(value)
		case "cut":
			r.Cut = value
		case "body":
			r.Body = value
		case "times":
			r.Times, err = strconv.Atoi(value)
		case "rate":
			r.Rate, err = strconv.ParseFloat(value, 64)
		case "latency":
			lo, hi, isRange := strings.Cut(value, "-")
			var a, b time.Duration
			if a, err = time.ParseDuration(lo); err == nil {
				r.LatencyMs = []int64{a.Milliseconds()}
				if isRange {
					if b, err = time.ParseDuration(hi); err == nil {
						r.LatencyMs = append(r.LatencyMs, b.Milliseconds())
					}
				}
			}
		default:
			return r, fmt.Errorf("unknown key %q (want op, app, method, status, retry_after, cut, body, latency, times, rate)", clip(key, 20))
		}
		if err != nil {
			return r, fmt.Errorf("%s=%s: not a number or duration", key, clip(value, 20))
		}
	}
	return r, nil
}

// String writes the rule as --fault takes it.
func (r FaultRule) String() string {
	var parts []string
	add := func(k, v string) {
		if v != "" && v != "0" {
			parts = append(parts, k+"="+v)
		}
	}
	add("op", r.Op)
	add("app", r.App)
	add("method", r.Method)
	add("status", strconv.Itoa(r.Status))
	add("retry_after", strconv.Itoa(r.RetryAfter))
	add("cut", r.Cut)
	add("body", r.Body)
	if len(r.LatencyMs) > 0 {
		l := strconv.FormatInt(r.LatencyMs[0], 10) + "ms"
		if len(r.LatencyMs) == 2 {
			l += "-" + strconv.FormatInt(r.LatencyMs[1], 10) + "ms"
		}
		add("latency", l)
	}
	add("times", strconv.Itoa(r.Times))
	if r.Rate > 0 {
		add("rate", strconv.FormatFloat(r.Rate, 'g', -1, 64))
	}
	return strings.Join(parts, ",")
}
