// Command contactkit serves a mock of the Contacts API and checks real
// implementations against its contract. main only wires: flags to a Config, a
// Config to the library.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/contactkit/contactkit/report"
)

// Exit codes, a contract for scripts: see the README.
const (
	exitOK       = 0
	exitMismatch = 1 // conform: the target broke the contract
	exitUsage    = 2 // bad flags, arguments or configuration
	exitNoTarget = 3 // conform: the target cannot be reached
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitError carries the exit code a failure should end the process with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as the user's mistake (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// exitCode prints err, if any, and returns the code the process should exit with.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	// An error may quote a target or a file; its lines are escaped for a terminal.
	say := func(err error) {
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = report.TerminalSafe(l)
		}
		fmt.Fprintln(stderr, "contactkit: "+strings.Join(lines, "\n"))
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			say(ee.err)
		}
		return ee.code
	}
	say(err)
	return exitMismatch
}

const usage = `contactkit: a mock and a conformance runner for the Contacts API.

Usage:
  contactkit <command> [flags]

Commands:
  mock      serve an in-memory mock of the API
  conform   replay scenarios against an implementation and report mismatches
  proxy     forward to a server, check its traffic against the contract, record it
  spec      print the embedded OpenAPI contract (openapi.yaml)
  version   print the version

Run "contactkit <command> --help" for a command's flags.
`

// run dispatches to a subcommand; it is main without the process around it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: exitUsage, err: errors.New("")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "mock":
		return runMock(ctx, rest, stdout, stderr)
	case "conform":
		return runConform(ctx, rest, stdout, stderr)
	case "proxy":
		return runProxy(ctx, rest, stdout, stderr)
	case "spec":
		return runSpec(rest, stdout, stderr)
	case "version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError("unknown command %q", cmd)
	}
}

// parseFlags parses a subcommand's flags; --help prints them and succeeds, a bad
// flag is a usage error that says what was wrong and where the flags are listed
// (the whole list would bury the one line that matters), and stray arguments are
// refused.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	case err != nil:
		return usageError("%s: %v%s\nrun \"contactkit %s --help\" for its flags", fs.Name(), err, flagHint(fs, err), fs.Name())
	case fs.NArg() > 0:
		return usageError("%s: unexpected argument %q\nrun \"contactkit %s --help\" for its flags", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

var badFlagValue = regexp.MustCompile(`^invalid value "(.*)" for flag -([^:]+): `)

// flagHint adds what a bad value lacks when it can tell: a duration given as a
// bare number, the most common slip, needs a unit.
func flagHint(fs *flag.FlagSet, err error) string {
	m := badFlagValue.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	f := fs.Lookup(m[2])
	if f == nil {
		return ""
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return ""
	}
	if _, isDuration := g.Get().(time.Duration); isDuration {
		if _, numErr := strconv.ParseFloat(m[1], 64); numErr == nil {
			return fmt.Sprintf(" (a duration needs a unit: %sms or %ss)", m[1], m[1])
		}
	}
	return ""
}

// newFlagSet returns a flag set whose usage and errors go to stderr, as Go tools do.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: contactkit %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
