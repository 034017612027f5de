#!/usr/bin/env bash
# Exploration against the mock, measured here:
#  - false alarms: `conform` (the scripted suite, then the exploration with its
#    default budget) over SEEDS seeds, in open mode and with --auth and two tokens;
#    every run must pass;
#  - the time the exploration adds to a run: the median of RUNS runs with the
#    default budget minus the median of RUNS runs with --explore 0, same mock;
#  - the exploration's own rate, from `go test -bench ExploreMock`.
# Usage: bench/explore.sh [SEEDS]   (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

SEEDS=${1:-50}
RUNS=${RUNS:-7}
OPEN=127.0.0.1:$(( 20000 + RANDOM % 5000 )) # below the ephemeral range (32768 up)
AUTHD=127.0.0.1:$(( 25000 + RANDOM % 5000 ))
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

build_contactkit
bin="$BENCH_TMP/contactkit"
start "$bin" mock --addr "$OPEN" --log-format none
start "$bin" mock --addr "$AUTHD" --log-format none --auth bench-one=app1 --auth bench-two=app2
wait_ready "http://$OPEN/__admin/health"
wait_ready "http://$AUTHD/__admin/health"

open_args=(conform --target "http://$OPEN" --token bench-any --app app1)
auth_args=(conform --target "http://$AUTHD" --token bench-one --app app1 --foreign-app app2 --foreign-token bench-two)

# False alarms.
fails=0
for mode in open auth; do
  for seed in $(seq 1 "$SEEDS"); do
    if [ "$mode" = open ]; then args=("${open_args[@]}"); else args=("${auth_args[@]}"); fi
    if ! "$bin" "${args[@]}" --seed "$seed" >"$BENCH_TMP/run.out" 2>&1; then
      fails=$((fails + 1))
      echo "FALSE ALARM: $mode, seed $seed:" >&2
      cat "$BENCH_TMP/run.out" >&2
    fi
  done
done
echo "false alarms: $fails in $((2 * SEEDS)) runs (open and two tokens, seeds 1..$SEEDS, default budget)"

# Time added, as medians of RUNS runs each.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_runs() {
  for i in $(seq 1 "$RUNS"); do
    t0=$(now_ms); "$bin" "$@" >/dev/null 2>&1 || true; echo $(( $(now_ms) - t0 ))
  done | median
}
without=$(time_runs "${auth_args[@]}" --explore 0)
with=$(time_runs "${auth_args[@]}" --seed 7)
echo "time: suite alone ${without} ms, suite + exploration ${with} ms: exploration adds $((with - without)) ms (median of $RUNS, target <= 2000 ms)"

# The exploration's own rate: the benchmark runs it against the mock in one
# process (the report counts no requests: their number depends on what the
# sequences beside each other did first, and the same seed writes the same
# report).
go test ./cmd/contactkit -run '^$' -bench ExploreMock -benchtime 5x | awk '/req\/s/ {print "rate: " $(NF-1) " requests/s (target >= 2000)"}'
[ "$fails" -eq 0 ]
