#!/usr/bin/env bash
# The same list request against the contactkit mock and against Stoplight Prism
# serving the same openapi.yaml, with wrk over loopback in one run.
#
#   bench/prism.sh                      # 10 s each, 16 connections
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

PRISM_VERSION=${PRISM_VERSION:-5.16.0}
MOCK=127.0.0.1:47110
PRISM=127.0.0.1:47112
AUTH="Authorization: Bearer bench-token"
LIST="/contacts/bench-app?page=1&limit=10"

need_wrk
build_contactkit
start "$BENCH_TMP/contactkit" mock --addr "$MOCK" --log-format none
wait_ready "http://$MOCK/__admin/health"

echo "starting Prism $PRISM_VERSION through npx (the first run downloads it)..."
start npx --yes "@stoplight/prism-cli@$PRISM_VERSION" mock --host 127.0.0.1 --port "${PRISM##*:}" --errors false openapi.yaml
wait_ready "http://$PRISM$LIST" 300

m=$(rps "http://$MOCK$LIST" "$AUTH")
p=$(rps "http://$PRISM$LIST" "$AUTH")
printf 'contactkit mock %8.0f req/s\nPrism %-10s %8.0f req/s\ncontactkit / Prism: %sx\n' "$m" "$PRISM_VERSION" "$p" "$(ratio "$m" "$p")"
