#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# Memory bound under a flood of unique names (issue 23): holdfastd's resident size while dnsperf
# sends NAMES unique names (default 1,000,000) as fast as this machine can, twice:
#   answered  every name answered by nsd (a wildcard), so the cache fills to max_entries
#   dropped   the upstream reads every query and never answers, so questions pile up to
#             max_in_flight and the rest are answered SERVFAIL at once
# with cache.max_entries = MAX_ENTRIES and upstream.max_in_flight = MAX_IN_FLIGHT. Prints the
# idle and peak resident size (VmRSS sampled every 0.2 s, and the kernel's VmHWM), the queries
# sent/answered and the daemon's counters, per scenario.
#
#   scripts/memory-flood.sh            # HOLDFAST_BIN_DIR or `swift build --show-bin-path`
#   NAMES=200000 MAX_ENTRIES=20000 MAX_IN_FLIGHT=500 scripts/memory-flood.sh
#
# Loopback only (in a private network namespace when run as root); every run is bounded in
# count (NAMES) and time (SECONDS_CAP per scenario).
set -euo pipefail
cd "$(dirname "$0")/.."
NAMES=${NAMES:-1000000}
MAX_ENTRIES=${MAX_ENTRIES:-50000}
MAX_IN_FLIGHT=${MAX_IN_FLIGHT:-1000}
SECONDS_CAP=${SECONDS_CAP:-180}
OUTSTANDING=${OUTSTANDING:-2000}

log() { echo "memory-flood: $*" >&2; }
source scripts/loopback-lib.sh

if [ "${FLOOD_INNER:-0}" != 1 ] && [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
  exec unshare --net -- env FLOOD_INNER=1 FLOOD_NETNS=1 "$0" "$@"
fi
[ "${FLOOD_NETNS:-0}" = 1 ] && ip link set lo up

BIN=${HOLDFAST_BIN_DIR:-$(swift build --show-bin-path)}
[ -x "$BIN/holdfastd" ] || { log "no $BIN/holdfastd: build first (swift build)"; exit 1; }
for tool in nsd dnsperf python3; do command -v "$tool" >/dev/null || { log "needs $tool"; exit 1; }; done

WORK=$(mktemp -d /tmp/holdfast-flood.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The names, each asked once.
awk -v n="$NAMES" 'BEGIN { for (i = 0; i < n; i++) printf "n%d.flood.bench A\n", i }' > "$WORK/names.txt"

# nsd answering every name under flood.bench.
NSD_PORT=$(free_port)
printf '$ORIGIN bench.\n$TTL 3600\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n*.flood IN A 192.0.2.1\n' > "$WORK/bench.zone"
write_nsd_conf "$WORK/nsd" "$NSD_PORT" "$WORK/bench.zone"
nsd -d -c "$WORK/nsd/nsd.conf" > "$WORK/nsd.out" 2>&1 &
PIDS+=($!)

# The silent upstream: a bound UDP socket that reads every query and never answers.
DROP_PORT=$(free_port)
python3 - "$DROP_PORT" > /dev/null 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recv(2048)
PY
PIDS+=($!)
for _ in $(seq 50); do dig +short +time=1 +tries=1 @127.0.0.1 -p "$NSD_PORT" x.flood.bench A 2>/dev/null | grep -q 192.0.2.1 && break; sleep 0.1; done

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
stat_of() { curl -s --max-time 5 --unix-socket "$1" http://localhost/stats | python3 -c "import json,sys; d=json.load(sys.stdin); print(d$2)"; }

# run_scenario NAME UPSTREAM_PORT
run_scenario() {
  local name=$1 upstream=$2 dir="$WORK/$1" port
  mkdir -p "$dir"
  port=$(free_port)
  cat > "$dir/holdfast.toml" <<TOML
[server]
listen = ["127.0.0.1:$port"]
threads = 2
[upstream]
timeout_ms = 1000
hedge_after_ms = 0
max_in_flight = $MAX_IN_FLIGHT
[[upstream.provider]]
name = "up"
servers = ["127.0.0.1:$upstream"]
[cache]
max_entries = $MAX_ENTRIES
persist_path = ""
prefetch = false
[control]
socket = "$dir/control.sock"
TOML
  "$BIN/holdfastd" --config "$dir/holdfast.toml" > "$dir/holdfastd.log" 2>&1 &
  local daemon=$!
  PIDS+=($daemon)
  for _ in $(seq 100); do [ -S "$dir/control.sock" ] && grep -q "holdfastd ready" "$dir/holdfastd.log" && break; sleep 0.1; done
  local idle
  idle=$(rss_kib "$daemon")
  : > "$dir/rss.txt"
  ( while kill -0 "$daemon" 2>/dev/null; do rss_kib "$daemon" >> "$dir/rss.txt"; sleep 0.2; done ) &
  local sampler=$!
  local started=$SECONDS
  timeout $((SECONDS_CAP + 30)) dnsperf -s 127.0.0.1 -p "$port" -d "$dir/../names.txt" -n 1 -c 8 -q "$OUTSTANDING" \
    -t 2 -l "$SECONDS_CAP" > "$dir/dnsperf.txt" 2>&1 || true
  local elapsed=$((SECONDS - started))
  local sent completed qps peak hwm entries limited
  sent=$(awk '/Queries sent:/ { print $3 }' "$dir/dnsperf.txt")
  completed=$(awk '/Queries completed:/ { print $3 }' "$dir/dnsperf.txt")
  qps=$(awk '/Queries per second:/ { print $4 }' "$dir/dnsperf.txt")
  codes=$(grep "Response codes:" "$dir/dnsperf.txt" | sed 's/.*Response codes: *//')
  entries=$(stat_of "$dir/control.sock" "['cache']['entries']")
  limited=$(stat_of "$dir/control.sock" "['in_flight_limited']")
  hwm=$(hwm_kib "$daemon")
  kill "$daemon"; wait "$daemon" 2>/dev/null || true
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  peak=$(sort -n "$dir/rss.txt" | tail -1)
  printf '%-9s names %s sent %s answered %s in %ss (%s q/s) [%s]\n' "$name" "$NAMES" "$sent" "$completed" "$elapsed" "$qps" "$codes"
  printf '%-9s RSS idle %d MiB, peak sampled %d MiB, VmHWM %d MiB; cache entries %s (max %s), in_flight_limited %s (max_in_flight %s)\n' \
    "$name" $((idle / 1024)) $((${peak:-0} / 1024)) $((hwm / 1024)) "$entries" "$MAX_ENTRIES" "$limited" "$MAX_IN_FLIGHT"
}

log "binary $BIN/holdfastd, $(nproc) cores, netns ${FLOOD_NETNS:-0}"
run_scenario answered "$NSD_PORT"
run_scenario dropped "$DROP_PORT"
