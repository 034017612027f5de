package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is the outcome of a scenario or a step.
type Status string

// Outcomes.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Check is the kind of a finding, so a reader (or a script) knows which rule was
// broken. It marshals as its word.
type Check string

// Kinds of finding.
const (
	CheckTransport   Check = "transport"    // no answer: refused, timed out, cut off
	CheckRedirect    Check = "redirect"     // a 3xx, which the API never sends
	CheckStatus      Check = "status"       // a status the contract does not document
	CheckContentType Check = "content-type" // not application/json
	CheckBody        Check = "body"         // not JSON, or too large
	CheckSchema      Check = "schema"       // the body breaks the contract's schema
	CheckEnvelope    Check = "envelope"     // statusCode, code or message wrong
	CheckPaging      Check = "paging"       // meta inconsistent with data
	CheckExpect      Check = "expect"       // the scenario's own expectation
	CheckCapture     Check = "capture"      // a value to keep was not there
	CheckRequest     Check = "request"      // the request breaks the contract (CheckRequest)
)

// Report is the outcome of a run; it marshals to JSON and back unchanged.
type Report struct {
	Target    string           `json:"target"`
	App       string           `json:"app"`
	Started   string           `json:"started"` // RFC 3339
	Duration  time.Duration    `json:"duration_ns"`
	Scenarios []ScenarioResult `json:"scenarios"`
	Summary   Summary          `json:"summary"`
	// Hint names a likely cause when the failures share one, e.g. a refused token.
	Hint string `json:"hint,omitempty"`
	// Error says why the run could not be judged whole: the target unreachable or
	// not speaking HTTP, lost mid-run, or the run interrupted. The scenarios it
	// kept from running are reported skipped.
	Error string `json:"error,omitempty"`
	// FindingsLeftOut counts the findings the report's size cap left out, in all
	// steps; each step says how many of its own.
	FindingsLeftOut int `json:"findings_left_out,omitempty"`
	// Seed is the exploration's seed (--seed), so that the run can be repeated;
	// Explored is how many generated operations ran (0: no exploration).
	Seed     int64 `json:"seed,omitempty"`
	Explored int   `json:"explored,omitempty"`
}

// capFindings keeps the first maxReportFindings findings of the report, in
// scenario order, and counts the rest as left out.
func (r *Report) capFindings() {
	kept := 0
	for i := range r.Scenarios {
		for j := range r.Scenarios[i].Steps {
			st := &r.Scenarios[i].Steps[j]
			if room := maxReportFindings - kept; len(st.Findings) > room {
				st.FindingsLeftOut += len(st.Findings) - room
				st.Findings = st.Findings[:room:room]
			}
			kept += len(st.Findings)
			r.FindingsLeftOut += st.FindingsLeftOut
		}
	}
}

// Summary counts outcomes.
type Summary struct {
	Scenarios Counts `json:"scenarios"`
	Steps     Counts `json:"steps"`
}

// Counts of passed, failed and skipped scenarios or steps.
type Counts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// OK reports whether nothing failed.
func (r *Report) OK() bool {
	return r.Summary.Scenarios.Failed == 0 && r.Summary.Steps.Failed == 0
}

// ScenarioResult is one scenario's outcome.
type ScenarioResult struct {
	Name       string        `json:"name"`
	File       string        `json:"file"`
	Line       int           `json:"line"`
	Tags       []string      `json:"tags,omitempty"`
	Status     Status        `json:"status"`
	SkipReason string        `json:"skip_reason,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Steps      []StepResult  `json:"steps,omitempty"`
}

// StepResult is one step's outcome, with the request that shows it.
type StepResult struct {
	Name       string        `json:"name"`
	File       string        `json:"file"`
	Line       int           `json:"line"`
	Operation  string        `json:"operation,omitempty"`
	Cleanup    bool          `json:"cleanup,omitempty"`
	Status     Status        `json:"status"`
	SkipReason string        `json:"skip_reason,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Requests   int           `json:"requests"`
	// Curl is the (last) request as a curl command, the token redacted.
	Curl string `json:"curl,omitempty"`
	// HTTPStatus and Body are the (last) answer, the body cut short.
	HTTPStatus int       `json:"http_status,omitempty"`
	Body       string    `json:"body,omitempty"`
	Findings   []Finding `json:"findings,omitempty"`
	// FindingsLeftOut counts the findings the report's size cap left out.
	FindingsLeftOut int `json:"findings_left_out,omitempty"`
}

// Finding is one mismatch: what was wrong, where in the body, and which part of
// the contract says so.
type Finding struct {
	Check    Check  `json:"check"`
	Message  string `json:"message"`
	Pointer  string `json:"pointer,omitempty"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	Contract string `json:"contract,omitempty"`
	// Curl is the request that got the offending answer, when the step sent several.
	Curl string `json:"curl,omitempty"`
	// Count is how many findings of this kind the answer had, when more than one:
	// they are reported as this one, and More says where the first few others are.
	Count int      `json:"count,omitempty"`
	More  []string `json:"more,omitempty"`
}

// String gives the finding in one line: its check, message and pointer.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(string(f.Check) + ": " + f.Message)
	if f.Pointer != "" && !strings.Contains(f.Message, f.Pointer) {
		b.WriteString(" (at " + f.Pointer + ")")
	}
	return b.String()
}

func (r *Report) count() {
	r.Summary = Summary{}
	for _, sc := range r.Scenarios {
		r.Summary.Scenarios.add(sc.Status)
		for _, st := range sc.Steps {
			r.Summary.Steps.add(st.Status)
		}
	}
}

func (c *Counts) add(s Status) {
	switch s {
	case Passed:
		c.Passed++
	case Failed:
		c.Failed++
	case Skipped:
		c.Skipped++
	}
}

// WriteText writes the report for a person: every failed scenario with its
// findings, then a summary line. verbose adds the scenarios and steps that passed.
func (r *Report) WriteText(w io.Writer, verbose bool) error {
	ew := &errWriter{w: w}
	ew.printf("contactkit conform: %s, app %s\n", r.Target, r.App)
	for _, sc := range r.Scenarios {
		if sc.Status == Passed && !verbose {
			continue
		}
		mark := map[Status]string{Passed: "PASS", Failed: "FAIL", Skipped: "SKIP"}[sc.Status]
		ew.printf("\n%s %s (%s:%d) %s\n", mark, sc.Name, sc.File, sc.Line, sc.Duration.Round(time.Millisecond))
		if sc.SkipReason != "" {
			ew.printf("     %s\n", sc.SkipReason)
		}
		if sc.Status == Skipped && !verbose {
			continue // its steps were skipped for the same reason
		}
		for _, st := range sc.Steps {
			if st.Status == Passed && !verbose {
				continue
			}
			kind := "step"
			if st.Cleanup {
				kind = "cleanup"
			}
			op := st.Operation
			if op == "" {
				op = "raw request"
			}
			ew.printf("  %s %s %q (%s:%d) %s\n", strings.ToLower(string(st.Status)), kind, st.Name, st.File, st.Line, op)
			if st.SkipReason != "" {
				ew.printf("      %s\n", st.SkipReason)
			}
			if st.Status != Failed {
				continue
			}
			if st.Curl != "" {
				ew.printf("      request:  %s\n", st.Curl)
			}
			if st.HTTPStatus != 0 {
				ew.printf("      answered: %d %s\n", st.HTTPStatus, oneLine(st.Body, 300))
			}
			for _, f := range st.Findings {
				ew.printf("      - %s\n", f)
				if f.Expected != "" || f.Actual != "" {
					ew.printf("          expected: %s\n          actual:   %s\n", f.Expected, f.Actual)
				}
				if f.Contract != "" {
					ew.printf("          contract: %s\n", f.Contract)
				}
				if f.Curl != "" && f.Curl != st.Curl {
					ew.printf("          request:  %s\n", f.Curl)
				}
				if f.Count > 1 {
					ew.printf("          and %d more like it, at %s\n", f.Count-1, strings.Join(moreAt(f), ", "))
				}
			}
			if st.FindingsLeftOut > 0 {
				ew.printf("      (%d more findings left out: the report keeps %d a step and %d in all)\n", st.FindingsLeftOut, maxStepFindings, maxReportFindings)
			}
		}
	}
	if r.Hint != "" {
		ew.printf("\n")
		for _, h := range strings.Split(r.Hint, "\n") {
			ew.printf("hint: %s\n", h)
		}
	}
	if r.Explored > 0 {
		ew.printf("\nexplored %d generated operations with seed %d (repeat them with --seed %d)\n", r.Explored, r.Seed, r.Seed)
	}
	if r.Error != "" {
		ew.printf("\nnot judged whole: %s\n", r.Error)
	}
	verdict := "ok"
	if !r.OK() {
		verdict = "FAIL"
	}
	s := r.Summary
	ew.printf("\n%s: scenarios %d passed, %d failed, %d skipped; steps %d passed, %d failed, %d skipped; %s\n",
		verdict, s.Scenarios.Passed, s.Scenarios.Failed, s.Scenarios.Skipped,
		s.Steps.Passed, s.Steps.Failed, s.Steps.Skipped, r.Duration.Round(time.Millisecond))
	return ew.err
}

// morePlaces is how many places of the others a collapsed finding names.
const morePlaces = 5

var digits = regexp.MustCompile(`/\d+(/|$|:)`)

// collapse folds the findings of one kind on one answer into the first of them,
// with Count and the places of the first few others: fifty contacts with a
// string phone, or thirty thousand empty items, read as one problem and keep a
// report small. Findings differing only by an index are of one kind.
func collapse(fs []Finding) []Finding {
	var out []Finding
	index := map[string]int{}
	for _, f := range fs {
		key := string(f.Check) + "|" + f.Contract + "|" + digits.ReplaceAllString(f.Message, "/N$1") + "|" + digits.ReplaceAllString(f.Pointer, "/N$1")
		i, seen := index[key]
		if !seen {
			index[key] = len(out)
			out = append(out, f)
			continue
		}
		g := &out[i]
		g.Count = max(g.Count, 1) + max(f.Count, 1)
		at := f.Pointer
		if at == "" || at == g.Pointer {
			at = f.Message
		}
		if len(g.More) < morePlaces {
			g.More = append(g.More, at)
		}
	}
	return out
}

// moreAt lists where the others of a collapsed finding are, "…" when there are
// more than it names.
func moreAt(f Finding) []string {
	if f.Count-1 > len(f.More) {
		return append(slices.Clone(f.More), "…")
	}
	return f.More
}

type errWriter struct {
	w   io.Writer
	err error
}

// printf writes one line of the console report. Every text it fills in may come
// from the target, so each is escaped for a terminal first.
func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = TerminalSafe(v)
		case fmt.Stringer:
			args[i] = TerminalSafe(v.String())
		}
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}

// TerminalSafe escapes what a terminal would act on rather than show: control
// characters (ESC, BEL, NUL, the rest of C0, DEL and C1, so no OSC or CSI
// sequence gets through), the bidirectional overrides that reorder what a reader
// sees, and bytes that are not UTF-8. A target's text is written as \x1b, \u202e.
func TerminalSafe(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// JUnit's XML shape, as CI servers read it: a testsuite per scenario and a
// testcase per step.
type junitSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Time     string   `xml:"time,attr"`
	// Properties carry the exploration's seed, so CI can repeat the run.
	Properties *junitProperties `xml:"properties,omitempty"`
	Suites     []junitSuite     `xml:"testsuite"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	File     string      `xml:"file,attr,omitempty"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitSkipped `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the report as JUnit XML: one testcase per step, whatever
// happened, so the count of tests depends only on the suite. A step the run could
// not get to because the run broke off (Report.Error) is an error, not a skip.
func (r *Report) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: "contactkit conform", Time: seconds(r.Duration)}
	if r.Explored > 0 {
		out.Properties = &junitProperties{Property: []junitProperty{{Name: "seed", Value: fmt.Sprint(r.Seed)}, {Name: "explored", Value: fmt.Sprint(r.Explored)}}}
	}
	for _, sc := range r.Scenarios {
		js := junitSuite{Name: sc.Name, File: sc.File, Time: seconds(sc.Duration)}
		for _, st := range sc.Steps {
			name := st.Name
			if st.Cleanup {
				name = "cleanup: " + name
			}
			c := junitCase{Name: name, Classname: sc.Name, File: st.File, Line: st.Line, Time: seconds(st.Duration)}
			switch st.Status {
			case Failed:
				var msgs []string
				var text strings.Builder
				fmt.Fprintf(&text, "%s:%d %s\n", st.File, st.Line, st.Operation)
				if st.Curl != "" {
					fmt.Fprintf(&text, "request: %s\n", st.Curl)
				}
				if st.HTTPStatus != 0 {
					fmt.Fprintf(&text, "answered: %d %s\n", st.HTTPStatus, oneLine(st.Body, 500))
				}
				for _, f := range st.Findings {
					msgs = append(msgs, f.String())
					fmt.Fprintf(&text, "- %s\n", f)
					if f.Expected != "" || f.Actual != "" {
						fmt.Fprintf(&text, "  expected: %s\n  actual: %s\n", f.Expected, f.Actual)
					}
					if f.Contract != "" {
						fmt.Fprintf(&text, "  contract: %s\n", f.Contract)
					}
				}
				c.Failure = &junitFailure{Message: xmlSafe(oneLine(strings.Join(msgs, "; "), 500)), Type: "mismatch", Text: xmlSafe(text.String())}
				js.Failures++
			case Skipped:
				if r.Error != "" && strings.HasPrefix(st.SkipReason, notRunPrefix) {
					c.Error = &junitSkipped{Message: xmlSafe(st.SkipReason)}
					js.Errors++
					break
				}
				c.Skipped = &junitSkipped{Message: xmlSafe(st.SkipReason)}
				js.Skipped++
			}
			js.Tests++
			js.Cases = append(js.Cases, c)
		}
		out.Tests += js.Tests
		out.Failures += js.Failures
		out.Errors += js.Errors
		out.Skipped += js.Skipped
		out.Suites = append(out.Suites, js)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// xmlInvalid matches what XML 1.0 cannot hold even escaped; a hostile body may
// carry it.
var xmlInvalid = regexp.MustCompile("[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")

func xmlSafe(s string) string {
	return xmlInvalid.ReplaceAllString(strings.ToValidUTF8(s, "\uFFFD"), "\uFFFD")
}

// Scrub takes tokens out of every text of the report with scrub (a redact.Scrubber's Scrub).
// The runner's bodies were scrubbed whole when they arrived; this pass catches
// what a report built from them, such as a value decoded from a \u-escaped token
// and then cut, and what another phase (the explorer) added.
func (rep *Report) Scrub(scrub func(string) string) {
	s := scrub
	rep.Error = s(rep.Error)
	rep.Target = s(rep.Target)
	rep.App = s(rep.App)
	rep.Hint = s(rep.Hint)
	for i := range rep.Scenarios {
		sc := &rep.Scenarios[i]
		sc.SkipReason = s(sc.SkipReason)
		for j := range sc.Steps {
			st := &sc.Steps[j]
			st.SkipReason = s(st.SkipReason)
			st.Curl = s(st.Curl)
			st.Body = s(st.Body)
			for k := range st.Findings {
				f := &st.Findings[k]
				f.Message, f.Expected, f.Actual, f.Curl, f.Pointer = s(f.Message), s(f.Expected), s(f.Actual), s(f.Curl), s(f.Pointer)
				for l := range f.More {
					f.More[l] = s(f.More[l])
				}
			}
		}
	}
}
