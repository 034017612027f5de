#!/usr/bin/env bash
# Issue 20's Redis honesty bar: a create of 5,000 rows, with Redis paused
# (SIGSTOP) for 3 s while it is on its way, must answer the truth: 201 when the
# batch was stored (once), 503 only when nothing was. Each round counts the
# app's contacts before and after and says whether the answer agreed; the
# default --store-timeout (2 s) is shorter than the pause.
#
#   bench/redis-pause.sh                         # 20 rounds
#   ROUNDS=5 BIN=/path/to/contactkit bench/redis-pause.sh   # an older binary: "before"
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

command -v redis-server >/dev/null || { echo "bench/redis-pause.sh needs redis-server" >&2; exit 2; }
ROUNDS=${ROUNDS:-20}
ROWS=${ROWS:-5000}
PAUSE=${PAUSE:-3}
REDIS_PORT=${REDIS_PORT:-27133}
MOCK=127.0.0.1:27134
if [ -n "${BIN:-}" ]; then bin=$BIN; else build_contactkit; bin="$BENCH_TMP/contactkit"; fi

mkdir -p "$BENCH_TMP/redis"
start redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$BENCH_TMP/redis" \
  --appendonly yes --save "" --logfile "$BENCH_TMP/redis/redis.log"
REDIS_PID=$LAST_PID
for _ in $(seq 200); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
start "$bin" mock --addr "$MOCK" --log-format none --contacts 0 --store "redis://127.0.0.1:$REDIS_PORT/0" --store-prefix pause:
wait_ready "http://$MOCK/__admin/health"
AUTH="Authorization: Bearer t"
total() { curl -sf -H "$AUTH" "http://$MOCK/contacts/app?limit=1" | sed -E 's/.*"total":([0-9]+).*/\1/'; }

agree=0 disagree=0
declare -A answers=()
for round in $(seq "$ROUNDS"); do
  { printf '['; for i in $(seq "$ROWS"); do [ "$i" -gt 1 ] && printf ','; printf '{"name":"Paused %d","phone":%d}' "$i" $((6281300000000 + round * ROWS + i)); done; printf ']'; } >"$BENCH_TMP/batch.json"
  before=$(total)
  curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" -H 'Content-Type: application/json' \
    --data-binary @"$BENCH_TMP/batch.json" "http://$MOCK/contacts/app" >"$BENCH_TMP/status" &
  cpid=$!
  sleep "0.0$((RANDOM % 10))"            # somewhere on its way
  kill -STOP "$REDIS_PID"; sleep "$PAUSE"; kill -CONT "$REDIS_PID"
  wait "$cpid" || true
  sleep 0.5                               # what Redis had waiting has run
  status=$(cat "$BENCH_TMP/status") after=$(total)
  answers[$status]=$(( ${answers[$status]:-0} + 1 ))
  if { [ "$status" = 201 ] && [ "$after" -eq $((before + ROWS)) ]; } || { [ "$status" = 503 ] && [ "$after" -eq "$before" ]; }; then
    agree=$((agree + 1)); verdict=agrees
  else
    disagree=$((disagree + 1)); verdict=DISAGREES
  fi
  printf 'round %2d: answered %s, contacts %d -> %d: %s\n' "$round" "$status" "$before" "$after" "$verdict"
done
printf 'answers:'; for k in "${!answers[@]}"; do printf ' %s x%d' "$k" "${answers[$k]}"; done; echo
echo "the answer and the stored state agree in $agree of $ROUNDS rounds ($disagree disagree)"
