package report

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

var marks = map[Status]string{Passed: "PASS", Warned: "WARN", Failed: "FAIL", Skipped: "SKIP"}

// WriteText writes the report for a person: every failed or warned scenario with
// its findings, the readings the target departs from, then a summary line.
// verbose adds the scenarios and steps that passed.
func (r *Report) WriteText(w io.Writer, verbose bool) error {
	ew := &errWriter{w: w}
	ew.printf("contactkit conform: %s, app %s\n", r.Target, r.App)
	for _, sc := range r.Scenarios {
		if sc.Status == Passed && !verbose {
			continue
		}
		ew.printf("\n%s %s (%s:%d) %s\n", marks[sc.Status], sc.Name, sc.File, sc.Line, sc.Duration.Round(time.Millisecond))
		if sc.SkipReason != "" {
			ew.printf("     %s\n", sc.SkipReason)
		}
		if sc.Note != "" && verbose {
			ew.printf("     %s\n", sc.Note)
		}
		if sc.Status == Skipped && !verbose {
			continue // its steps were skipped for the same reason
		}
		for _, st := range sc.Steps {
			r.writeStep(ew, st, verbose)
		}
	}
	if ids := r.Readings(); len(ids) > 0 {
		verb := "warnings, exit 0 unless --strict-readings"
		if r.StrictReadings {
			verb = "failures: --strict-readings"
		}
		ew.printf("\nreadings this target departs from (%s; the docs are silent here):\n", verb)
		for _, id := range ids {
			if rd, ok := contactkit.LookupReading(id); ok {
				ew.printf("  %s: %s; the mock answers %s\n", id, rd.Case, rd.Mock)
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
		ew.printf("\nexplored %d generated operations; seed %d (repeat the run with --seed %d)\n", r.Explored, r.Seed, r.Seed)
	}
	if r.Error != "" {
		ew.printf("\nnot judged whole: %s\n", r.Error)
	}
	verdict := "ok"
	if !r.OK() {
		verdict = "FAIL"
	}
	s := r.Summary
	ew.printf("\n%s: scenarios %d passed, %d warned, %d failed, %d skipped; steps %d passed, %d warned, %d failed, %d skipped; %s\n",
		verdict, s.Scenarios.Passed, s.Scenarios.Warned, s.Scenarios.Failed, s.Scenarios.Skipped,
		s.Steps.Passed, s.Steps.Warned, s.Steps.Failed, s.Steps.Skipped, r.Duration.Round(time.Millisecond))
	return ew.err
}

func (r *Report) writeStep(ew *errWriter, st StepResult, verbose bool) {
	if st.Status == Passed && !verbose {
		return
	}
	kind := "step"
	if st.Cleanup {
		kind = "cleanup"
	}
	op := st.Operation
	switch {
	case st.Unchecked:
		op = strings.TrimSpace(op + " unchecked")
	case op == "":
		op = "raw request"
	}
	ew.printf("  %s %s %q (%s:%d) %s%s\n", st.Status, kind, st.Name, st.File, st.Line, op, st.triesText())
	if st.SkipReason != "" {
		ew.printf("      %s\n", st.SkipReason)
	}
	if st.Note != "" {
		ew.printf("      note: %s\n", st.Note)
	}
	if st.Status != Failed && st.Status != Warned {
		return
	}
	if st.Curl != "" {
		ew.printf("      request:  %s\n", st.Curl)
	}
	if st.HTTPStatus != 0 {
		ew.printf("      answered: %d %s\n", st.HTTPStatus, check.OneLine(st.Body, 300))
	}
	for _, f := range st.Findings {
		lead := "-"
		if f.IsReading() && !r.StrictReadings {
			lead = "- warning:"
		}
		ew.printf("      %s %s\n", lead, f)
		if f.Expected != "" || f.Actual != "" {
			ew.printf("          expected: %s\n          actual:   %s\n", f.Expected, f.Actual)
		}
		if f.IsReading() {
			ew.printf("          reading:  %s (the docs are silent; see the README's readings)\n", f.Reading)
		}
		if f.Contract != "" {
			ew.printf("          contract: %s\n", f.Contract)
		}
		if f.Curl != "" && f.Curl != st.Curl {
			ew.printf("          request:  %s\n", f.Curl)
		}
		if others := f.Others(); others != "" {
			ew.printf("          %s\n", others)
		}
	}
	if st.FindingsLeftOut > 0 {
		ew.printf("      (%d more findings left out: the report keeps %d a step and %d in all)\n", st.FindingsLeftOut, MaxStepFindings, MaxFindings)
	}
}

// triesText says how many tries a step with retry took, "" when one.
func (st StepResult) triesText() string {
	if st.Tries > 1 {
		return fmt.Sprintf(", %d tries", st.Tries)
	}
	return ""
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
