package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/jsonshape"
	"github.com/contactkit/contactkit/store"
)

// A data file gives apps their exact contacts (--data FILE), in YAML or JSON:
//
//	apps:
//	  my-app:
//	    - {name: Budi Santoso, phone: 6281234567890}
//	    - {id: 0b5e0b4c-..., name: Siti Aminah, phone: 6281298765432,
//	       is_blocked: true, created_at: "2024-05-14T11:51:48.000+07:00"}
//
// Contacts are listed newest first, as the API lists them. id, is_blocked and
// created_at may be left out: ids are drawn from the seed and the app id, dates
// spread between their neighbours' (or before store.ReferenceDate), so a file with gaps
// loads the same on every start. The admin API's PUT /__admin/apps/{app} takes the
// same rows, and GET exports them.

// maxDataErrors bounds the problems one load reports: past it, fixing the first
// ones is what the user needs.
const maxDataErrors = 20

// maxDataAppID bounds an app id in a data file or an admin path.
const maxDataAppID = 256

// dataFields are a row's keys, in the order an export writes them.
var dataFields = []string{"id", "name", "phone", "is_blocked", "created_at"}

// Data is a data file's apps, checked against the contract: each app's contacts
// oldest first (as Store.Replace takes them), and the apps in file order.
type Data struct {
	apps  map[string][]Contact
	order []string
}

// Apps returns the app ids the data names, in file order.
func (d *Data) Apps() []string {
	if d == nil {
		return nil
	}
	return append([]string(nil), d.order...)
}

// Contacts returns how many contacts the data holds in all.
func (d *Data) Contacts() int {
	n := 0
	if d != nil {
		for _, rows := range d.apps {
			n += len(rows)
		}
	}
	return n
}

// DataError is one thing wrong with a data file or an admin PUT body: where it is
// (line; the app and row, from 0 in file order, when it is about one) and what.
type DataError struct {
	File  string
	Line  int
	App   string
	Row   int // -1 when the problem is not a row's
	Field string
	Msg   string
}

func (e *DataError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if where := e.where(); where != "" {
		b.WriteString(where + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// where names the place in the data: apps.my-app[3].phone.
func (e *DataError) where() string {
	if e.App == "" {
		return e.Field
	}
	s := "apps." + e.App
	if e.Row >= 0 {
		s += "[" + strconv.Itoa(e.Row) + "]"
	}
	if e.Field != "" {
		s += "." + e.Field
	}
	return s
}

// key is the error's key in a 422's errors, as the API keys a create's:
// `<row>.<field>`, `<row>`, or `body`.
func (e *DataError) key() string {
	switch {
	case e.Row >= 0 && e.Field != "":
		return strconv.Itoa(e.Row) + "." + e.Field
	case e.Row >= 0:
		return strconv.Itoa(e.Row)
	}
	return "body"
}

// DataErrors is every problem found in one load, in file order.
type DataErrors []*DataError

func (es DataErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// dataLoader checks a data file's rows against the contract and the mock's own
// rules, and fills what is missing.
type dataLoader struct {
	file    string
	seed    int64
	maxName int
	maxRows int
	maxApps int
	contact *openapi3.Schema
	opts    []openapi3.SchemaValidationOption
	errs    DataErrors
	// owners is the app and line each id was given in: a contact belongs to one
	// app, so an id given in two is refused.
	owners map[[16]byte]idOwner
	// doomed counts the rows read that are no contact at all, each an error
	// that rows will report.
	doomed int
}

// idOwner is where a data file gave an id.
type idOwner struct {
	app  string
	line int
}

func newDataLoader(file string, cfg *Config, spec *contactkit.Spec) (*dataLoader, error) {
	ref := spec.Doc.Components.Schemas["Contact"]
	if ref == nil || ref.Value == nil {
		return nil, errors.New("contract: no Contact schema to check data against")
	}
	maxApps := cfg.MaxApps
	if len(cfg.Auth) > 0 {
		maxApps = 1 << 30 // the cap is open mode's
	}
	return &dataLoader{file: file, seed: cfg.Seed, maxName: cfg.MaxNameLength, maxRows: cfg.MaxContacts,
		maxApps: maxApps, contact: ref.Value, opts: contactkit.SchemaOptions()}, nil
}

// readDataFile reads and checks the data file at path.
func readDataFile(path string, cfg *Config, spec *contactkit.Spec) (*Data, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data file: %w", err)
	}
	if cost := parseCost(src); cost > cfg.MaxMemory {
		return nil, DataErrors{{File: path, Row: -1, Msg: fmt.Sprintf(
			"reading it would take about %d MiB, more than --max-memory %d MiB (it holds about %d values; JSON costs less than YAML to read)",
			cost>>20, cfg.MaxMemory>>20, cost/tokenCost(src))}}
	}
	if e := scalarItems(src); e != nil {
		e.File = path
		return nil, DataErrors{e}
	}
	l, err := newDataLoader(path, cfg, spec)
	if err != nil {
		return nil, err
	}
	return l.parse(src, "")
}

// What reading a data file costs at its peak, per value its text can hold
// (parseCost's count), measured on the costliest files there are: bare integers,
// a value every two bytes (2 million of them: 415 bytes a value as JSON before
// full() stopped it, 537 as YAML flow, 260 as YAML block), with room to spare.
// An honest file costs less per value: 100,000 full contacts (1.1 million JSON
// values, 1.2 million YAML ones) peaked at 198 and 422 MB.
const (
	jsonValueCost = 256 // the decoder reads a row at a time, and stops at full()
	yamlValueCost = 640 // yaml.Node holds the whole file before a row is read
)

// isJSON says whether src is read as JSON (a subset of YAML, read by a faster
// path): it starts with { or [.
func isJSON(src []byte) bool {
	trimmed := bytes.TrimLeft(src, " \t\r\n")
	return len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
}

// tokenCost is what reading src costs per value parseCost counts.
func tokenCost(src []byte) int64 {
	if isJSON(src) {
		return jsonValueCost
	}
	return yamlValueCost
}

// parseCost estimates, before anything is parsed, the bytes reading src as a
// data file takes at its peak: the values its text can hold, each at its
// format's cost. A value needs a separator before it, so the count is an upper
// bound: in JSON, [ { , and : outside strings; in YAML (whose quotes a plain
// scalar may hold, so nothing is skipped), [ { , and a line, a "- ", ": " or "? "
// (a - or : inside a word or a date is no separator).
func parseCost(src []byte) int64 {
	if isJSON(src) {
		values, _ := jsonshape.Of(src)
		return values * jsonValueCost
	}
	var n int64
	for i, c := range src {
		switch c {
		case '[', '{', ',', '\n':
			n++
		case '-', ':', '?':
			if i+1 == len(src) || strings.IndexByte(" \t\r\n", src[i+1]) >= 0 {
				n++
			}
		}
	}
	return (n + 1) * yamlValueCost
}

// scalarItems refuses, before a YAML file is parsed, one whose lists hold more
// items that cannot be contacts than a load reports: lines "- 1", "- Budi",
// a value alone after the dash (no "key: value", no mapping). A data file's
// only lists are its apps' contacts, so each is an error, and a file of them
// (a value every four bytes) would cost its parse hundreds of megabytes before
// it is refused anyway. JSON needs no such check: it is read a row at a time
// and stops at full().
func scalarItems(src []byte) *DataError {
	if isJSON(src) {
		return nil
	}
	n, first := 0, 0
	for line := 1; len(src) > 0; line++ {
		text := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			text, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		item, ok := bytes.CutPrefix(bytes.TrimLeft(text, " \t"), []byte("- "))
		item = bytes.TrimSpace(item)
		if !ok || len(item) == 0 || bytes.ContainsAny(item, ":{#&*!|>?") {
			continue // not an item, or one that may be a mapping (or is YAML's own)
		}
		if n++; n == 1 {
			first = line
		}
	}
	if n <= maxDataErrors {
		return nil // read it: the load says what each is
	}
	return &DataError{Line: first, Row: -1, Msg: fmt.Sprintf(
		"%d list items are not contacts (a contact is a mapping {name, phone}, one a line: - {name: Budi, phone: 6281234567890}); refused before reading the rest", n)}
}

// full says the loader has as many errors as it reports, or rows that will be
// (not a contact at all): the data is refused, and reading more of it would
// only cost memory.
func (l *dataLoader) full() bool { return len(l.errs)+l.doomed >= maxDataErrors }

// errDataFull stops reading a JSON file once the loader is full.
var errDataFull = errors.New("enough errors")

func (l *dataLoader) fail(line int, app string, row int, field, format string, args ...any) {
	if len(l.errs) < maxDataErrors {
		l.errs = append(l.errs, &DataError{File: l.file, Line: line, App: app, Row: row, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
}

// parse reads src, a data file in YAML or JSON (JSON, a subset of YAML, is read
// by a faster path); with onlyApp set (an admin PUT), src may also be the bare
// list of that app's rows, and must name no other app.
func (l *dataLoader) parse(src []byte, onlyApp string) (*Data, error) {
	var apps []rawApp
	if isJSON(src) {
		apps = l.parseJSON(src, onlyApp)
	} else {
		apps = l.parseYAML(src, onlyApp)
	}
	if apps == nil && len(l.errs) > 0 {
		return nil, l.errs // the file could not be read through
	}
	d := &Data{apps: make(map[string][]Contact, len(apps))}
	for _, a := range apps {
		switch {
		case a.id == "":
			l.fail(a.line, "", -1, "apps", "an app id must be a non-empty string")
			continue
		case len(a.id) > maxDataAppID || !utf8.ValidString(a.id) || strings.ContainsAny(a.id, "/?#"):
			l.fail(a.line, "", -1, "apps", "app id %q: want at most %d bytes of UTF-8 without / ? #", clip(a.id, 64), maxDataAppID)
			continue
		case onlyApp != "" && a.id != onlyApp:
			l.fail(a.line, clip(a.id, 64), -1, "", "this PUT is for app %q only", onlyApp)
			continue
		}
		if _, dup := d.apps[a.id]; dup {
			l.fail(a.line, a.id, -1, "", "app listed twice")
			continue
		}
		d.order = append(d.order, a.id)
		d.apps[a.id] = l.rows(a)
	}
	if len(d.order) > l.maxApps {
		l.fail(0, "", -1, "apps", "%d apps: more than --max-apps %d", len(d.order), l.maxApps)
	}
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	return d, nil
}

// fieldKind is what a field's value is, whichever format wrote it.
type fieldKind uint8

const (
	kindOther fieldKind = iota
	kindString
	kindInt
	kindNumber
	kindBool
	kindNull
	kindMap
	kindList
)

// rawField is one field of a contact as the file wrote it.
type rawField struct {
	line  int
	kind  fieldKind
	text  string // a string's value, or a scalar's text
	num   int64  // an integer's value, when numOK
	numOK bool
	yes   bool // a boolean's value
}

// describe says what the value is, in a user's words.
func (f *rawField) describe() string {
	switch f.kind {
	case kindString:
		return fmt.Sprintf("the string %q", clip(f.text, 40))
	case kindInt:
		return "the integer " + clip(f.text, 40)
	case kindNumber:
		return "the number " + clip(f.text, 40)
	case kindBool:
		return "the boolean " + f.text
	case kindNull:
		return "nothing (null)"
	case kindMap:
		return "a mapping"
	case kindList:
		return "a list"
	}
	return clip(f.text, 40)
}

// rawRow is one contact as the file wrote it.
type rawRow struct {
	line                              int
	notMap                            *rawField // what stands in place of a mapping
	id, name, phone, blocked, created *rawField
}

// slot returns where a row keeps the field named key, or nil for an unknown key.
func (r *rawRow) slot(key string) **rawField {
	switch key {
	case "id":
		return &r.id
	case "name":
		return &r.name
	case "phone":
		return &r.phone
	case "is_blocked":
		return &r.blocked
	case "created_at":
		return &r.created
	}
	return nil
}

// rawApp is one app of a data file, its rows newest first.
type rawApp struct {
	id     string
	line   int
	rows   []rawRow
	notSeq *rawField // what stands in place of a list
}

// parseYAML reads a YAML data file into its apps.
func (l *dataLoader) parseYAML(src []byte, onlyApp string) []rawApp {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line, msg := yamlProblem(err)
		l.fail(line, "", -1, "", "%s", msg)
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		l.fail(1, "", -1, "", "empty: want a mapping with apps:")
		return nil
	}
	root := doc.Content[0]
	if onlyApp != "" && root.Kind == yaml.SequenceNode {
		return []rawApp{l.yamlApp(onlyApp, root, root)}
	}
	if root.Kind != yaml.MappingNode {
		l.fail(root.Line, "", -1, "", "want a mapping with apps:, found %s", yamlField(root).describe())
		return nil
	}
	var apps *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "apps" {
			l.fail(k.Line, "", -1, "", "unknown key %q: a data file has only apps:", clip(k.Value, 64))
			continue
		}
		apps = v
	}
	switch {
	case apps == nil:
		if len(l.errs) == 0 {
			l.fail(root.Line, "", -1, "", "no apps: key")
		}
		return nil
	case apps.Kind != yaml.MappingNode:
		l.fail(apps.Line, "", -1, "apps", "want a mapping of app id to contacts, found %s", yamlField(apps).describe())
		return nil
	}
	out := make([]rawApp, 0, len(apps.Content)/2)
	for i := 0; i+1 < len(apps.Content); i += 2 {
		k, v := apps.Content[i], apps.Content[i+1]
		id := k.Value
		if k.Kind != yaml.ScalarNode {
			id = ""
		}
		out = append(out, l.yamlApp(id, k, v))
	}
	return out
}

func (l *dataLoader) yamlApp(id string, key, seq *yaml.Node) rawApp {
	a := rawApp{id: id, line: key.Line}
	if seq.Kind != yaml.SequenceNode {
		a.notSeq = yamlField(seq)
		return a
	}
	a.rows = make([]rawRow, len(seq.Content))
	for i, n := range seq.Content {
		r := &a.rows[i]
		r.line = n.Line
		if n.Kind != yaml.MappingNode {
			r.notMap = yamlField(n)
			continue
		}
		for k := 0; k+1 < len(n.Content); k += 2 {
			key, v := n.Content[k], n.Content[k+1]
			slot := r.slot(key.Value)
			switch {
			case slot == nil:
				l.fail(key.Line, id, i, clip(key.Value, 64), "unknown field (want %s)", strings.Join(dataFields, ", "))
			case *slot != nil:
				l.fail(key.Line, id, i, key.Value, "given twice")
			default:
				*slot = yamlField(v)
			}
		}
	}
	return a
}

// yamlField reads a node as a field, by the type YAML gives it.
func yamlField(n *yaml.Node) *rawField {
	f := &rawField{line: n.Line, text: n.Value}
	switch n.Kind {
	case yaml.MappingNode:
		f.kind = kindMap
	case yaml.SequenceNode:
		f.kind = kindList
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str", "!!timestamp": // an unquoted date is still its text
			f.kind = kindString
		case "!!int":
			f.kind = kindInt
			f.numOK = n.Decode(&f.num) == nil
		case "!!float":
			f.kind = kindNumber
		case "!!bool":
			f.kind = kindBool
			_ = n.Decode(&f.yes)
		case "!!null":
			f.kind = kindNull
		}
	}
	return f
}

// jsonRow is one contact of a JSON data file, each field as written.
type jsonRow struct {
	ID        json.RawMessage `json:"id"`
	Name      json.RawMessage `json:"name"`
	Phone     json.RawMessage `json:"phone"`
	IsBlocked json.RawMessage `json:"is_blocked"`
	CreatedAt json.RawMessage `json:"created_at"`
}

// parseJSON reads a JSON data file into its apps, a row at a time, with the line
// of each row for messages.
func (l *dataLoader) parseJSON(src []byte, onlyApp string) []rawApp {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields() // in a row; the rest is read token by token
	lines := lineCounter{src: src}
	syntax := func(err error) []rawApp {
		var se *json.SyntaxError
		line := 0
		if errors.As(err, &se) {
			line = lines.at(se.Offset)
		}
		l.fail(line, "", -1, "", "not valid JSON: %s", clip(jsonProblem(err), 200))
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return syntax(err)
	}
	if tok == json.Delim('[') && onlyApp != "" {
		a, err := l.jsonRows(dec, &lines, onlyApp, 1)
		if err != nil && !errors.Is(err, errDataFull) {
			return syntax(err)
		}
		return []rawApp{a}
	}
	if tok != json.Delim('{') {
		l.fail(1, "", -1, "", `want an object with "apps"`)
		return nil
	}
	var out []rawApp
	for dec.More() {
		keyLine := lines.next(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return syntax(err)
		}
		if tok != "apps" {
			l.fail(keyLine, "", -1, "", "unknown key %q: a data file has only apps", clip(fmt.Sprint(tok), 64))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return syntax(err)
			}
			continue
		}
		if tok, err = dec.Token(); err != nil {
			return syntax(err)
		}
		if tok != json.Delim('{') {
			l.fail(keyLine, "", -1, "apps", "want an object of app id to contacts")
			return nil
		}
		for dec.More() {
			appLine := lines.next(dec.InputOffset())
			tok, err := dec.Token()
			if err != nil {
				return syntax(err)
			}
			id, _ := tok.(string)
			tok, err = dec.Token()
			if err != nil {
				return syntax(err)
			}
			switch tok {
			case json.Delim('['):
				a, err := l.jsonRows(dec, &lines, id, appLine)
				if errors.Is(err, errDataFull) {
					return append(out, a)
				} else if err != nil {
					return syntax(err)
				}
				out = append(out, a)
			case nil:
				out = append(out, rawApp{id: id, line: appLine})
			default:
				out = append(out, rawApp{id: id, line: appLine, notSeq: &rawField{line: appLine, text: clip(fmt.Sprint(tok), 40)}})
				if d, ok := tok.(json.Delim); ok && d == '{' {
					l.fail(appLine, id, -1, "", "want a list of contacts, found an object")
					return out
				}
			}
		}
		if _, err := dec.Token(); err != nil { // the apps object's }
			return syntax(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return syntax(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		l.fail(lines.next(dec.InputOffset()), "", -1, "", "more after the JSON object")
	}
	return out
}

// jsonRows reads an app's rows, up to and including the closing ].
func (l *dataLoader) jsonRows(dec *json.Decoder, lines *lineCounter, id string, line int) (rawApp, error) {
	a := rawApp{id: id, line: line}
	for dec.More() {
		if l.full() && len(a.rows) > 0 {
			return a, errDataFull
		}
		i := len(a.rows)
		a.rows = append(a.rows, rawRow{line: lines.next(dec.InputOffset())})
		r := &a.rows[i]
		var row jsonRow
		if err := dec.Decode(&row); err != nil {
			var typeErr *json.UnmarshalTypeError
			switch {
			case errors.As(err, &typeErr) && typeErr.Field == "":
				r.notMap = &rawField{line: r.line, text: "a JSON " + typeErr.Value}
				l.doomed++
				continue
			case strings.HasPrefix(err.Error(), "json: unknown field "):
				// The decoder read the rest of the row: its other fields are
				// checked too.
				name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
				l.fail(r.line, id, i, clip(name, 64), "unknown field (want %s)", strings.Join(dataFields, ", "))
			default:
				return a, err // a syntax error: the decoder cannot go on
			}
		}
		for _, f := range []struct {
			raw  json.RawMessage
			slot **rawField
		}{{row.ID, &r.id}, {row.Name, &r.name}, {row.Phone, &r.phone}, {row.IsBlocked, &r.blocked}, {row.CreatedAt, &r.created}} {
			if f.raw != nil {
				*f.slot = jsonField(f.raw, r.line)
			}
		}
	}
	_, err := dec.Token() // ]
	return a, err
}

// jsonField reads a JSON value as a field, by its first byte.
func jsonField(raw json.RawMessage, line int) *rawField {
	f := &rawField{line: line, text: string(raw)}
	if len(raw) == 0 {
		return f
	}
	switch c := raw[0]; {
	case c == '"':
		f.kind = kindString
		if s := raw[1 : len(raw)-1]; bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
			f.text = string(s)
		} else {
			_ = json.Unmarshal(raw, &f.text)
		}
	case c == '{':
		f.kind = kindMap
	case c == '[':
		f.kind = kindList
	case c == 't' || c == 'f':
		f.kind, f.yes = kindBool, c == 't'
	case c == 'n':
		f.kind = kindNull
	case bytes.ContainsAny(raw, ".eE"):
		f.kind = kindNumber
	default:
		f.kind = kindInt
		n, err := strconv.ParseInt(string(raw), 10, 64)
		f.num, f.numOK = n, err == nil
	}
	return f
}

// lineCounter turns byte offsets, met in increasing order, into line numbers.
type lineCounter struct {
	src  []byte
	off  int64
	line int
}

// next returns the line of the first value at or after off, skipping blanks and
// the comma before it.
func (c *lineCounter) next(off int64) int {
	for off < int64(len(c.src)) && strings.IndexByte(" \t\r\n,:", c.src[off]) >= 0 {
		off++
	}
	return c.at(off)
}

func (c *lineCounter) at(off int64) int {
	if c.line == 0 {
		c.line = 1
	}
	if off < c.off { // an error's offset may lie behind: count afresh
		c.off, c.line = 0, 1
	}
	off = min(off, int64(len(c.src)))
	c.line += bytes.Count(c.src[c.off:off], []byte{'\n'})
	c.off = off
	return c.line
}

// checked is a row that passed the mock's own checks, waiting for the contract's.
type checked struct {
	row   int
	line  int
	shown map[string]any
}

// rows checks an app's contacts, newest first in the file, and returns them
// oldest first, with what was missing filled in.
func (l *dataLoader) rows(a rawApp) []Contact {
	app := a.id
	if a.notSeq != nil {
		if a.notSeq.kind == kindNull {
			return []Contact{} // "my-app:" with nothing: an app with no contacts
		}
		l.fail(a.line, app, -1, "", "want a list of contacts, found %s", a.notSeq.describe())
		return nil
	}
	n := len(a.rows)
	if n > l.maxRows {
		l.fail(a.line, app, -1, "", "%d contacts: more than --max-contacts %d", n, l.maxRows)
		return nil
	}
	out := make([]Contact, n)
	hasID := make([]bool, n)
	hasDate := make([]bool, n)
	lines := make([]int, n)
	seen := make(map[[16]byte]int, n)
	toCheck := make([]checked, 0, n)
	before := len(l.errs)
	for i := range a.rows {
		// The file is newest first; the store takes oldest first.
		j := n - 1 - i
		c := &out[j]
		lines[j] = a.rows[i].line
		var shown map[string]any
		hasID[j], hasDate[j], shown = l.row(app, i, &a.rows[i], c)
		if shown != nil {
			toCheck = append(toCheck, checked{row: i, line: lines[j], shown: shown})
		}
		if hasID[j] {
			if first, dup := seen[c.ID]; dup {
				l.fail(lines[j], app, i, "id", "id given twice (first on line %d)", first)
			} else if o, other := l.owners[c.ID]; other {
				l.fail(lines[j], app, i, "id", "id given to app %q too (line %d): a contact belongs to one app", clip(o.app, 64), o.line)
			} else {
				seen[c.ID] = lines[j]
			}
		}
	}
	if l.owners == nil {
		l.owners = make(map[[16]byte]idOwner, len(seen))
	}
	for id, line := range seen {
		l.owners[id] = idOwner{app: app, line: line}
	}
	l.contract(app, toCheck)
	if len(l.errs) > before {
		return nil
	}
	l.fillIDs(app, out, hasID, seen)
	l.fillDates(app, out, hasDate, lines)
	return out
}

// contract checks rows against the Contact schema through kin-openapi, spread
// over the CPUs (it is most of a large file's load time), reporting in order.
func (l *dataLoader) contract(app string, rows []checked) {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(rows)/1024))
	errs := make([]error, len(rows))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(rows); i += workers {
				errs[i] = l.contact.VisitJSON(rows[i].shown, l.opts...)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			continue
		}
		field, msg := "", err.Error()
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			if p := se.JSONPointer(); len(p) > 0 {
				field = p[0]
			}
			msg = se.Reason
		}
		if field == "tag" {
			field = "name"
		}
		l.fail(rows[i].line, app, rows[i].row, field, "the contract refuses it: %s", clip(msg, 200))
	}
}

// row reads one contact into c: whether it gave an id and a date, and, when the
// mock's own checks pass, the contact as the list would show it, for the
// contract to judge.
func (l *dataLoader) row(app string, i int, r *rawRow, c *Contact) (hasID, hasDate bool, shown map[string]any) {
	if r.notMap != nil {
		l.fail(r.line, app, i, "", "want a contact {name, phone}, found %s", r.notMap.describe())
		return false, false, nil
	}
	bad := len(l.errs)
	// What the contract cannot say first (the file's own types, the docs' date
	// format, the mock's name rules); then the contract, on the contact as the
	// API would show it.
	switch f := r.name; {
	case f == nil:
		l.fail(r.line, app, i, "name", "missing")
	case f.kind != kindString:
		l.fail(f.line, app, i, "name", "want a string, found %s", f.describe())
	case strings.TrimSpace(f.text) == "":
		l.fail(f.line, app, i, "name", "empty or only blanks")
	case utf8.RuneCountInString(f.text) > l.maxName:
		l.fail(f.line, app, i, "name", "longer than %d characters", l.maxName)
	default:
		c.Name = f.text
	}
	switch f := r.phone; {
	case f == nil:
		l.fail(r.line, app, i, "phone", "missing")
	case f.kind != kindInt:
		l.fail(f.line, app, i, "phone", "want an integer such as 6281234567890, found %s", f.describe())
	case !f.numOK:
		l.fail(f.line, app, i, "phone", "does not fit a 64-bit integer")
	default:
		c.Phone = f.num
	}
	if f := r.blocked; f != nil {
		if f.kind != kindBool {
			l.fail(f.line, app, i, "is_blocked", "want true or false, found %s", f.describe())
		} else {
			c.Blocked = f.yes
		}
	}
	if f := r.id; f != nil {
		parsed, ok := parseID(f.text)
		if f.kind != kindString || !ok {
			l.fail(f.line, app, i, "id", "want a uuid such as 0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10, found %s", f.describe())
		} else {
			c.ID, hasID = parsed, true
		}
	}
	if f := r.created; f != nil {
		t, err := time.Parse(createdLayout, f.text)
		if f.kind != kindString || err != nil {
			l.fail(f.line, app, i, "created_at", "want the docs' format, 2024-05-14T11:51:48.000+07:00, found %s", f.describe())
		} else {
			c.CreatedMs, hasDate = t.UnixMilli(), true
		}
	}
	if len(l.errs) > bad {
		return hasID, hasDate, nil
	}
	shown = map[string]any{"phone": c.Phone, "tag": c.Name, "is_blocked": c.Blocked,
		"id": "00000000-0000-4000-8000-000000000000", "created_at": "2024-05-14T11:51:48.000+07:00"}
	if hasID {
		shown["id"] = r.id.text
	}
	if hasDate {
		shown["created_at"] = r.created.text
	}
	return hasID, hasDate, shown
}

// fillIDs gives rows without an id one drawn from the seed and the app id. The
// draw is not the app's own faker, whose ids its creates use.
func (l *dataLoader) fillIDs(app string, rows []Contact, has []bool, seen map[[16]byte]int) {
	var f *store.Faker
	for i := range rows {
		if has[i] {
			continue
		}
		if f == nil {
			f = store.NewFaker(l.seed, "\x00data\x00"+app)
		}
		id := f.ID()
		for _, dup := seen[id]; dup; _, dup = seen[id] {
			id = f.ID()
		}
		seen[id] = 0
		rows[i].ID = id
	}
}

// dataGapMs spaces generated dates that have no neighbour to sit between.
const dataGapMs = 60_000

// fillDates checks the given dates run oldest to newest (the file is newest
// first) and dates the rows without one between their neighbours, evenly.
func (l *dataLoader) fillDates(app string, rows []Contact, has []bool, lines []int) {
	n := len(rows)
	last := -1 // the older row with a date
	for i := range rows {
		if !has[i] {
			continue
		}
		if last >= 0 && rows[i].CreatedMs < rows[last].CreatedMs {
			l.fail(lines[i], app, n-1-i, "created_at", "older than the contact below it (line %d): list contacts newest first", lines[last])
		}
		last = i
	}
	for i := 0; i < n; {
		if has[i] {
			i++
			continue
		}
		j := i
		for j < n && !has[j] {
			j++
		}
		// rows[i:j] have no date; rows[i-1] and rows[j] are their neighbours.
		gap := int64(j - i)
		var lo, hi int64
		switch {
		case i > 0 && j < n:
			lo, hi = rows[i-1].CreatedMs, rows[j].CreatedMs
		case i > 0:
			lo = rows[i-1].CreatedMs
			hi = lo + (gap+1)*dataGapMs
		case j < n:
			hi = rows[j].CreatedMs
			lo = hi - (gap+1)*dataGapMs
		default:
			hi = store.ReferenceDate.UnixMilli()
			lo = hi - (gap+1)*dataGapMs
		}
		for k := i; k < j; k++ {
			rows[k].CreatedMs = lo + (hi-lo)*int64(k-i+1)/(gap+1)
		}
		i = j
	}
}

// yamlProblem pulls the line out of a YAML syntax error ("yaml: line 3: ...").
func yamlProblem(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, text, ok := strings.Cut(rest, ": ")
		if n, err := strconv.Atoi(num); ok && err == nil {
			return n, "not valid YAML or JSON: " + text
		}
	}
	return 0, "not valid YAML or JSON: " + msg
}

// appendExport writes an app's contacts (oldest first in rows) as a data file,
// newest first, so an export loads back with --data or a PUT.
func appendExport(b []byte, app string, rows []Contact, z zone) []byte {
	b = append(b, `{"apps":{`...)
	b = appendString(b, app)
	b = append(b, ":["...)
	for i := len(rows) - 1; i >= 0; i-- {
		c := rows[i]
		if i < len(rows)-1 {
			b = append(b, ",\n"...)
		} else {
			b = append(b, '\n')
		}
		b = append(b, `{"id":"`...)
		b = appendID(b, c.ID)
		b = append(b, `","name":`...)
		b = appendString(b, c.Name)
		b = append(b, `,"phone":`...)
		b = strconv.AppendInt(b, c.Phone, 10)
		b = append(b, `,"is_blocked":`...)
		b = strconv.AppendBool(b, c.Blocked)
		b = append(b, `,"created_at":"`...)
		b = appendCreated(b, c.CreatedMs, z)
		b = append(b, `"}`...)
	}
	if len(rows) > 0 {
		b = append(b, '\n')
	}
	return append(b, "]}}\n"...)
}

// DataApps returns the app ids of the data file, in file order.
func (s *Server) DataApps() []string { return s.data.Apps() }
