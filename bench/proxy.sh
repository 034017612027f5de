#!/usr/bin/env bash
# Overhead of `contactkit proxy`: throughput and median latency of the mock's list
# endpoint (page 1, limit 10, valid token) through the proxy, against the mock
# alone, measured with wrk over loopback in the same run. The proxy checks every
# exchange as it does for users (request and answer, journal with bodies); its
# log is off, as a load run's would be. Target: through the proxy >= 0.5x the
# mock alone.
#
# A third row is a bare httputil.ReverseProxy (no checks, no journal) to the same
# mock: the cost of the extra HTTP hop alone, the floor any proxy built on the
# standard library starts from.
#
#   bench/proxy.sh                        # 3 rounds of 10 s each, 16 connections
#   ROUNDS=1 DURATION=5s bench/proxy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
MOCK=${MOCK_ADDR:-127.0.0.1:46130}
PROXY=${PROXY_ADDR:-127.0.0.1:46131}
BARE=${BARE_ADDR:-127.0.0.1:46136}
AUTH="Authorization: Bearer bench-token"
LIST="/contacts/bench-app?page=1&limit=10"

need_wrk
build_contactkit

start "$BENCH_TMP/contactkit" mock --addr "$MOCK" --log-format none
wait_ready "http://$MOCK/__admin/health"
start "$BENCH_TMP/contactkit" proxy --target "http://$MOCK" --addr "$PROXY" --log-format none
wait_ready "http://$PROXY/__admin/health"

# The bare reverse proxy: the standard library only, built as a module of its own.
mkdir -p "$BENCH_TMP/bare"
cat >"$BENCH_TMP/bare/main.go" <<'GO'
package main

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

func main() {
	u, err := url.Parse(os.Args[1])
	if err != nil {
		panic(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
		Transport: &http.Transport{MaxIdleConnsPerHost: 512, DisableCompression: true},
	}
	panic(http.ListenAndServe(os.Args[2], rp))
}
GO
printf 'module bare\n\ngo 1.26\n' >"$BENCH_TMP/bare/go.mod"
(cd "$BENCH_TMP/bare" && go build -o "$BENCH_TMP/bareproxy" .)
start "$BENCH_TMP/bareproxy" "http://$MOCK" "$BARE"
wait_ready "http://$BARE/__admin/health"
curl -sf -H "$AUTH" "http://$PROXY$LIST" >"$BENCH_TMP/body.json"

# median MS: wrk's 50th percentile of the last run, in milliseconds.
median() {
  awk '$1 == "50%" {
    v = $2; unit = v; gsub(/[0-9.]/, "", unit); sub(/[a-z]+$/, "", v)
    if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000
    printf "%.3f", v }' "$BENCH_TMP/wrk.out"
}
sum() { awk -v a="$1" -v b="$2" 'BEGIN {print a + b}'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3-4)"
echo "request: GET $LIST, body $(wc -c <"$BENCH_TMP/body.json") bytes; wrk -t1 -c${CONNS:-16} -d${DURATION:-10s}"
tot_mock=0 tot_proxy=0 tot_bare=0 lat_mock=0 lat_proxy=0
for round in $(seq "$ROUNDS"); do
  m=$(rps "http://$MOCK$LIST" "$AUTH"); ml=$(median)
  p=$(rps "http://$PROXY$LIST" "$AUTH"); pl=$(median)
  b=$(rps "http://$BARE$LIST" "$AUTH"); bl=$(median)
  printf 'round %d: mock %7.0f req/s (median %s ms)  contactkit proxy %7.0f req/s (median %s ms, ratio %s)  bare ReverseProxy %7.0f req/s (median %s ms, ratio %s)\n' \
    "$round" "$m" "$ml" "$p" "$pl" "$(ratio "$p" "$m")" "$b" "$bl" "$(ratio "$b" "$m")"
  tot_mock=$(sum "$tot_mock" "$m"); tot_proxy=$(sum "$tot_proxy" "$p"); tot_bare=$(sum "$tot_bare" "$b")
  lat_mock=$(sum "$lat_mock" "$ml"); lat_proxy=$(sum "$lat_proxy" "$pl")
done
added=$(awk -v a="$lat_proxy" -v b="$lat_mock" -v n="$ROUNDS" 'BEGIN { printf "%.3f", (a - b) / n }')
entries=$(curl -sf "http://$PROXY/__admin/health" | sed -n 's/.*"entries":\([0-9]*\).*/\1/p')
echo "ratio over all rounds: contactkit proxy $(ratio "$tot_proxy" "$tot_mock") (target >= 0.50), bare ReverseProxy $(ratio "$tot_bare" "$tot_mock"), contactkit proxy / bare $(ratio "$tot_proxy" "$tot_bare")"
echo "added median latency through the contactkit proxy: ${added} ms (at ${CONNS:-16} connections)"
echo "journal after the run: ${entries:-?} entries kept (bounded)"
