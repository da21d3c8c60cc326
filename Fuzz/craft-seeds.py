#!/usr/bin/env python3
"""Writes the hand-made capture seeds of Fuzz/Corpus/capture: the forms the tools on this machine
do not write (big-endian pcapng and pcap, if_tsresol in powers of two, if_tsoffset, the obsolete
packet block, BSD loopback and raw IPv6 link types, several interfaces), each a small TCP
conversation with out-of-order, retransmitted and missing segments, FIN and RST.
Deterministic: run it again and the files do not change.   python3 Fuzz/craft-seeds.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus", "capture")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def tcp(src_port, dst_port, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", src_port, dst_port, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def ipv4(src, dst, segment):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(segment), 1, 0, 64, 6, 0, bytes(src), bytes(dst))
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + segment


def ipv6(src, dst, segment):
    return struct.pack("!IHBB16s16s", 6 << 28, len(segment), 6, 64, bytes(src), bytes(dst)) + segment


SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08


def conversation(ip, client, server):
    """(relative microseconds, packet) of one conversation, with odd segments in it."""
    c, s = 1000, 5000
    out = [
        tcp(40000, 6379, c, 0, SYN),
        tcp(6379, 40000, s, c + 1, SYN | ACK),
        tcp(40000, 6379, c + 1, s + 1, ACK),
        tcp(40000, 6379, c + 1, s + 1, PSH | ACK, b"PING\r\n"),
        tcp(40000, 6379, c + 1, s + 1, PSH | ACK, b"PING\r\n"),  # retransmitted
        tcp(6379, 40000, s + 8, c + 7, PSH | ACK, b"late\r\n"),  # before the bytes it follows
        tcp(6379, 40000, s + 1, c + 7, PSH | ACK, b"+PONG\r\n"),
        tcp(40000, 6379, c + 20, s + 14, PSH | ACK, b"gap"),  # 13 bytes never captured
        tcp(40000, 6379, c + 23, s + 14, FIN | ACK),
        tcp(6379, 40000, s + 14, c + 24, RST),
    ]
    packets = []
    for i, segment in enumerate(out):
        forward = struct.unpack("!H", segment[:2])[0] == 40000
        src, dst = (client, server) if forward else (server, client)
        packets.append((i * 250, ip(src, dst, segment)))
    return packets


def pad(data):
    return data + b"\0" * (-len(data) % 4)


def option(endian, code, value):
    return struct.pack(endian + "HH", code, len(value)) + pad(value)


def block(endian, kind, body):
    length = 12 + len(body)
    return struct.pack(endian + "II", kind, length) + body + struct.pack(endian + "I", length)


def pcapng(endian, interfaces, packets, obsolete=False):
    """interfaces: [(link type, options)]; packets: [(interface, timestamp units, data)]."""
    out = block(endian, 0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    for link, options in interfaces:
        body = struct.pack(endian + "HHI", link, 0, 0) + b"".join(option(endian, c, v) for c, v in options)
        out += block(endian, 1, body + (option(endian, 0, b"") if options else b""))
    for interface, units, data in packets:
        if obsolete:  # the packet block of pcapng 1.0 drafts: interface u16, drops u16
            head = struct.pack(endian + "HHIIII", interface, 0, units >> 32, units & 0xFFFFFFFF, len(data), len(data))
            out += block(endian, 2, head + pad(data))
        else:
            head = struct.pack(endian + "IIIII", interface, units >> 32, units & 0xFFFFFFFF, len(data), len(data))
            out += block(endian, 6, head + pad(data))
    return out


def pcap(endian, link, packets, magic=0xA1B2C3D4):
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, link)
    for micros, data in packets:
        out += struct.pack(endian + "IIII", 1_700_000_000 + micros // 1_000_000, micros % 1_000_000, len(data), len(data))
        out += data
    return out


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


v4 = conversation(ipv4, [10, 0, 0, 1], [10, 0, 0, 2])
v6 = conversation(ipv6, [0xFD] + [0] * 14 + [1], [0xFD] + [0] * 14 + [2])
start = 1_700_000_000
# Big-endian pcapng: raw IPv6 (229) in microseconds, and raw IPv4 (228) with if_tsresol 2^-10 and
# an if_tsoffset, on two interfaces; the packets of both interleaved.
interfaces = [
    (229, [(2, b"v6"), (9, bytes([6]))]),
    (228, [(2, b"v4"), (9, bytes([0x80 | 10])), (14, struct.pack(">q", start))]),
]
packets = []
for (t6, p6), (t4, p4) in zip(v6, v4):
    packets.append((0, start * 1_000_000 + t6, p6))
    packets.append((1, (t4 * 1024) // 1_000_000, p4))
write("crafted-be-two-interfaces.pcapng", pcapng(">", interfaces, packets))
# Little-endian pcapng with the obsolete packet block (type 2), BSD loopback link type (0).
loopback = [(0, t * 1000, struct.pack("<I", 2) + p) for t, p in v4]
write("crafted-obsolete-block-null.pcapng", pcapng("<", [(0, [(9, bytes([9]))])], loopback, obsolete=True))
# Classic pcap, big-endian, raw IP (101, both families), and little-endian BSD loopback (108).
write("crafted-be-raw.pcap", pcap(">", 101, v4 + v6))
write("crafted-loop.pcap", pcap("<", 108, [(t, struct.pack(">I", 24) + p) for t, p in v6]))
