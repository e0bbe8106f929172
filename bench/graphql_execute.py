#!/usr/bin/env python3
"""GraphQL execution in-process: operations per second and latency of the same queries and writes as
graphql_http.py, run through the schema alone (no HTTP, no client competing for the CPU), against
a baseline measured in the same run (`{ __typename }`: parse, validate, execute, nothing else).

    .venv/bin/python bench/graphql_execute.py                   # embedded SQLite, in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/graphql_execute.py

What the resolvers, DataLoaders and the database cost per operation, one operation at a time;
compare with graphql_http.py for what HTTP and concurrency add. Writes record their events in the
durable log as always; no broker is connected in-process, so nothing is published. The database is prepared as in
graphql_http.py (an empty one, or one a previous bench filled).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from workload import QUERIES, ROOT, prepare_database, write_targets, write_variables

LOGIN = 'mutation { login(email: "jane@example.com", password: "demo") { token } }'


async def measure(env: dict[str, str], seconds: float) -> None:
    os.environ.update({k: env[k] for k in ("SWITCHBOARD_VAR_DIR", "DATABASE_URL")})
    sys.path.insert(0, str(ROOT))
    from server import db
    from server.domain.tokens import TokenSigner
    from server.resolvers.context import Context
    from server.schema import build_schema
    from server.settings import load_settings

    settings = load_settings()
    async with db.connected(settings):
        schema = build_schema()
        signer = TokenSigner(settings.secret_key, settings.token_ttl_seconds)
        token = (await schema.execute(LOGIN, context_value=Context(None, None, signer))).data["login"]["token"]

        async def execute(query: str, variables: dict | None = None) -> dict:
            # a new context per operation, as each HTTP request gets
            result = await schema.execute(query, variable_values=variables, context_value=Context(None, None, signer, token))
            if result.errors:
                raise SystemExit(f"query failed: {result.errors}")
            return result.data

        refs = await write_targets(execute)
        written = itertools.count()
        print(f"{'operation':40} {'ops/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs baseline':>12}")
        baseline = None
        for name, query in QUERIES.items():
            is_write = query.startswith("mutation")
            for _ in range(3):  # warm up caches
                await execute(query, write_variables(refs, next(written)) if is_write else None)
            latencies: list[float] = []
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                variables = write_variables(refs, next(written)) if is_write else None
                start = time.perf_counter()
                await execute(query, variables)
                latencies.append(time.perf_counter() - start)
            rate = len(latencies) / sum(latencies)
            baseline = baseline or rate
            latencies.sort()
            p50 = statistics.median(latencies) * 1000
            p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000
            print(f"{name:40} {rate:9.0f} {p50:8.2f} {p99:8.2f} {rate / baseline:11.3f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description="In-process GraphQL execution benchmark")
    parser.add_argument("--items", type=int, default=500, help="work items in the database")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration per operation")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    try:
        env = prepare_database(workdir, args.items)
        print(f"database: {env['DATABASE_URL'].split('://')[0]}, {args.items} work items, "
              f"{args.seconds:g} s per operation, one at a time, in-process")
        asyncio.run(measure(env, args.seconds))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
