#!/usr/bin/env bash
# The mock on a Redis store (--store redis://), measured in one run:
#
# 1. List throughput (page 1, limit 10, the same URL every time) of the mock on
#    Redis, of the mock in memory and of a bare net/http handler writing a body of
#    the same size, with wrk over loopback; printed as ratios to bare net/http
#    (target for Redis: >= 0.3).
# 2. A million contacts in one app on Redis: how long the first request takes
#    (it seeds the app), Redis's memory before and after (INFO memory), and
#    pages 19,001 to 20,000 (the last, limit 50) against pages 1 to 1,000, as wrk
#    throughput (bench/pages.lua).
# 3. The store's layout (one packed string per contact in one hash per app)
#    against a hash per contact, in bytes per contact, both measured in Redis.
#
#   bench/redis.sh                      # 3 rounds, 10 s per wrk run, 16 connections
#   ROUNDS=1 DURATION=5s bench/redis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

command -v redis-server >/dev/null || { echo "bench/redis.sh needs redis-server (Debian: apt-get install redis-server)" >&2; exit 2; }
need_wrk
build_contactkit
go build -o "$BENCH_TMP/baseline" ./bench/baseline

ROUNDS=${ROUNDS:-3}
# Ports below Linux's ephemeral range, which wrk's connections would take.
REDIS_PORT=${REDIS_PORT:-27123}
MOCK_REDIS=127.0.0.1:27124
MOCK_MEM=127.0.0.1:27125
BASE=127.0.0.1:27126
MOCK_BIG=127.0.0.1:27127
AUTH="Authorization: Bearer bench-token"
LIST="/contacts/bench-app?page=1&limit=10"
MILLION=1000000

mkdir -p "$BENCH_TMP/redis"
start redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$BENCH_TMP/redis" \
  --appendonly yes --save "" --logfile "$BENCH_TMP/redis/redis.log"
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
for _ in $(seq 200); do rcli ping >/dev/null 2>&1 && break; sleep 0.05; done
used() { rcli info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3-4), $(redis-server --version | cut -d' ' -f1-3)"

# 1. Throughput.
start "$BENCH_TMP/contactkit" mock --addr "$MOCK_REDIS" --log-format none --store "redis://127.0.0.1:$REDIS_PORT/0" --store-prefix bench:
start "$BENCH_TMP/contactkit" mock --addr "$MOCK_MEM" --log-format none
wait_ready "http://$MOCK_REDIS/__admin/health"
wait_ready "http://$MOCK_MEM/__admin/health"
curl -sf -H "$AUTH" "http://$MOCK_REDIS$LIST" >"$BENCH_TMP/body.json"
curl -sf -H "$AUTH" "http://$MOCK_MEM$LIST" | cmp -s - "$BENCH_TMP/body.json" \
  || { echo "the two stores answer the same list differently" >&2; exit 1; }
start "$BENCH_TMP/baseline" --addr "$BASE" --body "$BENCH_TMP/body.json"
wait_ready "http://$BASE/"
echo "request: GET $LIST, body $(wc -c <"$BENCH_TMP/body.json") bytes; wrk -t1 -c${CONNS:-16} -d${DURATION:-10s}"
# Rounds interleave the three, so a neighbour's load on a shared machine falls on
# all of them alike.
sum() { awk -v a="$1" -v b="$2" 'BEGIN {print a + b}'; }
tr=0 tm=0 tb=0
for round in $(seq "$ROUNDS"); do
  r=$(rps "http://$MOCK_REDIS$LIST" "$AUTH")
  m=$(rps "http://$MOCK_MEM$LIST" "$AUTH")
  b=$(rps "http://$BASE$LIST")
  printf 'round %d list: mock on redis %8.0f req/s   mock in memory %8.0f req/s   bare net/http %8.0f req/s\n' "$round" "$r" "$m" "$b"
  tr=$(sum "$tr" "$r"); tm=$(sum "$tm" "$m"); tb=$(sum "$tb" "$b")
done
echo "ratio to bare net/http over all rounds: redis $(ratio "$tr" "$tb") (target >= 0.30), memory $(ratio "$tm" "$tb")"

# 2. A million contacts.
before=$(used)
start "$BENCH_TMP/contactkit" mock --addr "$MOCK_BIG" --log-format none --contacts "$MILLION" \
  --store "redis://127.0.0.1:$REDIS_PORT/1" --store-prefix big: --store-timeout 10s
wait_ready "http://$MOCK_BIG/__admin/health"
seed=$(curl -sf -o /dev/null -w '%{time_total}' -H "$AUTH" "http://$MOCK_BIG/contacts/big?page=1&limit=50")
# The seed came as two RESTOREs of tens of MB; Redis lets their query buffers go
# within a few seconds, and they are not the data's.
sleep 4
after=$(used)
total=$(curl -sf -H "$AUTH" "http://$MOCK_BIG/contacts/big?limit=1" | sed -E 's/.*"total":([0-9]+).*/\1/')
[ "$total" = "$MILLION" ] || { echo "the big app holds $total contacts, want $MILLION" >&2; exit 1; }
echo "a million contacts on redis: seeded by the first request in ${seed} s (target <= 2 s); redis used_memory +$(awk -v a="$after" -v b="$before" -v n="$MILLION" 'BEGIN {printf "%.0f MB (%.0f bytes per contact)", (a-b)/1e6, (a-b)/n}')"
last=$((MILLION / 50))
# A window of 1,000 pages each (bench/pages.lua), more than the answer memory
# holds, so Redis reads every page.
p1=$(FIRST=1 WRK_SCRIPT=bench/pages.lua rps "http://$MOCK_BIG/" "$AUTH")
pn=$(FIRST=$((last - 999)) WRK_SCRIPT=bench/pages.lua rps "http://$MOCK_BIG/" "$AUTH")
printf 'pages 1-1000: %8.0f req/s   pages %d-%d: %8.0f req/s   ratio %s (1.00 = flat)\n' "$p1" "$((last - 999))" "$last" "$pn" "$(ratio "$pn" "$p1")"

# 3. Layouts, 100,000 contacts of the same shape each, in a database of their own.
n=100000
layout() { # db script
  rcli -n "$1" flushdb >/dev/null
  local b a
  b=$(rcli -n "$1" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
  rcli -n "$1" eval "$2" 0 "$n" >/dev/null
  a=$(rcli -n "$1" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
  awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN {printf "%.0f", (a-b)/n}'
  rcli -n "$1" flushdb >/dev/null
}
# The id is 16 bytes, the name 13 characters, as seeded ones run.
packed=$(layout 2 "for i = 1, tonumber(ARGV[1]) do local id = string.format('%016d', i)
  redis.call('HSET', 'c:app', id, string.rep('x', 17) .. 'Budi Santoso ' )
  redis.call('ZADD', 'z:app', i, id) end")
perkey=$(layout 3 "for i = 1, tonumber(ARGV[1]) do local id = string.format('%016d', i)
  redis.call('HSET', 'c:app:' .. id, 'created', 1715662308000, 'phone', 6281234567890, 'blocked', 0, 'name', 'Budi Santoso ')
  redis.call('ZADD', 'z:app', i, id) end")
echo "layout, bytes per contact in redis (index included): one packed string per contact $packed, a hash per contact $perkey"
