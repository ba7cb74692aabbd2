#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The Holdfast Authors
"""Writes the seed corpora under Fuzz/corpus/ (committed; rerun only to regenerate).

wire-codec/: small real DNS queries and answers (A, AAAA, CNAME chains, MX, TXT, SOA
negative answers, SRV, PTR, EDNS with DO/EDE/cookie options, compression pointers).
query-path/: the FuzzQueryPath layout: control byte, 2-byte query length, client query,
upstream reply template (12-byte header + record region; the question is spliced in).
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
         "SRV": 33, "OPT": 41, "DS": 43, "RRSIG": 46, "HTTPS": 65, "ANY": 255, "CAA": 257}


def name(text, table=None, offset=0):
    """Wire name; with a table (suffix -> offset) compresses like a real server."""
    out = b""
    labels = [l for l in text.rstrip(".").split(".") if l] if text not in (".", "") else []
    for i in range(len(labels)):
        suffix = ".".join(labels[i:]).lower()
        if table is not None and suffix in table:
            return out + struct.pack(">H", 0xC000 | table[suffix])
        if table is not None and offset + len(out) < 0x3FFF:
            table[suffix] = offset + len(out)
        label = labels[i].encode()
        out += bytes([len(label)]) + label
    return out + b"\x00"


class Msg:
    def __init__(self, ident=0x1234, flags=0x0100):
        self.ident, self.flags = ident, flags
        self.qd, self.an, self.ns, self.ar = [], [], [], []

    def build(self):
        table = {}
        body = b""
        def at():
            return 12 + len(body)
        for qname, qtype in self.qd:
            body += name(qname, table, at()) + struct.pack(">HH", TYPES[qtype], 1)
        for section in (self.an, self.ns, self.ar):
            for rec in section:
                if rec[0] == "OPT":
                    continue
                owner, rtype, ttl, rdata_fn = rec
                body += name(owner, table, at()) + struct.pack(">HHI", TYPES[rtype], 1, ttl)
                start = at() + 2
                rdata = rdata_fn(table, start)
                body += struct.pack(">H", len(rdata)) + rdata
        for opt in [r for r in self.ar if isinstance(r, tuple) and r[0] == "OPT"]:
            _, size, do, options = opt
            od = b"".join(struct.pack(">HH", c, len(d)) + d for c, d in options)
            body += b"\x00" + struct.pack(">HHIH", 41, size, 0x8000 if do else 0, len(od)) + od
        counts = (len(self.qd), len(self.an), len(self.ns), len(self.ar))
        return struct.pack(">HHHHHH", self.ident, self.flags, *counts) + body


def a(addr):
    return lambda t, o: bytes(int(x) for x in addr.split("."))


def aaaa(hexstr):
    return lambda t, o: bytes.fromhex(hexstr)


def nm(target):
    return lambda t, o: name(target, t, o)


def mx(pref, target):
    return lambda t, o: struct.pack(">H", pref) + name(target, t, o + 2)


def txt(*strings):
    return lambda t, o: b"".join(bytes([len(s)]) + s.encode() for s in strings)


def soa(zone, minimum=60):
    def f(t, o):
        m = name("ns1." + zone, t, o)
        r = name("hostmaster." + zone, t, o + len(m))
        return m + r + struct.pack(">IIIII", 2024010101, 3600, 600, 86400, minimum)
    return f


def srv(prio, weight, port, target):
    return lambda t, o: struct.pack(">HHH", prio, weight, port) + name(target)


def raw(data):
    return lambda t, o: data


def query(qname, qtype, edns=1232, do=False, ident=0x1234, options=(), flags=0x0100):
    m = Msg(ident, flags)
    m.qd.append((qname, qtype))
    if edns is not None:
        m.ar.append(("OPT", edns, do, list(options)))
    return m


def answer(qname, qtype, records=(), authority=(), additional=(), rcode=0, edns=1232, ident=0x1234):
    m = Msg(ident, 0x8180 | rcode)
    m.qd.append((qname, qtype))
    m.an.extend(records)
    m.ns.extend(authority)
    m.ar.extend(additional)
    if edns is not None:
        m.ar.append(("OPT", edns, False, []))
    return m


def seeds():
    q = {}
    q["q-a"] = query("example.com", "A")
    q["q-a-noedns"] = query("www.example.org", "A", edns=None)
    q["q-aaaa-do"] = query("ipv6.example.net", "AAAA", do=True)
    q["q-mx"] = query("example.com", "MX", edns=4096)
    q["q-txt"] = query("_dmarc.example.com", "TXT")
    q["q-ptr"] = query("1.0.0.127.in-addr.arpa", "PTR")
    q["q-srv"] = query("_sip._tcp.example.com", "SRV")
    q["q-any"] = query("example.com", "ANY")
    q["q-https"] = query("cloudflare.com", "HTTPS")
    q["q-local"] = query("router.lan", "A")
    q["q-localhost"] = query("localhost", "AAAA")
    q["q-invalid"] = query("foo.invalid", "A")
    q["q-root-ns"] = query(".", "NS")
    q["q-cookie"] = query("example.com", "A", options=[(10, bytes(range(8)))])
    q["q-padding"] = query("example.com", "A", options=[(12, bytes(16))])
    q["q-mixedcase"] = query("ExAmPlE.CoM", "A")
    q["q-keep"] = query("www.keep.example", "A")
    q["q-tiny-edns"] = query("example.com", "A", edns=100)
    q["q-huge-edns"] = query("example.com", "A", edns=65535)
    notimp = query("example.com", "A", flags=0x2100)  # opcode 4 (NOTIFY)
    q["q-notify"] = notimp

    r = {}
    r["r-a"] = answer("example.com", "A", [("example.com", "A", 300, a("93.184.216.34"))])
    r["r-aaaa"] = answer("ipv6.example.net", "AAAA", [("ipv6.example.net", "AAAA", 3600, aaaa("20010db8000000000000000000000001"))])
    r["r-cname"] = answer("www.example.org", "A", [
        ("www.example.org", "CNAME", 60, nm("cdn.example.net")),
        ("cdn.example.net", "CNAME", 60, nm("edge.cdn.example.net")),
        ("edge.cdn.example.net", "A", 20, a("192.0.2.10")),
        ("edge.cdn.example.net", "A", 20, a("192.0.2.11"))])
    r["r-mx"] = answer("example.com", "MX", [
        ("example.com", "MX", 300, mx(10, "mail.example.com")), ("example.com", "MX", 300, mx(20, "mx2.example.com"))],
        additional=[("mail.example.com", "A", 300, a("192.0.2.25"))])
    r["r-txt"] = answer("_dmarc.example.com", "TXT", [("_dmarc.example.com", "TXT", 300, txt("v=DMARC1; p=none", ""))])
    r["r-nxdomain"] = answer("nope.example.com", "A", authority=[("example.com", "SOA", 3600, soa("example.com", 300))], rcode=3)
    r["r-nodata"] = answer("example.com", "AAAA", authority=[("example.com", "SOA", 3600, soa("example.com", 60))])
    r["r-srv"] = answer("_sip._tcp.example.com", "SRV", [("_sip._tcp.example.com", "SRV", 300, srv(10, 5, 5060, "sip.example.com"))])
    r["r-ptr"] = answer("1.0.0.127.in-addr.arpa", "PTR", [("1.0.0.127.in-addr.arpa", "PTR", 86400, nm("localhost"))])
    r["r-ns-glue"] = answer(".", "NS", [(".", "NS", 518400, nm("a.root-servers.net")), (".", "NS", 518400, nm("b.root-servers.net"))],
                            additional=[("a.root-servers.net", "A", 518400, a("198.41.0.4"))], edns=None)
    r["r-https"] = answer("cloudflare.com", "HTTPS", [("cloudflare.com", "HTTPS", 300, raw(bytes.fromhex("00010000010006026833026832")))])
    r["r-servfail-ede"] = answer("example.com", "A", rcode=2)
    r["r-servfail-ede"].ar = [("OPT", 1232, False, [(15, b"\x00\x16")])]
    r["r-stale-ede"] = answer("example.com", "A", [("example.com", "A", 30, a("93.184.216.34"))])
    r["r-stale-ede"].ar = [("OPT", 1232, False, [(15, b"\x00\x03")])]
    r["r-caa"] = answer("example.com", "CAA", [("example.com", "CAA", 300, raw(b"\x00\x05issueletsencrypt.org"))])
    r["r-rrsig"] = answer("example.com", "A", [("example.com", "A", 300, a("93.184.216.34")),
                                               ("example.com", "RRSIG", 300, raw(bytes(40)))])
    r["r-tc"] = Msg(0x4242, 0x8380)
    r["r-tc"].qd.append(("big.example.com", "TXT"))
    return q, r


def write(directory, items):
    os.makedirs(directory, exist_ok=True)
    for key, data in items.items():
        with open(os.path.join(directory, key), "wb") as f:
            f.write(data)


def main():
    q, r = seeds()
    qb = {k: v.build() for k, v in q.items()}
    rb = {k: v.build() for k, v in r.items()}
    # Hand-made bad inputs the fuzzer should keep exploring from.
    bad = {
        "b-loop": struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01",
        "b-forward-ptr": struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\xc0\x12\x00\x01\x00\x01\x00",
        "b-lying-counts": struct.pack(">HHHHHH", 1, 0x0100, 1, 0xFFFF, 0xFFFF, 0xFFFF) + name("example.com") + b"\x00\x01\x00\x01",
        "b-long-label": struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01",
        "b-qr": struct.pack(">HHHHHH", 1, 0x8100, 1, 0, 0, 0) + name("example.com") + b"\x00\x01\x00\x01",
        "b-short": b"\x12\x34\x01",
    }
    write(os.path.join(HERE, "corpus", "wire-codec"), {**qb, **rb, **bad})

    pairs = {
        "p-a": ("q-a", "r-a", 0x00), "p-a-tcp": ("q-a", "r-a", 0x01),
        "p-stale": ("q-a", "r-a", 0x32), "p-stale-down": ("q-a", "r-a", 0x3C),
        "p-lkg": ("q-keep", "r-nxdomain", 0x40), "p-cname": ("q-a-noedns", "r-cname", 0x82),
        "p-aaaa": ("q-aaaa-do", "r-aaaa", 0x14), "p-mx": ("q-mx", "r-mx", 0x20),
        "p-nx": ("q-a", "r-nxdomain", 0x50), "p-nodata": ("q-aaaa-do", "r-nodata", 0x60),
        "p-local": ("q-local", "r-a", 0x00), "p-localhost": ("q-localhost", "r-a", 0x80),
        "p-invalid": ("q-invalid", "r-a", 0x00), "p-notify": ("q-notify", "r-a", 0x00),
        "p-txt": ("q-txt", "r-txt", 0x72), "p-srv": ("q-srv", "r-srv", 0x04),
        "p-tiny": ("q-tiny-edns", "r-mx", 0x00), "p-huge": ("q-huge-edns", "r-cname", 0x00),
        "p-https": ("q-https", "r-https", 0x00), "p-mixed": ("q-mixedcase", "r-a", 0x80),
        "p-any": ("q-any", "r-mx", 0x02), "p-ptr": ("q-ptr", "r-ptr", 0x00),
    }
    path_items = {}
    for key, (qk, rk, control) in pairs.items():
        query_bytes = qb[qk]
        reply = rb[rk]
        # Template: the reply's header and everything after its question.
        rq = r[rk].qd[0][0]
        template = reply[:12] + reply[12 + len(name(rq)) + 4:]
        path_items[key] = bytes([control]) + struct.pack(">H", len(query_bytes)) + query_bytes + template
    write(os.path.join(HERE, "corpus", "query-path"), path_items)
    print(f"wire-codec: {len(qb) + len(rb) + len(bad)} seeds, query-path: {len(path_items)} seeds")


if __name__ == "__main__":
    sys.exit(main())
