"""The company-scope rule (SPEC §1, seed 004), written once: a work item's contacts share one
company, a World contact (no company) going with every item. Seen from the item
(server/domain/work_item_fields.py), a contact of another company is refused; seen from the
contact, it moves from World to one company only while none of its work items belongs to another.
"""

from __future__ import annotations

from tortoise.expressions import Q

from models.work_item import WorkItem
from server.domain.errors import FieldProblem


def joined(item_company_id: int | None, contact_company_id: int | None) -> tuple[bool, int | None]:
    """Whether a contact of `contact_company_id` may be on an item of `item_company_id`, and the
    item's company once it is. None is World (a contact of every company, an item of none yet)."""
    if contact_company_id is None:
        return True, item_company_id
    if item_company_id is None or item_company_id == contact_company_id:
        return True, contact_company_id
    return False, item_company_id


def on_items_of(contact_id: int) -> Q:
    """The work items a contact is on: as requester, primary contact or one of the others."""
    return Q(requester_id=contact_id) | Q(primary_contact_id=contact_id) | Q(contacts__id=contact_id)


async def company_move_problems(contact_id: int, company_id: int | None) -> list[FieldProblem]:
    """Why the contact may not move to `company_id` (None: to World, always allowed)."""
    if company_id is None:
        return []
    rows = await WorkItem.filter(on_items_of(contact_id)).filter(company_id__not_isnull=True).distinct().values_list("ref", "company_id")
    refs = sorted({ref for ref, item_company in rows if not joined(item_company, company_id)[0]})
    if not refs:
        return []
    return [FieldProblem("companyId", "the contact is on work items of another company: " + ", ".join(refs[:20]))]
