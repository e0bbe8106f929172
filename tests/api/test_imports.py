"""Importing contacts from an .xlsx sheet (SPEC §7, seed 004; issue 12): rows go through the
contact rules one by one, a refused row is reported with its row number and reason while the
rest import, an existing email updates its contact, the template downloads in every language and
imports as it is filled, a file that is not a workbook is refused before any job starts, the job
is its creator's (and admins') to follow, and test-mode imports make test-mode contacts."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
from openpyxl import Workbook, load_workbook

from models.contact import Contact
from models.enums import ImportStatus
from models.imports import ImportJob
from models.org import Company, Department, User
from models.work_item import WorkItem
from server.domain import clock
from server.domain.imports import jobs
from tests.api.test_compose_uploads import upload
from tests.support.client import HttpClient, ws_session

JOB = """id kind status testMode filename totalRows doneRows imported updated failed error createdAt startedAt finishedAt
         failures(first: 100) { row field reason }"""
IMPORT = f"mutation($file: Upload!, $testMode: Boolean! = false) {{ importContacts(file: $file, testMode: $testMode) {{ {JOB} }} }}"
STATUS = f"query($id: ID!) {{ importJob(id: $id) {{ {JOB} }} }}"
HEADER = ["Email", "Name", "Company", "Language", "Time zone", "Office", "Phone", "Tags"]


def workbook(rows: list[list], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def send(client: HttpClient, content: bytes, *, test_mode: bool = False, filename: str = "contacts.xlsx") -> dict:
    response = await upload(client, IMPORT, {"file": None, "testMode": test_mode},
                            {"file": (filename, content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert response.status_code == 200, response.text
    return response.json()


async def imported(client: HttpClient, content: bytes, **options) -> dict:
    """Upload, wait for the job to end, and read it as its creator does."""
    body = await send(client, content, **options)
    assert "errors" not in body, body
    job = body["data"]["importContacts"]
    await jobs.finished(int(job["id"]))
    return (await client.data(STATUS, {"id": job["id"]}))["importJob"]


async def test_bad_rows_are_reported_by_row_number_while_the_rest_import(signed_in):
    jane = await signed_in("jane@example.com")
    rows: list[list] = []
    bad: dict[int, str] = {}  # sheet row → the column at fault
    for n in range(300):
        number = n + 2  # the header is row 1
        if n % 30 == 7:
            rows.append([None, f"Nobody {n}", "Acme Corp"])
            bad[number] = "email"
        elif n % 30 == 19:
            rows.append([f"not an address {n}", "Broken"])
            bad[number] = "email"
        elif n % 30 == 23:
            rows.append([f"p{n}@imports.example", "Lost", "No Such Company Ltd"])
            bad[number] = "company"
        else:
            rows.append([f"  P{n}@Imports.Example ", f"Person {n}", "acme corp" if n % 2 else None, "pl", "Europe/Warsaw", "Kraków", 48123456000 + n, "vip, payroll"])
    rows.insert(10, [None] * 8)  # a blank row: skipped, not counted, row numbers still the sheet's
    bad = {(r + 1 if r >= 12 else r): f for r, f in bad.items()}
    job = await imported(jane, workbook(rows), filename="people.xlsx")

    assert job["status"] == "DONE" and job["kind"] == "contacts" and job["filename"] == "people.xlsx"
    assert job["totalRows"] == job["doneRows"] == 300
    assert job["failed"] == len(bad) == 30 and job["imported"] == 270 and job["updated"] == 0
    assert {f["row"]: f["field"] for f in job["failures"]} == bad
    reasons = {f["row"]: f["reason"] for f in job["failures"]}
    assert "email" in reasons[9] and "No Such Company Ltd" in reasons[min(r for r, f in bad.items() if f == "company")]
    assert job["startedAt"] and job["finishedAt"] and job["error"] is None

    one = await Contact.get(email="p1@imports.example").prefetch_related("company", "tags")
    assert (one.name, one.company.name, one.language, one.timezone, one.office, one.phone) == (
        "Person 1", "Acme Corp", "pl", "Europe/Warsaw", "Kraków", "48123456001")
    assert sorted(t.name for t in one.tags) == ["payroll", "vip"]
    assert (await Contact.get(email="p2@imports.example")).company_id is None  # blank company → World
    assert not await Contact.exists(email="p23@imports.example")
    assert await Contact.filter(email__endswith="@imports.example", test_mode=False).count() == 270

    # a page of failures after a row
    later = await jane.data("query($id: ID!) { importJob(id: $id) { failures(first: 2, afterRow: 100) { row } } }", {"id": job["id"]})
    assert [f["row"] for f in later["importJob"]["failures"]] == sorted(r for r in bad if r > 100)[:2]


async def test_an_existing_email_updates_its_contact_instead_of_duplicating(signed_in):
    karina = await signed_in("karina@example.com")
    before = await Contact.filter(test_mode=False).count()
    alice = await Contact.get(email="alice@globex.example")
    language = alice.language
    job = await imported(karina, workbook([
        ["ALICE@globex.example", "Alice Renamed", "Globex", None, None, "Lyon"],
        ["new@imports.example", "First", None],
        ["new@imports.example", "Second", "Acme Corp", None, None, None, None, "x"],  # the later row updates the earlier
    ]))
    assert (job["imported"], job["updated"], job["failed"]) == (1, 2, 0)
    assert await Contact.filter(test_mode=False).count() == before + 1
    alice = await Contact.get(id=alice.id)
    assert (alice.name, alice.office, alice.language) == ("Alice Renamed", "Lyon", language)  # blank cells change nothing
    new = await Contact.get(email="new@imports.example").prefetch_related("company", "tags")
    assert new.name == "Second" and new.company.name == "Acme Corp" and [t.name for t in new.tags] == ["x"]

    # the company rule applies to the update: a World contact on a Globex item cannot become Acme's
    world = await Contact.get(email="new@imports.example")
    await Contact.filter(id=world.id).update(company_id=None)
    item = await WorkItem.filter(company__name="Globex").order_by("id").first()
    await WorkItem.filter(id=item.id).update(requester_id=world.id)
    job = await imported(karina, workbook([["new@imports.example", None, "Acme Corp"]]))
    assert job["failed"] == 1 and job["failures"][0]["row"] == 2 and job["failures"][0]["field"] == "company"
    assert item.ref in job["failures"][0]["reason"]
    assert (await Contact.get(id=world.id)).company_id is None
    # a sheet without the Company column leaves the company alone; with it, blank means World
    await Contact.filter(id=world.id).update(company_id=(await Company.get(name="Globex")).id)
    job = await imported(karina, workbook([["new@imports.example", "Kept"]], header=["email", "NAME"]))
    assert job["updated"] == 1 and (await Contact.get(id=world.id)).company_id is not None
    job = await imported(karina, workbook([["new@imports.example", None]], header=["Email", "Company"]))
    assert job["updated"] == 1 and (await Contact.get(id=world.id)).company_id is None


async def test_template_downloads_in_each_language_and_imports_as_filled(signed_in, client: HttpClient):
    jane = await signed_in("jane@example.com")
    auth = {"Authorization": f"Bearer {jane.token}"}
    async with httpx.AsyncClient(base_url=client.base_url, timeout=30) as http:
        english = await http.get("/imports/templates/contacts.xlsx", headers=auth)
        polish = await http.get("/imports/templates/contacts.xlsx", params={"language": "pl"}, headers=auth)
        refusals = [
            await http.get("/imports/templates/contacts.xlsx"),
            await http.get("/imports/templates/contacts.xlsx", params={"language": "xx"}, headers=auth),
            await http.get("/imports/templates/planets.xlsx", headers=auth),
        ]
    assert english.status_code == 200 and english.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in english.headers["content-disposition"]
    assert [(r.status_code, r.json()["errors"][0]["extensions"]["code"]) for r in refusals] == [
        (401, "UNAUTHENTICATED"), (400, "VALIDATION"), (404, "NOT_FOUND")]

    book = load_workbook(io.BytesIO(english.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER and sheet["A2"].value == "anna.nowak@example.com"
    assert len(book.worksheets) == 2 and "Email (required)" in [c.value for c in book.worksheets[1]["A"]]
    polish_header = [c.value for c in load_workbook(io.BytesIO(polish.content)).worksheets[0][1]]
    assert polish_header[:3] == ["E-mail", "Imię i nazwisko", "Firma"]

    # filled in: the example row kept, one row added; the Polish one imports the same way
    sheet.append(["tomasz@imports.example", "Tomasz", "Globex"])
    filled = io.BytesIO()
    book.save(filled)
    job = await imported(jane, filled.getvalue())
    assert (job["imported"], job["failed"]) == (2, 0), job["failures"]
    assert (await Contact.get(email="anna.nowak@example.com").prefetch_related("company")).company.name == "Acme Corp"
    job = await imported(jane, polish.content)
    assert (job["updated"], job["failed"]) == (1, 0)


async def test_a_file_that_is_not_a_usable_workbook_is_refused_before_any_job(signed_in):
    jane = await signed_in("jane@example.com")
    for content in (b"email,name\nx@y.example,X\n", b"PK\x03\x04 not really a zip", workbook([["A Name"]], header=["Name", "Company"]),
                    workbook([])):
        body = await send(jane, content)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "file", body
    assert "Email" in (await send(jane, workbook([["A Name"]], header=["Name"])))["errors"][0]["message"]
    assert await ImportJob.all().count() == 0


async def test_only_contact_writers_import_and_a_job_is_its_creators(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    karina = await signed_in("karina@example.com")
    bob = await signed_in("bob@client.example")
    content = workbook([["perm@imports.example"]])
    assert (await send(bob, content))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    uk = await Department.get(name="UK Operations")
    create_key = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token } }"
    read_only = (await admin.data(create_key, {"input": {"name": "ro", "departmentIds": [str(uk.id)], "canWrite": False}}))["createApiKey"]["token"]
    key_client = HttpClient(client.base_url, read_only)
    assert (await send(key_client, content))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await key_client.aclose()
    assert not await Contact.exists(email="perm@imports.example")

    job = await imported(jane, content)
    assert job["imported"] == 1
    assert (await karina.error(STATUS, {"id": job["id"]}))["extensions"]["code"] == "NOT_FOUND"
    assert (await bob.error(STATUS, {"id": job["id"]}))["extensions"]["code"] == "NOT_FOUND"
    assert (await admin.data(STATUS, {"id": job["id"]}))["importJob"]["imported"] == 1

    # three of one's imports running at once are the most
    user = await User.get(email="jane@example.com")
    for _ in range(jobs.MAX_ACTIVE_PER_CREATOR):
        await ImportJob.create(kind="contacts", status=ImportStatus.RUNNING, created_by_id=user.id, process_id="3" * 32,
                               created_at=clock.now(), heartbeat_at=clock.now())
    assert (await send(jane, content))["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert (await imported(karina, workbook([["other@imports.example"]])))["imported"] == 1  # one's own, not everyone's


async def test_a_test_mode_import_makes_test_mode_contacts_only(signed_in):
    jane = await signed_in("jane@example.com")
    job = await imported(jane, workbook([["tess@imports.example", "Tess"], ["bob@client.example", "Bob in test"]]), test_mode=True)
    assert job["testMode"] and (job["imported"], job["failed"]) == (1, 1)
    assert job["failures"][0]["row"] == 3 and "live" in job["failures"][0]["reason"]
    assert (await Contact.get(email="tess@imports.example")).test_mode
    assert (await Contact.get(email="bob@client.example")).name != "Bob in test"
    listed = "query($t: Boolean!) { contacts(search: \"tess\", testMode: $t) { edges { node { email } } } }"
    assert (await jane.data(listed, {"t": False}))["contacts"]["edges"] == []
    assert len((await jane.data(listed, {"t": True}))["contacts"]["edges"]) == 1
    job = await imported(jane, workbook([["tess@imports.example", "Live Tess"]]))
    assert job["failed"] == 1 and "test-mode" in job["failures"][0]["reason"]


async def test_a_job_left_running_by_a_stopped_process_reads_as_failed(signed_in):
    jane = await signed_in("jane@example.com")
    user = await User.get(email="jane@example.com")
    old = clock.now() - jobs.STALE_AFTER - timedelta(seconds=1)
    dead = await ImportJob.create(kind="contacts", status=ImportStatus.RUNNING, created_by_id=user.id, total_rows=10, done_rows=4,
                                  process_id="0" * 32, created_at=old, heartbeat_at=old)
    alive = await ImportJob.create(kind="contacts", status=ImportStatus.RUNNING, created_by_id=user.id, total_rows=10,
                                   process_id="1" * 32, created_at=old, heartbeat_at=clock.now())
    job = (await jane.data(STATUS, {"id": str(dead.id)}))["importJob"]
    assert job["status"] == "FAILED" and "import the file again" in job["error"] and job["doneRows"] == 4
    assert (await jane.data(STATUS, {"id": str(alive.id)}))["importJob"]["status"] == "RUNNING"
    assert await jobs.fail_abandoned() == 0  # at start-up: nothing else to mark; the live one is kept
    assert (await ImportJob.get(id=alive.id)).status is ImportStatus.RUNNING


PROGRESS = "subscription($id: ID!, $after: String) { importJobProgress(id: $id, after: $after) { snapshot cursor job { status totalRows doneRows imported failed } } }"


async def test_progress_is_pushed_to_its_creator_until_the_job_ends_then_completes(signed_in, client: HttpClient):
    jane = await signed_in("jane@example.com")
    karina = await signed_in("karina@example.com")
    user = await User.get(email="jane@example.com")
    # someone else's job: like a missing one
    job = await ImportJob.create(kind="contacts", created_by_id=user.id, total_rows=250, process_id="2" * 32, created_at=clock.now())
    async with ws_session(client.base_url, karina.token) as other:
        refused = await other.next_for(await other.subscribe(PROGRESS, {"id": str(job.id)}))
        assert refused["type"] == "next" and refused["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND", refused
    await job.delete()

    rows = [[f"live{n}@imports.example", f"Live {n}"] for n in range(249)] + [["broken"]]
    body = await send(jane, workbook(rows))
    job_id = body["data"]["importContacts"]["id"]
    async with ws_session(client.base_url, jane.token) as ws:
        op = await ws.subscribe(PROGRESS, {"id": job_id})
        seen = [(await ws.next_for(op))["payload"]["data"]["importJobProgress"]]
        assert seen[0]["snapshot"] and seen[0]["job"]["totalRows"] == 250
        while seen[-1]["job"]["status"] not in ("DONE", "FAILED"):
            message = await ws.next_for(op)
            assert message["type"] == "next", message
            seen.append(message["payload"]["data"]["importJobProgress"])
        assert (await ws.next_for(op))["type"] == "complete", "the server completes the stream after DONE"
        again = await ws.subscribe(PROGRESS, {"id": job_id})  # an ended job: its snapshot, then complete
        snapshot = (await ws.next_for(again))["payload"]["data"]["importJobProgress"]
        assert snapshot["snapshot"] and snapshot["job"]["status"] == "DONE"
        assert (await ws.next_for(again))["type"] == "complete"
        resumed = await ws.subscribe(PROGRESS, {"id": job_id, "after": seen[-2]["cursor"]})  # from a cursor: the rest, then complete
        last = (await ws.next_for(resumed))["payload"]["data"]["importJobProgress"]
        assert last["job"]["status"] == "DONE" and last["cursor"] == seen[-1]["cursor"]
        assert (await ws.next_for(resumed))["type"] == "complete"
        assert (await ws.execute("{ viewer { __typename } }"))["data"], "the connection carries on"
    done = [s["job"]["doneRows"] for s in seen]
    assert done == sorted(done) and done[-1] == 250 and not any(s["snapshot"] for s in seen[1:])
    assert seen[-1]["job"] == {"status": "DONE", "totalRows": 250, "doneRows": 250, "imported": 249, "failed": 1}
    await jobs.finished(int(job_id))


JOBS = """query($first: Int! = 20, $after: String, $kind: String, $status: ImportStatus) {
  importJobs(first: $first, after: $after, kind: $kind, status: $status) {
    edges { cursor node { id kind status imported } } pageInfo { hasNextPage endCursor } } }"""


async def listed(client: HttpClient, **variables) -> list[str]:
    return [e["node"]["id"] for e in (await client.data(JOBS, variables))["importJobs"]["edges"]]


async def test_my_import_jobs_newest_first_admins_see_everyones(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    admin = await signed_in("admin@example.com")
    first = (await imported(jane, workbook([["one@client.example"]])))["id"]
    second = (await imported(jane, workbook([["bad email"]])))["id"]
    lenas = (await imported(lena, workbook([["two@client.example"]])))["id"]
    assert await listed(jane) == [second, first]
    assert await listed(lena) == [lenas]
    assert await listed(admin) == [lenas, second, first]
    page = (await jane.data(JOBS, {"first": 1}))["importJobs"]
    assert [e["node"]["id"] for e in page["edges"]] == [second] and page["pageInfo"]["hasNextPage"]
    assert await listed(jane, first=1, after=page["pageInfo"]["endCursor"]) == [first]
    assert await listed(jane, kind="work_items") == [] and await listed(jane, kind="contacts") == [second, first]
    assert await listed(jane, status="DONE") == [second, first] and await listed(jane, status="RUNNING") == []
    error = await jane.error(JOBS, {"first": 101})
    assert (error["extensions"]["code"], error["extensions"].get("field")) == ("VALIDATION", "first")
    error = await jane.error(JOBS, {"kind": "x" * 33})
    assert (error["extensions"]["code"], error["extensions"].get("field")) == ("VALIDATION", "kind")


async def test_a_job_a_dead_process_left_running_is_listed_failed(signed_in):
    jane = await signed_in("jane@example.com")
    job = (await imported(jane, workbook([["one@client.example"]])))["id"]
    await ImportJob.filter(id=int(job)).update(status=ImportStatus.RUNNING, process_id="gone",
                                              heartbeat_at=clock.now() - jobs.STALE_AFTER - timedelta(seconds=1))
    (node,) = [e["node"] for e in (await jane.data(JOBS))["importJobs"]["edges"]]
    assert node["status"] == "FAILED"
