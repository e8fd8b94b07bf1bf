#!/usr/bin/env python3
"""Keeps one TCP connection to a line-echo server open for a while.

Connects, exchanges one line, writes its local port to --port-file and then sends a line every
second (checking each echo) until --seconds pass or it is stopped. Used to observe a live
translation in masq while the connection is in use.
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--seconds", type=float, default=30)
    a = ap.parse_args()
    with socket.create_connection((a.host, a.port), timeout=10) as s:
        f = s.makefile("rwb")
        deadline = time.monotonic() + a.seconds
        first = True
        while time.monotonic() < deadline:
            f.write(b"still here\n")
            f.flush()
            if f.readline() != b"still here\n":
                print("echo mismatch")
                return 1
            if first:
                with open(a.port_file, "w") as p:
                    p.write("%d\n" % s.getsockname()[1])
                first = False
            time.sleep(1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
