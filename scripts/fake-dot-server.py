#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
"""A fault-injecting DNS-over-TLS (or, with --plain, DNS-over-TCP) server for tests, on
loopback only.

    fake-dot-server.py (--cert PEM --key KEY | --plain) [--host 127.0.0.1] [--port 0]
                       [--mode MODE] [--keepalive UNITS]

Answers every A/AAAA question with 192.0.2.1 (or 2001:db8::1), TTL 300. Prints one line per
event to stdout (flushed), which tests wait for:
    listening PORT | connection N | handshake N ok | handshake N failed REASON
    query N NAME | closing N
Modes (for what real servers will not do on demand):
    answer          answer each query at once (default)
    reverse:K       hold queries until K are waiting on a connection, answer them newest first
    silent          finish the handshake, read queries, never answer
    stall           accept TCP, never start TLS (the handshake never finishes)
    close-after:N   answer N queries per connection, then close it as the next one arrives
--keepalive UNITS adds edns-tcp-keepalive (RFC 7828, units of 100 ms) to every answer.
--plain speaks DNS over TCP (RFC 7766) without TLS: no "handshake" lines.
"""
import argparse
import socket
import ssl
import struct
import sys
import threading

lock = threading.Lock()


def say(*words):
    with lock:
        print(*words, flush=True)


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def parse_question(msg):
    """(name text, qtype, end offset of the question) of a query."""
    offset, labels = 12, []
    while True:
        length = msg[offset]
        offset += 1
        if length == 0:
            break
        labels.append(msg[offset:offset + length].decode("ascii", "replace"))
        offset += length
    qtype, _qclass = struct.unpack(">HH", msg[offset:offset + 4])
    return ".".join(labels) + ".", qtype, offset + 4


def answer(msg, keepalive):
    name, qtype, end = parse_question(msg)
    question = msg[12:end]
    records = b""
    count = 0
    if qtype == 1:
        records = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 1])
        count = 1
    elif qtype == 28:
        records = b"\xc0\x0c" + struct.pack(">HHIH", 28, 1, 300, 16) + bytes.fromhex("20010db8000000000000000000000001")
        count = 1
    options = struct.pack(">HHH", 11, 2, keepalive) if keepalive is not None else b""
    opt = b"\x00" + struct.pack(">HHIH", 41, 1232, 0, len(options)) + options
    header = struct.pack(">HHHHHH", struct.unpack(">H", msg[:2])[0], 0x8180, 1, count, 0, 1)
    return header + question + records + opt


def send(conn, reply):
    conn.sendall(struct.pack(">H", len(reply)) + reply)


def serve(raw, number, context, args):
    say("connection", number)
    if args.mode == "stall":
        try:
            while raw.recv(4096):
                pass
        except OSError:
            pass
        raw.close()
        return
    if context is None:
        conn = raw
    else:
        try:
            conn = context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as error:
            say("handshake", number, "failed", str(error).replace("\n", " "))
            raw.close()
            return
        say("handshake", number, "ok")
    held, answered = [], 0
    mode, _, arg = args.mode.partition(":")
    try:
        while True:
            prefix = read_exact(conn, 2)
            if prefix is None:
                break
            msg = read_exact(conn, struct.unpack(">H", prefix)[0])
            if msg is None:
                break
            name, _, _ = parse_question(msg)
            say("query", number, name)
            if mode == "silent":
                continue
            if mode == "close-after" and answered >= int(arg):
                break
            if mode == "reverse":
                held.append(msg)
                if len(held) >= int(arg):
                    for query in reversed(held):
                        send(conn, answer(query, args.keepalive))
                    held = []
                continue
            send(conn, answer(msg, args.keepalive))
            answered += 1
    except (ssl.SSLError, OSError):
        pass
    say("closing", number)
    try:
        conn.close()
    except OSError:
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--plain", action="store_true")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", default="answer")
    parser.add_argument("--keepalive", type=int)
    args = parser.parse_args()
    if not args.host.startswith("127.") and args.host != "::1":
        sys.exit("loopback only")
    context = None
    if not args.plain:
        if not args.cert or not args.key:
            sys.exit("--cert and --key are required without --plain")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(args.cert, args.key)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(64)
    say("listening", listener.getsockname()[1])
    number = 0
    while True:
        raw, _ = listener.accept()
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        number += 1
        threading.Thread(target=serve, args=(raw, number, context, args), daemon=True).start()


if __name__ == "__main__":
    main()
