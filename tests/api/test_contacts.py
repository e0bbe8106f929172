"""Contacts (SPEC §1, §7; seed 004): look-up, changes by employees and read-write API keys, the
company-scope rule, deleting several at once, test-mode contacts, the audit log."""

from __future__ import annotations

from models.audit import AuditEntry
from models.contact import Contact
from models.org import Company, Department
from models.work_item import WorkItem
from tests.support.client import HttpClient

FIELDS = "id name email companyId company { name } language timeZone office phone tags portalEnabled testMode createdAt"
LIST = f"""query($search: String, $companyId: ID, $world: Boolean, $tag: String, $testMode: Boolean! = false, $first: Int! = 20, $after: String) {{
  contacts(search: $search, companyId: $companyId, world: $world, tag: $tag, testMode: $testMode, first: $first, after: $after) {{
    edges {{ cursor node {{ {FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
ONE = f"query($id: ID!) {{ contact(id: $id) {{ {FIELDS} }} }}"
CREATE = f"mutation($input: ContactInput!, $testMode: Boolean! = false) {{ createContact(input: $input, testMode: $testMode) {{ {FIELDS} }} }}"
UPDATE = f"mutation($id: ID!, $input: ContactInput!) {{ updateContact(id: $id, input: $input) {{ {FIELDS} }} }}"
DELETE = "mutation($ids: [ID!]!) { deleteContacts(ids: $ids) { deletedIds kept { id workItemRefs } } }"


def _emails(data: dict) -> list[str]:
    return [e["node"]["email"] for e in data["contacts"]["edges"]]


async def _company_id(name: str) -> str:
    return str((await Company.get(name=name)).id)


async def test_agent_looks_up_contacts_by_prefix_company_and_world(signed_in):
    agent = await signed_in("karina@example.com")
    data = await agent.data(LIST, {"search": "ALI"})
    assert _emails(data) == ["alice@globex.example"]
    assert data["contacts"]["edges"][0]["node"]["company"] == {"name": "Globex"}
    data = await agent.data(LIST, {"search": "bob@CLIENT"})
    assert _emails(data) == ["bob@client.example"]
    acme = await agent.data(LIST, {"companyId": await _company_id("Acme Corp")})
    assert set(_emails(acme)) >= {"bob@client.example", "piotr@client.example"}
    assert "alice@globex.example" not in _emails(acme)
    world = await agent.data(LIST, {"world": True})
    assert all(e["node"]["companyId"] is None for e in world["contacts"]["edges"])


async def test_pages_continue_after_the_cursor(signed_in):
    admin = await signed_in("admin@example.com")
    first = await admin.data(LIST, {"first": 1})
    assert first["contacts"]["pageInfo"]["hasNextPage"]
    rest = await admin.data(LIST, {"first": 100, "after": first["contacts"]["pageInfo"]["endCursor"]})
    seen = _emails(first) + _emails(rest)
    assert len(seen) == len(set(seen)) == await Contact.filter(test_mode=False).count()


async def test_portal_contact_sees_only_itself_and_changes_nothing(signed_in):
    admin = await signed_in("admin@example.com")
    bob = await signed_in("bob@client.example")
    assert _emails(await bob.data(LIST)) == ["bob@client.example"]
    alice = await Contact.get(email="alice@globex.example")
    error = await bob.error(ONE, {"id": str(alice.id)})
    assert error["extensions"]["code"] == "NOT_FOUND"
    error = await bob.error(CREATE, {"input": {"email": "x@y.example"}})
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert not await Contact.exists(email="x@y.example")
    assert (await admin.data(ONE, {"id": str(alice.id)}))["contact"]["email"] == "alice@globex.example"


async def test_create_normalises_email_and_refuses_duplicates(signed_in):
    agent = await signed_in("karina@example.com")
    created = (await agent.data(CREATE, {"input": {"email": "  Nina <Nina@Example.ORG>", "name": "Nina", "tags": ["vip", "vip", "payroll"],
                                                      "timeZone": "Europe/Warsaw", "office": "Kraków"}}))["createContact"]
    assert created["email"] == "nina@example.org"
    assert created["companyId"] is None and created["tags"] == ["payroll", "vip"] and created["timeZone"] == "Europe/Warsaw"
    error = await agent.error(CREATE, {"input": {"email": "NINA@example.org"}})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "email"
    error = await agent.error(CREATE, {"input": {"name": "No email"}})
    assert error["extensions"]["field"] == "email"
    error = await agent.error(CREATE, {"input": {"email": "not an address"}})
    assert error["extensions"]["field"] == "email"
    assert _emails(await agent.data(LIST, {"tag": "vip"})) == ["nina@example.org"]
    entry = await AuditEntry.get(action="contact.created", target_id=created["id"])
    assert entry.changes["email"] == {"to": "nina@example.org"}


async def test_update_changes_fields_and_tags_audited(signed_in):
    agent = await signed_in("karina@example.com")
    created = (await agent.data(CREATE, {"input": {"email": "ola@example.org", "tags": ["a"]}}))["createContact"]
    updated = (await agent.data(UPDATE, {"id": created["id"], "input": {"name": "Ola", "phone": "+48 1", "tags": ["b"],
                                                                          "companyId": await _company_id("Acme Corp")}}))["updateContact"]
    assert updated["name"] == "Ola" and updated["phone"] == "+48 1" and updated["tags"] == ["b"]
    assert updated["company"] == {"name": "Acme Corp"}
    entry = await AuditEntry.get(action="contact.updated", target_id=created["id"])
    assert entry.changes["name"] == {"from": "", "to": "Ola"}
    assert entry.changes["tags"] == {"from": ["a"], "to": ["b"]}
    error = await agent.error(UPDATE, {"id": created["id"], "input": {"email": "bob@client.example"}})
    assert error["extensions"]["field"] == "email"


async def test_world_contact_moves_to_a_company_only_when_its_items_allow(signed_in):
    agent = await signed_in("karina@example.com")
    created = (await agent.data(CREATE, {"input": {"email": "wanda@example.org"}}))["createContact"]
    globex_item = await WorkItem.filter(company__name="Globex").order_by("id").first()
    await WorkItem.filter(id=globex_item.id).update(requester_id=int(created["id"]))
    error = await agent.error(UPDATE, {"id": created["id"], "input": {"companyId": await _company_id("Acme Corp")}})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "companyId"
    assert globex_item.ref in error["message"]
    assert (await Contact.get(id=int(created["id"]))).company_id is None
    moved = await agent.data(UPDATE, {"id": created["id"], "input": {"companyId": await _company_id("Globex")}})
    assert moved["updateContact"]["company"] == {"name": "Globex"}


async def test_delete_several_keeps_those_on_work_items(signed_in):
    agent = await signed_in("karina@example.com")
    free = (await agent.data(CREATE, {"input": {"email": "free@example.org"}}))["createContact"]
    alice = await Contact.get(email="alice@globex.example")
    result = (await agent.data(DELETE, {"ids": [free["id"], str(alice.id)]}))["deleteContacts"]
    assert result["deletedIds"] == [free["id"]]
    assert result["kept"][0]["id"] == str(alice.id) and result["kept"][0]["workItemRefs"]
    assert not await Contact.exists(id=int(free["id"])) and await Contact.exists(id=alice.id)
    assert await AuditEntry.exists(action="contact.deleted", target_id=free["id"])


async def test_test_mode_contacts_are_listed_only_in_test_mode(signed_in):
    agent = await signed_in("karina@example.com")
    await agent.data(CREATE, {"input": {"email": "tess@example.org"}, "testMode": True})
    assert _emails(await agent.data(LIST, {"search": "tess"})) == []
    listed = await agent.data(LIST, {"search": "tess", "testMode": True})
    assert _emails(listed) == ["tess@example.org"] and listed["contacts"]["edges"][0]["node"]["testMode"]


async def test_api_keys_read_and_write_only_when_read_write(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    uk = await Department.get(name="UK Operations")
    create_key = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token } }"
    tokens = {}
    for can_write in (False, True):
        data = await admin.data(create_key, {"input": {"name": f"k{can_write}", "departmentIds": [str(uk.id)], "canWrite": can_write}})
        tokens[can_write] = data["createApiKey"]["token"]
    assert "alice@globex.example" in _emails(await client.data(LIST, {"first": 100}, token=tokens[False]))
    error = await client.error(CREATE, {"input": {"email": "ro@example.org"}}, token=tokens[False])
    assert error["extensions"]["code"] == "FORBIDDEN"
    created = await client.data(CREATE, {"input": {"email": "rw@example.org"}}, token=tokens[True])
    assert created["createContact"]["email"] == "rw@example.org"
