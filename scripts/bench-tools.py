#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
"""Helpers for scripts/bench.sh: zone and query files, a paced UDP client for the outage
workload, READY timing, dnsperf output parsing and the final report. Standard library only.
Every network call goes to a loopback address given on the command line."""

import argparse
import json
import os
import random
import re
import select
import socket
import statistics
import struct
import subprocess
import sys
import time

# ---------------------------------------------------------------------------------------
# Zone and query files


def cmd_zone(args):
    """The synthetic zone `bench.`: hit names, miss names, short-TTL outage names and a
    wildcard for the memory fill."""
    with open(args.out, "w") as f:
        f.write("$ORIGIN bench.\n$TTL 3600\n")
        f.write("@ SOA ns.bench. hostmaster.bench. 1 3600 600 86400 3600\n")
        f.write("@ NS ns.bench.\nns A 127.0.0.1\n")
        for i in range(args.hits):
            f.write(f"h{i}.hit 3600 A 10.1.{i >> 8 & 255}.{i & 255}\n")
        for i in range(args.misses):
            f.write(f"m{i}.miss 3600 A 10.2.{i >> 8 & 255}.{i & 255}\n")
        for i in range(args.outage):
            f.write(f"o{i}.out {args.outage_ttl} A 10.3.{i >> 8 & 255}.{i & 255}\n")
        f.write("*.mem 86400 A 10.4.0.1\n")


def cmd_queries(args):
    """A dnsperf input file: `<prefix><i>.<suffix> A` for i in [start, start + count)."""
    with open(args.out, "w") as f:
        for i in range(args.start, args.start + args.count):
            f.write(f"{args.prefix}{i}.{args.suffix} A\n")


# ---------------------------------------------------------------------------------------
# DNS on the wire, just enough for the client


def encode_query(qid, name, qtype=1):
    out = bytearray(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0))
    for label in name.rstrip(".").split("."):
        out.append(len(label))
        out += label.encode()
    out += b"\x00" + struct.pack("!HH", qtype, 1)
    return bytes(out)


def send_one(sock, addr, payload):
    try:
        sock.sendto(payload, addr)
        return True
    except (BlockingIOError, ConnectionRefusedError, OSError):
        return False


def cmd_probe(args):
    """Exit 0 once the server at port answers `name` (any rcode), else 1 after the timeout."""
    addr = ("127.0.0.1", args.port)
    deadline = time.monotonic() + args.timeout
    qid = 4242
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        while time.monotonic() < deadline:
            send_one(sock, addr, encode_query(qid, args.name))
            ready, _, _ = select.select([sock], [], [], 0.05)
            if ready:
                try:
                    data = sock.recv(4096)
                    if len(data) >= 12 and struct.unpack("!H", data[:2])[0] == qid:
                        return 0
                except OSError:
                    time.sleep(0.02)
    return 1


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def paced(port, names, rate, tail, zone=None, address="127.0.0.1"):
    """Sends each of `names` once at `rate` qps from one socket and waits at most `tail`
    seconds after the last send. Returns (result, per_name): result as cmd_paced prints it;
    per_name[i] the outcome of names[i] (check_answer's with a zone: 'ok', an rcode name or a
    reason; without one: 'ok' or the rcode name), or 'lost' when no reply came."""
    outcomes = {}
    per_name = ["lost"] * len(names)
    addr = (address, port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setblocking(False)
    sent_at = {}
    asked = {}  # qid -> index of the name
    latencies = []
    rcodes = {}
    answered = 0
    interval = 1.0 / rate
    start = time.monotonic()
    index = 0
    last_send = start

    def drain(until):
        nonlocal answered
        while True:
            timeout = max(0.0, until - time.monotonic())
            ready, _, _ = select.select([sock], [], [], timeout)
            if not ready:
                return
            while True:
                try:
                    data = sock.recv(4096)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                if len(data) < 12:
                    continue
                qid, flags, _, ancount = struct.unpack("!HHHH", data[:8])
                t0 = sent_at.pop(qid, None)
                if t0 is None:
                    continue
                rcode = flags & 0xF
                rcodes[rcode] = rcodes.get(rcode, 0) + 1
                if zone is not None:
                    outcome = check_answer(data, qid, names[asked[qid]], 1, zone)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                    good = outcome == "ok"
                else:
                    good = rcode == 0 and ancount > 0
                    outcome = "ok" if good else RCODES.get(rcode, str(rcode))
                per_name[asked[qid]] = outcome
                if good:
                    answered += 1
                    latencies.append((time.monotonic() - t0) * 1000.0)
            if time.monotonic() >= until:
                return

    while index < len(names):
        due = start + index * interval
        now = time.monotonic()
        if now < due:
            drain(due)
            continue
        qid = index & 0xFFFF
        sent_at[qid] = time.monotonic()
        asked[qid] = index
        send_one(sock, addr, encode_query(qid, names[index]))
        last_send = time.monotonic()
        index += 1
    deadline = last_send + tail
    while sent_at and time.monotonic() < deadline:
        drain(min(deadline, time.monotonic() + 0.05))
    sock.close()
    sent = len(names)
    result = {
        "sent": sent,
        "answered": answered,
        "answered_fraction": answered / sent if sent else 0.0,
        "rcodes": {RCODES.get(k, str(k)): v for k, v in sorted(rcodes.items())},
        "outcomes": outcomes,
        "lost": len(sent_at),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "avg_ms": statistics.fmean(latencies) if latencies else None,
    }
    if zone is not None:
        # During an outage an unanswered query or a SERVFAIL lowers `answered`, the figure
        # this workload measures; a NOERROR whose data is not the zone's is a wrong answer
        # and fails the run, as everywhere else.
        wrong = sum(v for k, v in outcomes.items() if k not in RCODES.values() and k != "ok")
        result["correct"] = answered
        result["wrong_answers"] = wrong
        result["failed"] = wrong > MAX_INCORRECT * sent
        result["fail_reason"] = f"{wrong} NOERROR answers without the zone's data" if result["failed"] else ""
    return result, per_name


def cmd_paced(args):
    """Sends each name of the file once at `rate` qps from one socket, waits at most `tail`
    seconds after the last send, and prints JSON: sent, answered (with --zone: NOERROR with
    exactly the zone's addresses; without: NOERROR with an answer), the rcode and outcome mix,
    lost, and p50/p99/avg of answered latencies in milliseconds."""
    zone = load_zone(args.zone) if args.zone else None
    names = [line.split()[0] for line in open(args.file) if line.strip()]
    names = names[: args.count] if args.count else names
    result, _ = paced(args.port, names, args.rate, args.tail, zone)
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------
# Outage load (issue 16): upstream packets per client query while upstreams fail


def cmd_chaos_zone(args):
    """The zone scripts/chaos-upstream.py answers (n0.Z .. n{N-1}.Z, A, TTL S), written as a
    zone file load_zone reads: the addresses come from chaos-upstream.py's own Zone class, so
    the two cannot disagree."""
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chaos-upstream.py")
    spec = importlib.util.spec_from_file_location("chaos_upstream", path)
    chaos = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(chaos)
    zone = chaos.Zone(args.zone, args.names, args.ttl)
    with open(args.out, "w") as f:
        f.write(f"$ORIGIN {zone.zone}.\n")
        for i in range(args.names):
            f.write(f"n{i} {args.ttl} A {socket.inet_ntoa(zone.address(f'n{i}.{zone.zone}'))}\n")


def read_counts(path, after, timeout=3.0):
    """chaos-upstream.py's --counts-file once it was written after `after` (time.time()), so
    it holds every query that arrived before then."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path) as f:
                counts = json.load(f)
            if counts.get("written_at", 0) > after:
                return counts
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"outage-load: {path} not rewritten within {timeout} s (is the fake upstream running?)")
        time.sleep(0.02)


def wait_upstream(port, zone_name, start=0, deadline_s=20.0):
    """Asks names that do not exist (canary<k>.<zone>, each new, so never cached) until one
    is answered NXDOMAIN: the server reaches an upstream. Returns the next k; exits when the
    deadline passes."""
    deadline = time.monotonic() + deadline_s
    k = start
    while time.monotonic() < deadline:
        _, per_name = paced(port, [f"canary{k}.{zone_name}"], 1, 2.0)
        k += 1
        if per_name[0] == "NXDOMAIN":
            return k
        time.sleep(0.5)
    raise SystemExit(f"outage-load: the server on port {port} reached no upstream within {deadline_s} s")


def set_mode(path, mode):
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        f.write(mode + "\n")
    os.replace(temporary, path)


def control_get(socket_path, path, timeout=5.0):
    """GET path over Holdfast's control socket (HTTP/1.1 on a Unix socket); the body, or None."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(socket_path)
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    return body.decode("utf-8", "replace")


def holdfast_snapshot(socket_path):
    """The /stats counters and holdfast_upstream_requests_total{provider,outcome} this
    workload reports per phase (deltas), or None without a control socket."""
    if not socket_path:
        return None
    stats_text = control_get(socket_path, "/stats")
    metrics_text = control_get(socket_path, "/metrics") or ""
    try:
        stats = json.loads(stats_text or "{}")
    except ValueError:
        stats = {}
    flat = {
        "upstream_requests": (stats.get("upstream") or {}).get("requests"),
        "upstream_failures": (stats.get("upstream") or {}).get("failures"),
        "retry_budget_exhausted": stats.get("retry_budget_exhausted"),
        "failure_cache_hits": stats.get("failure_cache_hits"),
        "cache_misses": (stats.get("cache") or {}).get("misses"),
        "cache_stale": (stats.get("cache") or {}).get("stale"),
        "cache_hits": (stats.get("cache") or {}).get("hits"),
        "coalesced": stats.get("coalesced"),
        "prefetches": stats.get("prefetches"),
    }
    requests = {}
    for m in re.finditer(r"^holdfast_upstream_requests_total\{([^}]*)\}\s+([0-9.eE+]+)", metrics_text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        key = f"{labels.get('provider', '?')}/{labels.get('outcome', '?')}"
        requests[key] = requests.get(key, 0) + int(float(m.group(2)))
    flat["requests_by_provider_outcome"] = requests
    return flat


def holdfast_upstreams(socket_path):
    """{provider: {"state", "srtt_ms"}} from Holdfast's /upstreams (first server of each)."""
    if not socket_path:
        return None
    try:
        view = json.loads(control_get(socket_path, "/upstreams") or "{}")
    except ValueError:
        return None
    out = {}
    for provider in view.get("providers", []):
        servers = provider.get("servers") or [{}]
        out[provider.get("name")] = {"state": servers[0].get("state"), "srtt_ms": servers[0].get("srtt_ms")}
    return out


def snapshot_delta(before, after):
    if before is None or after is None:
        return None
    out = {}
    for key, value in after.items():
        if isinstance(value, dict):
            old = before.get(key) or {}
            out[key] = {k: v - old.get(k, 0) for k, v in sorted(value.items()) if v - old.get(k, 0)}
        elif value is not None and before.get(key) is not None:
            out[key] = value - before[key]
        else:
            out[key] = None
    return out


# The phases, in order: (workload name, mode of the first fake, mode of the second, what it is).
OUTAGE_LOAD_PHASES = [
    ("outage_load_drop_slow", "blackhole", "slow", "first provider silently dropping, second slow"),
    ("outage_load_refuse", "refuse", "refuse", "both providers refusing"),
]


def cmd_outage_load(args):
    """One server's outage-load run (issue 16), the server already started and forwarding to
    the two fakes (chaos-upstream.py with --counts-file and --names NAMES x phases), both in
    mode normal. Each phase k of OUTAGE_LOAD_PHASES asks its own NAMES names,
    n{k*NAMES} .. n{(k+1)*NAMES-1}; the even-numbered half of each phase's names has stale data:
      1. warm: the stale half of every phase's names asked once, both fakes normal; then two
         names asked while the first fake drops them (one at a time, 2 s each);
      2. wait until every warmed answer expired (TTL + 1.5 s) and the server reaches an
         upstream (a canary name answered NXDOMAIN);
      3. each phase in turn: switch the fakes' modes, ask the phase's names once each at --rate
         qps (paced, one socket, every answer checked against the zone), wait --tail s after
         the last query and --gap s more, and count the queries both fakes received from the
         switch to the end of the gap;
      4. the fakes back to normal.
    Writes OUT/<phase>.json per phase (metrics for bench.sh's record) and prints a one-line
    summary per phase to stderr."""
    zone = load_zone(args.zone_file)
    phase_names = [[f"n{k * args.names + i}.{args.zone}" for i in range(args.names)]
                   for k in range(len(OUTAGE_LOAD_PHASES))]
    stale_half = [n for names in phase_names for i, n in enumerate(names) if i % 2 == 0]
    set_mode(args.mode_files[0], "normal")
    set_mode(args.mode_files[1], "normal")
    warm_start = [read_counts(f, time.time()) for f in args.counts_files]
    # Warm at 1,000 qps. Names the server did not answer correctly (a loaded machine can
    # stall a fake long enough for a resolver to give up, or mark it down) are asked again,
    # bounded, once the server reaches an upstream again and Holdfast's failure cache (5 s)
    # has let them go.
    have_data = set()
    missing = list(stale_half)
    first_pass = None
    canary = 0
    for attempt in range(3):
        if attempt:
            canary = wait_upstream(args.port, args.zone, canary)
            time.sleep(5.5)
        result, per_name = paced(args.port, missing, 1000, 2.0, zone)
        first_pass = first_pass or result["outcomes"]
        have_data.update(n for n, o in zip(missing, per_name) if o == "ok")
        missing = [n for n, o in zip(missing, per_name) if o != "ok"]
        if not missing:
            break
    warm = {"asked": len(stale_half), "answered": len(stale_half) - len(missing), "first_pass": first_pass,
            "passes": attempt + 1}
    # Two queries lost at the first provider before the outage, as on any real path: a server
    # that resends then hears from the second provider too, so what it knows of the second
    # provider when the outage starts does not hang on whether the warm-up happened to make a
    # fake late (Holdfast times its attempts at a provider by the RTT it measured there; one
    # it never heard from gets the unmeasured 376 ms).
    set_mode(args.mode_files[0], "blackhole")
    for k in range(2):
        paced(args.port, [f"lost{k}.{args.zone}"], 1, 2.0)
    set_mode(args.mode_files[0], "normal")
    time.sleep(args.ttl + 1.5)  # every warmed answer has expired
    # The outage starts with the server reaching its upstreams (it may have marked both down
    # in a stall, and Holdfast would then answer the first phase without asking anyone).
    waited = time.monotonic()
    canary = wait_upstream(args.port, args.zone, canary)
    warm["upstream_wait_s"] = time.monotonic() - waited
    os.makedirs(args.out, exist_ok=True)
    for (workload, first, second, label), names in zip(OUTAGE_LOAD_PHASES, phase_names):
        stale = have_data & set(names)
        t0 = time.time()
        before = [read_counts(f, t0) for f in args.counts_files]
        hf_before = holdfast_snapshot(args.control_socket)
        if workload == OUTAGE_LOAD_PHASES[0][0]:
            # What each provider got before the outage (the warm-up; with failover a healthy
            # first provider gets all, the second only what the first was slow to answer), and
            # for Holdfast what it knew of them: the RTO of a provider it never measured is 376 ms.
            warm["packets_by_fake"] = [b["total"] - w["total"] for b, w in zip(before, warm_start)]
            upstreams = holdfast_upstreams(args.control_socket)
            if upstreams is not None:
                warm["holdfast_upstreams"] = upstreams
        set_mode(args.mode_files[0], first)
        set_mode(args.mode_files[1], second)
        started = time.monotonic()
        result, per_name = paced(args.port, names, args.rate, args.tail, zone)
        asking_s = time.monotonic() - started
        # The same window for every server, whether it answered everything early or not: from
        # the switch to --tail + --gap after the last query.
        end = started + (len(names) - 1) / args.rate + args.tail + args.gap
        time.sleep(max(args.gap, end - time.monotonic()))
        t1 = time.time()
        after = [read_counts(f, t1) for f in args.counts_files]
        hf_after = holdfast_snapshot(args.control_socket)
        window_s = time.monotonic() - started
        packets = [a["total"] - b["total"] for a, b in zip(after, before)]
        # Slow replies the fakes sent more than 10/100/500 ms after they were due (a stalled
        # fake looks like a silent provider to the servers).
        fake_late = {k: sum(a.get("slow_late_over_ms", {}).get(k, 0) - b.get("slow_late_over_ms", {}).get(k, 0)
                            for a, b in zip(after, before)) for k in ("10", "100", "500")}
        per_name_packets = {}
        for a, b in zip(after, before):
            for n, c in a["names"].items():
                d = c - b["names"].get(n, 0)
                if d:
                    per_name_packets[n] = per_name_packets.get(n, 0) + d
        asked = set(names)
        histogram = {}
        for n in names:
            k = per_name_packets.get(n, 0)
            bucket = str(k) if k < 4 else "4+"
            histogram[bucket] = histogram.get(bucket, 0) + 1
        others = sum(c for n, c in per_name_packets.items() if n not in asked)
        # Packets by second of the phase (second 0 starts at the switch, wall-clock seconds
        # as the fakes count them, so the first and last buckets are partial).
        by_second = {}
        for a, b in zip(after, before):
            for second, c in a.get("by_second", {}).items():
                d = c - b.get("by_second", {}).get(second, 0)
                if d:
                    key = int(second) - int(t0)
                    by_second[key] = by_second.get(key, 0) + d
        stale_ok = sum(1 for n, o in zip(names, per_name) if n in stale and o == "ok")
        fresh = [(n, o) for n, o in zip(names, per_name) if n not in stale]
        fresh_ok = sum(1 for n, o in fresh if o == "ok")
        can_answer = second == "slow" or first == "slow"
        sent = result["sent"]
        total = sum(packets)
        result.update({
            "phase": label, "modes": [first, second],
            "upstream_packets": total, "upstream_packets_by_fake": packets,
            "upstream_per_query": total / sent if sent else None,
            "upstream_packets_per_name": dict(sorted(histogram.items())),
            "upstream_packets_other_names": others,
            "fake_replies_late_over_ms": fake_late,
            "fake_replies_late_100ms": fake_late["100"],
            "second_provider_warm_packets": (warm.get("packets_by_fake") or [None, None])[1],
            "upstream_packets_by_second": [by_second.get(k, 0) for k in range(max(by_second, default=-1) + 1)],
            "stale_names": len(stale), "stale_answered": stale_ok,
            "stale_answered_fraction": stale_ok / len(stale) if stale else None,
            "fresh_names": len(fresh), "fresh_answered": fresh_ok,
            "fresh_answered_fraction": fresh_ok / len(fresh) if fresh else None,
            # The slow provider has every name of the zone: with it in the phase, every name
            # can be answered; without it (both refusing), only those with stale data.
            "answerable_names": sent if can_answer else len(stale),
            "answerable_answered_fraction": (result["answered"] / sent if can_answer else
                                             (stale_ok / len(stale) if stale else None)),
            "asking_s": asking_s, "window_s": window_s, "after_last_query_s": args.tail + args.gap,
            "rate_qps": args.rate, "slow_ms": args.slow_ms,
            "warm": warm,
        })
        delta = snapshot_delta(hf_before, hf_after)
        if delta is not None:
            result["holdfast"] = delta
        with open(os.path.join(args.out, workload + ".json"), "w") as f:
            json.dump(result, f)
        print(f"outage-load {workload}: {total} upstream packets ({packets[0]} + {packets[1]}) for {sent} queries "
              f"= {total / sent:.3f}/query; stale answered {stale_ok}/{len(stale)}, others {fresh_ok}/{len(fresh)}; "
              f"{mix_text(result)}; packets by second {result['upstream_packets_by_second']}; "
              f"fake replies late by >10/100/500 ms: {'/'.join(str(v) for v in fake_late.values())}; "
              f"before the outage: packets by fake {warm.get('packets_by_fake')}"
              + (f", holdfast's view {warm['holdfast_upstreams']}" if warm.get("holdfast_upstreams") else "")
              + (f"; holdfast {delta}" if delta else ""), file=sys.stderr)
    set_mode(args.mode_files[0], "normal")
    set_mode(args.mode_files[1], "normal")


# ---------------------------------------------------------------------------------------
# Correctness: what the zone says each name's answer is, and a checker that asks a sample


def load_zone(path):
    """The A records of a zone file written by cmd_zone (read back from the file, not
    recomputed): ({owner: {address, ...}}, {wildcard parent: {address, ...}}), owners lower
    case with a trailing dot."""
    origin = "."
    exact, wild = {}, {}
    for line in open(path):
        line = line.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("$ORIGIN"):
            origin = line.split()[1].lower()
            continue
        if line.startswith("$"):
            continue
        fields = line.split()
        if "A" not in fields[1:4]:
            continue
        i = fields.index("A", 1)
        owner, address = fields[0].lower(), fields[i + 1]
        if owner == "@":
            owner = origin
        elif not owner.endswith("."):
            owner = owner + "." + origin
        if owner.startswith("*."):
            wild.setdefault(owner[2:], set()).add(address)
        else:
            exact.setdefault(owner, set()).add(address)
    return exact, wild


def expected_addresses(zone, name):
    exact, wild = zone
    name = name.lower().rstrip(".") + "."
    if name in exact:
        return exact[name]
    parent = name.split(".", 1)[1] if "." in name.rstrip(".") else None
    # One level of wildcard is all the bench zone uses (*.mem.bench.).
    return wild.get(parent) if parent else None


def read_name(data, offset):
    """(name lower case with trailing dot, offset after it); follows compression pointers."""
    labels, jumped, end, hops = [], False, offset, 0
    while True:
        if offset >= len(data):
            raise ValueError("name runs past the end")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data):
                raise ValueError("truncated pointer")
            if not jumped:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | data[offset + 1]
            jumped = True
            hops += 1
            if hops > 64:
                raise ValueError("pointer loop")
            continue
        if length == 0:
            if not jumped:
                end = offset + 1
            break
        labels.append(data[offset + 1: offset + 1 + length].decode("ascii", "replace").lower())
        offset += 1 + length
    return ".".join(labels) + ".", end


def check_answer(data, qid, qname, qtype, zone):
    """'ok' when the reply answers qname/qtype NOERROR with exactly the zone's addresses,
    else a short reason (also the rcode name for non-NOERROR replies)."""
    if len(data) < 12:
        return "short"
    rid, flags, qd, an = struct.unpack("!HHHH", data[:8])
    if rid != qid or not flags & 0x8000:
        return "not-a-reply"
    rcode = flags & 0xF
    if rcode != 0:
        return RCODES.get(rcode, f"RCODE{rcode}")
    if flags & 0x0200:
        return "truncated"
    try:
        offset = 12
        if qd != 1:
            return "question-count"
        name, offset = read_name(data, offset)
        rtype, rclass = struct.unpack("!HH", data[offset: offset + 4])
        offset += 4
        if name != qname.lower().rstrip(".") + "." or rtype != qtype:
            return "wrong-question"
        got = set()
        for _ in range(an):
            owner, offset = read_name(data, offset)
            atype, aclass, ttl, rdlen = struct.unpack("!HHIH", data[offset: offset + 10])
            offset += 10
            rdata = data[offset: offset + rdlen]
            offset += rdlen
            if atype == 1 and owner == name and rdlen == 4:
                got.add(socket.inet_ntoa(rdata))
    except (ValueError, struct.error):
        return "malformed"
    want = expected_addresses(zone, qname)
    if not got:
        return "no-data"
    if want is None or got != want:
        return "wrong-data"
    return "ok"


RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def ask_all(port, names, zone, window=32, timeout=2.0, deadline_s=60.0, latencies=None):
    """Asks each name (type A) once over one socket, at most `window` outstanding, and
    checks each reply: ({outcome: count}, [(name, outcome)] for the ones not ok). Bounded by
    deadline_s overall; names not answered within `timeout` count as 'timeout'. With a list
    for `latencies`, appends the milliseconds from send to receive of every correct reply."""
    addr = ("127.0.0.1", port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)  # room for a window of 512 replies
    sock.setblocking(False)
    outcomes, bad = {}, []
    pending = {}  # qid -> (name, sent_at)
    index = 0
    give_up = time.monotonic() + deadline_s
    rng = random.Random(len(names))
    def done(name, outcome):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome != "ok" and len(bad) < 20:
            bad.append((name, outcome))
    while (index < len(names) or pending) and time.monotonic() < give_up:
        while index < len(names) and len(pending) < window:
            qid = rng.randrange(1, 0xFFFF)
            while qid in pending:
                qid = rng.randrange(1, 0xFFFF)
            name = names[index]
            index += 1
            if send_one(sock, addr, encode_query(qid, name)):
                pending[qid] = (name, time.monotonic())
            else:
                done(name, "send-error")
        ready, _, _ = select.select([sock], [], [], 0.05)
        if ready:
            while True:
                try:
                    data = sock.recv(65535)
                except (BlockingIOError, InterruptedError, OSError):
                    break
                if len(data) < 2:
                    continue
                qid = struct.unpack("!H", data[:2])[0]
                entry = pending.pop(qid, None)
                if entry is not None:
                    outcome = check_answer(data, qid, entry[0], 1, zone)
                    if latencies is not None and outcome == "ok":
                        latencies.append((time.monotonic() - entry[1]) * 1000.0)
                    done(entry[0], outcome)
        now = time.monotonic()
        for qid, (name, t0) in list(pending.items()):
            if now - t0 > timeout:
                del pending[qid]
                done(name, "timeout")
    for name, _ in pending.values():
        done(name, "timeout")
    for name in names[index:]:
        done(name, "not-asked")
    sock.close()
    return outcomes, bad


def cmd_sampler(args):
    """Miss latency without dnsperf -v (which slows dnsperf's own closed loop 5-20x at -q 1 on
    this machine kind): asks --count fresh wildcard names (<prefix><i>.mem.bench, never asked
    before, so each is a miss) over one socket with --window outstanding, checks every answer
    against the zone, and prints JSON: p50/p99/avg ms of the correct answers, and outcomes."""
    zone = load_zone(args.zone)
    names = [f"{args.prefix}{i}.mem.bench" for i in range(args.count)]
    lat = []
    outcomes, bad = ask_all(args.port, names, zone, window=args.window, timeout=3.0, deadline_s=args.deadline,
                            latencies=lat)
    ok = outcomes.get("ok", 0)
    print(json.dumps({"sampler_sent": len(names), "sampler_ok": ok, "sampler_outcomes": outcomes,
                      "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
                      "sampler_avg_ms": statistics.fmean(lat) if lat else None,
                      "latency_of": f"python sampler, {len(names)} fresh names, {args.window} outstanding, one socket, "
                                    "right after the dnsperf run on the same server; correct answers only"}))


def cmd_verify(args):
    """Re-asks a sample of the names a load run asked and checks every reply's answer
    section against the zone. The sample is drawn from the first --asked lines of the query
    file (dnsperf reads its file in order) or, with --dnsperf-verbose, from the names dnsperf
    itself got NOERROR for, so every sampled name is one the run counted as answered.
    Prints JSON: sampled, ok, outcomes, bad examples."""
    zone = load_zone(args.zone)
    pool = []
    if args.dnsperf_verbose:
        for m in re.finditer(r"^> NOERROR (\S+) A ", open(args.dnsperf_verbose).read(), re.M):
            pool.append(m.group(1))
    else:
        with open(args.file) as f:
            for i, line in enumerate(f):
                if args.asked and i >= args.asked:
                    break
                if line.strip():
                    pool.append(line.split()[0])
    rng = random.Random(args.seed)
    sample = rng.sample(pool, min(args.sample, len(pool))) if pool else []
    outcomes, bad = ask_all(args.port, sample, zone, deadline_s=args.deadline)
    ok = outcomes.get("ok", 0)
    print(json.dumps({"sampled": len(sample), "ok": ok, "outcomes": outcomes,
                      "bad": [f"{n} {o}" for n, o in bad]}))


# ---------------------------------------------------------------------------------------
# Start a daemon and time READY=1 (sd_notify) or, failing that, its first answer


def cmd_start_ready(args):
    """Starts `command` (in its own session) with NOTIFY_SOCKET pointing at a socket we own,
    writes its pid to --pidfile, and prints JSON {ready_s, via}. The daemon keeps running."""
    path = args.notify_socket
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.setblocking(False)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    log = open(args.log, "ab") if args.log else subprocess.DEVNULL
    t0 = time.monotonic()
    proc = subprocess.Popen(args.command, env=env, stdout=log, stderr=log, start_new_session=True)
    with open(args.pidfile, "w") as f:
        f.write(str(proc.pid))
    probe_addr = ("127.0.0.1", args.port)
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.setblocking(False)
    deadline = t0 + args.timeout
    ready_at = answer_at = None
    next_probe = t0
    while time.monotonic() < deadline and proc.poll() is None:
        now = time.monotonic()
        if ready_at is not None and answer_at is not None:
            break
        if answer_at is not None and now - answer_at > args.notify_grace:
            break  # answering but no READY=1: report the first answer
        if answer_at is None and now >= next_probe:
            send_one(probe, probe_addr, encode_query(7, args.name))
            next_probe = now + 0.005
        ready, _, _ = select.select([listener, probe], [], [], 0.005)
        for s in ready:
            try:
                data = s.recv(4096)
            except OSError:
                continue
            if s is listener and ready_at is None and b"READY=1" in data.split(b"\n"):
                ready_at = time.monotonic() - t0
            elif s is probe and answer_at is None and len(data) >= 12:
                answer_at = time.monotonic() - t0
    listener.close()
    probe.close()
    ready_s = ready_at if ready_at is not None else answer_at
    via = "READY=1" if ready_at is not None else ("first answer" if answer_at is not None else None)
    print(json.dumps({"ready_s": ready_s, "via": via, "notify_s": ready_at, "first_answer_s": answer_at,
                      "alive": proc.poll() is None}))
    return 0 if ready_s is not None else 1


# ---------------------------------------------------------------------------------------
# Process accounting


def tree_pids(root):
    """root and its descendants (nsd and others fork)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError):
            continue
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def cmd_cpu(args):
    """Prints utime+stime in seconds summed over the process tree."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in tree_pids(args.pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            continue
    print(f"{total / ticks:.4f}")


def cmd_udp_drops(args):
    """Prints JSON receive-buffer drops from /proc/net/udp (this network namespace): at the
    server's listener (local port --listener), at the nsd (local port --nsd), and at the
    sockets connected to the nsd (the server's upstream side; sockets closed since are not
    counted). What the kernel counted beyond these was dnsperf's own sockets."""
    out = {"listener": 0, "nsd": 0, "to_nsd": 0}
    since = json.loads(args.since) if args.since else {}
    for line in open("/proc/net/udp").read().splitlines()[1:]:
        fields = line.split()
        local, remote, drops = int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16), int(fields[-1])
        if local == args.listener:
            out["listener"] += drops
        elif local == args.nsd:
            out["nsd"] += drops
        elif remote == args.nsd:
            out["to_nsd"] += drops
    # Sockets closed since the first snapshot take their count with them: never below zero.
    print(json.dumps({k: max(0, v - since.get(k, 0)) for k, v in out.items()}))


def cmd_rss(args):
    """Prints VmRSS in KiB summed over the process tree."""
    total = 0
    for pid in tree_pids(args.pid):
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    print(total)


# ---------------------------------------------------------------------------------------
# dnsperf output


def parse_dnsperf_text(text):
    def grab(pattern, cast=float):
        m = re.search(pattern, text)
        return cast(m.group(1)) if m else None

    rcodes = {}
    m = re.search(r"Response codes:\s+(.*)", text)
    if m:
        for name, count in re.findall(r"([A-Z][A-Z0-9]*) (\d+) \(", m.group(1)):
            rcodes[name] = int(count)
    return {
        "sent": grab(r"Queries sent:\s+(\d+)", int),
        "completed": grab(r"Queries completed:\s+(\d+)", int),
        "lost": grab(r"Queries lost:\s+(\d+)", int),
        "qps": grab(r"Queries per second:\s+([\d.]+)"),
        "runtime_s": grab(r"Run time \(s\):\s+([\d.]+)"),
        "avg_latency_ms": (lambda v: v * 1000 if v is not None else None)(grab(r"Average Latency \(s\):\s+([\d.]+)")),
        "noerror": rcodes.get("NOERROR", 0) if m else None,
        "rcodes": rcodes,
        "udp_drops": grab(r"UDP receive buffer drops: (-?\d+)", int),
        **{"drops_at_" + k: v for k, v in
           json.loads((re.search(r"UDP receive buffer drops by socket: (\{.*\})", text) or [None, "{}"])[1]).items()},
    }


# Share of a run's queries that may go without a correct answer before the run fails.
MAX_INCORRECT = 0.001
# Verifier outcomes that carry no data to judge (failure rcodes, no reply). NXDOMAIN for a
# name the zone has is judged: it is a wrong answer.
UNJUDGED = {"FORMERR", "SERVFAIL", "NOTIMP", "REFUSED", "timeout", "not-asked", "send-error"} | {
    f"RCODE{i}" for i in range(6, 16)}


def correctness(perf, verify):
    """Folds dnsperf's rcode counts and a verifier sample (cmd_verify's JSON) into the
    counts of correct answers: a NOERROR counts as correct in the proportion the sample of
    NOERROR names re-asked and checked against the zone came back right (all of them, when the
    sample is clean). Lost queries and every other rcode are incorrect."""
    sent = perf.get("sent") or 0
    noerror = perf.get("noerror") or 0
    outcomes = (verify or {}).get("outcomes", {})
    ok = outcomes.get("ok", 0)
    # A re-asked name that now gets SERVFAIL (say) or no reply says nothing about the data the
    # run's NOERROR answers carried: only answers with data are judged, right or wrong.
    wrong = sum(v for k, v in outcomes.items() if k not in UNJUDGED and k != "ok")
    sampled = ok + wrong
    if noerror and sampled:
        correct = noerror if ok == sampled else int(noerror * ok / sampled)
    else:
        correct = 0
    incorrect = 1.0 - correct / sent if sent else 1.0
    out = {"correct": correct, "incorrect_fraction": incorrect,
           "verify_sampled": sampled, "verify_ok": ok, "verify_outcomes": (verify or {}).get("outcomes", {}),
           "verify_bad": (verify or {}).get("bad", [])[:5]}
    reasons = []
    if incorrect > MAX_INCORRECT:
        reasons.append(f"{incorrect * 100:.2f} % of {sent:,} queries without a correct answer")
    if noerror and not sampled:
        reasons.append("no NOERROR answer could be checked against the zone")
    if sampled and ok != sampled:
        bad = [b for b in out["verify_bad"] if b.split()[-1] not in UNJUDGED][:3]
        reasons.append(f"{sampled - ok} of {sampled} re-asked names answered with data not the zone's ({', '.join(bad)})")
    if not sent:
        reasons.append("dnsperf sent nothing")
    s_sent, s_ok = perf.get("sampler_sent"), perf.get("sampler_ok")
    if s_sent and 1.0 - s_ok / s_sent > MAX_INCORRECT:
        reasons.append(f"latency sampler: {s_sent - s_ok} of {s_sent} not correct ({perf.get('sampler_outcomes')})")
    out["failed"] = bool(reasons)
    out["fail_reason"] = "; ".join(reasons)
    return out


def cmd_dnsperf(args):
    """Parses dnsperf's summary (and, with --verbose-latency, the per-query `>` lines for the
    average and p99 latency of the NOERROR answers) and prints JSON; with --verify (cmd_verify's
    JSON) the correct-answer counts and qps, and server CPU per query and per correct answer."""
    text = open(args.file).read()
    result = parse_dnsperf_text(text)
    if args.verbose_latency:
        lat = [float(m.group(1)) * 1000 for m in re.finditer(r"^> NOERROR \S+ \S+ ([\d.]+)$", text, re.M)]
        result["p50_ms"] = percentile(lat, 50)
        result["p99_ms"] = percentile(lat, 99)
        result["avg_ms"] = statistics.fmean(lat) if lat else None
        result["samples"] = len(lat)
        result["latency_of"] = "NOERROR answers, dnsperf -v per-query lines"
    if args.extra:
        result.update(json.loads(args.extra))
    if result.get("avg_ms") is None and result.get("avg_latency_ms") is not None:
        result["avg_ms"] = result["avg_latency_ms"]  # dnsperf's own average, over every answer
    if args.verify is not None:
        result.update(correctness(result, json.loads(args.verify) if args.verify else {}))
        if result.get("qps") is not None and result.get("completed"):
            result["correct_qps"] = result["qps"] * result["correct"] / result["completed"]
        else:
            result["correct_qps"] = 0.0
    if args.cpu_s is not None and result.get("completed"):
        result["cpu_s"] = args.cpu_s
        result["cpu_us_per_query"] = args.cpu_s / result["completed"] * 1e6
        if result.get("correct"):
            result["cpu_us_per_correct"] = args.cpu_s / result["correct"] * 1e6
    for key in ("q", "c"):
        if getattr(args, key, None) is not None:
            result[key] = getattr(args, key)
    print(json.dumps(result))


def cmd_gate(args):
    """Prints a FAIL line for one run's JSON metrics when it failed the correctness check
    (bench.sh logs it at once; the report repeats every FAIL at the end)."""
    m = json.loads(args.json or "{}")
    if m.get("failed"):
        print("\n".join(failures([{"server": args.server, "workload": args.workload, "rep": args.rep, "metrics": m}])))


# ---------------------------------------------------------------------------------------
# Report

# workload -> [(metric, label, higher_is_better, format)]
_MISS = [("correct_qps", "qps correct", True, "{:,.0f}"), ("incorrect_fraction", "not correct", False, "{:.2%}"),
         ("lost", "lost", False, "{:,.0f}"), ("udp_drops", "UDP drops", False, "{:,.0f}"),
         ("cpu_us_per_correct", "CPU µs/miss", False, "{:.2f}"), ("avg_ms", "avg ms", False, "{:.3f}"),
         ("p99_ms", "p99 ms", False, "{:.3f}")]
# The miss sweep: dnsperf -c C -q Q, every name once, a fresh server per row.
SWEEP = [("miss_q1", 1, 1), ("miss_q10", 1, 10), ("miss_q50", 1, 50), ("miss_q200", 1, 200), ("miss_q512", 1, 512),
         ("misses", 8, 512)]
METRICS = {
    "hits": [("correct_qps", "qps correct", True, "{:,.0f}"), ("incorrect_fraction", "not correct", False, "{:.2%}"),
             ("cpu_us_per_query", "CPU µs/q", False, "{:.2f}")],
    "misses": _MISS,
    "latency": [("avg_ms", "avg ms", False, "{:.3f}"), ("p99_ms", "p99 ms", False, "{:.3f}"),
                ("incorrect_fraction", "not correct", False, "{:.2%}")],
    "memory": [("rss_mib", "RSS MiB", False, "{:,.1f}"), ("bytes_per_name", "B/name", False, "{:,.0f}"),
               ("names_cached", "names", True, "{:,.0f}"), ("ready_s", "READY s", False, "{:.3f}")],
    "outage_stopped": [("answered_fraction", "answered", True, "{:.3f}"), ("p50_ms", "p50 ms", False, "{:.2f}"),
                       ("p99_ms", "p99 ms", False, "{:.2f}")],
    "outage_silent": [("answered_fraction", "answered", True, "{:.3f}"), ("p50_ms", "p50 ms", False, "{:.2f}"),
                      ("p99_ms", "p99 ms", False, "{:.2f}")],
}
for _w, _c, _q in SWEEP:
    METRICS.setdefault(_w, _MISS)
_OUTAGE_LOAD = [("upstream_per_query", "upstream packets per client query", False, "{:.2f}"),
                ("stale_answered_fraction", "names with stale data answered", True, "{:.1%}"),
                ("fresh_answered_fraction", "names without stale data answered", True, "{:.1%}"),
                ("answered_fraction", "all names answered", True, "{:.1%}"),
                ("p50_ms", "p50 ms (answered)", False, "{:.1f}"), ("p99_ms", "p99 ms (answered)", False, "{:.1f}"),
                # Not the server's doing: the slow fake's replies that left >100 ms after they were
                # due (a busy machine stalls it; to the servers it then looks silent).
                ("fake_replies_late_100ms", "slow fake's replies >100 ms late (busy machine)", False, "{:,.0f}"),
                # The second provider's state before the outage: measured (it answered during the
                # warm-up) or not. Holdfast times its attempts by what it measured before.
                ("second_provider_warm_packets", "packets the second provider got before the outage", None, "{:,.0f}")]
for _w, *_ in OUTAGE_LOAD_PHASES:
    METRICS[_w] = _OUTAGE_LOAD
# Issue 16's target for Holdfast during the outage, every phase.
OUTAGE_LOAD_MAX_PER_QUERY = 1.2
MAIN_TABLE = ["hits", "misses", "latency", "memory", "outage_stopped", "outage_silent"]


def mix_text(m):
    """'NOERROR 19,800 · SERVFAIL 200 · lost 0' for one run's metrics (dnsperf or paced)."""
    parts = [f"{k} {v:,}" for k, v in sorted((m.get("rcodes") or {}).items(), key=lambda kv: -kv[1])]
    parts.append(f"lost {m.get('lost') or 0:,}")
    return " · ".join(parts)


def drops_text(m):
    """'; UDP receive-buffer drops N: server listener a, ...' when the run had drops."""
    if not m.get("udp_drops") or "drops_at_listener" not in m:
        return ""
    known = sum(m.get(k) or 0 for k in ("drops_at_listener", "drops_at_to_nsd", "drops_at_nsd"))
    return (f"; UDP receive-buffer drops {m['udp_drops']:,}: server listener {m['drops_at_listener']:,}, "
            f"server->nsd sockets {m.get('drops_at_to_nsd') or 0:,}, nsd {m.get('drops_at_nsd') or 0:,}, "
            f"elsewhere (dnsperf, closed sockets) {max(0, m['udp_drops'] - known):,}")


def failures(rows):
    """One line per run that failed the correctness gate."""
    out = []
    for r in rows:
        m = r["metrics"]
        if not m.get("failed"):
            continue
        label = r["workload"]
        if m.get("c") is not None:
            label += f" (dnsperf -c {m['c']} -q {m['q']})"
        rate = m.get("correct_qps", m.get("answered_fraction"))
        rate_text = f"{rate:,.0f} correct answers/s" if "correct_qps" in m and rate is not None else ""
        out.append(f"FAIL {r['server']} / {label} / rep {r['rep']}: {m.get('fail_reason')}; sent {m.get('sent', 0):,}, "
                   f"correct {m.get('correct', m.get('answered', 0)):,}; {mix_text(m)}{drops_text(m)}"
                   + (f"; {rate_text} of {m.get('qps') or 0:,.0f} answers/s" if rate_text else ""))
    return out


def sweep_table(medians, servers, base="dnsdist"):
    """The miss sweep: one row per (c, q), per server qps of correct answers, CPU µs per correct
    miss, avg and p99 latency of the NOERROR answers, and correct share; (×N) = server / dnsdist."""
    rows = [(w, c, q) for w, c, q in SWEEP if w in medians]
    if not rows:
        return []
    cols = [s for s in servers if any(s in medians[w] for w, _, _ in rows)]
    lines = [f"Miss sweep (a fresh server per row, every name asked once; cells: qps of correct answers · "
             f"server CPU µs per correct miss · avg ms (dnsperf's, every answer) · p99 ms (python sampler: "
             f"fresh names, same Q outstanding, right after) · correct %; (×N) = server / {base}, same run):", ""]
    header = ["dnsperf"] + cols
    table = []
    for w, c, q in rows:
        row = [f"-c {c} -q {q}"]
        for s in cols:
            e = medians[w].get(s)
            if not e:
                row.append("-")
                continue
            b = medians[w].get(base) if s != base else None
            def cell(key, fmt, ratio=True):
                v = e.get(key)
                if v is None:
                    return "-"
                text = fmt.format(v)
                bv = b.get(key) if b else None
                if ratio and bv:
                    text += f" (×{v / bv:.2f})"
                return text
            correct = e.get("incorrect_fraction")
            correct_text = f"{(1 - correct) * 100:.2f} %" if correct is not None else "-"
            row.append(" · ".join([cell("correct_qps", "{:,.0f}"), cell("cpu_us_per_correct", "{:.1f}"),
                                   cell("avg_ms", "{:.3f}"), cell("p99_ms", "{:.3f}"), correct_text]))
        table.append(row)
    widths = [max(len(str(r[i])) for r in [header] + table) for i in range(len(header))]
    fmt_row = lambda r: "| " + " | ".join(str(x).ljust(wd) for x, wd in zip(r, widths)) + " |"
    lines.append(fmt_row(header))
    lines.append("|" + "|".join("-" * (wd + 2) for wd in widths) + "|")
    lines.extend(fmt_row(r) for r in table)
    return lines


def outage_load_table(medians, rows, servers):
    """The outage-load workload: per phase, per server, upstream packets per client query,
    names with stale data answered, the others answered, the rcode mix; then whether Holdfast
    met issue 16's target."""
    phases = [(w, label) for w, _, _, label in OUTAGE_LOAD_PHASES if w in medians]
    if not phases:
        return []
    cols = [s for s in servers if any(s in medians[w] for w, _ in phases)]
    first = next(r["metrics"] for r in rows if r["workload"] == phases[0][0])
    lines = [f"Outage load (issue 16; medians of the runs; rcodes of the last run): per phase {first.get('sent', 0):,} "
             f"names of its own, half with stale data (warmed before the outage, then expired), each asked once at "
             f"{first.get('rate_qps', 0):g} qps; upstream packets = queries both fake providers received from the "
             f"phase's start to {first.get('after_last_query_s', 0):g} s after its last query, probes included:", ""]
    header = ["phase", "metric"] + cols
    table = []
    for w, label in phases:
        for key, text, _, fmt in METRICS[w]:
            row = [label, text]
            for s in cols:
                v = (medians[w].get(s) or {}).get(key)
                row.append("-" if v is None else fmt.format(v))
            table.append(row)
        last = {s: ([r["metrics"] for r in rows if r["server"] == s and r["workload"] == w] or [None])[-1] for s in cols}
        table.append([label, "rcodes (last run)"] + [mix_text(last[s]) if last[s] else "-" for s in cols])
        table.append([label, "names by packets sent for them, 0·1·2·3·4+ (last run)"] + [
            "·".join(str((last[s].get("upstream_packets_per_name") or {}).get(k, 0)) for k in ("0", "1", "2", "3", "4+"))
            + f" (+{last[s].get('upstream_packets_other_names', 0)} other names)" if last[s] else "-" for s in cols])
    widths = [max(len(str(r[i])) for r in [header] + table) for i in range(len(header))]
    fmt_row = lambda r: "| " + " | ".join(str(x).ljust(wd) for x, wd in zip(r, widths)) + " |"
    lines.append(fmt_row(header))
    lines.append("|" + "|".join("-" * (wd + 2) for wd in widths) + "|")
    lines.extend(fmt_row(r) for r in table)
    if "holdfast" in cols:
        slow_phases = {w for w, first, second, _ in OUTAGE_LOAD_PHASES if "slow" in (first, second)}
        misses = []
        for w, label in phases:
            h = medians[w].get("holdfast")
            if not h:
                continue
            per_query = h.get("upstream_per_query")
            if per_query is None or per_query > OUTAGE_LOAD_MAX_PER_QUERY:
                misses.append(f"{label}: {per_query if per_query is None else round(per_query, 3)} upstream packets per "
                              f"query (at most {OUTAGE_LOAD_MAX_PER_QUERY})")
            for peer in cols:
                pv = (medians[w].get(peer) or {}).get("upstream_per_query")
                if peer != "holdfast" and pv is not None and per_query is not None and per_query >= pv:
                    misses.append(f"{label}: not fewer upstream packets than {peer} ({per_query:.3f} vs {pv:.3f})")
            if h.get("stale_answered_fraction") not in (None, 1.0):
                misses.append(f"{label}: {h['stale_answered_fraction']:.1%} of the names with stale data answered")
            if w in slow_phases and h.get("answered_fraction") not in (None, 1.0):
                misses.append(f"{label}: {h['answered_fraction']:.1%} of the names the slow provider can answer answered")
        lines.append("")
        lines.append("Issue 16's target (Holdfast: at most 1.2 upstream packets per client query and fewer than every "
                     "peer; every name with stale data answered; every name the slow provider can answer answered): "
                     + ("met." if not misses else "NOT met: " + "; ".join(misses) + "."))
    return lines


def cmd_report(args):
    rows = [json.loads(line) for line in open(args.raw) if line.strip()]
    servers = []
    for r in rows:
        if r["server"] not in servers:
            servers.append(r["server"])
    medians = {}
    for workload, metrics in METRICS.items():
        for server in servers:
            reps = [r["metrics"] for r in rows if r["server"] == server and r["workload"] == workload]
            if not reps:
                continue
            entry = {"runs": len(reps)}
            for key, *_ in metrics:
                values = [m[key] for m in reps if m.get(key) is not None]
                entry[key] = statistics.median(values) if values else None
            fails = sum(1 for m in reps if m.get("failed"))
            if fails:
                entry["failed_runs"] = fails
            for key in ("via", "note", "capacity"):
                notes = [m[key] for m in reps if m.get(key)]
                if notes:
                    entry[key] = notes[0]
            medians.setdefault(workload, {})[server] = entry
    ratios = {}
    base = "holdfast"
    for workload, per_server in medians.items():
        if base not in per_server:
            continue
        for server, entry in per_server.items():
            if server == base:
                continue
            for key, *_ in METRICS[workload]:
                if key == "incorrect_fraction":
                    continue  # a ratio of error shares means nothing
                hv, pv = per_server[base].get(key), entry.get(key)
                if hv is not None and pv not in (None, 0):
                    ratios.setdefault(workload, {}).setdefault(server, {})[key] = hv / pv
    machine = {
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        "cores": os.cpu_count(),
        "kernel": os.uname().release,
        "load_at_end": open("/proc/loadavg").read().split()[:3],
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }
    failed = failures(rows)
    out = {"machine": machine, "settings": json.loads(args.settings) if args.settings else {},
           "medians": medians, "ratios_holdfast_over_peer": ratios, "failures": failed,
           "max_incorrect_fraction": MAX_INCORRECT, "runs": rows}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)

    lines = []
    lines.append(f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['mem_gib']} GiB, Linux {machine['kernel']}, "
                 f"load average at the end {' '.join(machine['load_at_end'])}")
    lines.append("Medians of the runs per cell; (×N) = Holdfast / peer on that metric.")
    lines.append("")
    # Servers measured only in the outage-load workload (dnsmasq, by default) have their own table.
    main_servers = [s for s in servers if any(s in medians.get(w, {}) for w in MAIN_TABLE)]
    header = ["workload", "metric"] + main_servers
    table = []
    for workload in MAIN_TABLE:
        metrics = METRICS[workload]
        if workload not in medians:
            continue
        for key, label, _, fmt in metrics:
            row = [workload, label]
            for server in main_servers:
                entry = medians[workload].get(server)
                value = entry.get(key) if entry else None
                if value is None:
                    row.append("-")
                    continue
                cell = fmt.format(value)
                ratio = ratios.get(workload, {}).get(server, {}).get(key)
                if ratio is not None:
                    cell += f" (×{ratio:.2f})" if ratio >= 0.1 else f" (×{ratio:.1e})"
                row.append(cell)
            table.append(row)
    widths = [max(len(str(r[i])) for r in [header] + table) for i in range(len(header))]
    fmt_row = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
    if table:  # (empty when only the outage_load workload ran: it has its own table below)
        lines.append(fmt_row(header))
        lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        lines.extend(fmt_row(r) for r in table)
    notes = []
    for workload, per_server in medians.items():
        for server, entry in per_server.items():
            if entry.get("note"):
                notes.append(f"- {server} / {workload}: {entry['note']}")
    if notes:
        lines.append("")
        lines.extend(notes)
    sweep = sweep_table(medians, servers)
    if sweep:
        lines.append("")
        lines.extend(sweep)
    outage_load = outage_load_table(medians, rows, servers)
    if outage_load:
        lines.append("")
        lines.extend(outage_load)
    lines.append("")
    lines.append("Answers, every run (dnsperf's rcode counts, or the paced client's for the outage; "
                 "correct = NOERROR with the zone's data):")
    for r in rows:
        m = r["metrics"]
        if "rcodes" not in m:
            continue
        label = r["workload"] + (f" -c {m['c']} -q {m['q']}" if m.get("c") is not None else "")
        sent = m.get("sent") or 0
        correct = m.get("correct", m.get("answered"))
        share = f"{correct / sent * 100:.2f} % correct" if sent and correct is not None else "not checked"
        check = (f", {m['verify_ok']}/{m['verify_sampled']} re-asked ok" if "verify_sampled" in m else "")
        drops = drops_text(m)
        lines.append(f"- {r['server']} / {label} / rep {r['rep']}: {sent:,} sent, {share}{check}; {mix_text(m)}{drops}"
                     + ("  <-- FAIL" if m.get("failed") else ""))
    lines.append("")
    if failed:
        lines.append(f"CORRECTNESS CHECK FAILED: {len(failed)} run(s) with more than {MAX_INCORRECT:.1%} of queries "
                     "not answered correctly (their figures are not measurements of correct answers):")
        lines.extend(failed)
    else:
        lines.append(f"Correctness check passed: every run had at most {MAX_INCORRECT:.1%} of queries not answered correctly.")
    text = "\n".join(lines)
    print(text)
    if args.table:
        with open(args.table, "w") as f:
            f.write(text + "\n")
    return 3 if failed else 0



TRACE_EVENTS = ["sched:sched_wakeup", "sched:sched_switch"] + [
    "syscalls:sys_%s_%s" % (edge, call) for edge in ("enter", "exit")
    for call in ("epoll_wait", "poll", "recvmmsg", "recvmsg", "recvfrom", "sendmmsg", "sendmsg", "sendto")]

SERVER_THREADS = {"holdfast": "holdfast-udp", "dnsdist": "dnsdist/udpClie", "unbound": "unbound",
                  "dnsmasq": "dnsmasq", "nsd": "nsd"}


def cmd_trace_events(args):
    print(" ".join("-e " + e for e in TRACE_EVENTS))


def cmd_trace(args):
    """Per-reply timeline from `perf record -a` on TRACE_EVENTS during the latency workload:
    the server thread's steps from the kernel waking it to each reply, and the client's side:
    reply written -> dnsperf received, and how often dnsperf's receiver was asleep in poll."""
    import bisect
    import subprocess
    from collections import Counter, defaultdict
    server = SERVER_THREADS.get(args.server, args.server)
    text = subprocess.run(["perf", "script", "-i", args.file, "-F", "comm,tid,time,event,trace"],
                          capture_output=True, text=True).stdout
    rows = []
    for line in text.splitlines():
        # comm may contain spaces (never for these threads); the time field ends with ':'
        m = re.match(r"\s*(\S+)\s+(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)", line)
        if m:
            rows.append((m.group(1), m.group(2), float(m.group(3)), m.group(4), m.group(5)))
    sends = ("syscalls:sys_exit_sendmmsg", "syscalls:sys_exit_sendmsg", "syscalls:sys_exit_sendto")
    def stats(values):
        values = sorted(values)
        if not values:
            return "n=0"
        pick = lambda q: values[min(len(values) - 1, int(len(values) * q))]
        return "n=%6d p50=%5.1f p90=%5.1f p99=%5.1f us" % (len(values), pick(.5), pick(.9), pick(.99))
    # Server side: each wake of the server thread until its first and second replies, and the steps.
    steps = defaultdict(list); first = []; second = []
    wake = None; seq = []; replies = []
    def close_wake():
        if wake is not None and replies:
            first.append((replies[0] - wake) * 1e6)
            if len(replies) > 1:
                second.append((replies[1] - wake) * 1e6)
    for comm, tid, t, event, rest in rows:
        if event == "sched:sched_wakeup" and ("comm=" + server) in rest:
            close_wake(); wake = t; seq = [(t, "wake")]; replies = []
            continue
        if wake is None or not comm.startswith(server):
            if event == "sched:sched_switch" and ("next_comm=" + server) in rest and wake is not None:
                seq.append((t, "on-cpu"))
            continue
        name = event.replace("syscalls:sys_", "")
        if event.startswith("syscalls:"):
            seq.append((t, name))
        if event in sends:
            count = int(rest.split()[0], 16) if event.endswith("sendmmsg") else 1
            if count < 1 << 62:
                replies.extend([t] * count)
            if len(replies) == count:  # the wake's first reply: record the steps to it
                for (t0, a), (t1, b) in zip(seq, seq[1:]):
                    steps[a + " -> " + b].append((t1 - t0) * 1e6)
    close_wake()
    print("server thread %s, from the kernel waking it:" % server)
    print("  %-34s %s" % ("first reply written", stats(first)))
    print("  %-34s %s" % ("second reply written", stats(second)))
    for key, values in sorted(steps.items(), key=lambda kv: -len(kv[1])):
        if len(values) >= len(first) // 2:
            print("  step %-29s %s" % (key, stats(values)))
    # Client side.
    receivers = Counter(tid for comm, tid, t, event, rest in rows
                        if comm == "dnsperf" and event == "syscalls:sys_exit_recvfrom")
    if not receivers:
        return
    receiver = receivers.most_common(1)[0][0]
    received = [t for comm, tid, t, event, rest in rows
                if tid == receiver and event == "syscalls:sys_exit_recvfrom" and not rest.startswith("0xffff")]
    single = [t for comm, tid, t, event, rest in rows
              if comm.startswith(server) and event in sends and (not event.endswith("sendmmsg") or rest.split()[0] == "0x1")]
    polls = []; start = None
    for comm, tid, t, event, rest in rows:
        if tid == receiver and event == "syscalls:sys_enter_poll":
            start = t
        elif tid == receiver and event == "syscalls:sys_exit_poll" and start is not None:
            polls.append((start, t)); start = None
    delays = []
    for t in single:
        i = bisect.bisect_left(received, t)
        if i < len(received):
            delays.append((received[i] - t) * 1e6)
    starts = [a for a, b in polls]
    asleep = sum(1 for t in single
                 if (lambda i: i >= 0 and polls[i][0] <= t <= polls[i][1])(bisect.bisect_right(starts, t) - 1))
    print("client side (dnsperf's receiving thread), replies written one per call:")
    print("  %-34s %s" % ("reply written -> dnsperf received", stats(delays)))
    print("  %-34s %.1f %%" % ("dnsperf asleep in poll at the reply", 100.0 * asleep / max(1, len(single))))


# ---------------------------------------------------------------------------------------
# The DoT row (scripts/bench-dot.sh): its own table and targets, after bench.sh's report.

DOT_SERVERS = ["holdfast", "unbound", "dnsdist"]
DOH_SERVERS = ["holdfast", "dnsdist"]   # the DoH line (issue 16): workloads doh_q<Q>
DOT_KEYS = ["correct_qps", "cpu_us_per_correct", "avg_ms", "p50_ms", "p99_ms", "incorrect_fraction", "completed",
            "tcp_accepts", "start_accepts", "handshakes_per_10k", "holdfast_tls_handshakes", "holdfast_tls_resumed"]
# Issue 15's targets.
DOT_LATENCY_RATIO = 1.3
DOT_HANDSHAKES_PER_10K = 1.0


def cmd_dot_report(args):
    """The DoT rows of raw.jsonl (workloads dot_q<Q> and dot_plain_q1) and the DoH line (doh_q<Q>):
    medians over reps per server, a table each with every rep, issue 15's targets, each stated met
    or not, and issue 16's Holdfast-against-dnsdist comparison over DoH. Appends the text to
    --table and adds it under "dot" in --results (bench.sh's report wrote both)."""
    rows = [json.loads(line) for line in open(args.raw) if line.strip()]
    rows = [r for r in rows if r["workload"].startswith(("dot_", "doh_"))]
    if not rows:
        print("DoT row: no runs recorded (see the bench log)")
        return 0
    qs = [int(q) for q in args.qs.split()]
    medians = {}
    for r in rows:
        medians.setdefault(r["workload"], {}).setdefault(r["server"], []).append(r["metrics"])
    for workload, per_server in medians.items():
        for server, reps in per_server.items():
            entry = {"runs": len(reps), "failed_runs": sum(1 for m in reps if m.get("failed"))}
            for key in DOT_KEYS:
                values = [m[key] for m in reps if m.get(key) is not None]
                entry[key] = statistics.median(values) if values else None
            per_server[server] = entry

    def fmt(v, f):
        return "-" if v is None else f.format(v)

    servers_seen = sorted({r["metrics"].get("dot_server") or "?" for r in rows if r["workload"].startswith("dot_")})
    lines = ["", "DoT misses (issue 15): dnsperf -c 1 -q Q, a fresh server per row, every name a miss, forwarded over "
             "DNS over TLS to one nsd (tls-port) on loopback; Holdfast plain = the same nsd's plain DNS port. "
             f"DoT server: {'; '.join(servers_seen)}.",
             "Cells (medians of the reps): qps of correct answers · server CPU µs per correct miss (×N = Holdfast / "
             "that server; in the plain column, Holdfast over DoT / plain) · avg ms (dnsperf) · p50 / p99 ms (sampler) · TLS handshakes per 10,000 queries in the "
             "steady run (TCP connections the DoT server accepted during it; +N = connections opened from the "
             "server's start to the end of its warm-up) · correct %.", ""]
    header = ["dnsperf"] + [s for s in DOT_SERVERS] + ["holdfast, plain DNS"]
    table = []
    for q in qs:
        row = [f"-c 1 -q {q}"]
        hold = medians.get(f"dot_q{q}", {}).get("holdfast")
        for s in DOT_SERVERS + ["plain"]:
            e = medians.get(f"dot_plain_q{q}" if s == "plain" else f"dot_q{q}", {}).get("holdfast" if s == "plain" else s)
            if not e:
                row.append("-")
                continue
            cpu = fmt(e["cpu_us_per_correct"], "{:.1f}")
            if s != "holdfast" and hold and hold.get("cpu_us_per_correct") and e.get("cpu_us_per_correct"):
                cpu += f" (×{hold['cpu_us_per_correct'] / e['cpu_us_per_correct']:.2f})"
            parts = [fmt(e["correct_qps"], "{:,.0f}"), cpu, fmt(e["avg_ms"], "{:.3f}"),
                     f"{fmt(e['p50_ms'], '{:.3f}')} / {fmt(e['p99_ms'], '{:.3f}')}"]
            if s != "plain":
                parts.append(fmt(e["handshakes_per_10k"], "{:.2f}") + " hs/10k"
                             + (f" (+{e['start_accepts']:g})" if e.get("start_accepts") is not None else ""))
            inc = e.get("incorrect_fraction")
            parts.append("-" if inc is None else f"{(1 - inc) * 100:.2f} %")
            if e["failed_runs"]:
                parts.append(f"FAIL {e['failed_runs']}/{e['runs']}")
            row.append(" · ".join(parts))
        table.append(row)
    widths = [max(len(str(r[i])) for r in [header] + table) for i in range(len(header))]
    fmt_row = lambda r: "| " + " | ".join(str(x).ljust(wd) for x, wd in zip(r, widths)) + " |"
    lines.append(fmt_row(header))
    lines.append("|" + "|".join("-" * (wd + 2) for wd in widths) + "|")
    lines.extend(fmt_row(r) for r in table)

    doh_lines, doh = doh_section(rows, medians, qs, fmt)
    lines += doh_lines

    lines += ["", "Every DoT and DoH run: answered queries, correct qps, CPU µs/miss, avg / p50 / p99 ms, TCP accepts at "
              "the DoT (DoH) server during the run (Holdfast's own /upstreams count: handshakes, of them resumed) and from "
              "the server's start to the end of its warm-up:"]
    for r in rows:
        m = r["metrics"]
        own = (f" (own count {m['holdfast_tls_handshakes']}, resumed {m.get('holdfast_tls_resumed')})"
               if m.get("holdfast_tls_handshakes") is not None else "")
        accepts = (f"; accepts {m['tcp_accepts']}{own}, at start {m.get('start_accepts')}"
                   if m.get("tcp_accepts") is not None else "")
        lines.append(f"- {r['server']} / {r['workload']} / rep {r['rep']}: {m.get('completed') or 0:,} answered, "
                     f"{fmt(m.get('correct_qps'), '{:,.0f}')} qps, {fmt(m.get('cpu_us_per_correct'), '{:.1f}')} µs, "
                     f"{fmt(m.get('avg_ms'), '{:.3f}')} / {fmt(m.get('p50_ms'), '{:.3f}')} / {fmt(m.get('p99_ms'), '{:.3f}')} ms"
                     f"{accepts}; {mix_text(m)}" + ("  <-- FAIL" if m.get("failed") else ""))

    targets = []
    for q in qs:
        per = medians.get(f"dot_q{q}", {})
        h = (per.get("holdfast") or {}).get("cpu_us_per_correct")
        peers = {s: (per.get(s) or {}).get("cpu_us_per_correct") for s in ("unbound", "dnsdist")}
        if h is None or any(v is None for v in peers.values()):
            targets.append({"target": f"CPU per DoT miss at Q = {q} <= Unbound's and dnsdist's", "met": None,
                            "text": "a server is missing"})
            continue
        met = all(h <= v for v in peers.values())
        targets.append({"target": f"CPU per DoT miss at Q = {q} <= Unbound's and dnsdist's", "met": met,
                        "text": f"Holdfast {h:.1f} µs, Unbound {peers['unbound']:.1f} (×{h / peers['unbound']:.2f}), "
                                f"dnsdist {peers['dnsdist']:.1f} (×{h / peers['dnsdist']:.2f})"})
    tls1 = (medians.get("dot_q1", {}).get("holdfast") or {}).get("avg_ms")
    plain1 = (medians.get("dot_plain_q1", {}).get("holdfast") or {}).get("avg_ms")
    if tls1 is not None and plain1:
        targets.append({"target": f"average latency at Q = 1 over DoT <= {DOT_LATENCY_RATIO}× Holdfast's plain-DNS miss",
                        "met": tls1 <= DOT_LATENCY_RATIO * plain1,
                        "text": f"{tls1:.3f} ms against {plain1:.3f} ms: ×{tls1 / plain1:.2f}"})
    else:
        targets.append({"target": f"average latency at Q = 1 over DoT <= {DOT_LATENCY_RATIO}× Holdfast's plain-DNS miss",
                        "met": None, "text": "no Q = 1 rows for both transports"})
    for q in qs:
        e = medians.get(f"dot_q{q}", {}).get("holdfast") or {}
        v = e.get("handshakes_per_10k")
        peers = ", ".join(f"{s} {fmt((medians.get(f'dot_q{q}', {}).get(s) or {}).get('handshakes_per_10k'), '{:.2f}')}"
                          for s in ("unbound", "dnsdist"))
        targets.append({"target": f"TLS handshakes per 10,000 queries at Q = {q} <= {DOT_HANDSHAKES_PER_10K:g}",
                        "met": None if v is None else v <= DOT_HANDSHAKES_PER_10K,
                        "text": f"Holdfast {fmt(v, '{:.2f}')} (own count {fmt(e.get('holdfast_tls_handshakes'), '{:g}')} "
                                f"in {fmt(e.get('completed'), '{:,.0f}')} queries); {peers}"})
    lines += ["", "Issue 15's targets (medians):"]
    for t in targets:
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[t["met"]]
        lines.append(f"- {t['target']}: {verdict} — {t['text']}")
    text = "\n".join(lines)
    print(text)
    if args.table:
        with open(args.table, "a") as f:
            f.write(text + "\n")
    if args.results and os.path.exists(args.results):
        with open(args.results) as f:
            results = json.load(f)
        results["dot"] = {"medians": medians, "targets": targets, "qs": qs}
        if doh:
            results["dot"]["doh"] = doh
        with open(args.results, "w") as f:
            json.dump(results, f, indent=2)
    return 0


def doh_section(rows, medians, qs, fmt):
    """Issue 16's DoH line: a small table (Holdfast, dnsdist; the dot table's cells) and, per Q,
    Holdfast against dnsdist stated plainly. Returns (lines, the dict for results.json or None)."""
    doh_rows = [r for r in rows if r["workload"].startswith("doh_")]
    if not doh_rows:
        return [], None
    label = "; ".join(sorted({r["metrics"].get("dot_server") or "?" for r in doh_rows}))
    notes = "; ".join(sorted({r["metrics"]["client_note"] for r in doh_rows if r["metrics"].get("client_note")}))
    lines = ["", "DoH misses (issue 16): the same rows, forwarded over DNS over HTTPS (HTTP/2 POST, /dns-query) to one "
             f"DoH server on loopback: {label}." + (f" {notes}." if notes else "")
             + " Cells as above (×N = Holdfast / dnsdist).", ""]
    header = ["dnsperf"] + DOH_SERVERS
    table = []
    for q in qs:
        per = medians.get(f"doh_q{q}", {})
        hold = per.get("holdfast")
        row = [f"-c 1 -q {q}"]
        for s in DOH_SERVERS:
            e = per.get(s)
            if not e:
                row.append("-")
                continue
            cpu = fmt(e["cpu_us_per_correct"], "{:.1f}")
            if s != "holdfast" and hold and hold.get("cpu_us_per_correct") and e.get("cpu_us_per_correct"):
                cpu += f" (×{hold['cpu_us_per_correct'] / e['cpu_us_per_correct']:.2f})"
            inc = e.get("incorrect_fraction")
            parts = [fmt(e["correct_qps"], "{:,.0f}"), cpu, fmt(e["avg_ms"], "{:.3f}"),
                     f"{fmt(e['p50_ms'], '{:.3f}')} / {fmt(e['p99_ms'], '{:.3f}')}",
                     fmt(e["handshakes_per_10k"], "{:.2f}") + " hs/10k"
                     + (f" (+{e['start_accepts']:g})" if e.get("start_accepts") is not None else ""),
                     "-" if inc is None else f"{(1 - inc) * 100:.2f} %"]
            if e["failed_runs"]:
                parts.append(f"FAIL {e['failed_runs']}/{e['runs']}")
            row.append(" · ".join(parts))
        table.append(row)
    widths = [max(len(str(r[i])) for r in [header] + table) for i in range(len(header))]
    fmt_row = lambda r: "| " + " | ".join(str(x).ljust(wd) for x, wd in zip(r, widths)) + " |"
    lines.append(fmt_row(header))
    lines.append("|" + "|".join("-" * (wd + 2) for wd in widths) + "|")
    lines.extend(fmt_row(r) for r in table)

    # Holdfast against dnsdist, per Q and figure: who is better (lower CPU, latency, handshakes;
    # higher qps), and by how much.
    better_low = [("cpu_us_per_correct", "CPU µs per miss", "{:.1f}"), ("avg_ms", "avg ms", "{:.3f}"),
                  ("p99_ms", "p99 ms", "{:.3f}")]
    comparisons = []
    for q in qs:
        per = medians.get(f"doh_q{q}", {})
        h, d = per.get("holdfast") or {}, per.get("dnsdist") or {}
        if not h or not d:
            comparisons.append({"q": q, "text": "a server is missing"})
            continue
        parts, entry = [], {"q": q}
        hv, dv = h.get("correct_qps"), d.get("correct_qps")
        if hv and dv:
            word = "more" if hv > dv else "fewer"
            parts.append(f"qps {hv:,.0f} against {dv:,.0f} (×{hv / dv:.2f}, {word})")
            entry["qps_ratio"] = hv / dv
        for key, name, f in better_low:
            hv, dv = h.get(key), d.get(key)
            if hv is None or not dv:
                continue
            word = "lower" if hv < dv else "higher"
            parts.append(f"{name} {f.format(hv)} against {f.format(dv)} (×{hv / dv:.2f}, {word})")
            entry[f"{key}_ratio"] = hv / dv
        hv, dv = h.get("handshakes_per_10k"), d.get("handshakes_per_10k")
        parts.append(f"handshakes per 10k {fmt(hv, '{:.2f}')} against {fmt(dv, '{:.2f}')}")
        entry["holdfast_handshakes_per_10k"], entry["dnsdist_handshakes_per_10k"] = hv, dv
        entry["holdfast_handshakes_ok"] = None if hv is None else hv <= DOT_HANDSHAKES_PER_10K
        entry["text"] = "; ".join(parts)
        comparisons.append(entry)
    lines += ["", "DoH, Holdfast against dnsdist (medians; ×N = Holdfast / dnsdist):"]
    for c in comparisons:
        flag = "  <-- Holdfast over 1 handshake per 10k" if c.get("holdfast_handshakes_ok") is False else ""
        lines.append(f"- Q = {c['q']}: {c['text']}{flag}")
    return lines, {"server": label, "client_notes": notes, "servers": DOH_SERVERS, "comparisons": comparisons,
                   "workloads": sorted({r["workload"] for r in doh_rows})}


def add_dot_report_parser(sub):
    p = sub.add_parser("dot-report"); p.add_argument("--raw", required=True); p.add_argument("--results")
    p.add_argument("--table"); p.add_argument("--qs", default="1 10 200")
    p.set_defaults(func=cmd_dot_report)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    add_dot_report_parser(sub)
    p = sub.add_parser("zone"); p.add_argument("--out", required=True)
    p.add_argument("--hits", type=int, default=10000); p.add_argument("--misses", type=int, default=200000)
    p.add_argument("--outage", type=int, default=1000); p.add_argument("--outage-ttl", type=int, default=1)
    p.set_defaults(func=cmd_zone)
    p = sub.add_parser("queries"); p.add_argument("--out", required=True); p.add_argument("--prefix", required=True)
    p.add_argument("--suffix", required=True); p.add_argument("--count", type=int, required=True)
    p.add_argument("--start", type=int, default=0)
    p.set_defaults(func=cmd_queries)
    p = sub.add_parser("probe"); p.add_argument("--port", type=int, required=True)
    p.add_argument("--name", default="bench."); p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(func=cmd_probe)
    p = sub.add_parser("paced"); p.add_argument("--port", type=int, required=True); p.add_argument("--file", required=True)
    p.add_argument("--rate", type=float, default=200); p.add_argument("--tail", type=float, default=3.0)
    p.add_argument("--count", type=int, default=0); p.add_argument("--zone", help="check every answer against this zone")
    p.set_defaults(func=cmd_paced)
    p = sub.add_parser("chaos-zone"); p.add_argument("--out", required=True); p.add_argument("--zone", required=True)
    p.add_argument("--names", type=int, required=True); p.add_argument("--ttl", type=int, required=True)
    p.set_defaults(func=cmd_chaos_zone)
    p = sub.add_parser("outage-load"); p.add_argument("--port", type=int, required=True)
    p.add_argument("--zone", required=True, help="the fakes' zone (names n0.ZONE ..)")
    p.add_argument("--zone-file", required=True, help="the same zone as a file (chaos-zone)")
    p.add_argument("--names", type=int, default=1000); p.add_argument("--ttl", type=float, default=1)
    p.add_argument("--rate", type=float, default=200); p.add_argument("--tail", type=float, default=3.0)
    p.add_argument("--gap", type=float, default=1.5); p.add_argument("--slow-ms", default="")
    p.add_argument("--mode-files", nargs=2, required=True); p.add_argument("--counts-files", nargs=2, required=True)
    p.add_argument("--control-socket", help="Holdfast's: /stats and /metrics deltas per phase")
    p.add_argument("--out", required=True, help="directory for <phase>.json")
    p.set_defaults(func=cmd_outage_load)
    p = sub.add_parser("start-ready"); p.add_argument("--notify-socket", required=True)
    p.add_argument("--pidfile", required=True); p.add_argument("--port", type=int, required=True)
    p.add_argument("--name", default="bench."); p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--log"); p.add_argument("--notify-grace", type=float, default=2.0)
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_start_ready)
    p = sub.add_parser("cpu"); p.add_argument("pid", type=int); p.set_defaults(func=cmd_cpu)
    p = sub.add_parser("rss"); p.add_argument("pid", type=int); p.set_defaults(func=cmd_rss)
    p = sub.add_parser("udp-drops"); p.add_argument("--listener", type=int, required=True)
    p.add_argument("--nsd", type=int, required=True); p.add_argument("--since", help="an earlier snapshot: print the growth")
    p.set_defaults(func=cmd_udp_drops)
    p = sub.add_parser("dnsperf"); p.add_argument("file"); p.add_argument("--verbose-latency", action="store_true")
    p.add_argument("--cpu-s", type=float); p.add_argument("--verify", help="cmd_verify's JSON ('' = nothing checked)")
    p.add_argument("--q", type=int); p.add_argument("--c", type=int); p.add_argument("--extra", help="JSON merged in")
    p.set_defaults(func=cmd_dnsperf)
    p = sub.add_parser("gate"); p.add_argument("--server", required=True); p.add_argument("--workload", required=True)
    p.add_argument("--rep", type=int, default=1); p.add_argument("json"); p.set_defaults(func=cmd_gate)
    p = sub.add_parser("sampler"); p.add_argument("--port", type=int, required=True); p.add_argument("--zone", required=True)
    p.add_argument("--prefix", required=True); p.add_argument("--count", type=int, default=2000)
    p.add_argument("--window", type=int, default=1); p.add_argument("--deadline", type=float, default=30.0)
    p.set_defaults(func=cmd_sampler)
    p = sub.add_parser("verify"); p.add_argument("--port", type=int, required=True); p.add_argument("--zone", required=True)
    p.add_argument("--file", help="the query file the run read"); p.add_argument("--asked", type=int, default=0)
    p.add_argument("--dnsperf-verbose", help="dnsperf -v output: sample the names it got NOERROR for")
    p.add_argument("--sample", type=int, default=1000); p.add_argument("--seed", type=int, default=13)
    p.add_argument("--deadline", type=float, default=60.0)
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("trace-events"); p.set_defaults(func=cmd_trace_events)
    p = sub.add_parser("trace"); p.add_argument("file"); p.add_argument("--server", required=True); p.set_defaults(func=cmd_trace)
    p = sub.add_parser("report"); p.add_argument("--raw", required=True); p.add_argument("--out", required=True)
    p.add_argument("--table"); p.add_argument("--settings")
    p.set_defaults(func=cmd_report)
    args = parser.parse_args()
    if getattr(args, "command", None) and args.command[:1] == ["--"]:
        args.command = args.command[1:]
    sys.exit(args.func(args) or 0)


if __name__ == "__main__":
    main()
