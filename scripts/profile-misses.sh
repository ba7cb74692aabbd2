#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# `make profile-misses`: what one cache miss costs the daemon, in instructions and in system
# calls, at 1, 10 and 200 queries outstanding.
#
# Starts nsd (PROFILE_NAMES names) and, per Q in PROFILE_QS, a fresh release holdfastd on
# loopback (in a private network namespace when run as root), forwarding to it; sends
# PROFILE_QUERIES names, each once (every one a miss), with `dnsperf -c 1 -q Q`, twice:
#   - under `valgrind --tool=callgrind` (counters zeroed after start-up): user-space
#     instructions per miss, every thread, total and by stage (see STAGES below);
#   - under `strace -c -f` (attached after start-up): system calls per miss, by name;
#   - with PROFILE_TOOLS including `cpu` (not by default): the daemon alone, pinned to core 0
#     and dnsperf to core 1, its user and system CPU time per miss from /proc/PID/stat
#     (PROFILE_CPU_QUERIES names; this one depends on the machine being quiet).
# Instruction and system-call counts do not depend on machine load (valgrind and strace
# slow the daemon down, so at high Q more replies may arrive per wake than without them;
# read the Q = 200 row as an upper bound on batching). Valgrind 3.19 cannot read Swift's
# DWARF 5, so the profiled binary is a copy with the debug sections stripped (symbols kept).
#
# Environment: PROFILE_QS ("1 10 200"), PROFILE_QUERIES (3000), PROFILE_NAMES (20000),
#              PROFILE_OUT (profile-out/misses), HOLDFASTD (default: the release build),
#              PROFILE_TOOLS ("callgrind strace").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/scripts/bench-tools.py"
OUT=${PROFILE_OUT:-$ROOT/profile-out/misses}
QS=${PROFILE_QS:-"1 10 200"}
QUERIES=${PROFILE_QUERIES:-3000}
CPU_QUERIES=${PROFILE_CPU_QUERIES:-20000}
NAMES=${PROFILE_NAMES:-20000}
MEASURE=${PROFILE_TOOLS:-"callgrind strace"}
PORT_NSD=15410; PORT_HOLDFAST=15411

log() { printf '[profile-misses %s] %s\n' "$(date +%T)" "$*" >&2; }
# shellcheck source=scripts/loopback-lib.sh
. "$ROOT/scripts/loopback-lib.sh"

if [ "${PROFILE_INNER:-0}" != 1 ]; then
  install_missing_packages valgrind strace dnsperf nsd bind9-dnsutils python3 util-linux iproute2
  mkdir -p "$OUT/data"
  if [ -z "${HOLDFASTD:-}" ]; then
    log "building holdfastd (release)"
    (cd "$ROOT" && swift build -c release --product holdfastd >"$OUT/build.log" 2>&1) || { log "build failed: $OUT/build.log"; exit 1; }
    HOLDFASTD="$(cd "$ROOT" && swift build -c release --show-bin-path)/holdfastd"
  fi
  cp "$HOLDFASTD" "$OUT/holdfastd.stripped"
  strip --strip-debug "$OUT/holdfastd.stripped"
  python3 "$TOOLS" zone --out "$OUT/data/bench.zone" --hits 10 --misses "$NAMES" --outage 10 --outage-ttl 60
  export OUT QS QUERIES CPU_QUERIES NAMES MEASURE HOLDFASTD
  if [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
    exec unshare --net -- env PROFILE_INNER=1 PROFILE_NETNS=1 "$0" "$@"
  fi
  exec env PROFILE_INNER=1 "$0" "$@"
fi

[ "${PROFILE_NETNS:-0}" = 1 ] && ip link set lo up
WORK=$(mktemp -d /tmp/holdfast-profile-misses.XXXXXX)
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

# Stages: inclusive instructions of the functions that make each stage (demangled names,
# matched as regular expressions; the first stage whose pattern matches a row takes it).
STAGES='
decode upstream reply|DNSMessage\.init\(parsing:
lowercase names|withLowercasedNames
store: clamp + encode + insert|DNSCache\.store\(
render answer for the client|StoredAnswer\.render\(into:
c-ares ares_send|^ares_send$
c-ares read path (ares_process_fd)|^ares_process_fd$
c-ares timeouts (ares_timeout)|^ares_timeout$
query parse (client)|ParsedQuery\.init
'

report_callgrind() { # q dump completed
  local q=$1 dump=$2 completed=$3
  callgrind_annotate --inclusive=yes --threshold=100 "$dump" 2>/dev/null \
    | { if command -v swift >/dev/null; then swift demangle --simplified --compact; else cat; fi; } \
    | STAGES="$STAGES" python3 -c '
import os, re, sys
q, n = sys.argv[1], max(int(sys.argv[2]), 1)
rows = []
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
    if m:
        name = re.sub(r"\s*\[[^]]*\]\s*$", "", m.group(2).replace("???:", ""))
        rows.append((int(m.group(1).replace(",", "")), name))
total = next((ir for ir, name in rows if name == "PROGRAM TOTALS"), 0)
print("Q = %s: %d misses; user-space instructions per miss, every thread: %d" % (q, n, total // n))
print("  by stage (inclusive; stages may nest, c-ares read path includes the reply callback):")
for line in os.environ["STAGES"].strip().splitlines():
    label, pattern = line.split("|", 1)
    ir = max((ir for ir, name in rows if re.search(pattern, name)), default=0)
    print("    %8d  %s" % (ir // n, label))
alloc = sum(ir for ir, name in rows if re.fullmatch(r"(malloc|free|realloc|calloc|posix_memalign|_int_malloc|_int_free|swift_allocObject|swift_release|swift_retain|swift_slowAlloc|swift_slowDealloc)", name))
print("  heaviest functions (inclusive instructions per miss):")
shown = 0
for ir, name in rows:
    if name == "PROGRAM TOTALS" or "clone.S" in name or "start_thread" in name: continue
    print("    %8d  %s" % (ir // n, name[:150]))
    shown += 1
    if shown == 45: break
' "$q" "$completed"
}

start_daemon() { # prefix-command...
  "$@" "$OUT/holdfastd.stripped" --config "$WORK/holdfast.toml" --log-level warning >"$WORK/daemon.log" 2>&1 &
  DAEMON=$!
  PIDS+=($DAEMON)
  for _ in $(seq 300); do answers $PORT_HOLDFAST && return 0; sleep 0.2; done
  log "holdfastd did not answer"; cat "$WORK/daemon.log" >&2; exit 1
}

stop_daemon() { kill "$DAEMON" 2>/dev/null || true; wait "$DAEMON" 2>/dev/null || true; }

run_load() { # q names-file result-file
  dnsperf -s 127.0.0.1 -p $PORT_HOLDFAST -d "$2" -n 1 -c 1 -q "$1" -t 5 >"$3" 2>&1 || true
  awk '/Queries completed/ {print $3}' "$3"
}

: > "$OUT/summary.txt"
offset=0
for q in $QS; do
  for tool in $MEASURE; do
    # Fresh names for every run: each is a miss.
    count=$QUERIES
    [ "$tool" = cpu ] && count=$CPU_QUERIES
    python3 "$TOOLS" queries --out "$WORK/names.txt" --prefix m --suffix miss.bench --start "$offset" --count "$count"
    offset=$(( (offset + count) % (NAMES - count + 1) ))
    case $tool in
      callgrind)
        rm -f "$OUT"/callgrind.q"$q".out*
        log "Q = $q: callgrind"
        start_daemon valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.q$q.out"
        callgrind_control -z "$DAEMON" >/dev/null
        completed=$(run_load "$q" "$WORK/names.txt" "$OUT/dnsperf-callgrind-q$q.txt")
        callgrind_control -d "$DAEMON" >/dev/null
        stop_daemon
        dump=$(ls -t "$OUT"/callgrind.q"$q".out.* | head -1)
        report_callgrind "$q" "$dump" "$completed" | tee -a "$OUT/summary.txt"
        ;;
      cpu)
        log "Q = $q: CPU time"
        start_daemon taskset -c 0
        ticks() { awk '{print $14 + 0, $15 + 0}' "/proc/$DAEMON/stat"; }
        before=$(ticks)
        completed=$(taskset -c 1 dnsperf -s 127.0.0.1 -p $PORT_HOLDFAST -d "$WORK/names.txt" -n 1 -c 1 -q "$q" -t 5 \
          >"$OUT/dnsperf-cpu-q$q.txt" 2>&1 || true; awk '/Queries completed/ {print $3}' "$OUT/dnsperf-cpu-q$q.txt")
        after=$(ticks)
        stop_daemon
        python3 - "$q" "$completed" "$before" "$after" "$(getconf CLK_TCK)" "$OUT/dnsperf-cpu-q$q.txt" <<'PY' | tee -a "$OUT/summary.txt"
import re, sys
q, n, before, after, hz, path = sys.argv[1], max(int(sys.argv[2]), 1), sys.argv[3].split(), sys.argv[4].split(), int(sys.argv[5]), sys.argv[6]
user, system = ((int(a) - int(b)) * 1e6 / hz / n for a, b in zip(after, before))
text = open(path).read()
qps = re.search(r"Queries per second:\s+([\d.]+)", text)
latency = re.search(r"Average Latency \(s\):\s+([\d.]+)", text)
print("Q = %s: %d misses; CPU µs per miss: %.1f (user %.1f, system %.1f); qps %s, avg latency %s ms"
      % (q, n, user + system, user, system, qps.group(1) if qps else "?",
         "%.3f" % (float(latency.group(1)) * 1000) if latency else "?"))
PY
        ;;
      strace)
        log "Q = $q: strace -c -f"
        start_daemon
        strace -c -f -p "$DAEMON" -o "$OUT/strace-q$q.txt" & ST=$!
        sleep 1  # strace attaches to every thread before it starts counting
        completed=$(run_load "$q" "$WORK/names.txt" "$OUT/dnsperf-strace-q$q.txt")
        kill -INT "$ST"; wait "$ST" 2>/dev/null || true
        stop_daemon
        python3 - "$q" "$completed" "$OUT/strace-q$q.txt" <<'PY' | tee -a "$OUT/summary.txt"
import re, sys
q, n, path = sys.argv[1], max(int(sys.argv[2]), 1), sys.argv[3]
rows = []
for line in open(path):
    f = line.split()
    if len(f) >= 5 and re.fullmatch(r"[\d.]+", f[0]) and f[-1] != "total":
        rows.append((int(f[3]), f[-1]))
rows.sort(reverse=True)
total = sum(c for c, _ in rows)
print("Q = %s: %d misses; system calls per miss, every thread: %.2f" % (q, n, total / n))
print("  " + ", ".join("%s %.2f" % (name, c / n) for c, name in rows if c / n >= 0.005))
PY
        ;;
    esac
  done
done
log "summary: $OUT/summary.txt"
