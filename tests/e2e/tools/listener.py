#!/usr/bin/env python3
"""Records every TCP connection and UDP datagram that reaches a hidden host.

Listens on 0.0.0.0 TCP --tcp-port and UDP --udp-port and appends one line per arrival,
"TCP FROM ip:port" or "UDP FROM ip:port", to --log. The inbound test asserts that nothing from
the internet side ever shows up here.
"""
import argparse
import selectors
import socket
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tcp-port", type=int, required=True)
    ap.add_argument("--udp-port", type=int, required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    log = open(a.log, "a", buffering=1)
    tcp = socket.create_server(("0.0.0.0", a.tcp_port), backlog=16)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", a.udp_port))
    sel = selectors.DefaultSelector()
    sel.register(tcp, selectors.EVENT_READ, "tcp")
    sel.register(udp, selectors.EVENT_READ, "udp")
    print("listening on tcp %d, udp %d" % (a.tcp_port, a.udp_port), flush=True)
    while True:
        for key, _ in sel.select():
            if key.data == "tcp":
                conn, peer = tcp.accept()
                log.write("TCP FROM %s:%d\n" % peer)
                conn.close()
            else:
                _, peer = udp.recvfrom(65535)
                log.write("UDP FROM %s:%d\n" % peer)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
