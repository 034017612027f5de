package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/contactkit/contactkit"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise the
// module version from the build info is used.
var version = ""

func runSpec(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("spec", "spec\n\nPrints the embedded OpenAPI 3.0.3 contract (openapi.yaml), for code generators.", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, err := stdout.Write(contactkit.Contract())
	return err
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version\n\nPrints contactkit's version.", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "contactkit", currentVersion())
	return nil
}

func currentVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
