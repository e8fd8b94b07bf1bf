#!/usr/bin/env python3
"""Line-echo TCP server (asyncio) that logs each peer's address and the peak concurrency.

Used by the many-connections test (1000 clients at once) and the live-translation test (which
compares the peer address logged here with masq's gateway endpoint). Each accepted peer is
logged as "PEER IP:PORT"; the highest number of simultaneous connections seen is rewritten to
--peak-file whenever it grows.
"""
import argparse
import asyncio
import resource
import sys


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--peak-file", required=True)
    a = ap.parse_args()
    raise_fd_limit()
    log = open(a.log, "a", buffering=1)
    state = {"open": 0, "peak": 0}

    async def handle(reader, writer):
        peer = writer.get_extra_info("peername")
        log.write("PEER %s:%d\n" % (peer[0], peer[1]))
        state["open"] += 1
        if state["open"] > state["peak"]:
            state["peak"] = state["open"]
            with open(a.peak_file, "w") as f:
                f.write("%d\n" % state["peak"])
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write(line)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            state["open"] -= 1
            writer.close()

    server = await asyncio.start_server(handle, a.bind, a.port, backlog=4096)
    print("listening on %s:%d" % (a.bind, a.port), flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    sys.exit(0)
