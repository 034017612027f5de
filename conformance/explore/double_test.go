package explore_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/contactkit/contactkit"
)

// double is a small faithful in-memory Contacts API, written from the docs and
// the contract's readings, that can break one behaviour at a time (bug). The
// explorer is proven on it without importing the mock.
type double struct {
	spec *contactkit.Spec
	// grants maps a token to its apps; nil: any bearer token, any app.
	grants map[string][]string
	bug    string

	// mu guards everything below.
	mu    sync.Mutex
	rows  []*dContact // every app's, oldest first
	rng   *rand.Rand
	clock time.Time
	// cache holds answers by URL, for the cache-before-auth bug.
	cache map[string][]byte
}

type dContact struct {
	id, app, name string
	phone         int64
	phoneF        float64 // the phone-float bug keeps it here
	blocked       bool
	created       time.Time
	deleted       bool
	toggled       bool // a PUT reached it
}

func newDouble(spec *contactkit.Spec, grants map[string][]string, bug string) *double {
	d := &double{spec: spec, grants: grants, bug: bug, rng: rand.New(rand.NewPCG(1, 2)), clock: time.Date(2024, 5, 14, 11, 51, 48, 0, time.UTC)}
	// Contacts nobody in the test made: the explorer must leave them alone.
	for _, app := range []string{"app1", "app2"} {
		for i := range 7 {
			d.rows = append(d.rows, &dContact{id: d.newID(), app: app, name: fmt.Sprintf("Seed %s %d", app, i), phone: 6280000000000 + int64(i), created: d.clock})
		}
	}
	return d
}

func (d *double) newID() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(d.rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

var words = map[int]string{200: "OK", 201: "CREATED", 400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND", 422: "UNPROCESSABLE_ENTITY", 500: "INTERNAL_SERVER_ERROR"}

func (d *double) write(w http.ResponseWriter, op string, status int, extra map[string]any) {
	body := map[string]any{"statusCode": status, "code": words[status], "message": "Internal error."}
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

func (d *double) view(c *dContact, detail bool) map[string]any {
	var phone any = c.phone
	if d.bug == "phone-float" || d.bug == "phone-list-float" && !detail {
		phone = json.Number(strconv.FormatFloat(c.phoneF, 'f', -1, 64))
	}
	v := map[string]any{"id": c.id, "phone": phone, "is_blocked": c.blocked, "created_at": c.created.In(time.FixedZone("", 7*3600)).Format("2006-01-02T15:04:05.000-07:00")}
	if detail {
		v["tags"] = []string{c.name}
		if c.toggled && d.bug == "put-tags" {
			v["tags"] = []string{c.name, "blocked"}
		}
	} else {
		v["tag"] = c.name
	}
	return v
}

// allowed says whether the Authorization header may act on app.
func (d *double) allowed(h, app string) bool {
	scheme, token, ok := strings.Cut(h, " ")
	switch {
	case d.bug == "auth-basic" && strings.EqualFold(scheme, "Basic"):
		return true
	case d.bug == "auth-raw" && !ok && h != "":
		token, scheme, ok = h, "Bearer", true
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return false
	}
	if d.grants == nil {
		return true
	}
	for granted, apps := range d.grants {
		match := token == granted || (d.bug == "auth-suffix" && strings.HasPrefix(token, granted)) || (d.bug == "token-case" && strings.EqualFold(token, granted))
		if match && slices.ContainsFunc(apps, func(a string) bool { return d.sameApp(a, app) }) {
			return true
		}
	}
	return false
}

// sameApp says whether the stored app a is the one a request names: equal, or,
// for the app-like bug, matched as a SQL LIKE pattern.
func (d *double) sameApp(a, asked string) bool {
	if d.bug != "app-like" {
		return a == asked
	}
	re := "^" + strings.NewReplacer("%", ".*", "_", ".").Replace(regexp.QuoteMeta(asked)) + "$"
	ok, _ := regexp.MatchString(re, a)
	return ok
}

// live returns app's live contacts, newest first.
func (d *double) live(app string) []*dContact {
	var out []*dContact
	for i := len(d.rows) - 1; i >= 0; i-- {
		c := d.rows[i]
		if (d.sameApp(c.app, app) || d.bug == "apps-shared") && (!c.deleted || d.bug == "deleted-listed") {
			out = append(out, c)
		}
	}
	if d.bug == "paging-unstable" && len(out) > 1 {
		d.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

func (d *double) find(op, app, id string) *dContact {
	anyApp := (d.bug == "bola-get" && op == contactkit.OpGetContact) || (d.bug == "bola-delete" && op == contactkit.OpDeleteContact)
	for _, c := range d.rows {
		if c.id == id && !c.deleted && (d.sameApp(c.app, app) || anyApp) {
			return c
		}
	}
	return nil
}

func (d *double) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "contacts" || parts[1] == "" {
		d.write(w, contactkit.OpGetContact, 404, nil)
		return
	}
	app := parts[1]
	if q := r.URL.Query().Get("appId"); q != "" && d.bug == "query-app" {
		app = q // the query's app over the path's
	}
	if d.bug == "cache-before-auth" && r.Method == http.MethodGet {
		if b, ok := d.cache[r.URL.String()]; ok {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b)
			return
		}
	}
	if d.bug == "charset-415" && r.Method == http.MethodPost && r.Header.Get("Content-Type") != "application/json" {
		d.write(w, contactkit.OpCreateContacts, 415, nil)
		return
	}
	if r.Method != http.MethodGet {
		clear(d.cache) // a write: every answer kept may be stale
	}
	var op string
	switch {
	case len(parts) == 2 && r.Method == http.MethodGet:
		op = contactkit.OpListContacts
	case len(parts) == 2 && r.Method == http.MethodPost:
		op = contactkit.OpCreateContacts
	case len(parts) == 3 && r.Method == http.MethodGet:
		op = contactkit.OpGetContact
	case len(parts) == 3 && r.Method == http.MethodPut:
		op = contactkit.OpToggleContactBlock
	case len(parts) == 3 && r.Method == http.MethodDelete:
		op = contactkit.OpDeleteContact
	default:
		d.write(w, contactkit.OpGetContact, 404, nil)
		return
	}
	if !d.allowed(r.Header.Get("Authorization"), app) {
		bypass := d.bug == "bfla-list" && op == contactkit.OpListContacts && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
		if d.bug == "refused-write-applied" && op == contactkit.OpToggleContactBlock {
			for _, c := range d.rows {
				if c.id == parts[2] && !c.deleted {
					c.blocked = !c.blocked
				}
			}
		}
		if !bypass {
			d.write(w, op, 403, nil)
			return
		}
	}
	if d.bug == "cache-before-auth" && r.Method == http.MethodGet {
		rec := httptest.NewRecorder()
		d.serve(rec, r, op, app, parts)
		if rec.Code == http.StatusOK {
			if d.cache == nil {
				d.cache = map[string][]byte{}
			}
			d.cache[r.URL.String()] = rec.Body.Bytes()
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	d.serve(w, r, op, app, parts)
}

func (d *double) serve(w http.ResponseWriter, r *http.Request, op, app string, parts []string) {
	switch op {
	case contactkit.OpListContacts:
		d.list(w, r, app)
	case contactkit.OpCreateContacts:
		d.create(w, r, app)
	default:
		d.one(w, r, op, app, parts[2])
	}
}

func (d *double) list(w http.ResponseWriter, r *http.Request, app string) {
	const op = contactkit.OpListContacts
	q := r.URL.Query()
	page, limit := d.spec.Paging.Page.Default, d.spec.Paging.Limit.Default
	var err error
	if q.Has("page") {
		if page, err = strconv.ParseInt(q.Get("page"), 10, 64); err != nil || page < d.spec.Paging.Page.Min {
			d.write(w, op, 400, nil)
			return
		}
	}
	if q.Has("limit") {
		if limit, err = strconv.ParseInt(q.Get("limit"), 10, 64); err != nil || limit < d.spec.Paging.Limit.Min || limit > d.spec.Paging.Limit.Max {
			d.write(w, op, 400, nil)
			return
		}
	}
	if d.bug == "500-limit-1" && limit == 1 {
		d.write(w, op, 500, nil)
		return
	}
	rows := d.live(app)
	if d.bug == "empty-500" && len(rows) == 0 {
		d.write(w, op, 500, nil)
		return
	}
	if d.bug == "cap-1000" && len(rows) > 1000 {
		rows = rows[:1000] // a query's LIMIT 1000
	}
	total := int64(len(rows))
	last := max(1, (total+limit-1)/limit)
	if d.bug == "full-last-page" && total > 0 && total%limit == 0 {
		last = total/limit + 1 // computed as total/limit + 1
	}
	if d.bug == "500-page-past-end" && page > last {
		d.write(w, op, 500, nil)
		return
	}
	from := (page - 1) * limit
	if page > 1 && d.bug == "paging-off-by-one" {
		from--
	}
	if page > 1 && d.bug == "paging-skip" {
		from++
	}
	data := []any{}
	for i := max(from, 0); i < from+limit && i < total; i++ {
		data = append(data, d.view(rows[i], false))
	}
	shownTotal := total
	if d.bug == "paging-total" && total > 0 {
		shownTotal = total + 1
		last = max(1, (shownTotal+limit-1)/limit)
	}
	meta := map[string]any{"total": shownTotal, "limit": limit, "current_page": page, "first_page": 1, "previous_page": nil, "next_page": nil, "last_page": last}
	if page > 1 {
		meta["previous_page"] = page - 1
	}
	if page < last {
		meta["next_page"] = page + 1
	}
	d.write(w, op, 200, map[string]any{"data": data, "meta": meta})
}

func (d *double) create(w http.ResponseWriter, r *http.Request, app string) {
	const op = contactkit.OpCreateContacts
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20))
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.UseNumber()
	var v any
	if !utf8.Valid(buf.Bytes()) || dec.Decode(&v) != nil || dec.More() || !json.Valid(buf.Bytes()) {
		d.write(w, op, 422, map[string]any{"errors": map[string]string{"body": "Body harus berupa JSON yang valid"}})
		return
	}
	rows, ok := v.([]any)
	if !ok || (len(rows) == 0 && d.bug != "batch-empty-201") {
		d.write(w, op, 422, map[string]any{"errors": map[string]string{"body": "Body harus berupa array"}})
		return
	}
	errs := map[string]string{}
	var made []*dContact
	for i, row := range rows {
		m, ok := row.(map[string]any)
		if !ok {
			errs[strconv.Itoa(i)] = "Data harus berupa objek"
			continue
		}
		name, ok := m["name"].(string)
		if !ok || strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > 255 {
			errs[fmt.Sprintf("%d.name", i)] = "Nama wajib diisi"
		}
		num, _ := m["phone"].(json.Number)
		phone, perr := strconv.ParseInt(string(num), 10, 64)
		if perr != nil && !(d.bug == "errors-first-only" && len(errs) > 0) {
			errs[fmt.Sprintf("%d.phone", i)] = "Nomor telepon harus ber-tipe data number"
		} else if perr != nil {
			errs["more"] = "dan lainnya"
		}
		if len(errs) > 0 {
			if d.bug == "batch-partial" {
				break
			}
			continue
		}
		switch d.bug {
		case "500-emoji":
			if strings.ContainsFunc(name, func(r rune) bool { return r > 0xFFFF }) {
				d.write(w, op, 500, nil)
				return
			}
		case "500-combining":
			if strings.ContainsFunc(name, func(r rune) bool { return r >= 0x300 && r <= 0x36f }) {
				d.write(w, op, 500, nil)
				return
			}
		case "500-int53":
			if phone > 1<<53 {
				d.write(w, op, 500, nil)
				return
			}
		case "name-trim":
			name = strings.TrimSpace(name)
		case "name-nfc":
			name = strings.ReplaceAll(name, "e\u0301", "é")
		case "name-truncate":
			if len(name) > 64 {
				name = name[:64]
			}
		case "phone-int32":
			phone = int64(int32(phone))
		case "batch-first-phone":
			if len(made) > 0 {
				phone = made[0].phone
			}
		}
		d.clock = d.clock.Add(time.Second)
		c := &dContact{id: d.newID(), app: app, name: name, phone: phone, phoneF: float64(phone), created: d.clock}
		if d.bug == "mass-assign" {
			if id, ok := m["id"].(string); ok {
				c.id = id
			}
			if b, ok := m["is_blocked"].(bool); ok {
				c.blocked = b
			}
			if s, ok := m["created_at"].(string); ok {
				c.created, _ = time.Parse(time.RFC3339, s)
			}
		}
		made = append(made, c)
	}
	if d.bug == "batch-partial" {
		d.rows = append(d.rows, made...)
	}
	if len(errs) > 0 {
		d.write(w, op, 422, map[string]any{"errors": errs})
		return
	}
	if d.bug == "batch-drop-last" && len(made) > 1 {
		made = made[:len(made)-1]
	}
	switch d.bug {
	case "batch-partial":
	case "create-torn":
		// One INSERT a row, outside a transaction: a reader meanwhile sees part
		// of the batch.
		for i, c := range made {
			if i > 0 {
				d.mu.Unlock()
				time.Sleep(500 * time.Microsecond)
				d.mu.Lock()
			}
			d.rows = append(d.rows, c)
		}
	default:
		d.rows = append(d.rows, made...)
	}
	if d.bug == "create-touches-other" {
		for _, c := range slices.Backward(d.rows[:len(d.rows)-len(made)]) {
			if c.app == app && !c.deleted {
				c.blocked = !c.blocked // the row before, updated by a stray UPDATE
				break
			}
		}
	}
	d.write(w, op, 201, nil)
}

func (d *double) one(w http.ResponseWriter, r *http.Request, op, app, id string) {
	c := d.find(op, app, id)
	if c == nil {
		d.write(w, op, 404, nil)
		return
	}
	switch op {
	case contactkit.OpGetContact:
		d.write(w, op, 200, map[string]any{"data": d.view(c, true)})
	case contactkit.OpToggleContactBlock:
		if d.bug == "toggle-lost-update" {
			// Read, wait on the store, write back without a lock: of two PUTs
			// at once, one is lost.
			was := c.blocked
			d.mu.Unlock()
			time.Sleep(time.Millisecond)
			d.mu.Lock()
			c.blocked, c.toggled = !was, true
			d.write(w, op, 200, map[string]any{"data": d.view(c, false)})
			return
		}
		if d.bug == "toggle-not-stored" {
			v := d.view(c, false)
			v["is_blocked"] = !c.blocked
			d.write(w, op, 200, map[string]any{"data": v})
			return
		}
		c.blocked = !c.blocked
		c.toggled = true
		var asked struct {
			Blocked *bool `json:"is_blocked"`
		}
		if d.bug == "put-body" && json.NewDecoder(r.Body).Decode(&asked) == nil && asked.Blocked != nil {
			c.blocked = *asked.Blocked // the body's state over the toggle
		}
		if d.bug == "put-renames" {
			c.name = strings.ToUpper(c.name)
		}
		if d.bug == "toggle-two" {
			if n := d.next(c); n != nil {
				n.blocked = !n.blocked
			}
		}
		if d.bug == "toggle-touches-created" {
			c.created = c.created.Add(time.Millisecond)
		}
		if d.bug == "toggle-always-blocks" {
			c.blocked = true
		}
		d.write(w, op, 200, map[string]any{"data": d.view(c, false)})
	case contactkit.OpDeleteContact:
		c.deleted = true
		if d.bug == "delete-two" {
			if n := d.next(c); n != nil {
				n.deleted = true
			}
		}
		if d.bug == "delete-revives" {
			// The previous deleted contact comes back.
			for _, x := range d.rows {
				if x.deleted && x != c && x.app == c.app {
					x.deleted = false
					break
				}
			}
		}
		d.write(w, op, 200, nil)
	}
}

// next is the contact made after c in c's app.
func (d *double) next(c *dContact) *dContact {
	i := slices.Index(d.rows, c)
	for j := i + 1; j < len(d.rows); j++ {
		if d.rows[j].app == c.app && !d.rows[j].deleted {
			return d.rows[j]
		}
	}
	return nil
}
