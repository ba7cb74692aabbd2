#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# `make bench`: Holdfast side by side with Unbound and dnsdist (dnsmasq on request; and nsd
# answering directly, the floor), all forwarding to one nsd on loopback, in the same run.
#
# Listener receive buffers: 4 MiB for every server that can set one (Holdfast asks for 4 MiB
# itself; Unbound so-rcvbuf, dnsdist setUDPSocketBufferSizes; dnsmasq has no setting).
# dnsdist talks to the nsd over 8 sockets (newServer sockets=8): over its default one, the
# receive buffer of that socket overflowed under -q 512 (3-6 % of the misses lost, counted at
# that socket in /proc/net/udp) and dnsdist does not retry.
#
# Method (issue 7): each server under test runs ONE worker thread pinned to core 0
# (taskset -c 0); dnsperf and the upstream nsd run on core 1. Everything is on loopback, in a
# private network namespace when run as root (unshare --net), to servers this script starts.
# Workloads: cache hits (10k warmed names, full rate), misses (the miss sweep below), hit
# latency at 20k qps (avg, p99), memory (RSS after caching 1M names; Holdfast also: start to
# READY with them persisted), outage (1k warmed short-TTL names after expiry, upstream stopped
# and then silently dropping: fraction answered, p50/p99). Each figure REPS times, medians.
#
# Miss sweep (issue 13): `dnsperf -c 1 -q Q` for Q = 1, 10, 50, 200, 512 and `-c 8 -q 512`,
# a fresh server for every row (so every name is a miss) and every name asked once, for
# SWEEP_SERVERS (Holdfast with the shipped defaults except threads = 1, the loopback listen
# address and the nsd as its only upstream; dnsdist; Unbound). dnsmasq is left out by default:
# its listener's receive buffer cannot be set and overflows under -q 512 (1.6 % of the -c 8
# misses lost at its socket), which fails the check; add it with BENCH_SWEEP_SERVERS to see.
# Per row: qps of correct answers, the rcode mix,
# server CPU µs per correct miss (/proc/PID/stat utime+stime before and after, summed over the
# process tree), dnsperf's average latency (over every answer), and p50/p99 from a python
# sampler run right after on the same server: 2,000-5,000 fresh wildcard names (misses) with
# the same Q outstanding, every answer checked (dnsperf -v is not used: it slowed dnsperf
# itself 5-20x at -q 1). The sampler's figures include python's own ~tens of µs per query, the
# same for every server, and at high Q its rate is python's, below dnsperf's.
#
# Outage load (issue 16, workload outage_load): how many packets each server sends to failing
# upstreams per client query. Two fake providers (scripts/chaos-upstream.py on 127.0.1.1 and
# 127.0.2.1, counting every query they receive) serve n0..n1999.outage-load.bench (TTL 1 s);
# OUTAGE_LOAD_SERVERS (default holdfast unbound dnsmasq) forward to both, one server after the
# other, each freshly started: Holdfast with the shipped defaults except threads = 1, the
# loopback listen address, no cache file and the two fakes as providers "p1" and "p2"
# (serve-stale as shipped: client_timeout_ms 1800); Unbound with serve-expired: yes and
# serve-expired-client-timeout 1800 (both fakes in one forward-zone); dnsmasq, which has no
# client timeout for stale data but --use-stale-cache (expired data answered at once,
# refreshed behind it), with both as --server. Each of the two phases has 1,000 names of its
# own (n0-n999, n1000-n1999), the even-numbered half with stale data: per server, that half
# of both phases' names is asked once (warm; then two names the first provider drops, so a
# server that resends has heard from the second provider too, as on any real path), left to
# expire (2.5 s), then phase 1: the first
# provider silently drops every query while the second answers each after 400-600 ms; phase
# 2: both answer REFUSED. In each phase its 1,000 names are asked once at 200 qps from one
# socket (no client retries), then 3 s and 1.5 s more are waited. Figures per phase: queries
# the fakes received from the phase's start to its end, per client query (probes included);
# the share of the names with stale data answered correctly; the share of the other names
# answered (phase 1: the slow provider has every name, so the target is all; phase 2: nobody
# can answer them); the rcode mix; for Holdfast also the /stats and
# holdfast_upstream_requests_total{provider,outcome} deltas (raw.jsonl, logs/outage-load.log).
# Run once per bench (not REPS times; BENCH_OUTAGE_LOAD_REPS=N), about a minute (300 names per
# phase with BENCH_SHORT=1, where the outage's first second weighs more). Issue 16's target
# (Holdfast: at most 1.2 per query and fewer than every peer, every stale name answered, every
# name the slow provider can answer answered) is judged in the table, not in the exit status.
#
# Correctness: only correct answers count. A correct answer is NOERROR with the zone's data.
# Every dnsperf run reports dnsperf's rcode counts, and a sample of the names dnsperf asked
# (or, for the 20k-qps latency run, got NOERROR for) is re-asked and each reply's answer
# section compared with the zone file; NOERROR counts as correct in the proportion the sample
# does. (The re-asked answers come from the server's cache: what it kept from the run.) A run where more than 0.1 % of the queries sent have no correct answer (lost, SERVFAIL,
# anything else, or wrong data) is a FAIL: the table is still printed, with a FAIL line naming
# server, workload and rates, and the script exits 3. In the outage workload the fraction
# answered (correctly) is the figure; a wrong NOERROR there fails the run the same way.
#
# Environment:
#   BENCH_SHORT=1        smoke run (~3 minutes): short durations, fewer names, one rep
#   BENCH_QUICK=1        same as BENCH_SHORT=1
#   BENCH_REPS=N         repetitions per figure (default 3; 1 with BENCH_SHORT)
#   BENCH_SERVERS="..."  subset of: nsd holdfast unbound dnsmasq dnsdist (default: all but dnsmasq)
#   BENCH_WORKLOADS="..." subset of: hits latency misses memory outage outage_load dot (dot: DoT and
#                        DoH misses, opt-in; see scripts/bench-dot.sh)
#   BENCH_OUTAGE_LOAD_SERVERS="..." servers in the outage_load workload (default: holdfast unbound dnsmasq)
#   BENCH_OUTAGE_LOAD_REPS=N  runs of the outage_load workload (default 1)
#   BENCH_OUTAGE_LOAD_SLOW_MS=LO-HI  the slow provider's delay in the outage_load workload (400-600)
#   BENCH_SWEEP_SERVERS="..." servers in the miss workload, every row (default: holdfast dnsdist unbound)
#   BENCH_VERIFY_SAMPLE=N names re-asked and checked against the zone after each run (1000)
#   BENCH_OUT=DIR        output directory (default bench-out/): results.json, table.txt, logs
#   BENCH_SKIP_BUILD=1   use the existing release build of holdfastd
#   HOLDFASTD=PATH       use this holdfastd binary
#   BENCH_TRACE=1        trace the latency workload with perf tracepoints (root; the latency
#                        figures then include the tracing cost) and print, per server, the
#                        timeline from the kernel waking its thread to each reply and the client's
#                        side of each reply (logs/<server>-latency-<rep>.trace.txt)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/scripts/bench-tools.py"
OUT=${BENCH_OUT:-$ROOT/bench-out}
SHORT=${BENCH_SHORT:-${BENCH_QUICK:-0}}
# dnsmasq is not in the default set: its listener's receive buffer cannot be sized, and it
# lost 0.13-0.18 % of the hit and 20k-qps latency queries at that socket in every rep of a busy
# run (0.08-0.11 % on a quieter one), which fails the correctness check whatever Holdfast does.
# BENCH_SERVERS="nsd holdfast unbound dnsmasq dnsdist" brings it back (and such FAILs with it).
SERVERS=${BENCH_SERVERS:-"nsd holdfast unbound dnsdist"}
WORKLOADS=${BENCH_WORKLOADS:-"hits latency misses memory outage outage_load"}
OUTAGE_LOAD_SERVERS=${BENCH_OUTAGE_LOAD_SERVERS:-"holdfast unbound dnsmasq"}
OUTAGE_LOAD_REPS=${BENCH_OUTAGE_LOAD_REPS:-1}
SWEEP_SERVERS=${BENCH_SWEEP_SERVERS:-"holdfast dnsdist unbound"}
VERIFY_SAMPLE=${BENCH_VERIFY_SAMPLE:-1000}
SWEEP_QS="1 10 50 200 512"   # dnsperf -c 1 -q Q rows; then the -c 8 -q 512 row

if [ "$SHORT" = 1 ]; then
  REPS=${BENCH_REPS:-1}; HIT_SECONDS=3; LAT_SECONDS=2; MISS_NAMES=20000; MEM_NAMES=50000; OUTAGE_NAMES=300
  SWEEP_NAMES=5000; SWEEP_SECONDS=2
else
  REPS=${BENCH_REPS:-3}; HIT_SECONDS=10; LAT_SECONDS=5; MISS_NAMES=200000; MEM_NAMES=1000000; OUTAGE_NAMES=1000
  SWEEP_NAMES=30000; SWEEP_SECONDS=6
fi
# Each -c 1 row asks its own slice of SWEEP_NAMES miss names, for at most SWEEP_SECONDS
# (whichever ends first); the -c 8 -q 512 row asks all MISS_NAMES, for at most MISS_SECONDS.
MISS_SECONDS=30
HIT_NAMES=10000
ZONE_MISS_NAMES=200000
LAT_QPS=20000
OUTAGE_TTL=1          # seconds; the outage names expire this fast
OUTAGE_RATE=200       # qps of each paced outage client
OUTAGE_TAIL=3         # seconds the client waits after its last query
STALE_TIMEOUT_MS=1800 # serve-stale client timeout for every server that has one
OUTAGE_LOAD_NAMES=$([ "$SHORT" = 1 ] && echo 300 || echo 1000)   # per phase
OUTAGE_LOAD_ZONE=outage-load.bench
OUTAGE_LOAD_SLOW_MS=${BENCH_OUTAGE_LOAD_SLOW_MS:-400-600}  # the slow provider's delay, uniform

PORT_NSD=15300; PORT_NSD_DIRECT=15310
declare -A PORT=([holdfast]=15301 [unbound]=15302 [dnsmasq]=15303 [dnsdist]=15304 [nsd]=$PORT_NSD_DIRECT)
# The outage-load workload's two fake providers: "name address port" each.
OUTAGE_LOAD_FAKES=("p1 127.0.1.1 15321" "p2 127.0.2.1 15322")
# Where the servers under test forward, "name address port" per provider: the nsd, except in
# the outage-load workload.
FORWARD=("nsd 127.0.0.1 $PORT_NSD")

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
# shellcheck source=scripts/loopback-lib.sh
. "$ROOT/scripts/loopback-lib.sh"

# ---------------------------------------------------------------------------------------
# Outer phase: packages, build, data; then re-run inside a private network namespace.

install_packages() {
  local packages=(dnsperf nsd unbound dnsmasq-base dnsdist python3 util-linux iproute2)
  [ "${BENCH_TRACE:-0}" = 1 ] && packages+=(linux-perf)
  # Installing unbound/dnsdist may enable their units; they are not started (policy-rc.d).
  install_missing_packages "${packages[@]}"
}

build_holdfast() {
  if [ -n "${HOLDFASTD:-}" ]; then return 0; fi
  local bin
  if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    log "building holdfastd (release)"
    if ! (cd "$ROOT" && swift build -c release --product holdfastd >"$OUT/logs/build.log" 2>&1); then
      log "holdfastd release build failed (see $OUT/logs/build.log)"
    fi
  fi
  bin=$(cd "$ROOT" && swift build -c release --show-bin-path 2>/dev/null || true)
  HOLDFASTD="$bin/holdfastd"
}

make_data() {
  local d="$OUT/data"
  mkdir -p "$d"
  if [ ! -s "$d/bench.zone" ] || [ "$(cat "$d/.version" 2>/dev/null)" != "1:$OUTAGE_TTL" ]; then
    log "generating zone (${ZONE_MISS_NAMES} miss names, ${HIT_NAMES} hit names, wildcard)"
    python3 "$TOOLS" zone --out "$d/bench.zone" --hits "$HIT_NAMES" --misses "$ZONE_MISS_NAMES" \
      --outage 1000 --outage-ttl "$OUTAGE_TTL"
    echo "1:$OUTAGE_TTL" > "$d/.version"
  fi
  python3 "$TOOLS" queries --out "$d/hits.txt" --prefix h --suffix hit.bench --count "$HIT_NAMES"
  python3 "$TOOLS" queries --out "$d/misses.txt" --prefix m --suffix miss.bench --count "$MISS_NAMES"
  local q i=0
  for q in $SWEEP_QS; do
    python3 "$TOOLS" queries --out "$d/misses-q$q.txt" --prefix m --suffix miss.bench \
      --start $(( i * SWEEP_NAMES % (ZONE_MISS_NAMES - SWEEP_NAMES + 1) )) --count "$SWEEP_NAMES"
    i=$(( i + 1 ))
  done
  python3 "$TOOLS" queries --out "$d/memory.txt" --prefix x --suffix mem.bench --count "$MEM_NAMES"
  python3 "$TOOLS" queries --out "$d/outage.txt" --prefix o --suffix out.bench --count "$OUTAGE_NAMES"
  python3 "$TOOLS" chaos-zone --out "$d/outage-load.zone" --zone "$OUTAGE_LOAD_ZONE" --names $(( OUTAGE_LOAD_NAMES * 2 )) --ttl 1
}

if [ "${BENCH_INNER:-0}" != 1 ]; then
  mkdir -p "$OUT/logs"
  install_packages
  build_holdfast
  make_data
  export HOLDFASTD OUT REPS
  if [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
    log "running in a private network namespace (loopback only)"
    exec unshare --net -- env BENCH_INNER=1 BENCH_NETNS=1 "$0" "$@"
  fi
  log "not root: running on the host loopback (ports ${PORT_NSD}-${PORT_NSD_DIRECT})"
  exec env BENCH_INNER=1 "$0" "$@"
fi

# ---------------------------------------------------------------------------------------
# Inner phase.

[ "${BENCH_NETNS:-0}" = 1 ] && ip link set lo up
DATA="$OUT/data"
LOGS="$OUT/logs"
RAW="$OUT/raw.jsonl"
WORK=$(mktemp -d /tmp/holdfast-bench.XXXXXX)
: > "$RAW"
STARTED=$(date +%s)

if [ "$(nproc)" -ge 2 ]; then PIN_SERVER=(taskset -c 0); PIN_LOAD=(taskset -c 1)
else PIN_SERVER=(); PIN_LOAD=(); log "fewer than 2 cores: not pinning"; fi

declare -A PID=()   # server -> pid (process group leader)
declare -A FAKE_PID=()   # outage-load fake provider name -> pid (process group leader)
UPSTREAM_PID=""

kill_group() { # pid [signal]: signal the group, wait up to 30 s, then SIGKILL
  local pid=$1 sig=${2:-TERM} i
  [ -n "$pid" ] || return 0
  kill -CONT -- "-$pid" 2>/dev/null || true
  kill "-$sig" -- "-$pid" 2>/dev/null || return 0
  for ((i = 0; i < 300; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
}

cleanup() {
  local s
  for s in "${!PID[@]}"; do kill_group "${PID[$s]}"; done
  for s in "${!FAKE_PID[@]}"; do kill_group "${FAKE_PID[$s]}"; done
  kill_group "$UPSTREAM_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

probe() { python3 "$TOOLS" probe --port "$1" --name ns.bench. --timeout "${2:-10}"; }

# --- the authoritative ------------------------------------------------------------------

nsd_conf() { # dir port
  write_nsd_conf "$1" "$2" "$DATA/bench.zone"
}

start_upstream() {
  nsd_conf "$WORK/upstream" "$PORT_NSD"
  setsid "${PIN_LOAD[@]}" nsd -d -c "$WORK/upstream/nsd.conf" >>"$LOGS/nsd-upstream.log" 2>&1 &
  UPSTREAM_PID=$!
  probe "$PORT_NSD" 30 || { log "upstream nsd did not start (see $LOGS/nsd-upstream.log)"; exit 1; }
}
stop_upstream() { kill_group "$UPSTREAM_PID"; UPSTREAM_PID=""; }

# --- servers under test -----------------------------------------------------------------

holdfast_providers() { # FORWARD as [[upstream.provider]] tables, each after a blank line
  local f name address fport
  for f in "${FORWARD[@]}"; do
    read -r name address fport <<<"$f"
    printf '\n[[upstream.provider]]\nname = "%s"\nservers = ["%s:%s"]\n' "$name" "$address" "$fport"
  done
}

write_config() { # server dir cache_entries
  local s=$1 dir=$2 entries=$3 port=${PORT[$1]}
  mkdir -p "$dir"
  case $s in
    holdfast)
      if [ "${HOLDFAST_DEFAULTS:-0}" = 1 ]; then
        # The miss sweep and the outage load: the shipped defaults (config/holdfast.toml),
        # except one UDP thread, a loopback listen address, FORWARD as the providers (the nsd
        # alone for the sweep), no cache file, and a control socket in the run's directory.
        # cache.max_entries is the default 200,000.
        cat > "$dir/holdfast.toml" <<EOF
[server]
listen = ["127.0.0.1:$port"]
threads = 1
$(holdfast_providers)

[cache]
persist_path = ""

[control]
socket = "$dir/control.sock"
EOF
        return 0
      fi
      cat > "$dir/holdfast.toml" <<EOF
[server]
listen = ["127.0.0.1:$port"]
allow = ["127.0.0.0/8"]
threads = 1

[upstream]
policy = "failover"
timeout_ms = 1000
hedge_after_ms = 0
failure_threshold = 3
probe_interval_s = 5

[[upstream.provider]]
name = "nsd"
servers = ["127.0.0.1:$PORT_NSD"]

[cache]
max_entries = $entries
min_ttl_s = 0
max_ttl_s = 86400
negative_max_ttl_s = 3600
prefetch = false
persist_path = "${HOLDFAST_PERSIST:-}"
persist_interval_s = 86400

[cache.stale]
enabled = true
answer_ttl_s = 30
max_age_s = 86400
client_timeout_ms = $STALE_TIMEOUT_MS

[control]
socket = "$dir/control.sock"
metrics_listen = ""
EOF
      ;;
    unbound)
      # Cache sizes: room for `entries` names (about 1 KiB of message + rrset cache each).
      local mb=$(( entries / 1000 + 16 ))
      cat > "$dir/unbound.conf" <<EOF
server:
  interface: 127.0.0.1@$port
  port: $port
  num-threads: 1
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  do-ip6: no
  do-not-query-localhost: no
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  num-queries-per-thread: 4096
  outgoing-range: 8192
  so-rcvbuf: 4m
  msg-cache-size: ${mb}m
  rrset-cache-size: $(( mb * 2 ))m
  prefetch: no
  serve-expired: yes
  serve-expired-ttl: 86400
  serve-expired-client-timeout: $STALE_TIMEOUT_MS
remote-control:
  control-enable: no
forward-zone:
  name: "."
$(for f in "${FORWARD[@]}"; do read -r _ address fport <<<"$f"; echo "  forward-addr: $address@$fport"; done)
EOF
      ;;
    dnsdist)
      cat > "$dir/dnsdist.conf" <<EOF
setSecurityPollSuffix("")
setUDPSocketBufferSizes(4194304, 4194304)
setLocal("127.0.0.1:$port")
newServer({address="127.0.0.1:$PORT_NSD", checkName="bench.", checkType="SOA", checkInterval=1, maxCheckFailures=1, sockets=8})
pc = newPacketCache($entries, {maxTTL=86400, minTTL=0, staleTTL=30, numberOfShards=1})
getPool(""):setCache(pc)
setStaleCacheEntriesTTL(86400)
EOF
      ;;
  esac
}

start_server() { # server cache_entries -> PID[server]; returns 1 if it does not answer
  local s=$1 entries=$2 dir="$WORK/$1" port=${PORT[$1]}
  rm -rf "$dir"; mkdir -p "$dir"
  write_config "$s" "$dir" "$entries"
  case $s in
    nsd)
      nsd_conf "$dir" "$port"
      setsid "${PIN_SERVER[@]}" nsd -d -c "$dir/nsd.conf" >>"$LOGS/nsd.log" 2>&1 & ;;
    holdfast)
      setsid "${PIN_SERVER[@]}" "$HOLDFASTD" --config "$dir/holdfast.toml" --log-level warning >>"$LOGS/holdfast.log" 2>&1 & ;;
    unbound)
      setsid "${PIN_SERVER[@]}" unbound -d -c "$dir/unbound.conf" >>"$LOGS/unbound.log" 2>&1 & ;;
    dnsmasq)
      local stale=()
      dnsmasq --help 2>/dev/null | grep -q use-stale-cache && stale=(--use-stale-cache=86400)
      local upstreams=() f address fport
      for f in "${FORWARD[@]}"; do read -r _ address fport <<<"$f"; upstreams+=(--server="$address#$fport"); done
      setsid "${PIN_SERVER[@]}" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
        "${upstreams[@]}" --listen-address=127.0.0.1 --bind-interfaces --port="$port" \
        --cache-size="$entries" --dns-forward-max=4096 --pid-file= --user=root "${stale[@]}" \
        --log-facility=- >>"$LOGS/dnsmasq.log" 2>&1 & ;;
    dnsdist)
      setsid "${PIN_SERVER[@]}" dnsdist --supervised --disable-syslog -C "$dir/dnsdist.conf" >>"$LOGS/dnsdist.log" 2>&1 & ;;
  esac
  PID[$s]=$!
  if ! probe "$port" 20; then
    log "$s did not answer on 127.0.0.1:$port (see $LOGS/$s.log)"
    stop_server "$s"; return 1
  fi
  return 0
}

stop_server() { kill_group "${PID[$1]:-}"; unset "PID[$1]"; }

cpu_of() { python3 "$TOOLS" cpu "$1"; }
minus() { python3 -c 'import sys; print(float(sys.argv[1]) - float(sys.argv[2]))' "$1" "$2"; }
rss_of() { python3 "$TOOLS" rss "$1"; }

record() { # server workload rep json  (and logs a FAIL line at once if the run failed the check)
  python3 - "$1" "$2" "$3" "$4" >> "$RAW" <<'EOF'
import json, sys
print(json.dumps({"server": sys.argv[1], "workload": sys.argv[2], "rep": int(sys.argv[3]), "metrics": json.loads(sys.argv[4])}))
EOF
  local fail
  fail=$(python3 "$TOOLS" gate --server "$1" --workload "$2" --rep "$3" "$4")
  [ -z "$fail" ] || log "$fail"
}

# verify port ARGS...: re-asks VERIFY_SAMPLE names (verify --file F [--asked N] or
# --dnsperf-verbose OUT) and checks each answer against the zone; prints the JSON.
verify() {
  local port=$1; shift
  "${PIN_LOAD[@]}" python3 "$TOOLS" verify --port "$port" --zone "$DATA/bench.zone" --sample "$VERIFY_SAMPLE" "$@" \
    2>>"$LOGS/verify.log" || echo '{}'
}
sent_of() { python3 -c 'import re,sys; m=re.search(r"Queries sent:\s+(\d+)", open(sys.argv[1]).read()); print(m.group(1) if m else 0)' "$1"; }

udp_rcvbuf_errors() { awk '/^Udp:/ { if (++n == 2) print $6 }' /proc/net/snmp; }

# dnsperf's own sockets get 4 MiB buffers (-b, KiB): with its default a burst of replies to
# -q 512 overflowed dnsperf's receive buffer and counted as the server's lost queries.
# The drops are the kernel's count for the whole namespace and, per socket, at the server's
# listener, the nsd, and the server's sockets to the nsd (the rest: dnsperf's own sockets, or
# sockets closed meanwhile).
dnsperf_run() { # port outfile dnsperf-args...  (appends the kernel's UDP receive-buffer drops)
  local port=$1 outfile=$2 drops sockets; shift 2
  drops=$(udp_rcvbuf_errors)
  sockets=$(python3 "$TOOLS" udp-drops --listener "$port" --nsd "$PORT_NSD")
  "${PIN_LOAD[@]}" dnsperf -s 127.0.0.1 -p "$port" -b 4096 "$@" > "$outfile" 2>&1 || true
  echo "UDP receive buffer drops: $(( $(udp_rcvbuf_errors) - drops ))" >> "$outfile"
  echo "UDP receive buffer drops by socket: $(python3 "$TOOLS" udp-drops --listener "$port" --nsd "$PORT_NSD" \
    --since "$sockets")" >> "$outfile"
}

warm() { # port file
  dnsperf_run "$1" "$WORK/warm.out" -d "$2" -n 1 -q 100 -t 1
}

# --- workloads --------------------------------------------------------------------------

wl_hits_latency() { # server rep  (hits then latency, on one warmed instance)
  local s=$1 rep=$2 port=${PORT[$1]} before after out
  start_server "$s" 100000 || return 1
  warm "$port" "$DATA/hits.txt"
  if [[ " $WORKLOADS " == *" hits "* ]]; then
    out="$LOGS/$s-hits-$rep.txt"
    before=$(cpu_of "${PID[$s]}")
    dnsperf_run "$port" "$out" -d "$DATA/hits.txt" -l "$HIT_SECONDS" -c 8 -q 256 -t 1
    after=$(cpu_of "${PID[$s]}")
    record "$s" hits "$rep" "$(python3 "$TOOLS" dnsperf "$out" --cpu-s "$(minus "$after" "$before")" \
      --verify "$(verify "$port" --file "$DATA/hits.txt")")"
  fi
  if [[ " $WORKLOADS " == *" latency "* ]]; then
    out="$LOGS/$s-latency-$rep.txt"
    local tracer=""
    if [ "${BENCH_TRACE:-0}" = 1 ]; then
      # shellcheck disable=SC2046
      perf record -q -a $(python3 "$TOOLS" trace-events) -o "$LOGS/$s-latency-$rep.perf" >/dev/null 2>&1 &
      tracer=$!
      sleep 1
    fi
    dnsperf_run "$port" "$out" -d "$DATA/hits.txt" -l "$LAT_SECONDS" -Q "$LAT_QPS" -c 8 -q 256 -t 1 -v
    if [ -n "$tracer" ]; then
      kill -INT "$tracer"; wait "$tracer" || true
      python3 "$TOOLS" trace "$LOGS/$s-latency-$rep.perf" --server "$s" | tee "$LOGS/$s-latency-$rep.trace.txt" >&2
      rm -f "$LOGS/$s-latency-$rep.perf"
    fi
    record "$s" latency "$rep" "$(python3 "$TOOLS" dnsperf "$out" --verbose-latency \
      --verify "$(verify "$port" --dnsperf-verbose "$out")")"
    # per-query lines are large: keep the summary only
    grep -v '^> ' "$out" > "$out.tmp" && mv "$out.tmp" "$out"
  fi
  stop_server "$s"
}

wl_miss_row() { # server rep workload clients outstanding file seconds: one row of the miss sweep
  local s=$1 rep=$2 workload=$3 c=$4 q=$5 file=$6 seconds=$7 port=${PORT[$1]} before after perf
  local out="$LOGS/$1-$3-$2.txt"
  # A fresh server: every name of the row is a miss. Holdfast runs with the shipped defaults.
  if [ "$s" = holdfast ]; then HOLDFAST_DEFAULTS=1 start_server "$s" 400000 || return 1
  else start_server "$s" 400000 || return 1; fi
  before=$(cpu_of "${PID[$s]}")
  # No -v: dnsperf's per-query output slowed its own closed loop 5-20x at -q 1 here (3,000 ->
  # 300 qps against nsd). Latency percentiles come from the sampler below instead.
  dnsperf_run "$port" "$out" -d "$file" -n 1 -l "$seconds" -c "$c" -q "$q" -t 3
  after=$(cpu_of "${PID[$s]}")
  local verified sampled
  verified=$(verify "$port" --file "$file" --asked "$(sent_of "$out")")
  sampled=$("${PIN_LOAD[@]}" python3 "$TOOLS" sampler --port "$port" --zone "$DATA/bench.zone" \
    --prefix "s$q-c$c-r$rep-" --count "$(( q * 10 > 2000 ? (q * 10 > 5000 ? 5000 : q * 10) : 2000 ))" --window "$q" \
    2>>"$LOGS/verify.log" || echo '{}')
  perf=$(python3 "$TOOLS" dnsperf "$out" --cpu-s "$(minus "$after" "$before")" --c "$c" --q "$q" \
    --verify "$verified" --extra "$sampled")
  record "$s" "$workload" "$rep" "$perf"
  stop_server "$s"
}

wl_misses() { # rep: each sweep row for each SWEEP_SERVER in turn (so the servers of one row run
  # close together in time)
  local rep=$1 q s
  for q in $SWEEP_QS; do
    for s in "${caching[@]}"; do
      [[ " $SWEEP_SERVERS " == *" $s "* ]] || continue
      log "rep $rep: $s misses -c 1 -q $q"
      wl_miss_row "$s" "$rep" "miss_q$q" 1 "$q" "$DATA/misses-q$q.txt" "$SWEEP_SECONDS" || true
    done
  done
  for s in "${caching[@]}"; do
    [[ " $SWEEP_SERVERS " == *" $s "* ]] || continue
    log "rep $rep: $s misses -c 8 -q 512"
    wl_miss_row "$s" "$rep" misses 8 512 "$DATA/misses.txt" "$MISS_SECONDS" || true
  done
}

wl_memory() { # once per server: RSS after caching MEM_NAMES names
  local s=$1 port=${PORT[$1]} entries=$(( MEM_NAMES + MEM_NAMES / 10 )) before after out
  # Baseline: the same server, idle, with a 1,000-entry cache; so caches that allocate their
  # whole size at start (dnsmasq, dnsdist) are charged for it.
  start_server "$s" 1000 || return 1
  before=$(rss_of "${PID[$s]}")
  stop_server "$s"
  [ "$s" = holdfast ] && export HOLDFAST_PERSIST="$WORK/holdfast-cache.bin"
  if ! start_server "$s" "$entries"; then unset HOLDFAST_PERSIST; return 1; fi
  out="$LOGS/$s-memory.txt"
  dnsperf_run "$port" "$out" -d "$DATA/memory.txt" -n 1 -c 1 -q 100 -t 5
  sleep 1
  after=$(rss_of "${PID[$s]}")
  local verified; verified=$(verify "$port" --file "$DATA/memory.txt" --asked "$(sent_of "$out")")
  local ready_json='{}'
  if [ "$s" = holdfast ]; then
    stop_server holdfast   # SIGTERM persists the cache
    local size; size=$(stat -c %s "$HOLDFAST_PERSIST" 2>/dev/null || echo 0)
    ready_json=$(python3 "$TOOLS" start-ready --notify-socket "$WORK/notify.sock" --pidfile "$WORK/holdfast.pid" \
      --port "$port" --name ns.bench. --timeout 30 --log "$LOGS/holdfast.log" -- \
      "${PIN_SERVER[@]}" "$HOLDFASTD" --config "$WORK/holdfast/holdfast.toml" --log-level warning || echo '{}')
    PID[holdfast]=$(cat "$WORK/holdfast.pid")
    ready_json=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); d["persist_bytes"]=int(sys.argv[2]); print(json.dumps(d))' "$ready_json" "$size")
    stop_server holdfast
    unset HOLDFAST_PERSIST
  else
    stop_server "$s"
  fi
  record "$s" memory 1 "$(python3 - "$out" "$before" "$after" "$ready_json" "$s" "$TOOLS" "$verified" <<'EOF'
import json, sys, importlib.util
spec = importlib.util.spec_from_file_location("t", sys.argv[6]); t = importlib.util.module_from_spec(spec); spec.loader.exec_module(t)
perf = t.parse_dnsperf_text(open(sys.argv[1]).read())
before, after = int(sys.argv[2]), int(sys.argv[3])
ready = json.loads(sys.argv[4])
verify = json.loads(sys.argv[7] or "{}")
perf.update(t.correctness(perf, verify))
names = perf.get("correct") or 0
out = {"rss_mib": after / 1024, "rss_idle_mib": before / 1024, "names_cached": names,
       "bytes_per_name": (after - before) * 1024 / names if names else None, "fill_qps": perf.get("qps"),
       "fill_lost": perf.get("lost")}
for key in ("sent", "rcodes", "lost", "correct", "incorrect_fraction", "verify_sampled", "verify_ok", "verify_bad",
            "failed", "fail_reason"):
    out[key] = perf.get(key)
if "ready_s" in ready:
    out["ready_s"] = ready.get("ready_s"); out["via"] = ready.get("via"); out["persist_bytes"] = ready.get("persist_bytes")
    out["first_answer_s"] = ready.get("first_answer_s")
print(json.dumps(out))
EOF
)"
}

wl_outage() { # rep mode(stopped|silent): every caching server at once, one upstream outage
  local rep=$1 mode=$2 s pids=() started=()
  for s in "${caching[@]}"; do start_server "$s" 100000 && started+=("$s"); done
  for s in "${started[@]}"; do warm "${PORT[$s]}" "$DATA/outage.txt"; done
  sleep $(( OUTAGE_TTL + 1 )).5   # every warmed answer has expired
  if [ "$mode" = stopped ]; then stop_upstream; else kill -STOP -- "-$UPSTREAM_PID"; fi
  # One paced client per server, in parallel (200 qps each is light next to the servers).
  for s in "${started[@]}"; do
    "${PIN_LOAD[@]}" python3 "$TOOLS" paced --port "${PORT[$s]}" --file "$DATA/outage.txt" --rate "$OUTAGE_RATE" \
      --tail "$OUTAGE_TAIL" --zone "$DATA/bench.zone" > "$WORK/outage-$s.json" &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  if [ "$mode" = stopped ]; then start_upstream; else kill -CONT -- "-$UPSTREAM_PID"; fi
  for s in "${started[@]}"; do
    record "$s" "outage_$mode" "$rep" "$(cat "$WORK/outage-$s.json")"
    stop_server "$s"
  done
}

start_fakes() { # the outage-load providers, mode normal, counting into $WORK/fake-NAME.counts
  local f name address fport
  for f in "${OUTAGE_LOAD_FAKES[@]}"; do
    read -r name address fport <<<"$f"
    echo normal > "$WORK/fake-$name.mode"
    rm -f "$WORK/fake-$name.counts"
    setsid "${PIN_LOAD[@]}" python3 "$ROOT/scripts/chaos-upstream.py" --address "$address" --port "$fport" \
      --mode-file "$WORK/fake-$name.mode" --counts-file "$WORK/fake-$name.counts" --names $(( OUTAGE_LOAD_NAMES * 2 )) \
      --ttl 1 --zone "$OUTAGE_LOAD_ZONE" --slow-ms "$OUTAGE_LOAD_SLOW_MS" >>"$LOGS/fake-$name.log" 2>&1 &
    FAKE_PID[$name]=$!
  done
  for f in "${OUTAGE_LOAD_FAKES[@]}"; do
    read -r name _ _ <<<"$f"
    local i
    for ((i = 0; i < 100; i++)); do [ -s "$WORK/fake-$name.counts" ] && break; sleep 0.1; done
    [ -s "$WORK/fake-$name.counts" ] || { log "fake provider $name did not start (see $LOGS/fake-$name.log)"; return 1; }
  done
}
stop_fakes() { local name; for name in "${!FAKE_PID[@]}"; do kill_group "${FAKE_PID[$name]}"; unset "FAKE_PID[$name]"; done; }

wl_outage_load() { # rep: each OUTAGE_LOAD_SERVER in turn, freshly started, against the same two fakes
  local rep=$1 s phase f name address fport out
  local saved=("${FORWARD[@]}")
  FORWARD=("${OUTAGE_LOAD_FAKES[@]}")
  start_fakes || { FORWARD=("${saved[@]}"); stop_fakes; return 1; }
  local modes=() counts=()
  for f in "${OUTAGE_LOAD_FAKES[@]}"; do
    read -r name address fport <<<"$f"
    modes+=("$WORK/fake-$name.mode"); counts+=("$WORK/fake-$name.counts")
  done
  for s in $OUTAGE_LOAD_SERVERS; do
    if [ "$s" = holdfast ] && [ ! -x "${HOLDFASTD:-}" ]; then log "holdfast: not available (no binary)"; continue; fi
    log "rep $rep: $s outage load (first provider dropping + second slow, then both refusing)"
    if [ "$s" = holdfast ]; then HOLDFAST_DEFAULTS=1 start_server "$s" 100000 || continue
    else start_server "$s" 100000 || continue; fi
    out="$WORK/outage-load-$s-$rep"
    local control=()
    [ "$s" = holdfast ] && control=(--control-socket "$WORK/holdfast/control.sock")
    "${PIN_LOAD[@]}" python3 "$TOOLS" outage-load --port "${PORT[$s]}" --zone "$OUTAGE_LOAD_ZONE" \
      --zone-file "$DATA/outage-load.zone" --names "$OUTAGE_LOAD_NAMES" --ttl 1 --rate "$OUTAGE_RATE" \
      --tail "$OUTAGE_TAIL" --gap 1.5 --slow-ms "$OUTAGE_LOAD_SLOW_MS" --mode-files "${modes[@]}" \
      --counts-files "${counts[@]}" "${control[@]}" --out "$out" 2> >(sed "s/^/[$s] /" >> "$LOGS/outage-load.log") || true
    for phase in outage_load_drop_slow outage_load_refuse; do
      [ -s "$out/$phase.json" ] && record "$s" "$phase" "$rep" "$(cat "$out/$phase.json")"
    done
    stop_server "$s"
  done
  stop_fakes
  FORWARD=("${saved[@]}")
}

# --- run --------------------------------------------------------------------------------

log "output: $OUT; reps: $REPS; servers: $SERVERS; workloads: $WORKLOADS"
start_upstream

available=()
for s in $SERVERS; do
  if [ "$s" = holdfast ] && [ ! -x "${HOLDFASTD:-}" ]; then log "holdfast: not available (no binary)"; continue; fi
  if start_server "$s" 1000; then available+=("$s"); stop_server "$s"
  else log "$s: not available"; fi
done
caching=()
for s in "${available[@]}"; do [ "$s" = nsd ] || caching+=("$s"); done

has() { [[ " $WORKLOADS " == *" $1 "* ]]; }
# shellcheck source=scripts/bench-dot.sh
if has dot; then . "$ROOT/scripts/bench-dot.sh"; fi
for ((rep = 1; rep <= REPS; rep++)); do
  if has hits || has latency; then
    for s in "${available[@]}"; do
      # nsd answering directly is the floor, for reference: measured in the first rep only.
      [ "$s" = nsd ] && [ "$rep" -gt 1 ] && continue
      log "rep $rep: $s hits/latency"; wl_hits_latency "$s" "$rep" || true
    done
  fi
  if has misses; then
    wl_misses "$rep"
  fi
  if has dot; then wl_dot "$rep"; fi
  if has outage; then
    log "rep $rep: outage, upstream stopped (${caching[*]} at once)"; wl_outage "$rep" stopped || true
    log "rep $rep: outage, upstream silently dropping (${caching[*]} at once)"; wl_outage "$rep" silent || true
  fi
done
if has outage_load; then
  for ((rep = 1; rep <= OUTAGE_LOAD_REPS; rep++)); do wl_outage_load "$rep" || true; done
fi
if has memory; then
  for s in "${caching[@]}"; do log "$s memory ($MEM_NAMES names)"; wl_memory "$s" || true; done
fi

settings=$(python3 -c 'import json,sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
  reps "$REPS" hit_seconds "$HIT_SECONDS" latency_seconds "$LAT_SECONDS" latency_qps "$LAT_QPS" \
  miss_names "$MISS_NAMES" sweep_names "$SWEEP_NAMES" sweep_seconds "$SWEEP_SECONDS" sweep_qs "$SWEEP_QS" \
  sweep_servers "$SWEEP_SERVERS" verify_sample "$VERIFY_SAMPLE" memory_names "$MEM_NAMES" outage_names "$OUTAGE_NAMES" outage_ttl_s "$OUTAGE_TTL" \
  outage_rate_qps "$OUTAGE_RATE" stale_client_timeout_ms "$STALE_TIMEOUT_MS" short "$SHORT" \
  outage_load_servers "$OUTAGE_LOAD_SERVERS" outage_load_names "$OUTAGE_LOAD_NAMES" outage_load_slow_ms "$OUTAGE_LOAD_SLOW_MS" \
  netns "${BENCH_NETNS:-0}" elapsed_s "$(( $(date +%s) - STARTED ))" \
  versions "$(printf '%s; ' "$(unbound -V 2>/dev/null | head -1)" "$(dnsmasq --version 2>/dev/null | head -1)" \
    "$(dnsdist --version 2>/dev/null | head -1)" "$(nsd -v 2>&1 | head -1)" "$(dnsperf -h 2>&1 | grep -m1 Version)")")
echo
status=0
python3 "$TOOLS" report --raw "$RAW" --out "$OUT/results.json" --table "$OUT/table.txt" --settings "$settings" || status=$?
if has dot; then dot_report; fi
elapsed=$(( $(date +%s) - STARTED ))
log "done in $elapsed s; JSON: $OUT/results.json; table: $OUT/table.txt"
[ "$elapsed" -gt 900 ] && log "warning: over the 15-minute budget; is the machine busy? (load: $(cut -d' ' -f1-3 /proc/loadavg))"
if [ "$status" -ne 0 ]; then
  log "FAILED: some runs had more than 0.1 % of queries without a correct answer (FAIL lines above); exit $status"
fi
exit "$status"
