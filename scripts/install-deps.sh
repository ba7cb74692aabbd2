#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# Installs the Debian packages Holdfast builds and tests with. Idempotent; quiet when all present.
# --deb: also what `make deb` and `make test-deb` need (debhelper, lintian, debootstrap).
# --image: also what `make image` and `make test-image` need (the --deb set, mmdebstrap, umoci,
#   skopeo, podman with runc, setcap).
# Always: the Python tools `make test` validates deploy/kubernetes/ with (kubernetes-validate,
# which ships the Kubernetes JSON schemas and works offline, and yamllint), from PyPI with pip.
set -euo pipefail
# dnsperf, iptables: the handover and node-in-a-box tests (load, a cluster DNS reachable only over TCP).
packages=(libc-ares-dev libssl-dev libnghttp2-dev openssl pkg-config nsd unbound bind9-dnsutils knot-dnsutils tmux iproute2 systemd dnsperf iptables)
case "${1:-}" in
  --deb) packages+=(debhelper dpkg-dev lintian debootstrap) ;;
  --image) packages+=(debhelper dpkg-dev lintian debootstrap mmdebstrap umoci skopeo podman runc uidmap libcap2-bin) ;;
esac
python_tools=(kubernetes-validate==1.37.0 yamllint==1.38.0)
if ! python3 -c 'import kubernetes_validate, yamllint' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${python_tools[@]}"
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "holdfast: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
# Packaged daemons (nsd) must not start during install: policy-rc.d says no.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
