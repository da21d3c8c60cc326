#!/usr/bin/env python3
"""connection-rate.py MODE PROXY_PORT TARGET_PORT COUNT: opens COUNT short connections one after
the other through the forwarder on PROXY_PORT (MODE tcp: straight to it; socks5: with a SOCKS5
CONNECT to 127.0.0.1:TARGET_PORT first), sends 16 bytes to the echo server behind it, reads them
back, closes; prints the sessions a second. Used by proxy-listen-bench.sh and callgrind-tls.sh,
so the client costs the same both ways."""
import socket, sys, threading, time
mode, proxy_port, target_port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
payload = b"0123456789abcdef"
def one():
    s = socket.create_connection(("127.0.0.1", proxy_port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if mode == "socks5":
        s.sendall(b"\x05\x01\x00\x05\x01\x00\x01\x7f\x00\x00\x01" + target_port.to_bytes(2, "big"))
        got = b""
        while len(got) < 12:
            chunk = s.recv(12 - len(got))
            if not chunk: raise SystemExit("socks5 answer cut short")
            got += chunk
        if got[:4] != b"\x05\x00\x05\x00": raise SystemExit("socks5 refused: %r" % got)
    s.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = s.recv(64)
        if not chunk: raise SystemExit("echo cut short")
        got += chunk
    s.close()
start = time.monotonic()
for _ in range(count): one()
print("%.1f" % (count / (time.monotonic() - start)))
