"""The company-scope rule seen from the contact (seed 004): a contact moves from World to one
company only while none of its work items belongs to another company. (Seen from the item, a
contact of another company is refused in server/domain/work_item_fields.py.)"""

from __future__ import annotations

from tortoise.expressions import Q

from models.work_item import WorkItem
from server.domain.errors import FieldProblem


async def company_move_problems(contact_id: int, company_id: int | None) -> list[FieldProblem]:
    if company_id is None:
        return []
    refs = await (
        WorkItem.filter(Q(requester_id=contact_id) | Q(primary_contact_id=contact_id) | Q(contacts__id=contact_id))
        .filter(company_id__not_isnull=True)
        .exclude(company_id=company_id)
        .distinct()
        .order_by("ref")
        .values_list("ref", flat=True)
    )
    if not refs:
        return []
    return [FieldProblem("companyId", "the contact is on work items of another company: " + ", ".join(refs[:20]))]
