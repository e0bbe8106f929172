"""Organisation administration (SPEC §1, issue 12): users and robots, companies, categories, teams
and queues — through GraphQL, with the audit entry of every change and nothing changed by a
rejected one."""

from __future__ import annotations

from contextlib import AsyncExitStack

from models.audit import AuditEntry
from models.org import Category, Company, Department, Queue, Team, User
from models.session import Invitation
from models.work_item import WorkItem
from server.domain.limits import TEXT_MAXIMA
from tests.support.client import HttpClient, ws_session

ACCOUNT = "user { id name email role } active invitationToken"
CREATE_USER = f"mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {ACCOUNT} }} }}"
UPDATE_USER = f"mutation($id: ID!, $input: UpdateUserInput!) {{ updateUser(id: $id, input: $input) {{ {ACCOUNT} }} }}"
DEACTIVATE = f"mutation($id: ID!) {{ deactivateUser(id: $id) {{ {ACCOUNT} }} }}"
REACTIVATE = f"mutation($id: ID!) {{ reactivateUser(id: $id) {{ {ACCOUNT} }} }}"
ACCEPT = "mutation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) { email } }"
ROBOT_TOKEN = "mutation($id: ID!) { issueRobotToken(userId: $id) { token expiresAt session { id revokedAt } } }"
VIEWER = "{ viewer { name } }"
CREATE_TEAM = "mutation($input: CreateTeamInput!) { createTeam(input: $input) { id name } }"
UPDATE_TEAM = "mutation($id: ID!, $input: TeamInput!) { updateTeam(id: $id, input: $input) { id name } }"
CREATE_QUEUE = "mutation($input: CreateQueueInput!) { createQueue(input: $input) { id name teamId departmentId } }"
UPDATE_QUEUE = "mutation($id: ID!, $input: UpdateQueueInput!) { updateQueue(id: $id, input: $input) { id name departmentId } }"
BAR = """subscription($team: ID!) { teamBar(teamId: $team) { cursor bar { members { user { name } } } } }"""
CLOSE_TIMEOUT = 10.0


def _code(error: dict) -> tuple[str, str | None]:
    return error["extensions"]["code"], error["extensions"].get("field")


async def _actions() -> list[str]:
    return await AuditEntry.all().order_by("id").values_list("action", flat=True)


async def test_admin_creates_a_user_with_a_password_who_signs_in(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    made = (await admin.data(CREATE_USER, {"input": {"email": " New.Person@Example.com ", "name": " New Person ",
                                                      "role": "AGENT", "password": "long enough"}}))["createUser"]
    assert made["user"]["email"] == "new.person@example.com" and made["user"]["name"] == "New Person"
    assert made["active"] is True and made["invitationToken"] is None
    assert (await client.as_user("new.person@example.com", "long enough"))
    entry = await AuditEntry.get(action="user.created")
    assert entry.target_id == made["user"]["id"] and entry.changes["email"] == {"to": "new.person@example.com"}
    assert "password" not in str(entry.changes)


async def test_a_rejected_user_changes_nothing_and_names_its_fields(signed_in):
    admin = await signed_in("admin@example.com")
    users_before = await User.all().count()
    error = await admin.error(CREATE_USER, {"input": {"email": "JANE@example.com", "name": "", "role": "AGENT", "password": "short"}})
    assert error["extensions"]["code"] == "VALIDATION"
    assert {f["field"] for f in error["extensions"]["fields"]} >= {"email", "name", "password"}
    error = await admin.error(CREATE_USER, {"input": {"email": "x@example.com", "name": "X" * (TEXT_MAXIMA["name"] + 1), "role": "AGENT", "password": "long enough"}})
    assert _code(error) == ("VALIDATION", "name")
    error = await admin.error(CREATE_USER, {"input": {"email": "x@example.com", "name": "X", "role": "AGENT"}})
    assert _code(error) == ("VALIDATION", "password")
    jane = await User.get(email="jane@example.com")
    error = await admin.error(UPDATE_USER, {"id": str(jane.id), "input": {"email": "lena@example.com", "name": "Changed"}})
    assert _code(error) == ("VALIDATION", "email")
    assert (await User.get(id=jane.id)).name == "Jane Cooper", "a rejected edit changes nothing"
    assert await User.all().count() == users_before and await _actions() == []


async def test_invitation_is_shown_once_stored_hashed_and_used_once(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    made = (await admin.data(CREATE_USER, {"input": {"email": "invited@example.com", "name": "Invited", "role": "TEAM_LEADER", "invite": True}}))["createUser"]
    token = made["invitationToken"]
    assert token and not await Invitation.filter(token_hash__contains=token).exists()
    assert _code(await client.error(ACCEPT, {"token": token, "password": "short"})) == ("VALIDATION", "password")
    assert (await client.data(ACCEPT, {"token": token, "password": "my new password"}))["acceptInvitation"] == {"email": "invited@example.com"}
    assert await client.as_user("invited@example.com", "my new password")
    assert _code(await client.error(ACCEPT, {"token": token, "password": "another password"})) == ("VALIDATION", "token")
    assert "user.invitation_accepted" in await _actions()


async def test_deactivation_ends_tokens_and_closes_live_connections(signed_in, live_server, client: HttpClient):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    jane_id = str((await User.get(email="jane@example.com")).id)
    team = str((await Team.get(name="Team A")).id)
    async with AsyncExitStack() as stack:
        socket = await stack.enter_async_context(ws_session(live_server.url, jane.token))
        op = await socket.subscribe(BAR, {"team": team})
        assert (await socket.next_for(op))["type"] == "next"
        deactivated = (await admin.data(DEACTIVATE, {"id": jane_id}))["deactivateUser"]
        assert deactivated["active"] is False
        code, _ = await socket.closed(CLOSE_TIMEOUT)
        assert code == 4403
    assert (await client.error(VIEWER, token=jane.token))["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await client.error("mutation { login(email: \"jane@example.com\", password: \"demo\") { token } }"))["extensions"]["code"] == "INVALID_CREDENTIALS"
    assert (await admin.error(DEACTIVATE, {"id": str((await User.get(email="admin@example.com")).id)}))["extensions"]["code"] == "CONFLICT"
    assert (await admin.data(REACTIVATE, {"id": jane_id}))["reactivateUser"]["active"] is True
    assert await client.as_user("jane@example.com")
    assert (await client.error(VIEWER, token=jane.token))["extensions"]["code"] == "UNAUTHENTICATED", "old sessions stay ended"
    assert await _actions() == ["user.deactivated", "user.activated"]


async def test_admin_mutations_are_forbidden_to_others(signed_in, world):
    jane_id = str((await User.get(email="jane@example.com")).id)
    company = str((await Company.get(name="Acme Corp")).id)
    category = str((await Category.get(name="Payroll")).id)
    probes = [
        (CREATE_USER, {"input": {"email": "z@example.com", "name": "Z", "role": "ADMIN", "password": "long enough"}}),
        (UPDATE_USER, {"id": jane_id, "input": {"role": "ADMIN"}}),
        (DEACTIVATE, {"id": jane_id}),
        (ROBOT_TOKEN, {"id": jane_id}),
        ("mutation($id: ID!) { revokeUserSessions(userId: $id) }", {"id": jane_id}),
        ("query($id: ID!) { userSessions(userId: $id) { id } }", {"id": jane_id}),
        ('mutation { createCompany(name: "Z") { id } }', None),
        ("mutation($id: ID!) { deleteCompany(id: $id) }", {"id": company}),
        ("mutation($id: ID!) { renameCompany(id: $id, name: \"Z\") { id } }", {"id": company}),
        ('mutation { createCategory(name: "Z") { active } }', None),
        ("mutation($id: ID!) { updateCategory(id: $id, active: false) { active } }", {"id": category}),
    ]
    lena = await signed_in("lena@example.com")
    askers = {"agent": world.clients["uk_agent"], "leader": lena, "requester": world.clients["requester"],
              "partner_key": world.clients["partner_key"]}
    before = await _actions()  # the world's own set-up (its partner's API key) is audited too
    for who, asker in askers.items():
        for document, variables in probes:
            error = await asker.error(document, variables)
            assert error["extensions"]["code"] == "FORBIDDEN", (who, document, error)
    assert await _actions() == before
    assert (await Category.get(id=int(category))).is_active


async def test_companies_are_renamed_and_deleted_only_when_unreferenced(signed_in):
    admin = await signed_in("admin@example.com")
    made = (await admin.data('mutation { createCompany(name: " Initech ") { id name } }'))["createCompany"]
    assert made["name"] == "Initech"
    assert _code(await admin.error('mutation { createCompany(name: "Globex") { id } }')) == ("VALIDATION", "name")
    renamed = (await admin.data("mutation($id: ID!) { renameCompany(id: $id, name: \"Initrode\") { name } }", {"id": made["id"]}))
    assert renamed["renameCompany"]["name"] == "Initrode"
    acme = await Company.get(name="Acme Corp")
    error = await admin.error("mutation($id: ID!) { deleteCompany(id: $id) }", {"id": str(acme.id)})
    assert error["extensions"]["code"] == "CONFLICT" and await Company.exists(id=acme.id)
    assert (await admin.data("mutation($id: ID!) { deleteCompany(id: $id) }", {"id": made["id"]}))["deleteCompany"] == made["id"]
    assert not await Company.exists(id=int(made["id"]))
    assert await _actions() == ["company.created", "company.updated", "company.deleted"]


async def test_an_inactive_category_cannot_be_chosen(signed_in):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    made = (await admin.data('mutation { createCategory(name: "Travel") { category { id name } active } }'))["createCategory"]
    cid = made["category"]["id"]
    off = (await admin.data("mutation($id: ID!) { updateCategory(id: $id, name: \"Travel costs\", active: false) { category { name } active } }", {"id": cid}))
    assert off["updateCategory"] == {"category": {"name": "Travel costs"}, "active": False}
    ref = (await WorkItem.filter(assignee__email="jane@example.com", status="IN_PROGRESS").first()).ref
    error = await jane.error("mutation($ref: String!, $c: ID!) { updateWorkItem(ref: $ref, input: {categoryId: $c}) { ref } }", {"ref": ref, "c": cid})
    assert error["extensions"]["code"] == "VALIDATION" and error["extensions"].get("field") == "categoryId", error
    await admin.data("mutation($id: ID!) { updateCategory(id: $id, active: true) { active } }", {"id": cid})
    assert (await jane.data("mutation($ref: String!, $c: ID!) { updateWorkItem(ref: $ref, input: {categoryId: $c}) { ref } }", {"ref": ref, "c": cid}))
    assert await _actions() == ["category.created", "category.updated", "category.updated"]


async def test_leaders_create_and_edit_their_teams_and_queues_only(signed_in):
    lena = await signed_in("lena@example.com")
    admin = await signed_in("admin@example.com")
    jane_id = str((await User.get(email="jane@example.com")).id)
    lena_id = str((await User.get(email="lena@example.com")).id)
    uk = str((await Department.get(name="UK Operations")).id)
    pl = str((await Department.get(name="PL Operations")).id)
    team = (await lena.data(CREATE_TEAM, {"input": {"name": "Team C", "memberIds": [jane_id]}}))["createTeam"]
    stored = await Team.get(id=int(team["id"]))
    assert {u.id for u in await stored.leaders.all()} == {int(lena_id)}, "a leader leads the team they create"
    queue = (await lena.data(CREATE_QUEUE, {"input": {"teamId": team["id"], "name": "C queue", "departmentId": uk}}))["createQueue"]
    assert queue["departmentId"] == uk
    error = await lena.error(CREATE_QUEUE, {"input": {"teamId": team["id"], "name": "C2", "departmentId": pl}})
    assert _code(error) == ("VALIDATION", "departmentId"), "only a department the leader sees"
    renamed = (await lena.data(UPDATE_QUEUE, {"id": queue["id"], "input": {"name": "C inbox"}}))["updateQueue"]
    assert renamed["name"] == "C inbox"
    team_b = str((await Team.get(name="Team B")).id)
    assert (await lena.error(UPDATE_TEAM, {"id": team_b, "input": {"name": "Mine now"}}))["extensions"]["code"] == "FORBIDDEN"
    queue_b = str((await Queue.get(name="Team B queue")).id)
    assert (await lena.error(UPDATE_QUEUE, {"id": queue_b, "input": {"name": "x"}}))["extensions"]["code"] == "FORBIDDEN"
    assert (await lena.error(CREATE_QUEUE, {"input": {"teamId": team_b, "name": "x", "departmentId": uk}}))["extensions"]["code"] == "FORBIDDEN"
    assert (await Team.get(id=int(team_b))).name == "Team B"
    jane = await signed_in("jane@example.com")
    assert (await jane.error(CREATE_TEAM, {"input": {"name": "Agents"}}))["extensions"]["code"] == "FORBIDDEN"
    assert _code(await lena.error(UPDATE_TEAM, {"id": team["id"], "input": {"leaderIds": []}})) == ("VALIDATION", "leaderIds")
    assert _code(await lena.error(CREATE_TEAM, {"input": {"name": "Team A"}})) == ("VALIDATION", "name")
    assert (await admin.data(UPDATE_TEAM, {"id": team_b, "input": {"name": "Team Bee"}}))["updateTeam"]["name"] == "Team Bee"
    assert await _actions() == ["team.created", "queue.created", "queue.updated", "team.updated"]


async def test_a_queue_with_unfinished_items_stays_in_its_department(signed_in):
    admin = await signed_in("admin@example.com")
    busy = await WorkItem.filter(status__in=["TO_DO", "IN_PROGRESS", "WAITING"], queue_id__not_isnull=True).first()
    queue = await Queue.get(id=busy.queue_id)
    other = str((await Department.exclude(id=queue.department_id).first()).id)
    error = await admin.error(UPDATE_QUEUE, {"id": str(queue.id), "input": {"name": "Renamed", "departmentId": other}})
    assert _code(error) == ("CONFLICT", "departmentId"), error
    assert queue.name in error["message"], error
    stored = await Queue.get(id=queue.id)
    assert (stored.name, stored.department_id) == (queue.name, queue.department_id), "a refused update changes nothing"
    same = await admin.data(UPDATE_QUEUE, {"id": str(queue.id), "input": {"departmentId": str(queue.department_id)}})
    assert same["updateQueue"]["departmentId"] == str(queue.department_id), "naming its own department is no move"
    await WorkItem.filter(queue_id=queue.id).exclude(status__in=["RESOLVED", "CLOSED"]).update(status="CLOSED")
    moved = (await admin.data(UPDATE_QUEUE, {"id": str(queue.id), "input": {"departmentId": other}}))["updateQueue"]
    assert moved["departmentId"] == other, "finished items do not hold a queue back"
    assert await _actions() == ["queue.updated"]


async def test_a_new_member_reaches_the_live_team_bar(signed_in, live_server):
    lena = await signed_in("lena@example.com")
    team = await Team.get(name="Team A")
    karina = await User.get(email="karina@example.com")
    members = [str(u.id) for u in await team.members.all()]
    async with ws_session(live_server.url, lena.token) as socket:
        op = await socket.subscribe(BAR, {"team": str(team.id)})
        first = await socket.next_for(op)
        names = {m["user"]["name"] for m in first["payload"]["data"]["teamBar"]["bar"]["members"]}
        assert "Karina Nowak" not in names
        await lena.data(UPDATE_TEAM, {"id": str(team.id), "input": {"memberIds": [*members, str(karina.id)]}})
        pushed = await socket.next_for(op)
        names = {m["user"]["name"] for m in pushed["payload"]["data"]["teamBar"]["bar"]["members"]}
        assert "Karina Nowak" in names, pushed
    karina_client = await signed_in("karina@example.com")
    bar = await karina_client.data("query($t: ID!) { teamBar(teamId: $t) { team { name } } }", {"t": str(team.id)})
    assert bar["teamBar"]["team"]["name"] == "Team A", "the new member reads the team's bar"


async def test_a_robot_takes_work_and_rejects_it_and_is_not_offered_it_again(signed_in, client: HttpClient):
    admin = await signed_in("admin@example.com")
    robot = (await admin.data(CREATE_USER, {"input": {"email": "robot@example.com", "name": "Robo", "role": "ROBOT"}}))["createUser"]
    rid = robot["user"]["id"]
    assert (await admin.error(CREATE_USER, {"input": {"email": "robot2@example.com", "name": "R", "role": "ROBOT", "password": "long enough"}}))["extensions"]["field"] == "password"
    uk = str((await Department.get(name="UK Operations")).id)
    await admin.data("mutation($u: ID!, $d: [ID!]!) { setUserDepartments(userId: $u, departmentIds: $d) { __typename } }", {"u": rid, "d": [uk]})
    team = await Team.get(name="Team A")
    members = [str(u.id) for u in await team.members.all()]
    await admin.data(UPDATE_TEAM, {"id": str(team.id), "input": {"memberIds": [*members, rid]}})
    issued = (await admin.data(ROBOT_TOKEN, {"id": rid}))["issueRobotToken"]
    as_robot = HttpClient(client.base_url, issued["token"])
    try:
        assert (await as_robot.data(VIEWER))["viewer"]["name"] == "Robo"
        assert (await client.error('mutation { login(email: "robot@example.com", password: "anything at all") { token } }'))["extensions"]["code"] == "INVALID_CREDENTIALS"
        offered = set()
        while True:
            taken = (await as_robot.data("mutation { getNextWork { ref } }"))["getNextWork"]
            if taken is None:
                break
            assert taken["ref"] not in offered, "a rejected item is not offered to the robot again"
            offered.add(taken["ref"])
            rejected = await as_robot.data("mutation($r: String!) { rejectWork(ref: $r, reason: \"cannot\") { workItem { status assignee { id } } } }", {"r": taken["ref"]})
            assert rejected["rejectWork"]["workItem"]["status"] == "TO_DO"
            assert rejected["rejectWork"]["workItem"]["assignee"] is None
        assert offered, "the robot was offered work"
        # an admin ends the robot's sessions: its token stops working
        revoked = await admin.data("mutation($id: ID!) { revokeUserSessions(userId: $id) }", {"id": rid})
        assert revoked["revokeUserSessions"] == 1
        assert (await as_robot.error(VIEWER))["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        await as_robot.aclose()
    assert (await admin.error(ROBOT_TOKEN, {"id": str((await User.get(email="jane@example.com")).id)}))["extensions"]["field"] == "id"


async def test_unknown_ids_are_not_found(signed_in):
    admin = await signed_in("admin@example.com")
    for document, variables in [
        (UPDATE_USER, {"id": "999999", "input": {"name": "x"}}),
        (DEACTIVATE, {"id": "999999"}),
        ("mutation { deleteCompany(id: \"999999\") }", None),
        (UPDATE_TEAM, {"id": "999999", "input": {"name": "x"}}),
    ]:
        assert (await admin.error(document, variables))["extensions"]["code"] == "NOT_FOUND", document
