// Command gopeer runs the Go peer Contacts API server (internal/peers/goserver) as
// a process, for bench scripts. Its flags are the Node peer's:
//
//	gopeer [--host 127.0.0.1] [--port 0] [--grant TOKEN=APP[,APP]]... [--seed N]
//	       [--contacts N] [--slow] [--choice NAME=VALUE]...
//	gopeer --choices     (prints the default choices as JSON)
//
// The first line on stdout is "listening on http://HOST:PORT".
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/contactkit/contactkit/internal/peers/goserver"
)

// list is a repeatable flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, " ") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gopeer:", err)
		os.Exit(2)
	}
}

func run() error {
	var grants, choices list
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 0, "port to listen on (0: any free one)")
	seed := flag.Int64("seed", 0, "seed of every app's starting contacts")
	contacts := flag.Int("contacts", -1, "contacts every app starts with (default: the choice's)")
	slow := flag.Bool("slow", false, "delay some answers by 0-15 ms")
	printChoices := flag.Bool("choices", false, "print the default choices as JSON and exit")
	flag.Var(&grants, "grant", "TOKEN=APP[,APP]: a token and the apps it may use (repeatable)")
	flag.Var(&choices, "choice", "NAME=VALUE: flip a choice away from its default (repeatable)")
	flag.Parse()
	if *printChoices {
		return json.NewEncoder(os.Stdout).Encode(goserver.Defaults())
	}

	cfg := goserver.Config{Seed: *seed, Grants: map[string][]string{}, Choices: map[string]string{}}
	for _, g := range grants {
		tok, apps, ok := strings.Cut(g, "=")
		if !ok || tok == "" || apps == "" {
			return fmt.Errorf("--grant wants TOKEN=APP[,APP], got %q", g)
		}
		cfg.Grants[tok] = append(cfg.Grants[tok], strings.Split(apps, ",")...)
	}
	if len(grants) == 0 {
		cfg.Grants = map[string][]string{"tok1": {"app1"}, "tok2": {"app2"}}
	}
	for _, c := range choices {
		name, value, ok := strings.Cut(c, "=")
		if !ok {
			return fmt.Errorf("--choice wants NAME=VALUE, got %q", c)
		}
		cfg.Choices[name] = value
	}
	if *contacts >= 0 {
		cfg.Choices["contacts"] = strconv.Itoa(*contacts)
	}
	if *slow {
		cfg.Choices["slow"] = "on"
	}
	h, err := goserver.New(cfg)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		return err
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
