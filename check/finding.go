package check

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Check is the kind of a finding, so a reader (or a script) knows which rule was
// broken. It marshals as its word.
type Check string

// Kinds of finding.
const (
	Transport   Check = "transport"    // no answer: refused, timed out, cut off
	Redirect    Check = "redirect"     // a 3xx, which the API never sends
	Status      Check = "status"       // a status the contract does not document
	ContentType Check = "content-type" // not application/json
	Body        Check = "body"         // not JSON, or too large
	Schema      Check = "schema"       // the body breaks the contract's schema
	Envelope    Check = "envelope"     // statusCode, code or message wrong
	Paging      Check = "paging"       // meta inconsistent with data
	Expect      Check = "expect"       // the scenario's (or the explorer's) own expectation
	Capture     Check = "capture"      // a value to keep was not there
	BadRequest  Check = "request"      // the request breaks the contract (Checker.Request)
	Model       Check = "model"        // an answer disagrees with what earlier answers told
	Unjudged    Check = "unjudged"     // part of an answer too large to judge within the bounds
	Linear      Check = "linear"       // overlapping operations whose answers no order of them explains
)

// Source says what makes an assertion true: the API's docs, HTTP itself (an RFC),
// or the contract's reading of a place where the docs are silent. Breaking the
// docs or HTTP fails a run; departing from a reading only warns, since a correct
// server may choose otherwise there (unless the run is strict about readings).
type Source string

// Sources of an assertion.
const (
	Docs    Source = "docs"
	HTTP    Source = "http"
	Reading Source = "reading"
)

// Finding is one mismatch: what was wrong, where in the body, which part of the
// contract says so, and on what authority.
type Finding struct {
	Check Check `json:"check"`
	// Source is what the broken assertion rests on; "" reads as Docs.
	Source Source `json:"source,omitempty"`
	// Reading names the reading (contactkit.Readings) a Reading finding departs
	// from.
	Reading  string `json:"reading,omitempty"`
	Message  string `json:"message"`
	Pointer  string `json:"pointer,omitempty"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	Contract string `json:"contract,omitempty"`
	// Curl is the request that got the offending answer, when a step sent several.
	Curl string `json:"curl,omitempty"`
	// Count is how many findings of this kind the answer had, when more than one:
	// they are reported as this one, and More says where the first few others are.
	Count int      `json:"count,omitempty"`
	More  []string `json:"more,omitempty"`
}

// IsReading reports whether f only departs from a reading of a silence of the
// docs: a warning, unless the run is strict about readings.
func (f Finding) IsReading() bool { return f.Source == Reading }

// Fails reports whether f fails a run: it breaks the docs or HTTP, or it departs
// from a reading and the run is strict about them.
func (f Finding) Fails(strictReadings bool) bool { return !f.IsReading() || strictReadings }

// String gives the finding in one line: its check, message and pointer.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(string(f.Check) + ": " + f.Message)
	if f.Pointer != "" && !strings.Contains(f.Message, f.Pointer) {
		b.WriteString(" (at " + f.Pointer + ")")
	}
	return b.String()
}

// AsReading marks every finding of fs as a departure from reading id.
func AsReading(id string, fs []Finding) []Finding {
	for i := range fs {
		fs[i].Source, fs[i].Reading = Reading, id
	}
	return fs
}

// Failing returns the findings of fs that fail a run.
func Failing(fs []Finding, strictReadings bool) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Fails(strictReadings) {
			out = append(out, f)
		}
	}
	return out
}

// MorePlaces is how many places of the others a collapsed finding names.
const MorePlaces = 5

var digits = regexp.MustCompile(`/\d+(/|$|:)`)

// Collapse folds the findings of one kind on one answer into the first of them,
// with Count and the places of the first few others: fifty contacts with a
// string phone, or thirty thousand empty items, read as one problem and keep a
// report small. Findings differing only by an index are of one kind.
func Collapse(fs []Finding) []Finding {
	var out []Finding
	index := map[string]int{}
	for _, f := range fs {
		key := string(f.Check) + "|" + string(f.Source) + "|" + f.Reading + "|" + f.Contract + "|" +
			digits.ReplaceAllString(f.Message, "/N$1") + "|" + digits.ReplaceAllString(f.Pointer, "/N$1")
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
		if len(g.More) < MorePlaces {
			g.More = append(g.More, at)
		}
	}
	return out
}

// Others says, for a collapsed finding, how many more there are like it and
// where ("and 49 more like it, at /data/1/phone, …"); "" for a single one.
func (f Finding) Others() string {
	if f.Count <= 1 {
		return ""
	}
	return fmt.Sprintf("and %d more like it, at %s", f.Count-1, strings.Join(f.MoreAt(), ", "))
}

// MoreAt lists where the others of a collapsed finding are, "…" when there are
// more than it names.
func (f Finding) MoreAt() []string {
	if f.Count-1 > len(f.More) {
		return append(slices.Clone(f.More), "…")
	}
	return f.More
}
