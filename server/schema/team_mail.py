"""Mail between internal teams (SPEC §5.3): what sending will do for recipients that are other
teams' mailboxes, asked before sending, and the agent's answer for each."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import strawberry

from server.schema.work_items import WorkItemType


@strawberry.enum(description="SHARE: show the email on the other team's linked item; CREATE: open a new linked item for that team.")
class TeamMailAction(Enum):
    SHARE = "SHARE"
    CREATE = "CREATE"


@strawberry.type(description="A recipient that is another team's Switchboard mailbox, and what sending will do for it.")
class TeamRecipientPlan:
    address: str
    mailbox_address: str
    department_name: str
    team_name: Optional[str]
    action: TeamMailAction = strawberry.field(description="What it will do unless told otherwise: SHARE when that team has an item linked to this one, else CREATE.")
    linked_ref: Optional[str] = strawberry.field(description="SHARE: the linked item's reference.")
    header_only: bool = strawberry.field(description="You may see that item's header only (its department is not yours).")
    creates: WorkItemType = strawberry.field(description="CREATE: what that team's mailbox opens.")


@strawberry.input(description="Your answer for one recipient that is another team's mailbox.")
class TeamRecipientInput:
    address: str
    action: TeamMailAction
    title: Optional[str] = strawberry.field(default=None, description="CREATE: the new item's title.")
