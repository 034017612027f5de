package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/contactkit/contactkit/check"
)

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
	// Properties carry the run's seed, so CI can repeat the run.
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
	Error     *junitFailure `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
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
// happened, so the count of tests depends only on the suite, and names that
// depend only on the suite, so CI history follows a test from run to run. A step
// the run could not get to because the run broke off (Report.Error) is an error,
// not a skip; a warned step passes, its warnings in system-out.
func (r *Report) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: "contactkit conform", Time: seconds(r.Duration)}
	out.Properties = &junitProperties{Property: []junitProperty{{Name: "seed", Value: fmt.Sprint(r.Seed)}}}
	if r.Explored > 0 {
		out.Properties.Property = append(out.Properties.Property, junitProperty{Name: "explored", Value: fmt.Sprint(r.Explored)})
	}
	for _, sc := range r.Scenarios {
		js := junitSuite{Name: sc.Name, File: sc.File, Time: seconds(sc.Duration)}
		for _, st := range sc.Steps {
			name := st.Name
			if st.Cleanup {
				name = "cleanup: " + name
			}
			c := junitCase{Name: xmlSafe(name), Classname: xmlSafe(sc.Name), File: st.File, Line: st.Line, Time: seconds(st.Duration)}
			switch st.Status {
			case Failed:
				msgs, text := stepText(st)
				c.Failure = &junitFailure{Message: xmlSafe(check.OneLine(strings.Join(msgs, "; "), 500)), Type: "mismatch", Text: xmlSafe(text)}
				js.Failures++
			case Warned:
				_, text := stepText(st)
				c.SystemOut = xmlSafe(text)
			case Passed:
				if st.Tries > 1 {
					c.SystemOut = fmt.Sprintf("passed after %d tries", st.Tries)
				}
			case Skipped:
				if r.Error != "" && strings.HasPrefix(st.SkipReason, NotRunPrefix) {
					c.Error = &junitFailure{Message: xmlSafe(st.SkipReason), Type: "not-run"}
					js.Errors++
					break
				}
				c.Skipped = &junitSkipped{Message: xmlSafe(st.SkipReason)}
				js.Skipped++
			}
			js.Tests++
			js.Cases = append(js.Cases, c)
		}
		if len(sc.Steps) == 0 && sc.Status == Failed {
			// A scenario with no steps failed as a whole (a suite that did not load).
			c := junitCase{Name: xmlSafe(sc.Name), Classname: xmlSafe(sc.Name), File: sc.File, Line: sc.Line,
				Error: &junitFailure{Message: xmlSafe(check.OneLine(sc.SkipReason, 500)), Type: "error", Text: xmlSafe(sc.SkipReason)}}
			js.Tests++
			js.Errors++
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

// stepText is a failed or warned step's findings, one line each, and the whole
// story: where, the request, the answer and every finding.
func stepText(st StepResult) (msgs []string, text string) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d %s%s\n", st.File, st.Line, st.Operation, st.triesText())
	if st.Curl != "" {
		fmt.Fprintf(&b, "request: %s\n", st.Curl)
	}
	if st.HTTPStatus != 0 {
		fmt.Fprintf(&b, "answered: %d %s\n", st.HTTPStatus, check.OneLine(st.Body, 500))
	}
	for _, f := range st.Findings {
		msgs = append(msgs, f.String())
		lead := "-"
		if f.IsReading() {
			lead = "- reading " + f.Reading + ":"
		}
		fmt.Fprintf(&b, "%s %s\n", lead, f)
		if f.Expected != "" || f.Actual != "" {
			fmt.Fprintf(&b, "  expected: %s\n  actual: %s\n", f.Expected, f.Actual)
		}
		if f.Contract != "" {
			fmt.Fprintf(&b, "  contract: %s\n", f.Contract)
		}
	}
	return msgs, b.String()
}

// xmlInvalid matches what XML 1.0 cannot hold even escaped; a hostile body may
// carry it.
var xmlInvalid = regexp.MustCompile("[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")

func xmlSafe(s string) string {
	return xmlInvalid.ReplaceAllString(strings.ToValidUTF8(s, "\uFFFD"), "\uFFFD")
}
