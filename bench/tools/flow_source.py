#!/usr/bin/env python3
"""Opens many idle flows from one LAN host: --tcp connections (spread over --ports of the
server) and --udp UDP sockets that each send one datagram, then holds them all until killed.

Writes "ready TCP UDP" to --ready-file once every connection is established, so the caller
measures only idle flows. Bounded: gives up on connections not established within --timeout.
"""
import argparse
import selectors
import socket
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--server", required=True)
    ap.add_argument("--ports", type=int, nargs="+", required=True)
    ap.add_argument("--tcp", type=int, default=0)
    ap.add_argument("--udp", type=int, default=0)
    ap.add_argument("--udp-port", type=int, default=9)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    deadline = time.monotonic() + a.timeout
    sel = selectors.DefaultSelector()
    pending = 0
    connected = []
    batch = 512
    opened = 0
    while (opened < a.tcp or pending) and time.monotonic() < deadline:
        while opened < a.tcp and pending < batch:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((a.server, a.ports[opened % len(a.ports)]))
            sel.register(s, selectors.EVENT_WRITE)
            pending += 1
            opened += 1
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            sel.unregister(s)
            pending -= 1
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected.append(s)
            else:
                s.close()
    udp = []
    for _ in range(a.udp):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"x", (a.server, a.udp_port))
        udp.append(u)
        if len(udp) % 2000 == 0:
            time.sleep(0.05)  # let the gateway keep up instead of dropping datagrams
    with open(a.ready_file, "w") as f:
        f.write("ready %d %d\n" % (len(connected), len(udp)))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
