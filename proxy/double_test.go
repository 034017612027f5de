package proxy

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
)

// double is a small in-memory Contacts API that answers as docs/design.md says the
// mock does, unless told to break one behaviour (flaw). The proxy is proven
// against it without importing the mock; the messages come from the contract.
type double struct {
	flaw flaw
	spec *contactkit.Spec
	// echo, when set, is put in every answer (a header and a body field): a
	// target that echoes the token back.
	echo string

	// grants makes testToken granted grantedApp only (as Config.Grants says).
	grants bool

	// mu guards contacts and hits.
	mu       sync.Mutex
	contacts map[string][]*dContact // per app, newest first
	hits     int
}

type dContact struct {
	id      string
	phone   int64
	name    string
	blocked bool
	created time.Time
	posted  bool // created through the API, not seeded
}

// flaw names one broken behaviour; "" is the faithful double.
type flaw string

const (
	flawNone           flaw = ""
	flawStatusCode     flaw = "envelope statusCode disagrees with the HTTP status"
	flawBadMeta        flaw = "meta.last_page wrong"
	flawPhoneString    flaw = "phone served as a string"
	flawTextPlain      flaw = "content type text/plain"
	flawUndocumented   flaw = "create answers 200"
	flawDeletedListed  flaw = "DELETE answers 200 but the contact stays listed"
	flawToggleNoFlip   flaw = "PUT answers 200 without flipping is_blocked"
	flawCreatedMissing flaw = "create answers 201 but stores nothing"
	flawWrongTag       flaw = "a created contact's tag is not its name"
	// The pair: answers that are well-formed, but wrong for the request.
	flawTakesBadPhone flaw = "a phone that is not a number is taken (201)"
	flawNoTokenOK     flaw = "a request with no token is answered 200"
	flawErrorsOffBy1  flaw = "422 errors keyed one row off"
	flawReorders      flaw = "two identical reads list in different orders"
	flawAnyApp        flaw = "a token is answered 200 on an app it is not granted"
)

// grantedApp is the one app the doubles grant testToken, for Config.Grants.
const grantedApp = "app1"

var jakarta = time.FixedZone("WIB", 7*3600)

const seedCount = 5

func newDouble(spec *contactkit.Spec, f flaw) *double {
	return &double{flaw: f, spec: spec, contacts: map[string][]*dContact{}}
}

func (d *double) app(id string) []*dContact {
	cs, ok := d.contacts[id]
	if !ok {
		base := time.Date(2024, 5, 14, 11, 51, 48, 0, jakarta)
		for i := range seedCount {
			cs = append([]*dContact{{id: newID(), phone: 6281100000000 + int64(i), name: fmt.Sprintf("Seed%d Person", i), created: base.Add(time.Duration(i) * time.Minute)}}, cs...)
		}
		d.contacts[id] = cs
	}
	return cs
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

var words = map[int]string{200: "OK", 201: "CREATED", 400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND", 422: "UNPROCESSABLE_ENTITY"}

func (d *double) send(w http.ResponseWriter, op string, status int, body map[string]any) {
	if body == nil {
		body = map[string]any{}
	}
	msgOp := op
	if msgOp == "" {
		msgOp = contactkit.OpListContacts
	}
	body["statusCode"] = status
	body["code"] = words[status]
	if o := d.spec.Op(msgOp); o != nil && o.Message(status) != "" {
		body["message"] = o.Message(status)
	} else if o := d.spec.Op(contactkit.OpListContacts); o.Message(status) != "" {
		body["message"] = o.Message(status)
	}
	if d.flaw == flawStatusCode && status == http.StatusNotFound {
		body["statusCode"] = 200
	}
	if d.echo != "" {
		body["echo"] = d.echo
		w.Header().Set("X-Echo", d.echo)
	}
	ct := "application/json"
	if d.flaw == flawTextPlain {
		ct = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (d *double) view(c *dContact, tags bool) map[string]any {
	m := map[string]any{"id": c.id, "phone": c.phone, "is_blocked": c.blocked, "created_at": c.created.In(jakarta).Format("2006-01-02T15:04:05.000-07:00")}
	if d.flaw == flawPhoneString {
		m["phone"] = strconv.FormatInt(c.phone, 10)
	}
	name := c.name
	if d.flaw == flawWrongTag && c.posted {
		name = "Someone Else"
	}
	if tags {
		first, _, _ := strings.Cut(name, " ")
		m["tags"] = []string{name, first}
	} else {
		m["tag"] = name
	}
	return m
}

func (d *double) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hits++
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "contacts" || parts[1] == "" {
		d.send(w, "", 404, nil)
		return
	}
	app := parts[1]
	id := ""
	if len(parts) == 3 {
		id = parts[2]
	}
	if v := r.Header.Get("Authorization"); (!strings.HasPrefix(v, "Bearer ") || len(v) <= len("Bearer ")) && d.flaw != flawNoTokenOK {
		d.send(w, "", 403, nil)
		return
	}
	if d.grants && app != grantedApp && d.flaw != flawAnyApp {
		d.send(w, "", 403, nil)
		return
	}
	cs := d.app(app)
	find := func() int {
		for i, c := range cs {
			if c.id == id {
				return i
			}
		}
		return -1
	}
	switch {
	case id == "" && r.Method == http.MethodGet:
		d.list(w, r, cs)
	case id == "" && r.Method == http.MethodPost:
		var rows []struct {
			Name  string          `json:"name"`
			Phone json.RawMessage `json:"phone"`
		}
		if err := json.NewDecoder(r.Body).Decode(&rows); err != nil || len(rows) == 0 {
			d.send(w, contactkit.OpCreateContacts, 422, map[string]any{"errors": map[string]string{"body": "Data harus ber-tipe data array"}})
			return
		}
		errs := map[string]string{}
		for i, row := range rows {
			if _, err := strconv.ParseInt(string(row.Phone), 10, 64); err != nil && d.flaw != flawTakesBadPhone {
				at := i
				if d.flaw == flawErrorsOffBy1 {
					at = i + 1
				}
				errs[fmt.Sprintf("%d.phone", at)] = "Nomor telepon harus ber-tipe data number"
			}
		}
		if len(errs) > 0 {
			d.send(w, contactkit.OpCreateContacts, 422, map[string]any{"errors": errs})
			return
		}
		if d.flaw != flawCreatedMissing {
			for _, row := range rows {
				phone, _ := strconv.ParseInt(strings.Trim(string(row.Phone), `"`), 10, 64)
				cs = append([]*dContact{{id: newID(), phone: phone, name: row.Name, created: time.Now(), posted: true}}, cs...)
			}
			d.contacts[app] = cs
		}
		status := 201
		if d.flaw == flawUndocumented {
			status = 200
		}
		d.send(w, contactkit.OpCreateContacts, status, nil)
	case id != "" && r.Method == http.MethodGet:
		i := find()
		if i < 0 {
			d.send(w, contactkit.OpGetContact, 404, nil)
			return
		}
		d.send(w, contactkit.OpGetContact, 200, map[string]any{"data": d.view(cs[i], true)})
	case id != "" && r.Method == http.MethodPut:
		i := find()
		if i < 0 {
			d.send(w, contactkit.OpToggleContactBlock, 404, nil)
			return
		}
		if d.flaw != flawToggleNoFlip {
			cs[i].blocked = !cs[i].blocked
		}
		d.send(w, contactkit.OpToggleContactBlock, 200, map[string]any{"data": d.view(cs[i], false)})
	case id != "" && r.Method == http.MethodDelete:
		i := find()
		if i < 0 {
			d.send(w, contactkit.OpDeleteContact, 404, nil)
			return
		}
		if d.flaw != flawDeletedListed {
			d.contacts[app] = append(cs[:i:i], cs[i+1:]...)
		}
		d.send(w, contactkit.OpDeleteContact, 200, nil)
	default:
		d.send(w, "", 404, nil)
	}
}

func (d *double) list(w http.ResponseWriter, r *http.Request, cs []*dContact) {
	q := r.URL.Query()
	page, limit := 1, 10
	var err error
	if q.Has("page") {
		if page, err = strconv.Atoi(q.Get("page")); err != nil || page < 1 {
			d.send(w, contactkit.OpListContacts, 400, nil)
			return
		}
	}
	if q.Has("limit") {
		if limit, err = strconv.Atoi(q.Get("limit")); err != nil || limit < 1 || limit > 50 {
			d.send(w, contactkit.OpListContacts, 400, nil)
			return
		}
	}
	total := len(cs)
	last := max((total+limit-1)/limit, 1)
	data := []any{}
	for i := (page - 1) * limit; i < min(page*limit, total); i++ {
		data = append(data, d.view(cs[i], false))
	}
	if d.flaw == flawReorders && d.hits%2 == 0 {
		slices.Reverse(data)
	}
	var prev, next any
	if page > 1 {
		prev = min(page-1, last)
	}
	if page < last {
		next = page + 1
	}
	metaLast := last
	if d.flaw == flawBadMeta {
		metaLast = last + 1
	}
	d.send(w, contactkit.OpListContacts, 200, map[string]any{"data": data, "meta": map[string]any{
		"total": total, "limit": limit, "current_page": page, "first_page": 1, "previous_page": prev, "next_page": next, "last_page": metaLast}})
}
