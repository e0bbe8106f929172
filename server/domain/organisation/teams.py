"""Teams and their queues (SPEC §1; seed 000 "team leader: creating teams and queues").

Team leaders (role TEAM_LEADER) create teams — they lead the teams they create — and edit the teams
they lead: name, members, leaders, and the team's queues (name, and the department each belongs to:
only a department they see; a queue holding unfinished items stays in its department, CONFLICT).
Admins edit any team. Anyone else is FORBIDDEN. A membership change
re-reads the scope of everyone whose teams changed (UserAccessChanged) and pushes the team's live
bars again (TeamMembershipChanged).
"""

from __future__ import annotations

from typing import Iterable

from models.enums import Role, Status
from models.org import Department, Queue, Team, User
from models.work_item import WorkItem
from server.domain import audit, limits, permissions, workflow
from server.domain.errors import Conflict, FieldProblem, Forbidden, NotFound
from server.domain.events import TeamMembershipChanged, UserAccessChanged
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

UNFINISHED = (Status.DRAFT, *sorted(workflow.OPEN))  # what keeps a queue in its department


def require_team_manager(viewer: Viewer) -> None:
    if not (viewer.is_admin or (viewer.is_user and viewer.role is Role.TEAM_LEADER)):
        raise Forbidden("Only team leaders and admins manage teams.")


def _may_edit(viewer: Viewer, team_id: int) -> None:
    if not (viewer.is_admin or team_id in viewer.led_team_ids):
        raise Forbidden("Only a leader of the team or an admin edits it.")


async def _people(ids: Iterable[int] | None, field: str, problems: list[FieldProblem]) -> list[User] | None:
    if ids is None:
        return None
    wanted = set(ids)
    found = await User.filter(id__in=sorted(wanted), is_active=True) if wanted and max(wanted) <= limits.MAX_DB_INT else []
    if len(found) != len(wanted):
        problems.append(FieldProblem(field, f"{field} must name active users"))
    return list(found)


async def _name_problem(name: str, problems: list[FieldProblem], other_than: int | None = None) -> str:
    name = name.strip()
    if not name:
        problems.append(FieldProblem("name", "name is required"))
    else:
        q = Team.filter(name=name)
        if other_than is not None:
            q = q.exclude(id=other_than)
        if await q.exists():
            problems.append(FieldProblem("name", "name is already used by another team"))
    return name


async def _ids(team: Team) -> tuple[set[int], set[int]]:
    members = set(await team.members.all().values_list("id", flat=True))
    leaders = set(await team.leaders.all().values_list("id", flat=True))
    return members, leaders


async def _set(relation, current: set[int], wanted: list[User] | None) -> set[int]:
    """Make the relation hold `wanted` (None: unchanged); the ids whose membership changed."""
    if wanted is None:
        return set()
    target = {u.id for u in wanted}
    removed = current - target
    added = [u for u in wanted if u.id not in current]
    if removed:
        await relation.remove(*[u for u in await User.filter(id__in=sorted(removed))])
    if added:
        await relation.add(*added)
    return removed | {u.id for u in added}


async def create_team(viewer: Viewer, name: str, member_ids: Iterable[int] = (), leader_ids: Iterable[int] | None = None) -> Team:
    require_team_manager(viewer)
    limits.check({"name": name})
    problems: list[FieldProblem] = []
    name = await _name_problem(name, problems)
    members = await _people(member_ids, "memberIds", problems) or []
    leaders = await _people(leader_ids if leader_ids is not None else (), "leaderIds", problems) or []
    if not viewer.is_admin and viewer.id not in {u.id for u in leaders}:
        leaders.append(await User.get(id=viewer.id))  # a leader leads the team they create
    permissions.raise_problems(problems, "team")
    async with unit_of_work() as uow:
        team = await Team.create(name=name)
        if members:
            await team.members.add(*members)
        if leaders:
            await team.leaders.add(*leaders)
        affected = {u.id for u in members} | {u.id for u in leaders}
        await audit.record(viewer, "team.created", team, changes=audit.created({
            "name": name, "memberIds": sorted(u.id for u in members), "leaderIds": sorted(u.id for u in leaders)}))
        if affected:
            uow.emit(UserAccessChanged(user_ids=tuple(sorted(affected))))
        uow.emit(TeamMembershipChanged(team_id=team.id))
    return team


async def _team(team_id: int) -> Team:
    team = await Team.filter(id=team_id).select_for_update().first() if 0 < team_id <= limits.MAX_DB_INT else None
    if team is None:
        raise NotFound(f"No team {team_id} exists.", field="id")
    return team


async def update_team(
    viewer: Viewer, team_id: int, *, name: str | None = None,
    member_ids: Iterable[int] | None = None, leader_ids: Iterable[int] | None = None,
) -> Team:
    require_team_manager(viewer)
    limits.check({"name": name})
    async with unit_of_work() as uow:
        team = await _team(team_id)
        _may_edit(viewer, team.id)
        problems: list[FieldProblem] = []
        new_name = await _name_problem(name, problems, other_than=team.id) if name is not None else team.name
        members = await _people(member_ids, "memberIds", problems)
        leaders = await _people(leader_ids, "leaderIds", problems)
        if leaders is not None and not leaders:
            problems.append(FieldProblem("leaderIds", "a team keeps at least one leader"))
        permissions.raise_problems(problems, "team")
        old_members, old_leaders = await _ids(team)
        before = {"name": team.name, "memberIds": sorted(old_members), "leaderIds": sorted(old_leaders)}
        if new_name != team.name:
            team.name = new_name
            await team.save(update_fields=["name"])
        affected = await _set(team.members, old_members, members) | await _set(team.leaders, old_leaders, leaders)
        new_members, new_leaders = await _ids(team)
        changes = audit.diff(before, {"name": team.name, "memberIds": sorted(new_members), "leaderIds": sorted(new_leaders)})
        if changes:
            await audit.record(viewer, "team.updated", team, changes=changes)
            uow.emit(TeamMembershipChanged(team_id=team.id))
        if affected:
            uow.emit(UserAccessChanged(user_ids=tuple(sorted(affected))))
    return team


async def _department(viewer: Viewer, department_id: int, problems: list[FieldProblem]) -> Department | None:
    visible = viewer.is_admin or department_id in viewer.department_ids
    department = await Department.get_or_none(id=department_id) if visible and 0 < department_id <= limits.MAX_DB_INT else None
    if department is None:
        problems.append(FieldProblem("departmentId", "departmentId must name a department you see"))
    return department


async def _queue_name(name: str, team_id: int, problems: list[FieldProblem], other_than: int | None = None) -> str:
    name = name.strip()
    if not name:
        problems.append(FieldProblem("name", "name is required"))
    else:
        q = Queue.filter(team_id=team_id, name=name)
        if other_than is not None:
            q = q.exclude(id=other_than)
        if await q.exists():
            problems.append(FieldProblem("name", "name is already used by another queue of the team"))
    return name


async def create_queue(viewer: Viewer, team_id: int, name: str, department_id: int) -> Queue:
    require_team_manager(viewer)
    limits.check({"name": name})
    async with unit_of_work():
        team = await _team(team_id)
        _may_edit(viewer, team.id)
        problems: list[FieldProblem] = []
        name = await _queue_name(name, team.id, problems)
        department = await _department(viewer, department_id, problems)
        permissions.raise_problems(problems, "queue")
        queue = await Queue.create(name=name, team=team, department=department)
        await audit.record(viewer, "queue.created", queue, changes=audit.created(
            {"name": name, "teamId": team.id, "departmentId": department.id}))
    return queue


async def _no_open_items(queue: Queue) -> None:
    """A queue moves to another department only empty of unfinished work: its items belong to its
    department (visibility, SLA, numbering follow it), and a moved queue would hold items of a
    department it is no longer in. Finished items stay where they were done."""
    unfinished = await WorkItem.filter(queue_id=queue.id, status__in=UNFINISHED).count()
    if unfinished:
        raise Conflict(
            f"Queue {queue.name!r} still holds {unfinished} unfinished work item(s) of its department: "
            "move them to another queue (or finish them) before moving the queue to another department.",
            field="departmentId",
        )


async def update_queue(viewer: Viewer, queue_id: int, *, name: str | None = None, department_id: int | None = None) -> Queue:
    require_team_manager(viewer)
    limits.check({"name": name})
    async with unit_of_work():
        queue = await Queue.filter(id=queue_id).select_for_update().first() if 0 < queue_id <= limits.MAX_DB_INT else None
        if queue is None:
            raise NotFound(f"No queue {queue_id} exists.", field="id")
        _may_edit(viewer, queue.team_id)
        if not viewer.is_admin and queue.department_id not in viewer.department_ids:
            raise NotFound(f"No queue {queue_id} exists.", field="id")  # a queue of a department one does not see
        problems: list[FieldProblem] = []
        before = {"name": queue.name, "departmentId": queue.department_id}
        if department_id is not None:
            department = await _department(viewer, department_id, problems)
            if department is not None and department.id != queue.department_id:
                await _no_open_items(queue)
                queue.department_id = department.id
        if name is not None:
            queue.name = await _queue_name(name, queue.team_id, problems, other_than=queue.id)
        permissions.raise_problems(problems, "queue")
        await queue.save()
        changes = audit.diff(before, {"name": queue.name, "departmentId": queue.department_id})
        if changes:
            await audit.record(viewer, "queue.updated", queue, changes=changes)
    return queue


