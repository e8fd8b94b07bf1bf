#!/usr/bin/env python3
"""Opens N TCP connections to a line-echo server, holds them all open at once, then has each
send a line and check the echo while all are still open. Exits 0 only if every connection
succeeded. Bounded: the whole run gives up after --timeout seconds.
"""
import argparse
import asyncio
import resource
import sys
import time


async def run(host, port, n, connect_parallel):
    gate = asyncio.Semaphore(connect_parallel)
    all_open = asyncio.Event()
    all_done = asyncio.Event()
    counts = {"open": 0, "done": 0}
    failures = []

    def mark(key, event):
        counts[key] += 1
        if counts[key] == n:
            event.set()

    async def one(i):
        try:
            async with gate:
                reader, writer = await asyncio.open_connection(host, port)
        except OSError as e:
            failures.append("connect %d: %s" % (i, e))
            mark("open", all_open)
            mark("done", all_done)
            return
        mark("open", all_open)
        try:
            await all_open.wait()
            msg = ("conn %d says hello\n" % i).encode()
            writer.write(msg)
            await writer.drain()
            got = await reader.readline()
            if got != msg:
                failures.append("conn %d: echoed %r" % (i, got))
        except OSError as e:
            failures.append("conn %d: %s" % (i, e))
        mark("done", all_done)
        await all_done.wait()
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass

    await asyncio.gather(*(one(i) for i in range(n)))
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--connect-parallel", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = a.n + 64
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(need, soft), hard), hard))
    start = time.monotonic()
    try:
        failures = asyncio.run(asyncio.wait_for(run(a.host, a.port, a.n, a.connect_parallel), a.timeout))
    except asyncio.TimeoutError:
        print("gave up after %.0f s" % a.timeout)
        return 1
    took = time.monotonic() - start
    print("%d connections, %d failed, %.1f s" % (a.n, len(failures), took))
    for f in failures[:20]:
        print("  " + f)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
