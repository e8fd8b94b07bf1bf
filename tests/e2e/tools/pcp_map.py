#!/usr/bin/env python3
"""A minimal PCP (RFC 6887) client for the port-mapping e2e test: sends one MAP request and
prints the answer as JSON ({"result": 0, "lifetime": 60, "external_port": 18082, ...}).

Usage: pcp_map.py SERVER CLIENT_IP PROTO(tcp|udp) INTERNAL_PORT SUGGESTED_PORT LIFETIME NONCE_HEX
Retries a few times (UDP); exits 1 without an answer.
"""
import ipaddress
import json
import socket
import struct
import sys


def mapped(ip):
    return ipaddress.IPv6Address("::ffff:" + ip).packed


def main():
    server, client, proto, internal, suggested, lifetime, nonce_hex = sys.argv[1:8]
    nonce = bytes.fromhex(nonce_hex)
    assert len(nonce) == 12, "the nonce is 12 bytes (24 hex digits)"
    proto_num = {"tcp": 6, "udp": 17}[proto]
    header = struct.pack("!BBHI", 2, 1, 0, int(lifetime)) + mapped(client)
    body = nonce + struct.pack("!B3xHH", proto_num, int(internal), int(suggested)) + bytes(16)
    request = header + body
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((client, 0))
    sock.settimeout(1.0)
    for _ in range(4):
        sock.sendto(request, (server, 5351))
        try:
            answer, _ = sock.recvfrom(1100)
        except socket.timeout:
            continue
        version, op, _, result, life, epoch = struct.unpack("!BBBBII", answer[:12])
        out = {"version": version, "opcode": op, "result": result, "lifetime": life, "epoch": epoch}
        if len(answer) >= 60:
            out["nonce_ok"] = answer[24:36] == nonce
            out["internal_port"], out["external_port"] = struct.unpack("!HH", answer[40:44])
            out["external_address"] = str(ipaddress.IPv6Address(answer[44:60]).ipv4_mapped)
        print(json.dumps(out))
        return 0
    print("no answer from %s:5351" % server, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
