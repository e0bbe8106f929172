"""The demo data is exactly what SPEC §9 promises, and is loaded only into an empty database."""

from __future__ import annotations

import os
import subprocess
import sys

from models.contact import Contact
from models.email import Mailbox
from models.enums import Role, Status, WorkItemType
from models.org import Company, Department, Queue, Team, User
from models.work_item import WorkItem
from server.domain import demo as demo_data
from server.domain.auth import verify_password


async def test_demo_organisation(demo):
    assert sorted(await Company.all().values_list("name", flat=True)) == ["Acme Corp", "Globex"]
    assert sorted(await Department.all().values_list("name", flat=True)) == ["PL Operations", "UK Operations"]
    team_a = await Team.get(name="Team A").prefetch_related("members", "leaders", "queues__department")
    team_b = await Team.get(name="Team B").prefetch_related("members", "queues__department")
    assert [q.department.name for q in team_a.queues] == ["UK Operations"]
    assert [q.department.name for q in team_b.queues] == ["PL Operations"]
    assert {u.email for u in team_a.members} >= {"jane@example.com", "lena@example.com"}
    assert [u.email for u in team_a.leaders] == ["lena@example.com"]
    assert [u.email for u in team_b.members] == ["karina@example.com"]
    roles = {u.email: u.role for u in await User.all()}
    assert roles == {
        "jane@example.com": Role.AGENT,
        "karina@example.com": Role.AGENT,
        "lena@example.com": Role.TEAM_LEADER,
        "admin@example.com": Role.ADMIN,
    }
    for user in await User.all():
        assert verify_password(user.password_hash, "demo")
    mailboxes = {m.address: (await m.department).name for m in await Mailbox.all()}
    assert mailboxes == {"uk-ops@acme.example": "UK Operations", "pl-ops@acme.example": "PL Operations"}
    bob = await Contact.get(email="bob@client.example").prefetch_related("company")
    assert bob.company.name == "Acme Corp" and bob.portal_enabled and verify_password(bob.portal_password_hash, "demo")
    assert await Queue.all().count() == 2


async def test_demo_work_items_cover_every_status(demo):
    items = await WorkItem.all()
    for department in await Department.all():
        statuses = {i.status for i in items if i.department_id == department.id}
        assert statuses == set(Status), department.name
    assert {i.type for i in items} == {WorkItemType.TICKET, WorkItemType.CASE, WorkItemType.ACTION}
    onboarding = next(i for i in items if i.ref == "C-1001")
    assert onboarding.case_type_id is not None and onboarding.current_step == 1
    assert sorted(i.ref for i in items if i.parent_id == onboarding.id) == ["A-1001", "A-1002"]
    merged = next(i for i in items if i.ref == "T-1011")
    assert merged.merged_into_id == next(i.id for i in items if i.ref == "T-1008")
    waiting = [i for i in items if i.status is Status.WAITING]
    assert all(i.wait_type is not None for i in waiting)
    assert all(i.resolution_method is not None for i in items if i.status in (Status.RESOLVED, Status.CLOSED))


async def test_demo_loads_only_into_an_empty_database(demo, backend, settings):
    assert await demo_data.load() is False
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "demo"],
        env={**os.environ, **backend.environ(), "SWITCHBOARD_SECRET_KEY": settings.secret_key},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "not empty" in result.stdout
    assert await WorkItem.all().count() == 15
