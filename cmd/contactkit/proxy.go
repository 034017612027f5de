package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"runtime/debug"

	"github.com/contactkit/contactkit/proxy"
)

func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("proxy", `proxy --target URL [flags]

Forwards every request to --target unchanged and its answer back, checks each
exchange against the embedded contract (the checks conform makes on every answer,
the request too, and a model of the session), logs each violation, and keeps a
journal at /__admin/requests. With --record DIR the session is written as scenario
files that "contactkit conform --suite DIR" replays (on SIGINT/SIGTERM, and every
--record-interval while it runs).`, stderr)
	var cfg proxy.Config
	auth := authFlag{}
	fs.Var(auth, "auth", "the target's tokens, TOKEN=APP[,APP] (repeatable), as the mock takes them: a request with another token, or on another app, must then be refused")
	fs.StringVar(&cfg.Target, "target", "", "base URL of the server to proxy (required), e.g. https://staging.example.com")
	fs.StringVar(&cfg.Addr, "addr", proxy.DefaultAddr, "address to listen on (loopback by default)")
	fs.StringVar(&cfg.RecordDir, "record", "", "write the session as scenario files into this directory")
	fs.DurationVar(&cfg.RecordInterval, "record-interval", proxy.DefaultRecordInterval, "how often the recording is rewritten while running (it is always written on exit)")
	fs.BoolVar(&cfg.Strict, "strict", false, "answer a 502 envelope instead of an answer that breaks the contract")
	fs.StringVar(&cfg.AdminToken, "admin-token", "", "bearer token /__admin/ requires (health excepted; default: none)")
	logFormat := fs.String("log-format", proxy.DefaultLogFormat, "log on stderr, one line per violation and per exchange: text, json or none")
	fs.Int64Var(&cfg.MaxBody, "max-body", proxy.DefaultMaxBody, "largest body checked, in bytes; larger ones pass through unchecked")
	fs.DurationVar(&cfg.Timeout, "timeout", proxy.DefaultTimeout, "limit of one exchange with the target")
	fs.DurationVar(&cfg.ReadHeaderTimeout, "read-header-timeout", proxy.DefaultReadHeaderTimeout, "cut off a client that stalls sending headers")
	fs.IntVar(&cfg.MaxConns, "max-conns", proxy.DefaultMaxConns, "most client connections at once; more are answered 503")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	handler, err := logHandler("proxy", *logFormat, stderr)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(handler)
	if len(auth) > 0 {
		cfg.Grants = auth
	}
	switch {
	case cfg.Target == "":
		return usageError("proxy: --target required, e.g. --target http://127.0.0.1:4010")
	case cfg.MaxBody <= 0, cfg.Timeout <= 0, cfg.ReadHeaderTimeout <= 0, cfg.MaxConns <= 0:
		return usageError("proxy: --max-body, --timeout, --read-header-timeout and --max-conns must be positive")
	}
	if cfg.RecordInterval <= 0 {
		cfg.RecordInterval = -1 // only on exit
	}
	if err := checkAddr("proxy", cfg.Addr, proxy.DefaultAddr); err != nil {
		return err
	}
	// As for the mock: with a few MB live, Go's default collects every few MB
	// allocated, and every exchange allocates its bodies; GOGC from the
	// environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	srv, err := proxy.New(cfg)
	if errors.Is(err, proxy.ErrConfig) {
		return usageError("proxy: %w", err)
	} else if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	proxyBanner(stdout, srv.Addr(), cfg)

	<-ctx.Done()
	fmt.Fprintln(stdout, "contactkit proxy: shutting down, letting exchanges in flight finish")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if file, _ := srv.WriteRecording(); file != "" {
		fmt.Fprintf(stdout, "contactkit proxy: recording written to %s\n", file)
	}
	if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	return nil
}

// proxyBanner tells a person where the proxy listens, what it forwards to, and
// where to look.
func proxyBanner(w io.Writer, addr net.Addr, cfg proxy.Config) {
	url := "http://" + addr.String()
	fmt.Fprintf(w, "contactkit proxy listening on %s\n", url)
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		fmt.Fprintf(w, "listening on every interface (port %d); reach it locally at http://127.0.0.1:%d\n", tcp.Port, tcp.Port)
		if cfg.AdminToken == "" {
			fmt.Fprintln(w, "WARNING: the journal at /__admin/ is open to the network; set --admin-token")
		}
	}
	mode := "violations are logged and journaled, answers pass unchanged"
	if cfg.Strict {
		mode = "--strict: an answer that breaks the contract is replaced by a 502 envelope"
	}
	fmt.Fprintf(w, "forwarding to %s; %s\n", redactedTarget(cfg.Target), mode)
	if cfg.RecordDir != "" {
		fmt.Fprintf(w, "recording into %s (written on exit)\n", cfg.RecordDir)
	}
	admin := ""
	if cfg.AdminToken != "" {
		admin = " (with --admin-token as bearer)"
	}
	fmt.Fprintf(w, "journal%s: GET %s/__admin/requests (?status=4xx&op=&app=&since=), live: %s/__admin/requests/stream; Ctrl-C stops\n", admin, url, url)
}

func redactedTarget(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	return raw
}
