#!/usr/bin/env bash
# Throughput of the mock's list endpoint (page 1, limit 10, valid token, request
# validation on) against a bare net/http handler writing a body of the same size,
# measured with wrk over loopback in the same run and printed as a ratio.
#
# Two rows per round: "repeated" sends the same URL every time, as the target is
# stated; the mock then reuses kin-openapi's verdict on that URL (bearer check still
# per request). "cold" sends a new query string every time (bench/cold.lua), so
# every request is validated by kin-openapi in full.
#
#   bench/load.sh                       # 3 rounds of 10 s each, 16 connections
#   ROUNDS=1 DURATION=5s bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
MOCK=127.0.0.1:47110
BASE=127.0.0.1:47111
AUTH="Authorization: Bearer bench-token"
LIST="/contacts/bench-app?page=1&limit=10"

need_wrk
build_contactkit
go build -o "$BENCH_TMP/baseline" ./bench/baseline

start "$BENCH_TMP/contactkit" mock --addr "$MOCK" --log-format none
wait_ready "http://$MOCK/__admin/health"
curl -sf -H "$AUTH" "http://$MOCK$LIST" >"$BENCH_TMP/body.json"
start "$BENCH_TMP/baseline" --addr "$BASE" --body "$BENCH_TMP/body.json"
wait_ready "http://$BASE/"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3-4)"
echo "request: GET $LIST, body $(wc -c <"$BENCH_TMP/body.json") bytes; wrk -t1 -c${CONNS:-16} -d${DURATION:-10s}"
sum() { awk -v a="$1" -v b="$2" 'BEGIN {print a + b}'; }
rep_mock=0 rep_base=0 cold_mock=0 cold_base=0
for round in $(seq "$ROUNDS"); do
  m=$(rps "http://$MOCK$LIST" "$AUTH")
  b=$(rps "http://$BASE$LIST")
  printf 'round %d repeated: mock %8.0f req/s   bare net/http %8.0f req/s   ratio %s\n' "$round" "$m" "$b" "$(ratio "$m" "$b")"
  rep_mock=$(sum "$rep_mock" "$m"); rep_base=$(sum "$rep_base" "$b")
  m=$(WRK_SCRIPT=bench/cold.lua rps "http://$MOCK$LIST" "$AUTH")
  b=$(WRK_SCRIPT=bench/cold.lua rps "http://$BASE$LIST")
  printf 'round %d cold:     mock %8.0f req/s   bare net/http %8.0f req/s   ratio %s\n' "$round" "$m" "$b" "$(ratio "$m" "$b")"
  cold_mock=$(sum "$cold_mock" "$m"); cold_base=$(sum "$cold_base" "$b")
done
echo "ratio over all rounds: repeated $(ratio "$rep_mock" "$rep_base") (target >= 0.60), cold $(ratio "$cold_mock" "$cold_base")"
