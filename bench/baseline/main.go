// Command baseline serves one fixed body with bare net/http. bench/load.sh measures
// the mock's throughput against it, in the same run, as a ratio: the ceiling for any
// Go HTTP server on this machine.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4019", "address to listen on")
	bodyFile := flag.String("body", "", "file whose bytes every answer carries (required)")
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
	log.Fatal(http.ListenAndServe(*addr, handler))
}
