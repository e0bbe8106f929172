"""Creating work items in bulk from an .xlsx sheet (SPEC §8; seed 000's bulk creation and its
appendix of validation errors): each good row becomes a submitted item through the same rules as
createWorkItem → submitWorkItem → assignWorkItem (fields, contacts, assignment, due date, events);
each bad row is reported with its row number, column and reason and leaves nothing behind; actions
start on the case a row names; the template downloads and imports as it is; only viewers who may
create work items import; test mode; progress until the job is DONE."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import httpx
from openpyxl import Workbook, load_workbook

from models.contact import Contact
from models.enums import ImportStatus, Priority, Status, WorkItemType
from models.event import EventRecord
from models.imports import ImportJob
from models.org import Department, Queue, Team, User
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import clock
from server.domain.imports import jobs
from tests.api.test_compose_uploads import upload
from tests.support.client import HttpClient, ws_session

JOB = """id kind status testMode totalRows doneRows imported updated failed error finishedAt
         failures(first: 100) { row field reason }"""
IMPORT = f"mutation($file: Upload!, $testMode: Boolean! = false) {{ importWorkItems(file: $file, testMode: $testMode) {{ {JOB} }} }}"
STATUS = f"query($id: ID!) {{ importJob(id: $id) {{ {JOB} }} }}"
HEADER = ["Type", "Title", "Description", "Department", "Queue", "Category", "Priority", "Due date", "Primary contact", "Requester",
          "Other contacts", "Assignee", "Case type", "Owner", "Custom data", "Case"]


def workbook(rows: list[dict], header: list[str] = HEADER) -> bytes:
    """A sheet of `rows`, each given by column header (the others left blank)."""
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(h) for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ticket(title: str, **cells) -> dict:
    """A ticket row that submits as it is (UK Operations, bob as contact and requester)."""
    return {"Type": "TICKET", "Title": title, "Description": f"About {title}", "Category": "Payroll",
            "Primary contact": "bob@client.example", "Requester": "bob@client.example", **cells}


async def send(client: HttpClient, content: bytes, *, test_mode: bool = False) -> dict:
    response = await upload(client, IMPORT, {"file": None, "testMode": test_mode},
                            {"file": ("items.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert response.status_code == 200, response.text
    return response.json()


async def imported(client: HttpClient, content: bytes, **options) -> dict:
    """Upload, wait for the job to end, and read it as its creator does."""
    body = await send(client, content, **options)
    assert "errors" not in body, body
    job = body["data"]["importWorkItems"]
    assert job["kind"] == "work_items"
    await jobs.finished(int(job["id"]))
    return (await client.data(STATUS, {"id": job["id"]}))["importJob"]


async def test_good_rows_become_items_and_each_bad_row_is_reported_and_leaves_nothing(signed_in):
    jane = await signed_in("jane@example.com")
    await Department.filter(name="UK Operations").update(assignees_only_from_staff=True)
    # in Team A (so jane's directory shows him) without access to UK Operations
    outsider = await User.create(email="outsider@example.com", name="Otto Outsider")
    await (await Team.get(name="Team A")).members.add(outsider)
    due = clock.now().date() + timedelta(days=10)
    rows = [
        ticket("Bulk full ticket", Department="UK Operations", Queue="team a QUEUE", Priority="high", **{
            "Due date": due, "Other contacts": "piotr@client.example; bob@client.example", "Assignee": "lena@example.com",
            "Custom data": '{"employeeId": "E-1042", "month": 11}'}),
        {"Type": "Case", "Title": "Bulk case", "Owner": "lena@example.com", "Assignee": "jane@example.com", "Priority": "Pilny"},
        ticket("Bulk plain ticket"),
    ]
    good = {"Bulk full ticket", "Bulk case", "Bulk plain ticket"}
    bad = {  # the sheet row (after the good ones) → (the row, the column at fault, words of the reason)
        5: (ticket("Bad queue", Queue="No Such Queue"), "queue", "No Such Queue"),
        6: (ticket("Bad contact", **{"Primary contact": "nobody@nowhere.example"}), "primaryContact", "nobody@nowhere.example"),
        7: (ticket("Bad assignee", Assignee="outsider@example.com"), "assignee", "only from its staff"),
        8: (ticket("Bad date", **{"Due date": "31.02.2027"}), "dueDate", "not a date"),
        9: (ticket("Bad json", **{"Custom data": "{oops"}), "customData", "not JSON"),
        10: (ticket("x" * 501), "title", "500"),
        11: (ticket(None), "title", "required"),
        12: (ticket("Bad type", Type="BUG"), "type", "BUG"),
        13: (ticket("Hidden department", Department="PL Operations"), "department", "PL Operations"),
        14: (ticket("No category", Category=None, Description=None), "description", "Category"),
        15: (ticket("Two companies", **{"Other contacts": "alice@globex.example"}), "otherContacts", "alice@globex.example"),
        16: (ticket("Bad priority", Priority="asap"), "priority", "asap"),
        17: (ticket("Past due", **{"Due date": "2020-01-01"}), "dueDate", "past"),
        18: (ticket("Owner of a ticket", Owner="jane@example.com"), "owner", "only cases"),
        19: (ticket("Unknown employee", Assignee="ghost@example.com"), "assignee", "ghost@example.com"),
        20: ({"Type": "CASE", "Title": "Bad case type", "Case type": "No Such Flow"}, "caseType", "No Such Flow"),
        21: (ticket("Bad other", **{"Other contacts": "piotr@client.example, not-an-address"}), "otherContacts", "not-an-address"),
        22: (ticket("Unseen employee", Assignee="karina@example.com"), "assignee", "among those you may see"),
    }
    rows += [row for row, _, _ in bad.values()]
    at_five = datetime.combine(due, datetime.min.time(), timezone.utc).replace(hour=17)
    rows.append(ticket("Bulk dated ticket", **{"Due date": f"{due:%d.%m.%Y} 17:00"}))  # row 23: text, with a time
    before = await WorkItem.all().count()
    created_events = await EventRecord.filter(type="work_item.created").count()
    job = await imported(jane, workbook(rows))

    assert job["status"] == "DONE" and job["error"] is None and job["finishedAt"]
    assert (job["totalRows"], job["doneRows"], job["imported"], job["updated"], job["failed"]) == (22, 22, 4, 0, 18)
    assert {f["row"]: f["field"] for f in job["failures"]} == {n: column for n, (_, column, _) in bad.items()}, job["failures"]
    for failure in job["failures"]:
        assert bad[failure["row"]][2] in failure["reason"], failure
    # nothing of a refused row stays: no item, no event, no timeline entry
    assert await WorkItem.all().count() == before + 4
    assert await EventRecord.filter(type="work_item.created").count() == created_events + 4
    assert not await WorkItem.filter(title__in=[r["Title"] for r, _, _ in bad.values() if r["Title"] and len(r["Title"]) <= 500]).exists()
    assert not await WorkItem.filter(title__startswith="xxxxxxxx").exists()
    assert await TimelineEntry.filter(work_item__title__in=sorted(good)).count() >= 3

    full = await WorkItem.get(title="Bulk full ticket").prefetch_related("contacts", "queue", "category", "assignee", "requester")
    assert (full.type, full.status, full.priority, full.assignee.email) == (WorkItemType.TICKET, Status.TO_DO, Priority.HIGH, "lena@example.com")
    assert (full.queue.name, full.category.name, full.requester.email, full.test_mode) == ("Team A queue", "Payroll", "bob@client.example", False)
    assert sorted(c.email for c in full.contacts) == ["bob@client.example", "piotr@client.example"]
    assert full.custom_data == {"employeeId": "E-1042", "month": 11} and full.company_id is not None
    end_of_day = datetime.combine(due + timedelta(days=1), datetime.min.time(), timezone.utc)
    assert end_of_day <= full.due_at < end_of_day + timedelta(hours=1)
    assert full.created_by_id == (await User.get(email="jane@example.com")).id

    case = await WorkItem.get(title="Bulk case").prefetch_related("owner", "assignee", "department")
    assert (case.type, case.status, case.assignee.email, case.owner.email) == (WorkItemType.CASE, Status.IN_PROGRESS, "jane@example.com", "lena@example.com")
    assert case.priority is Priority.URGENT and case.department.name == "UK Operations"  # jane's default department
    dated = await WorkItem.get(title="Bulk dated ticket")
    assert at_five <= dated.due_at < at_five + timedelta(hours=1)
    plain = await WorkItem.get(title="Bulk plain ticket")
    assert plain.status is Status.TO_DO and plain.assignee_id is None and plain.queue_id == (await Queue.get(name="Team A queue")).id

    # the items read through the API as any other
    read = await jane.data("query($ref: String!) { workItem(ref: $ref) { status priority assignee { email } contacts { email } } }",
                           {"ref": full.ref})
    assert read["workItem"]["assignee"]["email"] == "lena@example.com" and len(read["workItem"]["contacts"]) == 2


async def test_actions_start_on_the_case_a_row_names(signed_in):
    jane = await signed_in("jane@example.com")
    job = await imported(jane, workbook([{"Type": "CASE", "Title": "Case for actions"}]))
    assert job["imported"] == 1, job["failures"]
    case = await WorkItem.get(title="Case for actions")
    job = await imported(jane, workbook([
        {"Type": "Action", "Title": "Collect the documents", "Case": case.ref.lower(), "Assignee": "lena@example.com"},
        {"Type": "ACTION", "Title": "Nowhere", "Case": "C-99999"},
        {"Type": "ACTION", "Title": "Without a case"},
        {"Type": "ACTION", "Title": "With a department", "Case": case.ref, "Department": "UK Operations"},
        {"Type": "ACTION", "Title": "On a ticket", "Case": (await WorkItem.filter(type=WorkItemType.TICKET, department__name="UK Operations").first()).ref},
    ]))
    assert (job["imported"], job["failed"]) == (1, 4), job["failures"]
    assert {f["row"]: f["field"] for f in job["failures"]} == {3: "case", 4: "case", 5: "department", 6: "case"}
    action = await WorkItem.get(title="Collect the documents").prefetch_related("assignee")
    assert (action.type, action.parent_id, action.status, action.assignee.email) == (WorkItemType.ACTION, case.id, Status.TO_DO, "lena@example.com")
    assert not await WorkItem.filter(title__in=["Nowhere", "Without a case", "With a department", "On a ticket"]).exists()


async def test_the_template_downloads_and_imports_as_it_is(signed_in, client: HttpClient):
    jane = await signed_in("jane@example.com")
    auth = {"Authorization": f"Bearer {jane.token}"}
    async with httpx.AsyncClient(base_url=client.base_url, timeout=30) as http:
        english = await http.get("/imports/templates/work_items.xlsx", headers=auth)
        french = await http.get("/imports/templates/work_items.xlsx", params={"language": "fr"}, headers=auth)
    assert english.status_code == 200 and english.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(english.content))
    assert [c.value for c in book.worksheets[0][1]] == HEADER
    assert "Type (required)" in [c.value for c in book.worksheets[1]["A"]]
    french_header = [c.value for c in load_workbook(io.BytesIO(french.content)).worksheets[0][1]]
    assert french_header[:4] == ["Type", "Titre", "Description", "Département"]

    # as downloaded: its example row is a ticket of the demo data
    job = await imported(jane, english.content)
    assert (job["imported"], job["failed"]) == (1, 0), job["failures"]
    example = await WorkItem.get(title="Payslip missing for November").prefetch_related("assignee")
    assert example.status is Status.IN_PROGRESS and example.assignee.email == "jane@example.com"  # her own: she works it
    job = await imported(jane, french.content)
    assert (job["imported"], job["failed"]) == (1, 0), job["failures"]

    # the header alone: read (every column known), then refused for having no rows; without Title, for that
    sheet = load_workbook(io.BytesIO(english.content))
    sheet.worksheets[0].delete_rows(2)
    header_only = io.BytesIO()
    sheet.save(header_only)
    error = (await send(jane, header_only.getvalue()))["errors"][0]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("VALIDATION", "file") and "no rows" in error["message"]
    error = (await send(jane, workbook([{"Type": "TICKET"}], header=["Type", "Description"])))["errors"][0]
    assert error["extensions"]["field"] == "file" and "Title" in error["message"]


async def test_only_viewers_who_may_create_work_items_import(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    bob = await signed_in("bob@client.example")
    content = workbook([ticket("Forbidden import")])
    assert (await send(bob, content))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with httpx.AsyncClient(base_url=client.base_url, timeout=30) as http:
        refused = await http.get("/imports/templates/work_items.xlsx", headers={"Authorization": f"Bearer {bob.token}"})
    assert refused.status_code == 403
    uk = await Department.get(name="UK Operations")
    create_key = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token } }"
    tokens = {}
    for name, can_write in (("ro", False), ("rw", True)):
        made = await admin.data(create_key, {"input": {"name": name, "departmentIds": [str(uk.id)], "canWrite": can_write}})
        tokens[name] = made["createApiKey"]["token"]
    read_only = HttpClient(client.base_url, tokens["ro"])
    assert (await send(read_only, content))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await read_only.aclose()
    assert not await WorkItem.exists(title="Forbidden import")

    # an employee with no department to create work in
    await User.create(email="nodept@example.com", name="No Department", password_hash=(await User.get(email="jane@example.com")).password_hash)
    nobody = await signed_in("nodept@example.com")
    assert (await send(nobody, content))["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # a read-write key imports in its department (and starts no actions: a person's)
    key = HttpClient(client.base_url, tokens["rw"])
    job = await imported(key, workbook([ticket("By a partner"), {"Type": "ACTION", "Title": "Partner action", "Case": "C-1"}]))
    await key.aclose()
    assert (job["imported"], job["failed"]) == (1, 1) and job["failures"][0]["field"] == "case"
    item = await WorkItem.get(title="By a partner")
    assert item.created_by_api_key_id is not None and item.department_id == uk.id and item.status is Status.TO_DO


async def test_a_test_mode_import_makes_test_mode_items_with_test_mode_contacts(signed_in):
    jane = await signed_in("jane@example.com")
    made = await jane.data('mutation { createContact(input: {email: "tess@test.example", name: "Tess"}, testMode: true) { id } }')
    assert made["createContact"]["id"]
    job = await imported(jane, workbook([
        ticket("Test-mode ticket", **{"Primary contact": "tess@test.example", "Requester": "tess@test.example"}),
        ticket("Live contact in test mode"),
    ]), test_mode=True)
    assert job["testMode"] and (job["imported"], job["failed"]) == (1, 1)
    assert job["failures"][0]["row"] == 3 and job["failures"][0]["field"] == "primaryContact"
    assert "test-mode" in job["failures"][0]["reason"] and "other mode" in job["failures"][0]["reason"]
    item = await WorkItem.get(title="Test-mode ticket")
    assert item.test_mode and item.status is Status.TO_DO
    assert not await WorkItem.exists(title="Live contact in test mode")
    # and a live import does not take the test-mode contact
    job = await imported(jane, workbook([ticket("Live with a test contact", Requester="tess@test.example")]))
    assert job["failed"] == 1 and job["failures"][0]["field"] == "requester"
    assert (await Contact.get(email="tess@test.example")).test_mode


PROGRESS = "subscription($id: ID!) { importJobProgress(id: $id) { snapshot job { status totalRows doneRows imported failed } } }"


async def test_progress_is_pushed_every_chunk_until_the_job_is_done(signed_in, client: HttpClient):
    jane = await signed_in("jane@example.com")
    rows = [ticket(f"Progress {n}") for n in range(59)] + [ticket("Progress bad", Queue="Nope")]
    started = clock.now()
    body = await send(jane, workbook(rows))
    job_id = body["data"]["importWorkItems"]["id"]
    async with ws_session(client.base_url, jane.token) as ws:
        op = await ws.subscribe(PROGRESS, {"id": job_id})
        seen = [(await ws.next_for(op))["payload"]["data"]["importJobProgress"]]
        while seen[-1]["job"]["status"] not in ("DONE", "FAILED"):
            message = await ws.next_for(op)
            assert message["type"] == "next", message
            seen.append(message["payload"]["data"]["importJobProgress"])
    await jobs.finished(int(job_id))
    done = [s["job"]["doneRows"] for s in seen]
    assert done == sorted(done) and seen[-1]["job"] == {"status": "DONE", "totalRows": 60, "doneRows": 60, "imported": 59, "failed": 1}
    if not seen[0]["job"]["doneRows"]:  # subscribed before the first chunk: every chunk of 25 is pushed
        assert {25, 50} <= set(done)
    job = (await jane.data(STATUS, {"id": job_id}))["importJob"]
    assert job["failures"] == [{"row": 61, "field": "queue", "reason": "Queue: no queue named 'Nope' in a department you may create work in"}]
    assert await WorkItem.filter(title__startswith="Progress ", created_at__gte=started).count() == 59


async def test_a_job_stopped_half_way_says_which_rows_not_to_import_again(signed_in):
    jane = await signed_in("jane@example.com")
    old = clock.now() - jobs.STALE_AFTER - timedelta(seconds=1)
    dead = await ImportJob.create(kind="work_items", status=ImportStatus.RUNNING, created_by_id=(await User.get(email="jane@example.com")).id,
                                  total_rows=100, done_rows=50, process_id="0" * 32, created_at=old, heartbeat_at=old)
    job = (await jane.data(STATUS, {"id": str(dead.id)}))["importJob"]
    assert job["status"] == "FAILED" and job["doneRows"] == 50
    assert "first 50 rows were tried" in job["error"] and "twice" in job["error"]  # no natural key: not "updated, not duplicated"
