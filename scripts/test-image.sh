#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# `make test-image`: checks the OCI image `make image` left in $IMAGE_OUT (image-out/) as a
# cluster would meet it, with Debian's tools only (no registry):
#  1. skopeo inspect: an OCI image for linux/ARCH, one layer, user 953:953, entrypoint holdfastd
#     with /etc/holdfast/holdfast.toml, stop signal SIGTERM, no exposed ports.
#  2. umoci unpacks it: holdfastd carries cap_net_bind_service=ep (the xattr survived the
#     layer), the holdfast user is 953, the shipped config passes --check-config, no apt,
#     apt lists, manual pages or docs but copyright files, no Swift toolchain; sizes reported.
#  3. podman (runc) loads the archive and runs it as Kubernetes would run the DaemonSet's
#     container: --network host (in a private network namespace this script makes, where only
#     loopback exists), user 953, every capability dropped but NET_BIND_SERVICE,
#     no-new-privileges, read-only root, the config mounted at /etc/holdfast, its own
#     /run/holdfast. The daemon binds 127.0.0.1:53 and forwards to an nsd on a loopback port:
#     dig gets the answer over UDP and TCP; holdfastctl in the container reports status and the
#     probes (`probe live`, `probe ready`) pass; /proc shows the process with only
#     CAP_NET_BIND_SERVICE. Then a second container starts on the same address (the surge pod
#     of a rolling update), the first is stopped (SIGTERM) under a stream of queries, and no
#     query is lost. Without NET_BIND_SERVICE the container does not start.
# Bounded: killed after TEST_IMAGE_TIMEOUT_S (default 600 s). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

if [ -z "${HOLDFAST_TEST_IMAGE_NETNS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "test-image: FAIL: run as root (unshare, podman)" >&2; exit 1; }
  export HOLDFAST_TEST_IMAGE_NETNS=1
  # The whole test in a private network namespace with only loopback: no query can leave it.
  exec timeout --signal=TERM --kill-after=30 "${TEST_IMAGE_TIMEOUT_S:-600}" unshare --net "$0" "$@"
fi
ip link set lo up

log() { printf 'test-image: %s\n' "$*"; }
die() { printf 'test-image: FAIL: %s\n' "$*" >&2; exit 1; }
for tool in skopeo umoci podman runc getcap nsd dig python3; do
  command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh --image"
done

VERSION=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog)
ARCH=$(dpkg --print-architecture)
ARCHIVE=$REPO/${IMAGE_OUT:-image-out}/holdfast-image_$VERSION.tar
[ -s "$ARCHIVE" ] || die "no $ARCHIVE: run make image"
IMAGE=localhost/holdfast:$VERSION

passed=0 failed=0
ok()   { passed=$((passed + 1)); printf 'ok - %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL - %s\n' "$*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }

WORK=$(mktemp -d /var/tmp/holdfast-test-image.XXXXXX)
NSD_PGID=""
CONTAINERS=()
RUNC_IDS=()
# podman as on a plain root machine, but with runc (crun refuses a cgroup v1/v2 hybrid) and
# rlimits no higher than this process's own (raising them needs CAP_SYS_RESOURCE).
PODMAN=(podman --runtime "$(command -v runc)")
RUN_LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local c
  for c in "${CONTAINERS[@]}"; do "${PODMAN[@]}" rm -f -t 5 "$c" >/dev/null 2>&1 || true; done
  for c in "${RUNC_IDS[@]}"; do runc delete -f "$c" >/dev/null 2>&1 || true; done
  "${PODMAN[@]}" rmi -f "$IMAGE" >/dev/null 2>&1 || true
  [ -n "$NSD_PGID" ] && kill -TERM -- "-$NSD_PGID" 2>/dev/null || true
  for c in "${MOUNTED[@]}"; do umount "$c" || umount -l "$c"; done
  if [ -n "${KEEP_TEST_IMAGE:-}" ]; then echo "test-image: kept $WORK" >&2; else rm -rf --one-file-system "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'echo "test-image: FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'echo "test-image: FAIL: interrupted or timed out" >&2; exit 124' INT TERM

wait_for() {  # wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.1; done
}

# ---------------------------------------------------------------------------------------------
log "--- skopeo inspect oci-archive:$(basename "$ARCHIVE")"
skopeo inspect "oci-archive:$ARCHIVE" > "$WORK/inspect.json"
skopeo inspect --config "oci-archive:$ARCHIVE" > "$WORK/config.json"
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("print(json.dumps(" + sys.argv[2] + "))")' "$@"; }
check "skopeo: an image for linux/$ARCH" [ "$(field "$WORK/inspect.json" '[d["Os"], d["Architecture"]]')" = "[\"linux\", \"$ARCH\"]" ]
check "skopeo: one layer" [ "$(field "$WORK/inspect.json" 'len(d["Layers"])')" = 1 ]
check "skopeo: runs as user 953:953 (holdfast)" [ "$(field "$WORK/config.json" 'd["config"]["User"]')" = '"953:953"' ]
check "skopeo: entrypoint holdfastd --config /etc/holdfast/holdfast.toml" \
  [ "$(field "$WORK/config.json" 'd["config"]["Entrypoint"]')" = '["/usr/sbin/holdfastd", "--config", "/etc/holdfast/holdfast.toml"]' ]
check "skopeo: stop signal SIGTERM, no exposed ports" \
  [ "$(field "$WORK/config.json" '[d["config"].get("StopSignal"), d["config"].get("ExposedPorts")]')" = '["SIGTERM", null]' ]
check "skopeo: labelled with version $VERSION" \
  [ "$(field "$WORK/inspect.json" 'd["Labels"]["org.opencontainers.image.version"]')" = "\"$VERSION\"" ]
skopeo inspect --raw "oci-archive:$ARCHIVE" > "$WORK/manifest.json"
compressed=$(field "$WORK/manifest.json" 'sum(l["size"] for l in d["layers"])')

# ---------------------------------------------------------------------------------------------
log "--- umoci unpack"
mkdir "$WORK/layout"
tar -C "$WORK/layout" -xf "$ARCHIVE"
tags=$(umoci ls --layout "$WORK/layout")
check "umoci: the archive's image is tagged holdfast:$VERSION ($tags)" [ "$tags" = "holdfast:$VERSION" ]
umoci stat --image "$WORK/layout:holdfast:$VERSION" > "$WORK/stat.txt"
umoci unpack --image "$WORK/layout:holdfast:$VERSION" "$WORK/bundle" > /dev/null
R=$WORK/bundle/rootfs
# Programs run in the unpacked tree need /proc: the Swift runtime reads its arguments from
# /proc/self/cmdline, and without it `holdfastd --check-config` would start the daemon.
mount -t proc proc "$R/proc"
MOUNTED=("$R/proc")
in_tree() { timeout 20 chroot "$R" "$@"; }
check "holdfastd has the file capability cap_net_bind_service=ep (and no other)" \
  [ "$(getcap "$R/usr/sbin/holdfastd" | awk '{print $2}')" = cap_net_bind_service=ep ]
check "holdfast user and group are 953" \
  bash -c "grep -qx 'holdfast:x:953:953:Holdfast DNS resolver:/var/lib/holdfast:/usr/sbin/nologin' '$R/etc/passwd' && grep -q '^holdfast:x:953:' '$R/etc/group'"
check "/var/lib/holdfast and /run/holdfast belong to holdfast" \
  [ "$(stat -c %u:%g "$R/var/lib/holdfast") $(stat -c %u:%g "$R/run/holdfast")" = "953:953 953:953" ]
check "holdfastd --version in the image prints $VERSION" [ "$(in_tree /usr/sbin/holdfastd --version)" = "$VERSION" ]
check "the image's /etc/holdfast/holdfast.toml passes --check-config" \
  in_tree /usr/sbin/holdfastd --check-config --config /etc/holdfast/holdfast.toml
check "holdfastctl and ip are in the image" [ -x "$R/usr/bin/holdfastctl" ] && [ -x "$R/usr/bin/ip" -o -x "$R/bin/ip" ]
check "no apt, no apt lists or caches" \
  bash -c "[ ! -e '$R/usr/bin/apt-get' ] && [ -z \"\$(find '$R/var/lib/apt/lists' '$R/var/cache/apt' -type f 2>/dev/null)\" ]"
check "no manual pages, info pages or translations; docs are copyright files only" \
  bash -c "[ -z \"\$(find '$R/usr/share/man' '$R/usr/share/info' '$R/usr/share/locale' -type f 2>/dev/null)\" ] && [ -z \"\$(find '$R/usr/share/doc' -type f ! -name copyright)\" ]"
check "no Swift toolchain or runtime library" \
  bash -c "[ ! -e '$R/opt/swift' ] && [ -z \"\$(find '$R' -xdev -name 'libswift*' -print -quit)\" ]"
check "holdfastd's libraries all resolve in the image" bash -c "out=\$(timeout 20 chroot '$R' /usr/bin/ldd /usr/sbin/holdfastd) && ! grep -q 'not found' <<<\"\$out\""
umount "$R/proc"; MOUNTED=()
unpacked=$(du -s --apparent-size --block-size=1 "$R" | cut -f1)
log "sizes: archive $(stat -c %s "$ARCHIVE") bytes, compressed layer $compressed bytes, unpacked $unpacked bytes"
log "largest in the image: $(cd "$R" && du -s --apparent-size --block-size=1K usr/sbin/holdfastd usr/bin/holdfastctl usr/lib/x86_64-linux-gnu usr/share usr/bin 2>/dev/null | sort -rn | awk '{printf "%s %d KiB; ", $2, $1}')"

# ---------------------------------------------------------------------------------------------
log "--- podman: the image run as the DaemonSet runs it, in a private network namespace"
NSD_PORT=5301
ZONE=image.holdfast.test
ANSWER=192.0.2.53
mkdir -p "$WORK/nsd"
cat > "$WORK/nsd/$ZONE.zone" <<ZONEFILE
\$ORIGIN $ZONE.
\$TTL 300
@    IN SOA ns.$ZONE. hostmaster.$ZONE. 1 3600 600 86400 300
@    IN NS  ns.$ZONE.
ns   IN A   127.0.0.1
www  IN A   $ANSWER
ZONEFILE
for i in $(seq 1 3000); do echo "q$i IN A 192.0.2.$((i % 250 + 1))"; done >> "$WORK/nsd/$ZONE.zone"
cat > "$WORK/nsd/nsd.conf" <<NSDCONF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  port: $NSD_PORT
  username: ""
  chroot: ""
  database: ""
  server-count: 1
  verbosity: 1
  zonesdir: "$WORK/nsd"
  zonelistfile: "$WORK/nsd/zone.list"
  xfrdfile: "$WORK/nsd/xfrd.state"
  xfrdir: "$WORK/nsd"
  pidfile: "$WORK/nsd/nsd.pid"
  logfile: "$WORK/nsd/nsd.log"
remote-control:
  control-enable: no
zone:
  name: "$ZONE."
  zonefile: "$ZONE.zone"
NSDCONF
setsid nsd -d -c "$WORK/nsd/nsd.conf" > "$WORK/nsd/nsd.stdout" 2>&1 &
NSD_PGID=$!
wait_for 20 bash -c "[ \"\$(dig @127.0.0.1 -p $NSD_PORT +short +time=1 +tries=1 www.$ZONE A)\" = $ANSWER ]" \
  || { cat "$WORK/nsd/nsd.log" 2>/dev/null; die "nsd did not answer"; }

# The config an operator would mount from the ConfigMap, for loopback.
mkdir -p "$WORK/etc"
cat > "$WORK/etc/holdfast.toml" <<TOML
[server]
listen = ["127.0.0.1:53"]
allow = ["127.0.0.0/8"]
threads = 2
[[upstream.provider]]
name = "loopback-nsd"
servers = ["127.0.0.1:$NSD_PORT"]
[cache]
persist_path = "/var/lib/holdfast/cache.bin"
[control]
socket = "/run/holdfast/control.sock"
metrics_listen = "127.0.0.1:9253"
TOML
chmod 0644 "$WORK/etc/holdfast.toml"

"${PODMAN[@]}" load -q -i "$ARCHIVE" > "$WORK/load.txt" 2>&1 || { cat "$WORK/load.txt"; die "podman load failed"; }
loaded=$("${PODMAN[@]}" image inspect --format '{{.RepoTags}}' "$IMAGE" 2>/dev/null || true)
check "podman load: the archive is image $IMAGE ($loaded)" [ -n "$loaded" ]

# start NAME [EXTRA-PODMAN-OPTION...]: the DaemonSet's container: the pod's own /run/holdfast
# and /var/lib/holdfast (emptyDirs), the config read-only, non-root, only NET_BIND_SERVICE.
start() {
  local name=$1; shift
  mkdir -p "$WORK/$name/run" "$WORK/$name/state"
  chown 953:953 "$WORK/$name/run" "$WORK/$name/state"
  CONTAINERS+=("$name")
  "${PODMAN[@]}" run -d --name "$name" --network host "${RUN_LIMITS[@]}" \
    --user 953:953 --cap-drop all --cap-add net_bind_service --security-opt no-new-privileges \
    --read-only -v "$WORK/etc:/etc/holdfast:ro" -v "$WORK/$name/run:/run/holdfast" \
    -v "$WORK/$name/state:/var/lib/holdfast" "$@" "$IMAGE"
}
ctl() { local name=$1; shift; "${PODMAN[@]}" exec "$name" holdfastctl --socket /run/holdfast/control.sock "$@"; }
answers() {  # answers [DIG-OPTION...]: dig gets $ANSWER for www.$ZONE from 127.0.0.1:53
  [ "$(dig @127.0.0.1 -p 53 +short +time=2 +tries=1 "$@" "www.$ZONE" A)" = "$ANSWER" ]
}

start holdfast-a > "$WORK/a.id" 2> "$WORK/a.err" || { cat "$WORK/a.err"; die "podman run failed"; }
if ! wait_for 30 ctl holdfast-a status; then
  "${PODMAN[@]}" logs holdfast-a 2>&1 | tail -20
  die "the daemon in the container did not come up"
fi
check "dig @127.0.0.1 (port 53, UDP) is answered by the container's daemon" answers
check "dig +tcp @127.0.0.1 (port 53) is answered" answers +tcp
check "holdfastctl status in the container exits 0" ctl holdfast-a status
check "holdfastctl probe live (the liveness probe) exits 0" ctl holdfast-a probe live
check "holdfastctl probe ready (the readiness probe) exits 0" ctl holdfast-a probe ready
pid=$("${PODMAN[@]}" inspect --format '{{.State.Pid}}' holdfast-a)
status=$(grep -E '^(Uid|CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs):' "/proc/$pid/status" | tr -s '\t ' ' ')
log "container process: $(tr '\n' ';' <<<"$status")"
check "the daemon runs as 953 with only CAP_NET_BIND_SERVICE (effective, permitted, bounding), no ambient, no_new_privs" \
  [ "$(awk '/^Uid/{print $2} /^Cap(Eff|Prm|Bnd|Amb)/{print $2} /^NoNewPrivs/{print $2}' <<<"$status" | tr '\n' ' ')" \
    = "953 0000000000000400 0000000000000400 0000000000000400 0000000000000000 1 " ]
check "metrics on metrics_listen (GET /metrics) count the queries" \
  bash -c "python3 -c 'import urllib.request; print(urllib.request.urlopen(\"http://127.0.0.1:9253/metrics\", timeout=5).read().decode())' | grep -q '^holdfast_queries_total'"

log "--- the rolling update in miniature: a second container on the same address, the first stopped under load"
start holdfast-b > "$WORK/b.id" 2> "$WORK/b.err" || { cat "$WORK/b.err"; die "podman run of the second container failed"; }
if wait_for 30 ctl holdfast-b probe ready; then
  ok "a second container starts on 127.0.0.1:53 beside the first (SO_REUSEPORT) and is ready"
else
  fail "a second container starts on 127.0.0.1:53 beside the first (SO_REUSEPORT) and is ready"
  "${PODMAN[@]}" logs holdfast-b 2>&1 | tail -5 | sed 's/^/  holdfast-b: /'
fi
# A stream of queries (UDP, 200 a second, each answer awaited up to 2 s) while the first
# container is stopped (SIGTERM, as the kubelet stops the old pod).
python3 - "$ZONE" > "$WORK/stream.txt" 2>&1 <<'PY' &
import socket, struct, sys, time, random
zone = sys.argv[1]
sent = answered = wrong = 0
deadline = time.monotonic() + 8
i = 0
while time.monotonic() < deadline and i < 3000:
    i += 1
    name = f"q{i}.{zone}."
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"".join(
        bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(q, ("127.0.0.1", 53))
    sent += 1
    try:
        while True:
            r, _ = s.recvfrom(4096)
            if r[:2] == q[:2]:
                break
        rcode = r[3] & 15
        ancount = struct.unpack(">H", r[6:8])[0]
        if rcode == 0 and ancount >= 1:
            answered += 1
        else:
            wrong += 1
    except socket.timeout:
        pass
    s.close()
    time.sleep(0.005)
print(f"sent={sent} answered={answered} wrong={wrong}")
PY
stream=$!
sleep 2
"${PODMAN[@]}" stop -t 30 holdfast-a > /dev/null
exit_code=$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' holdfast-a)
wait "$stream"
log "stream during the handover: $(cat "$WORK/stream.txt")"
check "the first container exits 0 on SIGTERM" [ "$exit_code" = 0 ]
check "no query lost or failed while the first container stopped ($(cat "$WORK/stream.txt"))" \
  bash -c "read -r s a w <<<\"\$(tr '=' ' ' < '$WORK/stream.txt' | awk '{print \$2, \$4, \$6}')\"; [ \"\$s\" -ge 100 ] && [ \"\$a\" = \"\$s\" ] && [ \"\$w\" = 0 ]"
check "the second container still answers" answers
check "the first container wrote its cache snapshot on the way out" [ -s "$WORK/holdfast-a/state/cache.bin" ]
"${PODMAN[@]}" rm -f -t 5 holdfast-b > /dev/null

log "--- runc, with the container configured as Kubernetes' CRI configures the DaemonSet's (no ambient capabilities)"
# podman gives a non-root process the added capabilities as ambient ones too, so above the file
# capability was not needed. containerd and CRI-O do not: a non-root process gets
# NET_BIND_SERVICE only from holdfastd's file capability, which no_new_privs does not cancel
# because the capability is in the permitted set runc hands over. The bundle umoci unpacked
# above, with that process configuration, the host network (this script's namespace) and the
# pod's volumes; then once more with the file capability removed, where the bind must fail.
mkdir -p "$WORK/cri/run" "$WORK/cri/state"
chown 953:953 "$WORK/cri/run" "$WORK/cri/state"
python3 - "$WORK/bundle/config.json" "$WORK" <<'PY2'
import json, sys
path, work = sys.argv[1], sys.argv[2]
c = json.load(open(path))
p = c["process"]
p["terminal"] = False
p["user"] = {"uid": 953, "gid": 953}
p["noNewPrivileges"] = True
p["capabilities"] = {k: ["CAP_NET_BIND_SERVICE"] for k in ("bounding", "effective", "permitted")}
p["capabilities"].update(inheritable=[], ambient=[])
p["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
c["root"]["readonly"] = True
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
c["linux"].pop("resources", None)
c["mounts"] += [
    {"destination": "/etc/holdfast", "type": "bind", "source": f"{work}/etc", "options": ["rbind", "ro"]},
    {"destination": "/run/holdfast", "type": "bind", "source": f"{work}/cri/run", "options": ["rbind", "rw"]},
    {"destination": "/var/lib/holdfast", "type": "bind", "source": f"{work}/cri/state", "options": ["rbind", "rw"]},
]
json.dump(c, open(path, "w"), indent=1)
PY2
runc_start() {  # runc_start ID: the bundle, detached, output in $WORK/ID.log
  RUNC_IDS+=("$1")
  runc run -d -b "$WORK/bundle" "$1" < /dev/null > "$WORK/$1.log" 2>&1
}
runc_stop() { runc kill "$1" TERM 2>/dev/null || true; wait_for 30 bash -c "! runc state '$1' 2>/dev/null | grep -q '\"status\": \"running\"'"; runc delete -f "$1" 2>/dev/null || true; }
ctl_cri() { "$R/usr/bin/holdfastctl" --socket "$WORK/cri/run/control.sock" "$@"; }
if runc_start holdfast-cri && wait_for 30 ctl_cri status; then
  check "runc, CRI-like (no ambient caps): dig @127.0.0.1 port 53 is answered" answers
  cri_pid=$(runc state holdfast-cri | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
  status=$(grep -E '^(Uid|CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs):' "/proc/$cri_pid/status" | tr -s '\t ' ' ')
  log "CRI-like container process: $(tr '\n' ';' <<<"$status")"
  check "runc, CRI-like: uid 953, CapEff/CapPrm/CapBnd = NET_BIND_SERVICE only, no ambient, no_new_privs" \
    [ "$(awk '/^Uid/{print $2} /^Cap(Eff|Prm|Bnd|Amb)/{print $2} /^NoNewPrivs/{print $2}' <<<"$status" | tr '\n' ' ')" \
      = "953 0000000000000400 0000000000000400 0000000000000400 0000000000000000 1 " ]
else
  fail "runc, CRI-like: the daemon did not come up ($(tail -3 "$WORK/holdfast-cri.log" | tr '\n' ' '))"
fi
runc_stop holdfast-cri
setcap -r "$R/usr/sbin/holdfastd"
rm -f "$WORK/cri/run/control.sock"
runc_start holdfast-cri-nocap || true
wait_for 10 bash -c "! runc state holdfast-cri-nocap 2>/dev/null | grep -q '\"status\": \"running\"'" || true
refused_without_cap() { grep -qi 'permission denied' "$WORK/holdfast-cri-nocap.log" && ! answers; }
log "without the file capability: $(tail -2 "$WORK/holdfast-cri-nocap.log" | tr '\n' ' ')"
log "listening on port 53 now: $(ss -Hlunp 'sport = :53' | tr -s ' ' | tr '\n' ';')"
check "runc, CRI-like, holdfastd without its file capability: binding port 53 is refused (permission denied), nothing answers" \
  refused_without_cap
runc_stop holdfast-cri-nocap

log "--- without NET_BIND_SERVICE"
CONTAINERS+=(holdfast-nocap)
trap - ERR
set +e
"${PODMAN[@]}" run --name holdfast-nocap --network host "${RUN_LIMITS[@]}" --user 953:953 --cap-drop all \
  --security-opt no-new-privileges --read-only -v "$WORK/etc:/etc/holdfast:ro" -v "$WORK/holdfast-a/run:/run/holdfast" \
  "$IMAGE" > "$WORK/nocap.out" 2>&1
nocap_rc=$?
set -e
trap 'echo "test-image: FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
log "exit $nocap_rc: $(tail -2 "$WORK/nocap.out" | tr '\n' ' ')"
check "a container without NET_BIND_SERVICE does not run the daemon on port 53" [ "$nocap_rc" -ne 0 ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
