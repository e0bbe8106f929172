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

import io
import time
from datetime import date, timedelta

from workload import connected_as, import_bench_main, import_to_the_end, print_import_steps

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
    async with connected_as(env) as viewer:  # the server's modules import once it has put ROOT on the path
        from models.contact import Contact
        from models.enums import Priority, WorkItemType
        from models.org import Category, Department, Queue, User
        from server.domain import lifecycle, work_items

        content, expected = sheet(rows, bad)
        job, job_s, reported = await import_to_the_end(viewer, "work_items", content, rows)
        assert job.failed == len(expected) and reported == expected, (job.failed, sorted(set(reported.items()) ^ set(expected.items()))[:10])

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
    print_import_steps(rows, made, job_s, base_s, "create_draft, submit, assign 1 by 1")
    print(f"job: {job.imported} imported, {job.failed} failed — the {len(expected)} bad rows reported by row number and column: "
          f"{'yes' if reported == expected else 'NO'} (first: {sorted(reported.items())[:3]})")
    print("(vs baseline: the job's time per row against the baseline's time per item)")


def main() -> None:
    import_bench_main("A work items import of a sheet with bad rows", measure, 500, 10)

if __name__ == "__main__":
    main()
