#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
"""A fake upstream DNS server for chaos and soak runs, on loopback only.

    chaos-upstream.py --port PORT --mode-file FILE [--names N] [--ttl S] [--zone Z]
                      [--address A] [--slow-ms LO[-HI]] [--counts-file F]

Answers A questions for n0.Z .. n{N-1}.Z with a documentation address (TTL S), NXDOMAIN with
an SOA for other names under Z and anything else. UDP and TCP on A:PORT (A a loopback
address, default 127.0.0.1).
Names under broken.Z are a domain that fails everywhere, whatever the mode: b<even>.broken.Z
get SERVFAIL, b<odd>.broken.Z are never answered.

The behaviour is the first word of FILE, re-read whenever the file changes:
  normal     answer at once
  blackhole  read queries, never answer
  refuse     REFUSED
  servfail   SERVFAIL
  slow       answer after a random delay, uniform in --slow-ms (default 300-1500 ms; one
             number: exactly that long)
Counts per mode are printed to stdout on SIGTERM/SIGINT. With --counts-file, the counts are
also written there as JSON (atomically: a temporary file, then rename) at most every 50 ms
while queries arrive, and on exit: {"total", "udp", "tcp", "by_mode": {mode: n}, "names":
{qname lower case: n}, "by_second": {int(time.time()) at arrival: n}, "slow_late_ms_max": how
much later than due a slow UDP reply went out at most, "slow_late_over_ms": {"10", "100",
"500": how many went out more than that late}, "written_at": time.time() of the write}.
Slow UDP replies wait in one timer heap of the serving loop (no thread per reply). A reader that needs every
query up to a moment waits for a written_at past it (the file is rewritten at least every
0.5 s even when nothing arrives).
"""
import argparse
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import time

MODES = ("normal", "blackhole", "refuse", "servfail", "slow")
LATE_BOUNDS_MS = (10, 100, 500)


class Zone:
    def __init__(self, zone, names, ttl):
        self.zone = zone.lower().rstrip(".")
        self.names = names
        self.ttl = ttl

    def address(self, qname):
        label = qname.split(".", 1)[0]
        if qname.endswith("." + self.zone) and label.startswith("n") and label[1:].isdigit():
            index = int(label[1:])
            if index < self.names:
                return bytes([192, 0, 2, 1 + index % 250]) if index % 2 == 0 else bytes([198, 51, 100, 1 + index % 250])
        return None


def parse_query(data):
    """(id, flags, question bytes, qname lowercased, qtype, has_opt, opt_do) or None."""
    if len(data) < 17:
        return None
    ident, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", data[:12])
    if flags & 0x8000 or qd != 1:
        return None
    offset = 12
    labels = []
    while True:
        if offset >= len(data):
            return None
        length = data[offset]
        if length == 0:
            offset += 1
            break
        if length > 63 or offset + 1 + length > len(data):
            return None
        labels.append(data[offset + 1:offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    if offset + 4 > len(data):
        return None
    qtype, qclass = struct.unpack(">HH", data[offset:offset + 4])
    question = data[12:offset + 4]
    has_opt = ar > 0
    return ident, flags, question, ".".join(labels).lower(), qtype, has_opt


def build_reply(query, zone, rcode_override=None):
    ident, flags, question, qname, qtype, has_opt = query
    out_flags = 0x8000 | (flags & 0x0100) | 0x0080  # QR, RD copied, RA
    answers = b""
    authority = b""
    ancount = nscount = 0
    rcode = 0
    if rcode_override is not None:
        rcode = rcode_override
    else:
        address = zone.address(qname)
        if address is not None and qtype == 1:
            answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, zone.ttl, 4) + address
            ancount = 1
        elif address is not None:
            ancount = 0  # NODATA
        else:
            rcode = 3
        if ancount == 0:
            labels = zone.zone.split(".")
            owner = b"".join(bytes([len(l)]) + l.encode() for l in labels) + b"\x00"
            mname = b"\x02ns" + owner
            rname = b"\x0ahostmaster" + owner
            rdata = mname + rname + struct.pack(">IIIII", 1, 3600, 600, 86400, 30)
            authority = owner + struct.pack(">HHIH", 6, 1, 30, len(rdata)) + rdata
            nscount = 1
    out_flags |= rcode
    opt = b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 0) if has_opt else b""
    header = struct.pack(">HHHHHH", ident, out_flags, 1, ancount, nscount, 1 if has_opt else 0)
    return header + question + answers + authority + opt


class Server:
    def __init__(self, port, mode_file, zone, address="127.0.0.1", slow=(0.3, 1.5), counts_file=None):
        self.port = port
        self.address = address
        self.slow = slow
        self.counts_file = counts_file
        self.names = {}
        self.seconds = {}
        self.transport = {"udp": 0, "tcp": 0}
        self.dirty = True
        self.last_write = 0.0
        # How late the slow mode's UDP replies went out at most, in seconds (a busy machine).
        self.late_max = 0.0
        self.late_over = {bound: 0 for bound in LATE_BOUNDS_MS}
        self.mode_file = mode_file
        self.zone = zone
        self.mode = "normal"
        self.mtime = None
        self.counts = {mode: 0 for mode in MODES}
        self.lock = threading.Lock()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind((address, port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((address, port))
        self.tcp.listen(64)
        self.running = True

    def current_mode(self):
        try:
            mtime = os.stat(self.mode_file).st_mtime_ns
        except OSError:
            return self.mode
        if mtime != self.mtime:
            self.mtime = mtime
            try:
                with open(self.mode_file) as f:
                    word = (f.read().split() or ["normal"])[0]
                if word in MODES:
                    self.mode = word
            except OSError:
                pass
        return self.mode

    def answer(self, data, transport="udp"):
        """(reply bytes or None, delay seconds)."""
        query = parse_query(data)
        if query is None:
            return None, 0
        mode = self.current_mode()
        with self.lock:
            self.counts[mode] += 1
            self.transport[transport] += 1
            self.names[query[3]] = self.names.get(query[3], 0) + 1
            second = int(time.time())
            self.seconds[second] = self.seconds.get(second, 0) + 1
            self.dirty = True
        if mode == "blackhole":
            return None, 0
        qname = query[3]
        if qname.endswith(".broken." + self.zone.zone):
            label = qname.split(".", 1)[0]
            if label[1:].isdigit() and int(label[1:]) % 2 == 1:
                return None, 0
            return build_reply(query, self.zone, 2), 0
        if mode == "refuse":
            return build_reply(query, self.zone, 5), 0
        if mode == "servfail":
            return build_reply(query, self.zone, 2), 0
        delay = random.uniform(*self.slow) if mode == "slow" else 0
        return build_reply(query, self.zone), delay

    def serve_tcp(self, conn):
        conn.settimeout(5)
        try:
            while self.running:
                prefix = conn.recv(2)
                if len(prefix) < 2:
                    return
                length = struct.unpack(">H", prefix)[0]
                data = b""
                while len(data) < length:
                    chunk = conn.recv(length - len(data))
                    if not chunk:
                        return
                    data += chunk
                reply, delay = self.answer(data, "tcp")
                if reply is None:
                    continue
                if delay:
                    time.sleep(delay)
                conn.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            pass
        finally:
            conn.close()

    def write_counts(self, force=False):
        """The counts as JSON in --counts-file (see the module doc), when due."""
        if not self.counts_file:
            return
        now = time.time()
        if not force and (now - self.last_write < (0.05 if self.dirty else 0.5)):
            return
        with self.lock:
            snapshot = {"total": sum(self.counts.values()), "udp": self.transport["udp"], "tcp": self.transport["tcp"],
                        "by_mode": dict(self.counts), "names": dict(self.names),
                        "by_second": {str(k): v for k, v in self.seconds.items()},
                        "slow_late_ms_max": round(self.late_max * 1000, 1),
                        "slow_late_over_ms": {str(k): v for k, v in self.late_over.items()}}
            self.dirty = False
        snapshot["written_at"] = time.time()
        temporary = self.counts_file + ".tmp"
        try:
            with open(temporary, "w") as f:
                json.dump(snapshot, f)
            os.replace(temporary, self.counts_file)
        except OSError:
            pass
        self.last_write = now

    def run(self):
        late = []  # UDP replies of the slow mode: a heap of (due, sequence, reply, peer)
        sequence = 0
        while self.running:
            self.write_counts()
            now = time.monotonic()
            while late and late[0][0] <= now:
                due, _, reply, peer = heapq.heappop(late)
                self.late_max = max(self.late_max, now - due)
                for bound in LATE_BOUNDS_MS:
                    if now - due > bound / 1000:
                        self.late_over[bound] += 1
                try:
                    self.udp.sendto(reply, peer)
                except OSError:
                    pass
            timeout = 0.05 if self.counts_file else 0.5
            if late:
                timeout = min(timeout, max(0.0, late[0][0] - now))
            try:
                readable, _, _ = select.select([self.udp, self.tcp], [], [], timeout)
            except (OSError, ValueError):
                break
            for sock in readable:
                if sock is self.tcp:
                    conn, _ = self.tcp.accept()
                    threading.Thread(target=self.serve_tcp, args=(conn,), daemon=True).start()
                    continue
                data, peer = self.udp.recvfrom(65535)
                reply, delay = self.answer(data)
                if reply is None:
                    continue
                if delay:
                    sequence += 1
                    heapq.heappush(late, (time.monotonic() + delay, sequence, reply, peer))
                else:
                    self.udp.sendto(reply, peer)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode-file", required=True)
    parser.add_argument("--names", type=int, default=500)
    parser.add_argument("--ttl", type=int, default=20)
    parser.add_argument("--zone", default="soak.test")
    parser.add_argument("--address", default="127.0.0.1", help="a loopback address to serve on")
    parser.add_argument("--slow-ms", default="300-1500", help="delay of the slow mode: LO-HI (uniform) or one value")
    parser.add_argument("--counts-file", help="write the query counts here as JSON (see above)")
    args = parser.parse_args()
    if not args.address.startswith("127."):
        parser.error("--address must be a loopback address (127.0.0.0/8)")
    low, _, high = args.slow_ms.partition("-")
    slow = (float(low) / 1000, float(high or low) / 1000)
    server = Server(args.port, args.mode_file, Zone(args.zone, args.names, args.ttl), args.address, slow,
                    args.counts_file)

    def stop(signum, frame):
        server.running = False
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"chaos-upstream listening on {args.address}:{args.port}", flush=True)
    server.run()
    server.write_counts(force=True)
    print("queries by mode: " + " ".join(f"{m}={c}" for m, c in server.counts.items()), flush=True)


if __name__ == "__main__":
    sys.exit(main())
