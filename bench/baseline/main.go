// Command baseline serves one fixed body with bare net/http. bench/load.sh measures
// the mock's throughput against it, in the same run, as a ratio: the ceiling for any
// Go HTTP server on this machine. With --serve it serves through package serve, as
// the mock does (its timeouts and connection cap), so a third row tells the cost
// of serving safely apart from the cost of the mock's handler.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"

	"github.com/contactkit/contactkit/serve"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4019", "address to listen on")
	bodyFile := flag.String("body", "", "file whose bytes every answer carries (required)")
	safe := flag.Bool("serve", false, "serve through package serve (the mock's timeouts and connection cap)")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if err != nil || len(body) == 0 {
		fmt.Fprintln(os.Stderr, "baseline: --body must name a non-empty file")
		os.Exit(2)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	if !*safe {
		log.Fatal(http.ListenAndServe(*addr, handler))
	}
	if _, err := serve.Start(serve.Config{Addr: *addr, Handler: handler}); err != nil {
		log.Fatal(err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
}
