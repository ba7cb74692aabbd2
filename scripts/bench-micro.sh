#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# Micro-benchmarks (package-benchmark): codec parse/encode and the cache-hit path, wall clock
# and mallocs per operation. A separate package (Benchmarks/) so the main build stays fast.
# Extra arguments go to the benchmark plugin, e.g.:
#   scripts/bench-micro.sh --filter "DNSWire.*"
#   scripts/bench-micro.sh --format markdown
#   scripts/bench-micro.sh baseline update main   /   baseline compare main
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v swift >/dev/null || { echo "bench-micro: swift not found" >&2; exit 1; }
if [ $# -gt 0 ] && [ "$1" = baseline ]; then
  exec swift package --package-path "$ROOT/Benchmarks" --allow-writing-to-package-directory benchmark "$@"
fi
exec swift package --package-path "$ROOT/Benchmarks" --allow-writing-to-package-directory benchmark run "$@"
