#!/usr/bin/env python3
"""Writes the seeds of the framer fuzz targets (Fuzz/Corpus/framer-*/) from the recorded
conversations of Tests/FlowFramersTests/Fixtures and a few hand-made streams.

A framer target reads its input as a schedule (FramerFuzzing.schedule): a control byte c says
the side (c & 1: 0 client, 1 server) and either the side's end ((c >> 1) & 3 == 3) or a piece of
the next (c >> 3) + 1 bytes. Seeds stay under the run's -max_len (1024)."""
import json, os, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests/FlowFramersTests/Fixtures"
CORPUS = ROOT / "Fuzz/Corpus"
LIMIT = 1000


def schedule(chunks, piece=32, end=True):
    out = bytearray()
    for side, data in chunks:
        bit = 0 if side == "client" else 1
        if data is None:  # the side's end of stream
            if len(out) + 1 > LIMIT:
                return bytes(out)
            out.append(0b110 | bit)
            continue
        for i in range(0, len(data), piece):
            part = data[i:i + piece]
            if len(out) + 1 + len(part) > LIMIT:
                return bytes(out)
            out.append(((len(part) - 1) << 3) | bit)
            out += part
    if end and len(out) + 2 <= LIMIT:
        out += bytes([0b110, 0b111])
    return bytes(out)


def fixture(name):
    return [(side, None if data is None else bytes.fromhex(data)) for side, data in json.load(open(FIXTURES / name))]


def write(target, name, data):
    folder = CORPUS / f"framer-{target}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def mqtt_string(text):
    raw = text.encode()
    return len(raw).to_bytes(2, "big") + raw


def mqtt_packet(first, body):
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            break
    return bytes([first]) + bytes(encoded) + body


connect311 = mqtt_packet(0x10, mqtt_string("MQTT") + bytes([4, 2, 0, 60]) + mqtt_string("flowtap"))
connect5 = mqtt_packet(0x10, mqtt_string("MQTT") + bytes([5, 2, 0, 60, 3, 0x21, 0, 10]) + mqtt_string("f5"))
mqtt = [
    ("client", connect311), ("server", mqtt_packet(0x20, bytes([0, 0]))),
    ("client", mqtt_packet(0x82, bytes([0, 1]) + mqtt_string("a/b") + bytes([1]))),
    ("server", mqtt_packet(0x90, bytes([0, 1, 1]))),
    ("client", mqtt_packet(0x32, mqtt_string("a/b") + bytes([0, 2]) + b"hello")),
    ("server", mqtt_packet(0x40, bytes([0, 2]))),
    ("client", mqtt_packet(0xC0, b"")), ("server", mqtt_packet(0xD0, b"")),
    ("client", mqtt_packet(0xE0, b"")),
]
mqtt5 = [
    ("client", connect5), ("server", mqtt_packet(0x20, bytes([0, 0, 0]))),
    ("client", mqtt_packet(0x34, mqtt_string("t") + bytes([0, 7, 2, 0x01, 1]) + b"x")),
    ("server", mqtt_packet(0x50, bytes([0, 7]))), ("client", mqtt_packet(0x62, bytes([0, 7]))),
    ("server", mqtt_packet(0x70, bytes([0, 7]))),
]
write("mqtt", "v311-session", schedule(mqtt))
write("mqtt", "v5-qos2", schedule(mqtt5))
write("mqtt", "v311-bytewise", schedule(mqtt, piece=1))

for name in ["redis-cli-session.json", "redis-cli-pipe.json", "redis-cli-subscribe.json"]:
    write("resp", name.removesuffix(".json"), schedule(fixture(name)))
write("resp", "resp3-types", schedule([
    ("client", b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"),
    ("server", b"%1\r\n+server\r\n+redis\r\n>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"
               b"|1\r\n+ttl\r\n:5\r\n,1.5\r\n#t\r\n_\r\n(123\r\n=7\r\ntxt:abc\r\n~1\r\n:1\r\n"),
    ("client", b"PING\r\n"), ("server", b"$?\r\n;3\r\nabc\r\n;0\r\n"),
]))
for name in ["psql-session.json", "psql-copy-notify.json"]:
    write("postgres", name.removesuffix(".json"), schedule(fixture(name)))
write("postgres", "ssl-accepted", schedule([
    ("client", bytes.fromhex("0000000804d2162f")), ("server", b"S"), ("client", b"\x16\x03\x01\x00\x05hello"),
]))
write("http", "curl-keep-alive", schedule(fixture("curl-keep-alive.json")))
write("http", "connect-and-continue", schedule([
    ("client", b"POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"),
    ("server", b"HTTP/1.1 100 Continue\r\n\r\n"), ("client", b"abc"),
    ("server", b"HTTP/1.1 204 No Content\r\n\r\n"),
    ("client", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
    ("server", b"HTTP/1.1 200 Connection established\r\n\r\n"), ("client", b"\x16\x03\x01raw"),
]))
write("lines", "smtp", schedule([
    ("server", b"220 mail ESMTP\r\n"), ("client", b"EHLO me\r\n"), ("server", b"250-mail\r\n250 OK\r\n"),
    ("client", b"QUIT\n"), ("server", b"221 bye"),
]))
frames = b"".join(len(p).to_bytes(4, "big") + p for p in [b"hello", b"", b"a longer frame"])
write("len", "u32be", bytes([3, 0]) + schedule([("client", frames), ("server", frames[::-1])]))
write("len", "u16be-at-2-plus-4", bytes([1 + 5 * 2, 4]) + schedule([("client", b"\xab\xcd\x00\x02\x00\x00xy")]))
write("decode-auto", "resp-on-6379", bytes([0]) + schedule(fixture("redis-cli-pipe.json")))
write("decode-auto", "http-no-hint", bytes([255]) + schedule(fixture("curl-keep-alive.json")))
write("decode-auto", "postgres", bytes([255]) + schedule(fixture("psql-session.json")))
write("decode-auto", "mqtt", bytes([255]) + schedule(mqtt))
for name, text in [("auto", "auto"), ("len", "len:u16be@2+4"), ("len-neg", "len:u32be-4"), ("http", "http"),
                   ("bad", "len:u64be"), ("none", "none")]:
    write("decode-spec", name, text.encode())
