"""The world of the authorisation matrix (tests/api/test_authorization_matrix.py and
tests/api/test_push_matrix.py): the demo data plus one viewer of each kind, items held or owned
across departments, links, emails and a notification — and, as an oracle of its own, what each
viewer may see (SPEC §1 restated over the stored facts, not computed by the visibility layer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.contact import Contact
from models.enums import NotificationKind, WorkItemType
from models.org import Department, User, UserGroup
from models.work_item import WorkItem
from server.domain import api_keys, lifecycle, links, notifications, outbox, work_items
from server.domain.organisation import sessions
from server.domain.tokens import TokenSigner
from server.domain.uow import unit_of_work
from server.domain.viewer import user_viewer
from server.settings import Settings
from tests.support.client import HttpClient

VIEWERS = ["uk_agent", "pl_agent", "public_member", "outside_assignee", "outside_owner", "requester", "partner_key", "admin"]
TARGETS = ["T-1002", "T-1007", "PUBLIC", "C-1001"]
MISSING = "T-9999"


@dataclass
class World:
    clients: dict[str, HttpClient]
    refs: dict[str, str]  # target name → ref
    emails: dict[str, str]  # target ref → id of an email on it
    visible: dict[str, set[str]]  # viewer → refs in scope, from the oracle
    departments: dict[str, int]  # ref → department id

    def ref(self, target: str) -> str:
        return self.refs.get(target, target)


async def oracle() -> dict[str, set[str]]:
    """Who may see what, restated from SPEC §1 over the stored facts."""
    items = await WorkItem.all()
    uk = (await Department.get(name="UK Operations")).id
    pl = (await Department.get(name="PL Operations")).id
    paul = await User.get(email="paul@example.com")
    olga = await User.get(email="olga@example.com")
    otto = await User.get(email="otto@example.com")
    return {
        "uk_agent": {i.ref for i in items if i.department_id == uk},
        "pl_agent": {i.ref for i in items if i.department_id == pl},
        # a public department: only what one created there
        "public_member": {i.ref for i in items if i.department_id == pl and i.created_by_id == paul.id},
        # PL staff holding a UK item (UK does not take assignees only from its staff): that item too
        "outside_assignee": {i.ref for i in items if i.department_id == pl or i.assignee_id == olga.id},
        # PL staff owning a UK case (likewise): that case too, not its actions or anything linked
        "outside_owner": {i.ref for i in items if i.department_id == pl or i.owner_id == otto.id},
        # a portal contact reads nothing through the employees' API (the portal: portal_oracle)
        "requester": set(),
        "partner_key": {i.ref for i in items if i.department_id == pl},
        "admin": {i.ref for i in items},
    }


async def portal_oracle() -> dict[str, set[str]]:
    """What each viewer follows on the portal: a requester their own submitted tickets (their
    group does not see the company's); nobody else anything."""
    bob = await Contact.get(email="bob@client.example")
    own = {i.ref for i in await WorkItem.filter(type=WorkItemType.TICKET, requester_id=bob.id) if i.status.value != "DRAFT"}
    return {viewer: (own if viewer == "requester" else set()) for viewer in VIEWERS}


async def build_world(client: HttpClient, settings: Settings) -> World:
    """The matrix's world on the demo data (loaded already); close its clients with `close`."""
    pl = await Department.get(name="PL Operations")
    auditors = await UserGroup.create(name="Auditors")
    await auditors.public_departments.add(pl)
    paul = await User.create(email="paul@example.com", name="Paul Auditor")
    await auditors.members.add(paul)
    public_item = await work_items.create_draft(await user_viewer(paul), WorkItemType.TICKET, pl.id, {"title": "Audit request"})
    admin = await user_viewer(await User.get(email="admin@example.com"))
    olga = await User.create(email="olga@example.com", name="Olga Outsider")
    await (await UserGroup.get(name="PL staff")).members.add(olga)
    await lifecycle.assign(admin, "T-1002", None, olga.id)
    otto = await User.create(email="otto@example.com", name="Otto Owner")
    await (await UserGroup.get(name="PL staff")).members.add(otto)
    await work_items.update_fields(admin, "C-1001", {"owner_id": otto.id}, None)
    await links.link(admin, "T-1002", "T-1007")
    await links.link(admin, "C-1001", public_item.ref)
    await WorkItem.filter(ref="C-1002").update(parent_id=(await WorkItem.get(ref="C-1001")).id)
    emails = {}
    async with unit_of_work() as uow:
        for ref in ("T-1002", "T-1007", public_item.ref, "C-1001"):
            item = await WorkItem.get(ref=ref)
            email = await outbox.queue_email(uow, item, admin, to=["someone@client.example"], subject=f"About {ref}", body="probe")
            emails[ref] = str(email.id)
        karina = await User.get(email="karina@example.com")
        await notifications.notify(uow, karina.id, NotificationKind.NEW_INFORMATION, await WorkItem.get(ref="T-1007"), "probe")
    partner = await api_keys.create_api_key("Partner ERP", [pl.id], can_write=True, created_by=None)
    # tokens straight from the signer: signing in is tested elsewhere, and hashing is slow
    signer = TokenSigner(settings.secret_key, settings.token_ttl_seconds)

    async def as_user(email: str) -> HttpClient:
        return HttpClient(client.base_url, (await sessions.start(signer, "user", (await User.get(email=email)).id)).token)

    bob = await Contact.get(email="bob@client.example")
    clients = {
        "uk_agent": await as_user("jane@example.com"),
        "pl_agent": await as_user("karina@example.com"),
        "public_member": await as_user("paul@example.com"),
        "outside_assignee": await as_user("olga@example.com"),
        "outside_owner": await as_user("otto@example.com"),
        "requester": HttpClient(client.base_url, (await sessions.start(signer, "contact", bob.id)).token),
        "partner_key": HttpClient(client.base_url, partner.token),
        "admin": await as_user("admin@example.com"),
    }
    departments = {i.ref: i.department_id for i in await WorkItem.all()}
    world = World(clients, {"PUBLIC": public_item.ref}, emails, await oracle(), departments)
    return world


async def close(world: World) -> None:
    for c in world.clients.values():
        await c.aclose()


def work_item_refs(data: Any) -> set[str]:
    """Refs of whole work items in a response (header-only entries are allowed to name others)."""
    found: set[str] = set()
    if isinstance(data, dict):
        if "restricted" in data:  # a LinkedWorkItem: only its `workItem` counts, when present
            return work_item_refs(data.get("workItem"))
        if isinstance(data.get("ref"), str):
            found.add(data["ref"])
        for key, value in data.items():
            if key == "workItemRef" and isinstance(value, str):
                found.add(value)
            elif key == "sharedFrom":
                continue  # the origin of a shared email: a reference, like a header
            else:
                found |= work_item_refs(value)
    elif isinstance(data, list):
        for value in data:
            found |= work_item_refs(value)
    return found
