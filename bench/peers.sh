#!/usr/bin/env bash
# False alarms on servers contactkit did not grow up with: `contactkit conform`
# against the two peer Contacts API servers of internal/peers (Node and Go, written
# from the API's documentation alone, each taking its own choices where the
# documentation is silent), for seeds 1..SEEDS, in two modes:
#   one-id  --token t1 --app app1 --foreign-app app2
#   two-id  the same plus --foreign-token t2
# Every run gets a fresh peer (so a failing seed repeats alone), on 127.0.0.1 with
# --grant t1=app1 --grant t2=app2. Exit codes are counted: 0 pass, 1 mismatch,
# anything else an error (124: the run's time limit). The JSON reports of the runs
# that did not pass are kept, and their findings summed up per peer.
#
# Usage: [SEEDS=100] [JOBS=4] [PEERS="node go"] [RUN_TIMEOUT=120] [PEER_ARGS=...] bench/peers.sh
# PEER_ARGS are more flags for every peer, e.g. PEER_ARGS="--choice paging=400 --slow".
# Needs go, node (else the Node peer is skipped), jq, timeout, setsid.
set -euo pipefail
cd "$(dirname "$0")/.."

SEEDS=${SEEDS:-100}
JOBS=${JOBS:-4}
PEERS=${PEERS:-node go}
RUN_TIMEOUT=${RUN_TIMEOUT:-120} # seconds a conform run may take, peer start included
OUT=$(mktemp -d "${TMPDIR:-/tmp}/contactkit-peers.XXXXXX")
mkdir -p "$OUT/bin" "$OUT/reports" "$OUT/runs"

cleanup() {
  # Our own background runs and the peers they started, by pid (a peer leads
  # its own process group).
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -f "$OUT/runs/peers" ]; then
    while read -r pid; do kill -- "-$pid" 2>/dev/null || true; done <"$OUT/runs/peers"
  fi
  rm -rf "$OUT/bin" "$OUT/runs"
  if [ -z "$(ls -A "$OUT/reports")" ]; then rm -rf "$OUT"; fi
}
trap cleanup EXIT

echo "building contactkit and the Go peer..." >&2
go build -o "$OUT/bin/contactkit" ./cmd/contactkit
go build -o "$OUT/bin/gopeer" ./internal/peers/goserver/cmd/gopeer
if [[ " $PEERS " == *" node "* ]] && ! command -v node >/dev/null; then
  echo "node not found: skipping the Node.js peer" >&2
  PEERS=${PEERS//node/}
fi

# run_one KIND MODE SEED: start a fresh peer, run conform once, stop the peer;
# appends "KIND MODE SEED EXIT" to $OUT/runs/results.
run_one() {
  set +e # a run always ends by writing its result line
  local kind=$1 mode=$2 seed=$3
  local name="$kind-$mode-seed$seed"
  local log="$OUT/runs/$name.peer" out="$OUT/runs/$name.out" json="$OUT/reports/$name.json"
  # shellcheck disable=SC2206 # PEER_ARGS is split into flags on purpose
  local peer=(--host 127.0.0.1 --port 0 --grant t1=app1 --grant t2=app2 ${PEER_ARGS:-})
  case $kind in
    node) peer=(node internal/peers/node/server.js "${peer[@]}") ;;
    go) peer=("$OUT/bin/gopeer" "${peer[@]}") ;;
  esac
  # Its own process group, so that stopping it stops all of it.
  setsid "${peer[@]}" >"$log" 2>&1 &
  local pid=$!
  echo "$pid" >>"$OUT/runs/peers"
  trap 'kill -- "-$pid" 2>/dev/null; exit 143' TERM
  local url="" i
  for i in $(seq 1 200); do
    url=$(sed -n '1s/^listening on //p' "$log" 2>/dev/null || true) # the log may not exist yet
    [ -n "$url" ] && break
    sleep 0.05
  done
  local rc
  if [ -z "$url" ]; then
    echo "peer $kind did not start: $(cat "$log")" >"$out"
    rc=98
  else
    local args=(conform --target "$url" --token t1 --app app1 --foreign-app app2 --seed "$seed" --json "$json")
    [ "$mode" = two-id ] && args+=(--foreign-token t2)
    rc=0
    timeout -k 5 "$RUN_TIMEOUT" "$OUT/bin/contactkit" "${args[@]}" --deadline "$((RUN_TIMEOUT - 10))s" >"$out" 2>&1 || rc=$?
  fi
  kill -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # The readings the run warned of, one per line, before a passing report goes.
  if [ -f "$json" ]; then
    jq -r '[.scenarios[].steps[]?.findings[]? | select(.source == "reading") | .reading] | unique | .[]' "$json" >"$OUT/runs/$name.readings" 2>/dev/null || true
  fi
  if [ "$rc" -eq 0 ]; then
    rm -f "$json"
  else
    cp "$out" "$OUT/reports/$name.txt"
  fi
  # Anything a peer says after where it listens is a bug of the peer's.
  if [ "$(wc -l <"$log")" -gt 1 ]; then cp "$log" "$OUT/reports/$name.peer.log"; fi
  echo "$kind $mode $seed $rc" >>"$OUT/runs/results"
}

: >"$OUT/runs/results"
start=$(date +%s)
for kind in $PEERS; do
  for mode in one-id two-id; do
    for seed in $(seq 1 "$SEEDS"); do
      while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
      run_one "$kind" "$mode" "$seed" &
    done
  done
done
wait
runs=$(wc -l <"$OUT/runs/results")
echo "$runs runs in $(($(date +%s) - start)) s (seeds 1..$SEEDS, $JOBS at once)"
want=$((SEEDS * 2 * $(wc -w <<<"$PEERS")))
[ "$runs" -eq "$want" ] || echo "MISSING: $((want - runs)) of $want runs left no result" >&2
echo

printf '%-6s %-7s %5s %5s %9s %6s  %s\n' peer mode runs pass mismatch error "passed with warnings (readings: runs)"
for kind in $PEERS; do
  for mode in one-id two-id; do
    warned=$(cat "$OUT/runs/$kind-$mode"-seed*.readings 2>/dev/null | sort | uniq -c | awk '{printf "%s%s: %s", sep, $2, $1; sep=", "}')
    awk -v k="$kind" -v m="$mode" -v w="${warned:-none}" '$1 == k && $2 == m {
        n++; if ($4 == 0) p++; else if ($4 == 1) f++; else e++ }
      END { printf "%-6s %-7s %5d %5d %9d %6d  %s\n", k, m, n, p, f, e, w }' "$OUT/runs/results"
  done
done
errors=$(awk '$4 != 0 && $4 != 1 { printf "%s %s seed %s: exit %s\n", $1, $2, $3, $4 }' "$OUT/runs/results")
[ -n "$errors" ] && printf '\nerrors:\n%s\n' "$errors"

# The findings, deduplicated per peer: scenario, step, check and message, with the
# number of runs that had them (an exploration's scenario name loses its seed).
shopt -s nullglob
for kind in $PEERS; do
  reports=("$OUT/reports/$kind"-*.json)
  [ ${#reports[@]} -eq 0 ] && continue
  printf '\nfindings on the %s peer (runs that had them):\n' "$kind"
  for r in "${reports[@]}"; do
    jq -r '.scenarios[] | select(.status == "failed") | .name as $s | .steps[]? | select(.findings) |
      .name as $step | .findings[] | "\($s | sub("^explore: seed [0-9]+.*"; "explore")) | \($step) | \(.check): \(.message)"' "$r" |
      sort -u
  done | sort | uniq -c | sort -rn | head -n "${FINDINGS_MAX:-60}"
done

if [ -n "$(ls -A "$OUT/reports")" ]; then
  printf '\nreports of the runs that did not pass (JSON, and the text output):\n'
  ls "$OUT/reports"/* | sed 's/^/  /'
fi
