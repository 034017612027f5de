#!/usr/bin/env bash
# Overhead of `contactkit proxy`: throughput and median latency of the mock's list
# endpoint (page 1, limit 10, valid token) through the proxy, against the mock
# alone, measured with wrk over loopback in the same run. The proxy checks every
# exchange as it does for users (request and answer, journal with bodies); its
# log is off, as a load run's would be.
#
# A third row is a bare httputil.ReverseProxy (no checks, no journal) to the same
# mock: the cost of the extra HTTP hop alone, the floor any proxy built on the
# standard library starts from. On two cores that hop, not the checks, sets the
# ceiling, so the target is the contactkit proxy at >= 0.9 of the bare one, in
# throughput and in the CPU the proxy process spends a request.
#
#   bench/proxy.sh                        # 3 rounds of 10 s each, 16 connections
#   ROUNDS=1 DURATION=5s bench/proxy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
# Ports below Linux's ephemeral range (32768 up), as load.sh's.
MOCK=${MOCK_ADDR:-127.0.0.1:27150}
PROXY=${PROXY_ADDR:-127.0.0.1:27151}
BARE=${BARE_ADDR:-127.0.0.1:27156}
AUTH="Authorization: Bearer bench-token"
LIST="/contacts/bench-app?page=1&limit=10"

need_wrk
build_contactkit

start "$BENCH_TMP/contactkit" mock --addr "$MOCK" --log-format none
wait_ready "http://$MOCK/__admin/health"
start "$BENCH_TMP/contactkit" proxy --target "http://$MOCK" --addr "$PROXY" --log-format none
PROXY_PID=$LAST_PID
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
BARE_PID=$LAST_PID
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
# served: how many requests wrk's last run completed.
served() { awk '/requests in/ {print $1}' "$BENCH_TMP/wrk.out"; }
tot_mock=0 tot_proxy=0 tot_bare=0 lat_mock=0 lat_proxy=0
cpu_proxy=0 cpu_bare=0 reqs_proxy=0 reqs_bare=0
for round in $(seq "$ROUNDS"); do
  m=$(rps "http://$MOCK$LIST" "$AUTH"); ml=$(median)
  before=$(ticks "$PROXY_PID")
  p=$(rps "http://$PROXY$LIST" "$AUTH"); pl=$(median)
  cpu_proxy=$(( cpu_proxy + $(ticks "$PROXY_PID") - before )); reqs_proxy=$(( reqs_proxy + $(served) ))
  before=$(ticks "$BARE_PID")
  b=$(rps "http://$BARE$LIST" "$AUTH"); bl=$(median)
  cpu_bare=$(( cpu_bare + $(ticks "$BARE_PID") - before )); reqs_bare=$(( reqs_bare + $(served) ))
  printf 'round %d: mock %7.0f req/s (median %s ms)  contactkit proxy %7.0f req/s (median %s ms, ratio %s)  bare ReverseProxy %7.0f req/s (median %s ms, ratio %s)\n' \
    "$round" "$m" "$ml" "$p" "$pl" "$(ratio "$p" "$m")" "$b" "$bl" "$(ratio "$b" "$m")"
  tot_mock=$(sum "$tot_mock" "$m"); tot_proxy=$(sum "$tot_proxy" "$p"); tot_bare=$(sum "$tot_bare" "$b")
  lat_mock=$(sum "$lat_mock" "$ml"); lat_proxy=$(sum "$lat_proxy" "$pl")
done
added=$(awk -v a="$lat_proxy" -v b="$lat_mock" -v n="$ROUNDS" 'BEGIN { printf "%.3f", (a - b) / n }')
entries=$(curl -sf "http://$PROXY/__admin/health" | sed -n 's/.*"entries":\([0-9]*\).*/\1/p')
echo "ratio over all rounds: contactkit proxy $(ratio "$tot_proxy" "$tot_mock") of the mock alone, bare ReverseProxy $(ratio "$tot_bare" "$tot_mock"); contactkit proxy / bare $(ratio "$tot_proxy" "$tot_bare") (target >= 0.90)"
hz=$(getconf CLK_TCK)
per_req() { awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN { printf "%.1f", t / hz / n * 1e6 }'; }
echo "CPU a request, the proxy process alone: contactkit proxy $(per_req "$cpu_proxy" "$reqs_proxy") us, bare ReverseProxy $(per_req "$cpu_bare" "$reqs_bare") us"
echo "added median latency through the contactkit proxy: ${added} ms (at ${CONNS:-16} connections)"
echo "journal after the run: ${entries:-?} entries kept (bounded)"
