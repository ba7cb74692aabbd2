#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
# Builds the libFuzzer targets (Fuzz/, a separate SwiftPM package) and runs each for a while.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default 60 seconds, targets wire-codec query-path config
#
# Each target starts from its committed seed corpus (Fuzz/corpus/<target>/, read-only) plus
# a working corpus in fuzz-out/<target>/corpus; crashes, timeouts and leaks are written to
# fuzz-out/<target>/ (crash-*, timeout-*, leak-*). Prints the execution count per target and
# exits non-zero if any target found something. FUZZ_JOBS (default 1) parallel workers per
# target; FUZZ_NICE (default 10) niceness; FUZZ_ARGS extra libFuzzer flags.
#
# Reproduce a crash: Fuzz/.build/release/FuzzWireCodec fuzz-out/wire-codec/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(wire-codec query-path config)
NICE=${FUZZ_NICE:-10}
JOBS=${FUZZ_JOBS:-1}
SWIFT=${SWIFT:-swift}

product() {
    case "$1" in
        wire-codec) echo FuzzWireCodec ;;
        query-path) echo FuzzQueryPath ;;
        config) echo FuzzConfig ;;
        *) echo "unknown fuzz target: $1 (wire-codec, query-path, config)" >&2; exit 2 ;;
    esac
}

echo "== building fuzzers (release, -sanitize=fuzzer,address)"
nice -n "$NICE" "$SWIFT" build -c release --package-path Fuzz \
    -Xswiftc -sanitize=fuzzer,address
BIN=$("$SWIFT" build -c release --package-path Fuzz --show-bin-path)

status=0
summary=()
for target in "${TARGETS[@]}"; do
    exe=$(product "$target")
    out="$ROOT/fuzz-out/$target"
    mkdir -p "$out/corpus"
    log="$out/fuzz.log"
    rm -f "$out"/fuzz*.log
    # With FUZZ_JOBS > 1 each worker writes fuzz-N.log in the working directory: run there.
    parallel=""
    [ "$JOBS" -gt 1 ] && parallel="-jobs=$JOBS -workers=$JOBS"
    echo "== $target: ${SECONDS_PER_TARGET}s (log: $log)"
    set +e
    # -rss_limit_mb: a leak or unbounded growth is a finding; -timeout: a hang is a finding.
    # ASAN_OPTIONS: leak detection off (Swift runtime metadata caches look like leaks).
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
    (cd "$out" && nice -n "$NICE" "$BIN/$exe" "$out/corpus" "$ROOT/Fuzz/corpus/$target" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -artifact_prefix="$out/" -print_final_stats=1 $parallel ${FUZZ_ARGS:-} >"$log" 2>&1)
    rc=$?
    set -e
    execs=$(cat "$out"/fuzz*.log 2>/dev/null | grep -o 'stat::number_of_executed_units: *[0-9]*' | awk '{s+=$2} END {print s+0}')
    crashes=$(find "$out" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' -o -maxdepth 1 -name 'leak-*' | wc -l)
    corpus=$(find "$out/corpus" -type f | wc -l)
    line="$target: executions=$execs corpus=$corpus findings=$crashes exit=$rc"
    echo "$line"
    summary+=("$line")
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        status=1
        grep -m5 -E 'ERROR|property violated|Fatal error|deadly signal' "$log" || true
    fi
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
