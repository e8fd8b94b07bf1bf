#!/usr/bin/env python3
"""Accepts TCP connections on the given ports and keeps them open, reading and discarding.

Used by bench/flows-idle.sh as the internet side of many idle masqueraded connections.
"""
import argparse
import selectors
import socket


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bind", required=True)
    ap.add_argument("--ports", type=int, nargs="+", required=True)
    a = ap.parse_args()
    sel = selectors.DefaultSelector()
    for p in a.ports:
        s = socket.create_server((a.bind, p), backlog=4096)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "listen")
    held = []
    while True:
        for key, _ in sel.select():
            if key.data == "listen":
                for _ in range(256):
                    try:
                        c, _peer = key.fileobj.accept()
                    except BlockingIOError:
                        break
                    c.setblocking(False)
                    held.append(c)
                    sel.register(c, selectors.EVENT_READ, "conn")
            else:
                try:
                    if not key.fileobj.recv(4096):
                        sel.unregister(key.fileobj)
                        key.fileobj.close()
                except (BlockingIOError, ConnectionError):
                    pass


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
