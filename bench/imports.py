#!/usr/bin/env python3
"""A contacts import of a 5,000-row sheet with 50 bad rows, in-process, against the same contacts
made one by one through the contact rules without a job (the baseline).

    .venv/bin/python bench/imports.py                                   # embedded SQLite, in a temp dir
    .venv/bin/python bench/imports.py --postgres postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/imports.py --rows 300 --bad 10               # a short run

With --postgres the bench makes a database of its own on that server and drops it at the end.
The sheet is built with openpyxl (a third of the rows name a company, one in ten updates a
contact made by an earlier row, the bad rows are spread evenly: no email, an invalid email, an
unknown company). It checks that the job ends DONE having reported exactly the bad rows by
their row numbers, and prints: the upload's size, the time to read the sheet, the job's time from
start to DONE (rows/s, ms per row), and the baseline — `contacts.create` for the same number of
new contacts, each in its own transaction, as createContact does — with the ratio job / baseline.
"""

from __future__ import annotations

import io
import time

from workload import connected_as, import_bench_main, import_to_the_end, print_import_steps


def sheet(rows: int, bad: int) -> tuple[bytes, set[int]]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    page = book.create_sheet("Contacts")
    page.append(["Email", "Name", "Company", "Language", "Time zone", "Office", "Phone", "Tags"])
    step = rows // bad if bad else rows + 1
    expected: set[int] = set()
    for n in range(rows):
        number = n + 2
        if bad and n % step == step // 2 and len(expected) < bad:
            expected.add(number)
            kind = len(expected) % 3
            if kind == 0:
                page.append([None, f"Nobody {n}"])
            elif kind == 1:
                page.append([f"broken {n} at example", f"Broken {n}"])
            else:
                page.append([f"lost{n}@bench.example", f"Lost {n}", "No Such Company"])
            continue
        email = f"person{n - 1 if n % 10 == 9 else n}@bench.example"  # one in ten updates the row before
        page.append([email, f"Person {n}", "Acme Corp" if n % 3 == 0 else None, "pl", "Europe/Warsaw", "Kraków", f"+48 12 {n:06d}", "bench; vip"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), expected


async def measure(env: dict[str, str], rows: int, bad: int) -> None:
    async with connected_as(env) as viewer:  # the server's modules import once it has put ROOT on the path
        from server.domain import contacts
        from server.domain.contacts.importing import COLUMNS
        from server.domain.imports import sheets

        content, expected = sheet(rows, bad)
        started = time.perf_counter()
        parsed = sheets.read(content, COLUMNS)
        read_s = time.perf_counter() - started
        assert len(parsed) == rows

        job, job_s, failures = await import_to_the_end(viewer, "contacts", content, rows)
        reported = set(failures)
        assert job.failed == len(expected) and reported == expected, (job.failed, sorted(reported ^ expected)[:10])

        made = job.imported
        started = time.perf_counter()
        for n in range(made):
            await contacts.create(viewer, {"email": f"baseline{n}@bench.example", "name": f"Baseline {n}", "language": "pl",
                                           "timezone": "Europe/Warsaw", "office": "Kraków", "phone": f"+48 13 {n:06d}", "tags": ["bench", "vip"]})
        base_s = time.perf_counter() - started

    print(f"sheet: {rows} rows, {bad} bad, {len(content) / 1024:.0f} KiB")
    print_import_steps(rows, made, job_s, base_s, "contacts.create one by one", (("read the sheet (openpyxl, read-only)", read_s),))
    print(f"job: {job.imported} imported, {job.updated} updated, {job.failed} failed — the {len(expected)} bad rows reported by row number: "
          f"{'yes' if reported == expected else 'NO'} (first: {sorted(reported)[:5]})")
    print("(vs baseline: the job's time per row against the baseline's time per contact)")


def main() -> None:
    import_bench_main("A contacts import of a large sheet with bad rows", measure, 5000, 50)

if __name__ == "__main__":
    main()
