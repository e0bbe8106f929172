"""Resolver of the plan of an email's recipients that are other teams' mailboxes."""

from __future__ import annotations

import strawberry

from server.domain import team_mail, visibility
from server.domain.errors import ValidationError
from server.resolvers.context import require_viewer
from server.schema.team_mail import TeamMailAction, TeamRecipientPlan

MAX_RECIPIENTS = 100


async def team_recipients(info: strawberry.Info, ref: str, addresses: list[str]) -> list[TeamRecipientPlan]:
    viewer = await require_viewer(info)
    if len(addresses) > MAX_RECIPIENTS:
        raise ValidationError.single("addresses", f"at most {MAX_RECIPIENTS} addresses")
    item = await visibility.get_work_item(viewer, ref)
    return [
        TeamRecipientPlan(
            address=p.address, mailbox_address=p.mailbox_address, department_name=p.department_name, team_name=p.team_name,
            action=TeamMailAction(p.action), linked_ref=p.item.ref if p.item else None, header_only=p.header_only, creates=p.creates,
        )
        for p in await team_mail.plan(viewer, item, addresses)
    ]
