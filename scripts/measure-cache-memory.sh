#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# Bytes of resident memory per cache entry of a release holdfastd, the figure behind the memory
# request and limit in deploy/kubernetes/daemonset.yaml (README, "Kubernetes").
#
# nsd serves a zone of $NAMES names (one A record each, names as long as a cluster's service
# names: "host-0123456.namespace-07.svc.bench.") on a loopback port; holdfastd (release build,
# cache.max_entries = $NAMES, persistence and prefetch off) forwards to it.
# dnsperf asks each name once, in steps; after each step the script waits until the cache
# holds that many entries (99 %: an answer lost under load is not cached; the slope uses the
# count the cache reports) (holdfastctl stats) and reads the daemon's VmRSS. Bytes per entry is
# the slope between the first step (the warm-up: allocator arenas, threads, buffers) and the
# last. Then $NAMES more names are asked with the cache full: RSS must stay where it was
# (the LRU evicts; memory does not grow past max_entries).
# Only loopback; every load is bounded in count (each name once) and time (timeouts).
#   HOLDFAST_BIN_DIR=DIR   the release binaries (default: .build-deb/release from `make deb`,
#                          else `swift build -c release`)
#   NAMES=200000 STEPS=4   size of the cache filled, number of measuring steps
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'measure-cache-memory: %s\n' "$*"; }
die() { printf 'measure-cache-memory: FAIL: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/loopback-lib.sh
. scripts/loopback-lib.sh
install_missing_packages nsd dnsperf

NAMES=${NAMES:-200000}
STEPS=${STEPS:-4}
BIN=${HOLDFAST_BIN_DIR:-}
if [ -z "$BIN" ]; then
  if [ -x .build-deb/release/holdfastd ]; then BIN=.build-deb/release
  else swift build -c release >/dev/null; BIN=$(swift build -c release --show-bin-path); fi
fi
[ -x "$BIN/holdfastd" ] && [ -x "$BIN/holdfastctl" ] || die "no holdfastd/holdfastctl in $BIN"

WORK=$(mktemp -d /var/tmp/holdfast-memory.XXXXXX)
NSD_PGID="" DAEMON_PID=""
cleanup() {
  [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && timeout 20 tail --pid="$DAEMON_PID" -f /dev/null || true
  [ -n "$NSD_PGID" ] && kill -TERM -- "-$NSD_PGID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.2; done
}

# Two sets of names: the ones measured, then as many again to overflow the full cache.
python3 - "$WORK" "$NAMES" <<'PY'
import sys
work, n = sys.argv[1], int(sys.argv[2])
name = lambda i: f"host-{i:07d}.namespace-{i % 100:02d}.svc.bench."
with open(f"{work}/bench.zone", "w") as z:
    z.write("$ORIGIN bench.\n$TTL 86400\n@ IN SOA ns.bench. h.bench. 1 3600 600 86400 300\n@ IN NS ns.bench.\nns IN A 127.0.0.1\n")
    for i in range(2 * n):
        z.write(f"{name(i)} IN A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}\n")
with open(f"{work}/fill.txt", "w") as f:
    f.writelines(f"{name(i)} A\n" for i in range(n))
with open(f"{work}/overflow.txt", "w") as f:
    f.writelines(f"{name(i)} A\n" for i in range(n, 2 * n))
PY

NSD_PORT=$(free_port)
write_nsd_conf "$WORK/nsd" "$NSD_PORT" "$WORK/bench.zone"
setsid nsd -d -c "$WORK/nsd/nsd.conf" > "$WORK/nsd.out" 2>&1 &
NSD_PGID=$!
wait_for 120 bash -c "dig @127.0.0.1 -p $NSD_PORT +short +time=1 +tries=1 host-0000001.namespace-01.svc.bench. A | grep -q ." \
  || { cat "$WORK/nsd.out" "$WORK/nsd/nsd.log" 2>/dev/null; die "nsd did not answer"; }

PORT=$(free_port)
SOCK=$WORK/control.sock
cat > "$WORK/holdfast.toml" <<TOML
[server]
listen = ["127.0.0.1:$PORT"]
allow = ["127.0.0.0/8"]
threads = 2
[upstream]
hedge_after_ms = 0
[[upstream.provider]]
name = "nsd"
servers = ["127.0.0.1:$NSD_PORT"]
[cache]
max_entries = $NAMES
prefetch = false
persist_path = ""
[control]
socket = "$SOCK"
TOML
"$BIN/holdfastd" --config "$WORK/holdfast.toml" > "$WORK/holdfastd.log" 2>&1 &
DAEMON_PID=$!
wait_for 30 "$BIN/holdfastctl" --socket "$SOCK" status || { cat "$WORK/holdfastd.log"; die "holdfastd did not start"; }

entries() { "$BIN/holdfastctl" --socket "$SOCK" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["cache"]["entries"])'; }
entries_at_least() { [ "$(entries)" -ge "$1" ]; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$DAEMON_PID/status"; }
# ask FILE: each name of FILE once, 20 in flight, within 300 s.
ask() { timeout 300 dnsperf -s 127.0.0.1 -p "$PORT" -d "$1" -n 1 -c 2 -q 20 -t 5 > "$WORK/dnsperf.out" 2>&1 || { cat "$WORK/dnsperf.out"; die "dnsperf failed"; }; }

log "holdfastd $("$BIN/holdfastd" --version) from $BIN; $NAMES names; RSS at start $(rss_kib) KiB"
step=$((NAMES / STEPS))
declare -a counts rss
for ((s = 1; s <= STEPS; s++)); do
  sed -n "$(( (s - 1) * step + 1 )),$(( s * step ))p" "$WORK/fill.txt" > "$WORK/step.txt"
  ask "$WORK/step.txt"
  want=$((s * step))
  wait_for 30 entries_at_least "$((want * 99 / 100))" \
    || die "the cache holds $(entries) entries, expected $want (dnsperf: $(grep -E 'Queries (completed|lost)' "$WORK/dnsperf.out" | tr -s ' ' | tr '\n' ' '))"
  counts[s]=$(entries); rss[s]=$(rss_kib)
  log "step $s: ${counts[s]} entries, VmRSS ${rss[s]} KiB"
done
slope=$(( (rss[STEPS] - rss[1]) * 1024 / (counts[STEPS] - counts[1]) ))
log "bytes per entry (slope from step 1 to step $STEPS): $slope"
log "base (RSS at step 1 minus its entries at that slope): $(( rss[1] - counts[1] * slope / 1024 )) KiB"

ask "$WORK/overflow.txt"
sleep 1
after=$(rss_kib)
evictions=$("$BIN/holdfastctl" --socket "$SOCK" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["cache"]["evictions"])')
log "after $NAMES more names with the cache full: $(entries) entries, $evictions evictions, VmRSS $after KiB ($(( (after - rss[STEPS]) * 100 / rss[STEPS] ))% over the full cache)"
echo "bytes_per_entry=$slope base_kib=$(( rss[1] - counts[1] * slope / 1024 )) full_rss_kib=${rss[STEPS]} overflow_rss_kib=$after"
