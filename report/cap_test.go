package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/contactkit/contactkit/check"
)

// TestReportCap: a report keeps at most MaxFindings findings and says how
// many it left out, per step and in all.
func TestReportCap(t *testing.T) {
	rep := &Report{}
	for range 3 {
		fs := make([]check.Finding, 600)
		for i := range fs {
			fs[i] = check.Finding{Check: check.Schema, Message: "m"}
		}
		rep.Scenarios = append(rep.Scenarios, ScenarioResult{Status: Failed, Steps: []StepResult{{Status: Failed, Findings: fs}}})
	}
	rep.CapFindings()
	kept := 0
	for _, sc := range rep.Scenarios {
		kept += len(sc.Steps[0].Findings)
	}
	if kept != MaxFindings || rep.FindingsLeftOut != 1800-MaxFindings {
		t.Errorf("kept %d, left out %d; want %d, %d", kept, rep.FindingsLeftOut, MaxFindings, 1800-MaxFindings)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "more findings left out") {
		t.Errorf("console report does not say what it left out:\n%s", text.String())
	}
}
