// Package report is the outcome of a conformance run, scripted and explored, and
// its forms: text for a person, JSON for scripts, JUnit XML for CI. The runner and
// the explorer both fill it; neither imports the other.
package report

import (
	"time"

	"github.com/contactkit/contactkit/check"
)

// Status is the outcome of a scenario or a step.
type Status string

// Outcomes. Warned is a pass with findings that only depart from readings of the
// docs' silences.
const (
	Passed  Status = "passed"
	Warned  Status = "warned"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// A report keeps at most MaxStepFindings findings of a step and MaxFindings in
// all, and counts what it left out: a target can be wrong in more ways than a
// person reads, and a report must stay a size CI can store.
const (
	MaxStepFindings = 50
	MaxFindings     = 1000
)

// NotRunPrefix starts the skip reason of a step the run did not get to.
const NotRunPrefix = "not run: "

// Report is the outcome of a run; it marshals to JSON and back unchanged.
type Report struct {
	Target    string           `json:"target"`
	App       string           `json:"app"`
	Started   string           `json:"started"` // RFC 3339
	Duration  time.Duration    `json:"duration_ns"`
	Scenarios []ScenarioResult `json:"scenarios"`
	Summary   Summary          `json:"summary"`
	// StrictReadings says findings that depart from a reading failed the run
	// rather than warned.
	StrictReadings bool `json:"strict_readings,omitempty"`
	// Hint names a likely cause when the failures share one, e.g. a refused token.
	Hint string `json:"hint,omitempty"`
	// Error says why the run could not be judged whole: the target unreachable or
	// not speaking HTTP, lost mid-run, or the run interrupted. The scenarios it
	// kept from running are reported skipped.
	Error string `json:"error,omitempty"`
	// FindingsLeftOut counts the findings the report's size cap left out, in all
	// steps; each step says how many of its own.
	FindingsLeftOut int `json:"findings_left_out,omitempty"`
	// Seed fixes every generated value of the run, so that it can be repeated;
	// Explored is how many generated operations ran (0: no exploration).
	Seed     int64 `json:"seed"`
	Explored int   `json:"explored,omitempty"`
}

// Summary counts outcomes.
type Summary struct {
	Scenarios Counts `json:"scenarios"`
	Steps     Counts `json:"steps"`
}

// Counts of passed, warned, failed and skipped scenarios or steps.
type Counts struct {
	Passed  int `json:"passed"`
	Warned  int `json:"warned"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Passed:
		c.Passed++
	case Warned:
		c.Warned++
	case Failed:
		c.Failed++
	case Skipped:
		c.Skipped++
	}
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
	// Note says more of the scenario than its steps do, e.g. how many generated
	// operations an exploration ran.
	Note string `json:"note,omitempty"`
}

// StepResult is one step's outcome, with the request that shows it.
type StepResult struct {
	Name      string `json:"name"`
	File      string `json:"file"`
	Line      int    `json:"line"`
	Operation string `json:"operation,omitempty"`
	Cleanup   bool   `json:"cleanup,omitempty"`
	// Unchecked says the answer was judged by the step's own expectations only,
	// not by the contract (a call outside it, such as the mock's admin API).
	Unchecked  bool          `json:"unchecked,omitempty"`
	Status     Status        `json:"status"`
	SkipReason string        `json:"skip_reason,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Requests   int           `json:"requests"`
	// Tries is how many times a step with retry was tried, the last try's
	// answer the one reported.
	Tries int `json:"tries,omitempty"`
	// Curl is the (last) request as a curl command, the token redacted.
	Curl string `json:"curl,omitempty"`
	// HTTPStatus and Body are the (last) answer, the body cut short.
	HTTPStatus int             `json:"http_status,omitempty"`
	Body       string          `json:"body,omitempty"`
	Findings   []check.Finding `json:"findings,omitempty"`
	// FindingsLeftOut counts the findings the report's size cap left out.
	FindingsLeftOut int `json:"findings_left_out,omitempty"`
	// Note says what a person should know of how the step was judged, e.g. that
	// a walk of a big list read only some pages.
	Note string `json:"note,omitempty"`
}

// StatusOf is the outcome of a step with these findings: failed when one fails
// (see check.Finding.Fails), warned when every one only departs from a reading,
// passed when there are none.
func StatusOf(fs []check.Finding, strictReadings bool) Status {
	switch {
	case len(fs) == 0:
		return Passed
	case len(check.Failing(fs, strictReadings)) > 0:
		return Failed
	}
	return Warned
}

// Worst is the outcome of a scenario whose steps had these outcomes: failed,
// else warned, else passed (skipped steps aside).
func Worst(steps []StepResult) Status {
	out := Passed
	for _, st := range steps {
		switch st.Status {
		case Failed:
			return Failed
		case Warned:
			out = Warned
		}
	}
	return out
}

// Count fills Summary from the scenarios.
func (r *Report) Count() {
	r.Summary = Summary{}
	for _, sc := range r.Scenarios {
		r.Summary.Scenarios.add(sc.Status)
		for _, st := range sc.Steps {
			r.Summary.Steps.add(st.Status)
		}
	}
}

// CapFindings keeps the first MaxFindings findings of the report, in scenario
// order, and counts the rest as left out.
func (r *Report) CapFindings() {
	kept := 0
	r.FindingsLeftOut = 0
	for i := range r.Scenarios {
		for j := range r.Scenarios[i].Steps {
			st := &r.Scenarios[i].Steps[j]
			if room := MaxFindings - kept; len(st.Findings) > room {
				st.FindingsLeftOut += len(st.Findings) - room
				st.Findings = st.Findings[:room:room]
			}
			kept += len(st.Findings)
			r.FindingsLeftOut += st.FindingsLeftOut
		}
	}
}

// Scrub takes tokens out of every text of the report with scrub (a
// redact.Scrubber's Scrub). The runner's bodies were scrubbed whole when they
// arrived; this pass catches what a report built from them, such as a value
// decoded from a \u-escaped token and then cut, and what another phase (the
// explorer) added.
func (r *Report) Scrub(scrub func(string) string) {
	s := scrub
	r.Error, r.Target, r.App, r.Hint = s(r.Error), s(r.Target), s(r.App), s(r.Hint)
	for i := range r.Scenarios {
		sc := &r.Scenarios[i]
		sc.SkipReason, sc.Note = s(sc.SkipReason), s(sc.Note)
		for j := range sc.Steps {
			st := &sc.Steps[j]
			st.SkipReason, st.Curl, st.Body, st.Note = s(st.SkipReason), s(st.Curl), s(st.Body), s(st.Note)
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

// Readings lists the readings the report's findings depart from, each once, in
// the order first met.
func (r *Report) Readings() []string {
	var out []string
	seen := map[string]bool{}
	for _, sc := range r.Scenarios {
		for _, st := range sc.Steps {
			for _, f := range st.Findings {
				if f.IsReading() && !seen[f.Reading] {
					seen[f.Reading] = true
					out = append(out, f.Reading)
				}
			}
		}
	}
	return out
}
