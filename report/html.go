package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

//go:embed html.tmpl
var htmlSource string

// htmlPage is the report's page. html/template escapes every text it fills in,
// and every text of a report may come from the target.
var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms":   func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"mark": func(s Status) string { return marks[s] },
	"where": func(file string, line int) string {
		if line > 0 {
			return fmt.Sprintf("%s:%d", file, line)
		}
		return file
	},
	"count": func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	},
}).Parse(htmlSource))

// WriteHTML writes the report as one HTML page a person opens in any browser,
// with nothing to fetch (its style is inline, it has no script, and its
// Content-Security-Policy forbids loading anything): failures first, each with
// its request as curl, what was expected and what came, and the contract's rule;
// then warnings, each with the reading it departs from; what was skipped; and
// what passed, folded.
func (r *Report) WriteHTML(w io.Writer) error {
	v := htmlView{R: r, OK: r.OK(), MaxStepFindings: MaxStepFindings, MaxFindings: MaxFindings}
	seen := map[string]bool{}
	for _, sc := range r.Scenarios {
		passed := htmlScenario{ScenarioResult: sc}
		for _, st := range sc.Steps {
			switch st.Status {
			case Failed:
				v.Failed = append(v.Failed, r.htmlStep(sc, st))
			case Warned:
				v.Warned = append(v.Warned, r.htmlStep(sc, st))
			case Skipped:
				if sc.Status != Skipped {
					v.Skipped = append(v.Skipped, htmlSkip{Scenario: sc.Name, Step: st.Name, File: st.File, Line: st.Line, Why: st.SkipReason})
				}
			default:
				passed.Passed = append(passed.Passed, st)
			}
			for _, f := range st.Findings {
				if rd, ok := contactkit.LookupReading(f.Reading); ok && f.IsReading() && !seen[rd.ID] {
					seen[rd.ID] = true
					v.Readings = append(v.Readings, rd)
				}
			}
		}
		switch {
		case sc.Status == Skipped:
			v.Skipped = append(v.Skipped, htmlSkip{Scenario: sc.Name, File: sc.File, Line: sc.Line, Why: sc.SkipReason})
		case len(passed.Passed) > 0:
			v.Passed = append(v.Passed, passed)
			v.PassedSteps += len(passed.Passed)
		}
	}
	return htmlPage.Execute(w, v)
}

type htmlView struct {
	R              *Report
	OK             bool
	Failed, Warned []htmlStep
	Skipped        []htmlSkip
	Passed         []htmlScenario
	PassedSteps    int
	Readings       []contactkit.Reading
	// The report's caps, for what it says it left out.
	MaxStepFindings, MaxFindings int
}

// htmlStep is a failed or warned step with what a reader needs beside it.
type htmlStep struct {
	Scenario ScenarioResult
	StepResult
	Kind     string // step or cleanup
	Answer   string
	Findings []htmlFinding
}

type htmlFinding struct {
	check.Finding
	Warning bool
	Reading *contactkit.Reading
	MoreAt  []string
}

type htmlSkip struct {
	Scenario, Step, File string
	Line                 int
	Why                  string
}

type htmlScenario struct {
	ScenarioResult
	Passed []StepResult
}

func (r *Report) htmlStep(sc ScenarioResult, st StepResult) htmlStep {
	h := htmlStep{Scenario: sc, StepResult: st, Kind: "step"}
	if st.Cleanup {
		h.Kind = "cleanup"
	}
	if st.HTTPStatus != 0 {
		h.Answer = fmt.Sprintf("%d %s", st.HTTPStatus, st.Body)
	}
	for _, f := range st.Findings {
		hf := htmlFinding{Finding: f, Warning: f.IsReading() && !r.StrictReadings}
		if rd, ok := contactkit.LookupReading(f.Reading); ok && f.IsReading() {
			hf.Reading = &rd
		}
		if f.Count > 1 {
			hf.MoreAt = f.MoreAt()
		}
		if f.Curl == st.Curl {
			hf.Curl = ""
		}
		h.Findings = append(h.Findings, hf)
	}
	return h
}
