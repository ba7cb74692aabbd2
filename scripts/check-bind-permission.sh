#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# Fails early, with a clear message, when the config listens on a privileged port that this
# user cannot bind (not root, and below net.ipv4.ip_unprivileged_port_start).
set -euo pipefail
config=${1:-config/holdfast.toml}
[ "$(id -u)" -eq 0 ] && exit 0
start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
for port in $(grep -E '^\s*listen\s*=' "$config" | grep -oE ':[0-9]+"' | tr -d ':"'); do
  if [ "$port" -lt "$start" ]; then
    echo "holdfast: $config listens on port $port, which needs root (or CAP_NET_BIND_SERVICE)." >&2
    echo "holdfast: run 'sudo make run', or copy the config with server.listen = [\"127.0.0.1:5353\"] and run 'make run CONFIG=<that file>'." >&2
    exit 1
  fi
done
