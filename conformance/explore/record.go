package explore

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/report"
	"github.com/contactkit/contactkit/scenario"
)

// record keeps r as a step of the execution's scenario, expecting what ex does.
func (e *execution) record(r *request, ex expect) {
	st := r.step
	st.Expect.Status, st.Expect.Readings = ex.statuses, ex.readings
	st.Expect.Body = nil
	at := map[string]int{} // pointer -> its assertion: two on one pointer merge
	for _, a := range ex.asserts {
		p := a.pointer(true)
		kind, arg := a.matcher()
		m, err := scenario.NewMatcher(kind, arg)
		if err != nil {
			continue // a value no file can say; the explorer judged it already
		}
		if i, ok := at[p]; ok {
			if !slices.ContainsFunc(st.Expect.Body[i].Matchers, func(o scenario.Matcher) bool { return o.Kind == kind }) {
				st.Expect.Body[i].Matchers = append(st.Expect.Body[i].Matchers, m)
			}
			continue
		}
		at[p] = len(st.Expect.Body)
		st.Expect.Body = append(st.Expect.Body, scenario.Assertion{Pointer: p, Matchers: []scenario.Matcher{m}})
	}
	e.steps = append(e.steps, recorded{step: st, vars: r.vars})
}

// write writes e's steps to a scenario file in Config.Out and returns its path.
func (x *explorer) write(e *execution, seq []action) (string, error) {
	if x.cfg.Out == "" {
		return "", nil
	}
	f := e.fail.findings[0]
	header := []string{
		fmt.Sprintf("Found by contactkit conform's exploration, seed %d, shrunk to %d operation(s).", x.cfg.Seed, len(seq)),
		"Replay: contactkit conform --target URL --token TOKEN --app APP --suite " + filepath.ToSlash(x.cfg.Out) + " --explore 0",
		"Failure: " + check.OneLine(f.String(), 200),
	}
	if f.Contract != "" {
		header = append(header, "Contract: "+f.Contract)
	}
	needs := e.needs()
	switch {
	case slices.Contains(needs, scenario.NeedForeignToken):
		header[1] = strings.Replace(header[1], "--app APP", "--app APP --foreign-app APP2 --foreign-token TOKEN2", 1)
	case slices.Contains(needs, scenario.NeedForeignApp):
		header[1] = strings.Replace(header[1], "--app APP", "--app APP --foreign-app APP2", 1)
	}
	sc := &scenario.Scenario{Name: fmt.Sprintf("explore seed %d: %s", x.cfg.Seed, clip(strings.TrimSpace(f.Message), 80)),
		Tags: []string{"explore"}, Exclusive: true, Needs: needs}
	seen := map[string]bool{}
	for _, r := range e.steps {
		sc.Steps = append(sc.Steps, r.step)
		for _, k := range r.vars {
			name := strings.Trim(k.tpl, "{}")
			if k.byName || seen[name] {
				continue
			}
			seen[name] = true
			sc.Vars = append(sc.Vars, scenario.Var{Name: name, Value: "{{" + scenario.BuiltinUniquePhone + "}}"})
		}
	}
	for _, c := range e.made {
		auth := ""
		if c.foreign {
			auth = scenario.AuthForeignToken
		}
		sc.Cleanup = append(sc.Cleanup, &scenario.Step{Name: fmt.Sprintf("delete contact %d", c.ord), Op: contactkit.OpDeleteContact, Auth: cmp.Or(auth, scenario.AuthToken),
			Params: []scenario.Pair{{Name: "contactId", Value: fmt.Sprintf("{{c%d}}", c.ord)}}, Expect: scenario.Expect{Status: []int{http.StatusOK, http.StatusNotFound}}})
	}
	var buf bytes.Buffer
	if err := scenario.Encode(&buf, header, sc); err != nil {
		return "", fmt.Errorf("write scenario: %w", err)
	}
	return writeFile(x.cfg.Out, fmt.Sprintf("explore-seed-%d.yaml", x.cfg.Seed), buf.Bytes())
}

// writeFile writes data to dir/name through a temporary file in dir, so that a
// reader never sees half a file and a link planted at the name is replaced, not
// followed.
func writeFile(dir, name string, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write scenario: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".explore-*")
	if err != nil {
		return "", fmt.Errorf("write scenario: %w", err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	path := filepath.Join(dir, name)
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%s is in the way", path)
		}
		return "", fmt.Errorf("write scenario: %w", err)
	}
	return path, nil
}

// needs lists what a replay of e's steps needs of the run: the foreign app, and
// the foreign token when a step acts as the second identity.
func (e *execution) needs() []string {
	var app, token bool
	for _, r := range e.steps {
		app = app || r.step.Auth == scenario.AuthForeignApp || r.step.Auth == scenario.AuthForeignToken
		token = token || r.step.Auth == scenario.AuthForeignToken
	}
	for _, c := range e.made {
		app, token = app || c.foreign, token || c.foreign
	}
	var out []string
	if app {
		out = append(out, scenario.NeedForeignApp)
	}
	if token {
		out = append(out, scenario.NeedForeignToken)
	}
	return out
}

// failedResult turns a failing execution into the report's scenario: the
// sequence as steps, the failing one with its findings.
func (x *explorer) failedResult(e *execution, file string, werr error) report.ScenarioResult {
	sc := report.ScenarioResult{Name: ScenarioName, File: cmp.Or(file, ScenarioName), Tags: []string{"explore"}, Status: report.Failed,
		Note: fmt.Sprintf("seed %d, %d step(s) after shrinking", x.cfg.Seed, len(e.steps))}
	for i, r := range e.steps {
		sr := report.StepResult{Name: r.step.Name, File: sc.File, Operation: r.step.Op, Status: report.Passed, Requests: 1}
		if i == e.fail.step || (i == len(e.steps)-1 && e.fail.step >= len(e.steps)) {
			sr.Status = report.Failed
			sr.Curl = e.fail.curl
			sr.HTTPStatus = e.fail.status
			sr.Body = e.fail.body
			sr.Findings = e.fail.findings
		}
		sc.Steps = append(sc.Steps, sr)
	}
	if len(sc.Steps) == 0 {
		sc.Steps = append(sc.Steps, report.StepResult{Name: "explore", File: sc.File, Status: report.Failed, Curl: e.fail.curl, Findings: e.fail.findings})
	}
	if werr != nil {
		last := &sc.Steps[len(sc.Steps)-1]
		last.Findings = append(last.Findings, check.Finding{Check: check.Transport, Message: "the scenario file was not written: " + werr.Error()})
	}
	return sc
}
