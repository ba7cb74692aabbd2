#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# Chaos and soak run: dnsperf load on loopback against holdfastd while two fake upstreams
# (scripts/chaos-upstream.py) are flipped between normal, blackhole, refuse, SERVFAIL and slow,
# with one daemon restart (SIGTERM, start again on the persisted cache) in the middle.
#
#   scripts/soak.sh                 10 minutes (SOAK_SECONDS=120 scripts/soak.sh for 2)
#
# Settings (environment): SOAK_SECONDS (600), SOAK_QPS (400), SOAK_NAMES (400),
# SOAK_TTL (upstream TTL, 15 s), SOAK_OUT (soak-out), HOLDFAST_BIN_DIR (default: a release
# build made here). Everything binds 127.0.0.1 on kernel-chosen free ports.
#
# Prints and writes soak-out/summary.txt: queries sent, answered, SERVFAIL, stale, lost (in and
# outside the restart window), p50/p99 latency, RSS at start, before the restart and at the end.
# Fails (exit 1) if a name that had an answer later got SERVFAIL (its stale data existed), or
# if a query was lost outside the restart window.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_TOTAL=${SOAK_SECONDS:-600}
QPS=${SOAK_QPS:-400}
NAMES=${SOAK_NAMES:-400}
TTL=${SOAK_TTL:-15}
OUT=$(mkdir -p "${SOAK_OUT:-soak-out}" && cd "${SOAK_OUT:-soak-out}" && pwd)
rm -rf "${OUT:?}"/*

if [ -z "${HOLDFAST_BIN_DIR:-}" ]; then
    swift build -c release --product holdfastd >&2
    HOLDFAST_BIN_DIR=$(swift build -c release --show-bin-path)
fi
DAEMON="$HOLDFAST_BIN_DIR/holdfastd"
[ -x "$DAEMON" ] || { echo "no holdfastd at $DAEMON" >&2; exit 2; }
command -v dnsperf >/dev/null || { echo "dnsperf is not installed (apt-get install dnsperf)" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port); P1=$(free_port); P2=$(free_port)
PIDS=()
DAEMON_PID=""
cleanup() {
    for pid in "${PIDS[@]}" $DAEMON_PID; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

echo normal > "$OUT/mode-p1"
echo normal > "$OUT/mode-p2"
python3 scripts/chaos-upstream.py --port "$P1" --mode-file "$OUT/mode-p1" --names "$NAMES" --ttl "$TTL" >"$OUT/upstream-p1.log" 2>&1 &
PIDS+=($!)
python3 scripts/chaos-upstream.py --port "$P2" --mode-file "$OUT/mode-p2" --names "$NAMES" --ttl "$TTL" >"$OUT/upstream-p2.log" 2>&1 &
PIDS+=($!)

cat >"$OUT/holdfast.toml" <<EOF
[server]
listen = ["127.0.0.1:$PORT"]
allow = ["127.0.0.0/8"]
threads = 2

[upstream]
policy = "failover"
timeout_ms = 800
hedge_after_ms = 250
failure_threshold = 3
probe_interval_s = 2

[[upstream.provider]]
name = "p1"
servers = ["127.0.0.1:$P1"]

[[upstream.provider]]
name = "p2"
servers = ["127.0.0.1:$P2"]

[cache]
max_entries = 100000
persist_path = "$OUT/cache.bin"
persist_interval_s = 10

[cache.stale]
enabled = true
answer_ttl_s = 30
max_age_s = 86400
client_timeout_ms = 1800

[control]
socket = "$OUT/control.sock"
metrics_listen = ""
EOF

# Query mix: the zone's names (answers), ~5% names that do not exist (NXDOMAIN) and ~5% names
# of a domain that fails at every upstream (SERVFAIL or never answered, see chaos-upstream.py),
# shuffled differently for every dnsperf run (dnsperf replays its file from the top).
queries() {  # queries SEED > file
    python3 - "$NAMES" "$1" <<'PY'
import random, sys
names, seed = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
for _ in range(max(names * 10, 4000)):
    draw = rng.random()
    if draw < 0.05:
        print(f"x{rng.randrange(names)}.soak.test A")
    elif draw < 0.10:
        print(f"b{rng.randrange(20)}.broken.soak.test A")
    else:
        print(f"n{rng.randrange(names)}.soak.test A")
PY
}

start_daemon() {
    "$DAEMON" --config "$OUT/holdfast.toml" 2>>"$OUT/daemon.log" &
    DAEMON_PID=$!
    for _ in $(seq 1 200); do
        if dig +short +tries=1 +time=1 -p "$PORT" @127.0.0.1 localhost A 2>/dev/null | grep -q 127.0.0.1; then return 0; fi
        kill -0 "$DAEMON_PID" 2>/dev/null || { echo "holdfastd exited; log:" >&2; tail -20 "$OUT/daemon.log" >&2; exit 2; }
        sleep 0.1
    done
    echo "holdfastd did not answer within 20 s" >&2
    exit 2
}
stop_daemon() {
    kill -TERM "$DAEMON_PID"
    for _ in $(seq 1 150); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$DAEMON_PID" 2>/dev/null; then
        echo "holdfastd ignored SIGTERM for 15 s" >&2
        kill -KILL "$DAEMON_PID"
    fi
    wait "$DAEMON_PID" 2>/dev/null || true
}
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$DAEMON_PID/status" 2>/dev/null || echo 0; }
stale_count() { python3 scripts/soak-report.py metric "$OUT/control.sock" holdfast_cache_stale_answers_total; }

RUN=0
perf() {  # perf NAME SECONDS
    RUN=$((RUN + 1))
    queries "$RUN" >"$OUT/queries.txt"
    dnsperf -s 127.0.0.1 -p "$PORT" -d "$OUT/queries.txt" -l "$2" -Q "$QPS" -c 4 -q 200 -t 4 -v \
        >"$OUT/$(printf 'run-%03d' "$RUN")-$1.txt" 2>&1 || true
}

# Phases: (name, p1 mode, p2 mode). "restart" restarts the daemon the first time it comes up.
PHASES=(
    "warmup normal normal"
    "failover blackhole normal"
    "all-blackhole blackhole blackhole"
    "refuse-servfail refuse servfail"
    "all-slow slow slow"
    "p1-servfail servfail normal"
    "p2-refuse normal refuse"
    "restart blackhole servfail"
    "recover normal normal"
)
PHASE_SECONDS=$(( SECONDS_TOTAL / 18 ))
if [ "$PHASE_SECONDS" -lt 5 ]; then PHASE_SECONDS=5; fi
PHASE_COUNT=$(( SECONDS_TOTAL / PHASE_SECONDS ))
if [ "$PHASE_COUNT" -lt ${#PHASES[@]} ]; then PHASE_COUNT=${#PHASES[@]}; fi

start_daemon
echo "soak: ${SECONDS_TOTAL}s, $PHASE_COUNT phases of ${PHASE_SECONDS}s, $QPS q/s, daemon 127.0.0.1:$PORT, upstreams :$P1 :$P2, out $OUT"
RSS_START=""
RESTARTED=0
STALE_BEFORE=0
RESTART_MS=0
MODES_SEEN=""
for ((phase = 0; phase < PHASE_COUNT; phase++)); do
    read -r name m1 m2 <<<"${PHASES[phase % ${#PHASES[@]}]}"
    echo "$m1" >"$OUT/mode-p1"
    echo "$m2" >"$OUT/mode-p2"
    MODES_SEEN="$MODES_SEEN $m1/$m2"
    echo "  phase $((phase + 1))/$PHASE_COUNT $name (p1 $m1, p2 $m2)"
    if [ "$name" = restart ] && [ "$RESTARTED" = 0 ]; then
        third=$(( PHASE_SECONDS / 3 > 2 ? PHASE_SECONDS / 3 : 2 ))
        perf "$name-before" "$third"
        RSS_BEFORE_RESTART=$(rss)
        STALE_BEFORE=$(stale_count)
        # The restart window: a dnsperf run that spans SIGTERM → answering again.
        RUN=$((RUN + 1))
        queries "$RUN" >"$OUT/queries.txt"
        window_file="$OUT/$(printf 'run-%03d' "$RUN")-$name-window.txt"
        dnsperf -s 127.0.0.1 -p "$PORT" -d "$OUT/queries.txt" -l "$third" -Q "$QPS" -c 4 -q 200 -t 4 -v >"$window_file" 2>&1 &
        window_pid=$!
        sleep 0.5
        t0=$(date +%s%N)
        stop_daemon
        start_daemon
        RESTART_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
        wait "$window_pid" || true
        RESTARTED=1
        perf "$name-after" "$third"
        continue
    fi
    perf "$name" "$PHASE_SECONDS"
    if [ -z "$RSS_START" ]; then RSS_START=$(rss); fi
done
echo normal >"$OUT/mode-p1"
echo normal >"$OUT/mode-p2"
RSS_END=$(rss)
STALE_AFTER=$(stale_count)
stop_daemon
DAEMON_PID=""

cat >"$OUT/facts.txt" <<EOF
seconds=$SECONDS_TOTAL
qps=$QPS
names=$NAMES
ttl=$TTL
rss_start_kib=$RSS_START
rss_before_restart_kib=${RSS_BEFORE_RESTART:-?}
rss_end_kib=$RSS_END
stale_before_restart=$STALE_BEFORE
stale_after_restart=$STALE_AFTER
restart_ms=$RESTART_MS
modes=$(echo "$MODES_SEEN" | tr ' ' '\n' | tr '/' '\n' | sort -u | grep -v '^$' | tr '\n' ' ')
EOF
echo "== soak summary"
python3 scripts/soak-report.py report "$OUT"
