#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# `make test-deb`: tests the package `make deb` left in deb-out/, as a user of it would meet it.
#  1. lintian: no errors and no warnings (those left are overridden, with reasons, in
#     debian/holdfast.lintian-overrides).
#  2. Into a clean Debian 12 tree made by debootstrap (no Swift toolchain; the finished tree is
#     cached as a tarball in $HOLDFAST_DEBOOTSTRAP_CACHE, made anew when missing), as root in a
#     chroot, with no systemd running (policy-rc.d forbids starting services):
#     `apt-get install ./holdfast_*.deb`, `holdfastd --version`, `--check-config`, the daemon
#     started by hand as the holdfast user with a loopback-only config against an nsd this
#     script runs on 127.0.0.1, a `dig` answered, `holdfastctl status`, then `apt-get remove`
#     (config and cache stay) and `apt-get purge` (both gone, the user stays).
#  3. Upgrade, in a second fresh tree where a stand-in systemctl (scripts/test-deb/systemctl-stub)
#     plays systemd so the maintainer scripts take their systemd branches: installing starts
#     nothing, the operator edits the config and enables the service, installing version N+1
#     (the same package repacked with a bumped version and a changed default config) keeps the
#     edit and restarts the daemon, which answers with the edited config; remove stops it.
# Bounded: the whole run is killed after TEST_DEB_TIMEOUT_S (default 1500 s). Only loopback
# addresses are queried. Run as root on Debian 12 (apt reaches the host's Debian mirror).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

if [ -z "${HOLDFAST_TEST_DEB_BOUNDED:-}" ]; then
  export HOLDFAST_TEST_DEB_BOUNDED=1
  exec timeout --signal=TERM --kill-after=30 "${TEST_DEB_TIMEOUT_S:-1500}" "$0" "$@"
fi

log() { printf 'test-deb: %s\n' "$*"; }
die() { printf 'test-deb: FAIL: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot)"
for tool in lintian debootstrap dpkg-deb nsd dig python3 setsid systemd-analyze; do
  command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh --deb"
done

ARCH=$(dpkg --print-architecture)
shopt -s nullglob
debs=(deb-out/holdfast_*_"$ARCH".deb)
shopt -u nullglob
[ ${#debs[@]} -eq 1 ] || die "expected one deb-out/holdfast_*_$ARCH.deb (run make deb), found ${#debs[@]}"
DEB=$REPO/${debs[0]}
VERSION=$(dpkg-deb -f "$DEB" Version)
UPSTREAM_VERSION=${VERSION%%-*}
UPGRADE_VERSION="$VERSION+upgradetest1"
log "package $(basename "$DEB") (version $VERSION)"

passed=0 failed=0
ok()   { passed=$((passed + 1)); printf 'ok - %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL - %s\n' "$*"; }
# check DESCRIPTION COMMAND...: one assertion.
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }

WORK=$(mktemp -d /var/tmp/holdfast-test-deb.XXXXXX)
ROOTS=()
NSD_PGID=""
DAEMON_PIDS=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local pid r
  for pid in "${DAEMON_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for r in "${ROOTS[@]}"; do
    [ -s "$r/run/holdfastd-stub.pid" ] && kill -TERM "$(cat "$r/run/holdfastd-stub.pid")" 2>/dev/null || true
  done
  [ -n "$NSD_PGID" ] && kill -TERM -- "-$NSD_PGID" 2>/dev/null || true
  for pid in "${DAEMON_PIDS[@]}"; do timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
  for r in "${ROOTS[@]}"; do
    for m in proc dev/pts dev; do
      mountpoint -q "$r/$m" && { umount "$r/$m" || umount -l "$r/$m"; }
    done
  done
  # Never remove a tree that still has something mounted in it (a bound /dev would go too).
  if findmnt -rn -o TARGET | grep -q "^$WORK"; then
    echo "test-deb: left $WORK in place: still mounted under it" >&2
  elif [ -n "${KEEP_TEST_DEB:-}" ] || { [ $rc -ne 0 ] && [ -n "${CI:-}" ]; }; then
    echo "test-deb: kept $WORK" >&2
  else
    rm -rf --one-file-system "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'echo "test-deb: FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'echo "test-deb: FAIL: interrupted or timed out (limit ${TEST_DEB_TIMEOUT_S:-1500} s)" >&2; exit 124' INT TERM

started=$SECONDS
phase() { log "--- $* ($((SECONDS - started)) s)"; }

# ---------------------------------------------------------------------------------------------
phase "lintian"
lintian_out=$WORK/lintian.txt
if lintian --fail-on error,warning --display-info --show-overrides --tag-display-limit 0 "$DEB" > "$lintian_out" 2>&1; then
  ok "lintian: no errors or warnings"
else
  fail "lintian reports errors or warnings"
fi
# One line per tag (E: error, W: warning, I: info, O: overridden in debian/holdfast.lintian-overrides).
grep -v '^N: \|running with root privileges' "$lintian_out" | sed 's/ \[.*\]$//; s/^\(.: holdfast: [^ ]*\).*/\1/' | sort | uniq -c | sed 's/^/  lintian: /'

# ---------------------------------------------------------------------------------------------
phase "clean Debian 12 tree"
# The host's Debian mirror, for debootstrap and for the tree's apt sources.
host_sources=$WORK/host.sources
python3 - "$host_sources" <<'PY'
import glob, os, re, sys
out = []
def keep(types, uris, suites, components, signed):
    if "deb" not in types.split() or not any(s.startswith("bookworm") for s in suites.split()):
        return
    if signed and not signed.startswith("/usr/share/keyrings/debian-archive"):
        return  # a third-party repository: the clean tree has no key for it
    out.append((uris.split()[0], suites, components))
files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")) \
      + sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
for f in files:
    if not os.path.exists(f):
        continue
    text = open(f).read()
    if f.endswith(".sources"):
        for block in re.split(r"\n\s*\n", text):
            fields = {}
            for line in block.splitlines():
                if line.startswith("#") or ":" not in line or line[0].isspace():
                    continue
                k, v = line.split(":", 1)
                fields[k.strip().lower()] = v.strip()
            if fields.get("enabled", "yes").lower() == "no" or "uris" not in fields:
                continue
            keep(fields.get("types", ""), fields["uris"], fields.get("suites", ""),
                 fields.get("components", "main"), fields.get("signed-by", ""))
    else:
        for line in text.splitlines():
            m = re.match(r"^\s*(deb)\s+(\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.*)$", line)
            if not m:
                continue
            opts = dict(o.split("=", 1) for o in (m.group(3) or "").split() if "=" in o)
            keep(m.group(1), m.group(4), m.group(5), m.group(6), opts.get("signed-by", ""))
if not out:
    sys.exit("no bookworm Debian source in the host's apt sources")
with open(sys.argv[1], "w") as f:
    for uri, suites, comps in out:
        f.write(f"Types: deb\nURIs: {uri}\nSuites: {suites}\nComponents: {comps}\n"
                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n")
PY
MIRROR=$(awk '/^URIs:/ {print $2; exit}' "$host_sources")
log "Debian mirror: $MIRROR"

TREE_PACKAGES=bind9-dnsutils   # dig, the client a user would query with
CACHE_DIR=${HOLDFAST_DEBOOTSTRAP_CACHE:-/var/cache/holdfast-debootstrap}
cache_key=$(printf 'v1 bookworm minbase %s %s %s' "$ARCH" "$TREE_PACKAGES" "$MIRROR" | sha256sum | cut -c1-12)
TARBALL=$CACHE_DIR/bookworm-minbase-$ARCH-$cache_key.tar
if [ -s "$TARBALL" ]; then
  log "debootstrap tree from cache $TARBALL"
else
  log "debootstrap bookworm (minbase + $TREE_PACKAGES) from $MIRROR; cached in $TARBALL"
  mkdir -p "$CACHE_DIR"
  fresh=$WORK/debootstrap
  timeout 900 debootstrap --variant=minbase --include="$TREE_PACKAGES" bookworm "$fresh" "$MIRROR" \
    > "$WORK/debootstrap.log" 2>&1 || { tail -30 "$WORK/debootstrap.log"; die "debootstrap failed"; }
  chroot "$fresh" apt-get clean
  tmp_tarball=$(mktemp "$TARBALL.XXXXXX")   # another run may be making one too
  tar -C "$fresh" --numeric-owner -cf "$tmp_tarball" . && mv "$tmp_tarball" "$TARBALL"
  rm -rf --one-file-system "$fresh"
fi

# new_root NAME: NEW_ROOT=a fresh copy of the clean tree, with the host's Debian sources and
# /proc, /dev.
new_root() {
  local r=$WORK/$1
  mkdir -p "$r"
  ROOTS+=("$r")
  tar -C "$r" --numeric-owner -xf "$TARBALL"
  rm -f "$r/etc/apt/sources.list"
  cp "$host_sources" "$r/etc/apt/sources.list.d/debian.sources"
  # apt inside the tree reaches the mirror the way the host's apt does.
  cp -L /etc/resolv.conf "$r/etc/resolv.conf"
  local f
  for f in /etc/apt/apt.conf.d/*; do
    if grep -qis 'proxy' "$f"; then cp "$f" "$r/etc/apt/apt.conf.d/"; fi
  done
  mount -t proc proc "$r/proc"
  mount --bind /dev "$r/dev"
  mount --bind /dev/pts "$r/dev/pts"
  [ ! -e "$r/opt/swift" ] || die "the clean tree has /opt/swift"
  NEW_ROOT=$r
}
# in_root ROOT COMMAND...: runs COMMAND in the tree as root, with a plain environment.
in_root() {
  local r=$1; shift
  chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
apt_in() { local r=$1; shift; in_root "$r" apt-get -q -y -o APT::Install-Recommends=false "$@"; }

# ---------------------------------------------------------------------------------------------
# The authoritative server the daemon forwards to: nsd on 127.0.0.1, unprivileged, on the host
# (a chroot shares the host's network namespace).
free_port() {
  python3 -c '
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); p = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        t.close(); u.close()'
}
NSD_PORT=$(free_port)
ZONE=deb.holdfast.test
ANSWER=192.0.2.53
nsd_dir=$WORK/nsd
mkdir -p "$nsd_dir"
cat > "$nsd_dir/$ZONE.zone" <<ZONEFILE
\$ORIGIN $ZONE.
\$TTL 300
@    IN SOA ns.$ZONE. hostmaster.$ZONE. 1 3600 600 86400 300
@    IN NS  ns.$ZONE.
ns   IN A   127.0.0.1
www  IN A   $ANSWER
ZONEFILE
cat > "$nsd_dir/nsd.conf" <<NSDCONF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  port: $NSD_PORT
  username: ""
  chroot: ""
  database: ""
  server-count: 1
  verbosity: 1
  zonesdir: "$nsd_dir"
  zonelistfile: "$nsd_dir/zone.list"
  xfrdfile: "$nsd_dir/xfrd.state"
  xfrdir: "$nsd_dir"
  pidfile: "$nsd_dir/nsd.pid"
  logfile: "$nsd_dir/nsd.log"
remote-control:
  control-enable: no
zone:
  name: "$ZONE."
  zonefile: "$ZONE.zone"
NSDCONF

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND (every 0.1 s) until it succeeds.
wait_for() {
  local what=$1 limit=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { log "gave up after ${limit} s waiting for $what"; return 1; }
    sleep 0.1
  done
}

# The config an operator would write for this test: loopback only.
loopback_config() {
  cat <<TOML
# Edited by the operator (test-deb): loopback only.
[server]
listen = ["127.0.0.1:$1"]
allow = ["127.0.0.0/8"]
threads = 1

[[upstream.provider]]
name = "loopback-nsd"
servers = ["127.0.0.1:$NSD_PORT"]

[cache]
persist_path = "/var/lib/holdfast/cache.bin"

[control]
socket = "/run/holdfast/control.sock"
TOML
}

# Processes running ROOT's holdfastd (seen from the host).
daemons_of() {
  local r=$1 p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" = "$r/usr/sbin/holdfastd" ] && echo "${p#/proc/}"
  done
  return 0
}
# answers ROOT PORT [DIG-OPTION...]: dig inside ROOT gets $ANSWER for www.$ZONE A; shows
# dig's whole output when not.
answers() {
  local r=$1 port=$2; shift 2
  local out
  out=$(in_root "$r" dig @127.0.0.1 -p "$port" "$@" +time=2 +tries=1 "www.$ZONE" A 2>&1) || true
  if [ "$(awk '$1 == "www.'"$ZONE"'." && $4 == "A" {print $5}' <<<"$out")" = "$ANSWER" ]; then return 0; fi
  sed 's/^/  dig: /' <<<"$out"
  return 1
}
ctl() { local r=$1; shift; in_root "$r" holdfastctl --socket /run/holdfast/control.sock "$@"; }
same_file() { cmp -s "$1" "$2"; }
absent() { [ ! -e "$1" ]; }
owner_mode() { [ "$(stat -c '%U:%G %a' "$1")" = "$2" ]; }

setsid nsd -d -c "$nsd_dir/nsd.conf" > "$nsd_dir/nsd.stdout" 2>&1 &
NSD_PGID=$!
wait_for "nsd on 127.0.0.1:$NSD_PORT" 20 \
  bash -c "[ \"\$(dig @127.0.0.1 -p $NSD_PORT +short +time=1 +tries=1 www.$ZONE A)\" = $ANSWER ]" \
  || { cat "$nsd_dir/nsd.log" "$nsd_dir/nsd.stdout" 2>/dev/null; die "nsd did not answer"; }
log "nsd answers on 127.0.0.1:$NSD_PORT"

# ---------------------------------------------------------------------------------------------
phase "install into a clean tree without systemd"
new_root plain; R=$NEW_ROOT
printf '#!/bin/sh\n# test-deb: no service starts in this chroot\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
chmod +x "$R/usr/sbin/policy-rc.d"
cp "$DEB" "$R/tmp/"
apt_in "$R" update > "$WORK/plain-update.log" 2>&1 || { cat "$WORK/plain-update.log"; die "apt-get update in the tree failed"; }
if apt_in "$R" install "/tmp/$(basename "$DEB")" > "$WORK/plain-install.log" 2>&1; then
  ok "apt-get install ./$(basename "$DEB") (dependencies from the mirror)"
else
  cat "$WORK/plain-install.log"; die "apt-get install of the package failed"
fi
sed -n 's/^\(Setting up\|Unpacking\) /  apt: &/p' "$WORK/plain-install.log"

check "no Swift toolchain or runtime in the tree" \
  bash -c "[ ! -e '$R/opt/swift' ] && [ -z \"\$(find '$R' -xdev -name 'libswift*' -print -quit)\" ]"
check "holdfastd's shared libraries all resolve in the tree, none from a Swift toolchain" \
  bash -c "out=\$(chroot '$R' ldd /usr/sbin/holdfastd /usr/bin/holdfastctl) && ! grep -q 'not found\|swift' <<<\"\$out\""
depends=$(in_root "$R" dpkg-query -W -f='${Depends}' holdfast)
log "Depends: $depends"
check "Depends (dh_shlibdeps) names libc-ares2" grep -q 'libc-ares2' <<<"$depends"
check "Depends (dh_shlibdeps) names libssl3 (DNS over TLS)" grep -q 'libssl3' <<<"$depends"
check "Depends (dh_shlibdeps) names libnghttp2-14 (DNS over HTTPS)" grep -q 'libnghttp2-14' <<<"$depends"
check "holdfastd --version prints $UPSTREAM_VERSION" \
  bash -c "[ \"\$(chroot '$R' /usr/sbin/holdfastd --version)\" = '$UPSTREAM_VERSION' ]"
check "holdfastctl is /usr/bin/holdfastctl, holdfastd /usr/sbin/holdfastd" \
  bash -c "[ -x '$R/usr/bin/holdfastctl' ] && [ -x '$R/usr/sbin/holdfastd' ]"
check "holdfastd --check-config --config /etc/holdfast/holdfast.toml exits 0 (the shipped config)" \
  in_root "$R" holdfastd --check-config --config /etc/holdfast/holdfast.toml
check "the installed config is config/holdfast.toml" same_file "$R/etc/holdfast/holdfast.toml" config/holdfast.toml
check "/etc/holdfast/holdfast.toml is a conffile" \
  bash -c "chroot '$R' dpkg-query -W -f='\${Conffiles}' holdfast | grep -q '^ /etc/holdfast/holdfast.toml '"
passwd=$(in_root "$R" getent passwd holdfast || true)
check "a holdfast system user (uid < 1000, no login shell): $passwd" \
  bash -c "IFS=: read -r _ _ uid _ _ home shell <<<'$passwd'; [ \"\$uid\" -lt 1000 ] && [ \"\$shell\" = /usr/sbin/nologin ] && [ \"\$home\" = /var/lib/holdfast ]"
check "/var/lib/holdfast is owned by holdfast, mode 750" \
  bash -c "[ \"\$(chroot '$R' stat -c '%U:%G %a' /var/lib/holdfast)\" = 'holdfast:holdfast 750' ]"
check "manual pages holdfastd(8) and holdfastctl(8)" \
  bash -c "[ -s '$R/usr/share/man/man8/holdfastd.8.gz' ] && [ -s '$R/usr/share/man/man8/holdfastctl.8.gz' ]"
unit=$R/lib/systemd/system/holdfastd.service
check "holdfastd.service and holdfastd.socket installed" \
  bash -c "[ -s '$unit' ] && [ -s '$R/lib/systemd/system/holdfastd.socket' ]"
check "the packaged unit runs /usr/sbin/holdfastd as User=holdfast, Group=holdfast" \
  bash -c "grep -qx 'ExecStart=/usr/sbin/holdfastd --config /etc/holdfast/holdfast.toml' '$unit' && grep -qx 'User=holdfast' '$unit' && grep -qx 'Group=holdfast' '$unit'"
# Every directive of systemd/holdfastd.service but DynamicUser= and ExecStart=, unchanged
# (the package adds User=, Group= and Documentation=).
directives() { grep -v '^[[:space:]]*#' "$1" | grep -v '^[[:space:]]*$' | grep -v '^DynamicUser=\|^User=\|^Group=\|^ExecStart=\|^Documentation='; }
same_directives() { diff <(directives systemd/holdfastd.service) <(directives "$unit"); }
check "the packaged unit keeps every other line of systemd/holdfastd.service (the hardening)" same_directives
# systemd-analyze verify (host's systemd 252) on the packaged unit, ExecStart pointed at the
# tree's binary since the host has no /usr/sbin/holdfastd.
verify_unit() {
  local d=$WORK/verify
  mkdir -p "$d"
  sed "s|^ExecStart=/usr/sbin/holdfastd|ExecStart=$R/usr/sbin/holdfastd|" "$unit" > "$d/holdfastd.service"
  cp "$R/lib/systemd/system/holdfastd.socket" "$d/"
  (cd "$d" && systemd-analyze verify --man=no holdfastd.service holdfastd.socket)
}
check "systemd-analyze verify accepts the packaged units" verify_unit
check "the packaged socket unit is systemd/holdfastd.socket" same_file "$R/lib/systemd/system/holdfastd.socket" systemd/holdfastd.socket
check "installing enabled no unit" bash -c "[ -z \"\$(find '$R/etc/systemd/system' -name 'holdfastd*' 2>/dev/null)\" ]"
no_daemon_in() { [ -z "$(daemons_of "$1")" ]; }
check "installing started no holdfastd" no_daemon_in "$R"

# The operator's edit, then the daemon started by hand the way the unit starts it.
DNS_PORT=$(free_port)
loopback_config "$DNS_PORT" > "$R/etc/holdfast/holdfast.toml"
cp "$R/etc/holdfast/holdfast.toml" "$WORK/edited.toml"
check "holdfastd --check-config accepts the loopback config" in_root "$R" holdfastd --check-config
check "holdfastd --check-config rejects a broken config with exit 2" \
  bash -c "printf '[server]\nlisten = 53\n' > '$R/tmp/broken.toml'; chroot '$R' holdfastd --check-config --config /tmp/broken.toml; [ \$? -eq 2 ]"
in_root "$R" install -d -o holdfast -g holdfast -m 0755 /run/holdfast   # the unit's RuntimeDirectory
setsid chroot --userspec=holdfast:holdfast "$R" /usr/sbin/holdfastd --config /etc/holdfast/holdfast.toml \
  < /dev/null > "$WORK/plain-holdfastd.log" 2>&1 &
daemon=$!
DAEMON_PIDS+=("$daemon")
alive_and_healthy() { kill -0 "$daemon" 2>/dev/null || return 2; ctl "$R" health >/dev/null 2>&1; }
if wait_for "holdfastd's control socket" 30 alive_and_healthy; then
  ok "holdfastd (as holdfast, from /etc/holdfast/holdfast.toml) up; holdfastctl health exits 0"
else
  fail "holdfastd did not come up"; sed 's/^/  holdfastd: /' "$WORK/plain-holdfastd.log"
fi
check "dig @127.0.0.1 -p $DNS_PORT www.$ZONE A (UDP) is answered $ANSWER" answers "$R" "$DNS_PORT"
check "the same over TCP" answers "$R" "$DNS_PORT" +tcp
if status=$(ctl "$R" status 2>&1); then ok "holdfastctl status exits 0"; else fail "holdfastctl status: $status"; fi
printf '%s\n' "$status" | sed 's/^/  status: /'
check "holdfastctl status shows the loopback provider" grep -q 'loopback-nsd' <<<"$status"
kill -TERM "$daemon"
daemon_rc=0; wait "$daemon" || daemon_rc=$?
check "SIGTERM: holdfastd exits 0" [ "$daemon_rc" -eq 0 ]
check "the cache was written to /var/lib/holdfast/cache.bin, owned by holdfast" \
  bash -c "[ -s '$R/var/lib/holdfast/cache.bin' ] && [ \"\$(chroot '$R' stat -c %U /var/lib/holdfast/cache.bin)\" = holdfast ]"

phase "remove and purge"
apt_in "$R" remove holdfast > "$WORK/plain-remove.log" 2>&1 || { cat "$WORK/plain-remove.log"; die "apt-get remove failed"; }
check "after remove: dpkg keeps only the config files (rc)" \
  bash -c "[ \"\$(chroot '$R' dpkg-query -W -f='\${db:Status-Abbrev}' holdfast)\" = 'rc ' ]"
check "after remove: /usr/sbin/holdfastd is gone" absent "$R/usr/sbin/holdfastd"
check "after remove: /usr/bin/holdfastctl is gone" absent "$R/usr/bin/holdfastctl"
check "after remove: the edited config stays" same_file "$R/etc/holdfast/holdfast.toml" "$WORK/edited.toml"
check "after remove: the cache stays" test -s "$R/var/lib/holdfast/cache.bin"
apt_in "$R" purge holdfast > "$WORK/plain-purge.log" 2>&1 || { cat "$WORK/plain-purge.log"; die "apt-get purge failed"; }
check "after purge: dpkg knows no holdfast" bash -c "! chroot '$R' dpkg-query -W -f='\${db:Status-Abbrev}' holdfast 2>/dev/null | grep -q '^[a-z]'"
check "after purge: /etc/holdfast is gone" absent "$R/etc/holdfast"
check "after purge: /var/lib/holdfast is gone" absent "$R/var/lib/holdfast"
check "after purge: the holdfast system user stays" in_root "$R" getent passwd holdfast

# ---------------------------------------------------------------------------------------------
phase "upgrade, with a stand-in systemd"
# Version N+1: the same package with a bumped version and a changed default config, so dpkg
# has to choose between the operator's edit and the new default.
repack=$WORK/repack
dpkg-deb -R "$DEB" "$repack"
sed -i "s/^Version: .*/Version: $UPGRADE_VERSION/" "$repack/DEBIAN/control"
printf '\n# (default changed in %s)\n' "$UPGRADE_VERSION" >> "$repack/etc/holdfast/holdfast.toml"
(cd "$repack" && while read -r _ path; do md5sum "$path"; done < DEBIAN/md5sums > DEBIAN/md5sums.new && mv DEBIAN/md5sums.new DEBIAN/md5sums)
DEB2=$WORK/holdfast_${UPGRADE_VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Znone -b "$repack" "$DEB2" > /dev/null

new_root upgrade; U=$NEW_ROOT
[ ! -e "$U/usr/bin/systemctl" ] || die "the clean tree has a systemctl"
install -m 0755 scripts/test-deb/systemctl-stub "$U/usr/bin/systemctl"
mkdir -p "$U/run/systemd/system"      # what maintainer scripts test for "systemd is running"
cp "$DEB" "$DEB2" "$U/tmp/"
stub_log=$U/var/log/systemctl-stub.log
stub_pid() { cat "$U/run/holdfastd-stub.pid" 2>/dev/null; }
apt_in "$U" update > "$WORK/upgrade-update.log" 2>&1 || { cat "$WORK/upgrade-update.log"; die "apt-get update in the tree failed"; }
apt_in "$U" install "/tmp/$(basename "$DEB")" > "$WORK/upgrade-install1.log" 2>&1 \
  || { cat "$WORK/upgrade-install1.log"; die "apt-get install of version $VERSION failed"; }
check "install $VERSION: the maintainer scripts took the systemd branch (daemon-reload)" grep -q 'daemon-reload' "$stub_log"
check "install $VERSION: holdfastd.service not started (the package does not take port 53)" \
  bash -c "! grep -q 'stub: started' '$stub_log'"
check "install $VERSION: no holdfastd running" no_daemon_in "$U"
check "install $VERSION: nothing enabled" bash -c "[ -z \"\$(find '$U/etc/systemd/system' -name 'holdfastd*' 2>/dev/null)\" ]"

DNS_PORT2=$(free_port)
loopback_config "$DNS_PORT2" > "$U/etc/holdfast/holdfast.toml"
cp "$U/etc/holdfast/holdfast.toml" "$WORK/edited2.toml"
in_root "$U" systemctl enable --now holdfastd.service
pid1=$(stub_pid)
[ -n "$pid1" ] && DAEMON_PIDS+=("$pid1")
healthy_in() { ctl "$1" health; }
check "operator: systemctl enable --now holdfastd: up (holdfastctl health)" wait_for "holdfastd" 30 healthy_in "$U"
check "answers www.$ZONE on the edited port $DNS_PORT2" answers "$U" "$DNS_PORT2"

apt_in "$U" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  install "/tmp/$(basename "$DEB2")" > "$WORK/upgrade-install2.log" 2>&1 \
  || { cat "$WORK/upgrade-install2.log"; die "apt-get install of version $UPGRADE_VERSION failed"; }
check "upgrade: version $UPGRADE_VERSION installed" \
  bash -c "[ \"\$(chroot '$U' dpkg-query -W -f='\${Version}' holdfast)\" = '$UPGRADE_VERSION' ]"
check "upgrade: the operator's edit of /etc/holdfast/holdfast.toml survives" same_file "$U/etc/holdfast/holdfast.toml" "$WORK/edited2.toml"
check "upgrade: the new default is beside it as holdfast.toml.dpkg-dist" \
  grep -q "default changed in $UPGRADE_VERSION" "$U/etc/holdfast/holdfast.toml.dpkg-dist"
check "upgrade: the postinst restarted holdfastd.service" grep -q '^systemctl --quiet --system restart holdfastd.service' "$stub_log"
pid2=$(stub_pid)
[ -n "$pid2" ] && DAEMON_PIDS+=("$pid2")
check "upgrade: a new holdfastd process (was $pid1, now $pid2)" bash -c "[ -n '$pid2' ] && [ '$pid2' != '$pid1' ] && kill -0 '$pid2'"
check "upgrade: the restarted daemon is up" wait_for "holdfastd after the upgrade" 30 healthy_in "$U"
check "upgrade: it answers with the edited config (port $DNS_PORT2, loopback nsd)" answers "$U" "$DNS_PORT2"
check "upgrade: the restarted daemon loaded the cache the old one wrote" grep -q 'cache loaded' "$U/var/log/holdfastd-stub.log"

apt_in "$U" remove holdfast > "$WORK/upgrade-remove.log" 2>&1 || { cat "$WORK/upgrade-remove.log"; die "apt-get remove failed"; }
check "remove: the prerm stopped holdfastd.service" \
  bash -c "grep -q '^systemctl stop holdfastd.service' '$stub_log' && ! kill -0 '$pid2' 2>/dev/null"
check "remove: config and cache stay" \
  bash -c "cmp -s '$U/etc/holdfast/holdfast.toml' '$WORK/edited2.toml' && [ -s '$U/var/lib/holdfast/cache.bin' ]"
apt_in "$U" purge holdfast > "$WORK/upgrade-purge.log" 2>&1 || { cat "$WORK/upgrade-purge.log"; die "apt-get purge failed"; }
check "purge: config (with .dpkg-dist) and cache gone, user kept" \
  bash -c "[ ! -e '$U/etc/holdfast' ] && [ ! -e '$U/var/lib/holdfast' ] && chroot '$U' getent passwd holdfast >/dev/null"
sed 's/^/  systemctl stub: /' "$stub_log"

phase "done"
if [ $failed -ne 0 ]; then
  for f in "$WORK"/plain-holdfastd.log "$U"/var/log/holdfastd-stub.log; do
    [ -s "$f" ] && { echo "--- $f"; tail -40 "$f"; }
  done
fi
echo "test-deb: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
if [ $failed -ne 0 ]; then exit 1; fi
