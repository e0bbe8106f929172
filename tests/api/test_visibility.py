"""Who sees which work items: departments, public departments, portal contacts, API keys, admins.

An item outside the viewer's scope must answer exactly like an item that does not exist, for
reads and writes alike, and a rejected write must leave no trace.
"""

from __future__ import annotations

from models.contact import Contact
from models.org import ContactGroup, Department, UserGroup
from models.work_item import WorkItem
from server.domain import api_keys
from tests.support.client import HttpClient
from tests.support.footprint import footprint

ITEM = "query($ref: String!) { workItem(ref: $ref) { ref title department { name } } }"
LIST = "{ workItems(first: 100) { edges { node { ref department { name } } } } }"
UPDATE = 'mutation($ref: String!) { updateWorkItem(ref: $ref, input: {title: "changed"}) { ref } }'
SUBMIT = "mutation($ref: String!) { submitWorkItem(ref: $ref) { ref } }"
CREATE = "mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { ref department { name } } }"

UK_REFS = {"T-1001", "T-1002", "T-1003", "T-1004", "T-1005", "T-1006", "C-1001", "A-1001", "A-1002"}
PL_REFS = {"T-1007", "T-1008", "T-1009", "C-1002", "T-1010", "T-1011"}


def _without_ref(error: dict, ref: str) -> dict:
    return {**error, "message": error["message"].replace(ref, "<ref>")}


async def _refs(client: HttpClient) -> set[str]:
    return {e["node"]["ref"] for e in (await client.data(LIST))["workItems"]["edges"]}


async def _department_id(name: str) -> str:
    return str((await Department.get(name=name)).id)


async def test_item_of_another_department_answers_like_a_missing_one(signed_in):
    jane = await signed_in("jane@example.com")
    for query, variables in ((ITEM, {}), (UPDATE, {}), (SUBMIT, {})):
        hidden = await jane.post(query, {**variables, "ref": "T-1007"})
        missing = await jane.post(query, {**variables, "ref": "T-9999"})
        assert hidden["data"] is None and missing["data"] is None
        assert [_without_ref(e, "T-1007") for e in hidden["errors"]] == [_without_ref(e, "T-9999") for e in missing["errors"]]
        assert hidden["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "ref"}
    karina = await signed_in("karina@example.com")
    assert (await karina.data(ITEM, {"ref": "T-1007"}))["workItem"]["department"]["name"] == "PL Operations"
    admin = await signed_in("admin@example.com")
    assert (await admin.data(ITEM, {"ref": "t-1007 "}))["workItem"]["ref"] == "T-1007"


async def test_lists_hold_only_the_viewers_departments(signed_in):
    assert await _refs(await signed_in("jane@example.com")) == UK_REFS
    assert await _refs(await signed_in("lena@example.com")) == UK_REFS
    assert await _refs(await signed_in("karina@example.com")) == PL_REFS
    assert await _refs(await signed_in("admin@example.com")) == UK_REFS | PL_REFS


async def test_rejected_writes_outside_scope_change_nothing(signed_in):
    jane = await signed_in("jane@example.com")
    before = await footprint()
    error = await jane.error(CREATE, {"input": {"departmentId": await _department_id("PL Operations"), "title": "x"}})
    # a department she may not see answers like one that does not exist
    assert error["extensions"]["code"] == "VALIDATION"
    assert error["extensions"]["field"] == "departmentId"
    await jane.error(UPDATE, {"ref": "T-1007"})
    await jane.error(SUBMIT, {"ref": "C-1002"})
    assert await footprint() == before


async def test_public_department_shows_only_the_items_one_created(signed_in):
    uk_staff = await UserGroup.get(name="UK staff")
    await uk_staff.public_departments.add(await Department.get(name="PL Operations"))
    jane = await signed_in("jane@example.com")
    viewer = (await jane.data("{ viewer { departments { name } publicDepartments { name } } }"))["viewer"]
    assert viewer == {"departments": [{"name": "UK Operations"}], "publicDepartments": [{"name": "PL Operations"}]}

    created = (await jane.data(CREATE, {"input": {"departmentId": await _department_id("PL Operations"), "title": "Move my invoice"}}))
    ref = created["createWorkItem"]["ref"]
    assert created["createWorkItem"]["department"]["name"] == "PL Operations"
    assert (await jane.data(ITEM, {"ref": ref}))["workItem"]["title"] == "Move my invoice"
    assert (await jane.error(ITEM, {"ref": "T-1007"}))["extensions"]["code"] == "NOT_FOUND"
    assert await _refs(jane) == UK_REFS | {ref}
    # lena is in the same group but did not create it
    lena = await signed_in("lena@example.com")
    assert (await lena.error(ITEM, {"ref": ref}))["extensions"]["code"] == "NOT_FOUND"
    # PL staff see it like any item of their department
    assert ref in await _refs(await signed_in("karina@example.com"))


PORTAL = "{ portalTickets(first: 100) { edges { node { ref } } } }"


async def _portal_refs(client: HttpClient) -> set[str]:
    return {e["node"]["ref"] for e in (await client.data(PORTAL))["portalTickets"]["edges"]}


async def test_portal_contact_sees_only_their_own_tickets_on_the_portal(signed_in, client: HttpClient):
    bob = await signed_in("bob@client.example")
    bob_id = (await Contact.get(email="bob@client.example")).id
    own_tickets = {"T-1001", "T-1002", "T-1003", "T-1004", "T-1005", "T-1006"}
    submitted = {i.ref for i in await WorkItem.filter(ref__in=own_tickets, requester_id=bob_id) if i.status.value != "DRAFT"}
    assert submitted and await _portal_refs(bob) == submitted
    # the employees' API answers a contact like an empty organisation
    assert await _refs(bob) == set()
    for ref in ("T-1002", "C-1001", "T-1007"):
        assert (await bob.error(ITEM, {"ref": ref}))["extensions"]["code"] == "NOT_FOUND"
    # piotr's tickets belong to Bob's company too, but Bob's contact group does not see the company's
    await ContactGroup.filter(name="Customers").update(sees_company_items=True)
    company_wide = await client.as_user("bob@client.example")
    company = {i.ref for i in await WorkItem.filter(ref__in=["T-1007", "T-1008", "T-1009", "T-1010", "T-1011"]) if i.status.value != "DRAFT"}
    assert await _portal_refs(company_wide) == submitted | company
    assert await _refs(company_wide) == set()
    await company_wide.aclose()


async def test_portal_contact_cannot_change_or_create_items_here(signed_in):
    bob = await signed_in("bob@client.example")
    before = await footprint()
    assert (await bob.error(UPDATE, {"ref": "T-1002"}))["extensions"]["code"] == "NOT_FOUND"
    assert (await bob.error(SUBMIT, {"ref": "T-1001"}))["extensions"]["code"] == "NOT_FOUND"
    error = await bob.error(CREATE, {"input": {"departmentId": await _department_id("UK Operations"), "title": "x"}})
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await footprint() == before


async def test_api_key_sees_and_writes_only_its_departments(client: HttpClient, demo):
    pl = await Department.get(name="PL Operations")
    read_only = (await api_keys.create_api_key("ERP reader", [pl.id], can_write=False, created_by=None)).token
    read_write = (await api_keys.create_api_key("ERP writer", [pl.id], can_write=True, created_by=None)).token

    assert await _refs(HttpClient(client.base_url, read_only)) == PL_REFS
    assert (await client.error(ITEM, {"ref": "T-1002"}, token=read_only))["extensions"]["code"] == "NOT_FOUND"

    before = await footprint()
    assert (await client.error(UPDATE, {"ref": "T-1007"}, token=read_only))["extensions"]["code"] == "FORBIDDEN"
    create_pl = {"input": {"departmentId": str(pl.id), "title": "From the ERP"}}
    assert (await client.error(CREATE, create_pl, token=read_only))["extensions"]["code"] == "FORBIDDEN"
    create_uk = {"input": {"departmentId": await _department_id("UK Operations"), "title": "x"}}
    # a department outside the key's scope answers like one that does not exist
    assert (await client.error(CREATE, create_uk, token=read_write))["extensions"]["code"] == "VALIDATION"
    assert (await client.error(UPDATE, {"ref": "T-1002"}, token=read_write))["extensions"]["code"] == "NOT_FOUND"
    assert await footprint() == before

    assert (await client.data(UPDATE, {"ref": "T-1007"}, token=read_write))["updateWorkItem"]["ref"] == "T-1007"
    created = await client.data(CREATE, create_pl, token=read_write)
    assert created["createWorkItem"]["department"]["name"] == "PL Operations"


async def test_many_aliases_reveal_nothing_more(signed_in):
    jane = await signed_in("jane@example.com")
    query = "{ " + " ".join(f'a{i}: workItem(ref: "T-{1007 + i}") {{ ref title }}' for i in range(5)) + " }"
    result = await jane.post(query)
    assert result["data"] is None
    assert {e["extensions"]["code"] for e in result["errors"]} == {"NOT_FOUND"}


async def test_reference_with_a_forged_type_is_not_found(signed_in):
    jane = await signed_in("jane@example.com")
    # T-1002 exists; the same number with another type letter is another (missing) item
    for forged in ("A-1003", "C-1003", "T1002", "1002"):
        assert (await jane.error(ITEM, {"ref": forged}))["extensions"]["code"] == "NOT_FOUND", forged


async def test_parent_is_shown_only_when_visible(signed_in):
    from models.work_item import WorkItem

    uk_case = await WorkItem.get(ref="C-1001")
    await WorkItem.filter(ref="C-1002").update(parent_id=uk_case.id)  # a PL sub-case of a UK case
    query = '{ workItem(ref: "C-1002") { parent { ref } } }'
    assert (await (await signed_in("karina@example.com")).data(query))["workItem"]["parent"] is None
    assert (await (await signed_in("admin@example.com")).data(query))["workItem"]["parent"] == {"ref": "C-1001"}
