#!/usr/bin/env python3
"""Speaks the control API directly, for requests the CLI does not make (the security test runs
it as an unprivileged user to see what the daemon lets that user do).

Usage: control.py SOCKET get_settings
       control.py SOCKET set KEY=JSON...   (get_settings, change the dotted keys, set_settings)
Prints the daemon's answer line to set_settings (or get_settings) and exits 0 when it is
`ok`, 2 when it is an error, 1 when there is no answer.
"""
import json
import socket
import sys


def request(sock, reader, rid, body):
    sock.sendall((json.dumps({"v": 1, "id": rid, "request": body}) + "\n").encode())
    line = reader.readline()
    if not line:
        print("no answer: the daemon closed the connection", file=sys.stderr)
        sys.exit(1)
    return json.loads(line)


def main():
    path, op = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(path)
    reader = sock.makefile("r")
    answer = request(sock, reader, 1, {"type": "get_settings"})
    if op == "set" and "ok" in answer:
        settings = answer["ok"]["data"]
        for assignment in sys.argv[3:]:
            key, value = assignment.split("=", 1)
            *parents, last = key.split(".")
            node = settings
            for p in parents:
                node = node[p]
            node[last] = json.loads(value)
        answer = request(sock, reader, 2, {"type": "set_settings", "settings": settings})
    print(json.dumps(answer))
    sys.exit(0 if "ok" in answer else 2)


if __name__ == "__main__":
    main()
