#!/usr/bin/env python3
"""echo-server.py PORT: an echo server on 127.0.0.1:PORT, a thread a connection (the benchmarks'
target for connection rates)."""
import socket, sys, threading
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1]))); server.listen(512)
def serve(c):
    with c:
        while True:
            data = c.recv(65536)
            if not data: return
            c.sendall(data)
while True:
    c, _ = server.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
