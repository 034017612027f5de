package main

import (
	"io"
	"log/slog"
	"net"
)

// The mock and the proxy are both servers a person starts from a shell: they
// read --log-format and --addr the same way, so a flag means one thing in both.

// logHandler is the slog.Handler --log-format names, writing to w; cmd names the
// subcommand in a usage error.
func logHandler(cmd, format string, w io.Writer) (slog.Handler, error) {
	switch format {
	case "text":
		return slog.NewTextHandler(w, nil), nil
	case "json":
		return slog.NewJSONHandler(w, nil), nil
	case "none":
		return slog.DiscardHandler, nil
	}
	return nil, usageError("%s: --log-format %q: want text, json or none", cmd, format)
}

// checkAddr refuses an --addr that is not HOST:PORT before anything starts,
// showing the subcommand's default as the example.
func checkAddr(cmd, addr, example string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usageError("%s: --addr %q: want HOST:PORT, as in %s", cmd, addr, example)
	}
	return nil
}
