#!/usr/bin/env python3
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


def cmd_paced(args):
    """Sends each name of the file once at `rate` qps from one socket, waits at most `tail`
    seconds after the last send, and prints JSON: sent, answered (with --zone: NOERROR with
    exactly the zone's addresses; without: NOERROR with an answer), the rcode and outcome mix,
    lost, and p50/p99/avg of answered latencies in milliseconds."""
    zone = load_zone(args.zone) if args.zone else None
    outcomes = {}
    names = [line.split()[0] for line in open(args.file) if line.strip()]
    names = names[: args.count] if args.count else names
    addr = ("127.0.0.1", args.port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setblocking(False)
    sent_at = {}
    asked = {}  # qid -> index of the name
    latencies = []
    rcodes = {}
    answered = 0
    interval = 1.0 / args.rate
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
    deadline = last_send + args.tail
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
    print(json.dumps(result))


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
    header = ["workload", "metric"] + servers
    table = []
    for workload in MAIN_TABLE:
        metrics = METRICS[workload]
        if workload not in medians:
            continue
        for key, label, _, fmt in metrics:
            row = [workload, label]
            for server in servers:
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
