#!/usr/bin/env python3
"""HTTP server for the e2e tests: serves files (GET), stores uploads (PUT) and logs who asked.

Each request is logged as one line "CLIENT_IP:PORT METHOD PATH STATUS" to --log, so tests can
prove which address the server saw. A PUT answers with the SHA-256 and length of what arrived,
so the uploader can compare it with what it sent.
"""
import argparse
import hashlib
import http.server
import os
import socketserver
import sys
import threading


def make_handler(root, log_path):
    lock = threading.Lock()

    class Handler(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=root, **kwargs)

        def log_request(self, code="-", size="-"):
            line = "%s:%d %s %s %s\n" % (
                self.client_address[0], self.client_address[1], self.command, self.path, code)
            with lock, open(log_path, "a") as f:
                f.write(line)

        def do_PUT(self):
            length = int(self.headers.get("Content-Length", "-1"))
            if length < 0:
                self.send_error(411, "Content-Length required")
                return
            digest = hashlib.sha256()
            name = os.path.join(root, "uploads", os.path.basename(self.path) or "upload.bin")
            os.makedirs(os.path.dirname(name), exist_ok=True)
            remaining = length
            with open(name, "wb") as out:
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 1 << 16))
                    if not chunk:
                        break
                    digest.update(chunk)
                    out.write(chunk)
                    remaining -= len(chunk)
            body = ("%s %d\n" % (digest.hexdigest(), length - remaining)).encode()
            self.send_response(200 if remaining == 0 else 400)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class Server(http.server.ThreadingHTTPServer):
    """ThreadingHTTPServer without the reverse-DNS lookup of the bind address at start, which
    stalls for seconds inside a namespace that has no resolver."""

    daemon_threads = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    server = Server((a.bind, a.port), make_handler(a.dir, a.log))
    print("listening on %s:%d" % (a.bind, a.port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
