"""Mail between internal teams (SPEC §5.3, seeds 000 and 001).

When an email composed on team A's item names, among its recipients, the address of another
team's Switchboard mailbox (a mailbox, alias or route of another team or department), the server
says first what it will do for each such recipient (`plan`):

- SHARE: the email is shown on team B's item already linked to A's (the usual case; the newest
  open one of B's department);
- CREATE: a new ticket or case for team B (the kind B's mailbox opens, in its queue), linked to
  A's item; the agent gives its title.

On confirmation (`prepare`, then the email is queued, then `share`) the email leaves once, to the
external recipients and to B's mailbox under B's item's plus address: that copy, coming back in
through B's mailbox, is known by its Message-ID and never opens a ticket; B's item shows the
email (pushed on `sharedEmails`); replies from the external party that keep both plus addresses
reach both items (server/domain/inbound.py shares them to the other). An address Switchboard
does not know is a plain recipient. Whether A sees B's item whole or as a header only is the
visibility layer's usual rule for linked items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.email import Email, Mailbox
from models.enums import Status, WorkItemType
from models.org import Department, Queue, Team
from models.work_item import WorkItem
from server.domain import links, visibility
from server.domain.errors import ValidationError
from server.domain.mail_routing import Route, route_address
from server.domain.uow import UnitOfWork
from server.domain.viewer import Viewer
from server.domain.work_items import create_submitted
from server.mail.addresses import normalise, plus_tag
from server.mail.composing import plus_address

SHARE, CREATE = "SHARE", "CREATE"


@dataclass(frozen=True)
class TeamRecipient:
    """What sending will do for one recipient that is another team's mailbox."""

    address: str  # as the agent wrote it (normalised)
    mailbox_address: str
    department_id: int
    department_name: str
    team_name: str | None
    action: str  # SHARE or CREATE
    item: WorkItem | None  # SHARE: the linked item it is shown on
    header_only: bool  # the viewer may not see that item's department
    creates: WorkItemType  # CREATE: what the mailbox opens


@dataclass(frozen=True)
class TeamDecision:
    """The agent's confirmation for one such recipient."""

    address: str
    action: str
    title: str | None = None  # CREATE: the new item's title


@dataclass
class Prepared:
    """The recipients as they will be sent, and the items the email is to be shared to."""

    to: list[str]
    cc: list[str]
    targets: list[WorkItem] = field(default_factory=list)


async def _team_route(item: WorkItem, address: str) -> tuple[Route, Queue] | None:
    base, _ = plus_tag(address)
    routed = await route_address(base)
    if routed is None:
        return None
    queue = await Queue.get_or_none(id=routed.queue_id) if routed.queue_id else await Queue.filter(department_id=routed.department_id).order_by("id").first()
    if queue is None:
        return None
    if routed.department_id == item.department_id and queue.team_id == item.team_id:
        return None  # the item's own team: a plain recipient
    return routed, queue


async def _linked_in(item: WorkItem, department_id: int) -> WorkItem | None:
    linked = (await links.linked_ids([item.id]))[item.id]
    return await WorkItem.filter(id__in=linked, department_id=department_id).exclude(status=Status.CLOSED).order_by("-id").first()


async def plan(viewer: Viewer, item: WorkItem, addresses: list[str]) -> list[TeamRecipient]:
    """For each recipient that is another team's mailbox, what sending would do."""
    planned = []
    for written in dict.fromkeys(a for a in (normalise(x) for x in addresses) if a):
        found = await _team_route(item, written)
        if found is None:
            continue
        routed, queue = found
        linked = await _linked_in(item, routed.department_id)
        department = await Department.get(id=routed.department_id)
        team = await Team.get_or_none(id=queue.team_id)
        planned.append(TeamRecipient(
            address=written, mailbox_address=routed.address, department_id=department.id, department_name=department.name,
            team_name=team.name if team else None, action=SHARE if linked else CREATE, item=linked,
            header_only=linked is not None and not visibility.can_see(viewer, linked), creates=routed.creates,
        ))
    return planned


async def prepare(uow: UnitOfWork, viewer: Viewer, item: WorkItem, to: list[str], cc: list[str], decisions: list[TeamDecision],
                  *, body: str = "") -> Prepared:
    """Carry out the agent's decisions before the email is queued: every recipient that is another
    team's mailbox needs one (VALIDATION otherwise); new items are opened and linked; each such
    recipient is replaced by its item's plus address."""
    planned = {p.address: p for p in await plan(viewer, item, [*to, *cc])}
    chosen = {normalise(d.address): d for d in decisions}
    missing = sorted(set(planned) - set(chosen))
    if missing:
        raise ValidationError.single("teamRecipients", f"say what to do for {', '.join(missing)} (another team's mailbox): SHARE or CREATE")
    unknown = sorted(a for a in chosen if a not in planned)
    if unknown:
        raise ValidationError.single("teamRecipients", f"{', '.join(str(a) for a in unknown)} is not another team's mailbox among the recipients")
    replaced: dict[str, str] = {}
    targets: list[WorkItem] = []
    for address, recipient in planned.items():
        decision = chosen[address]
        if decision.action == SHARE:
            if recipient.item is None:
                raise ValidationError.single("teamRecipients", f"no item of {recipient.department_name} is linked to {item.ref}: CREATE one for {address}")
            target = recipient.item
        elif decision.action == CREATE:
            target = await _create_for(uow, item, recipient, decision, body)
        else:
            raise ValidationError.single("teamRecipients", f"{decision.action!r} is neither SHARE nor CREATE")
        targets.append(target)
        replaced[address] = plus_address(recipient.mailbox_address, target.ref)
    return Prepared(to=[replaced.get(normalise(a) or a, a) for a in to], cc=[replaced.get(normalise(a) or a, a) for a in cc], targets=targets)


async def _create_for(uow: UnitOfWork, item: WorkItem, recipient: TeamRecipient, decision: TeamDecision, body: str) -> WorkItem:
    title = (decision.title or "").strip()
    if not title:
        raise ValidationError.single("teamRecipients", f"a new item for {recipient.department_name} needs a title")
    found = await _team_route(item, recipient.address)
    routed, queue = found  # planned a moment ago
    mailbox = await Mailbox.get_or_none(address=routed.address)
    kind = WorkItemType.CASE if recipient.creates is WorkItemType.CASE and mailbox is not None and mailbox.case_type_id else WorkItemType.TICKET
    created = await create_submitted(
        uow, kind, routed.department_id, queue, {"title": title[:500], "description": body or None,
                                                 "requester_id": item.requester_id, "primary_contact_id": item.primary_contact_id},
        case_type_id=mailbox.case_type_id if kind is WorkItemType.CASE else None, company_id=item.company_id,
    )
    await links.add_link(uow, item, created, None)
    return created


async def share(uow: UnitOfWork, viewer: Viewer, item: WorkItem, email: Email, prepared: Prepared) -> None:
    """Show the queued email on every team item it was sent to."""
    for target in prepared.targets:
        await links.share_to(uow, email, item, target, viewer)
