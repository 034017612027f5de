package proxy

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/redact"
	"github.com/contactkit/contactkit/scenario"
)

// Bounds of what a recording keeps of one exchange.
const (
	maxRecordBody   = 64 << 10 // a larger request body is not recorded
	maxRecordItems  = 1000     // contacts kept of one answer
	maxRecordApps   = 100      // apps a session records, one scenario each
	maxRecordErrors = 50       // keys kept of a 422's errors
	// maxRecordBytes bounds what a recording holds in memory all together.
	maxRecordBytes = 32 << 20
)

// recorder keeps the session's exchanges, reduced to what a scenario needs, and
// writes them as scenario files. It never keeps a token: only a digest, to tell
// the session's token from another.
type recorder struct {
	dir    string
	file   string
	max    int
	logger *slog.Logger
	start  time.Time

	// mu guards the fields below.
	mu      sync.Mutex
	steps   []recStep
	apps    map[string]bool
	changed bool
	full    bool
	bytes   int    // what steps hold, roughly
	written string // the file last written
}

// contactView is the part of a contact a recording reads.
type contactView struct {
	ID        string          `json:"id"`
	Phone     json.RawMessage `json:"phone"`
	Tag       *string         `json:"tag"`
	Tags      []string        `json:"tags"`
	IsBlocked *bool           `json:"is_blocked"`
}

func contains(xs []string, s string) bool {
	return slices.Contains(xs, s)
}

// recStep is one exchange as the recording keeps it.
type recStep struct {
	app, op, method, path, contactID string
	query                            [][2]string
	auth                             string // authShape
	tokenSum                         [32]byte
	prefer, contentType              string
	body                             []byte
	hasBody                          bool
	status                           int
	items                            []contactView // a list's page
	whole                            bool          // the page held the whole app
	detail                           *contactView  // getContact, toggleContactBlock
	errorKeys                        []string      // a 422's errors, <row>.<field>
}

func newRecorder(dir string, max int, start time.Time, logger *slog.Logger) *recorder {
	// The second, the process and a random part: proxies started in the same
	// second with one directory (on one machine or several) never share a file.
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("session-%s-%d-%x.yaml", start.UTC().Format("20060102T150405Z"), os.Getpid(), rnd)
	return &recorder{dir: dir, file: filepath.Join(dir, name), max: max, logger: logger, start: start, apps: map[string]bool{}}
}

// add keeps f, unless the recording is full or f is not a replayable exchange
// (no answer from the target, a body too large to keep).
func (r *recorder) add(f *flight, sc *redact.Scrubber) {
	if f.respHeader == nil || f.reqTooLarge || len(f.reqBody) > maxRecordBody {
		return // the target never answered, or the body is too large to keep
	}
	// Every text the client sent is scrubbed of its credentials before it is kept.
	st := recStep{app: sc.Scrub(f.app), op: f.op, method: f.method, path: sc.Scrub(f.path), contactID: sc.Scrub(f.contactID), status: f.status,
		auth: authShape(f.header), prefer: sc.Scrub(f.header.Get("Prefer")), contentType: sc.Scrub(f.header.Get("Content-Type")),
		body: []byte(sc.Scrub(maskFields(f.reqBody))), hasBody: len(f.reqBody) > 0}
	if st.auth == "bearer" {
		_, tok, _ := strings.Cut(strings.TrimSpace(f.header.Get("Authorization")), " ")
		st.tokenSum = sha256.Sum256([]byte(strings.TrimSpace(tok)))
	}
	st.query = orderedQuery(rawQuery(redact.Query(f.uri)))
	for i := range st.query {
		st.query[i] = [2]string{sc.Scrub(st.query[i][0]), sc.Scrub(st.query[i][1])}
	}
	if f.plain != nil && f.status == http.StatusUnprocessableEntity {
		var body struct {
			Errors map[string]json.RawMessage `json:"errors"`
		}
		if json.Unmarshal(f.plain, &body) == nil {
			st.errorKeys = slices.Sorted(maps.Keys(body.Errors))
			st.errorKeys = st.errorKeys[:min(len(st.errorKeys), maxRecordErrors)]
		}
	}
	if f.plain != nil && f.status == http.StatusOK {
		switch f.op {
		case contactkit.OpListContacts:
			var page struct {
				Data []contactView `json:"data"`
				Meta *struct {
					CurrentPage json.RawMessage `json:"current_page"`
					NextPage    json.RawMessage `json:"next_page"`
				} `json:"meta"`
			}
			if json.Unmarshal(f.plain, &page) == nil {
				st.items = page.Data[:min(len(page.Data), maxRecordItems)]
				st.whole = page.Meta != nil && string(page.Meta.CurrentPage) == "1" && string(page.Meta.NextPage) == "null"
			}
		case contactkit.OpGetContact, contactkit.OpToggleContactBlock:
			var body struct {
				Data *contactView `json:"data"`
			}
			if json.Unmarshal(f.plain, &body) == nil {
				st.detail = body.Data
			}
		}
	}
	size := 256 + len(st.path) + len(st.app) + len(st.contactID) + len(st.prefer) + len(st.contentType) + len(st.body)
	for _, k := range st.errorKeys {
		size += 16 + len(k)
	}
	for _, q := range st.query {
		size += len(q[0]) + len(q[1])
	}
	views := st.items
	if st.detail != nil {
		views = append(views[:len(views):len(views)], *st.detail)
	}
	for _, c := range views {
		size += 128 + len(c.ID) + len(c.Phone)
		for _, t := range c.Tags {
			size += 16 + len(t)
		}
		if c.Tag != nil {
			size += len(*c.Tag)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.steps) >= r.max || r.bytes+size > maxRecordBytes || (!r.apps[st.app] && len(r.apps) >= maxRecordApps) {
		if !r.full {
			r.full = true
			r.logger.Warn("recording full: later exchanges are not recorded", "steps", len(r.steps))
		}
		return
	}
	r.apps[st.app] = true
	r.bytes += size
	r.steps = append(r.steps, st)
	r.changed = true
}

// orderedQuery splits a raw query into name-value pairs in the order sent.
func orderedQuery(raw string) [][2]string {
	if raw == "" {
		return nil
	}
	var out [][2]string
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, [2]string{k, v})
	}
	return out
}

// write renders the session and writes it, if anything changed since the last
// write (else it returns the file last written), through a temporary file so a reader never sees half a file. A
// rendering scenario.Parse refuses (a bug) is written beside it as .invalid.
func (r *recorder) write() (string, error) {
	r.mu.Lock()
	if !r.changed {
		defer r.mu.Unlock()
		return r.written, nil
	}
	steps := append([]recStep(nil), r.steps...)
	r.changed = false
	r.mu.Unlock()

	spec, err := contactkit.LoadSpec()
	if err != nil {
		return "", err
	}
	data, err := render(steps, r.start, spec)
	if err != nil {
		r.retry()
		return "", fmt.Errorf("render recording: %w", err)
	}
	file := r.file
	if _, perr := scenario.Parse(spec, file, data); perr != nil {
		r.logger.Error("recording does not load as a scenario file; written as .invalid", "error", perr.Error())
		file += ".invalid"
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		r.retry()
		return "", fmt.Errorf("write recording: %w", err)
	}
	tmp, err := os.CreateTemp(r.dir, ".recording-*")
	if err != nil {
		r.retry()
		return "", fmt.Errorf("write recording: %w", err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
		r.retry()
		return "", fmt.Errorf("write recording: %w", err)
	}
	r.mu.Lock()
	r.written = file
	r.mu.Unlock()
	return file, nil
}

// retry marks the recording as still to write, after a failed write.
func (r *recorder) retry() {
	r.mu.Lock()
	r.changed = true
	r.mu.Unlock()
}

// uuidRE recognises an id that names no contact when a 404 answered it.
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// render turns the steps into a scenario file: one scenario per app, in the
// order the apps first showed up.
func render(steps []recStep, start time.Time, spec *contactkit.Spec) ([]byte, error) {
	main := mainToken(steps)
	var order []string
	byApp := map[string][]recStep{}
	for _, st := range steps {
		app := st.app
		if app == "" && len(order) > 0 {
			app = order[0] // a route outside any app joins the first app's scenario
		}
		if _, ok := byApp[app]; !ok {
			order = append(order, app)
		}
		byApp[app] = append(byApp[app], st)
	}
	var scs []*scenario.Scenario
	for i, app := range order {
		sc := newScene(spec, main)
		s := sc.scenario(fmt.Sprintf("recorded %s #%d", start.UTC().Format(time.RFC3339), i+1), byApp[app])
		if sc.empty() {
			continue
		}
		if app != "" {
			s.Comment = []string{fmt.Sprintf("app %s of the recorded session", strconv.Quote(clip(app, 100)))}
		}
		if sc.skipped > 0 {
			s.Comment = append(s.Comment, fmt.Sprintf("exchanges left out, since no scenario can replay them: %d (a status the contract does not document, such as a fault or the target's error, or text that reads as a placeholder)", sc.skipped))
		}
		scs = append(scs, s)
	}
	var out bytes.Buffer
	err := scenario.Encode(&out, []string{
		"Recorded by contactkit proxy; replay with",
		"  contactkit conform --suite DIR --target URL --token TOKEN --app APP",
		"Ids the server made are captured, names and phones are fresh for each run, the",
		"app is {{app}}, and no token is written: the replay sends --token.",
	}, scs...)
	return out.Bytes(), err
}

// mainToken picks the session's token: the first bearer token an answer other
// than 403 accepted (the first bearer token at all, failing that).
func mainToken(steps []recStep) [32]byte {
	var first [32]byte
	seen := false
	for _, st := range steps {
		if st.auth != "bearer" {
			continue
		}
		if st.status != http.StatusForbidden {
			return st.tokenSum
		}
		if !seen {
			first, seen = st.tokenSum, true
		}
	}
	return first
}

// scene renders one app's steps.
type scene struct {
	spec *contactkit.Spec
	main [32]byte

	vars    []scenario.Var
	nvars   int
	names   map[string]string // name sent -> var
	phones  map[string]string // phone sent (JSON number) -> var
	ids     map[string]string // id -> var holding it
	seen    map[string]seenAt // id -> where the last answer showed it
	blocked map[string]seenAt // id -> where the last answer showed its is_blocked
	deleted []string          // vars of ids deleted with a 200
	created []string          // phone vars of rows a 201 accepted
	needs   bool              // a step sent another token
	steps   []*scenario.Step
	skipped int
}

type seenAt struct {
	step *scenario.Step
	ptr  string // pointer to the contact in that step's answer
	cap  string // var already captured there, if any
}

func newScene(spec *contactkit.Spec, main [32]byte) *scene {
	return &scene{spec: spec, main: main, names: map[string]string{}, phones: map[string]string{},
		ids: map[string]string{}, seen: map[string]seenAt{}, blocked: map[string]seenAt{}}
}

func (sc *scene) empty() bool { return len(sc.steps) == 0 }

// newVar names a new variable; a value makes it one of the scenario's vars, else
// it is a capture's.
func (sc *scene) newVar(prefix string, value string) string {
	sc.nvars++
	name := fmt.Sprintf("%s_%d", prefix, sc.nvars)
	if value != "" {
		sc.vars = append(sc.vars, scenario.Var{Name: name, Value: value})
	}
	return name
}

func (sc *scene) scenario(name string, steps []recStep) *scenario.Scenario {
	for i := range steps {
		sc.step(i+1, &steps[i])
	}
	out := &scenario.Scenario{Name: name, Tags: []string{"recorded"}, Vars: sc.vars, Steps: sc.steps, Cleanup: sc.cleanup()}
	if sc.needs {
		out.Needs = []string{scenario.NeedForeignApp}
	}
	return out
}

// step renders one exchange. It skips one whose text would read as a
// placeholder ({{ or }} sent by the client), which no scenario can say.
func (sc *scene) step(n int, st *recStep) {
	for _, s := range []string{st.path, string(st.body), st.prefer, st.contentType} {
		if strings.Contains(s, "{{") || strings.Contains(s, "}}") {
			sc.skipped++
			return
		}
	}
	for _, q := range st.query {
		if strings.Contains(q[0]+q[1], "{{") || strings.Contains(q[0]+q[1], "}}") {
			sc.skipped++
			return
		}
	}
	if !slices.Contains(check.AnswerStatuses(sc.spec, st.op), st.status) {
		// Not the API's answer (a fault, a 500): a replay cannot expect it.
		sc.skipped++
		return
	}
	label := st.op
	if label == "" {
		label = st.method + " " + clip(st.path, 60)
	}
	out := &scenario.Step{Name: fmt.Sprintf("%s answers %d (recorded step %d)", label, st.status, n), Auth: scenario.AuthToken}
	if st.op != "" {
		out.Op = st.op
		if st.contactID != "" {
			out.Params = []scenario.Pair{{Name: "contactId", Value: sc.idRef(st.contactID, st.status)}}
		}
	} else {
		out.Method = st.method
		p := st.path
		if st.app != "" {
			p = strings.Replace(p, "/contacts/"+st.app, "/contacts/{{app}}", 1)
		}
		out.Path = p
	}
	for _, kv := range st.query {
		out.Query = append(out.Query, scenario.Pair{Name: kv[0], Value: kv[1]})
	}
	if st.prefer != "" {
		out.Headers = append(out.Headers, scenario.Pair{Name: "Prefer", Value: st.prefer})
	}
	if st.contentType != "" && st.contentType != "application/json" {
		out.Headers = append(out.Headers, scenario.Pair{Name: "Content-Type", Value: st.contentType})
	}
	switch {
	case st.auth == "none":
		out.Auth = scenario.AuthNone
	case st.auth == "other":
		out.Auth = scenario.AuthBasic
	case st.auth == "bearer-only":
		out.Auth = scenario.AuthBearerOnly
	case st.tokenSum != sc.main:
		out.Auth = scenario.AuthWrongToken
		sc.needs = true
	}
	if st.hasBody {
		sc.body(out, st)
	}
	out.Expect.Status = []int{st.status}
	sc.steps = append(sc.steps, out)
	switch st.status {
	case http.StatusOK, http.StatusCreated:
		sc.expectations(out, st)
	case http.StatusUnprocessableEntity:
		// The replay must refuse the same fields.
		for _, k := range st.errorKeys {
			if !strings.ContainsAny(k, "[]{}") {
				expectBody(out, "/errors/"+check.EscapeToken(k), scenario.MatchPresent, true)
			}
		}
	}
}

// body writes the request body: names and phones of a create become vars, so a
// replay sends fresh ones, unless they were refused: an invalid value (an empty
// name, a phone as text or a fraction) stays as sent, so the replay is refused
// as the session was.
func (sc *scene) body(out *scenario.Step, st *recStep) {
	v, err := check.DecodeJSON(st.body)
	if err != nil {
		out.RawBody = ptr(string(st.body))
		return
	}
	rows, ok := v.([]any)
	if !ok || st.op != contactkit.OpCreateContacts {
		out.Body, out.HasBody = v, true
		return
	}
	refused := func(row int, field string) bool {
		// A refusal that names no field may be any row's: keep every value.
		return st.status == http.StatusBadRequest || st.status == http.StatusUnprocessableEntity && !slices.ContainsFunc(st.errorKeys, isRowKey) ||
			slices.Contains(st.errorKeys, strconv.Itoa(row)+"."+field)
	}
	for i, r := range rows {
		obj, ok := r.(map[string]any)
		if !ok {
			continue
		}
		if name, ok := obj["name"].(string); ok && strings.TrimSpace(name) != "" && !refused(i, "name") {
			if _, ok := sc.names[name]; !ok {
				sc.names[name] = sc.newVar("name", "{{unique_name}}")
			}
			obj["name"] = "{{" + sc.names[name] + "}}"
		}
		if phone, ok := obj["phone"].(json.Number); ok && isInt(phone) && !refused(i, "phone") {
			if _, ok := sc.phones[phone.String()]; !ok {
				sc.phones[phone.String()] = sc.newVar("phone", "{{unique_phone}}")
			}
			if st.status == http.StatusCreated {
				sc.created = append(sc.created, sc.phones[phone.String()])
			}
			obj["phone"] = "{{" + sc.phones[phone.String()] + "}}"
		}
	}
	out.Body, out.HasBody = v, true
}

// isInt reports a whole number in int64: a phone a replay may make anew.
func isInt(n json.Number) bool {
	_, ok := check.Int(n)
	return ok
}

// isRowKey reports whether a 422's errors key names a row's field (0.phone),
// not the body as a whole.
func isRowKey(k string) bool {
	row, _, ok := strings.Cut(k, ".")
	_, err := strconv.Atoi(row)
	return ok && err == nil
}

// idRef writes a contact id a request names: the var an earlier answer's
// capture holds, a fresh uuid for one no answer showed that got a 404, or the
// id as sent.
func (sc *scene) idRef(id string, status int) string {
	if v, ok := sc.ids[id]; ok {
		return "{{" + v + "}}"
	}
	if at, ok := sc.seen[id]; ok {
		v := sc.capture(at, "/id", "id")
		sc.ids[id] = v
		return "{{" + v + "}}"
	}
	if status == http.StatusNotFound && uuidRE.MatchString(id) {
		return "{{random_uuid}}"
	}
	return id
}

// capture adds a capture of at's contact's field to the step that showed it.
func (sc *scene) capture(at seenAt, field, prefix string) string {
	v := sc.newVar(prefix, "")
	at.step.Capture = append(at.step.Capture, scenario.Capture{Name: v, From: at.ptr + field})
	return v
}

// expectBody adds that the value at ptr passes a matcher of kind with arg.
func expectBody(out *scenario.Step, ptr, kind string, arg any) {
	out.Expect.Body = append(out.Expect.Body, scenario.Assert(ptr, kind, arg))
}

// rowOf returns the vars of the created row a contact shows, if any.
func (sc *scene) rowOf(c contactView) (nameVar, phoneVar string, ok bool) {
	pv, okP := sc.phones[string(bytes.TrimSpace(c.Phone))]
	if !okP || c.Tag == nil && c.Tags == nil {
		return "", "", false
	}
	for name, nv := range sc.names {
		if c.Tag != nil && *c.Tag == name || c.Tag == nil && contains(c.Tags, name) {
			return nv, pv, true
		}
	}
	return "", "", false
}

// expectations says what a replay must see in a 200/201: the values sent, ids
// that stay the same, deleted contacts gone, PUTs that flip.
func (sc *scene) expectations(out *scenario.Step, st *recStep) {
	switch st.op {
	case contactkit.OpListContacts:
		walk := false
		for i, c := range st.items {
			if c.ID == "" {
				continue
			}
			ptr := fmt.Sprintf("/data/%d", i)
			nameVar, phoneVar, created := sc.rowOf(c)
			switch {
			case sc.ids[c.ID] != "":
				ptr = "/data[id={{" + sc.ids[c.ID] + "}}]"
			case created:
				ptr = "/data[phone={{" + phoneVar + "}}]"
			}
			if created {
				expectBody(out, ptr+"/tag", scenario.MatchEquals, "{{"+nameVar+"}}")
				walk = true
			}
			sc.seen[c.ID] = seenAt{step: out, ptr: ptr}
			if c.IsBlocked != nil {
				sc.blocked[c.ID] = seenAt{step: out, ptr: ptr}
			}
		}
		for _, v := range sc.deleted {
			expectBody(out, "/data[id={{"+v+"}}]", scenario.MatchAbsent, true)
			walk = true
		}
		if walk && pageOne(st.query) {
			out.Walk = true
		}
	case contactkit.OpGetContact, contactkit.OpToggleContactBlock:
		id := st.contactID
		if v, ok := sc.ids[id]; ok {
			expectBody(out, "/data/id", scenario.MatchEquals, "{{"+v+"}}")
		}
		if st.detail == nil {
			return
		}
		if nameVar, phoneVar, ok := sc.rowOf(*st.detail); ok {
			expectBody(out, "/data/phone", scenario.MatchEquals, "{{"+phoneVar+"}}")
			if st.op == contactkit.OpGetContact {
				expectBody(out, "/data/tags", scenario.MatchContains, "{{"+nameVar+"}}")
			} else {
				expectBody(out, "/data/tag", scenario.MatchEquals, "{{"+nameVar+"}}")
			}
		}
		if at, ok := sc.blocked[id]; ok && st.detail.IsBlocked != nil {
			if at.cap == "" {
				at.cap = sc.capture(at, "/is_blocked", "blocked")
				sc.blocked[id] = at
			}
			if st.op == contactkit.OpToggleContactBlock {
				expectBody(out, "/data/is_blocked", scenario.MatchNotEquals, "{{"+at.cap+"}}")
			} else {
				expectBody(out, "/data/is_blocked", scenario.MatchEquals, "{{"+at.cap+"}}")
			}
		}
		sc.seen[id] = seenAt{step: out, ptr: "/data"}
		if st.detail.IsBlocked != nil {
			sc.blocked[id] = seenAt{step: out, ptr: "/data"}
		}
	case contactkit.OpDeleteContact:
		if v, ok := sc.ids[st.contactID]; ok {
			sc.deleted = append(sc.deleted, v)
		}
		delete(sc.seen, st.contactID)
		delete(sc.blocked, st.contactID)
	}
}

func pageOne(q [][2]string) bool {
	for _, kv := range q {
		if kv[0] == "page" && kv[1] != "1" {
			return false
		}
	}
	return true
}

// cleanup deletes, whatever happened, every contact the replay created: found
// by the phone it was created with.
func (sc *scene) cleanup() []*scenario.Step {
	if len(sc.created) == 0 {
		return nil
	}
	find := &scenario.Step{Name: "find the contacts the replay created", Op: contactkit.OpListContacts, Auth: scenario.AuthToken,
		Query: []scenario.Pair{{Name: "limit", Value: int(sc.spec.Paging.Limit.Max)}}, Walk: true,
		Expect: scenario.Expect{Status: []int{http.StatusOK}}}
	list := []*scenario.Step{find}
	done := map[string]bool{}
	for _, pv := range sc.created {
		if done[pv] {
			continue
		}
		done[pv] = true
		v := sc.newVar("leftover", "")
		find.Capture = append(find.Capture, scenario.Capture{Name: v, From: "/data[phone={{" + pv + "}}]/id", Optional: true})
		list = append(list, &scenario.Step{Name: "delete a contact the replay created", Op: contactkit.OpDeleteContact, Auth: scenario.AuthToken,
			Params: []scenario.Pair{{Name: "contactId", Value: "{{" + v + "}}"}}, Expect: scenario.Expect{Status: []int{http.StatusOK, http.StatusNotFound}}})
	}
	return list
}

func ptr[T any](v T) *T { return &v }

// maskFields is a body with the values of its credential fields masked (a
// password in a login body): a recording never holds one, however short.
func maskFields(body []byte) string {
	masked, _ := redact.Fields(string(body))
	return masked
}
