#!/usr/bin/env python3
"""TCP server-speaks-first and half-close check.

serve: for each connection, send a banner first, read until the client shuts down its write
side, then answer "GOT <bytes> <sha256>" followed by --tail bytes of data and close.
client: connect, read the banner before sending anything, send --size random bytes, shut down
the write side, read to EOF and verify the answer and the tail. Exits 0 only if all matched.
"""
import argparse
import hashlib
import os
import socket
import sys
import threading

BANNER = b"220 masq-e2e banner: server speaks first\r\n"


def tail_bytes(n):
    block = hashlib.sha256(b"tail").digest() * 64
    return (block * (n // len(block) + 1))[:n]


def serve(a):
    srv = socket.create_server((a.bind, a.port), backlog=64)
    print("listening on %s:%d" % (a.bind, a.port), flush=True)

    def handle(conn):
        with conn:
            conn.sendall(BANNER)
            digest, total = hashlib.sha256(), 0
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                digest.update(chunk)
                total += len(chunk)
            conn.sendall(b"GOT %d %s\n" % (total, digest.hexdigest().encode()))
            conn.sendall(tail_bytes(a.tail))

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def recv_line(sock):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        buf += chunk
    return buf


def client(a):
    payload = os.urandom(a.size)
    with socket.create_connection((a.host, a.port), timeout=a.timeout) as s:
        banner = recv_line(s)
        if banner != BANNER:
            print("banner mismatch: %r" % banner)
            return 1
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        rest = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
    want_head = b"GOT %d %s\n" % (len(payload), hashlib.sha256(payload).hexdigest().encode())
    if not rest.startswith(want_head):
        print("server saw something else: %r, want %r" % (rest[:120], want_head))
        return 1
    if rest[len(want_head):] != tail_bytes(a.tail):
        print("tail after half-close: got %d bytes, want %d" % (len(rest) - len(want_head), a.tail))
        return 1
    print("banner ok, %d bytes up, half-close ok, %d bytes back after EOF" % (a.size, a.tail))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--tail", type=int, default=100000)
    c = sub.add_parser("client")
    c.add_argument("--host", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--size", type=int, default=300000)
    c.add_argument("--tail", type=int, default=100000)
    c.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()
    return serve(a) if a.mode == "serve" else client(a)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
