#!/usr/bin/env bash
# The mock's list throughput at several revisions, side by side in one run, each
# as a ratio to a bare net/http handler writing a body of the same size: what a
# change won, measured under the same load (the machines are shared and noisy,
# so only ratios within one run mean anything). Requests as bench/load.sh sends
# them: "repeated" the same URL, "cold" a new query string each time.
#
# It also prints the CPU time each server spent per request (user and system,
# from /proc): unlike throughput, it hardly moves when a neighbour loads the
# machine, so it shows what a change won even on a busy one. "bare+serve" is the
# bare handler served through package serve as the mock is (timeouts, connection
# cap): the part of the gap that is serving safely, not the mock's handler.
#
#   bench/compare.sh 71ff035 HEAD                 # 3 rounds of 5 s, 16 connections
#   ROUNDS=5 DURATION=10s bench/compare.sh main HEAD~2 HEAD
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

[ $# -ge 1 ] || { echo "usage: bench/compare.sh REV [REV...]" >&2; exit 2; }
ROUNDS=${ROUNDS:-3}
export DURATION=${DURATION:-5s}
AUTH="Authorization: Bearer bench-token"
LIST="/contacts/bench-app?page=1&limit=10"
BASE=127.0.0.1:27130 # below the ephemeral port range, as load.sh's
SAFE=127.0.0.1:27129

need_wrk
go build -o "$BENCH_TMP/baseline" ./bench/baseline
revs=("$@")
declare -A pids
for i in "${!revs[@]}"; do
  src="$BENCH_TMP/src$i"
  mkdir -p "$src"
  git archive "${revs[$i]}" | tar -x -C "$src"
  (cd "$src" && go build -o "$BENCH_TMP/mock$i" ./cmd/contactkit)
  start "$BENCH_TMP/mock$i" mock --addr "127.0.0.1:$((27131 + i))" --log-format none
  pids[$i]=$LAST_PID
  wait_ready "http://127.0.0.1:$((27131 + i))/__admin/health"
done
curl -sf -H "$AUTH" "http://127.0.0.1:27131$LIST" >"$BENCH_TMP/body.json"
start "$BENCH_TMP/baseline" --addr "$BASE" --body "$BENCH_TMP/body.json"
pids[base]=$LAST_PID
wait_ready "http://$BASE/"
# The same handler served as the mock is (package serve: timeouts, connection
# cap): what serving safely costs, apart from the mock's handler.
start "$BENCH_TMP/baseline" --addr "$SAFE" --body "$BENCH_TMP/body.json" --serve
pids[safe]=$LAST_PID
wait_ready "http://$SAFE/"

# measure NAME PID URL [HEADER]: wrk's rate into $rate; the server's CPU ticks and
# the requests served are added to cpu[NAME] and reqs[NAME].
declare -A total cpu reqs
measure() {
  local name=$1 pid=$2 before
  shift 2
  before=$(ticks "$pid")
  rate=$(rps "$@")
  cpu[$name]=$(( ${cpu[$name]:-0} + $(ticks "$pid") - before ))
  reqs[$name]=$(( ${reqs[$name]:-0} + $(awk '/requests in/ {print $1}' "$BENCH_TMP/wrk.out") ))
}
hz=$(getconf CLK_TCK)
per_req() { awk -v t="${cpu[$1]}" -v n="${reqs[$1]}" -v hz="$hz" 'BEGIN { printf "%.1f", t / hz / n * 1e6 }'; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3-4)"
echo "request: GET $LIST, body $(wc -c <"$BENCH_TMP/body.json") bytes; wrk -t1 -c${CONNS:-16} -d$DURATION; $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
  for kind in repeated cold; do
    script=
    [ "$kind" = cold ] && script=bench/cold.lua
    WRK_SCRIPT=$script measure "base-$kind" "${pids[base]}" "http://$BASE$LIST"
    b=$rate
    total[base-$kind]=$(awk -v a="${total[base-$kind]:-0}" -v b="$b" 'BEGIN {print a + b}')
    WRK_SCRIPT=$script measure "safe-$kind" "${pids[safe]}" "http://$SAFE$LIST"
    line=$(printf 'round %d %-8s bare %6.0f   bare+serve %6.0f (%s)' "$round" "$kind" "$b" "$rate" "$(ratio "$rate" "$b")")
    for i in "${!revs[@]}"; do
      WRK_SCRIPT=$script measure "$i-$kind" "${pids[$i]}" "http://127.0.0.1:$((27131 + i))$LIST" "$AUTH"
      total[$i-$kind]=$(awk -v a="${total[$i-$kind]:-0}" -v b="$rate" 'BEGIN {print a + b}')
      line+=$(printf '   %s %6.0f (%s)' "${revs[$i]}" "$rate" "$(ratio "$rate" "$b")")
    done
    echo "$line"
  done
done
echo "bare net/http: $(per_req base-repeated) us of CPU a request repeated, $(per_req base-cold) cold; served through package serve: $(per_req safe-repeated), $(per_req safe-cold)"
for i in "${!revs[@]}"; do
  echo "${revs[$i]}: throughput repeated $(ratio "${total[$i-repeated]}" "${total[base-repeated]}"), cold $(ratio "${total[$i-cold]}" "${total[base-cold]}") of bare net/http; CPU $(per_req "$i-repeated") us a request repeated, $(per_req "$i-cold") cold"
done
