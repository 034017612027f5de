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
# With PROFILE=DIR the mock runs as bench/mockprof (the same mock, with pprof on
# a second port) and DIR gets a CPU profile of the last round's repeated and cold
# runs (repeated.pprof, cold.pprof, and the binary, mockprof): read them with
# "go tool pprof -top DIR/mockprof DIR/repeated.pprof".
#
#   bench/load.sh                       # 3 rounds of 10 s each, 16 connections
#   ROUNDS=1 DURATION=5s bench/load.sh
#   PROFILE=/tmp/prof ROUNDS=1 bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
# Ports below Linux's ephemeral range (32768 up), which wrk's own connections,
# thousands in TIME_WAIT after a run, would otherwise take from a server.
MOCK=127.0.0.1:27110
BASE=127.0.0.1:27111
PPROF=127.0.0.1:27112
AUTH="Authorization: Bearer bench-token"
LIST="/contacts/bench-app?page=1&limit=10"

need_wrk
build_contactkit
go build -o "$BENCH_TMP/baseline" ./bench/baseline

if [ -n "${PROFILE:-}" ]; then
  mkdir -p "$PROFILE"
  go build -o "$PROFILE/mockprof" ./bench/mockprof
  start "$PROFILE/mockprof" --addr "$MOCK" --pprof "$PPROF"
else
  start "$BENCH_TMP/contactkit" mock --addr "$MOCK" --log-format none
fi
wait_ready "http://$MOCK/__admin/health"
curl -sf -H "$AUTH" "http://$MOCK$LIST" >"$BENCH_TMP/body.json"
start "$BENCH_TMP/baseline" --addr "$BASE" --body "$BENCH_TMP/body.json"
wait_ready "http://$BASE/"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3-4)"
echo "request: GET $LIST, body $(wc -c <"$BENCH_TMP/body.json") bytes; wrk -t1 -c${CONNS:-16} -d${DURATION:-10s}"
sum() { awk -v a="$1" -v b="$2" 'BEGIN {print a + b}'; }
# profile NAME: in the last round with PROFILE set, a CPU profile of the mock over
# the next wrk run, into $PROFILE/NAME.pprof (in the background; waited for later).
PROF_PID=
profile() {
  PROF_PID=
  if [ -n "${PROFILE:-}" ] && [ "$round" = "$ROUNDS" ]; then
    local secs=${DURATION:-10s}; secs=${secs%s}
    curl -s -o "$PROFILE/$1.pprof" "http://$PPROF/debug/pprof/profile?seconds=$((secs > 1 ? secs - 1 : 1))" &
    PROF_PID=$!
  fi
}
profiled() { if [ -n "$PROF_PID" ]; then wait "$PROF_PID" || echo "the profile was not taken (curl exit $?)" >&2; fi; }
rep_mock=0 rep_base=0 cold_mock=0 cold_base=0 rep_ratios=() cold_ratios=()
for round in $(seq "$ROUNDS"); do
  profile repeated
  m=$(rps "http://$MOCK$LIST" "$AUTH")
  profiled
  b=$(rps "http://$BASE$LIST")
  printf 'round %d repeated: mock %8.0f req/s   bare net/http %8.0f req/s   ratio %s\n' "$round" "$m" "$b" "$(ratio "$m" "$b")"
  rep_mock=$(sum "$rep_mock" "$m"); rep_base=$(sum "$rep_base" "$b"); rep_ratios+=("$(ratio "$m" "$b")")
  profile cold
  m=$(WRK_SCRIPT=bench/cold.lua rps "http://$MOCK$LIST" "$AUTH")
  profiled
  b=$(WRK_SCRIPT=bench/cold.lua rps "http://$BASE$LIST")
  printf 'round %d cold:     mock %8.0f req/s   bare net/http %8.0f req/s   ratio %s\n' "$round" "$m" "$b" "$(ratio "$m" "$b")"
  cold_mock=$(sum "$cold_mock" "$m"); cold_base=$(sum "$cold_base" "$b"); cold_ratios+=("$(ratio "$m" "$b")")
done
echo "ratio over all rounds: repeated $(ratio "$rep_mock" "$rep_base") (target >= 0.80), cold $(ratio "$cold_mock" "$cold_base") (target >= 0.60)"
echo "median of the rounds' ratios: repeated $(median "${rep_ratios[@]}"), cold $(median "${cold_ratios[@]}")"
[ -z "${PROFILE:-}" ] || echo "profiles: go tool pprof -top $PROFILE/mockprof $PROFILE/repeated.pprof (and cold.pprof)"
