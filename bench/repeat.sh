#!/usr/bin/env bash
# Two of conform's promises, measured against the built mock:
#  - the same seed against the same starting state writes the same report: two
#    runs with one seed, each against a fresh mock, give JSON reports that differ
#    only in durations, the start time and the target's port;
#  - --deadline bounds the whole run, exploration included: against a mock that
#    answers 50 ms late, `--deadline 2s` ends within 4 s and writes its reports.
# Usage: [SEEDS="1 2 3"] bench/repeat.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

SEEDS=${SEEDS:-"1 2 3"}
build_contactkit
bin="$BENCH_TMP/contactkit"
# Below the ephemeral range (32768 up), where a client's leftover connection may sit.
port() { echo 127.0.0.1:$(( 20000 + RANDOM % 10000 )); }
# The report as compared: no durations, no start time, no target (a port).
normal() { jq -S 'del(.target, .started) | walk(if type == "object" then del(.duration_ns) else . end)' "$1"; }

same=0 runs=0
for seed in $SEEDS; do
  for n in 1 2; do
    addr=$(port)
    start "$bin" mock --addr "$addr" --log-format none --auth t1=app1 --auth t2=app2
    wait_ready "http://$addr/__admin/health"
    "$bin" conform --target "http://$addr" --token t1 --app app1 --foreign-app app2 --foreign-token t2 \
      --seed "$seed" --json "$BENCH_TMP/r$n.json" >/dev/null || true
    kill "$LAST_PID"; wait "$LAST_PID" 2>/dev/null || true
  done
  runs=$((runs + 1))
  if diff <(normal "$BENCH_TMP/r1.json") <(normal "$BENCH_TMP/r2.json") >"$BENCH_TMP/diff"; then
    same=$((same + 1))
  else
    echo "seed $seed: the reports differ:" >&2
    head -20 "$BENCH_TMP/diff" >&2
  fi
done
echo "same seed twice, fresh mock each time: $same of $runs seeds gave identical reports (durations, start and port aside)"

addr=$(port)
start "$bin" mock --addr "$addr" --log-format none --latency 50ms --auth t1=app1
wait_ready "http://$addr/__admin/health"
t0=$(date +%s%N)
code=0
"$bin" conform --target "http://$addr" --token t1 --app app1 --deadline 2s \
  --json "$BENCH_TMP/d.json" --junit "$BENCH_TMP/d.xml" >/dev/null 2>&1 || code=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill "$LAST_PID"
reports=no
[ -s "$BENCH_TMP/d.json" ] && [ -s "$BENCH_TMP/d.xml" ] && reports=yes
echo "--deadline 2s against mock --latency 50ms: done in $ms ms (target <= 4000), exit $code, reports written: $reports"
[ "$same" -eq "$runs" ] && [ "$ms" -le 4000 ] && [ "$reports" = yes ]
