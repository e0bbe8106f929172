#!/usr/bin/env python3
"""Quick find against a primary-key read, in-process, on a database of 100,000 work items.

    .venv/bin/python bench/search.py                        # embedded SQLite, in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/search.py

The items are bulk-inserted copies of a demo ticket (one INSERT per 2,000 rows), all in Jane's
department, so quick find scans what she sees. Prints latency per operation and the ratio to
`workItem(ref)` (the baseline: one lookup by the unique reference) measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from workload import ROOT, prepare_database

LOGIN = 'mutation { login(email: "jane@example.com", password: "demo") { token } }'
NODE = "ref title status dueAt department { name } queue { name } requester { email }"


def operations(items: int) -> dict[str, str]:
    middle = 500_000 + items // 2
    return {
        "workItem(ref) (baseline)": f'{{ workItem(ref: "T-{middle}") {{ {NODE} }} }}',
        "search: reference": f'{{ search(text: "t{middle}", first: 20) {{ edges {{ node {{ {NODE} }} }} }} }}',
        "search: title words": f'{{ search(text: "the bench item {middle}", first: 20) {{ edges {{ node {{ {NODE} }} }} }} }}',
        "search: common word, first 20": f'{{ search(text: "bench", first: 20) {{ edges {{ node {{ {NODE} }} }} }} }}',
    }


async def fill(items: int) -> None:
    from tortoise import Tortoise

    from models.search_text import document
    from models.work_item import WorkItem

    template = await WorkItem.get(ref="T-1002")
    values = {f: getattr(template, f) for f in WorkItem._meta.db_fields if f not in ("id", "ref", "title", "search_text")}
    have = await WorkItem.filter(ref__startswith="T-5").count()
    started = time.perf_counter()
    for start in range(have, items, 2000):
        rows = []
        for i in range(start, min(start + 2000, items)):
            title = f"Bench item {500_000 + i}"  # bulk_create writes search_text as given: made here as `save` would
            rows.append(WorkItem(**values, ref=f"T-{500_000 + i}", title=title, search_text=document(title, values["custom_data"])))
        await WorkItem.bulk_create(rows)
    print(f"inserted {items - have} items in {time.perf_counter() - started:.1f} s")
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":  # statistics, as autovacuum gathers them after such a load
        await conn.execute_script('ANALYZE "work_item"')


async def measure(env: dict[str, str], items: int, seconds: float) -> None:
    os.environ.update({k: env[k] for k in ("SWITCHBOARD_VAR_DIR", "DATABASE_URL")})
    sys.path.insert(0, str(ROOT))
    from server import db
    from server.domain.tokens import TokenSigner
    from server.resolvers.context import Context
    from server.schema import build_schema
    from server.settings import load_settings

    settings = load_settings()
    async with db.connected(settings):
        await fill(items)
        schema = build_schema()
        signer = TokenSigner(settings.secret_key, settings.token_ttl_seconds)
        token = (await schema.execute(LOGIN, context_value=Context(None, None, signer))).data["login"]["token"]

        async def execute(query: str) -> dict:
            result = await schema.execute(query, context_value=Context(None, None, signer, token))
            if result.errors:
                raise SystemExit(f"query failed: {result.errors}")
            return result.data

        print(f"{'operation':34} {'runs':>6} {'p50 ms':>9} {'p99 ms':>9} {'p50 vs baseline':>16}")
        baseline = None
        for name, query in operations(items).items():
            await execute(query)
            latencies: list[float] = []
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline or len(latencies) < 3:
                start = time.perf_counter()
                await execute(query)
                latencies.append(time.perf_counter() - start)
            latencies.sort()
            p50 = statistics.median(latencies) * 1000
            p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000
            baseline = baseline or p50
            print(f"{name:34} {len(latencies):6} {p50:9.2f} {p99:9.2f} {p50 / baseline:15.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description="Quick find against a primary-key read")
    parser.add_argument("--items", type=int, default=100_000, help="work items to add")
    parser.add_argument("--seconds", type=float, default=2.0, help="duration per operation")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    try:
        env = prepare_database(workdir, 0)
        print(f"database: {env['DATABASE_URL'].split('://')[0]}, {args.items} added work items, in-process")
        asyncio.run(measure(env, args.items, args.seconds))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
