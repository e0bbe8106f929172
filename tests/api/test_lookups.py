"""The look-ups a client fills a form's ids from (issue 12): paged by name, searched by a name (or
email) prefix ignoring case, filtered, with their relations batched (SQL count pinned)."""

from __future__ import annotations

from models.org import Category, Department, Queue, Team, User
from server.domain import presence
from tests.support.queries import recorded_queries

USERS = """query($search: String, $first: Int!, $after: String, $role: Role, $teamId: ID, $departmentId: ID, $active: Boolean) {
  users(search: $search, first: $first, after: $after, role: $role, teamId: $teamId, departmentId: $departmentId, active: $active) {
    edges { cursor node { id name email role isActive presence teams { name } departments { name } } }
    pageInfo { hasNextPage endCursor } } }"""


def names(connection: dict) -> list[str]:
    return [e["node"]["name"] for e in connection["edges"]]


async def test_users_page_by_name_with_cursors(signed_in):
    admin = await signed_in("admin@example.com")
    everyone = [u.name for u in sorted(await User.all(), key=lambda u: (u.name, u.id))]
    seen, after = [], None
    while True:
        page = (await admin.data(USERS, {"first": 2, "after": after}))["users"]
        assert len(page["edges"]) <= 2
        seen += names(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == everyone


async def test_search_by_name_or_email_prefix_ignoring_case(signed_in):
    admin = await signed_in("admin@example.com")
    assert names((await admin.data(USERS, {"first": 20, "search": "jA"}))["users"]) == ["Jane Cooper"]
    assert names((await admin.data(USERS, {"first": 20, "search": "KARINA@"}))["users"]) == ["Karina Nowak"]
    assert names((await admin.data(USERS, {"first": 20, "search": "cooper"}))["users"]) == []  # a prefix, not a word
    # LIKE's wildcards are matched literally
    assert names((await admin.data(USERS, {"first": 20, "search": "%"}))["users"]) == []
    assert names((await admin.data(USERS, {"first": 20, "search": "_ane"}))["users"]) == []
    teams = await admin.data('{ teams(search: "team b") { edges { node { name } } } }')
    assert names(teams["teams"]) == ["Team B"]
    cats = await admin.data('{ categories(search: "PAY") { edges { node { name } } } }')
    assert names(cats["categories"]) == ["Payroll"]


async def test_user_filters(signed_in):
    admin = await signed_in("admin@example.com")
    team_a = await Team.get(name="Team A")
    uk = await Department.get(name="UK Operations")
    assert names((await admin.data(USERS, {"first": 20, "teamId": str(team_a.id)}))["users"]) == ["Jane Cooper", "Lena Fischer"]
    assert names((await admin.data(USERS, {"first": 20, "departmentId": str(uk.id)}))["users"]) == ["Jane Cooper", "Lena Fischer"]
    assert names((await admin.data(USERS, {"first": 20, "role": "TEAM_LEADER"}))["users"]) == ["Lena Fischer"]
    await User.filter(email="karina@example.com").update(is_active=False)
    inactive = (await admin.data(USERS, {"first": 20, "active": False}))["users"]
    assert names(inactive) == ["Karina Nowak"] and inactive["edges"][0]["node"]["isActive"] is False
    assert "Karina Nowak" not in names((await admin.data(USERS, {"first": 20, "active": True}))["users"])


async def test_a_user_with_teams_departments_and_presence(signed_in):
    jane_user = await User.get(email="jane@example.com")
    await presence.connected(jane_user.id, "lookup-test", "c1")
    lena = await signed_in("lena@example.com")
    node = (await lena.data(USERS, {"first": 20, "search": "jane"}))["users"]["edges"][0]["node"]
    assert node == {
        "id": str(jane_user.id), "name": "Jane Cooper", "email": "jane@example.com", "role": "AGENT", "isActive": True,
        "presence": "ONLINE", "teams": [{"name": "Team A"}], "departments": [{"name": "UK Operations"}],
    }
    single = await lena.data("query($id: ID!) { user(id: $id) { name presence } }", {"id": str(jane_user.id)})
    assert single["user"] == {"name": "Jane Cooper", "presence": "ONLINE"}
    await presence.disconnected(jane_user.id, "lookup-test", "c1")
    assert (await lena.data("query($id: ID!) { user(id: $id) { presence } }", {"id": str(jane_user.id)}))["user"]["presence"] == "OFFLINE"


async def test_teams_with_members_leaders_and_queues_and_queues_with_their_team(signed_in):
    admin = await signed_in("admin@example.com")
    data = await admin.data("""{ teams { edges { node { name members { name } leaders { name } queues { name } } } }
      queues { edges { node { name team { name } department { name } } } } }""")
    assert [e["node"] for e in data["teams"]["edges"]] == [
        {"name": "Team A", "members": [{"name": "Jane Cooper"}, {"name": "Lena Fischer"}], "leaders": [{"name": "Lena Fischer"}], "queues": [{"name": "Team A queue"}]},
        {"name": "Team B", "members": [{"name": "Karina Nowak"}], "leaders": [], "queues": [{"name": "Team B queue"}]},
    ]
    assert [e["node"] for e in data["queues"]["edges"]] == [
        {"name": "Team A queue", "team": {"name": "Team A"}, "department": {"name": "UK Operations"}},
        {"name": "Team B queue", "team": {"name": "Team B"}, "department": {"name": "PL Operations"}},
    ]
    lena = await User.get(email="lena@example.com")
    mine = await admin.data("query($m: ID) { teams(memberId: $m) { edges { node { name } } } }", {"m": str(lena.id)})
    assert names(mine["teams"]) == ["Team A"]
    pl = await Department.get(name="PL Operations")
    by_department = await admin.data("query($d: ID) { queues(departmentId: $d) { edges { node { name } } } }", {"d": str(pl.id)})
    assert names(by_department["queues"]) == ["Team B queue"]


async def test_single_fetches_outside_the_directory_answer_like_missing_ids(signed_in):
    jane = await signed_in("jane@example.com")  # UK Operations, Team A
    karina = await User.get(email="karina@example.com")
    team_b = await Team.get(name="Team B")
    queue_b = await Queue.get(name="Team B queue")
    for field, row_id in (("user", karina.id), ("team", team_b.id), ("queue", queue_b.id)):
        outside = await jane.error(f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}", {"id": str(row_id)})
        missing = await jane.error(f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}", {"id": "999999"})
        assert outside["extensions"] == missing["extensions"] == {"code": "NOT_FOUND", "field": "id"}
        assert outside["message"].replace(str(row_id), "N") == missing["message"].replace("999999", "N")


async def test_categories_show_active_ones_and_admins_all(signed_in):
    await Category.filter(name="Invoices").update(is_active=False)
    jane = await signed_in("jane@example.com")
    admin = await signed_in("admin@example.com")
    query = "{ categories { edges { node { name } } } }"
    assert names((await jane.data(query))["categories"]) == ["Access request", "General enquiry", "Payroll"]
    assert "Invoices" in names((await admin.data(query))["categories"])


async def test_bad_arguments(signed_in):
    admin = await signed_in("admin@example.com")
    assert (await admin.error("{ users(first: 0) { edges { cursor } } }"))["extensions"]["field"] == "first"
    assert (await admin.error("{ users(first: 101) { edges { cursor } } }"))["extensions"]["field"] == "first"
    assert (await admin.error('{ users(after: "nonsense") { edges { cursor } } }'))["extensions"]["field"] == "after"
    long = "x" * 1000
    assert (await admin.error("query($s: String) { teams(search: $s) { edges { cursor } } }", {"s": long}))["extensions"]["field"] == "search"
    assert (await admin.error('{ users(teamId: "abc") { edges { cursor } } }'))["extensions"]["field"] == "teamId"


async def test_unauthenticated(client, demo):
    for field in ("users", "teams", "queues", "departments", "companies", "categories", "caseTypes"):
        error = await client.error(f"{{ {field} {{ edges {{ cursor }} }} }}")
        assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_page_of_users_costs_a_fixed_number_of_queries(signed_in):
    for n in range(30):
        await User.create(email=f"extra{n}@example.com", name=f"Extra {n:02}")
    jane = await User.get(email="jane@example.com")
    await presence.connected(jane.id, "lookup-test", "c1")
    admin = await signed_in("admin@example.com")
    with recorded_queries() as statements:
        data = await admin.data(USERS, {"first": 50})
    assert len(data["users"]["edges"]) == await User.all().count() == 34
    # viewer (user + scope), the page, then one batch each: teams (pairs, rows), departments
    # (pairs, rows), presence
    assert len(statements) == 2 + 1 + 2 + 2 + 1, "\n".join(statements)
    lena = await signed_in("lena@example.com")
    with recorded_queries() as statements:
        data = await lena.data(USERS, {"first": 50})
    assert names(data["users"]) == ["Jane Cooper", "Lena Fischer"]
    # an employee's directory: its teams (queues of its departments), its users, then as above
    assert len(statements) == 2 + 2 + 1 + 2 + 2 + 1, "\n".join(statements)
