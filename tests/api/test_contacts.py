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


# ------------------------------------------------------------------------------------- activity

ACTIVITY = """query($id: ID!, $first: Int! = 20, $after: String) { contact(id: $id) { email
  activity(first: $first, after: $after) { edges { cursor node { ref requester { email } } } pageInfo { hasNextPage endCursor } } } }"""


async def _items_of(contact: Contact, department: str | None = None) -> list[str]:
    """The contact's items newest first, from the stored facts (not the visibility layer)."""
    items = await WorkItem.all().prefetch_related("contacts", "department").order_by("-id")
    return [i.ref for i in items if (department is None or i.department.name == department)
            and contact.id in (i.requester_id, i.primary_contact_id, *(c.id for c in i.contacts))]


def _refs(data: dict) -> list[str]:
    return [e["node"]["ref"] for e in data["contact"]["activity"]["edges"]]


async def test_activity_holds_the_contacts_items_the_viewer_may_see_newest_first(signed_in):
    admin, jane, karina = await signed_in("admin@example.com"), await signed_in("jane@example.com"), await signed_in("karina@example.com")
    bob = await Contact.get(email="bob@client.example")
    pl_item = await WorkItem.filter(department__name="PL Operations", requester__email="piotr@client.example").order_by("id").first()
    await pl_item.contacts.add(bob)  # one of the item's other contacts
    everything = await _items_of(bob)
    assert pl_item.ref in everything and len(everything) > 3
    assert _refs(await admin.data(ACTIVITY, {"id": str(bob.id)})) == everything
    # an agent sees the items of their departments only, and nothing hints at the others
    uk = await jane.data(ACTIVITY, {"id": str(bob.id)})
    assert _refs(uk) == await _items_of(bob, "UK Operations") and pl_item.ref not in str(uk)
    assert _refs(await karina.data(ACTIVITY, {"id": str(bob.id)})) == [pl_item.ref]
    # pages continue after the cursor, without repeats
    seen, after = [], None
    while True:
        page = (await admin.data(ACTIVITY, {"id": str(bob.id), "first": 2, "after": after}))["contact"]["activity"]
        seen += [e["node"]["ref"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == everything
    error = await admin.error(ACTIVITY, {"id": str(bob.id), "after": "bm90IGEgY3Vyc29y"})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "after"
    # a portal contact reads no work item through the employees' API, its own neither
    assert _refs(await (await signed_in("bob@client.example")).data(ACTIVITY, {"id": str(bob.id)})) == []


async def test_activity_of_a_page_of_contacts_costs_a_fixed_number_of_queries(signed_in):
    from tests.support.queries import recorded_queries

    admin = await signed_in("admin@example.com")
    document = """query($first: Int!) { contacts(first: $first) { edges { node { email
      activity(first: 3) { edges { node { ref requester { email } department { name } } } pageInfo { hasNextPage } } } } } }"""
    counts, pages = [], {}
    for first in (2, 3):  # one contact's page alone is one query less: no need to tell whose items are whose
        with recorded_queries() as statements:
            data = await admin.data(document, {"first": first})
        counts.append(len(statements))
        pages = {e["node"]["email"]: e["node"]["activity"] for e in data["contacts"]["edges"]}
    assert counts[0] == counts[1], counts
    assert len(pages) == 3
    for email, page in pages.items():
        expected = await _items_of(await Contact.get(email=email))
        assert [e["node"]["ref"] for e in page["edges"]] == expected[:3], email
        assert page["pageInfo"]["hasNextPage"] == (len(expected) > 3)
    assert any(p["edges"] for p in pages.values())


# ---------------------------------------------------------------------------- several at once

BULK = f"mutation($ids: [ID!]!, $input: BulkContactInput!) {{ bulkUpdateContacts(ids: $ids, input: $input) {{ {FIELDS} }} }}"
ADD_TAGS = "mutation($ids: [ID!]!, $tags: [String!]!) { addContactTags(ids: $ids, tags: $tags) { id tags } }"
REMOVE_TAGS = "mutation($ids: [ID!]!, $tags: [String!]!) { removeContactTags(ids: $ids, tags: $tags) { id tags } }"


async def test_bulk_edit_sets_the_fields_on_every_contact_audited(signed_in):
    agent = await signed_in("karina@example.com")
    ids = [(await agent.data(CREATE, {"input": {"email": f"b{i}@example.org", "office": "Leeds"}}))["createContact"]["id"] for i in range(2)]
    changed = (await agent.data(BULK, {"ids": ids, "input": {"timeZone": "Europe/Warsaw", "office": "Kraków", "language": "pl",
                                                              "companyId": await _company_id("Acme Corp")}}))["bulkUpdateContacts"]
    assert [c["id"] for c in changed] == ids
    assert {(c["timeZone"], c["office"], c["language"], c["company"]["name"], c["phone"]) for c in changed} == {
        ("Europe/Warsaw", "Kraków", "pl", "Acme Corp", None)}
    entries = await AuditEntry.filter(action="contact.updated", target_id__in=ids)
    assert len(entries) == 2 and all(e.changes["office"] == {"from": "Leeds", "to": "Kraków"} for e in entries)
    # a field left out is left alone; null company: back to World
    changed = (await agent.data(BULK, {"ids": ids, "input": {"companyId": None}}))["bulkUpdateContacts"]
    assert {(c["companyId"], c["office"]) for c in changed} == {(None, "Kraków")}


async def test_bulk_edit_is_all_or_nothing_and_names_the_contact(signed_in):
    agent = await signed_in("karina@example.com")
    free = (await agent.data(CREATE, {"input": {"email": "free@example.org"}}))["createContact"]
    wanda = (await agent.data(CREATE, {"input": {"email": "wanda@example.org"}}))["createContact"]
    globex_item = await WorkItem.filter(company__name="Globex").order_by("id").first()
    await WorkItem.filter(id=globex_item.id).update(requester_id=int(wanda["id"]))
    audited = await AuditEntry.filter(action="contact.updated").count()
    error = await agent.error(BULK, {"ids": [free["id"], wanda["id"]], "input": {"companyId": await _company_id("Acme Corp"), "office": "Leeds"}})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "companyId"
    assert f"contact {wanda['id']} (wanda@example.org)" in error["message"] and globex_item.ref in error["message"]
    assert free["id"] not in error["message"]
    assert [(c.company_id, c.office) for c in await Contact.filter(id__in=[free["id"], wanda["id"]])] == [(None, None)] * 2
    assert await AuditEntry.filter(action="contact.updated").count() == audited
    # the list is bounded, and every contact must exist
    error = await agent.error(BULK, {"ids": [str(i) for i in range(1, 102)], "input": {"office": "x"}})
    assert error["extensions"] == {"code": "VALIDATION", "field": "ids"} or error["extensions"]["field"] == "ids"
    error = await agent.error(BULK, {"ids": [free["id"], "999999"], "input": {"office": "x"}})
    assert error["extensions"]["code"] == "NOT_FOUND" and "999999" in error["message"]
    assert (await Contact.get(id=int(free["id"]))).office is None
    error = await agent.error(BULK, {"ids": [free["id"]], "input": {"timeZone": " "}})
    assert error["extensions"]["field"] == "timeZone"
    error = await (await signed_in("bob@client.example")).error(BULK, {"ids": [free["id"]], "input": {"office": "x"}})
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_tags_are_added_to_and_removed_from_several_contacts(signed_in):
    agent = await signed_in("karina@example.com")
    a = (await agent.data(CREATE, {"input": {"email": "a@example.org", "tags": ["vip"]}}))["createContact"]
    b = (await agent.data(CREATE, {"input": {"email": "b@example.org"}}))["createContact"]
    added = (await agent.data(ADD_TAGS, {"ids": [a["id"], b["id"]], "tags": [" payroll ", "vip"]}))["addContactTags"]
    assert added == [{"id": a["id"], "tags": ["payroll", "vip"]}, {"id": b["id"], "tags": ["payroll", "vip"]}]
    assert set(_emails(await agent.data(LIST, {"tag": "payroll"}))) == {"a@example.org", "b@example.org"}
    entry = await AuditEntry.filter(action="contact.updated", target_id=a["id"]).order_by("-id").first()
    assert entry.changes == {"tags": {"from": ["vip"], "to": ["payroll", "vip"]}}
    removed = (await agent.data(REMOVE_TAGS, {"ids": [a["id"]], "tags": ["vip"]}))["removeContactTags"]
    assert removed == [{"id": a["id"], "tags": ["payroll"]}]
    # removing what a contact does not have changes (and audits) nothing
    audited = await AuditEntry.filter(action="contact.updated").count()
    assert (await agent.data(REMOVE_TAGS, {"ids": [a["id"]], "tags": ["vip"]}))["removeContactTags"][0]["tags"] == ["payroll"]
    assert await AuditEntry.filter(action="contact.updated").count() == audited
    # bounded: a tag's length, tags per call, tags per contact
    error = await agent.error(ADD_TAGS, {"ids": [a["id"]], "tags": ["x" * 101]})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"]["field"] == "tags"
    error = await agent.error(ADD_TAGS, {"ids": [a["id"]], "tags": [f"t{i}" for i in range(21)]})
    assert error["extensions"]["field"] == "tags"
    for start in (0, 20):
        await agent.data(ADD_TAGS, {"ids": [b["id"]], "tags": [f"t{i}" for i in range(start, start + 20)]})
    error = await agent.error(ADD_TAGS, {"ids": [a["id"], b["id"]], "tags": [f"u{i}" for i in range(9)]})
    assert error["extensions"]["field"] == "tags" and f"contact {b['id']}" in error["message"]
    assert (await agent.data(ONE, {"id": a["id"]}))["contact"]["tags"] == ["payroll"]  # all or nothing
    error = await agent.error(UPDATE, {"id": a["id"], "input": {"tags": [f"v{i}" for i in range(51)]}})
    assert error["extensions"]["field"] == "tags"


# ------------------------------------------------------------------------------------ test mode

ITEM = "mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { ref requester { email } } }"
EDIT = "mutation($ref: String!, $input: WorkItemFieldsInput!) { updateWorkItem(ref: $ref, input: $input) { ref } }"


async def test_a_test_mode_contact_is_never_on_a_normal_item(signed_in):
    agent = await signed_in("karina@example.com")
    tess = (await agent.data(CREATE, {"input": {"email": "tess@example.org"}, "testMode": True}))["createContact"]
    pl = str((await Department.get(name="PL Operations")).id)
    missing = await agent.error(ITEM, {"input": {"title": "x", "departmentId": pl, "requesterId": "999999"}})
    error = await agent.error(ITEM, {"input": {"title": "x", "departmentId": pl, "requesterId": tess["id"]}})
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("VALIDATION", "requesterId")
    assert repr(error).replace(f"contact {tess['id']} ", "contact N ") == repr(missing).replace("contact 999999 ", "contact N ")
    ref = (await agent.data(ITEM, {"input": {"title": "x", "departmentId": pl}}))["createWorkItem"]["ref"]
    for field in ("primaryContactId", "requesterId"):
        assert (await agent.error(EDIT, {"ref": ref, "input": {field: tess["id"]}}))["extensions"]["field"] == field
    assert (await agent.error(EDIT, {"ref": ref, "input": {"contactIds": [tess["id"]]}}))["extensions"]["field"] == "contactIds"
    send = 'mutation($ref: String!, $c: ID!) { sendEmail(ref: $ref, input: {to: [{contactId: $c}], subject: "Hi"}) { workItem { ref } } }'
    error = await agent.error(send, {"ref": ref, "c": tess["id"]})
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("VALIDATION", "to")
    assert not await WorkItem.filter(requester_id=int(tess["id"])).exists()
    assert not await WorkItem.filter(contacts__id=int(tess["id"])).exists()
    # the test-mode contact is found by id, and listed only in test mode
    assert (await agent.data(ONE, {"id": tess["id"]}))["contact"]["testMode"] is True
    assert _emails(await agent.data(LIST, {"search": "tess"})) == []
