#!/usr/bin/env python3
"""GraphQL over HTTP: requests per second and latency of the main read queries and two writes,
against a baseline measured in the same run on the same server (`{ __typename }`: parse, validate
and respond, no database).

    .venv/bin/python bench/graphql_http.py                      # embedded SQLite, in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/graphql_http.py

With DATABASE_URL set, the database must be empty (or hold a previous bench's data). The script
migrates it, loads the demo data, adds --items tickets, starts `switchboard serve`, and drives it
with --concurrency clients for --seconds per query.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from workload import QUERIES, ROOT, SWITCHBOARD, prepare_database, write_targets, write_variables


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def drive(
    url: str, token: str, query: str, seconds: float, concurrency: int, refs: list[str]
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    sent = itertools.count()
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                body = {"query": query}
                if query.startswith("mutation"):
                    body["variables"] = write_variables(refs, next(sent))
                response = await http.post("/graphql", json=body)
                body = response.json()
                if body.get("errors"):
                    raise SystemExit(f"query failed: {body['errors']}")
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies), latencies


async def run(url: str, seconds: float, concurrency: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        login = await http.post("/graphql", json={"query": 'mutation { login(email: "jane@example.com", password: "demo") { token } }'})
        token = login.json()["data"]["login"]["token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def data(query: str, variables: dict) -> dict:
            return (await http.post("/graphql", headers=headers, json={"query": query, "variables": variables})).json()["data"]

        refs = await write_targets(data)
        for query in QUERIES.values():  # warm up caches and connections
            variables = {"ref": refs[0], "n": "Bench warm-up"} if query.startswith("mutation") else None
            await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    baseline = None
    print(f"{'query':40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs baseline':>12}")
    for name, query in QUERIES.items():
        count, latencies = await drive(url, token, query, seconds, concurrency, refs)
        rps = count / seconds
        baseline = baseline or rps
        latencies.sort()
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(f"{name:40} {rps:9.0f} {p50:8.1f} {p99:8.1f} {rps / baseline:11.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description="GraphQL over HTTP benchmark")
    parser.add_argument("--items", type=int, default=500, help="work items in the database")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration per query")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    try:
        bench(workdir, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def bench(workdir: Path, args: argparse.Namespace) -> None:
    env = prepare_database(workdir, args.items)
    port = free_port()
    server = subprocess.Popen([*SWITCHBOARD, "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        print(f"database: {env['DATABASE_URL'].split('://')[0]}, {args.items} work items, "
              f"{args.concurrency} concurrent clients, {args.seconds:g} s per query, one server process")
        asyncio.run(run(url, args.seconds, args.concurrency))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
