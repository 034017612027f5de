package main

import (
	"context"
	"errors"
	"io"
)

func runMock(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("mock", "mock [flags]\n\nServes an in-memory mock of the Contacts API.", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return &exitError{code: exitUsage, err: errors.New("mock: not built yet")}
}
