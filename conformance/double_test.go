package conformance_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
)

// double is a small in-memory Contacts API that answers as the readings' "the mock
// answers" column says, unless told to break one documented behaviour (flaw). It
// lives in the tests so the runner is proven without importing the mock.
type double struct {
	flaw flaw
	// alt answers with the other readings the contract allows where the docs are
	// silent: 400 for a bad create body, 405 for an unknown method, a limit above
	// 50 clamped, previous_page past the end pointing at the last page.
	alt bool
	// paging holds the bounds it enforces: the embedded contract's, unless a test
	// changes the contract.
	paging  contactkit.Paging
	token   string
	granted map[string]bool

	// mu guards contacts and graveyard.
	mu       sync.Mutex
	contacts map[string][]contact // per app, newest first
	// graveyard holds deleted contacts, for the flaw that still serves them.
	graveyard map[string]contact
}

type contact struct {
	id      string
	phone   int64
	name    string
	blocked bool
	created time.Time
}

// flaw names one broken behaviour; "" is the faithful double.
type flaw string

const (
	flawNone                flaw = ""
	flawStatusCodeMismatch  flaw = "envelope statusCode disagrees with the HTTP status"
	flawCodeWrong           flaw = "envelope code is not the status word"
	flawMessageWrong        flaw = "message is not the docs' sentence"
	flawPhoneString         flaw = "phone served as a string"
	flawTextPlain           flaw = "content type text/plain"
	flawLimitHonoured       flaw = "limit above 50 honoured"
	flawPageZero            flaw = "page 0 accepted"
	flawDeleteKeeps         flaw = "DELETE answers 200 but keeps the contact"
	flawPutNeverUnblocks    flaw = "PUT never unblocks"
	flawPutNoop             flaw = "PUT answers 200 but changes nothing"
	flawMissingToken401     flaw = "missing token answers 401"
	flawMissingTokenAllowed flaw = "missing token let through"
	flawForeignAllowed      flaw = "foreign app let through"
	flawWrongTokenAllowed   flaw = "wrong token let through"
	flawPagingRepeats       flaw = "paging repeats an item across pages"
	flawTotalWrong          flaw = "meta.total wrong"
	flawNextOnLast          flaw = "next_page non-null on the last page"
	flawPastEndItems        flaw = "page past the end returns items"
	flawInvalidRowAccepted  flaw = "an invalid row accepted"
	flawErrorsNoIndex       flaw = "422 errors keyed without the row index"
	flawPartialBatch        flaw = "a batch with one bad row partly stored"
	flawCreatedMissing      flaw = "created contact missing from the list"
	flawTagsMissingName     flaw = "tags missing the name"
	flawUnknownContact200   flaw = "unknown contact answers 200"
	flawDeletedGettable     flaw = "deleted contact still gettable"
	flawPreviousOnFirst     flaw = "previous_page set on the first page"
	flawDefaultLimit20      flaw = "default limit 20"
	flawLastPageFloor       flaw = "last_page rounds down"
	flawIDNotUUID           flaw = "ids are not UUIDs"
	flawDetailTag           flaw = "detail carries tag instead of tags"
	flawCreatedAtBad        flaw = "created_at not a date-time"
	flawObjectBodyStored    flaw = "a single object body stored"
	flawUnknownRouteText    flaw = "unknown route answers plain text"
	flawMalformed500        flaw = "malformed JSON answers 500"
)

const (
	testToken   = "s3cr3t-token-ABCDEF"
	testApp     = "app1"
	testForeign = "app2"
	seedCount   = 60
)

var docsMessages = map[int]string{
	200: "The request has been successfully processed.",
	201: "Data has been successfully inserted.",
	400: "The request body does not contain valid data.",
	403: "You do not have access to this resource.",
	404: "The endpoint you are looking for seems to be not found.",
	422: "Data cannot be processed as it is invalid.",
}

var codeWords = map[int]string{200: "OK", 201: "CREATED", 400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND", 422: "UNPROCESSABLE_ENTITY", 401: "UNAUTHORIZED", 405: "METHOD_NOT_ALLOWED", 500: "INTERNAL_SERVER_ERROR"}

var jakarta = time.FixedZone("WIB", 7*3600)

func newDouble(f flaw) *double {
	spec, err := contactkit.LoadSpec()
	if err != nil {
		panic(err) // the embedded contract always loads; its own tests say so
	}
	d := &double{flaw: f, paging: spec.Paging, token: testToken, granted: map[string]bool{testApp: true}, contacts: map[string][]contact{}, graveyard: map[string]contact{}}
	base := time.Date(2024, 5, 14, 11, 51, 48, 0, jakarta)
	for i := range seedCount {
		c := contact{id: d.newID(), phone: 6281100000000 + int64(i), name: fmt.Sprintf("Seed%d Person", i), created: base.Add(time.Duration(i) * time.Minute)}
		d.contacts[testApp] = append([]contact{c}, d.contacts[testApp]...)
	}
	return d
}

func (d *double) newID() string {
	if d.flaw == flawIDNotUUID {
		var b [4]byte
		_, _ = rand.Read(b[:])
		return fmt.Sprintf("c-%x", b)
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (d *double) send(w http.ResponseWriter, status int, body map[string]any) {
	if body == nil {
		body = map[string]any{}
	}
	body["statusCode"] = status
	body["code"] = codeWords[status]
	if _, ok := body["message"]; !ok {
		body["message"] = docsMessages[status]
	}
	switch d.flaw {
	case flawStatusCodeMismatch:
		if status == 404 {
			body["statusCode"] = 200
		}
	case flawCodeWrong:
		if status == 403 {
			body["code"] = "FORBIDDEN_ACCESS"
		}
	case flawMessageWrong:
		if status == 404 {
			body["message"] = "Not found"
		}
	}
	if body["message"] == "" {
		body["message"] = http.StatusText(status) // 401 and 500 have no docs' sentence
	}
	ct := "application/json"
	if d.flaw == flawTextPlain {
		ct = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (d *double) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "contacts" || parts[1] == "" {
		if d.flaw == flawUnknownRouteText {
			http.NotFound(w, r)
			return
		}
		d.send(w, 404, nil)
		return
	}
	app := parts[1]
	var id string
	if len(parts) == 3 {
		id = parts[2]
	}
	allowed := map[string]bool{http.MethodGet: true, http.MethodPost: id == "", http.MethodPut: id != "", http.MethodDelete: id != ""}
	if !allowed[r.Method] {
		if d.alt {
			d.send(w, 405, nil)
			return
		}
		d.send(w, 404, nil)
		return
	}
	if status := d.auth(r, app); status != 0 {
		d.send(w, status, nil)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case id == "" && r.Method == http.MethodGet:
		d.list(w, r, app)
	case id == "":
		d.create(w, r, app)
	case r.Method == http.MethodGet:
		d.get(w, app, id)
	case r.Method == http.MethodPut:
		d.toggle(w, app, id)
	default:
		d.remove(w, app, id)
	}
}

// auth returns 0 when the request may go on, else the status to answer.
func (d *double) auth(r *http.Request, app string) int {
	h := r.Header.Get("Authorization")
	if h == "" {
		switch d.flaw {
		case flawMissingToken401:
			return 401
		case flawMissingTokenAllowed:
			return 0
		}
		return 403
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" || (tok != d.token && d.flaw != flawWrongTokenAllowed) {
		return 403
	}
	if !d.granted[app] && d.flaw != flawForeignAllowed {
		return 403
	}
	return 0
}

func positive(q string, def int) (int, bool) {
	if q == "" {
		return def, true
	}
	n, err := strconv.Atoi(q)
	return n, err == nil && n >= 1
}

func (d *double) list(w http.ResponseWriter, r *http.Request, app string) {
	defLimit := int(d.paging.Limit.Default)
	if d.flaw == flawDefaultLimit20 {
		defLimit *= 2
	}
	page, ok1 := positive(r.URL.Query().Get("page"), int(d.paging.Page.Default))
	limit, ok2 := positive(r.URL.Query().Get("limit"), defLimit)
	if d.flaw == flawPageZero && r.URL.Query().Get("page") == "0" {
		page, ok1 = 1, true
	}
	maxLimit := int(d.paging.Limit.Max)
	if d.flaw == flawLimitHonoured {
		maxLimit *= 2
	}
	if d.alt && ok2 && limit > maxLimit {
		limit = maxLimit
	}
	if !ok1 || !ok2 || limit > maxLimit {
		d.send(w, 400, nil)
		return
	}
	all := d.contacts[app]
	total := len(all)
	last := int(math.Ceil(float64(total) / float64(limit)))
	if last == 0 {
		last = 1
	}
	from := (page - 1) * limit
	if d.flaw == flawPagingRepeats && page > 1 {
		from--
	}
	if d.flaw == flawPastEndItems && page > last {
		from = (last - 1) * limit
	}
	items := []any{}
	for i := from; i < from+limit && i < total; i++ {
		items = append(items, d.listForm(all[i]))
	}
	meta := map[string]any{"total": total, "limit": limit, "current_page": page, "first_page": 1, "previous_page": nil, "next_page": nil, "last_page": last}
	if page > 1 {
		meta["previous_page"] = page - 1
		if d.alt && page > last {
			meta["previous_page"] = last
		}
	}
	if page < last || d.flaw == flawNextOnLast && page == last {
		meta["next_page"] = page + 1
	}
	switch d.flaw {
	case flawTotalWrong:
		meta["total"] = total + 1
	case flawPreviousOnFirst:
		if page == 1 {
			meta["previous_page"] = 1
		}
	case flawLastPageFloor:
		meta["last_page"] = max(total/limit, 1)
	}
	d.send(w, 200, map[string]any{"data": items, "meta": meta})
}

func (d *double) listForm(c contact) map[string]any {
	m := map[string]any{"id": c.id, "phone": c.phone, "tag": c.name, "is_blocked": c.blocked, "created_at": d.createdAt(c)}
	if d.flaw == flawPhoneString {
		m["phone"] = strconv.FormatInt(c.phone, 10)
	}
	return m
}

func (d *double) createdAt(c contact) string {
	if d.flaw == flawCreatedAtBad {
		return "yesterday"
	}
	return c.created.Format("2006-01-02T15:04:05.000-07:00")
}

func (d *double) detailForm(c contact) map[string]any {
	m := d.listForm(c)
	delete(m, "tag")
	first, last, _ := strings.Cut(c.name, " ")
	tags := []string{c.name, first}
	if last != "" {
		tags = append(tags, last+", "+first)
	}
	if d.flaw == flawTagsMissingName {
		tags = tags[1:]
	}
	m["tags"] = tags
	if d.flaw == flawDetailTag {
		delete(m, "tags")
		m["tag"] = c.name
	}
	return m
}

func (d *double) find(app, id string) int {
	for i, c := range d.contacts[app] {
		if c.id == id {
			return i
		}
	}
	return -1
}

func (d *double) create(w http.ResponseWriter, r *http.Request, app string) {
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(r.Body)
	dec := json.NewDecoder(&buf)
	dec.UseNumber()
	var body any
	if err := dec.Decode(&body); err != nil {
		if d.flaw == flawMalformed500 {
			d.send(w, 500, nil)
			return
		}
		d.badBody(w)
		return
	}
	rows, isArray := body.([]any)
	if obj, isObj := body.(map[string]any); isObj && d.flaw == flawObjectBodyStored {
		rows, isArray = []any{obj}, true
	}
	if !isArray || len(rows) == 0 {
		d.badBody(w)
		return
	}
	errs := map[string]string{}
	var valid []contact
	for i, raw := range rows {
		row, _ := raw.(map[string]any)
		key := func(f string) string {
			if d.flaw == flawErrorsNoIndex {
				return f
			}
			return fmt.Sprintf("%d.%s", i, f)
		}
		name, okName := row["name"].(string)
		if !okName || name == "" {
			errs[key("name")] = "Nama harus diisi"
		}
		num, okNum := row["phone"].(json.Number)
		phone, err := num.Int64()
		if !okNum || err != nil {
			if d.flaw != flawInvalidRowAccepted {
				errs[key("phone")] = "Nomor telepon harus ber-tipe data number"
			}
		}
		if okName && name != "" && (okNum && err == nil || d.flaw == flawInvalidRowAccepted) {
			valid = append(valid, contact{id: d.newID(), phone: phone, name: name, created: time.Now().In(jakarta)})
		}
	}
	if len(errs) > 0 && d.flaw != flawPartialBatch {
		d.send(w, 422, map[string]any{"errors": errs})
		return
	}
	if d.flaw != flawCreatedMissing {
		for _, c := range valid {
			d.contacts[app] = append([]contact{c}, d.contacts[app]...)
		}
	}
	if len(errs) > 0 {
		d.send(w, 422, map[string]any{"errors": errs})
		return
	}
	d.send(w, 201, nil)
}

func (d *double) badBody(w http.ResponseWriter) {
	if d.alt {
		d.send(w, 400, nil)
		return
	}
	d.send(w, 422, map[string]any{"errors": map[string]string{"body": "Data harus ber-tipe data array"}})
}

func (d *double) get(w http.ResponseWriter, app, id string) {
	i := d.find(app, id)
	if i < 0 {
		if c, ok := d.graveyard[id]; ok && d.flaw == flawDeletedGettable {
			d.send(w, 200, map[string]any{"data": d.detailForm(c)})
			return
		}
		if d.flaw == flawUnknownContact200 && len(d.contacts[app]) > 0 {
			d.send(w, 200, map[string]any{"data": d.detailForm(d.contacts[app][0])})
			return
		}
		d.send(w, 404, nil)
		return
	}
	d.send(w, 200, map[string]any{"data": d.detailForm(d.contacts[app][i])})
}

func (d *double) toggle(w http.ResponseWriter, app, id string) {
	i := d.find(app, id)
	if i < 0 {
		d.send(w, 404, nil)
		return
	}
	c := &d.contacts[app][i]
	if d.flaw != flawPutNoop {
		c.blocked = !c.blocked
	}
	if d.flaw == flawPutNeverUnblocks {
		c.blocked = true
	}
	d.send(w, 200, map[string]any{"data": d.listForm(*c)})
}

func (d *double) remove(w http.ResponseWriter, app, id string) {
	i := d.find(app, id)
	if i < 0 {
		d.send(w, 404, nil)
		return
	}
	if d.flaw != flawDeleteKeeps {
		d.graveyard[id] = d.contacts[app][i]
		d.contacts[app] = append(d.contacts[app][:i:i], d.contacts[app][i+1:]...)
	}
	d.send(w, 200, map[string]any{"message": "Data has been successfully deleted."})
}
