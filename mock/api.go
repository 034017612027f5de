package mock

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/contactkit/contactkit"
)

// api answers a request to the contract's operations: route, authorize, honour a
// Prefer, validate, handle.
func (s *Server) api(r *http.Request, data []byte, bodyErr error) answer {
	key := verdictKey{method: r.Method, uri: r.RequestURI}
	route, params, cached := s.verdicts.get(key)
	if !cached {
		var err error
		if route, params, err = s.router.FindRoute(r); err != nil {
			return s.fail("", errNoRoute)
		}
	}
	opID := route.Operation.OperationID
	appID := params["appId"]

	// Only a create has a body; kin-openapi would read any other whole, though the
	// operation ignores it.
	var bodyProblem error
	if opID == contactkit.OpCreateContacts {
		switch {
		case errors.Is(bodyErr, errTooLarge):
			bodyProblem = bodyError(fmt.Sprintf(msgBodyLarge, s.cfg.MaxBody))
		case bodyErr != nil:
			bodyProblem = bodyError(msgBodyJSON) // the client stopped mid-body
		case len(data) == 0:
			// kin-openapi words it: a required body is missing.
		case !utf8.Valid(data):
			bodyProblem = bodyError(msgBodyUTF8)
		case !json.Valid(data):
			// Also catches what kin-openapi's decoder lets through: a valid value
			// followed by more ("[...] x").
			bodyProblem = bodyError(msgBodyJSON)
		}
		setBody(r, data)
		if r.Header.Get("Content-Type") == "" && len(data) > 0 {
			// The docs send Content-Type: application/json; a client that sends
			// none is read as meaning it.
			r.Header.Set("Content-Type", "application/json")
		}
	} else {
		setBody(r, nil)
	}

	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options:    &s.reqOpts,
	}
	pref := parsePrefer(r.Header.Values("Prefer"), s.cfg.MaxDelay)
	done := func(a answer) answer {
		a.opID, a.input = opID, input
		return s.withDelay(a, pref)
	}
	if bodyProblem != nil || pref.forces() {
		// These answers skip kin-openapi, so authorize here as it would: a 403
		// comes before any other answer.
		if err := s.authorize(r, appID); err != nil {
			return done(s.fail(opID, err))
		}
		if bodyProblem != nil {
			return done(s.fail(opID, bodyProblem))
		}
		if a, ok := s.preferred(opID, pref); ok {
			return done(a)
		}
	}

	var a answer
	if cached {
		// kin-openapi passed this very method, path and query before; only the
		// bearer check depends on anything else.
		if err := s.authorize(r, appID); err != nil {
			return done(s.fail(opID, err))
		}
		return done(s.handle(r, opID, appID, params["contactId"]))
	}
	if err := openapi3filter.ValidateRequest(r.Context(), input); err != nil {
		err = requestFailure(err)
		var invalid *invalidError
		if errors.As(err, &invalid) {
			// The contract found something wrong; add what only the mock checks,
			// so the client hears of every invalid field at once.
			if value, ok := decodeAny(r); ok {
				checkRows(value, s.cfg.MaxNameLength, invalid)
			}
		}
		a = s.fail(opID, err)
	} else {
		if opID != contactkit.OpCreateContacts && key.uri != "" {
			s.verdicts.put(key, route, params)
		}
		a = s.handle(r, opID, appID, params["contactId"])
	}
	return done(a)
}

// withDelay adds any Prefer delay to a.
func (s *Server) withDelay(a answer, p prefer) answer {
	a.delay = p.delay
	if p.delay > 0 {
		a.applied = joinApplied(a.applied, "delay="+strconv.FormatInt(p.delay.Milliseconds(), 10))
	}
	return a
}

var errTooLarge = errors.New("body too large")

// readBody reads every request's body, at most limit bytes of it. Reading it here,
// whatever the route, matters: a body left unread is drained by net/http after the
// handler, and that drain can race the next request on the connection.
func readBody(body io.ReadCloser, limit int64) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
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

// authenticate is kin-openapi's AuthenticationFunc for bearerAuth.
func (s *Server) authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	return s.authorize(in.RequestValidationInput.Request, in.RequestValidationInput.PathParams["appId"])
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

// adminAllowed reports whether r carries the admin token, when one is set.
func (s *Server) adminAllowed(r *http.Request) bool {
	if s.cfg.AdminToken == "" {
		return true
	}
	token, ok := bearer(r.Header.Get("Authorization"))
	return ok && subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) == 1
}

// handle runs a validated request against the store.
func (s *Server) handle(r *http.Request, opID, appID, contactID string) answer {
	app, err := s.store.app(appID)
	if err != nil {
		return s.fail(opID, err)
	}
	switch opID {
	case contactkit.OpListContacts:
		return s.list(r, app)
	case contactkit.OpCreateContacts:
		return s.create(r, app)
	}
	id, ok := parseID(contactID)
	if !ok {
		return s.fail(opID, errNoContact)
	}
	switch opID {
	case contactkit.OpGetContact:
		c, err := app.get(id)
		if err != nil {
			return s.fail(opID, err)
		}
		return s.contactAnswer(opID, c, true)
	case contactkit.OpToggleContactBlock:
		c, err := app.toggle(id)
		if err != nil {
			return s.fail(opID, err)
		}
		return s.contactAnswer(opID, c, false)
	case contactkit.OpDeleteContact:
		if err := app.remove(id); err != nil {
			return s.fail(opID, err)
		}
		return s.envelope(opID, http.StatusOK)
	}
	return s.fail(opID, errNoRoute)
}

func (s *Server) contactAnswer(opID string, c Contact, detail bool) answer {
	b := getBuffer()
	b = append(b, s.prefix(opID, http.StatusOK)...)
	b = append(b, `,"data":`...)
	b = appendContact(b, c, s.cfg.Zone, detail)
	return answer{status: http.StatusOK, body: append(b, '}'), pooled: true}
}

// list answers one page, newest first; meta is computed from the same snapshot as
// data, so the two always agree.
func (s *Server) list(r *http.Request, app *app) answer {
	page, limit, err := paging(r.URL.RawQuery)
	if err != nil {
		return s.fail(contactkit.OpListContacts, err)
	}
	rows, total := app.page(page, limit)
	last := max(1, (int64(total)+int64(limit)-1)/int64(limit))
	var prev, next int64
	if page > 1 {
		prev = page - 1
	}
	if page < last {
		next = page + 1
	}
	b := getBuffer()
	b = append(b, s.prefix(contactkit.OpListContacts, http.StatusOK)...)
	b = append(b, `,"data":[`...)
	for i, c := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendContact(b, c, s.cfg.Zone, false)
	}
	b = append(b, `],"meta":{"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(limit), 10)
	b = append(b, `,"current_page":`...)
	b = strconv.AppendInt(b, page, 10)
	b = append(b, `,"first_page":1,"previous_page":`...)
	b = appendPageNumber(b, prev)
	b = append(b, `,"next_page":`...)
	b = appendPageNumber(b, next)
	b = append(b, `,"last_page":`...)
	b = strconv.AppendInt(b, last, 10)
	return answer{status: http.StatusOK, body: append(b, "}}"...), pooled: true}
}

// Paging defaults and bounds, as the docs give them.
const (
	defaultPage  = 1
	defaultLimit = 10
	maxLimit     = 50
)

// paging reads page and limit from a raw query. The contract has judged them
// already; this guards the numbers the store gets (an integer past int64, say).
func paging(rawQuery string) (page int64, limit int, err error) {
	page, limit = defaultPage, defaultLimit
	if strings.ContainsAny(rawQuery, "%+;") {
		// Escaped: take the slow, general road.
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return 0, 0, errPaging
		}
		rawQuery = ""
		for _, key := range []string{"page", "limit"} {
			if v, ok := q[key]; ok {
				rawQuery += "&" + key + "=" + url.QueryEscape(v[0])
			}
		}
		rawQuery = strings.TrimPrefix(rawQuery, "&")
		if strings.ContainsAny(rawQuery, "%+") {
			return 0, 0, errPaging // an escaped value is no plain integer
		}
	}
	seenPage, seenLimit := false, false
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		key, value, _ := strings.Cut(pair, "=")
		switch key {
		case "page":
			if seenPage {
				continue // the first value counts, as kin-openapi reads it
			}
			seenPage = true
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 1 {
				return 0, 0, pagingError("page")
			}
			page = n
		case "limit":
			if seenLimit {
				continue
			}
			seenLimit = true
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 || n > maxLimit {
				return 0, 0, pagingError("limit")
			}
			limit = n
		}
	}
	return page, limit, nil
}

// create stores a validated batch, all of it or nothing.
func (s *Server) create(r *http.Request, app *app) answer {
	const op = contactkit.OpCreateContacts
	var value any
	if vb, ok := r.Body.(interface{ ValidatedValue() any }); ok {
		value = vb.ValidatedValue()
	} else if v, ok := decodeAny(r); ok {
		value = v
	}
	if rows, ok := value.([]any); ok && len(rows) > s.cfg.MaxBatch {
		return s.fail(op, bodyError(fmt.Sprintf(msgBatchLarge, s.cfg.MaxBatch)))
	}
	invalid := &invalidError{fields: map[string]string{}}
	rows := checkRows(value, s.cfg.MaxNameLength, invalid)
	if len(invalid.fields) > 0 {
		return s.fail(op, invalid)
	}
	if len(rows) == 0 {
		return s.fail(op, bodyError(msgBodyEmpty))
	}
	if err := app.create(rows, s.cfg.now().UnixMilli(), s.cfg.MaxContacts); err != nil {
		if errors.Is(err, errFull) {
			return s.fail(op, bodyError(fmt.Sprintf(msgAppFull, s.cfg.MaxContacts)))
		}
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

// verdictKey names a request without a body by what kin-openapi judges of it: the
// contract has no header or cookie parameters, so method, path and query decide.
type verdictKey struct {
	method, uri string
}

// verdictCacheSize bounds the verdict cache; when full it starts over.
const verdictCacheSize = 4096

// verdicts remembers the requests without a body that kin-openapi found valid,
// with their route, so a repeated one (a front end polling page 1, a load test)
// skips routing and parameter validation. The verdict is a pure function of the
// key, so the answer is the same; the bearer check still runs every time, and a
// create (which has a body) is never cached.
type verdicts struct {
	// mu guards m.
	mu sync.RWMutex
	m  map[verdictKey]verdict
}

type verdict struct {
	route  *routers.Route
	params map[string]string // shared, read only
}

func (v *verdicts) get(k verdictKey) (*routers.Route, map[string]string, bool) {
	if k.uri == "" {
		return nil, nil, false
	}
	v.mu.RLock()
	e, ok := v.m[k]
	v.mu.RUnlock()
	return e.route, e.params, ok
}

func (v *verdicts) put(k verdictKey, route *routers.Route, params map[string]string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= verdictCacheSize {
		v.m = make(map[verdictKey]verdict, 64)
	}
	v.m[k] = verdict{route: route, params: params}
}
