"""Saved views (SPEC §8): an employee saves a filter and order under a name (as many as they
like), renames, deletes and lists them, and lists a view's items exactly as workItems would with
that filter and order — never more than they may see; anyone else's view answers like a missing one."""

from __future__ import annotations

from models.work_item import WorkItem

SAVE = "mutation($input: SaveViewInput!) { saveWorkItemView(input: $input) { id name filter orderBy } }"
RENAME = "mutation($id: ID!, $name: String!) { renameSavedView(id: $id, name: $name) { id name } }"
DELETE = "mutation($id: ID!) { deleteSavedView(id: $id) }"
VIEWS = "query($first: Int!, $after: String) { savedViews(first: $first, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }"
ITEMS = "query($id: ID) { workItems(viewId: $id, first: 100) { edges { node { ref status priority } } } }"
LISTED = "query($filter: WorkItemFilter, $order: [WorkItemOrder!]) { workItems(filter: $filter, orderBy: $order, first: 100) { edges { node { ref } } } }"
OPEN = {"statuses": ["TO_DO", "IN_PROGRESS", "WAITING"], "priorities": ["NORMAL", "HIGH", "URGENT"]}
ORDER = [{"field": "DUE_AT", "direction": "DESC"}, {"field": "REF", "direction": "ASC"}]


def _refs(data: dict) -> list[str]:
    return [e["node"]["ref"] for e in data["workItems"]["edges"]]


async def test_a_view_lists_what_workitems_lists_with_its_filter_and_order(signed_in):
    jane = await signed_in("jane@example.com")
    view = (await jane.data(SAVE, {"input": {"name": "  My open  work ", "filter": OPEN, "orderBy": ORDER}}))["saveWorkItemView"]
    assert view["name"] == "My open work"
    # the filter reads back in the shape workItems(filter:) takes
    assert view["filter"] == OPEN and view["orderBy"] == ORDER
    expected = _refs(await jane.data(LISTED, {"filter": view["filter"], "order": view["orderBy"]}))
    assert expected, "the demo has open UK items"
    assert _refs(await jane.data(ITEMS, {"id": view["id"]})) == expected
    # the view is live: an item that changes leaves it
    await WorkItem.filter(ref=expected[0]).update(priority=1)
    assert _refs(await jane.data(ITEMS, {"id": view["id"]})) == expected[1:]


async def test_a_view_never_shows_more_than_the_viewer_may_see(signed_in):
    karina = await signed_in("karina@example.com")  # PL only
    everything = (await karina.data(SAVE, {"input": {"name": "All"}}))["saveWorkItemView"]
    listed = set(_refs(await karina.data(ITEMS, {"id": everything["id"]})))
    pl = {i.ref for i in await WorkItem.filter(department__name="PL Operations")}
    assert listed == pl


async def test_views_are_renamed_deleted_listed_and_private(signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    made = [(await jane.data(SAVE, {"input": {"name": f"View {n}"}}))["saveWorkItemView"]["id"] for n in range(5)]
    first = (await jane.data(VIEWS, {"first": 3}))["savedViews"]
    assert [e["node"]["name"] for e in first["edges"]] == ["View 0", "View 1", "View 2"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await jane.data(VIEWS, {"first": 3, "after": first["pageInfo"]["endCursor"]}))["savedViews"]
    assert [e["node"]["id"] for e in rest["edges"]] == made[3:] and rest["pageInfo"]["hasNextPage"] is False

    assert (await jane.data(RENAME, {"id": made[0], "name": "Mine"}))["renameSavedView"]["name"] == "Mine"
    taken = await jane.error(RENAME, {"id": made[1], "name": "Mine"})
    assert taken["extensions"]["code"] == "VALIDATION" and taken["extensions"]["field"] == "name"
    duplicate = await jane.error(SAVE, {"input": {"name": "View 1"}})
    assert duplicate["extensions"]["field"] == "name"
    # another user's view: like a missing one, for every operation, and nothing changes
    for document, variables in [(RENAME, {"id": made[1], "name": "x"}), (DELETE, {"id": made[1]}), (ITEMS, {"id": made[1]}),
                                ("query($id: ID!) { savedView(id: $id) { name } }", {"id": made[1]})]:
        refused = await lena.error(document, variables)
        missing = await lena.error(document, {**variables, "id": "999999"})
        assert refused["extensions"]["code"] == missing["extensions"]["code"] == "NOT_FOUND"
        assert refused["message"].replace(made[1], "N") == missing["message"].replace("999999", "N")
    # lena may use the same name for her own
    assert (await lena.data(SAVE, {"input": {"name": "View 1"}}))["saveWorkItemView"]["name"] == "View 1"
    assert (await jane.data(DELETE, {"id": made[1]}))["deleteSavedView"] is True
    names = [e["node"]["name"] for e in (await jane.data(VIEWS, {"first": 50}))["savedViews"]["edges"]]
    assert names == ["Mine", "View 2", "View 3", "View 4"]


async def test_bad_input_is_refused_with_the_field_named(signed_in, client):
    jane = await signed_in("jane@example.com")
    blank = await jane.error(SAVE, {"input": {"name": "   "}})
    assert (blank["extensions"]["code"], blank["extensions"]["field"]) == ("VALIDATION", "name")
    long = await jane.error(SAVE, {"input": {"name": "x" * 1000}})
    assert long["extensions"]["code"] == "VALIDATION"
    bad_data = await jane.error(SAVE, {"input": {"name": "Bad", "filter": {"customData": [{"key": "", "value": 1}]}}})
    assert bad_data["extensions"]["field"] == "customData"
    view = (await jane.data(SAVE, {"input": {"name": "Ok"}}))["saveWorkItemView"]
    both = await jane.error("query($id: ID) { workItems(viewId: $id, filter: {overdue: true}) { edges { node { ref } } } }", {"id": view["id"]})
    assert (both["extensions"]["code"], both["extensions"]["field"]) == ("VALIDATION", "viewId")
    assert [e["node"]["name"] for e in (await jane.data(VIEWS, {"first": 50}))["savedViews"]["edges"]] == ["Ok"]
    bob = await client.as_user("bob@client.example")
    assert (await bob.error(SAVE, {"input": {"name": "Mine"}}))["extensions"]["code"] == "FORBIDDEN"
    await bob.aclose()
