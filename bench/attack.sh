#!/usr/bin/env bash
# Replays the memory attacks of issues 14 and 20 against a freshly built mock (or a
# proxy in front of one) on loopback, one fresh server per attack, and prints each
# attack's answers and the server's peak resident memory (VmHWM). Every attack is
# bounded in count and time.
#
#   bench/attack.sh                  # every attack
#   bench/attack.sh method delay     # some of them
#   BIN=/path/to/contactkit bench/attack.sh   # an already built binary (an older one, say)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ADDR=127.0.0.1:47120
build_contactkit # or $BIN
bin="$BENCH_TMP/contactkit"
go build -o "$BENCH_TMP/attack" ./bench/attack

# run NAME MOCK_FLAGS... -- ATTACK_FLAGS...
run() {
  local name=$1; shift
  local mock_args=() attack_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do mock_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  attack_args=("$@")
  start "$bin" mock --addr "$ADDR" --log-format none "${mock_args[@]}"
  local pid=$LAST_PID
  wait_ready "http://$ADDR/__admin/health"
  local out
  out=$("$BENCH_TMP/attack" --addr "$ADDR" --attack "$name" "${attack_args[@]}" 2>&1 | tr '\n' ' ')
  local hwm
  hwm=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status" 2>/dev/null || echo "?")
  local alive="alive"
  kill -0 "$pid" 2>/dev/null || alive="DEAD"
  printf '%-7s %-34s peak RSS %6s MB  (mock %s)  %s\n' "$name" "${mock_args[*]:-} ${attack_args[*]:-}" "$hwm" "$alive" "$out"
  kill -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# run_proxy NAME MOCK_FLAGS... -- PROXY_FLAGS... -- ATTACK_FLAGS...: the attack
# against a proxy in front of a fresh mock (or, for hostile, of the attack's own
# hostile target); the peak RSS is the proxy's.
run_proxy() {
  local name=$1; shift
  local mock_args=() proxy_args=() attack_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do mock_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do proxy_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  attack_args=("$@")
  local target="http://$ADDR" mpid=""
  if [ "$name" = hostile ]; then
    target="http://$UPSTREAM"
    attack_args+=(--upstream "$UPSTREAM")
  else
    start "$bin" mock --addr "$ADDR" --log-format none "${mock_args[@]}"
    mpid=$LAST_PID
    wait_ready "http://$ADDR/__admin/health"
  fi
  start "$bin" proxy --addr "$PROXY" --target "$target" --log-format none "${proxy_args[@]}"
  local pid=$LAST_PID
  wait_ready "http://$PROXY/__admin/health"
  local out
  out=$("$BENCH_TMP/attack" --addr "$PROXY" --attack "$name" "${attack_args[@]}" 2>&1 | tr '\n' ' ')
  local hwm alive="alive"
  hwm=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status" 2>/dev/null || echo "?")
  kill -0 "$pid" 2>/dev/null || alive="DEAD"
  printf '%-7s %-34s peak RSS %6s MB  (proxy %s)  %s\n' "$name" "${proxy_args[*]:-} ${attack_args[*]:-}" "$hwm" "$alive" "$out"
  for p in $pid $mpid; do kill -- "-$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}
PROXY=127.0.0.1:47121
UPSTREAM=127.0.0.1:47122

# run_cmd NAME CMD...: a command that ends by itself (a mock refusing a data
# file, conform against a hostile target), its peak RSS from GNU time.
run_cmd() {
  local name=$1; shift
  local rss status=0
  /usr/bin/time -f 'maxrss %M' "$@" >/dev/null 2>"$BENCH_TMP/cmd.err" || status=$?
  rss=$(grep -o 'maxrss [0-9]*' "$BENCH_TMP/cmd.err" | awk '{printf "%.0f", $2/1024}')
  printf '%-16s peak RSS %6s MB  (exit %d)  %s\n' "$name" "${rss:-?}" "$status" \
    "$(grep -v -e '^maxrss' -e '^Command exited' "$BENCH_TMP/cmd.err" | tail -n 1 | cut -c1-160)"
}

# ints N: N integers as a JSON list, two bytes each.
ints() { awk -v n="$1" 'BEGIN { for (i = 1; i < n; i++) printf "1,"; printf "1" }'; }

# Each attack as issue 14 found it (1 MB parts: net/http now refuses them, 431),
# then with parts just under the header cap, which reach the mock's own bounds.
attacks=("$@")
[ ${#attacks[@]} -eq 0 ] && attacks=(method query appid delay method-60k query-60k appid-60k delay-60k delay-token-60k apps body body-256m idle journal admin-yaml batches proxy-batches proxy-lists proxy-hostile conform-hostile conform-hostile-explore data-json data-yaml data-yaml-block)
echo "mock: $("$bin" version 2>/dev/null | head -n 1)"
for a in "${attacks[@]}"; do
  case $a in
    method|query|appid) run "$a" -- --n 1000 ;;
    method-60k|query-60k|appid-60k) run "${a%-60k}" -- --n 1000 --size 60000 ;;
    delay)  run delay -- --n 500 --timeout 45s ;;
    delay-60k) run delay -- --n 500 --size 60000 --timeout 45s ;;
    delay-token-60k) run delay-token -- --n 500 --size 60000 --timeout 45s ;;
    apps)   run apps --contacts 1000000 -- --n 15 --timeout 120s ;;
    body)   run body -- --n 500 --size 1000000 ;;
    body-256m) run body --max-memory 256MiB -- --n 500 --size 1000000 ;;
    idle)   run idle -- --n 4086 ;;
    journal) run journal -- --n 600 --size 65536 --workers 8 --timeout 120s ;;
    admin-yaml) run admin-yaml -- --n 8 --size 1000000 --workers 8 --timeout 60s ;;
    batches) run batches -- --n 128 --size 1000000 --workers 16 --timeout 300s ;;
    proxy-batches) run_proxy batches -- -- --n 128 --size 1000000 --workers 16 --timeout 300s ;;
    proxy-lists) run_proxy lists --contacts 10000 -- -- --n 200 --pages 200 --workers 8 --timeout 600s ;;
    proxy-hostile) run_proxy hostile -- -- --n 640 --size 1000000 --workers 64 --timeout 300s ;;
    conform-hostile|conform-hostile-explore)
      "$BENCH_TMP/attack" --attack hostile --upstream "$UPSTREAM" --size 1000000 --serve 120s >/dev/null 2>&1 &
      hpid=$!
      wait_ready "http://$UPSTREAM/"
      explore=(--explore 0); [ "$a" = conform-hostile-explore ] && explore=() # the default exploration
      run_cmd "$a" "$bin" conform --target "http://$UPSTREAM" --token t --app a "${explore[@]}" --deadline 100s
      kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null || true ;;
    data-json|data-yaml|data-yaml-block)
      f="$BENCH_TMP/ints.${a#data-}"
      case $a in
        data-json) { printf '{"apps":{"a":['; ints 2000000; printf ']}}'; } >"$f" ;;
        data-yaml) { printf 'apps:\n  a: ['; ints 2000000; printf ']\n'; } >"$f" ;;
        data-yaml-block) { printf 'apps:\n  a:\n'; awk 'BEGIN { for (i = 0; i < 666666; i++) print "  - 1" }'; } >"$f" ;;
      esac
      run_cmd "$a" "$bin" mock --addr "$ADDR" --log-format none --data "$f" ;;
    *) echo "unknown attack $a" >&2; exit 2 ;;
  esac
done
