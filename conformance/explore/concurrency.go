package explore

import (
	"context"
	"fmt"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance/linear"
	"github.com/contactkit/contactkit/report"
)

// ConcurrencyStep names the concurrency phase's step in every report.
const ConcurrencyStep = "concurrency"

// everyOperation is the operation of the exploration's steps, which send them all.
var everyOperation = strings.Join([]string{contactkit.OpListContacts, contactkit.OpGetContact, contactkit.OpCreateContacts,
	contactkit.OpToggleContactBlock, contactkit.OpDeleteContact}, ", ")

// concurrency runs package linear's rounds against the target, after every
// sequence and alone (its create rounds read the app's total, so nothing else
// may write meanwhile): overlapping PUTs and DELETEs on one contact, and
// overlapping creates in one app, each round explained by some order of its
// operations or failed. What it made is deleted, even when ctx ends.
func (x *explorer) concurrency(ctx context.Context) *report.StepResult {
	st := &report.StepResult{Name: ConcurrencyStep, File: ScenarioName, Operation: everyOperation}
	lr, err := linear.Run(ctx, linear.Config{
		Target: x.cfg.Target, Token: x.cfg.Token, App: x.cfg.App, Client: x.cfg.Client,
		Timeout: x.cfg.Timeout, Seed: x.cfg.Seed, Spec: x.spec,
	})
	if lr == nil {
		st.Status, st.SkipReason = report.Skipped, x.scrub(err.Error())
		return st
	}
	x.requests.Add(lr.Requests)
	st.Duration = lr.Duration
	st.Findings = lr.Findings
	st.Status = report.StatusOf(st.Findings, x.cfg.StrictReadings)
	// The note says only what the seed decides, so the same seed writes the
	// same report; what was not judged, and why, follows.
	st.Note = fmt.Sprintf("%d rounds of overlapping operations on one contact and on one app's list, each held to some order of them", lr.Rounds)
	if len(lr.Notes) > 0 {
		st.Note += "; " + strings.Join(lr.Notes, "; ")
	}
	return st
}
