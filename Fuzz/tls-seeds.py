#!/usr/bin/env python3
"""Writes seeds for the client-hello fuzz target (Fuzz/Corpus/client-hello/): real ClientHellos
from Python's ssl module (OpenSSL), with and without SNI and ALPN, TLS 1.2 and 1.3, whole and
split into records, plus a plaintext request. Run from the repository's root."""
import os
import ssl

out = "Fuzz/Corpus/client-hello"
os.makedirs(out, exist_ok=True)


def hello(sni, alpn, version=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if alpn:
        context.set_alpn_protocols(alpn)
    if version:
        context.maximum_version = version
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def split(record, size):
    """The same handshake message cut into records of at most `size` bytes."""
    body = record[5:]
    pieces = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(record[:3] + len(p).to_bytes(2, "big") + p for p in pieces)


seeds = {
    "sni-alpn-h2": hello("example.com", ["h2", "http/1.1"]),
    "sni-only": hello("localhost", None),
    "no-sni": hello(None, ["http/1.1"]),
    "tls12": hello("redis.test", ["redis"], ssl.TLSVersion.TLSv1_2),
}
seeds["split-records"] = split(seeds["sni-alpn-h2"], 100)
seeds["truncated"] = seeds["sni-alpn-h2"][:77]
seeds["plaintext-http"] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("wrote", len(seeds), "seeds to", out)
