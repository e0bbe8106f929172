"""The look-up matrix: every root query that returns organisation data a form picks ids from
(users, teams, queues, departments, companies, categories, case types), for every kind of viewer
of the authorisation matrix (tests/support/matrix_world.py).

The fields are found from the schema: a new look-up fails `test_every_lookup_field_is_probed`
until it is given a probe here (fail closed). What each viewer may look up is an oracle of its own,
written below over the stored facts — not computed by server/domain/directory.py. Lists must hold
exactly the oracle's rows (and their relations nothing outside it); a single fetch of a row outside
it answers exactly like a missing id.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_named_type

from models.auth import ApiKey
from models.case_flow import CaseType
from models.org import Category, Company, Department, Queue, Team, User
from server.schema import build_schema
from tests.support.matrix_world import VIEWERS, World

LOOKUP_TYPES = {"User", "Team", "Queue", "Department", "Company", "Category", "CaseType"}
LISTS = {  # field → (model kind, node selection)
    "users": ("users", "id teams { id } departments { id }"),
    "teams": ("teams", "id members { id } leaders { id } queues { id }"),
    "queues": ("queues", "id team { id } department { id }"),
    "departments": ("departments", "id"),
    "companies": ("companies", "id"),
    "categories": ("categories", "id"),
    "caseTypes": ("case_types", "id"),
}
SINGLES = {"user": ("users", User), "team": ("teams", Team), "queue": ("queues", Queue)}
VIEWER_EMAILS = {
    "uk_agent": "jane@example.com",
    "pl_agent": "karina@example.com",
    "public_member": "paul@example.com",
    "outside_assignee": "olga@example.com",
    "outside_owner": "otto@example.com",
    "admin": "admin@example.com",
}


def lookup_fields() -> set[str]:
    schema = build_schema()._schema
    found = set()
    for name, field in schema.get_type("Query").fields.items():
        named = get_named_type(field.type)
        node = None
        if named.name.endswith("Connection") and "edges" in getattr(named, "fields", {}):
            node = get_named_type(get_named_type(named.fields["edges"].type).fields["node"].type).name
        if named.name in LOOKUP_TYPES or node in LOOKUP_TYPES:
            found.add(name)
    return found


def test_every_lookup_field_is_probed():
    assert lookup_fields() == set(LISTS) | set(SINGLES)


# ------------------------------------------------------------------------------------- the oracle


async def _granted(user: User) -> set[int]:
    ids = {d.id for d in await user.departments.all()}
    for group in await user.groups.all():
        ids |= {d.id for d in await group.departments.all()}
    return ids


async def oracle(viewer: str) -> dict[str, set[int]]:
    """What `viewer` may look up: issue 12's rules restated over the stored facts."""
    everything = {
        "users": {u.id for u in await User.all()},
        "teams": {t.id for t in await Team.all()},
        "queues": {q.id for q in await Queue.all()},
        "departments": {d.id for d in await Department.all()},
        "companies": {c.id for c in await Company.all()},
        "categories": {c.id for c in await Category.all()},
        "case_types": {c.id for c in await CaseType.all()},
    }
    active_categories = {c.id for c in await Category.filter(is_active=True)}
    if viewer == "admin":
        return everything
    if viewer == "requester":
        return {k: set() for k in everything} | {"categories": active_categories}
    own_teams: set[int] = set()
    if viewer == "partner_key":
        key = await ApiKey.get(name="Partner ERP")
        seen_departments = {d.id for d in await key.departments.all()}
    else:
        me = await User.get(email=VIEWER_EMAILS[viewer])
        seen_departments = await _granted(me)
        for group in await me.groups.all():
            seen_departments |= {d.id for d in await group.public_departments.all()}
        own_teams = {t.id for t in await me.teams.all()} | {t.id for t in await me.led_teams.all()}
    queues = [q for q in await Queue.all() if q.department_id in seen_departments]
    teams = own_teams | {q.team_id for q in queues}
    users = set()
    for user in await User.all():
        on_team = {t.id for t in await user.teams.all()} | {t.id for t in await user.led_teams.all()}
        if on_team & teams or await _granted(user) & seen_departments:
            users.add(user.id)
    return {
        "users": users,
        "teams": teams,
        "queues": {q.id for q in queues},
        "departments": seen_departments,
        "companies": everything["companies"],
        "categories": active_categories,
        "case_types": everything["case_types"],
    }


# ------------------------------------------------------------------------------------- the probes


async def _all_nodes(client, field: str, selection: str) -> list[dict[str, Any]]:
    nodes, after = [], None
    while True:
        page = (await client.data(
            f"query($after: String) {{ {field}(first: 2, after: $after) {{ edges {{ node {{ {selection} }} }} pageInfo {{ hasNextPage endCursor }} }} }}",
            {"after": after},
        ))[field]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def _ids(values: list[dict[str, Any]]) -> set[int]:
    return {int(v["id"]) for v in values}


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_lists_hold_exactly_what_the_viewer_may_look_up(world: World, viewer: str):
    client = world.clients[viewer]
    expected = await oracle(viewer)
    for field, (kind, selection) in LISTS.items():
        nodes = await _all_nodes(client, field, selection)
        assert _ids(nodes) == expected[kind], (viewer, field)
        assert len(nodes) == len(expected[kind]), (viewer, field)  # no row twice across pages
        for node in nodes:  # relations stay inside the directory
            for relation, of in (("teams", "teams"), ("departments", "departments"), ("members", "users"), ("leaders", "users"), ("queues", "queues")):
                if relation in node:
                    assert _ids(node[relation]) <= expected[of], (viewer, field, relation)
            for relation, of in (("team", "teams"), ("department", "departments")):
                if relation in node:
                    assert int(node[relation]["id"]) in expected[of], (viewer, field, relation)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_single_fetches_outside_the_directory_answer_like_missing(world: World, viewer: str):
    client = world.clients[viewer]
    expected = await oracle(viewer)
    for field, (kind, model) in SINGLES.items():
        query = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"
        missing = await client.post(query, {"id": "999999"})
        assert missing["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}
        for row_id in {r.id for r in await model.all()}:
            result = await client.post(query, {"id": str(row_id)})
            if row_id in expected[kind]:
                assert result.get("errors") is None and result["data"][field]["id"] == str(row_id), (viewer, field, row_id)
            else:
                assert result["data"] is None, (viewer, field, row_id)
                assert result["errors"][0]["extensions"] == missing["errors"][0]["extensions"], (viewer, field, row_id)
                assert result["errors"][0]["message"].replace(str(row_id), "N") == missing["errors"][0]["message"].replace("999999", "N")


async def test_the_oracle_tells_the_viewers_apart(world: World):
    """The world is rich enough for the matrix to mean something."""
    found = {v: await oracle(v) for v in VIEWERS}
    assert found["uk_agent"]["users"] != found["pl_agent"]["users"]
    assert found["public_member"]["departments"] and not found["public_member"]["teams"] - found["pl_agent"]["teams"]
    assert found["requester"]["categories"] and not found["requester"]["users"]
    assert found["admin"]["users"] > found["uk_agent"]["users"] | found["pl_agent"]["users"]
