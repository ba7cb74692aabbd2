#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# `make profile`: where a cache hit's user-space instructions go, in the real daemon.
#
# Starts nsd (10,000 names) and a release holdfastd under `valgrind --tool=callgrind` on
# loopback (in a private network namespace when run as root), warms the cache, zeroes the
# counters, sends PROFILE_QUERIES cache hits at PROFILE_QPS with dnsperf, dumps the counters
# and prints instructions per query: the total (every thread, syscalls count as one) and the
# heaviest functions, inclusive. Instruction counts are exact and do not depend on machine
# load, so runs compare across commits. Valgrind 3.19 cannot read Swift's DWARF 5, so the
# profiled binary is a copy with the debug sections stripped (symbols kept).
#
# Environment: PROFILE_QUERIES (10000), PROFILE_QPS (2000), PROFILE_OUT (profile-out/),
#              HOLDFASTD (a holdfastd binary; default: the release build, built if needed).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/scripts/bench-tools.py"
OUT=${PROFILE_OUT:-$ROOT/profile-out}
QUERIES=${PROFILE_QUERIES:-10000}
QPS=${PROFILE_QPS:-2000}
PORT_NSD=15400; PORT_HOLDFAST=15401

log() { printf '[profile %s] %s\n' "$(date +%T)" "$*" >&2; }
# shellcheck source=scripts/loopback-lib.sh
. "$ROOT/scripts/loopback-lib.sh"

if [ "${PROFILE_INNER:-0}" != 1 ]; then
  install_missing_packages valgrind dnsperf nsd bind9-dnsutils python3 util-linux iproute2
  mkdir -p "$OUT/data"
  if [ -z "${HOLDFASTD:-}" ]; then
    log "building holdfastd (release)"
    (cd "$ROOT" && swift build -c release --product holdfastd >"$OUT/build.log" 2>&1) || { log "build failed: $OUT/build.log"; exit 1; }
    HOLDFASTD="$(cd "$ROOT" && swift build -c release --show-bin-path)/holdfastd"
  fi
  cp "$HOLDFASTD" "$OUT/holdfastd.stripped"
  strip --strip-debug "$OUT/holdfastd.stripped"
  python3 "$TOOLS" zone --out "$OUT/data/bench.zone" --hits 10000 --misses 10 --outage 10 --outage-ttl 60
  python3 "$TOOLS" queries --out "$OUT/data/hits.txt" --prefix h --suffix hit.bench --count 10000
  export OUT QUERIES QPS
  if [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
    exec unshare --net -- env PROFILE_INNER=1 PROFILE_NETNS=1 "$0" "$@"
  fi
  exec env PROFILE_INNER=1 "$0" "$@"
fi

[ "${PROFILE_NETNS:-0}" = 1 ] && ip link set lo up
WORK=$(mktemp -d /tmp/holdfast-profile.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

write_nsd_conf "$WORK" "$PORT_NSD" "$OUT/data/bench.zone"
cat > "$WORK/holdfast.toml" <<EOF
[server]
listen = ["127.0.0.1:$PORT_HOLDFAST"]
allow = ["127.0.0.0/8"]
threads = 1

[[upstream.provider]]
name = "nsd"
servers = ["127.0.0.1:$PORT_NSD"]

[cache]
prefetch = false
persist_path = ""

[control]
socket = "$WORK/control.sock"
metrics_listen = ""
EOF

answers() { dig +short +time=1 +tries=1 -p "$1" @127.0.0.1 ns.bench. 2>/dev/null | grep -q .; }

nsd -d -c "$WORK/nsd.conf" >"$WORK/nsd.out" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do answers $PORT_NSD && break; sleep 0.1; done
answers $PORT_NSD || { log "nsd did not start"; cat "$WORK/nsd.out" >&2; exit 1; }

rm -f "$OUT"/callgrind.out*
log "starting holdfastd under callgrind"
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
  "$OUT/holdfastd.stripped" --config "$WORK/holdfast.toml" --log-level warning >"$OUT/valgrind.log" 2>&1 & VG=$!
PIDS+=($VG)
for _ in $(seq 300); do answers $PORT_HOLDFAST && break; sleep 0.2; done
answers $PORT_HOLDFAST || { log "holdfastd did not answer (see $OUT/valgrind.log)"; exit 1; }

log "warming 10000 names"
dnsperf -s 127.0.0.1 -p $PORT_HOLDFAST -d "$OUT/data/hits.txt" -n 1 -q 100 -t 5 >"$OUT/warm.txt" 2>&1
callgrind_control -z "$VG" >/dev/null
log "measuring $QUERIES hits at $QPS qps"
dnsperf -s 127.0.0.1 -p $PORT_HOLDFAST -d "$OUT/data/hits.txt" -n $(( (QUERIES + 9999) / 10000 )) \
  -Q "$QPS" -q 100 -t 5 >"$OUT/dnsperf.txt" 2>&1
callgrind_control -d "$VG" >/dev/null
kill "$VG"; wait "$VG" 2>/dev/null || true

completed=$(awk '/Queries completed/ {print $3}' "$OUT/dnsperf.txt")
dump=$(ls -t "$OUT"/callgrind.out.* | head -1)
{
  echo "holdfastd: $HOLDFASTD"
  echo "queries answered during the measurement: $completed (dnsperf at $QPS qps)"
  callgrind_annotate --inclusive=yes "$dump" 2>/dev/null | python3 -c '
import re, sys
n = int(sys.argv[1])
rows = []
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
    if m: rows.append((int(m.group(1).replace(",", "")), m.group(2)))
total = next((ir for ir, name in rows if name == "PROGRAM TOTALS"), 0)
print("user-space instructions per query, every thread: %d" % (total // max(n, 1)))
print("heaviest functions (inclusive instructions per query):")
shown = 0
for ir, name in rows:
    if name == "PROGRAM TOTALS" or "clone.S" in name or "start_thread" in name: continue
    name = re.sub(r"\s*\[[^]]*\]\s*$", "", name.replace("???:", ""))
    print("  %7d  %s" % (ir // max(n, 1), name))
    shown += 1
    if shown == 40: break
' "$completed" | { if command -v swift >/dev/null; then swift demangle --simplified --compact; else cat; fi; } | cut -c1-160
} | tee "$OUT/summary.txt"
log "callgrind data: $dump (open with callgrind_annotate or kcachegrind)"
