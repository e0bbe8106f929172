#!/usr/bin/env python3
"""Where the memory of an idle subscribed connection goes: the server runs under tracemalloc,
N clients subscribe to `workItemUpdated(ref)` and stay idle, and the allocations still alive
are compared with those before they connected, grouped by the line that made them.

    .venv/bin/python bench/memprobe.py --connections 200 [--frames 6] [--top 30]

Prints the bytes per connection of the largest groups and their total (what tracemalloc sees:
Python objects, not the allocator's slack that VmRSS also counts), and the VmRSS growth per
connection for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from fanout import LOGIN, SUBSCRIPTION, rss_kib, wait_healthy
from workload import ROOT, prepare_database, write_targets

HERE = Path(__file__).resolve().parent
TRACED = """
import gc, runpy, signal, sys, tracemalloc
tracemalloc.start(int(sys.argv[1]))
path = sys.argv[2]
collect = sys.argv[3] == "collect"
count = [0]
def dump(signum, frame):
    count[0] += 1
    if collect:
        gc.collect()
    tracemalloc.take_snapshot().dump(f"{path}.{count[0]}")
signal.signal(signal.SIGUSR1, dump)
sys.argv = sys.argv[4:]
if sys.argv[0].endswith(".py"):
    runpy.run_path(sys.argv[0], run_name="__main__")
else:
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


async def subscriber(url: str, token: str, ref: str, opened: list) -> None:
    ws = await connect(url, subprotocols=["graphql-transport-ws"], open_timeout=60, ping_interval=None, compression=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    await ws.recv()
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"ref": ref}}}))
    await ws.recv()
    opened.append(ws)


async def snapshot(pid: int, path: str, number: int) -> tracemalloc.Snapshot:
    os.kill(pid, signal.SIGUSR1)
    target = Path(f"{path}.{number}")
    for _ in range(600):
        await asyncio.sleep(0.1)
        if target.exists():
            size = target.stat().st_size
            await asyncio.sleep(0.5)
            if target.stat().st_size == size:
                return tracemalloc.Snapshot.load(str(target))
    raise RuntimeError("the server wrote no snapshot")


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="memprobe-"))
    env = prepare_database(work, 10)
    env.update({"SWITCHBOARD_MAX_CONNECTIONS_PER_PRINCIPAL": str(args.connections + 10),
                "SWITCHBOARD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL": str(args.connections + 10),
                "SWITCHBOARD_LIMIT_CONCURRENCY": str(args.connections + 100),
                "SWITCHBOARD_SCHEDULER_ENABLED": "false", "PYTHONPATH": str(ROOT)})
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dump = str(work / "snapshot")
    if args.raw:
        command = [str(HERE / "fanout_raw.py"), "--port", str(port), "--redis", env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                   "--channel", f"memprobe-{os.getpid()}"]
    else:
        command = ["server.cli", "serve", "--port", str(port)]
    server = subprocess.Popen([sys.executable, "-c", TRACED, str(args.frames), dump, "collect" if args.collect else "-", *command], env=env, cwd=ROOT,
                              stdout=open(work / "server.log", "wb"), stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_healthy(base, server, 120)
        token, ref = "raw", "T-1002"
        if not args.raw:
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                token = (await http.post("/graphql", json={"query": LOGIN})).json()["data"]["login"]["token"]

                async def data(query: str, variables: dict) -> dict:
                    return (await http.post("/graphql", headers={"Authorization": f"Bearer {token}"},
                                            json={"query": query, "variables": variables})).json()["data"]

                ref = (await write_targets(data))[0]
        url = f"ws://127.0.0.1:{port}/graphql"
        warm: list = []
        await subscriber(url, token, ref, warm)
        await asyncio.sleep(2)
        before_rss = rss_kib(server.pid)
        before = await snapshot(server.pid, dump, 1)
        opened: list = []
        for start in range(0, args.connections, 50):
            await asyncio.gather(*(subscriber(url, token, ref, opened) for _ in range(start, min(args.connections, start + 50))))
        await asyncio.sleep(args.settle)
        after_rss = rss_kib(server.pid)
        after = await snapshot(server.pid, dump, 2)
        n = len(opened)
        stats = after.compare_to(before, args.by if args.frames == 1 else "traceback")
        total = sum(s.size_diff for s in stats)
        print(f"{n} idle subscribed connections: tracemalloc {total / n / 1024:.1f} KiB each, VmRSS {(after_rss - before_rss) / n:.1f} KiB each")
        for stat in stats[: args.top]:
            if stat.size_diff <= 0:
                continue
            frames = [f"{'/'.join(Path(f.filename).parts[-2:])}:{f.lineno}" for f in stat.traceback][-args.frames:]
            print(f"{stat.size_diff / n:8.0f} B {stat.count_diff / n:5.1f} obj  " + " < ".join(reversed(frames)))
        for ws in opened + warm:
            await ws.close()
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--frames", type=int, default=1)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--collect", action="store_true", help="collect cyclic garbage before each snapshot")
    parser.add_argument("--raw", action="store_true", help="probe the baseline (fanout_raw.py) instead")
    parser.add_argument("--by", choices=["lineno", "filename"], default="lineno", help="group by line or by file")
    parser.add_argument("--settle", type=float, default=3.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
