#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# The DoT row of `make bench` (issue 15): `BENCH_WORKLOADS=dot make bench`, or run this file
# (it then runs scripts/bench.sh with BENCH_WORKLOADS=dot). scripts/bench.sh sources it in its
# inner phase (loopback only, in its private network namespace when root) and calls wl_dot once
# per rep, then dot_report after its own report.
#
# The DoT server: a second nsd (4.6, pinned to core 1 like the bench's upstream nsd, one
# server process), serving the bench zone as plain DNS on 127.0.0.1:PORT_DOT_NSD and as DNS
# over TLS (nsd's tls-port) on 127.0.0.1:PORT_DOT_TLS, with a certificate for dot.test and
# 127.0.0.1 issued by a CA made here with openssl (EC P-256, as the tests' TestCertificates).
#
# The servers under test, each forwarding only to that DoT port and authenticating it (CA file,
# name dot.test); everything else as the miss sweep configures them (bench.sh's write_config,
# edited here: one thread pinned to core 0, 4 MiB listener buffers):
#   holdfast  the shipped defaults except threads = 1, the loopback listen address and one
#             provider: transport = "tls", tls_name = "dot.test", tls_ca_file = the CA
#   unbound   forward-zone "." with forward-tls-upstream: yes, forward-addr ...#dot.test,
#             tls-cert-bundle: the CA (its TCP/TLS stream reuse settings at their defaults)
#   dnsdist   newServer{tls="openssl", subjectName="dot.test", caStore=the CA,
#             validateCertificates=true}, SOA health checks of bench. every second (over TLS),
#             maxInFlight=DOT_DNSDIST_INFLIGHT queries per backend connection (dnsdist's
#             default, 0, sends one query at a time per connection and opens more for the rest)
#
# Rows (dnsperf -c 1 -q Q, Q in DOT_QS): a fresh server per row, so every name is a miss; each
# row asks its own slice of miss names, each name once, for at most DOT_SECONDS. Also, in the
# same rep and right before Holdfast's DoT Q = 1 row, Holdfast's plain-DNS miss at Q = 1 to the
# same nsd's plain port (workload dot_plain_q1), for the latency ratio.
# Each row starts with a warm-up: up to a second of dnsperf at the row's Q on fresh wildcard names
# (other names than the row's), so the connections a server opens to carry that load are open
# before the measured run; they are reported apart (accepts from the server's start to the end
# of the warm-up: its probe, health checks, warm-up).
# Per row as in the miss sweep: qps of correct answers, rcode mix, server CPU µs per correct miss
# (/proc utime+stime over dnsperf's run), dnsperf's average latency, p50/p99 from bench-tools'
# sampler right after (fresh names, same Q outstanding), the correctness gate (> 0.1 % of the
# queries without a correct answer fails the bench, exit 3). And TLS handshakes per 10,000
# queries: TCP connections the DoT nsd accepted during dnsperf's run (Tcp PassiveOpens in
# /proc/net/snmp, before and after; in the private namespace only these servers and the nsd
# are there, so that is exactly the DoT nsd's accepts: one connection, one handshake), divided
# by the queries dnsperf got answers for. The count starts after the warm-up, so a
# connection opened once and kept counts 0: "steady load".
# The same method for all three; for Holdfast also its own count from GET /upstreams
# (tls_handshakes, tls_resumed) over the same window, as a cross-check. dnsdist's health
# checks are real TLS connections to the server too, and are counted.
#
# The DoH line (issue 16): the same rows, Q by Q right after the DoT rows, for Holdfast and
# dnsdist (DOH_SERVERS) forwarding over DNS over HTTPS (HTTP/2 POST, path /dns-query) to one
# loopback DoH server: Unbound (https-port, one thread, pinned to core 1 like the nsd) serving
# the bench zone from an auth-zone (for-downstream: yes, for-upstream: no, the same zone file
# as the nsd), same certificate and CA. It never recurses: local-zone "." refuse, with
# "bench." transparent so the auth-zone answers it (local zones are looked at first), and the
# iterator only. Unbound rather than dnsdist's addDOHLocal in front of the nsd: one process
# answers from memory with no second hop, and the dnsdist under test does not also stand on
# the server's side. Its plain port (PORT_DOH_PLAIN) is only for the readiness probe.
# The servers under test:
#   holdfast  as for DoT, with transport = "https" (https_path at its default, /dns-query)
#   dnsdist   as for DoT, with dohPath="/dns-query" (maxInFlight is for DoT backends only;
#             dnsdist 1.7 sends DoH queries from its one outgoing DoH worker thread), and by
#             default TCP_NODELAY on the connections it opens (an LD_PRELOAD shim on connect(),
#             built here with cc): dnsdist 1.7.3 leaves Nagle on there and writes each DoH query
#             as two TLS records (HEADERS, then DATA), so the DATA waits for the server's delayed
#             ACK of the HEADERS: ~44 ms a query at Q = 1 (strace: no setsockopt on the socket).
#             dnsdist 1.8 sets TCP_NODELAY on its backend connections itself (PowerDNS/pdns#11734);
#             the shim does what that does. BENCH_DOH_DNSDIST_NODELAY=0 measures it stock.
# Workloads doh_q<Q>; the same figures (handshakes: the DoH Unbound's accepts), the same gate.
#
# Environment (besides bench.sh's):
#   BENCH_DOT_QS="1 10 200"                 the -q values
#   BENCH_DOT_SERVERS="holdfast unbound dnsdist"
#   BENCH_DOT_NAMES=N, BENCH_DOT_SECONDS=S  names per row (default the sweep's: 30,000; at most the
#                                           zone's 200,000) and the cap on a row's run (default 6 s)
#   BENCH_DOT_DNSDIST_INFLIGHT=N            dnsdist's maxInFlight on the DoT backend (default 200)
#   BENCH_DOH_SERVERS="holdfast dnsdist"    the DoH line's servers ("" = no DoH rows)
#   BENCH_DOH_DNSDIST_NODELAY=0             dnsdist over DoH stock, without the TCP_NODELAY shim
#                                           (its rows then run at ~23 qps at Q = 1, and the sampler
#                                           cannot ask its 2,000 names by its deadline: a FAIL)
#   BENCH_DOT_NODELAY=1                     run the DoT nsd with TCP_NODELAY on the connections it
#                                           accepts (an LD_PRELOAD shim built here with cc). nsd 4.6
#                                           leaves Nagle on: an answer written while the previous
#                                           one is unacknowledged waits for that ACK. Here that held
#                                           Unbound to ~3k qps at Q = 10 (7-8k with the shim), cost
#                                           Holdfast about a third there, and put Unbound's and
#                                           dnsdist's p99 at Q = 200 at ~45 ms (10-13 ms with it).
#                                           Off by default: the stock server is measured.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  exec env BENCH_WORKLOADS="${BENCH_WORKLOADS:-dot}" "$(dirname "$0")/bench.sh" "$@"
fi

DOT_QS=${BENCH_DOT_QS:-"1 10 200"}
DOT_SERVERS=${BENCH_DOT_SERVERS:-"holdfast unbound dnsdist"}
DOT_DNSDIST_INFLIGHT=${BENCH_DOT_DNSDIST_INFLIGHT:-200}
DOT_NAMES=${BENCH_DOT_NAMES:-$SWEEP_NAMES}
DOT_SECONDS=${BENCH_DOT_SECONDS:-$SWEEP_SECONDS}
[ "$DOT_NAMES" -le "$ZONE_MISS_NAMES" ] || DOT_NAMES=$ZONE_MISS_NAMES
DOT_NAME=dot.test
PORT_DOT_NSD=15320   # the DoT nsd's plain DNS port
PORT_DOT_TLS=15321   # its DNS-over-TLS port
DOT_DIR="$WORK/dot"
DOT_STARTED=0
DOT_SERVER_LABEL="nsd $(nsd -v 2>&1 | sed -n 's/^NSD version //p' | head -1), stock"
DOH_SERVERS=${BENCH_DOH_SERVERS-"holdfast dnsdist"}
DOH_PATH=/dns-query
PORT_DOH_PLAIN=15322 # the DoH Unbound's plain DNS port (readiness probe only)
PORT_DOH=15323       # its DNS-over-HTTPS port
DOH_STARTED=0
DOH_SERVER_LABEL="Unbound $(unbound -V 2>/dev/null | sed -n 's/^Version //p' | head -1), https-port + auth-zone, stock"
DOH_DNSDIST_NODELAY=${BENCH_DOH_DNSDIST_NODELAY:-1}
DOH_DNSDIST_PRELOAD=()   # set by dot_start_doh when the connect() shim is built
DOH_DNSDIST_LABEL="stock"

# The CA and the server certificate (TestCertificates' openssl commands).
dot_make_certs() {
  local d="$DOT_DIR/certs" curve=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  mkdir -p "$d"
  {
    openssl req -x509 "${curve[@]}" -keyout "$d/ca.key" -out "$d/ca.pem" -days 30 -subj "/CN=Holdfast bench CA" &&
    openssl req "${curve[@]}" -keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=$DOT_NAME" &&
    printf 'subjectAltName=DNS:%s,IP:127.0.0.1\n' "$DOT_NAME" > "$d/server.ext" &&
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
      -out "$d/server.pem" -days 30 -extfile "$d/server.ext"
  } >>"$LOGS/dot-openssl.log" 2>&1
}

# BENCH_DOT_NODELAY=1: a shim that sets TCP_NODELAY on every socket nsd accepts.
dot_build_nodelay() {
  cat > "$DOT_DIR/nodelay.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static int nodelay(int fd) {
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}
int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
    return nodelay(real(fd, addr, len, flags));
}
int accept(int fd, struct sockaddr *addr, socklen_t *len) {
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
    return nodelay(real(fd, addr, len));
}
EOF
  "${CC:-cc}" -shared -fPIC -O2 -o "$DOT_DIR/nodelay.so" "$DOT_DIR/nodelay.c" -ldl >>"$LOGS/dot-nodelay.log" 2>&1
}

# The DoH line's dnsdist: a shim that sets TCP_NODELAY on every TCP socket it connects (what
# dnsdist 1.8 does for its backend connections).
dot_build_connect_nodelay() {
  cat > "$DOT_DIR/connect-nodelay.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real) real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    int type = 0, one = 1;
    socklen_t size = sizeof type;
    if (addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) &&
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0 && type == SOCK_STREAM)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return real(fd, addr, len);
}
EOF
  "${CC:-cc}" -shared -fPIC -O2 -o "$DOT_DIR/connect-nodelay.so" "$DOT_DIR/connect-nodelay.c" -ldl >>"$LOGS/dot-nodelay.log" 2>&1
}

# The DoT nsd: the bench zone on the plain port and over TLS, one server process, core 1.
dot_start_nsd() {
  local d="$DOT_DIR/nsd"
  [ "$DOT_STARTED" = 1 ] && return 0
  mkdir -p "$d"
  dot_make_certs || { log "dot: openssl failed (see $LOGS/dot-openssl.log)"; return 1; }
  write_nsd_conf "$d" "$PORT_DOT_NSD" "$DATA/bench.zone"
  # nsd serves TLS on tls-port, on an ip-address line of its own.
  sed -i "/^  port: /a\\
  ip-address: 127.0.0.1@$PORT_DOT_TLS\\
  tls-port: $PORT_DOT_TLS\\
  tls-service-key: \"$DOT_DIR/certs/server.key\"\\
  tls-service-pem: \"$DOT_DIR/certs/server.pem\"" "$d/nsd.conf"
  grep -q "tls-port: $PORT_DOT_TLS" "$d/nsd.conf" || { log "dot: could not add tls-port to nsd.conf"; return 1; }
  local preload=()
  if [ "${BENCH_DOT_NODELAY:-0}" = 1 ]; then
    if dot_build_nodelay; then
      preload=(env LD_PRELOAD="$DOT_DIR/nodelay.so")
      DOT_SERVER_LABEL="${DOT_SERVER_LABEL%, stock}, TCP_NODELAY on accepted connections (LD_PRELOAD shim)"
    else
      log "dot: could not build the TCP_NODELAY shim (see $LOGS/dot-nodelay.log): stock nsd"
    fi
  fi
  setsid "${PIN_LOAD[@]}" "${preload[@]}" nsd -d -c "$d/nsd.conf" >>"$LOGS/nsd-dot.log" 2>&1 &
  PID[dot-nsd]=$!   # bench.sh's cleanup stops it with the rest
  probe "$PORT_DOT_NSD" 30 || { log "dot: the DoT nsd did not start (see $LOGS/nsd-dot.log)"; return 1; }
  # Its TLS port: one query over TLS, the name checked.
  if ! timeout 10 python3 - "$PORT_DOT_TLS" "$DOT_DIR/certs/ca.pem" "$DOT_NAME" <<'EOF' 2>>"$LOGS/nsd-dot.log"
import socket, ssl, struct, sys
port, ca, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x02ns\x05bench\x00" + struct.pack("!HH", 1, 1)
with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, ctx.wrap_socket(raw, server_hostname=name) as s:
    s.sendall(struct.pack("!H", len(q)) + q)
    n = struct.unpack("!H", s.recv(2))[0]
    reply = b""
    while len(reply) < n:
        reply += s.recv(n - len(reply))
    sys.exit(0 if reply[:2] == q[:2] and reply[3] & 15 == 0 else 1)
EOF
  then log "dot: the DoT nsd does not answer over TLS on $PORT_DOT_TLS (see $LOGS/nsd-dot.log)"; return 1; fi
  # A slice of miss names per Q, apart from the miss sweep's.
  local q i=0
  for q in $DOT_QS; do
    python3 "$TOOLS" queries --out "$DATA/dot-misses-q$q.txt" --prefix m --suffix miss.bench \
      --start $(( (ZONE_MISS_NAMES - (i + 1) * DOT_NAMES % ZONE_MISS_NAMES) % (ZONE_MISS_NAMES - DOT_NAMES + 1) )) \
      --count "$DOT_NAMES"
    i=$(( i + 1 ))
  done
  DOT_STARTED=1
  log "dot: nsd serving bench. on 127.0.0.1:$PORT_DOT_NSD (plain) and :$PORT_DOT_TLS (TLS, $DOT_NAME)"
}

# The DoH server: Unbound with https-port, the bench zone as an auth-zone, one thread, core 1.
# Uses the DoT nsd's certificate (dot_start_nsd makes it first).
dot_start_doh() {
  local d="$DOT_DIR/doh-unbound"
  [ "$DOH_STARTED" = 1 ] && return 0
  [ -s "$DOT_DIR/certs/server.pem" ] || { log "doh: no certificate (the DoT nsd did not start)"; return 1; }
  mkdir -p "$d"
  cat > "$d/unbound.conf" <<EOF
server:
  interface: 127.0.0.1@$PORT_DOH_PLAIN
  interface: 127.0.0.1@$PORT_DOH
  port: $PORT_DOH_PLAIN
  https-port: $PORT_DOH
  http-endpoint: "$DOH_PATH"
  tls-service-key: "$DOT_DIR/certs/server.key"
  tls-service-pem: "$DOT_DIR/certs/server.pem"
  num-threads: 1
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$d"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  # dnsdist's health checks open a connection a second; the default 10 slots could fill.
  incoming-num-tcp: 100
  module-config: "iterator"
  # Never recurse: refuse everything but the bench zone, which the auth-zone answers.
  local-zone: "." refuse
  local-zone: "bench." transparent
auth-zone:
  name: "bench."
  zonefile: "$DATA/bench.zone"
  for-downstream: yes
  for-upstream: no
  fallback-enabled: no
remote-control:
  control-enable: no
EOF
  if ! unbound-checkconf "$d/unbound.conf" >>"$LOGS/unbound-doh-server.log" 2>&1; then
    log "doh: unbound-checkconf rejected the DoH server's config (see $LOGS/unbound-doh-server.log)"; return 1
  fi
  setsid "${PIN_LOAD[@]}" unbound -d -c "$d/unbound.conf" >>"$LOGS/unbound-doh-server.log" 2>&1 &
  PID[doh-unbound]=$!   # bench.sh's cleanup stops it with the rest
  probe "$PORT_DOH_PLAIN" 60 || { log "doh: the DoH Unbound did not start (see $LOGS/unbound-doh-server.log)"; return 1; }
  # Its DoH port: one POST over HTTP/2 with curl (name checked, no proxy, no name lookup).
  if ! timeout 15 python3 - "$PORT_DOH" "$DOT_DIR/certs/ca.pem" "$DOT_NAME" "$DOH_PATH" <<'EOF' 2>>"$LOGS/unbound-doh-server.log"
import struct, subprocess, sys
port, ca, name, path = sys.argv[1:]
q = struct.pack("!HHHHHH", 0, 0x0100, 1, 0, 0, 0) + b"\x02ns\x05bench\x00" + struct.pack("!HH", 1, 1)
r = subprocess.run(["curl", "-s", "--max-time", "5", "--http2", "--noproxy", "*", "--cacert", ca,
                    "--resolve", f"{name}:{port}:127.0.0.1", "-H", "content-type: application/dns-message",
                    "-H", "accept: application/dns-message", "--data-binary", "@-", "-o", "-",
                    "-w", "%{stderr}%{http_code} %{http_version}", f"https://{name}:{port}{path}"],
                   input=q, capture_output=True, timeout=10)
status = r.stderr.decode(errors="replace").strip()
reply = r.stdout
ok = status == "200 2" and len(reply) > 12 and reply[3] & 15 == 0 and struct.unpack("!H", reply[6:8])[0] >= 1
if not ok:
    print(f"doh check: curl exit {r.returncode}, {status!r}, {len(reply)} bytes", file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
  then log "doh: the DoH Unbound does not answer over HTTP/2 on $PORT_DOH (see $LOGS/unbound-doh-server.log)"; return 1; fi
  if [ "$DOH_DNSDIST_NODELAY" = 1 ]; then
    if dot_build_connect_nodelay; then
      DOH_DNSDIST_PRELOAD=(env LD_PRELOAD="$DOT_DIR/connect-nodelay.so")
      DOH_DNSDIST_LABEL="TCP_NODELAY on its backend connections (LD_PRELOAD shim, as dnsdist 1.8 sets it)"
    else
      log "doh: could not build the connect() TCP_NODELAY shim (see $LOGS/dot-nodelay.log): stock dnsdist"
    fi
  fi
  DOH_STARTED=1
  log "doh: Unbound serving bench. over DNS over HTTPS on 127.0.0.1:$PORT_DOH$DOH_PATH ($DOT_NAME); dnsdist: $DOH_DNSDIST_LABEL"
}

# bench.sh's miss-sweep config for server s, pointed at the DoT nsd: over TLS (mode tls) or,
# for Holdfast, plain DNS (mode plain); or at the DoH Unbound over DNS over HTTPS (mode https).
dot_write_config() { # server dir mode
  local s=$1 dir=$2 mode=$3 ca="$DOT_DIR/certs/ca.pem"
  if [ "$s" = holdfast ]; then HOLDFAST_DEFAULTS=1 write_config "$s" "$dir" 400000
  else write_config "$s" "$dir" 400000; fi
  case $s:$mode in
    holdfast:plain)
      sed -i "s|\"127.0.0.1:$PORT_NSD\"|\"127.0.0.1:$PORT_DOT_NSD\"|" "$dir/holdfast.toml"
      grep -q "127.0.0.1:$PORT_DOT_NSD" "$dir/holdfast.toml" ;;
    holdfast:tls)
      sed -i -e "s|^name = \"nsd\"|name = \"nsd-tls\"\\ntransport = \"tls\"\\ntls_name = \"$DOT_NAME\"\\ntls_ca_file = \"$ca\"|" \
        -e "s|\"127.0.0.1:$PORT_NSD\"|\"127.0.0.1:$PORT_DOT_TLS\"|" "$dir/holdfast.toml"
      grep -q "127.0.0.1:$PORT_DOT_TLS" "$dir/holdfast.toml" && grep -q '^transport = "tls"' "$dir/holdfast.toml" ;;
    unbound:tls)
      sed -i -e "s|^server:|server:\\n  tls-cert-bundle: \"$ca\"|" \
        -e "s|^  forward-addr: 127.0.0.1@$PORT_NSD\$|  forward-tls-upstream: yes\\n  forward-addr: 127.0.0.1@$PORT_DOT_TLS#$DOT_NAME|" \
        "$dir/unbound.conf"
      grep -q "forward-addr: 127.0.0.1@$PORT_DOT_TLS#$DOT_NAME" "$dir/unbound.conf" ;;
    dnsdist:tls)
      sed -i "s|newServer({address=\"127.0.0.1:$PORT_NSD\",|newServer({address=\"127.0.0.1:$PORT_DOT_TLS\", tls=\"openssl\", subjectName=\"$DOT_NAME\", caStore=\"$ca\", validateCertificates=true, maxInFlight=$DOT_DNSDIST_INFLIGHT,|" \
        "$dir/dnsdist.conf"
      grep -q "tls=\"openssl\"" "$dir/dnsdist.conf" ;;
    holdfast:https)
      sed -i -e "s|^name = \"nsd\"|name = \"unbound-https\"\\ntransport = \"https\"\\ntls_name = \"$DOT_NAME\"\\ntls_ca_file = \"$ca\"|" \
        -e "s|\"127.0.0.1:$PORT_NSD\"|\"127.0.0.1:$PORT_DOH\"|" "$dir/holdfast.toml"
      grep -q "127.0.0.1:$PORT_DOH" "$dir/holdfast.toml" && grep -q '^transport = "https"' "$dir/holdfast.toml" ;;
    dnsdist:https)
      sed -i "s|newServer({address=\"127.0.0.1:$PORT_NSD\",|newServer({address=\"127.0.0.1:$PORT_DOH\", tls=\"openssl\", subjectName=\"$DOT_NAME\", caStore=\"$ca\", validateCertificates=true, dohPath=\"$DOH_PATH\",|" \
        "$dir/dnsdist.conf"
      grep -q "dohPath=\"$DOH_PATH\"" "$dir/dnsdist.conf" ;;
    *) false ;;
  esac || { log "dot: could not make the $mode config for $s from bench.sh's (did write_config change?)"; return 1; }
}

dot_start() { # server mode -> PID[server]; as bench.sh's start_server, with the DoT config
  local s=$1 mode=$2 dir="$WORK/$1" port=${PORT[$1]} preload=()
  rm -rf "$dir"; mkdir -p "$dir"
  dot_write_config "$s" "$dir" "$mode" || return 1
  [ "$s:$mode" = dnsdist:https ] && preload=("${DOH_DNSDIST_PRELOAD[@]}")
  case $s in
    holdfast) setsid "${PIN_SERVER[@]}" "$HOLDFASTD" --config "$dir/holdfast.toml" --log-level warning >>"$LOGS/holdfast-dot.log" 2>&1 & ;;
    unbound) setsid "${PIN_SERVER[@]}" unbound -d -c "$dir/unbound.conf" >>"$LOGS/unbound-dot.log" 2>&1 & ;;
    dnsdist) setsid "${PIN_SERVER[@]}" "${preload[@]}" dnsdist --supervised --disable-syslog -C "$dir/dnsdist.conf" >>"$LOGS/dnsdist-dot.log" 2>&1 & ;;
  esac
  PID[$s]=$!
  if ! probe "$port" 20; then
    log "dot: $s ($mode) did not answer on 127.0.0.1:$port (see $LOGS/$s-dot.log)"
    stop_server "$s"; return 1
  fi
}

tcp_passive_opens() { awk '/^Tcp:/ { if (!n++) { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i } else print $c }' /proc/net/snmp; }

# Holdfast's own counters (GET /upstreams), summed over its servers: {"handshakes", "resumed", "open"}.
holdfast_tls_counters() {
  curl -s --max-time 5 --unix-socket "$WORK/holdfast/control.sock" http://localhost/upstreams 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("{}"); sys.exit()
servers = []
def walk(x):
    if isinstance(x, dict):
        if "tls_handshakes" in x: servers.append(x)
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(d)
print(json.dumps({"handshakes": sum(s.get("tls_handshakes") or 0 for s in servers),
                  "resumed": sum(s.get("tls_resumed") or 0 for s in servers),
                  "open": sum(s.get("connections_open") or 0 for s in servers)}))'
}

dot_row() { # server mode rep q: one row, a fresh server (mode plain, tls or https)
  local s=$1 mode=$2 rep=$3 q=$4 port=${PORT[$1]} workload before after po0 po1 hf0='{}' hf1='{}'
  local file="$DATA/dot-misses-q$q.txt"
  case $mode in plain) workload="dot_plain_q$q" ;; https) workload="doh_q$q" ;; *) workload="dot_q$q" ;; esac
  local label=$DOT_SERVER_LABEL note=""
  [ "$mode" = https ] && label=$DOH_SERVER_LABEL
  [ "$s:$mode" = dnsdist:https ] && note="dnsdist: $DOH_DNSDIST_LABEL"
  local out="$LOGS/$s-$workload-$rep.txt" po_start
  po_start=$(tcp_passive_opens)
  dot_start "$s" "$mode" || return 1
  python3 "$TOOLS" queries --out "$WORK/dot-warm.txt" --prefix "w$q-$mode-r$rep-" --suffix mem.bench \
    --count "$(( q * 10 > 1000 ? q * 10 : 1000 ))"
  dnsperf_run "$port" "$WORK/dot-warm.out" -d "$WORK/dot-warm.txt" -n 1 -l 1 -c 1 -q "$q" -t 3
  [ "$s" = holdfast ] && hf0=$(holdfast_tls_counters)
  po0=$(tcp_passive_opens)
  before=$(cpu_of "${PID[$s]}")
  dnsperf_run "$port" "$out" -d "$file" -n 1 -l "$DOT_SECONDS" -c 1 -q "$q" -t 3
  after=$(cpu_of "${PID[$s]}")
  po1=$(tcp_passive_opens)
  [ "$s" = holdfast ] && hf1=$(holdfast_tls_counters)
  local verified sampled extra
  verified=$(verify "$port" --file "$file" --asked "$(sent_of "$out")")
  sampled=$("${PIN_LOAD[@]}" python3 "$TOOLS" sampler --port "$port" --zone "$DATA/bench.zone" \
    --prefix "d$q-$mode-r$rep-" --count "$(( q * 10 > 2000 ? (q * 10 > 5000 ? 5000 : q * 10) : 2000 ))" --window "$q" \
    2>>"$LOGS/verify.log" || echo '{}')
  extra=$(python3 - "$sampled" "$po0" "$po1" "$hf0" "$hf1" "$mode" "${BENCH_NETNS:-0}" "$po_start" "$label" "$note" <<'EOF'
import json, sys
sampled, po0, po1, hf0, hf1, mode, netns, po_start, label, note = sys.argv[1:]
out = json.loads(sampled or "{}")
out["transport"] = mode
out["dot_server"] = label
if note:
    out["client_note"] = note
if mode in ("tls", "https"):
    peer = "the DoT nsd's" if mode == "tls" else "the DoH Unbound's"
    out["tcp_accepts"] = int(po1) - int(po0)
    out["start_accepts"] = int(po0) - int(po_start)
    out["handshakes_counted_by"] = (f"Tcp PassiveOpens in the private network namespace ({peer} accepts)"
                                    if netns == "1" else "Tcp PassiveOpens on the host (not in a private namespace: an upper bound)")
    a, b = json.loads(hf0 or "{}"), json.loads(hf1 or "{}")
    if "handshakes" in a and "handshakes" in b:
        out["holdfast_tls_handshakes"] = b["handshakes"] - a["handshakes"]
        out["holdfast_tls_resumed"] = b["resumed"] - a["resumed"]
        out["holdfast_connections_open_after"] = b["open"]
print(json.dumps(out))
EOF
)
  local perf
  perf=$(python3 "$TOOLS" dnsperf "$out" --cpu-s "$(minus "$after" "$before")" --c 1 --q "$q" \
    --verify "$verified" --extra "$extra")
  perf=$(python3 -c '
import json, sys
m = json.loads(sys.argv[1])
if "tcp_accepts" in m and m.get("completed"):
    m["handshakes_per_10k"] = m["tcp_accepts"] * 10000 / m["completed"]
print(json.dumps(m))' "$perf")
  record "$s" "$workload" "$rep" "$perf"
  stop_server "$s"
}

wl_dot() { # rep: for each Q, Holdfast plain (Q = 1 only), each DoT server, then each DoH server,
  # close together in time
  local rep=$1 q s doh=1
  dot_start_nsd || { log "dot: no DoT server, skipping the DoT rows"; return 0; }
  if [ -n "${DOH_SERVERS// /}" ]; then
    dot_start_doh || { log "doh: no DoH server, skipping the DoH rows"; doh=0; }
  else doh=0; fi
  for q in $DOT_QS; do
    if [ "$q" = 1 ] && [[ " $DOT_SERVERS " == *" holdfast "* ]] && [[ " ${caching[*]} " == *" holdfast "* ]]; then
      log "rep $rep: holdfast plain-DNS misses -c 1 -q 1 (for the DoT latency ratio)"
      dot_row holdfast plain "$rep" 1 || true
    fi
    for s in $DOT_SERVERS; do
      [[ " ${caching[*]} " == *" $s "* ]] || continue
      log "rep $rep: $s DoT misses -c 1 -q $q"
      dot_row "$s" tls "$rep" "$q" || true
    done
    [ "$doh" = 1 ] || continue
    for s in $DOH_SERVERS; do
      [[ " ${caching[*]} " == *" $s "* ]] || continue
      log "rep $rep: $s DoH misses -c 1 -q $q"
      dot_row "$s" https "$rep" "$q" || true
    done
  done
}

# After bench.sh's report: the DoT table and the targets, appended to table.txt; the figures
# under "dot" in results.json.
dot_report() {
  python3 "$TOOLS" dot-report --raw "$RAW" --results "$OUT/results.json" --table "$OUT/table.txt" --qs "$DOT_QS" ||
    log "dot: the DoT report failed"
}
