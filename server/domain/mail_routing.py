"""Where an inbound message goes (SPEC §5.2): the department and queue its recipient addresses
route it to, and the work item it continues, if any.

Routing looks at the recipients in the order the delivery recorded them — Delivered-To /
X-Original-To / Envelope-To, then To, then Cc — and takes the first that is a mailbox address, an
alias or a route (each without its +tag). A message no address routes is unhandled.

Threading takes, in order: the +tag of the routed address when plus addressing is on
(`support+T-1042@…`); the messages it answers (In-Reply-To, then References, newest first); a
work-item reference in its subject. A candidate counts only when the sender has business on it —
the item's requester or primary contact, one of its contacts, or someone on its mail (a sender or
recipient of one of its emails) — so a forged reference from anyone else starts a new item
instead of joining another department's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from models.contact import Contact
from models.email import BlockedAddress, Email, Mailbox, MailRoute
from models.enums import WorkItemType
from models.org import DepartmentAlias
from models.work_item import WorkItem
from server.domain import refs
from server.mail.addresses import plus_tag, subject_refs
from server.mail.parsing import ParsedMessage

MAX_THREAD_IDS = 50  # Message-IDs of a message's thread that are looked up
BUSINESS_EMAILS = 500  # the newest emails of an item searched for the sender


@dataclass(frozen=True)
class Route:
    address: str  # the recipient address that routed the message (without its +tag)
    tag: str | None  # that address's +tag, if any
    department_id: int
    queue_id: int | None
    creates: WorkItemType
    case_type_id: int | None
    mailbox_id: int | None = None


def recipients(parsed: ParsedMessage) -> list[str]:
    return list(dict.fromkeys([*parsed.delivered_to, *parsed.to, *parsed.cc]))


async def route(parsed: ParsedMessage) -> Route | None:
    tagged = [plus_tag(address) for address in recipients(parsed)]
    routes = await _routes(sorted({base for base, _ in tagged}))
    for base, tag in tagged:
        if base in routes:
            return replace(routes[base], tag=tag)
    return None


async def route_address(address: str) -> Route | None:
    """Where mail to `address` (without a +tag) goes, if anywhere."""
    return (await _routes([address])).get(address)


async def _routes(bases: list[str]) -> dict[str, Route]:
    """The route of each of `bases` that is a mailbox, an alias or a route (in that order)."""
    if not bases:
        return {}
    found: dict[str, Route] = {}
    for r in await MailRoute.filter(address__in=bases):
        found[r.address] = Route(r.address, None, r.department_id, r.queue_id, r.creates, r.case_type_id)
    for a in await DepartmentAlias.filter(address__in=bases):
        found[a.address] = Route(a.address, None, a.department_id, a.queue_id, WorkItemType.TICKET, None)
    for m in await Mailbox.filter(address__in=bases):
        found[m.address] = Route(m.address, None, m.department_id, m.queue_id, m.creates, m.case_type_id, m.id)
    return found


async def is_blocked(address: str | None) -> bool:
    """Mail from this address, or from its whole domain ("@domain"), is stored as deleted."""
    if not address or "@" not in address:
        return False
    return await BlockedAddress.filter(address__in=[address, "@" + address.rpartition("@")[2]]).exists()


async def continued_item(parsed: ParsedMessage, routed: Route, plus_addressing: bool) -> WorkItem | None:
    """The work item this message continues, or None (a new one is opened)."""
    for candidate in await _candidates(parsed, routed, plus_addressing):
        if await has_business(parsed.from_address, candidate):
            return candidate
    return None


async def _candidates(parsed: ParsedMessage, routed: Route, plus_addressing: bool) -> list[WorkItem]:
    found: list[WorkItem] = []
    if plus_addressing and routed.tag:
        item = await WorkItem.get_or_none(ref=refs.normalise(routed.tag))
        if item is not None:
            found.append(item)
    thread = parsed.thread_ids[:MAX_THREAD_IDS]
    if thread:
        by_id = {}
        for email in await Email.filter(message_id__in=thread, work_item_id__not_isnull=True).order_by("-id"):
            by_id.setdefault(email.message_id, email.work_item_id)
        ids = [by_id[m] for m in thread if m in by_id]
        items = {i.id: i for i in await WorkItem.filter(id__in=set(ids))}
        found.extend(items[i] for i in dict.fromkeys(ids) if i in items)
    mentioned = subject_refs(parsed.subject)
    if mentioned:
        items = {i.ref: i for i in await WorkItem.filter(ref__in=mentioned)}
        found.extend(items[r] for r in mentioned if r in items)
    unique: dict[int, WorkItem] = {}
    for item in found:
        unique.setdefault(item.id, item)
    return list(unique.values())


async def has_business(address: str | None, item: WorkItem) -> bool:
    """Whether `address` is the item's requester or primary contact, one of its contacts, or on
    its mail."""
    if not address:
        return False
    people = [i for i in (item.requester_id, item.primary_contact_id) if i]
    if people and await Contact.filter(id__in=people, email=address).exists():
        return True
    if await Contact.filter(email=address, work_items__id=item.id).exists():
        return True
    emails = await Email.filter(work_item_id=item.id).order_by("-id").limit(BUSINESS_EMAILS).values(
        "from_address", "to_addresses", "cc_addresses", "reply_to"
    )
    for email in emails:
        if address in (email["from_address"], email["reply_to"]) or address in (email["to_addresses"] or []) or address in (email["cc_addresses"] or []):
            return True
    return False
