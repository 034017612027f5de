#!/usr/bin/env bash
# Start-up, scale and suite-time figures for the mock, each measured here:
#  - time from launch to the default mock's first answer;
#  - a one-million-contact app: time until its first page is served, resident memory;
#  - list pages 1 to 1,000 against pages 19,001 to 20,000 of that app (limit 50),
#    wrk, as a ratio;
#  - the default conformance suite against the mock, wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ADDR=127.0.0.1:27113 # below the ephemeral port range, as load.sh's
TOKEN=bench-token
AUTH="Authorization: Bearer $TOKEN"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

need_wrk
build_contactkit
bin="$BENCH_TMP/contactkit"

# Start-up: launch to first answer of a contact list.
t0=$(now_ms)
start "$bin" mock --addr "$ADDR" --log-format none
until curl -sf -o /dev/null -H "$AUTH" "http://$ADDR/contacts/app1"; do :; done
echo "start-up: first list answered $(( $(now_ms) - t0 )) ms after launch (target <= 100 ms)"

# The default conformance suite against that mock.
kill "$LAST_PID"; wait "$LAST_PID" 2>/dev/null || true
start "$bin" mock --addr "$ADDR" --log-format none --auth "$TOKEN=app1"
wait_ready "http://$ADDR/__admin/health"
t0=$(now_ms)
"$bin" conform --target "http://$ADDR" --token "$TOKEN" --app app1 --foreign-app app2 >"$BENCH_TMP/conform.out" || {
  cat "$BENCH_TMP/conform.out"; echo "conformance suite failed against the mock" >&2; exit 1; }
echo "conformance: default suite against the mock in $(( $(now_ms) - t0 )) ms (target <= 3000 ms): $(tail -n 1 "$BENCH_TMP/conform.out")"
kill "$LAST_PID"; wait "$LAST_PID" 2>/dev/null || true

# One million contacts.
t0=$(now_ms)
start "$bin" mock --addr "$ADDR" --log-format none --contacts 1000000
pid=$LAST_PID
until curl -sf -o /dev/null -H "$AUTH" "http://$ADDR/contacts/big?limit=50"; do sleep 0.01; done
ready=$(( $(now_ms) - t0 ))
rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
echo "1M contacts: first page served $ready ms after launch (target <= 5000 ms); resident memory $rss MB (target <= 300 MB)"
total=$(curl -sf -H "$AUTH" "http://$ADDR/contacts/big?limit=50" | grep -o '"total":[0-9]*' | cut -d: -f2)
echo "1M contacts: meta.total = $total"

DURATION=${DURATION:-5s}
# A window of 1,000 pages each (bench/pages.lua), more than the answer memory holds,
# so the store reads every page.
p1=$(FIRST=1 WRK_SCRIPT=bench/pages.lua rps "http://$ADDR/" "$AUTH")
p20k=$(FIRST=19001 WRK_SCRIPT=bench/pages.lua rps "http://$ADDR/" "$AUTH")
printf 'list limit 50: pages 1-1,000 %.0f req/s, pages 19,001-20,000 %.0f req/s, ratio %s (flat paging: ~1.0)\n' "$p1" "$p20k" "$(ratio "$p20k" "$p1")"
echo "1M contacts: resident memory after those load runs $(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status") MB"
