// Command mockprof serves the mock as "contactkit mock" does by default (its GC
// setting included), with net/http/pprof on a second address, so bench/load.sh
// can profile the mock under the same load it measures (PROFILE=DIR).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/contactkit/contactkit/mock"
)

func main() {
	addr := flag.String("addr", mock.DefaultAddr, "where the mock listens")
	pprofAddr := flag.String("pprof", "127.0.0.1:6060", "where /debug/pprof/ listens")
	store := flag.String("store", mock.DefaultStore, `"memory" or a redis:// URL, as contactkit mock's --store`)
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400) // as contactkit mock does for small seeds
	}
	srv, err := mock.New(mock.Config{Addr: *addr, Store: *store, Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mockprof:", err)
		os.Exit(1)
	}
	go func() { _ = http.ListenAndServe(*pprofAddr, nil) }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	_ = srv.Shutdown(context.Background())
}
