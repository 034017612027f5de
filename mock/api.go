package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/jsonshape"
)

// readCreate reads a create's body, at most cfg.MaxBody bytes of it, refuses what
// kin-openapi cannot word in the API's language, and gives r the body again for
// kin-openapi to judge. The bytes it may hold are taken from the memory budget
// first; it returns how many, for the caller to give back once done.
func (s *Server) readCreate(r *http.Request) (held int64, err error) {
	tooLarge := func() error { return bodyError(fmt.Sprintf(msgBodyLarge, s.cfg.MaxBody)) }
	size := s.cfg.MaxBody // a body of unknown length may use it all
	if r.ContentLength >= 0 {
		if r.ContentLength > s.cfg.MaxBody {
			return 0, tooLarge() // said up front: no need to read it
		}
		size = r.ContentLength
	}
	// A body is held about three times over while it is judged: as read, as
	// kin-openapi reads it again, and in its JSON decoder's buffer.
	held = 3 * size
	if !s.budget.Take(held) {
		return 0, errNoMemory
	}
	data, err := readAll(r.Body, r.ContentLength, s.cfg.MaxBody)
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &maxBytes):
		return held, tooLarge()
	case err != nil:
		return held, bodyError(msgBodyJSON) // the client stopped mid-body
	case len(data) == 0:
		// kin-openapi words it: a required body is missing.
	case !utf8.Valid(data):
		return held, bodyError(msgBodyUTF8)
	case !json.Valid(data):
		// Also catches what kin-openapi's decoder lets through: a valid value
		// followed by more ("[...] x").
		return held, bodyError(msgBodyJSON)
	}
	if len(data) > 0 {
		values, rows := jsonshape.Of(data)
		if rows > s.cfg.MaxBatch {
			// Refused before it is judged: kin-openapi would first build an
			// error for each row that is not a contact, and 1 MB holds half a
			// million.
			return held, bodyError(fmt.Sprintf(msgBatchLarge, s.cfg.MaxBatch))
		}
		// Judging a batch costs by the values it holds (decoded by kin-openapi,
		// then read into rows), far more than its bytes for small ones: that is
		// taken from the budget too, at a data file's cost per JSON value.
		more := values * jsonValueCost
		if !s.budget.Take(more) {
			return held, errNoMemory
		}
		held += more
	}
	setBody(r, data)
	if r.Header.Get("Content-Type") == "" && len(data) > 0 {
		// The docs send Content-Type: application/json; a client that sends
		// none is read as meaning it.
		r.Header.Set("Content-Type", "application/json")
	}
	return held, nil
}

// readAll reads body whole, sized up front from its Content-Length when it has one
// (body is capped by http.MaxBytesReader).
func readAll(body io.Reader, length, limit int64) ([]byte, error) {
	if length <= 0 || length > limit {
		return io.ReadAll(body)
	}
	buf := bytes.NewBuffer(make([]byte, 0, length+1))
	_, err := buf.ReadFrom(body)
	return buf.Bytes(), err
}

// setBody gives r a body kin-openapi can read (and re-read) without copying.
func setBody(r *http.Request, data []byte) {
	if len(data) == 0 {
		r.Body, r.GetBody, r.ContentLength = http.NoBody, nil, 0
		return
	}
	r.ContentLength = int64(len(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	r.Body, _ = r.GetBody()
}

// decodeAny decodes r's body as kin-openapi does, for the mock's own checks after a
// failed validation.
func decodeAny(r *http.Request) (any, bool) {
	if r.GetBody == nil {
		return nil, false
	}
	body, _ := r.GetBody()
	v, err := decodeJSON(body)
	return v, err == nil
}

// authorize checks r's bearer token may use appID. In open mode any token may.
func (s *Server) authorize(r *http.Request, appID string) error {
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return errNoBearer
	}
	if len(s.cfg.Auth) == 0 {
		return nil
	}
	apps, ok := s.cfg.Auth[token]
	if !ok {
		return errBadToken
	}
	for _, app := range apps {
		if app == appID {
			return nil
		}
	}
	return errNotGranted
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// handle runs a validated request against the store.
func (s *Server) handle(r *http.Request, rt *route) answer {
	ctx, appID := r.Context(), rt.params["appId"]
	switch rt.opID {
	case contactkit.OpListContacts:
		return s.remembered(ctx, readKey{op: rt.opID, app: appID, page: rt.page, limit: rt.limit}, func() answer {
			rows, total, err := s.store.Page(ctx, appID, s.fromOne(rt.page), rt.limit)
			if err != nil {
				return s.fail(rt.opID, err)
			}
			return s.list(rows, total, rt.page, rt.limit)
		})
	case contactkit.OpCreateContacts:
		return s.create(r, appID)
	}
	id, ok := parseID(rt.params["contactId"])
	if !ok {
		return s.fail(rt.opID, errNoContact)
	}
	if rt.opID == contactkit.OpGetContact {
		return s.remembered(ctx, readKey{op: rt.opID, app: appID, id: id}, func() answer {
			c, err := s.store.Get(ctx, appID, id)
			if err != nil {
				return s.fail(rt.opID, err)
			}
			return s.contactAnswer(rt.opID, c, true)
		})
	}
	var c Contact
	var err error
	switch rt.opID {
	case contactkit.OpToggleContactBlock:
		c, err = s.store.Toggle(ctx, appID, id)
	case contactkit.OpDeleteContact:
		if err = s.store.Delete(ctx, appID, id); err == nil {
			return s.envelope(rt.opID, http.StatusOK)
		}
	default:
		err = errNoRoute
	}
	if err != nil {
		return s.fail(rt.opID, err)
	}
	return s.contactAnswer(rt.opID, c, false)
}

// remembered is read's answer to k, from the answer memory (answers.go) while the
// store has not been written since it was read; a fresh one is remembered.
func (s *Server) remembered(ctx context.Context, k readKey, read func() answer) answer {
	version, err := s.store.Version(ctx)
	if err != nil {
		return s.fail(k.op, err) // Redis out of reach: the read would fail alike
	}
	if body, hit := s.answers.get(k, version); hit {
		return answer{status: http.StatusOK, body: body}
	}
	a := read()
	if a.status == http.StatusOK {
		s.answers.put(k, version, bytes.Clone(a.body)) // a.body goes back to the pool
	}
	return a
}

func (s *Server) contactAnswer(opID string, c Contact, detail bool) answer {
	b := getBuffer()
	b = append(b, s.prefix(opID, http.StatusOK)...)
	b = append(b, `,"data":`...)
	b = appendContact(b, c, s.zone, detail)
	return answer{status: http.StatusOK, body: append(b, '}'), pooled: true}
}

// fromOne turns a page number as the contract counts them (from its `page`
// minimum, 1 in the embedded contract) into one counted from 1, as the store
// counts them; a page past what an int64 holds stays past the last.
func (s *Server) fromOne(page int64) int64 {
	first := s.spec.Paging.Page.Min
	if first < 1 && page > math.MaxInt64+(first-1) {
		return math.MaxInt64
	}
	return page - first + 1
}

// list answers one page, newest first; meta is computed from the same snapshot as
// data, so the two always agree. Pages count from the contract's `page` minimum.
func (s *Server) list(rows []Contact, total int, page int64, limit int) answer {
	first := s.spec.Paging.Page.Min
	last := first + max(0, (int64(total)+int64(limit)-1)/int64(limit)-1)
	b := getBuffer()
	b = append(b, s.prefix(contactkit.OpListContacts, http.StatusOK)...)
	b = append(b, `,"data":[`...)
	for i, c := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendContact(b, c, s.zone, false)
	}
	b = append(b, `],"meta":{"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(limit), 10)
	b = append(b, `,"current_page":`...)
	b = strconv.AppendInt(b, page, 10)
	b = append(b, `,"first_page":`...)
	b = strconv.AppendInt(b, first, 10)
	b = append(b, `,"previous_page":`...)
	b = appendPageNumber(b, page-1, page > first)
	b = append(b, `,"next_page":`...)
	b = appendPageNumber(b, page+1, page < last)
	b = append(b, `,"last_page":`...)
	b = strconv.AppendInt(b, last, 10)
	return answer{status: http.StatusOK, body: append(b, "}}"...), pooled: true}
}

// create stores a validated batch, all of it or nothing.
func (s *Server) create(r *http.Request, appID string) answer {
	const op = contactkit.OpCreateContacts
	var value any
	if vb, ok := r.Body.(interface{ ValidatedValue() any }); ok {
		value = vb.ValidatedValue()
	} else if v, ok := decodeAny(r); ok {
		value = v
	}
	invalid := &invalidError{fields: map[string]string{}}
	rows := s.words.checkRows(value, s.cfg.MaxNameLength, invalid)
	if len(invalid.fields) > 0 {
		return s.fail(op, invalid)
	}
	if len(rows) == 0 {
		return s.fail(op, bodyError(msgBodyEmpty))
	}
	if err := s.store.Create(r.Context(), appID, rows, s.cfg.now().UnixMilli()); err != nil {
		return s.fail(op, err)
	}
	return s.envelope(op, http.StatusCreated)
}

// decodeJSON decodes as kin-openapi does, numbers kept as written.
func decodeJSON(r io.Reader) (any, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
