#!/usr/bin/env python3
"""A work items import (importWorkItems) of a 500-row sheet with 10 bad rows, in-process, against
the same items made one by one through create_draft → submit → assign without a job (the baseline:
what createWorkItem, submitWorkItem and assignWorkItem do, each in its own transaction).

    .venv/bin/python bench/work_item_imports.py                                   # embedded SQLite, in a temp dir
    .venv/bin/python bench/work_item_imports.py --postgres postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/work_item_imports.py --rows 100 --bad 5                # a short run

With --postgres the bench makes a database of its own on that server and drops it at the end.
The sheet (openpyxl): tickets of UK Operations with category, contacts, priority and custom data,
one in five a case instead, half of the rows assigned to Lena, one in four with a due date; the bad
rows spread evenly (an unknown queue, an unknown contact, an invalid date, bad JSON, an employee
the importer does not see, no title). It checks that the job ends DONE having reported exactly the
bad rows by their row numbers and columns, and prints the job's time from start to DONE (rows/s,
ms per row) and the baseline's, with the ratio job / baseline.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date, timedelta

from workload import ROOT, run_in_own_database

HEADER = ["Type", "Title", "Description", "Department", "Queue", "Category", "Priority", "Due date", "Primary contact", "Requester",
          "Other contacts", "Assignee", "Custom data"]
BAD = [  # (the cells changed, the column reported)
    ({"Queue": "No Such Queue"}, "queue"),
    ({"Primary contact": "nobody@nowhere.example"}, "primaryContact"),
    ({"Due date": "31.02.2027"}, "dueDate"),
    ({"Custom data": "{not json"}, "customData"),
    ({"Assignee": "karina@example.com"}, "assignee"),
    ({"Title": None}, "title"),
]


def good_row(n: int) -> dict:
    row = {"Type": "CASE" if n % 5 == 4 else "TICKET", "Title": f"Bench item {n}", "Description": f"Bench description {n}",
           "Department": "UK Operations", "Queue": "Team A queue", "Category": "Payroll", "Priority": ("LOW", "NORMAL", "HIGH")[n % 3],
           "Primary contact": "bob@client.example", "Requester": "bob@client.example", "Other contacts": "piotr@client.example",
           "Custom data": f'{{"employeeId": "E-{n}", "batch": 7}}'}
    if n % 2:
        row["Assignee"] = "lena@example.com"
    if n % 4 == 0:
        row["Due date"] = date.today() + timedelta(days=3 + n % 20)
    return row


def sheet(rows: int, bad: int) -> tuple[bytes, dict[int, str]]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    page = book.create_sheet("Work items")
    page.append(HEADER)
    step = rows // bad if bad else rows + 1
    expected: dict[int, str] = {}
    for n in range(rows):
        row = good_row(n)
        if bad and n % step == step // 2 and len(expected) < bad:
            cells, column = BAD[len(expected) % len(BAD)]
            row.update(cells)
            expected[n + 2] = column
        page.append([row.get(h) for h in HEADER])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), expected


async def measure(env: dict[str, str], rows: int, bad: int) -> None:
    os.environ.update({k: env[k] for k in ("SWITCHBOARD_VAR_DIR", "DATABASE_URL")})
    sys.path.insert(0, str(ROOT))
    from models.contact import Contact
    from models.enums import Priority, WorkItemType
    from models.org import Category, Department, Queue, User
    from server import db
    from server.domain import lifecycle, work_items
    from server.domain.imports import jobs
    from server.domain.viewer import user_viewer
    from server.settings import load_settings

    settings = load_settings()
    async with db.connected(settings):
        viewer = await user_viewer(await User.get(email="jane@example.com"))
        content, expected = sheet(rows, bad)

        started = time.perf_counter()
        job = await jobs.start(viewer, "work_items", content, filename="bench.xlsx")
        job = await jobs.finished(job.id, timeout=3600)
        job_s = time.perf_counter() - started
        reported = {f.row: f.field for f in await jobs.failures(job, first=1000)}
        assert job.status.value == "DONE", (job.status, job.error)
        assert job.failed == len(expected) and reported == expected, (job.failed, sorted(set(reported.items()) ^ set(expected.items()))[:10])
        assert job.done_rows == rows and job.imported + job.failed == rows

        made = job.imported
        uk = await Department.get(name="UK Operations")
        queue, category = await Queue.get(name="Team A queue"), await Category.get(name="Payroll")
        bob, piotr = await Contact.get(email="bob@client.example"), await Contact.get(email="piotr@client.example")
        lena = await User.get(email="lena@example.com")
        started = time.perf_counter()
        for n in range(made):
            item_type = WorkItemType.CASE if n % 5 == 4 else WorkItemType.TICKET
            fields = {"title": f"Baseline item {n}", "description": f"Baseline description {n}", "queue_id": queue.id,
                      "category_id": category.id, "priority": (Priority.LOW, Priority.NORMAL, Priority.HIGH)[n % 3],
                      "primary_contact_id": bob.id, "requester_id": bob.id, "contact_ids": [piotr.id],
                      "custom_data": {"employeeId": f"E-{n}", "batch": 7}}
            if n % 4 == 0:
                fields["sla_hours"] = 24 * (3 + n % 20)
            item = await work_items.create_draft(viewer, item_type, uk.id, fields)
            await work_items.submit(viewer, item.ref, None)
            if n % 2:
                await lifecycle.assign(viewer, item.ref, None, lena.id)
        base_s = time.perf_counter() - started

    print(f"sheet: {rows} rows, {bad} bad, {len(content) / 1024:.0f} KiB")
    print(f"{'step':48} {'seconds':>8} {'rows/s':>8} {'ms/row':>7} {'vs baseline':>12}")
    print(f"{'import job, upload to DONE':48} {job_s:8.2f} {rows / job_s:8.0f} {job_s * 1000 / rows:7.2f} {job_s / base_s * made / rows:11.2f}x")
    print(f"{'baseline: create_draft, submit, assign 1 by 1':48} {base_s:8.2f} {made / base_s:8.0f} {base_s * 1000 / made:7.2f} {1:11.2f}x")
    print(f"job: {job.imported} imported, {job.failed} failed — the {len(expected)} bad rows reported by row number and column: "
          f"{'yes' if reported == expected else 'NO'} (first: {sorted(reported.items())[:3]})")
    print("(vs baseline: the job's time per row against the baseline's time per item)")


def main() -> None:
    parser = argparse.ArgumentParser(description="A work items import of a sheet with bad rows")
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--bad", type=int, default=10)
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server to make the bench's database on")
    args = parser.parse_args()
    run_in_own_database(measure, args.postgres, args.rows, args.bad)


if __name__ == "__main__":
    main()
