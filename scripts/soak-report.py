#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
"""Helpers for scripts/soak.sh.

    soak-report.py metric SOCKET NAME     sum of a Prometheus metric's samples from the
                                          daemon's control socket (GET /metrics); 0 if absent
    soak-report.py report OUT_DIR         reads OUT_DIR/run-*.txt (dnsperf -v output, in run
                                          order) and OUT_DIR/facts.txt, prints the figures,
                                          writes OUT_DIR/summary.txt, exits 1 on a violation

Run files whose name contains "-window" cover the daemon restart: lost queries there are
expected. A violation is (a) a query lost in any other run, or (b) SERVFAIL for a name that
had earlier received a NOERROR answer (its data is then cached, stale at worst, for
cache.stale.max_age_s and persisted across the restart, so SERVFAIL means stale data existed
and was not served), or (c) SERVFAIL for an ordinary name (not under broken.soak.test) in a
phase where a provider is healthy from the start (warmup, failover) while the broken domain's
names are asked: a name that fails everywhere must not take a healthy provider down.
"""
import glob
import os
import re
import socket
import sys


def metric(sock_path, name):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect(sock_path)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
    except OSError:
        print(0)
        return 0
    total = 0.0
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith(name) and (len(line) == len(name) or line[len(name)] in " {"):
            try:
                total += float(line.rsplit(" ", 1)[1])
            except ValueError:
                pass
    print(int(total))
    return 0


LINE = re.compile(r"^> (\S+) (\S+) (\S+)(?: ([0-9.]+))?$")


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def report(out_dir):
    runs = sorted(glob.glob(os.path.join(out_dir, "run-*.txt")))
    facts = {}
    facts_path = os.path.join(out_dir, "facts.txt")
    if os.path.exists(facts_path):
        for line in open(facts_path):
            if "=" in line:
                key, value = line.strip().split("=", 1)
                facts[key] = value
    sent = completed = lost_total = lost_window = 0
    rcodes = {}
    latencies = []
    answered_names = set()
    violations = []
    lost_outside = []
    broken = {}
    ordinary_servfail_healthy = 0
    for run in runs:
        window = "-window" in os.path.basename(run)
        healthy = re.search(r"-(warmup|failover)\.txt$", os.path.basename(run)) is not None
        run_lost = 0
        for line in open(run, errors="replace"):
            line = line.rstrip("\n")
            match = LINE.match(line)
            if match:
                rcode, qname, _qtype, latency = match.groups()
                qname = qname.lower().rstrip(".")
                if rcode == "T":
                    run_lost += 1
                    continue
                rcodes[rcode] = rcodes.get(rcode, 0) + 1
                if ".broken." in qname:
                    broken[rcode] = broken.get(rcode, 0) + 1
                    if rcode == "NOERROR":
                        violations.append(f"{os.path.basename(run)}: NOERROR for the broken name {qname}")
                    continue
                if healthy and rcode == "SERVFAIL":
                    ordinary_servfail_healthy += 1
                    violations.append(f"{os.path.basename(run)}: SERVFAIL for {qname} while a provider was healthy")
                if latency:
                    latencies.append(float(latency))
                if rcode == "NOERROR" and qname.startswith("n"):
                    answered_names.add(qname)
                elif rcode == "SERVFAIL" and qname in answered_names:
                    violations.append(f"{os.path.basename(run)}: SERVFAIL for {qname} after it had an answer")
                continue
            m = re.match(r"\s*Queries sent:\s+(\d+)", line)
            if m:
                sent += int(m.group(1))
            m = re.match(r"\s*Queries completed:\s+(\d+)", line)
            if m:
                completed += int(m.group(1))
        lost_total += run_lost
        if window:
            lost_window += run_lost
        elif run_lost:
            lost_outside.append(f"{os.path.basename(run)}: {run_lost} lost")
    latencies.sort()
    stale = int(facts.get("stale_before_restart", 0)) + int(facts.get("stale_after_restart", 0))
    lines = [
        f"duration: {facts.get('seconds', '?')} s in {len(runs)} dnsperf runs, "
        f"target {facts.get('qps', '?')} q/s, {facts.get('names', '?')} names, upstream TTL {facts.get('ttl', '?')} s",
        f"queries sent: {sent}",
        f"answered: {completed} ({100.0 * completed / sent if sent else 0:.3f}%)",
        "rcodes: " + ", ".join(f"{k} {v}" for k, v in sorted(rcodes.items())),
        f"SERVFAIL: {rcodes.get('SERVFAIL', 0)}",
        "broken-domain answers: " + (", ".join(f"{k} {v}" for k, v in sorted(broken.items())) or "none")
        + f"; ordinary SERVFAIL while a provider was healthy: {ordinary_servfail_healthy}",
        f"stale answers (daemon counter): {stale}",
        f"lost: {lost_total} (restart window: {lost_window}, elsewhere: {lost_total - lost_window})",
        f"latency: p50 {percentile(latencies, 0.50) * 1000:.2f} ms, p99 {percentile(latencies, 0.99) * 1000:.2f} ms, "
        f"max {latencies[-1] * 1000 if latencies else 0:.1f} ms",
        f"restart: SIGTERM to answering again in {facts.get('restart_ms', '?')} ms",
        f"RSS: start {facts.get('rss_start_kib', '?')} KiB, before restart {facts.get('rss_before_restart_kib', '?')} KiB, "
        f"end {facts.get('rss_end_kib', '?')} KiB",
        f"upstream modes seen: {facts.get('modes', '?')}",
    ]
    failures = violations + [f"lost outside the restart window: {x}" for x in lost_outside]
    if sent == 0:
        failures.append("no queries were sent")
    lines.append("violations: " + (str(len(failures)) if failures else "none"))
    lines.extend("  " + f for f in failures[:20])
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out_dir, "summary.txt"), "w") as f:
        f.write(text + "\n")
    return 1 if failures else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "metric":
        return metric(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 3 and sys.argv[1] == "report":
        return report(sys.argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
