# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# Shared by scripts/bench.sh and scripts/profile.sh (sourced, not run): the Debian packages a
# measurement needs, and the nsd that serves the synthetic "bench." zone on a loopback port.
# The caller defines log().

# install_missing_packages PACKAGE...: installs those not installed (root only), without
# letting packaged daemons start (policy-rc.d says no). Exits when it cannot.
install_missing_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}"; exit 1
  fi
  log "installing ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created=1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}" || { [ $created = 1 ] && rm -f "$policy"; exit 1; }
  [ $created = 1 ] && rm -f "$policy"
  return 0
}

# write_nsd_conf DIR PORT ZONEFILE: DIR/nsd.conf serving zone "bench." from ZONEFILE on
# 127.0.0.1:PORT, everything kept in DIR, no rate limiting.
write_nsd_conf() {
  local dir=$1 port=$2 zonefile=$3
  mkdir -p "$dir"
  cat > "$dir/nsd.conf" <<NSD
server:
  ip-address: 127.0.0.1@$port
  port: $port
  username: ""
  chroot: ""
  database: ""
  server-count: 1
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  verbosity: 0
  hide-version: yes
  zonesdir: "$dir"
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  pidfile: "$dir/nsd.pid"
  logfile: "$dir/nsd.log"
remote-control:
  control-enable: no
zone:
  name: "bench."
  zonefile: "$zonefile"
NSD
}
