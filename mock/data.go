package mock

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v6"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/contactkit/contactkit"
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
// spread between their neighbours' (or before ReferenceDate), so a file with gaps
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
	l, err := newDataLoader(path, cfg, spec)
	if err != nil {
		return nil, err
	}
	return l.parse(src, "")
}

func (l *dataLoader) fail(line int, app string, row int, field, format string, args ...any) {
	if len(l.errs) < maxDataErrors {
		l.errs = append(l.errs, &DataError{File: l.file, Line: line, App: app, Row: row, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
}

// parse reads src, a data file; with onlyApp set (an admin PUT), src may also be
// the bare list of that app's rows, and must name no other app.
func (l *dataLoader) parse(src []byte, onlyApp string) (*Data, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line, msg := yamlProblem(err)
		l.fail(line, "", -1, "", "%s", msg)
		return nil, l.errs
	}
	d := &Data{apps: map[string][]Contact{}}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		l.fail(1, "", -1, "", "empty: want a mapping with apps:")
		return nil, l.errs
	}
	root := doc.Content[0]
	if onlyApp != "" && root.Kind == yaml.SequenceNode {
		d.order = []string{onlyApp}
		d.apps[onlyApp] = l.rows(onlyApp, root)
		return l.done(d)
	}
	if root.Kind != yaml.MappingNode {
		l.fail(root.Line, "", -1, "", "want a mapping with apps:, found %s", kindName(root))
		return nil, l.errs
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
	if apps == nil {
		if len(l.errs) == 0 {
			l.fail(root.Line, "", -1, "", "no apps: key")
		}
		return nil, l.errs
	}
	if apps.Kind != yaml.MappingNode {
		l.fail(apps.Line, "", -1, "apps", "want a mapping of app id to contacts, found %s", kindName(apps))
		return nil, l.errs
	}
	for i := 0; i+1 < len(apps.Content); i += 2 {
		k, v := apps.Content[i], apps.Content[i+1]
		app := k.Value
		switch {
		case k.Kind != yaml.ScalarNode || app == "":
			l.fail(k.Line, "", -1, "apps", "an app id must be a non-empty string")
			continue
		case len(app) > maxDataAppID || !utf8.ValidString(app) || strings.ContainsAny(app, "/?#"):
			l.fail(k.Line, "", -1, "apps", "app id %q: want at most %d bytes of UTF-8 without / ? #", clip(app, 64), maxDataAppID)
			continue
		case onlyApp != "" && app != onlyApp:
			l.fail(k.Line, clip(app, 64), -1, "", "this PUT is for app %q only", onlyApp)
			continue
		}
		if _, dup := d.apps[app]; dup {
			l.fail(k.Line, app, -1, "", "app listed twice")
			continue
		}
		d.order = append(d.order, app)
		d.apps[app] = l.rows(app, v)
	}
	if len(d.order) > l.maxApps {
		l.fail(apps.Line, "", -1, "apps", "%d apps: more than --max-apps %d", len(d.order), l.maxApps)
	}
	return l.done(d)
}

func (l *dataLoader) done(d *Data) (*Data, error) {
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	return d, nil
}

// rows checks an app's contacts, newest first in seq, and returns them oldest
// first, with what was missing filled in.
func (l *dataLoader) rows(app string, seq *yaml.Node) []Contact {
	if seq.Kind == yaml.ScalarNode && seq.Tag == "!!null" {
		return []Contact{} // "my-app:" with nothing: an app with no contacts
	}
	if seq.Kind != yaml.SequenceNode {
		l.fail(seq.Line, app, -1, "", "want a list of contacts, found %s", kindName(seq))
		return nil
	}
	n := len(seq.Content)
	if n > l.maxRows {
		l.fail(seq.Line, app, -1, "", "%d contacts: more than --max-contacts %d", n, l.maxRows)
		return nil
	}
	out := make([]Contact, n)
	hasID := make([]bool, n)
	hasDate := make([]bool, n)
	lines := make([]int, n)
	seen := make(map[[16]byte]int, n)
	before := len(l.errs)
	for i, node := range seq.Content {
		// The file is newest first; the store takes oldest first.
		c := &out[n-1-i]
		lines[n-1-i] = node.Line
		hasID[n-1-i], hasDate[n-1-i] = l.row(app, i, node, c)
		if hasID[n-1-i] {
			if first, dup := seen[c.ID]; dup {
				l.fail(node.Line, app, i, "id", "id given twice (first on line %d)", first)
			} else {
				seen[c.ID] = node.Line
			}
		}
	}
	if len(l.errs) > before {
		return nil
	}
	l.fillIDs(app, out, hasID, seen)
	l.fillDates(app, out, hasDate, lines)
	return out
}

// row reads one contact into c and reports whether it gave an id and a date.
func (l *dataLoader) row(app string, i int, node *yaml.Node, c *Contact) (hasID, hasDate bool) {
	if node.Kind != yaml.MappingNode {
		l.fail(node.Line, app, i, "", "want a contact {name, phone}, found %s", kindName(node))
		return false, false
	}
	var name, phone, blocked, id, created *yaml.Node
	for k := 0; k+1 < len(node.Content); k += 2 {
		key, v := node.Content[k], node.Content[k+1]
		var slot **yaml.Node
		switch key.Value {
		case "name":
			slot = &name
		case "phone":
			slot = &phone
		case "is_blocked":
			slot = &blocked
		case "id":
			slot = &id
		case "created_at":
			slot = &created
		default:
			l.fail(key.Line, app, i, clip(key.Value, 64), "unknown field (want %s)", strings.Join(dataFields, ", "))
			continue
		}
		if *slot != nil {
			l.fail(key.Line, app, i, key.Value, "given twice")
		}
		*slot = v
	}
	bad := len(l.errs)
	// Each field is checked by what the contract cannot say first (YAML's own
	// types, the docs' date format, the mock's name rules), then the contact as
	// the API would show it goes through the Contact schema.
	switch {
	case name == nil:
		l.fail(node.Line, app, i, "name", "missing")
	case !isScalar(name, "!!str"):
		l.fail(name.Line, app, i, "name", "want a string, found %s", kindName(name))
	case strings.TrimSpace(name.Value) == "":
		l.fail(name.Line, app, i, "name", "empty or only blanks")
	case utf8.RuneCountInString(name.Value) > l.maxName:
		l.fail(name.Line, app, i, "name", "longer than %d characters", l.maxName)
	default:
		c.Name = name.Value
	}
	switch {
	case phone == nil:
		l.fail(node.Line, app, i, "phone", "missing")
	case !isScalar(phone, "!!int"):
		l.fail(phone.Line, app, i, "phone", "want an integer such as 6281234567890, found %s", kindName(phone))
	default:
		if err := phone.Decode(&c.Phone); err != nil {
			l.fail(phone.Line, app, i, "phone", "does not fit a 64-bit integer")
		}
	}
	if blocked != nil {
		if !isScalar(blocked, "!!bool") {
			l.fail(blocked.Line, app, i, "is_blocked", "want true or false, found %s", kindName(blocked))
		} else {
			c.Blocked = blocked.Value == "true" || blocked.Value == "True" || blocked.Value == "TRUE"
		}
	}
	if id != nil {
		parsed, ok := parseID(id.Value)
		if !isScalar(id, "!!str") || !ok {
			l.fail(id.Line, app, i, "id", "want a uuid such as 0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10")
		} else {
			c.ID, hasID = parsed, true
		}
	}
	if created != nil {
		t, err := time.Parse(createdLayout, created.Value)
		if !isScalar(created, "!!str") && !isScalar(created, "!!timestamp") || err != nil {
			l.fail(created.Line, app, i, "created_at", "want the docs' format, 2024-05-14T11:51:48.000+07:00")
		} else {
			c.CreatedMs, hasDate = t.UnixMilli(), true
		}
	}
	if len(l.errs) > bad {
		return hasID, hasDate
	}
	// The contract's word on the contact as the list would give it.
	shown := map[string]any{"phone": c.Phone, "tag": c.Name, "is_blocked": c.Blocked,
		"id": "00000000-0000-4000-8000-000000000000", "created_at": "2024-05-14T11:51:48.000+07:00"}
	if hasID {
		shown["id"] = id.Value
	}
	if hasDate {
		shown["created_at"] = created.Value
	}
	if err := l.contact.VisitJSON(shown, l.opts...); err != nil {
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
		l.fail(node.Line, app, i, field, "the contract refuses it: %s", clip(msg, 200))
	}
	return hasID, hasDate
}

// fillIDs gives rows without an id one drawn from the seed and the app id. The
// draw is not the app's own faker, whose ids its creates use.
func (l *dataLoader) fillIDs(app string, rows []Contact, has []bool, seen map[[16]byte]int) {
	var f *gofakeit.Faker
	for i := range rows {
		if has[i] {
			continue
		}
		if f == nil {
			f = gofakeit.NewUnlocked(appSeed(l.seed, "\x00data\x00"+app))
		}
		id := newID(f)
		for _, dup := seen[id]; dup; _, dup = seen[id] {
			id = newID(f)
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
			hi = ReferenceDate.UnixMilli()
			lo = hi - (gap+1)*dataGapMs
		}
		for k := i; k < j; k++ {
			rows[k].CreatedMs = lo + (hi-lo)*int64(k-i+1)/(gap+1)
		}
		i = j
	}
}

func isScalar(n *yaml.Node, tag string) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == tag
}

// kindName says what a node is, in a user's words.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!str":
		return fmt.Sprintf("the string %q", clip(n.Value, 40))
	case "!!int":
		return "the integer " + clip(n.Value, 40)
	case "!!float":
		return "the number " + clip(n.Value, 40)
	case "!!bool":
		return "the boolean " + n.Value
	case "!!null":
		return "nothing (null)"
	}
	return clip(n.Value, 40)
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
func appendExport(b []byte, app string, rows []Contact, zone *time.Location) []byte {
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
		b = appendCreated(b, c.CreatedMs, zone)
		b = append(b, `"}`...)
	}
	if len(rows) > 0 {
		b = append(b, '\n')
	}
	return append(b, "]}}\n"...)
}
