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
    """A dnsperf input file: `<prefix><i>.<suffix> A` for i in [0, count)."""
    with open(args.out, "w") as f:
        for i in range(args.count):
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
    seconds after the last send, and prints JSON: sent, answered (NOERROR with an answer),
    other rcodes, lost, and p50/p99/avg of answered latencies in milliseconds."""
    names = [line.split()[0] for line in open(args.file) if line.strip()]
    names = names[: args.count] if args.count else names
    addr = ("127.0.0.1", args.port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setblocking(False)
    sent_at = {}
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
                if rcode == 0 and ancount > 0:
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
        "rcodes": {str(k): v for k, v in sorted(rcodes.items())},
        "lost": len(sent_at),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "avg_ms": statistics.fmean(latencies) if latencies else None,
    }
    print(json.dumps(result))


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

    return {
        "sent": grab(r"Queries sent:\s+(\d+)", int),
        "completed": grab(r"Queries completed:\s+(\d+)", int),
        "lost": grab(r"Queries lost:\s+(\d+)", int),
        "qps": grab(r"Queries per second:\s+([\d.]+)"),
        "runtime_s": grab(r"Run time \(s\):\s+([\d.]+)"),
        "avg_latency_ms": (lambda v: v * 1000 if v is not None else None)(grab(r"Average Latency \(s\):\s+([\d.]+)")),
        "noerror": grab(r"Response codes:\s+NOERROR (\d+)", int),
        "udp_drops": grab(r"UDP receive buffer drops: (-?\d+)", int),
    }


def cmd_dnsperf(args):
    """Parses dnsperf's summary (and, with --verbose-latency, the per-query `>` lines for
    p50/p99) and prints JSON, adding server CPU per completed query when given."""
    text = open(args.file).read()
    result = parse_dnsperf_text(text)
    if args.verbose_latency:
        lat = [float(m.group(1)) * 1000 for m in re.finditer(r"^> \S+ \S+ \S+ ([\d.]+)$", text, re.M)]
        result["p50_ms"] = percentile(lat, 50)
        result["p99_ms"] = percentile(lat, 99)
        result["avg_ms"] = statistics.fmean(lat) if lat else None
        result["samples"] = len(lat)
    if args.cpu_s is not None and result.get("completed"):
        result["cpu_s"] = args.cpu_s
        result["cpu_us_per_query"] = args.cpu_s / result["completed"] * 1e6
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------
# Report

# workload -> [(metric, label, higher_is_better, format)]
METRICS = {
    "hits": [("qps", "qps", True, "{:,.0f}"), ("cpu_us_per_query", "CPU µs/q", False, "{:.2f}")],
    "misses": [("qps", "qps", True, "{:,.0f}"), ("lost", "lost", False, "{:,.0f}"), ("udp_drops", "UDP drops", False, "{:,.0f}"),
               ("cpu_us_per_query", "CPU µs/q", False, "{:.2f}")],
    "latency": [("avg_ms", "avg ms", False, "{:.3f}"), ("p99_ms", "p99 ms", False, "{:.3f}")],
    "memory": [("rss_mib", "RSS MiB", False, "{:,.1f}"), ("bytes_per_name", "B/name", False, "{:,.0f}"),
               ("names_cached", "names", True, "{:,.0f}"), ("ready_s", "READY s", False, "{:.3f}")],
    "outage_stopped": [("answered_fraction", "answered", True, "{:.3f}"), ("p50_ms", "p50 ms", False, "{:.2f}"),
                       ("p99_ms", "p99 ms", False, "{:.2f}")],
    "outage_silent": [("answered_fraction", "answered", True, "{:.3f}"), ("p50_ms", "p50 ms", False, "{:.2f}"),
                      ("p99_ms", "p99 ms", False, "{:.2f}")],
}


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
    out = {"machine": machine, "settings": json.loads(args.settings) if args.settings else {},
           "medians": medians, "ratios_holdfast_over_peer": ratios, "runs": rows}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)

    lines = []
    lines.append(f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['mem_gib']} GiB, Linux {machine['kernel']}, "
                 f"load average at the end {' '.join(machine['load_at_end'])}")
    lines.append("Medians of the runs per cell; (×N) = Holdfast / peer on that metric.")
    lines.append("")
    header = ["workload", "metric"] + servers
    table = []
    for workload, metrics in METRICS.items():
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
    text = "\n".join(lines)
    print(text)
    if args.table:
        with open(args.table, "w") as f:
            f.write(text + "\n")



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

def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("zone"); p.add_argument("--out", required=True)
    p.add_argument("--hits", type=int, default=10000); p.add_argument("--misses", type=int, default=200000)
    p.add_argument("--outage", type=int, default=1000); p.add_argument("--outage-ttl", type=int, default=1)
    p.set_defaults(func=cmd_zone)
    p = sub.add_parser("queries"); p.add_argument("--out", required=True); p.add_argument("--prefix", required=True)
    p.add_argument("--suffix", required=True); p.add_argument("--count", type=int, required=True)
    p.set_defaults(func=cmd_queries)
    p = sub.add_parser("probe"); p.add_argument("--port", type=int, required=True)
    p.add_argument("--name", default="bench."); p.add_argument("--timeout", type=float, default=10)
    p.set_defaults(func=cmd_probe)
    p = sub.add_parser("paced"); p.add_argument("--port", type=int, required=True); p.add_argument("--file", required=True)
    p.add_argument("--rate", type=float, default=200); p.add_argument("--tail", type=float, default=3.0)
    p.add_argument("--count", type=int, default=0)
    p.set_defaults(func=cmd_paced)
    p = sub.add_parser("start-ready"); p.add_argument("--notify-socket", required=True)
    p.add_argument("--pidfile", required=True); p.add_argument("--port", type=int, required=True)
    p.add_argument("--name", default="bench."); p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--log"); p.add_argument("--notify-grace", type=float, default=2.0)
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_start_ready)
    p = sub.add_parser("cpu"); p.add_argument("pid", type=int); p.set_defaults(func=cmd_cpu)
    p = sub.add_parser("rss"); p.add_argument("pid", type=int); p.set_defaults(func=cmd_rss)
    p = sub.add_parser("dnsperf"); p.add_argument("file"); p.add_argument("--verbose-latency", action="store_true")
    p.add_argument("--cpu-s", type=float); p.set_defaults(func=cmd_dnsperf)
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
