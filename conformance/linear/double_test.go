package linear_test

import (
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

// Bugs a double can have, each the realistic way: a read and a write of the
// store apart, with a round trip to it between them and no lock held.
const (
	faithful = ""
	// lostUpdate: PUT reads is_blocked, waits, writes its opposite: two PUTs at
	// once both flip from the same value.
	lostUpdate = "lost-update"
	// doubleDelete: DELETE checks the contact is there, waits, deletes: two
	// DELETEs at once both answer 200.
	doubleDelete = "double-delete"
	// partialBatch: a create inserts its rows one by one, each a round trip,
	// and readers see the rows inserted so far.
	partialBatch = "partial-batch"
	// lostBatch: a create copies the app's rows, waits, and stores the copy
	// with its rows: of two creates at once, one is lost.
	lostBatch = "lost-batch"
	// twice: a create stores every row twice (a retried insert), at once.
	twice = "twice"
)

const (
	doubleToken = "double-token-0123456789"
	doubleApp   = "app1"
	// roundTrip stands in for a database round trip.
	roundTrip = 300 * time.Microsecond
	// seeded is how many contacts the app holds before any test: two pages of
	// the largest limit, so that walks read both ends.
	seeded = 60
)

// double is a small in-memory Contacts API for one app, written for these tests
// from the docs, that can break one behaviour at a time (bug). Every store
// access costs roundTrip; the faithful double holds its lock across it, as a
// transaction would.
type double struct {
	spec *contactkit.Spec
	bug  string
	mux  *http.ServeMux

	// mu guards everything below.
	mu       sync.Mutex
	contacts []dContact // oldest first
	next     int
	requests int
}

type dContact struct {
	id, name string
	phone    json.Number
	blocked  bool
}

var _ http.Handler = (*double)(nil)

func newDouble(spec *contactkit.Spec, bug string) *double {
	d := &double{spec: spec, bug: bug, mux: http.NewServeMux()}
	for i := range seeded {
		d.contacts = append(d.contacts, dContact{id: d.newID(), name: fmt.Sprintf("Seeded %d", i), phone: json.Number(strconv.Itoa(6280000000000 + i)), blocked: i%10 == 0})
	}
	d.mux.HandleFunc("GET /contacts/{app}", d.list)
	d.mux.HandleFunc("POST /contacts/{app}", d.create)
	d.mux.HandleFunc("GET /contacts/{app}/{id}", d.get)
	d.mux.HandleFunc("PUT /contacts/{app}/{id}", d.toggle)
	d.mux.HandleFunc("DELETE /contacts/{app}/{id}", d.delete)
	return d
}

// newID must be called with mu held.
func (d *double) newID() string {
	d.next++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", d.next)
}

func (d *double) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	d.requests++
	d.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+doubleToken {
		d.write(w, contactkit.OpListContacts, http.StatusForbidden, nil) // every operation's 403 says the same
		return
	}
	d.mux.ServeHTTP(w, r)
}

var words = map[int]string{200: "OK", 201: "CREATED", 400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND", 422: "UNPROCESSABLE_ENTITY"}

func (d *double) write(w http.ResponseWriter, op string, status int, extra map[string]any) {
	body := map[string]any{"statusCode": status, "code": words[status], "message": "The request has been successfully processed."}
	if o := d.spec.Op(op); o != nil && o.Message(status) != "" {
		body["message"] = o.Message(status)
	}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (d *double) view(c dContact, detail bool) map[string]any {
	v := map[string]any{"id": c.id, "phone": c.phone, "is_blocked": c.blocked, "created_at": "2024-05-14T11:51:48.000+07:00"}
	if detail {
		v["tags"] = []string{c.name}
	} else {
		v["tag"] = c.name
	}
	return v
}

// ours answers 403 for another app and reports whether the request may go on.
func (d *double) ours(w http.ResponseWriter, r *http.Request, op string) bool {
	if r.PathValue("app") != doubleApp {
		d.write(w, op, http.StatusForbidden, nil)
		return false
	}
	return true
}

// find gives the index of contact id, -1 when there is none; mu must be held.
func (d *double) find(id string) int {
	return slices.IndexFunc(d.contacts, func(c dContact) bool { return c.id == id })
}

func (d *double) list(w http.ResponseWriter, r *http.Request) {
	const op = contactkit.OpListContacts
	if !d.ours(w, r, op) {
		return
	}
	page, limit := 1, 10
	for name, p := range map[string]*int{"page": &page, "limit": &limit} {
		if s := r.URL.Query().Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || name == "limit" && n > 50 {
				d.write(w, op, http.StatusBadRequest, nil)
				return
			}
			*p = n
		}
	}
	d.mu.Lock()
	time.Sleep(roundTrip)
	all := slices.Clone(d.contacts)
	d.mu.Unlock()
	slices.Reverse(all) // newest first
	data := []any{}
	for i := (page - 1) * limit; i < min(page*limit, len(all)); i++ {
		data = append(data, d.view(all[i], false))
	}
	last := max(1, (len(all)+limit-1)/limit)
	meta := map[string]any{"total": len(all), "limit": limit, "current_page": page, "first_page": 1, "last_page": last,
		"previous_page": nil, "next_page": nil}
	if page > 1 {
		meta["previous_page"] = page - 1
	}
	if page < last {
		meta["next_page"] = page + 1
	}
	d.write(w, op, http.StatusOK, map[string]any{"data": data, "meta": meta})
}

func (d *double) create(w http.ResponseWriter, r *http.Request) {
	const op = contactkit.OpCreateContacts
	if !d.ours(w, r, op) {
		return
	}
	var rows []struct {
		Name  string      `json:"name"`
		Phone json.Number `json:"phone"`
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&rows); err != nil || len(rows) == 0 {
		d.write(w, op, http.StatusUnprocessableEntity, map[string]any{"errors": map[string]string{"body": "Data harus ber-tipe data array"}})
		return
	}
	errs := map[string]string{}
	for i, row := range rows {
		if strings.TrimSpace(row.Name) == "" {
			errs[fmt.Sprintf("%d.name", i)] = "Nama wajib diisi"
		}
		if _, err := row.Phone.Int64(); err != nil {
			errs[fmt.Sprintf("%d.phone", i)] = "Nomor telepon harus ber-tipe data number"
		}
	}
	if len(errs) > 0 {
		d.write(w, op, http.StatusUnprocessableEntity, map[string]any{"errors": errs})
		return
	}
	switch d.bug {
	case partialBatch:
		for _, row := range rows {
			d.mu.Lock()
			d.contacts = append(d.contacts, dContact{id: d.newID(), name: row.Name, phone: row.Phone})
			d.mu.Unlock()
			time.Sleep(roundTrip)
		}
	case lostBatch:
		d.mu.Lock()
		snapshot := slices.Clone(d.contacts)
		d.mu.Unlock()
		time.Sleep(roundTrip)
		d.mu.Lock()
		for _, row := range rows {
			snapshot = append(snapshot, dContact{id: d.newID(), name: row.Name, phone: row.Phone})
		}
		d.contacts = snapshot
		d.mu.Unlock()
	default:
		d.mu.Lock()
		time.Sleep(roundTrip)
		for range 1 + btoi(d.bug == twice) {
			for _, row := range rows {
				d.contacts = append(d.contacts, dContact{id: d.newID(), name: row.Name, phone: row.Phone})
			}
		}
		d.mu.Unlock()
	}
	d.write(w, op, http.StatusCreated, nil)
}

func (d *double) get(w http.ResponseWriter, r *http.Request) {
	const op = contactkit.OpGetContact
	if !d.ours(w, r, op) {
		return
	}
	d.mu.Lock()
	time.Sleep(roundTrip)
	i := d.find(r.PathValue("id"))
	var c dContact
	if i >= 0 {
		c = d.contacts[i]
	}
	d.mu.Unlock()
	if i < 0 {
		d.write(w, op, http.StatusNotFound, nil)
		return
	}
	d.write(w, op, http.StatusOK, map[string]any{"data": d.view(c, true)})
}

func (d *double) toggle(w http.ResponseWriter, r *http.Request) {
	const op = contactkit.OpToggleContactBlock
	if !d.ours(w, r, op) {
		return
	}
	id := r.PathValue("id")
	var c dContact
	found := false
	if d.bug == lostUpdate {
		d.mu.Lock()
		i := d.find(id)
		if found = i >= 0; found {
			c = d.contacts[i]
		}
		d.mu.Unlock()
		time.Sleep(roundTrip)
		c.blocked = !c.blocked
		d.mu.Lock()
		if i := d.find(id); found && i >= 0 {
			d.contacts[i].blocked = c.blocked
		}
		d.mu.Unlock()
	} else {
		d.mu.Lock()
		time.Sleep(roundTrip)
		if i := d.find(id); i >= 0 {
			found = true
			d.contacts[i].blocked = !d.contacts[i].blocked
			c = d.contacts[i]
		}
		d.mu.Unlock()
	}
	if !found {
		d.write(w, op, http.StatusNotFound, nil)
		return
	}
	d.write(w, op, http.StatusOK, map[string]any{"data": d.view(c, false)})
}

func (d *double) delete(w http.ResponseWriter, r *http.Request) {
	const op = contactkit.OpDeleteContact
	if !d.ours(w, r, op) {
		return
	}
	id := r.PathValue("id")
	found := false
	if d.bug == doubleDelete {
		d.mu.Lock()
		found = d.find(id) >= 0
		d.mu.Unlock()
		time.Sleep(roundTrip)
		d.mu.Lock()
		if i := d.find(id); i >= 0 {
			d.contacts = slices.Delete(d.contacts, i, i+1)
		}
		d.mu.Unlock()
	} else {
		d.mu.Lock()
		time.Sleep(roundTrip)
		if i := d.find(id); i >= 0 {
			found = true
			d.contacts = slices.Delete(d.contacts, i, i+1)
		}
		d.mu.Unlock()
	}
	if !found {
		d.write(w, op, http.StatusNotFound, nil)
		return
	}
	d.write(w, op, http.StatusOK, nil)
}

// names gives the names of every contact the double holds, oldest first.
func (d *double) names() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, c := range d.contacts {
		out = append(out, c.name)
	}
	return out
}

// failPuts answers every PUT with a 500 envelope, as a server whose store fails.
type failPuts struct{ d *double }

func (f failPuts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"statusCode":500,"code":"INTERNAL_SERVER_ERROR","message":"Internal error."}`))
		return
	}
	f.d.ServeHTTP(w, r)
}

// hostile wraps the faithful double and answers the requests match picks with
// answer instead: a target that hangs, floods or echoes.
type hostile struct {
	d      *double
	match  func(r *http.Request) bool
	answer func(w http.ResponseWriter, r *http.Request)
}

func (h hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.match(r) {
		h.answer(w, r)
		return
	}
	h.d.ServeHTTP(w, r)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
