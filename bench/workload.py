"""What the benchmarks run: the queries and writes, and a database with the demo data and N tickets.

Shared by graphql_http.py (over HTTP, against `switchboard serve`) and graphql_execute.py
(in-process, the schema alone), so both measure the same work.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

ROOT = Path(__file__).resolve().parents[1]
SWITCHBOARD = [sys.executable, "-m", "server.cli"]

QUERIES = {
    "baseline { __typename }": "{ __typename }",
    "viewer": "{ viewer { name departments { name } teams { name } } }",
    "workItem(ref)": '{ workItem(ref: "T-1002") { ref title status dueAt department { name } queue { name } requester { email } } }',
    "workItems(first: 20) + relations": """{ workItems(first: 20) { edges { node {
        ref title status priority dueAt department { name } team { name } queue { name }
        assignee { name } requester { email } category { name } } } pageInfo { hasNextPage endCursor } } }""",
    "workItems(first: 100) + relations": """{ workItems(first: 100) { edges { node {
        ref title status priority dueAt department { name } team { name } queue { name }
        assignee { name } requester { email } category { name } } } } }""",
    # writes: each request changes one of up to 200 open items, in turn (transaction, timeline,
    # durable event log, publish); the first update of a TO_DO item also assigns it to the writer
    "updateWorkItem(title)": """mutation($ref: String!, $n: String!) {
        updateWorkItem(ref: $ref, input: {title: $n}) { ref version } }""",
    "addNote": """mutation($ref: String!, $n: String!) {
        addNote(ref: $ref, input: {body: $n}) { workItem { ref version } } }""",
}
WRITE_TARGETS = """query($after: String) { workItems(first: 100, after: $after, filter: {statuses: [TO_DO, IN_PROGRESS]}) {
    edges { node { ref } } pageInfo { hasNextPage endCursor } } }"""


async def write_targets(data: Callable[[str, dict], Awaitable[dict]]) -> list[str]:
    """What the writes change: up to 200 open items Jane sees (`data` runs a query as Jane)."""
    refs: list[str] = []
    after = None
    while len(refs) < 200:
        page = (await data(WRITE_TARGETS, {"after": after}))["workItems"]
        refs += [edge["node"]["ref"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    return refs


# the variables of a write: the item it changes, in turn, and a text that differs every time
def write_variables(refs: list[str], n: int) -> dict[str, str]:
    return {"ref": refs[n % len(refs)], "n": f"Bench write {n}"}


SEED = """
import asyncio, sys
from server import db
from server.settings import load_settings
from server.domain import work_items
from server.domain.viewer import user_viewer
from models.enums import WorkItemType
from models.org import User, Category
from models.contact import Contact
from models.work_item import WorkItem

async def main(count):
    settings = load_settings()
    async with db.connected(settings):
        have = await WorkItem.all().count()
        jane = await user_viewer(await User.get(email="jane@example.com"))
        category = await Category.get(name="Payroll")
        bob = await Contact.get(email="bob@client.example")
        for i in range(have, count):
            item = await work_items.create_draft(jane, WorkItemType.TICKET, None, {
                "title": f"Bench ticket {i}", "description": "Generated for the benchmark.",
                "category_id": category.id, "primary_contact_id": bob.id, "requester_id": bob.id})
            await work_items.submit(jane, item.ref, None)

asyncio.run(main(int(sys.argv[1])))
"""


def prepare_database(workdir: Path, items: int) -> dict[str, str]:
    """Migrate, load the demo, add tickets up to `items`; the environment that points at it
    (DATABASE_URL from the caller's environment, else SQLite in `workdir`)."""
    env = {**os.environ, "SWITCHBOARD_VAR_DIR": str(workdir)}
    env.setdefault("DATABASE_URL", f"sqlite://{workdir / 'bench.sqlite3'}")
    subprocess.run([*SWITCHBOARD, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*SWITCHBOARD, "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", SEED, str(items)], env=env, cwd=ROOT, check=True)
    return env


async def _database(admin_url: str, drop: str | None = None) -> str:
    import asyncpg

    admin = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        if drop:
            await admin.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')
            return drop
        name = f"bench_{secrets.token_hex(4)}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        return name
    finally:
        await admin.close()


def run_in_own_database(measure: Callable[..., Awaitable[None]], postgres: str | None, *args: Any) -> None:
    """Migrate and load the demo into a database of the bench's own — SQLite in a temporary
    directory, or a new database on the PostgreSQL server `postgres` (an admin URL) — run
    `measure(env, *args)` against it, and remove it whatever happens."""
    workdir = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    database = None
    try:
        if postgres:
            database = asyncio.run(_database(postgres))
            os.environ["DATABASE_URL"] = f"{postgres.rsplit('/', 1)[0]}/{database}"
        env = prepare_database(workdir, 0)
        print(f"database: {env['DATABASE_URL'].split('://')[0]}, in-process")
        asyncio.run(measure(env, *args))
    finally:
        if database:
            asyncio.run(_database(postgres, drop=database))
        shutil.rmtree(workdir, ignore_errors=True)


@asynccontextmanager
async def connected_as(env: dict[str, str], email: str = "jane@example.com") -> AsyncIterator[Any]:
    """This process connected to the bench's database (`env`), and the viewer of `email`."""
    os.environ.update({k: env[k] for k in ("SWITCHBOARD_VAR_DIR", "DATABASE_URL")})
    sys.path.insert(0, str(ROOT))
    from models.org import User
    from server import db
    from server.domain.viewer import user_viewer
    from server.settings import load_settings

    async with db.connected(load_settings()):
        yield await user_viewer(await User.get(email=email))


async def import_to_the_end(viewer: Any, kind: str, content: bytes, rows: int) -> tuple[Any, float, dict[int, str | None]]:
    """Import `content` as `viewer` (a job of `kind`, in this process) until it ends: the job, its
    seconds from upload to DONE and its failures (row → column); it must be DONE, every row tried."""
    from server.domain.imports import jobs

    started = time.perf_counter()
    job = await jobs.start(viewer, kind, content, filename="bench.xlsx")
    job = await jobs.finished(job.id, timeout=3600)
    seconds = time.perf_counter() - started
    assert job.status.value == "DONE", (job.status, job.error)
    assert job.done_rows == rows and job.imported + job.updated + job.failed == rows
    return job, seconds, {f.row: f.field for f in await jobs.failures(job, first=1000)}


def print_import_steps(rows: int, made: int, job_s: float, base_s: float, baseline: str,
                       before: tuple[tuple[str, float], ...] = ()) -> None:
    """The import benches' table: steps timed per sheet row (`before` the job: untimed against the
    baseline), the job from upload to DONE, and the baseline per record it made (`made`)."""
    print(f"{'step':48} {'seconds':>8} {'rows/s':>8} {'ms/row':>7} {'vs baseline':>12}")
    for name, seconds in before:
        print(f"{name:48} {seconds:8.2f} {rows / seconds:8.0f} {seconds * 1000 / rows:7.2f}")
    print(f"{'import job, upload to DONE':48} {job_s:8.2f} {rows / job_s:8.0f} {job_s * 1000 / rows:7.2f} {job_s / base_s * made / rows:11.2f}x")
    print(f"{'baseline: ' + baseline:48} {base_s:8.2f} {made / base_s:8.0f} {base_s * 1000 / made:7.2f} {1:11.2f}x")


def import_bench_main(description: str, measure: Callable[..., Awaitable[None]], rows: int, bad: int) -> None:
    """The import benches' command line: --rows, --bad and --postgres (an admin URL)."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=rows)
    parser.add_argument("--bad", type=int, default=bad)
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server to make the bench's database on")
    args = parser.parse_args()
    run_in_own_database(measure, args.postgres, args.rows, args.bad)
