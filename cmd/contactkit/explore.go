package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/contactkit/contactkit/conformance"
	"github.com/contactkit/contactkit/conformance/explore"
	"github.com/contactkit/contactkit/report"

	"github.com/contactkit/contactkit/redact"
)

// foreignTokenEnv lets CI pass the second token without it showing in the
// process list.
const foreignTokenEnv = "CONTACTKIT_FOREIGN_TOKEN"

// exploreFlags are conform's flags for the exploration phase.
type exploreFlags struct {
	ops          int
	seed         int64
	seedSet      bool
	out          string
	foreignToken string
	concurrency  bool
}

func addExploreFlags(fs *flag.FlagSet) *exploreFlags {
	ef := &exploreFlags{}
	fs.IntVar(&ef.ops, "explore", explore.DefaultOps, "generated operations to explore after the scenarios (0: none)")
	fs.Func("seed", "seed of every generated value (names, phones, ids, the exploration), to repeat a run exactly (default: random, printed in the report)", func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("not an integer")
		}
		ef.seed, ef.seedSet = v, true
		return nil
	})
	fs.StringVar(&ef.out, "explore-out", "", "directory where a failing exploration is written as a scenario file")
	fs.BoolVar(&ef.concurrency, "concurrency", true, "after the exploration, overlap PUTs and DELETEs on one contact and creates in one app, each round held to some order of its operations (needs the app to itself; --concurrency=false: skip)")
	fs.StringVar(&ef.foreignToken, "foreign-token", "", "a second token, granted --foreign-app only (or $"+foreignTokenEnv+"): checks authorization both ways, and steps with auth: foreign-token send it; never printed")
	return ef
}

// exploreAfter runs the exploration after the scripted suite and adds what it
// found to rep. It returns conformance.ErrInterrupted when ctx ended it.
func exploreAfter(ctx context.Context, cfg conformance.Config, ef *exploreFlags, rep *report.Report) error {
	if ef.ops <= 0 || rep == nil {
		return nil
	}
	res, err := explore.Run(ctx, explore.Config{
		Target: cfg.Target, Token: cfg.Token, App: cfg.App, ForeignApp: cfg.ForeignApp, ForeignToken: ef.foreignToken,
		Ops: ef.ops, Seed: cfg.Seed, Out: ef.out, Timeout: cfg.Timeout, Client: cfg.Client, StrictReadings: cfg.StrictReadings,
		NoConcurrency: !ef.concurrency,
	})
	if res != nil {
		res.AddTo(rep)
		rep.Scrub(redact.NewScrubber(redact.WithSwappedCase(cfg.Token, ef.foreignToken)...).Scrub)
	}
	switch {
	case errors.Is(err, explore.ErrInterrupted):
		rep.Error = err.Error()
		return fmt.Errorf("%w: %w", conformance.ErrInterrupted, context.Cause(ctx))
	case err != nil:
		return fmt.Errorf("explore: %w", err)
	}
	return nil
}

// checkExploreFlags reports a usage error in the exploration flags.
func checkExploreFlags(ef *exploreFlags, foreignApp string) error {
	if ef.ops < 0 {
		return usageError("conform: --explore must be 0 or more")
	}
	if (ef.foreignToken != "" || os.Getenv(foreignTokenEnv) != "") && foreignApp == "" {
		return usageError("conform: --foreign-token needs --foreign-app, the app it is granted")
	}
	return nil
}
