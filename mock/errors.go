package mock

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/store"
)

// Every way a request can fail that the mock words itself. failures below maps
// each to its status and the words the journal and the log use; nothing else
// decides a status.
var (
	errNoRoute     = errors.New("no such route")
	errNoBearer    = errors.New("no bearer token")
	errBadToken    = errors.New("unknown token")
	errNotGranted  = errors.New("token not granted this app")
	errAdminToken  = errors.New("admin token missing or wrong")
	errTargetLong  = errors.New("request target too long")
	errAppIDLong   = errors.New("app id too long")
	errBadQuery    = errors.New("query does not decode")
	errBrokenReply = errors.New("answer breaks the contract")
	errPanic       = errors.New("handler panicked")

	// The store's failures (package store), named here as the mock's.
	errNoApp       = store.ErrNoApp
	errNoMemory    = store.ErrNoMemory
	errNoContact   = store.ErrNoContact
	errFull        = store.ErrFull
	errDuplicateID = store.ErrDuplicateID
	// errStoreUnavailable is a store out of reach or slower than its timeout
	// (Redis down, restarting, overloaded): 503, outside the contract on purpose,
	// as a real API's outage would be.
	errStoreUnavailable = store.ErrUnavailable
)

// failure is one row of the table: a failure, its status, and for a 422 the
// message the envelope's errors give under "body" (built from the config, since
// it may name a limit).
type failure struct {
	err    error
	status int
	body   func(cfg *Config) string
}

// failures is the one table from a failure to its answer (benbjohnson/wtf's
// http/http.go): a sentinel's status here, its own text in the journal and the
// log. Two typed failures complete it: *invalidError (422, with its fields) and
// *pagingError (400, naming the parameter). Anything else is the mock's fault: 500.
var failures = []failure{
	{errNoRoute, http.StatusNotFound, nil},
	{errNoContact, http.StatusNotFound, nil},
	{errTargetLong, http.StatusNotFound, nil},
	{errAppIDLong, http.StatusNotFound, nil},
	{errNoBearer, http.StatusForbidden, nil},
	{errBadToken, http.StatusForbidden, nil},
	{errNotGranted, http.StatusForbidden, nil},
	{errAdminToken, http.StatusForbidden, nil},
	{errNoApp, http.StatusForbidden, nil},
	{errBadQuery, http.StatusBadRequest, nil},
	{errFull, http.StatusUnprocessableEntity, func(cfg *Config) string { return fmt.Sprintf(msgAppFull, cfg.MaxContacts) }},
	{errNoMemory, http.StatusUnprocessableEntity, func(cfg *Config) string { return fmt.Sprintf(msgMemoryFull, cfg.MaxMemory>>20) }},
	{errDuplicateID, http.StatusUnprocessableEntity, func(*Config) string { return msgFieldInvalid }},
	{errBrokenReply, http.StatusInternalServerError, nil},
	{errPanic, http.StatusInternalServerError, nil},
	{errStoreUnavailable, http.StatusServiceUnavailable, nil},
}

// classify finds err's status, what the journal and the log say of it (a
// sentinel's text, with any words the mock wrapped it in), and for a 422 the fields
// its envelope lists.
func classify(err error, cfg *Config) (status int, problem string, fields map[string]string) {
	var invalid *invalidError
	var paging *pagingError
	switch {
	case errors.As(err, &invalid):
		return http.StatusUnprocessableEntity, invalid.summary(), invalid.fields
	case errors.As(err, &paging):
		return http.StatusBadRequest, paging.Error(), nil
	}
	for _, f := range failures {
		if !errors.Is(err, f.err) {
			continue
		}
		if f.body != nil {
			fields = map[string]string{"body": f.body(cfg)}
		}
		return f.status, err.Error(), fields
	}
	return http.StatusInternalServerError, "unexpected failure", nil
}

// invalidError is a 422: every invalid field of a create, keyed `<row>.<field>`
// (or `<row>` for a row that is not an object, `body` for the body as a whole),
// with a message in the API's language.
type invalidError struct {
	fields map[string]string
}

func (e *invalidError) Error() string { return "invalid body: " + e.summary() }

// summary lists the fields in order, for the journal and the log.
func (e *invalidError) summary() string {
	var b strings.Builder
	for i, k := range errorKeys(e.fields) {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + ": " + e.fields[k])
	}
	return b.String()
}

// add records msg for key unless key already has a message: the first problem
// found with a field is the one the client sees.
func (e *invalidError) add(key, msg string) {
	if _, ok := e.fields[key]; !ok {
		e.fields[key] = msg
	}
}

func bodyError(msg string) *invalidError {
	return &invalidError{fields: map[string]string{"body": msg}}
}

// words are the API's own words for invalid create bodies that the contract's
// examples give (the docs' 422 and the contract's notArray), read from it.
type words struct {
	phoneType string // a phone that is not a number: "0.phone" of the docs' 422
	bodyArray string // a body that is not an array: "body" of notArray
}

// readWords takes the words from the create's 422 examples, and fails for a
// contract that lacks one.
func readWords(spec *contactkit.Spec) (words, error) {
	op := spec.Op(contactkit.OpCreateContacts)
	if op == nil {
		return words{}, fmt.Errorf("contract: no %s operation", contactkit.OpCreateContacts)
	}
	w := words{
		phoneType: op.ExampleError(http.StatusUnprocessableEntity, "docs", "0.phone"),
		bodyArray: op.ExampleError(http.StatusUnprocessableEntity, "notArray", "body"),
	}
	if w.phoneType == "" || w.bodyArray == "" {
		return words{}, fmt.Errorf("contract: %s 422 needs the examples docs (errors 0.phone) and notArray (errors body)",
			contactkit.OpCreateContacts)
	}
	return w, nil
}

// The API's own words for the other invalid create bodies, after the pattern of
// the contract's.
const (
	msgPhoneRequired = "Nomor telepon wajib diisi"
	msgPhoneInteger  = "Nomor telepon harus berupa bilangan bulat"
	msgPhoneRange    = "Nomor telepon terlalu besar"
	msgNameType      = "Nama harus ber-tipe data string"
	msgNameRequired  = "Nama wajib diisi"
	msgNameLong      = "Nama maksimal %d karakter"
	msgRowType       = "Data harus ber-tipe data object"
	msgFieldInvalid  = "Data tidak valid"
	msgBodyEmpty     = "Data tidak boleh kosong"
	msgBodyRequired  = "Data wajib diisi"
	msgBodyJSON      = "Data harus berupa JSON yang valid"
	msgBodyUTF8      = "Data harus berupa teks UTF-8 yang valid"
	msgBodyLarge     = "Data maksimal %d byte"
	msgBodyMediaType = "Content-Type harus application/json"
	msgBatchLarge    = "Data maksimal %d baris"
	msgAppFull       = "Aplikasi maksimal berisi %d kontak"
	msgMemoryFull    = "Mock sudah mencapai batas memori %d MiB"
)

// pagingError is a 400: a query parameter of the list that the contract refuses.
// It names the parameter for the journal and the log; the client gets the docs'
// 400 envelope either way.
type pagingError struct {
	param string
}

func (e *pagingError) Error() string {
	if e.param == "" {
		return "bad paging parameter"
	}
	return "bad paging parameter: " + e.param
}

// requestFailure turns what ValidateRequest returned into one of the failures
// above: a bad parameter (400) wins over the body (422). The bearer check ran
// before validation, so no security failure comes back.
func (w *words) requestFailure(err error) error {
	var param error
	body := &invalidError{fields: map[string]string{}}
	walk(err, func(e error) {
		req, _ := e.(*openapi3filter.RequestError)
		switch {
		case req != nil && req.RequestBody != nil:
			w.translateBody(req, body)
		case req != nil && req.Parameter != nil:
			param = &pagingError{param: req.Parameter.Name}
		default:
			// A problem kin-openapi ties to neither a parameter nor the body:
			// the request is bad, not the mock.
			param = &pagingError{}
		}
	})
	switch {
	case param != nil:
		return param
	case len(body.fields) > 0:
		return body
	}
	return &pagingError{}
}

// walk calls fn for every error in err's tree of multi-errors. It matches the
// type itself: errors.As would see through a RequestError into its schema errors.
func walk(err error, fn func(error)) {
	if multi, ok := err.(openapi3.MultiError); ok {
		for _, e := range multi {
			walk(e, fn)
		}
		return
	}
	fn(err)
}

// translateBody records, in the API's words, what is wrong with a create body.
func (w *words) translateBody(req *openapi3filter.RequestError, into *invalidError) {
	var parse *openapi3filter.ParseError
	switch {
	case errors.Is(req.Err, openapi3filter.ErrInvalidRequired):
		into.add("body", msgBodyRequired)
		return
	case req.Err == nil && strings.HasPrefix(req.Reason, "header Content-Type"):
		into.add("body", msgBodyMediaType)
		return
	case errors.As(req.Err, &parse):
		into.add("body", msgBodyJSON)
		return
	}
	found := false
	schemaErrors(req.Err, func(se *openapi3.SchemaError) {
		found = true
		key, msg := w.schemaMessage(se)
		into.add(key, msg)
	})
	if !found {
		into.add("body", msgBodyJSON)
	}
}

// schemaErrors calls fn for every SchemaError in err's tree.
func schemaErrors(err error, fn func(*openapi3.SchemaError)) {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, e := range e {
			schemaErrors(e, fn)
		}
	case *openapi3.SchemaError:
		fn(e)
	}
}

// schemaMessage keys a schema failure by its JSON pointer (row, then field) and
// words it as the API would.
func (w *words) schemaMessage(se *openapi3.SchemaError) (key, msg string) {
	p := se.JSONPointer()
	switch len(p) {
	case 0:
		if se.SchemaField == "minItems" {
			return "body", msgBodyEmpty
		}
		return "body", w.bodyArray // not an array: an object, a string, null
	case 1:
		return p[0], msgRowType
	}
	key = strings.Join(p, ".")
	switch field := p[len(p)-1]; {
	case len(p) == 2 && field == "phone":
		switch {
		case se.SchemaField == "required":
			return key, msgPhoneRequired
		case se.SchemaField == "format", strings.Contains(se.Reason, "cannot convert"):
			return key, msgPhoneRange
		case se.SchemaField == "type" && isNumber(se.Value):
			return key, msgPhoneInteger
		}
		return key, w.phoneType
	case len(p) == 2 && field == "name":
		switch se.SchemaField {
		case "required", "minLength":
			return key, msgNameRequired
		}
		return key, msgNameType
	}
	return key, msgFieldInvalid
}

func isNumber(v any) bool {
	switch v.(type) {
	case json.Number, float64, int, int64:
		return true
	}
	return false
}

// checkRows adds what the contract cannot say to rows that passed it: a name of
// only blanks or longer than maxName, a phone that is no int64. It returns the rows
// as stored, or nil when any is invalid.
func (w *words) checkRows(value any, maxName int, into *invalidError) []NewContact {
	rows, ok := value.([]any)
	if !ok {
		return nil
	}
	out := make([]NewContact, 0, len(rows))
	for i, row := range rows {
		m, ok := row.(map[string]any)
		if !ok {
			continue
		}
		prefix := strconv.Itoa(i) + "."
		name, nameOK := m["name"].(string)
		if nameOK {
			switch {
			case strings.TrimSpace(name) == "":
				into.add(prefix+"name", msgNameRequired)
				nameOK = false
			case utf8.RuneCountInString(name) > maxName:
				into.add(prefix+"name", fmt.Sprintf(msgNameLong, maxName))
				nameOK = false
			}
		}
		phone, phoneErr := w.parsePhone(m["phone"])
		if phoneErr != "" {
			into.add(prefix+"phone", phoneErr)
		}
		if nameOK && phoneErr == "" {
			out = append(out, NewContact{Name: name, Phone: phone})
		}
	}
	if len(into.fields) > 0 {
		return nil
	}
	return out
}

// parsePhone reads a phone the contract accepted as an integer. It decides from
// the JSON text, exactly, never through a float64: 6.28e12 and 6280000000000.0 name
// an integer, 6281234567890.0000001 and 1e-400 do not (a float64 would round them
// to one), and anything past an int64 is too large.
func (w *words) parsePhone(v any) (int64, string) {
	n, ok := v.(json.Number)
	if !ok {
		if v == nil {
			return 0, msgPhoneRequired
		}
		return 0, w.phoneType
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, ""
	}
	return integerText(string(n))
}

// integerText reads a JSON number written with a fraction or an exponent as the
// integer it names, if it names one that fits an int64.
func integerText(s string) (int64, string) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mantissa, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	whole, frac, _ := strings.Cut(mantissa, ".")
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expText)
		if err != nil {
			// An exponent past an int: the number is 0 (all digits zero), or
			// far too large or too small to be a phone.
			e = 1 << 30
			if strings.HasPrefix(expText, "-") {
				e = -e
			}
		}
		exp = e
	}
	// The value is digits x 10^exp, digits without leading or trailing zeros.
	digits := strings.TrimLeft(whole+frac, "0")
	exp -= len(frac)
	trimmed := strings.TrimRight(digits, "0")
	if trimmed == "" {
		return 0, "" // zero, however written
	}
	exp += len(digits) - len(trimmed)
	switch {
	case exp < 0:
		return 0, msgPhoneInteger // a nonzero digit after the point
	case len(trimmed)+exp > 19:
		return 0, msgPhoneRange
	}
	text := trimmed + strings.Repeat("0", exp)
	if neg {
		text = "-" + text
	}
	i, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, msgPhoneRange
	}
	return i, ""
}

// errorKeys orders error keys by row number, then field: "2.phone" before
// "10.name", and "body" first.
func errorKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, fi := splitKey(keys[i])
		rj, fj := splitKey(keys[j])
		if ri != rj {
			return ri < rj
		}
		return fi < fj
	})
	return keys
}

func splitKey(k string) (int, string) {
	row, field, _ := strings.Cut(k, ".")
	n, err := strconv.Atoi(row)
	if err != nil {
		return -1, k
	}
	return n, field
}
