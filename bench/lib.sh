# Shared by the bench scripts: build once, start servers on loopback, run wrk.
# Sourced, not run.

BENCH_TMP=$(mktemp -d)
BENCH_PIDS=()

bench_cleanup() {
  # Each server leads its own process group (see start), so npx's child node
  # process goes with it.
  # wait reports the killed server's status (143): under set -e that would end
  # the loop at the first server and leave the others running.
  for pid in "${BENCH_PIDS[@]:-}"; do
    # A server the script stopped itself is gone: under set -e a failed kill
    # would end the cleanup there and leave the servers after it running.
    if [ -n "$pid" ]; then kill -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT

need_wrk() {
  command -v wrk >/dev/null && return
  echo "installing wrk (Debian package)..." >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null
  fi
}

# build_contactkit builds the binary into $BENCH_TMP/contactkit, or takes $BIN, an
# already built one (an older revision's, to measure "before").
build_contactkit() {
  if [ -n "${BIN:-}" ]; then cp "$BIN" "$BENCH_TMP/contactkit"; return; fi
  go build -o "$BENCH_TMP/contactkit" ./cmd/contactkit
}

# wait_ready URL [TIMEOUT_S]: poll until URL answers with any HTTP status.
wait_ready() {
  local url=$1 deadline=$(( $(date +%s) + ${2:-30} ))
  until curl -s -o /dev/null "$url"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out waiting for $url" >&2; return 1; fi
    sleep 0.02
  done
}

# start CMD...: run a server in the background, in a process group of its own, and
# remember its pid (which is the group's id).
start() {
  setsid "$@" >"$BENCH_TMP/server.$$.$RANDOM.log" 2>&1 &
  BENCH_PIDS+=("$!")
  LAST_PID=$!
}

# rps URL [HEADER]: requests per second wrk measures (1 thread, $CONNS connections);
# with WRK_SCRIPT set, wrk runs that Lua script.
rps() {
  local url=$1; shift
  local args=(-t1 -c"${CONNS:-16}" -d"${DURATION:-10s}" --latency)
  [ -n "${WRK_SCRIPT:-}" ] && args+=(-s "$WRK_SCRIPT")
  [ $# -gt 0 ] && args+=(-H "$1")
  wrk "${args[@]}" "$url" >"$BENCH_TMP/wrk.out"
  if grep -q "Non-2xx" "$BENCH_TMP/wrk.out"; then
    echo "wrk saw non-2xx answers from $url:" >&2; cat "$BENCH_TMP/wrk.out" >&2; return 1
  fi
  awk '/^Requests\/sec:/ {print $2}' "$BENCH_TMP/wrk.out"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# median X...: the middle of the numbers (the mean of the two middle ones for an
# even count). On a shared machine a neighbour's burst drags one round's pair
# down; the median of paired ratios is what the rounds agree on.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# ticks PID: the CPU time the process has used, in clock ticks (user and system).
# Unlike throughput, a server's CPU per request hardly moves when a neighbour
# loads the machine.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
