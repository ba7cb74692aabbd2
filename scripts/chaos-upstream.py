#!/usr/bin/env python3
"""A fake upstream DNS server for chaos and soak runs, on loopback only.

    chaos-upstream.py --port PORT --mode-file FILE [--names N] [--ttl S] [--zone Z]

Answers A questions for n0.Z .. n{N-1}.Z with a documentation address (TTL S), NXDOMAIN with
an SOA for other names under Z and anything else. UDP and TCP on 127.0.0.1:PORT.
Names under broken.Z are a domain that fails everywhere, whatever the mode: b<even>.broken.Z
get SERVFAIL, b<odd>.broken.Z are never answered.

The behaviour is the first word of FILE, re-read whenever the file changes:
  normal     answer at once
  blackhole  read queries, never answer
  refuse     REFUSED
  servfail   SERVFAIL
  slow       answer after a random 300-1500 ms delay
Counts per mode are printed to stdout on SIGTERM/SIGINT.
"""
import argparse
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
    def __init__(self, port, mode_file, zone):
        self.port = port
        self.mode_file = mode_file
        self.zone = zone
        self.mode = "normal"
        self.mtime = None
        self.counts = {mode: 0 for mode in MODES}
        self.lock = threading.Lock()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind(("127.0.0.1", port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", port))
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

    def answer(self, data):
        """(reply bytes or None, delay seconds)."""
        query = parse_query(data)
        if query is None:
            return None, 0
        mode = self.current_mode()
        with self.lock:
            self.counts[mode] += 1
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
        delay = random.uniform(0.3, 1.5) if mode == "slow" else 0
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
                reply, delay = self.answer(data)
                if reply is None:
                    continue
                if delay:
                    time.sleep(delay)
                conn.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            pass
        finally:
            conn.close()

    def run(self):
        while self.running:
            try:
                readable, _, _ = select.select([self.udp, self.tcp], [], [], 0.5)
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
                    timer = threading.Timer(delay, self.send_late, args=(reply, peer))
                    timer.daemon = True
                    timer.start()
                else:
                    self.udp.sendto(reply, peer)

    def send_late(self, reply, peer):
        try:
            self.udp.sendto(reply, peer)
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode-file", required=True)
    parser.add_argument("--names", type=int, default=500)
    parser.add_argument("--ttl", type=int, default=20)
    parser.add_argument("--zone", default="soak.test")
    args = parser.parse_args()
    server = Server(args.port, args.mode_file, Zone(args.zone, args.names, args.ttl))

    def stop(signum, frame):
        server.running = False
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"chaos-upstream listening on 127.0.0.1:{args.port}", flush=True)
    server.run()
    print("queries by mode: " + " ".join(f"{m}={c}" for m, c in server.counts.items()), flush=True)


if __name__ == "__main__":
    sys.exit(main())
