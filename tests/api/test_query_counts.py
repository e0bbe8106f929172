"""SQL statements per screen are pinned: a relation resolved per row (N+1) fails here."""

from __future__ import annotations

from tests.support.queries import recorded_queries

LIST = """{ workItems(first: 100) { edges { node {
  ref title status priority dueAt department { name } team { name } queue { name }
  assignee { name } owner { name } requester { email } primaryContact { email } company { name } category { name }
} } } }"""


async def test_a_page_of_work_items_costs_a_fixed_number_of_queries(signed_in):
    admin = await signed_in("admin@example.com")
    with recorded_queries() as statements:
        data = await admin.data(LIST)
    assert len(data["workItems"]["edges"]) == 15
    # viewer (user + scope), the page, then one batch per related kind
    # (department, team, queue, users, contacts, company, category)
    assert len(statements) == 2 + 1 + 7, "\n".join(statements)


FRAGMENTS = """fragment People on WorkItem { assignee { name } boss: owner { name } }
{ workItems(first: 100) { edges { node {
  ref title status priority dueAt ...People
  ... on WorkItem { department { name } team { name } queue { name } }
  requester { email } primaryContact { email } company { name } category { name } alsoCategory: category { name }
} } } }"""


async def test_relations_asked_through_fragments_and_aliases_load_with_the_page(signed_in):
    admin = await signed_in("admin@example.com")
    plain = (await admin.data(LIST))["workItems"]["edges"]
    with recorded_queries() as statements:
        data = await admin.data(FRAGMENTS)
    assert len(statements) == 2 + 1 + 7, "\n".join(statements)
    edges = data["workItems"]["edges"]
    assert [e["node"]["ref"] for e in edges] == [e["node"]["ref"] for e in plain]
    for got, want in zip((e["node"] for e in edges), (e["node"] for e in plain)):
        assert got["boss"] == want["owner"] and got["alsoCategory"] == got["category"] == want["category"]
        for name in ("assignee", "department", "team", "queue", "requester", "primaryContact", "company"):
            assert got[name] == want[name], name
    assert any(e["node"]["owner"] for e in plain) and any(e["node"]["assignee"] for e in plain)


async def test_a_page_without_relations_loads_none(signed_in):
    admin = await signed_in("admin@example.com")
    with recorded_queries() as statements:
        data = await admin.data("{ workItems(first: 100) { edges { node { ref title status } } } }")
    assert len(data["workItems"]["edges"]) == 15
    assert len(statements) == 2 + 1, "\n".join(statements)


async def test_validation_is_cached_across_requests(signed_in):
    from strawberry.extensions.validation_cache import _get_validate_cache

    from server.schema import VALIDATION_CACHE_SIZE

    cache = _get_validate_cache(VALIDATION_CACHE_SIZE)
    jane = await signed_in("jane@example.com")
    query = '{ workItem(ref: "T-1002") { ref } }'
    await jane.data(query)
    hits = cache.cache_info().hits
    for _ in range(3):
        await jane.data(query)
    assert cache.cache_info().hits == hits + 3


SCREEN = """query($ref: String!) { workItem(ref: $ref) {
  ref type title description status waitType priority dueAt overdue slaPause { label } version customData
  department { name } team { name } queue { name } assignee { name } owner { name } company { name }
  primaryContact { email } requester { email } contacts { email } category { name } caseType { name }
  parent { ref } actions { ref status title assignee { name } } subCases { ref status }
  linkedItems { ref title restricted team { name } workItem { status } }
  timeline(first: 50) { kindsShown kindsTotal edges { node { kind body workItemRef createdAt actor { kind name } } } }
} }"""


async def test_the_work_item_screen_costs_a_fixed_number_of_queries(signed_in):
    from models.contact import Contact
    from models.org import User
    from server.domain import lifecycle
    from server.domain.viewer import user_viewer

    lena = await signed_in("lena@example.com")
    as_lena = await user_viewer(await User.get(email="lena@example.com"))
    for i in range(50):
        await lifecycle.add_note(as_lena, "C-1001", None, f"Progress note {i}")
    await lena.data('mutation { updateWorkItem(ref: "C-1001", input: {contactIds: [%s]}) { ref } }'
                    % (await Contact.get(email="alice@globex.example")).id)
    for other in ("T-1002", "T-1003", "T-1004"):
        await lena.data('mutation($o: String!) { linkWorkItems(ref: "C-1001", otherRef: $o) { notices } }', {"o": other})

    with recorded_queries() as statements:
        data = await lena.data(SCREEN, {"ref": "C-1001"})
    item = data["workItem"]
    assert len(item["timeline"]["edges"]) == 50 and len(item["actions"]) == 2 and item["contacts"]
    assert len(item["linkedItems"]) == 3
    # viewer 2; item 1; one batch per relation kind; children 1; contacts 1; case type 1;
    # links 1, the linked items 1; timeline: related items 2 (the linked group: the actions, then
    # nothing below them), page 1, kind counts 1; recently accessed items 2 (the upsert of this
    # opening, the trim to the last 50)
    assert len(statements) == 22, "\n".join(statements)


CASES_WITH_ACTIONS = """{ workItems(first: 100, filter: {types: [CASE]}) { edges { node {
  ref actions { ref status assignee { name } department { name } queue { name } } subCases { ref owner { name } }
} } } }"""


async def test_a_page_of_cases_with_their_actions_costs_a_fixed_number_of_queries(signed_in):
    from models.org import User
    from models.work_item import WorkItem

    jane, lena = await User.get(email="jane@example.com"), await User.get(email="lena@example.com")
    actions = await WorkItem.filter(type="ACTION").order_by("id")
    for n, action in enumerate(actions):  # people on the actions, so users load too
        await WorkItem.filter(id=action.id).update(assignee_id=(jane, lena)[n % 2].id)
    admin = await signed_in("admin@example.com")
    with recorded_queries() as statements:
        data = await admin.data(CASES_WITH_ACTIONS)
    cases = [edge["node"] for edge in data["workItems"]["edges"]]
    actions = [action for case in cases for action in case["actions"]]
    assert len(cases) >= 2 and len(actions) >= 2
    assert await WorkItem.filter(type="ACTION").count() == len(actions)
    assert all(action["department"]["name"] and action["queue"]["name"] for action in actions)
    assert {action["assignee"]["name"] for action in actions} == {jane.name, lena.name}
    # viewer (user + scope), the page, the children of every case at once, then one batch per
    # kind the actions and sub-cases ask for (users, department, queue)
    assert len(statements) == 2 + 1 + 1 + 3, "\n".join(statements)


NOTE = "mutation($ref: String!, $body: String!) { addNote(ref: $ref, input: {body: $body}) { workItem { status } } }"
FOLLOW = "mutation($ref: String!) { followWorkItem(ref: $ref) { ref } }"


async def test_telling_followers_costs_one_statement_when_nobody_follows(signed_in, monkeypatch):
    from server.domain import uow

    lena = await signed_in("lena@example.com")

    async def note_costs() -> int:
        with recorded_queries() as statements:
            await lena.data(NOTE, {"ref": "T-1003", "body": "Chased the tax office."})
        return len(statements)

    await note_costs()  # the first note of the session may prepare statements the next ones reuse
    with monkeypatch.context() as patched:
        patched.setattr(uow, "_before_commit", [])  # no hook at all: what the note itself costs
        alone = await note_costs()
    assert await note_costs() == alone + 1  # the followers of the changed items, in one statement
    await (await signed_in("jane@example.com")).data(FOLLOW, {"ref": "T-1003"})
    # + the item, the followers told: who is active and their access (two statements for all),
    # and a notification row each
    assert await note_costs() == alone + 1 + 1 + 2 + 1
    await (await signed_in("admin@example.com")).data(FOLLOW, {"ref": "T-1003"})
    assert await note_costs() == alone + 1 + 1 + 2 + 2, "a second follower costs their row only"
