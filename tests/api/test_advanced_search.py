"""Advanced search (SPEC §8): the work item lists filter on every standard column — people,
contacts, company, category, case type, resolution method, action kind, the created, changed,
resolved and closed times, test mode, left for a person — and on custom data texts; all conditions
hold at once, never beyond what the viewer may see, in the list's one statement; saved views keep them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from models.case_flow import CaseType
from models.contact import Contact
from models.finding import SavedView
from models.org import Category, Company, User
from models.work_item import WorkItem
from tests.support.client import HttpClient
from tests.support.queries import recorded_queries

LIST = "query($filter: WorkItemFilter) { workItems(filter: $filter, first: 100) { edges { node { ref } } } }"
UPDATE = "mutation($ref: String!, $input: WorkItemFieldsInput!) { updateWorkItem(ref: $ref, input: $input) { ref } }"
SAVE = "mutation($input: SaveViewInput!) { saveWorkItemView(input: $input) { id filter } }"
VIEW_ITEMS = "query($id: ID) { workItems(viewId: $id, first: 100) { edges { node { ref } } } }"
UK_TICKETS = {"T-1001", "T-1002", "T-1003", "T-1004", "T-1005", "T-1006"}
PL_TICKETS = {"T-1007", "T-1008", "T-1009", "T-1010", "T-1011"}
ONBOARDING = {"C-1001", "A-1001", "A-1002"}  # Lena's case for Globex (Alice) and its actions


async def matching(client: HttpClient, **conditions: Any) -> set[str]:
    data = await client.data(LIST, {"filter": conditions})
    return {e["node"]["ref"] for e in data["workItems"]["edges"]}


async def refused(client: HttpClient, **conditions: Any) -> tuple[str, str]:
    error = await client.error(LIST, {"filter": conditions})
    return error["extensions"]["code"], error["extensions"].get("field")


async def ids() -> dict[str, str]:
    found = {
        **{u.email.split("@")[0]: u.id for u in await User.all()},
        **{c.email.split("@")[0]: c.id for c in await Contact.all()},
        "acme": (await Company.get(name="Acme Corp")).id,
        "globex": (await Company.get(name="Globex")).id,
        "payroll": (await Category.get(name="Payroll")).id,
        "invoices": (await Category.get(name="Invoices")).id,
        "onboarding": (await CaseType.get(name="Client onboarding")).id,
    }
    return {name: str(pk) for name, pk in found.items()}


async def test_people_contacts_company_category_and_case_type(signed_in):
    known = await ids()
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")  # UK
    karina = await signed_in("karina@example.com")  # PL

    assert await matching(admin, ownerIds=[known["lena"]]) == {"C-1001"}
    assert await matching(admin, ownerIds=[known["jane"], known["karina"]]) == set()
    assert await matching(admin, requesterIds=[known["bob"]]) == UK_TICKETS
    assert await matching(admin, requesterIds=[known["alice"]]) == set()  # Alice is the case's primary contact only
    assert await matching(admin, primaryContactIds=[known["alice"]]) == ONBOARDING
    assert await matching(admin, primaryContactIds=[known["alice"], known["piotr"]]) == ONBOARDING | PL_TICKETS
    assert await matching(admin, companyIds=[known["globex"]]) == ONBOARDING
    assert await matching(admin, categoryIds=[known["payroll"]]) == {"T-1001", "T-1003", "T-1004", "T-1009"}
    assert await matching(admin, caseTypeIds=[known["onboarding"]]) == {"C-1001"}
    assert await matching(admin, createdByIds=[known["karina"]]) == PL_TICKETS | {"C-1002"}

    # a contact: the requester, the primary contact, or one of the item's other contacts
    assert await matching(admin, contactIds=[known["alice"]]) == ONBOARDING
    await admin.data(UPDATE, {"ref": "T-1007", "input": {"contactIds": [known["bob"]]}})  # Piotr's, Bob copied
    assert await matching(admin, contactIds=[known["bob"]]) == UK_TICKETS | {"T-1007"}
    assert await matching(admin, contactIds=[known["alice"], known["bob"]]) == ONBOARDING | UK_TICKETS | {"T-1007"}
    assert await matching(admin, requesterIds=[known["bob"]]) == UK_TICKETS

    # every condition holds at once
    assert await matching(admin, categoryIds=[known["payroll"]], requesterIds=[known["piotr"]]) == {"T-1009"}
    assert await matching(admin, categoryIds=[known["payroll"]], statuses=["IN_PROGRESS", "WAITING"],
                          companyIds=[known["acme"]], createdByIds=[known["jane"]]) == {"T-1003", "T-1004"}
    assert await matching(admin, companyIds=[known["globex"]], types=["ACTION"]) == {"A-1001", "A-1002"}
    assert await matching(admin, ownerIds=[known["lena"]], types=["TICKET"]) == set()

    # never more than the viewer sees: another department's people, contacts, company find nothing
    assert await matching(jane, ownerIds=[known["lena"]]) == {"C-1001"}
    assert await matching(jane, categoryIds=[known["payroll"]]) == {"T-1001", "T-1003", "T-1004"}
    assert await matching(jane, contactIds=[known["bob"]]) == UK_TICKETS  # not PL's T-1007
    for conditions in ({"ownerIds": [known["lena"]]}, {"companyIds": [known["globex"]]}, {"requesterIds": [known["bob"]]},
                       {"contactIds": [known["alice"], known["bob"]]}, {"caseTypeIds": [known["onboarding"]]},
                       {"createdByIds": [known["jane"], known["lena"]]}):
        assert await matching(karina, **conditions) == (set() if "contactIds" not in conditions else {"T-1007"}), conditions
    assert await matching(karina, createdByIds=[known["karina"]]) == PL_TICKETS | {"C-1002"}

    # ids as the other lists take them: not a number is refused naming the field; an unknown one finds nothing
    for field in ("ownerIds", "requesterIds", "primaryContactIds", "contactIds", "companyIds", "categoryIds",
                  "caseTypeIds", "createdByIds"):
        assert await refused(admin, **{field: ["abc"]}) == ("VALIDATION", field)
        assert await refused(admin, **{field: ["0"]}) == ("VALIDATION", field)
        assert await matching(admin, **{field: ["424242"]}) == set(), field
        assert await matching(admin, **{field: []}) == await matching(admin), field  # an empty list sets no condition


async def test_resolution_method_action_kind_test_mode_and_left_for_a_person(signed_in):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    every = await matching(admin)
    assert await matching(admin, resolutionMethods=["REJECTED_SPAM", "MERGED"]) == {"T-1006", "T-1011"}
    assert await matching(admin, resolutionMethods=["WITH_CUSTOMER_RESPONSE", "NO_CUSTOMER_RESPONSE"]) == {"T-1005", "T-1010"}
    assert await matching(jane, resolutionMethods=["REJECTED_SPAM", "MERGED"]) == {"T-1006"}
    assert await matching(admin, actionKinds=["PEER_REVIEW"]) == {"A-1002"}
    assert await matching(admin, actionKinds=["MANUAL", "APPROVAL"]) == {"A-1001"}

    assert await matching(admin, testMode=True) == set()
    assert await matching(admin, testMode=False) == every
    await WorkItem.filter(ref__in=["T-1003", "T-1008"]).update(test_mode=True)
    assert await matching(admin, testMode=True) == {"T-1003", "T-1008"}
    assert await matching(admin, testMode=False) == every - {"T-1003", "T-1008"}
    assert await matching(jane, testMode=True) == {"T-1003"}
    assert await matching(admin, testMode=True, statuses=["IN_PROGRESS"], categoryIds=[(await ids())["payroll"]]) == {"T-1003"}

    await WorkItem.filter(ref="A-1001").update(human_only=True)
    assert await matching(admin, humanOnly=True) == {"A-1001"}
    assert await matching(admin, humanOnly=False) == every - {"A-1001"}
    assert await matching(admin, humanOnly=True, actionKinds=["PEER_REVIEW"]) == set()


async def test_created_changed_resolved_and_closed_ranges(signed_in):
    admin = await signed_in("admin@example.com")
    karina = await signed_in("karina@example.com")
    now = datetime.now(timezone.utc)
    days = lambda n: (now - timedelta(days=n)).isoformat()  # noqa: E731
    await WorkItem.filter(ref="T-1002").update(created_at=now - timedelta(days=10), updated_at=now - timedelta(days=9))
    await WorkItem.filter(ref="T-1007").update(created_at=now - timedelta(days=5), updated_at=now - timedelta(days=4))
    await WorkItem.filter(ref="T-1005").update(resolved_at=now - timedelta(days=3))
    await WorkItem.filter(ref="T-1011").update(resolved_at=now - timedelta(days=6), closed_at=now - timedelta(days=6))
    every = await matching(admin)

    assert await matching(admin, createdBefore=days(7)) == {"T-1002"}
    assert await matching(admin, createdAfter=days(7), createdBefore=days(1)) == {"T-1007"}
    assert await matching(admin, createdAfter=days(1)) == every - {"T-1002", "T-1007"}
    # the same moment written in another zone
    assert await matching(admin, createdBefore=(now - timedelta(days=7)).astimezone(timezone(timedelta(hours=-5))).isoformat()) == {"T-1002"}
    assert await matching(admin, updatedBefore=days(8)) == {"T-1002"}
    assert await matching(admin, updatedAfter=days(8), updatedBefore=days(1)) == {"T-1007"}
    # an item never resolved or closed is in no resolved or closed range
    assert await matching(admin, resolvedAfter=days(1)) == {"T-1006", "T-1010"}
    assert await matching(admin, resolvedBefore=days(1)) == {"T-1005", "T-1011"}
    assert await matching(admin, resolvedAfter=days(4), resolvedBefore=days(1)) == {"T-1005"}
    assert await matching(admin, closedAfter=days(1)) == {"T-1006"}
    assert await matching(admin, closedBefore=days(1)) == {"T-1011"}
    assert await matching(admin, closedBefore=days(1), resolvedAfter=days(4)) == set()  # both must hold
    assert await matching(karina, createdBefore=days(7)) == set()  # T-1002 is UK's
    assert await matching(karina, createdBefore=days(1)) == {"T-1007"}

    # a range that holds nothing: equal bounds (strict) find nothing; an "after" past its "before" is refused
    assert await matching(admin, createdAfter=days(2), createdBefore=days(2)) == set()
    for after, before in (("createdAfter", "createdBefore"), ("updatedAfter", "updatedBefore"),
                          ("resolvedAfter", "resolvedBefore"), ("closedAfter", "closedBefore"), ("dueAfter", "dueBefore")):
        assert await refused(admin, **{after: days(1), before: days(2)}) == ("VALIDATION", after)
        assert await matching(admin, **{after: days(2), before: days(1)}) <= every


async def test_custom_data_contains_a_text(signed_in):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    # set in place: an update through the API would start the TO_DO items
    await WorkItem.filter(ref="T-1002").update(custom_data={
        "employeeId": "E-77 London", "hours": 37.5, "urgent": True, "note": "100% done_x", "empty": None,
    })
    await WorkItem.filter(ref="T-1003").update(custom_data={"employeeId": "e-778", "hours": 40})
    await WorkItem.filter(ref="T-1007").update(custom_data={"employeeId": "E-77", "code": "X"})
    every = await matching(admin)

    async def containing(client: HttpClient, *conditions: tuple[str, str], **more: Any) -> set[str]:
        return await matching(client, customDataContains=[{"key": k, "text": t} for k, t in conditions], **more)

    assert await containing(admin, ("employeeId", "e-77")) == {"T-1002", "T-1003", "T-1007"}
    assert await containing(admin, ("employeeId", "LONDON")) == {"T-1002"}
    assert await containing(admin, ("employeeId", " london ")) == {"T-1002"}  # trimmed, as the title's text
    assert await containing(admin, ("hours", "37")) == {"T-1002"}  # a number, as its text
    assert await containing(admin, ("hours", "40")) == {"T-1003"}
    assert await containing(admin, ("urgent", "true")) == set()  # booleans and nulls hold no text
    assert await containing(admin, ("empty", "null")) == set()
    assert await containing(admin, ("note", "%")) == await containing(admin, ("note", "_")) == {"T-1002"}
    assert await containing(admin, ("employeeId", "%")) == await containing(admin, ("employeeId", "_")) == set()
    assert await containing(admin, ("missing", "e")) == set()
    assert await containing(admin, ("employeeId", "  ")) == every  # a blank text sets no condition
    # with one another, with equality and the other filters
    assert await containing(admin, ("employeeId", "e-77"), ("hours", "4")) == {"T-1003"}
    assert await containing(admin, ("employeeId", "e-77"), customData=[{"key": "code", "value": "X"}]) == {"T-1007"}
    assert await containing(admin, ("employeeId", "e-77"), statuses=["IN_PROGRESS"]) == {"T-1003"}
    assert await containing(admin, ("employeeId", "e-77"), statuses=["TO_DO"], testMode=False) == {"T-1002", "T-1007"}
    assert await containing(jane, ("employeeId", "e-77")) == {"T-1002", "T-1003"}  # T-1007 is PL's

    for condition, field in (({"key": "", "text": "a"}, "customDataContains"),
                             ({"key": "k" * 101, "text": "a"}, "customDataContains"),
                             ({"key": "k" * 201, "text": "a"}, "customDataContains.key"),
                             ({"key": "k", "text": "t" * 501}, "customDataContains.text")):
        assert await refused(admin, customDataContains=[condition]) == ("VALIDATION", field), condition


async def test_every_filter_at_once_costs_no_extra_statement(signed_in):
    known = await ids()
    admin = await signed_in("admin@example.com")
    now = datetime.now(timezone.utc)
    everything = {
        "ownerIds": [known["lena"]], "requesterIds": [known["bob"], known["alice"]], "primaryContactIds": [known["alice"]],
        "contactIds": [known["alice"]], "companyIds": [known["globex"]], "caseTypeIds": [known["onboarding"]],
        "createdByIds": [known["lena"]], "createdAfter": (now - timedelta(days=1)).isoformat(),
        "createdBefore": (now + timedelta(days=1)).isoformat(), "updatedAfter": (now - timedelta(days=1)).isoformat(),
        "updatedBefore": (now + timedelta(days=1)).isoformat(), "testMode": False, "humanOnly": False,
        "customDataContains": [{"key": "k", "text": "v"}],
    }
    with recorded_queries() as statements:
        assert await matching(admin) != set()
    plain = len(statements)
    for conditions in (everything, {"resolutionMethods": ["MERGED"], "closedBefore": (now + timedelta(days=1)).isoformat(),
                                    "resolvedAfter": (now - timedelta(days=1)).isoformat(), "actionKinds": ["MANUAL"]}):
        with recorded_queries() as statements:
            assert await matching(admin, **conditions) == set()
        assert len(statements) == plain == 2 + 1, "\n".join(statements)
    with recorded_queries() as statements:
        assert await matching(admin, **{**everything, "customDataContains": [], "requesterIds": []}) == {"C-1001"}
    assert len(statements) == plain, "\n".join(statements)


async def test_a_saved_view_keeps_the_new_conditions(signed_in):
    known = await ids()
    jane = await signed_in("jane@example.com")
    await jane.data(UPDATE, {"ref": "T-1003", "input": {"customData": {"employeeId": "E-77 London"}}})
    moment = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc).isoformat()
    later = datetime(2099, 1, 2, 3, 4, 5, tzinfo=timezone.utc).isoformat()
    conditions = {
        "ownerIds": [known["lena"]], "requesterIds": [known["bob"]], "primaryContactIds": [known["bob"]],
        "contactIds": [known["bob"]], "companyIds": [known["acme"]], "categoryIds": [known["payroll"]],
        "caseTypeIds": [known["onboarding"]], "createdByIds": [known["jane"]],
        "resolutionMethods": ["WITH_CUSTOMER_RESPONSE"], "actionKinds": ["APPROVAL"],
        "createdAfter": moment, "createdBefore": later, "updatedAfter": moment, "updatedBefore": later,
        "resolvedAfter": moment, "resolvedBefore": later, "closedAfter": moment, "closedBefore": later,
        "testMode": False, "humanOnly": False, "customDataContains": [{"key": "employeeId", "text": "london"}],
    }
    view = (await jane.data(SAVE, {"input": {"name": "Everything", "filter": conditions}}))["saveWorkItemView"]
    # read back in the shape workItems(filter:) takes (ids as numbers, as the lists' other ids)
    assert view["filter"] == {k: [int(i) for i in v] if k.endswith("Ids") else v for k, v in conditions.items()}
    assert await matching(jane, **view["filter"]) == set()
    assert {e["node"]["ref"] for e in (await jane.data(VIEW_ITEMS, {"id": view["id"]}))["workItems"]["edges"]} == set()

    # a view that finds something, listed through the view as through the filter
    found = {"categoryIds": [known["payroll"]], "requesterIds": [known["bob"]], "testMode": False, "createdAfter": moment,
             "customDataContains": [{"key": "employeeId", "text": "LONDON"}]}
    view = (await jane.data(SAVE, {"input": {"name": "London payroll", "filter": found}}))["saveWorkItemView"]
    assert view["filter"] == {**found, "categoryIds": [int(known["payroll"])], "requesterIds": [int(known["bob"])]}
    listed = {e["node"]["ref"] for e in (await jane.data(VIEW_ITEMS, {"id": view["id"]}))["workItems"]["edges"]}
    assert listed == await matching(jane, **found) == {"T-1003"}

    # a view stored before these conditions existed lists as it did
    old = await SavedView.create(user_id=int(known["jane"]), name="Old", criteria={"statuses": ["WAITING"], "dueAfter": moment}, order=[])
    listed = {e["node"]["ref"] for e in (await jane.data(VIEW_ITEMS, {"id": str(old.id)}))["workItems"]["edges"]}
    assert listed == {"T-1004"}

    # a range that holds nothing is not saved
    error = await jane.error(SAVE, {"input": {"name": "Backwards", "filter": {"closedAfter": later, "closedBefore": moment}}})
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("VALIDATION", "closedAfter")
