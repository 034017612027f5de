package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/conformance/explore"
	"github.com/contactkit/contactkit/report"
	"github.com/contactkit/contactkit/scenario"
)

// tokenEnv lets CI pass the token without it showing in the process list.
const tokenEnv = "CONTACTKIT_TOKEN"

func runConform(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("conform", "conform --target URL --token TOKEN --app APP [flags]\n\n"+
		"Replays scenarios against an implementation and reports every mismatch.\n"+
		"Exit status: 0 all match, 1 a mismatch (or an interrupted run), 2 a usage, config or suite error,\n"+
		"3 the target is unreachable, does not speak HTTP, or stopped answering mid-run.\n"+
		"--json, --junit and --html are written whatever the exit status. Departures from the contract's readings of the\n"+
		"docs' silences are warnings (exit 0) unless --strict-readings.", stderr)
	var (
		cfg                        conformance.Config
		suiteDir, tags, varsFile   string
		junitOut, jsonOut, htmlOut string
		verbose                    bool
		vars                       = varFlag{}
	)
	fs.StringVar(&cfg.Target, "target", "", "base URL of the implementation under test (required), e.g. http://127.0.0.1:4010")
	fs.StringVar(&cfg.Token, "token", "", "bearer token granted --app (required; or $"+tokenEnv+"); never printed")
	fs.StringVar(&cfg.App, "app", "", "application id the token is granted (required)")
	fs.StringVar(&cfg.ForeignApp, "foreign-app", "", "an application the token is NOT granted; scenarios needing one are skipped without it")
	fs.StringVar(&suiteDir, "suite", "", "directory of scenario .yaml files (default: the embedded suite)")
	fs.StringVar(&cfg.Run, "run", "", "run only scenarios whose name matches this regular expression")
	fs.StringVar(&tags, "tags", "", "run only scenarios with any of these comma-separated tags")
	fs.StringVar(&junitOut, "junit", "", "write a JUnit XML report to this file")
	fs.StringVar(&jsonOut, "json", "", "write a JSON report to this file")
	fs.StringVar(&htmlOut, "html", "", "write an HTML report to this file: one page, nothing fetched, failures first")
	fs.Var(vars, "var", "set {{NAME}} in every scenario, NAME=VALUE (repeatable; a JSON number, true, false or null is that value, else text)")
	fs.StringVar(&varsFile, "vars", "", "YAML file of NAME: VALUE for {{NAME}}; --var beats it")
	fs.IntVar(&cfg.Parallel, "parallel", conformance.DefaultParallel, "scenarios run at once")
	fs.DurationVar(&cfg.Timeout, "timeout", conformance.DefaultTimeout, "time limit of each request")
	var deadline time.Duration
	fs.DurationVar(&deadline, "deadline", 0, "time limit of the whole run, exploration included, e.g. 5m (default none); the report of what ran is still written")
	fs.BoolVar(&cfg.StrictReadings, "strict-readings", false, "fail, not warn, where the target departs from a reading of the docs' silences (see the README)")
	fs.BoolVar(&verbose, "verbose", false, "also list the scenarios and steps that passed")
	ef := addExploreFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.Token == "" {
		cfg.Token = os.Getenv(tokenEnv)
	}
	if ef.foreignToken == "" {
		ef.foreignToken = os.Getenv(foreignTokenEnv)
	}
	// The scripted steps with auth: foreign-token send it too (a replayed
	// exploration's second identity).
	cfg.ForeignToken = ef.foreignToken
	var missing []string
	for _, f := range []struct{ name, val string }{{"--target", cfg.Target}, {"--token", cfg.Token}, {"--app", cfg.App}} {
		if f.val == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("conform: %s required", strings.Join(missing, ", "))
		if cfg.Token == "" {
			msg += " (the token may come from $" + tokenEnv + " instead)"
		}
		return usageError("%s", msg)
	}
	if cfg.Parallel < 1 {
		return usageError("conform: --parallel must be at least 1")
	}
	if cfg.Timeout <= 0 {
		return usageError("conform: --timeout must be positive")
	}
	if deadline < 0 {
		return usageError("conform: --deadline must not be negative")
	}
	if err := checkExploreFlags(ef, cfg.ForeignApp); err != nil {
		return err
	}
	for _, t := range strings.Split(tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			cfg.Tags = append(cfg.Tags, t)
		}
	}
	if varsFile != "" {
		data, err := os.ReadFile(varsFile)
		if err != nil {
			return usageError("conform: --vars: %v", err)
		}
		fileVars, err := scenario.ReadVars(varsFile, data)
		if err != nil {
			return usageError("conform: --vars: %v", err)
		}
		for name, v := range fileVars {
			if _, given := vars[name]; !given {
				vars[name] = v
			}
		}
	}
	cfg.Vars = vars
	if suiteDir != "" {
		info, err := os.Stat(suiteDir)
		if err != nil || !info.IsDir() {
			return usageError("conform: --suite %s is not a directory", suiteDir)
		}
		cfg.Suite = os.DirFS(suiteDir)
		cfg.SuiteName = filepath.ToSlash(filepath.Clean(suiteDir))
	}

	cfg.Seed = ef.seed
	if !ef.seedSet {
		cfg.Seed = explore.NewSeed()
	}
	if deadline > 0 {
		// One deadline for the whole run: the scripted suite, then exploration.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, deadline, fmt.Errorf("the deadline of %s passed", deadline))
		defer cancel()
	}
	rep, err := conformance.Run(ctx, cfg)
	if err == nil {
		err = exploreAfter(ctx, cfg, ef, rep)
	}
	code := exitOK
	switch {
	case errors.Is(err, conformance.ErrUnreachable), errors.Is(err, conformance.ErrNotHTTP), errors.Is(err, conformance.ErrTargetLost):
		code = exitNoTarget
	case errors.Is(err, conformance.ErrInterrupted):
		code = exitMismatch // an interrupted run is not a passing one
	case err != nil:
		code = exitUsage
	case !rep.OK():
		code = exitMismatch
	}
	if rep == nil {
		// Nothing was selected to run; the files still say why, for CI, which
		// counts it as an error, never as an empty green run.
		rep = &report.Report{Target: cfg.Target, App: cfg.App, Seed: cfg.Seed, Error: err.Error(),
			Scenarios: []report.ScenarioResult{{Name: "suite", File: cmp.Or(cfg.SuiteName, conformance.DefaultSuiteName), Status: report.Failed, SkipReason: err.Error()}}}
		rep.Count()
	}

	var errs []error
	// Scenarios the target kept from running say nothing a person needs beyond
	// the one line below; what did run is reported.
	if code != exitUsage && !errors.Is(err, conformance.ErrUnreachable) && !errors.Is(err, conformance.ErrNotHTTP) {
		if werr := rep.WriteText(stdout, verbose); werr != nil {
			errs = append(errs, fmt.Errorf("write report: %w", werr))
		}
	}
	if jsonOut != "" {
		errs = append(errs, writeFile(jsonOut, rep.WriteJSON))
	}
	if junitOut != "" {
		errs = append(errs, writeFile(junitOut, rep.WriteJUnit))
	}
	if htmlOut != "" {
		errs = append(errs, writeFile(htmlOut, rep.WriteHTML))
	}
	if werr := errors.Join(errs...); werr != nil {
		if code == exitOK || code == exitMismatch {
			code = exitUsage
		}
		err = errors.Join(err, werr)
	}
	switch {
	case code == exitOK:
		return nil
	case err == nil:
		return &exitError{code: code, err: errors.New("")} // the report said why
	}
	return &exitError{code: code, err: fmt.Errorf("conform: %w", err)}
}

// varFlag collects repeated --var NAME=VALUE.
type varFlag map[string]any

var _ flag.Value = varFlag{}

func (v varFlag) String() string { return strings.Join(slices.Sorted(maps.Keys(v)), " ") }

func (v varFlag) Set(arg string) error {
	name, value, err := scenario.ParseVar(arg)
	if err != nil {
		return err
	}
	v[name] = value
	return nil
}

// writeFile writes a report to name, making its directory when it is missing
// (CI names a reports/ directory for its artifacts).
func writeFile(name string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write report %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", name, err)
	}
	return nil
}
