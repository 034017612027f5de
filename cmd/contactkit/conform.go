package main

import (
	"context"
	"errors"
	"io"
)

func runConform(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("conform", "conform --target URL --token TOKEN --app APP [flags]\n\nReplays scenarios against an implementation and reports every mismatch.", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return &exitError{code: exitUsage, err: errors.New("conform: not built yet")}
}
