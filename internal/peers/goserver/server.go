// Package goserver is a Contacts API server written from the API's documentation
// alone, with the Go standard library only. It exists so that contactkit's
// conformance runner can be tried against a correct server it did not grow up
// with; it must never import contactkit. Where the documentation is silent it
// takes its own choices (see Defaults), each flippable through Config.Choices.
package goserver

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The documentation's sentences, word for word.
const (
	msgOK        = "The request has been successfully processed."
	msgCreated   = "Data has been successfully inserted."
	msgDeleted   = "Data has been successfully deleted."
	msgBad       = "The request body does not contain valid data."
	msgForbidden = "You do not have access to this resource."
	msgNotFound  = "The endpoint you are looking for seems to be not found."
	msgInvalid   = "Data cannot be processed as it is invalid."
	// Ours: the documentation has no such answers.
	msgMethod    = "The method is not allowed for the requested resource."
	msgMediaType = "The request content type is not supported."
)

const (
	maxBody      = 1 << 20 // bytes of a request body
	defaultLimit = 10
	maxLimit     = 50
)

// Config configures a server.
type Config struct {
	// Grants maps a bearer token to the app ids it may use.
	Grants map[string][]string
	// Seed makes every app's starting contacts the same from run to run.
	Seed int64
	// Choices flips choices away from Defaults, by name (e.g. "order": "oldest").
	// "contacts" is how many contacts every app starts with; "slow" delays answers.
	Choices map[string]string
}

type server struct {
	ch      choices
	grants  map[string]map[string]bool
	store   store
	answers atomic.Int64
}

// New gives the server's handler, or an error for an unknown choice or value.
func New(cfg Config) (http.Handler, error) {
	ch, err := parseChoices(cfg.Choices)
	if err != nil {
		return nil, err
	}
	s := &server{
		ch:     ch,
		grants: map[string]map[string]bool{},
		store:  store{apps: map[string]*app{}, seed: cfg.Seed, contacts: ch.contacts},
	}
	for tok, apps := range cfg.Grants {
		s.grants[tok] = map[string]bool{}
		for _, a := range apps {
			s.grants[tok][a] = true
		}
	}
	mux := http.NewServeMux()
	// A "GET" pattern also answers HEAD, without the body.
	mux.HandleFunc("GET /contacts/{app}", s.list)
	mux.HandleFunc("POST /contacts/{app}", s.create)
	mux.HandleFunc("GET /contacts/{app}/{id}", s.detail)
	mux.HandleFunc("PUT /contacts/{app}/{id}", s.toggle)
	mux.HandleFunc("DELETE /contacts/{app}/{id}", s.remove)
	// Method-less patterns catch the other methods, so the mux never answers its
	// own plain-text 405.
	mux.HandleFunc("/contacts/{app}", s.wrongMethod("GET, POST"))
	mux.HandleFunc("/contacts/{app}/{id}", s.wrongMethod("GET, PUT, DELETE"))
	mux.HandleFunc("/", s.notFound)
	return s.guard(mux), nil
}

// guard wraps the mux: an unclean path (which the mux would redirect) is a 404,
// a panic (a bug) answers 500 rather than drops the connection, and slow answers
// are slow.
func (s *server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				// A bug of ours: log it, and answer a 500 so that the tests and the
				// runner see it.
				log.Printf("goserver: bug: %v", v)
				s.send(w, r, http.StatusInternalServerError, "A bug of this server.", envelope{})
			}
		}()
		if s.ch.slow && rand.IntN(3) == 0 {
			time.Sleep(time.Duration(rand.IntN(16)) * time.Millisecond)
		}
		p := r.URL.Path
		if p == "" || p[0] != '/' || (p != "/" && path.Clean(p) != p) {
			s.notFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type envelope struct {
	StatusCode int               `json:"statusCode"`
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Data       any               `json:"data,omitempty"`
	Meta       *meta             `json:"meta,omitempty"`
	Errors     map[string]string `json:"errors,omitempty"`
}

type meta struct {
	Total        int64  `json:"total"`
	Limit        int64  `json:"limit"`
	CurrentPage  int64  `json:"current_page"`
	FirstPage    int64  `json:"first_page"`
	PreviousPage *int64 `json:"previous_page"`
	NextPage     *int64 `json:"next_page"`
	LastPage     int64  `json:"last_page"`
}

type item struct {
	ID        string `json:"id"`
	Phone     int64  `json:"phone"`
	Tag       string `json:"tag"`
	IsBlocked bool   `json:"is_blocked"`
	CreatedAt string `json:"created_at"`
}

type detail struct {
	ID        string   `json:"id"`
	Phone     int64    `json:"phone"`
	Tags      []string `json:"tags"`
	IsBlocked bool     `json:"is_blocked"`
	CreatedAt string   `json:"created_at"`
}

var codes = map[int]string{
	200: "OK", 201: "CREATED", 400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND",
	405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE", 422: "UNPROCESSABLE_ENTITY",
	500: "INTERNAL_SERVER_ERROR",
}

func (s *server) send(w http.ResponseWriter, r *http.Request, status int, msg string, e envelope) {
	e.StatusCode, e.Code, e.Message = status, codes[status], msg
	body, err := json.Marshal(e)
	if err != nil { // cannot happen: only strings, numbers and maps of strings
		panic(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if s.ch.charset {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if get && s.ch.etag {
		h.Set("Cache-Control", "no-cache")
	} else if get {
		h.Set("Cache-Control", "private, max-age=0")
	}
	if n := int64(s.ch.closeEvery); n > 0 && s.answers.Add(1)%n == 0 {
		h.Set("Connection", "close")
	}
	if get && status == http.StatusOK && s.ch.etag {
		sum := sha1.Sum(body)
		tag := `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
		h.Set("ETag", "W/"+tag) // weak: the gzipped and the plain answer share it
		if etagMatches(r.Header.Get("If-None-Match"), tag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if s.ch.gzip && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(body)
		zw.Close()
		body = b.Bytes()
		h.Set("Content-Encoding", "gzip")
		h.Set("Vary", "Accept-Encoding")
	}
	if !s.ch.chunked {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	if s.ch.chunked {
		// Headers out before the body: net/http then has no length to give, and chunks.
		http.NewResponseController(w).Flush()
	}
	w.Write(body)
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.send(w, r, http.StatusNotFound, msgNotFound, envelope{})
}

func (s *server) forbidden(w http.ResponseWriter, r *http.Request) {
	s.send(w, r, http.StatusForbidden, msgForbidden, envelope{})
}

func (s *server) badRequest(w http.ResponseWriter, r *http.Request) {
	s.send(w, r, http.StatusBadRequest, msgBad, envelope{})
}

func (s *server) invalid(w http.ResponseWriter, r *http.Request, errs map[string]string) {
	s.send(w, r, http.StatusUnprocessableEntity, msgInvalid, envelope{Errors: errs})
}

func (s *server) wrongMethod(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.ch.method405 {
			s.notFound(w, r)
			return
		}
		w.Header().Set("Allow", allow)
		s.send(w, r, http.StatusMethodNotAllowed, msgMethod, envelope{})
	}
}

// authorized: "Bearer <token>" with a token granted the app; tokens compare exactly.
func (s *server) authorized(r *http.Request, appID string) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimLeft(tok, " ")
	if !ok || tok == "" || strings.ContainsAny(scheme+tok, " \t\r\n") {
		return false
	}
	if scheme != "Bearer" && !(s.ch.bearerAnyCase && strings.EqualFold(scheme, "Bearer")) {
		return false
	}
	return s.grants[tok][appID]
}

// allowed answers 403 unless the request's token is granted its app.
func (s *server) allowed(w http.ResponseWriter, r *http.Request) bool {
	if s.authorized(r, r.PathValue("app")) {
		return true
	}
	s.forbidden(w, r)
	return false
}

// withApp runs fn on the request's app, bringing it into being, under the store's lock.
func (s *server) withApp(r *http.Request, fn func(a *app)) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	fn(s.store.app(r.PathValue("app")))
}

// withContact runs fn on the request's contact under the store's lock, then
// answers 200 with msg and the data fn gives; or answers 404.
func (s *server) withContact(w http.ResponseWriter, r *http.Request, msg string, fn func(a *app, c *contact) any) {
	found := false
	var data any
	s.withApp(r, func(a *app) {
		if c := a.byID[r.PathValue("id")]; c != nil {
			found, data = true, fn(a, c)
		}
	})
	if !found {
		s.notFound(w, r)
		return
	}
	s.send(w, r, http.StatusOK, msg, envelope{Data: data})
}

func (s *server) createdAt(t time.Time) string {
	if s.ch.millis {
		return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	return t.UTC().Format("2006-01-02T15:04:05-07:00") // "+00:00"
}

func (s *server) item(c *contact) item {
	return item{ID: c.id, Phone: c.phone, Tag: c.name, IsBlocked: c.blocked, CreatedAt: s.createdAt(c.created)}
}

func (s *server) list(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(w, r) {
		return
	}
	q := r.URL.Query()
	page, pageOK := count(q, "page", 1)
	limit, limitOK := count(q, "limit", defaultLimit)
	pageOK = pageOK && page <= maxCount // a limit that big is merely above the max
	if (!pageOK || !limitOK) && s.ch.paging400 {
		s.badRequest(w, r)
		return
	}
	if !pageOK {
		page = 1
	}
	if !limitOK {
		limit = defaultLimit
	}
	if limit > maxLimit {
		if !s.ch.limitClamp {
			s.badRequest(w, r)
			return
		}
		limit = maxLimit
	}
	var total, last int64
	data := []item{}
	s.withApp(r, func(a *app) {
		total = int64(len(a.list))
		last = (total + limit - 1) / limit
		if total == 0 {
			last = int64(s.ch.emptyLastPage)
		}
		if page > last {
			return // past the last page; page*limit might not even fit an int64
		}
		for i := (page - 1) * limit; i < min(page*limit, total); i++ {
			j := i
			if !s.ch.oldestFirst {
				j = total - 1 - i
			}
			data = append(data, s.item(a.list[j]))
		}
	})
	m := &meta{Total: total, Limit: limit, CurrentPage: page, FirstPage: 1, LastPage: last}
	if page > 1 {
		prev := page - 1
		if page > last && s.ch.pastLastAtLast {
			prev = last
		}
		if prev >= 1 {
			m.PreviousPage = &prev
		}
	}
	if page < last {
		next := page + 1
		m.NextPage = &next
	}
	s.send(w, r, http.StatusOK, msgOK, envelope{Data: data, Meta: m})
}

// maxCount is the largest page this server counts to: the largest integer every
// JSON client reads exactly.
const maxCount = 1<<53 - 1

// count reads a page or limit: def when absent, false when not a positive integer.
// An integer above maxCount reads as maxCount+1.
func count(q url.Values, key string, def int64) (int64, bool) {
	if !q.Has(key) {
		return def, true
	}
	raw := q.Get(key)
	if raw == "" || strings.Trim(raw, "0123456789") != "" || strings.Trim(raw, "0") == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n > maxCount {
		return maxCount + 1, true
	}
	return n, true
}

func (s *server) create(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(w, r) {
		return
	}
	if s.ch.strictContentType {
		ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
		if !strings.EqualFold(strings.TrimSpace(ct), "application/json") {
			s.send(w, r, http.StatusUnsupportedMediaType, msgMediaType, envelope{})
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var rows []newContact
	var errs map[string]string
	if err == nil && len(body) <= maxBody {
		rows, errs, err = s.decodeRows(body)
	} else {
		err = errNotJSON
	}
	switch {
	case err != nil && s.ch.notJSON400:
		s.badRequest(w, r)
		return
	case err != nil:
		s.invalid(w, r, map[string]string{"body": msgNotArray})
		return
	case errs != nil:
		s.invalid(w, r, errs)
		return
	}
	full := false
	s.withApp(r, func(a *app) {
		if full = len(a.list)+len(rows) > maxContacts; full {
			return
		}
		// Every row is valid: all go in, under one lock.
		now := time.Now()
		for _, row := range rows {
			c := &contact{id: newID(), name: row.name, phone: row.phone, created: now}
			a.list = append(a.list, c)
			a.byID[c.id] = c
		}
	})
	if full {
		s.invalid(w, r, map[string]string{"body": msgFull})
		return
	}
	s.send(w, r, http.StatusCreated, msgCreated, envelope{})
}

func (s *server) detail(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(w, r) {
		return
	}
	s.withContact(w, r, msgOK, func(_ *app, c *contact) any {
		tags := []string{c.name}
		if words := strings.Fields(c.name); s.ch.wordTags && len(words) > 0 {
			tags = appendNew(appendNew(tags, words[0]), words[len(words)-1])
		}
		return detail{ID: c.id, Phone: c.phone, Tags: tags, IsBlocked: c.blocked, CreatedAt: s.createdAt(c.created)}
	})
}

func appendNew(tags []string, t string) []string {
	for _, x := range tags {
		if x == t {
			return tags
		}
	}
	return append(tags, t)
}

// toggle: the documentation's PUT has no body, so it flips is_blocked.
func (s *server) toggle(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(w, r) {
		return
	}
	s.withContact(w, r, msgOK, func(_ *app, c *contact) any {
		c.blocked = !c.blocked
		return s.item(c)
	})
}

func (s *server) remove(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(w, r) {
		return
	}
	s.withContact(w, r, msgDeleted, func(a *app, c *contact) any {
		a.remove(c)
		return nil
	})
}

func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, hasQ := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if f, err := strconv.ParseFloat(q, 64); !hasQ || (err == nil && f > 0) {
			return true
		}
	}
	return false
}

func etagMatches(header, tag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t == tag || t == "W/"+tag {
			return true
		}
	}
	return false
}
