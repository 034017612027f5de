package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/redact"
)

// Filter selects entries; its zero value selects every one.
type Filter struct {
	// Status is an exact status (404); StatusClass a class digit (4 for ?status=4xx).
	Status      int
	StatusClass int
	Op          string
	App         string
	// AfterSeq selects entries with a larger sequence number (?since=N).
	AfterSeq int64
	// Since selects entries at or after that time (?since=RFC3339).
	Since time.Time
}

// ParseFilter reads ?status= (404, or a class: 2xx, 4xx, 5xx), ?op= (an operation
// id), ?app= and ?since= (an entry's seq, for the entries after it, or an RFC 3339
// time, for the entries at or after it). Unknown parameters are errors, so a typo
// never silently lists everything.
func ParseFilter(q url.Values) (Filter, error) {
	var f Filter
	for name, vs := range q {
		v := vs[len(vs)-1]
		switch name {
		case "status":
			if len(v) == 3 && strings.EqualFold(v[1:], "xx") && v[0] >= '1' && v[0] <= '5' {
				f.StatusClass = int(v[0] - '0')
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 100 || n > 599 {
				return Filter{}, fmt.Errorf("?status=%s: want a status such as 404 or a class such as 4xx", redact.Cut(v, 32))
			}
			f.Status = n
		case "op":
			f.Op = v
		case "app":
			f.App = v
		case "since":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				f.AfterSeq = n
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return Filter{}, fmt.Errorf("?since=%s: want an entry's seq (42) or an RFC 3339 time (2026-11-27T09:00:00Z)", redact.Cut(v, 40))
			}
			f.Since = t
		default:
			return Filter{}, fmt.Errorf("?%s: not a filter; use status, op, app or since", redact.Cut(name, 32))
		}
	}
	return f, nil
}

// Match reports whether f selects e.
func (f Filter) Match(e Entry) bool {
	return f.matches(e.Seq, e.Time, e.Status, e.OperationID, e.App)
}

// matches is Match on the fields filters read, which a record keeps as they came.
func (f Filter) matches(seq int64, t time.Time, status int, op, app string) bool {
	switch {
	case f.Status != 0 && status != f.Status,
		f.StatusClass != 0 && status/100 != f.StatusClass,
		f.Op != "" && op != f.Op,
		f.App != "" && app != f.App,
		seq <= f.AfterSeq,
		!f.Since.IsZero() && t.Before(f.Since):
		return false
	}
	return true
}

// heartbeat keeps an idle live feed's connection open through proxies that close
// silent ones.
const heartbeat = 15 * time.Second

// ServeHTTP answers the journal's admin API, wherever the server mounts it:
//
//	GET    .../requests         the entries, oldest first, in the API's envelope
//	                            ({"statusCode":200,...,"data":[...]}); filters as ParseFilter
//	GET    .../requests/stream  the live feed (also GET .../requests with
//	                            Accept: text/event-stream); the same filters
//	DELETE .../requests         forget every entry
//
// It checks no token: the server mounting it does.
func (j *Journal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	stream := strings.HasSuffix(r.URL.Path, "/stream") || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	switch {
	case r.Method == http.MethodDelete && !stream:
		j.Clear()
		writeEnvelope(w, http.StatusOK, "", nil)
		return
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", "GET, DELETE")
		writeEnvelope(w, http.StatusNotFound, "", nil)
		return
	}
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		writeEnvelope(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if stream {
		j.stream(w, r, f)
		return
	}
	data, err := json.Marshal(j.Entries(f))
	if err != nil {
		writeEnvelope(w, http.StatusInternalServerError, "the journal could not be encoded", nil)
		return
	}
	writeEnvelope(w, http.StatusOK, "", data)
}

// stream sends entries as server-sent events: "id: <seq>", "event: request",
// "data: <entry JSON>". A reconnecting client's Last-Event-ID replays the entries
// after it that the ring still holds.
func (j *Journal) stream(w http.ResponseWriter, r *http.Request, f Filter) {
	ch, stop, err := j.Subscribe()
	switch {
	case errors.Is(err, ErrTooManySubscribers):
		w.Header().Set("Retry-After", "5")
		writeEnvelope(w, http.StatusServiceUnavailable, fmt.Sprintf("the live feed has its %d listeners already; try again later", j.cfg.MaxSubscribers), nil)
		return
	case err != nil:
		writeEnvelope(w, http.StatusServiceUnavailable, "the server is shutting down", nil)
		return
	}
	defer stop()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	send := func(e Entry) bool {
		data, err := json.Marshal(e)
		if err != nil {
			return true
		}
		// A server's WriteTimeout would cut a long feed; each event gets its own.
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(w, "id: %d\nevent: request\ndata: %s\n\n", e.Seq, data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// Replay first, then live: an entry added in between is in both, and the
	// sequence number says which was sent.
	var last int64
	if id, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && id >= 0 {
		replay := f
		replay.AfterSeq = max(f.AfterSeq, id)
		for _, e := range j.Entries(replay) {
			if !send(e) {
				return
			}
			last = e.Seq
		}
	}
	_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprint(w, ": contactkit journal\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-ch:
			if !ok {
				return // fell behind, or the journal closed
			}
			if e.Seq <= last || !f.Match(e) {
				continue
			}
			if !send(e) {
				return
			}
		case <-tick.C:
			_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// writeEnvelope answers in the API's envelope, so a client treats admin answers
// like the API's; message "" is the contract's sentence for status.
func writeEnvelope(w http.ResponseWriter, status int, message string, data []byte) {
	if message == "" {
		message = docsMessage(status)
	}
	contactkit.WriteEnvelope(w, status, contactkit.Word(status), message, data)
}

// docsMessage is the API's own sentence for a status, read from the contract.
func docsMessage(status int) string {
	spec, err := contactkit.LoadSpec()
	if err != nil {
		return http.StatusText(status)
	}
	if op := spec.Op(contactkit.OpListContacts); op != nil && op.Message(status) != "" {
		return op.Message(status)
	}
	return http.StatusText(status)
}
