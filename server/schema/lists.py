"""Root query fields of the work lists (SPEC §2.2 rule 4, §8) and the inputs that sort and filter them."""

from __future__ import annotations

from typing import Annotated, Optional

import strawberry

from server.domain.lists import Direction as DirectionEnum
from server.domain.lists import SortField as SortFieldEnum
from server.resolvers import work_items as resolvers
from server.schema.scalars import JSON
from server.schema.work_items import WorkItemConnection, WorkItemFilter

WorkItemSortField = strawberry.enum(
    SortFieldEnum,
    name="WorkItemSortField",
    description="STATUS sorts in life-cycle order (DRAFT … CLOSED), TYPE as TICKET, CASE, ACTION, REF in the order "
    "references were handed out, TITLE ignoring case.",
)
SortDirection = strawberry.enum(DirectionEnum, name="SortDirection")


@strawberry.input(description="One sort key. Items without a value (no due date, no title) come last either way.")
class WorkItemOrder:
    field: WorkItemSortField
    direction: Optional[SortDirection] = DirectionEnum.ASC


@strawberry.input(description="customData[key] equals value; a null value matches items without the key.")
class CustomDataCondition:
    key: str
    value: Optional[JSON] = None


@strawberry.input(description="customData[key], a text or a number, contains text, ignoring case.")
class CustomDataTextCondition:
    key: str
    text: str


_ORDER = "Sort keys applied in turn; ties end in reference order."
_PAGE = "At most 100 a page; pass a page's endCursor as `after` with the same list and order for the next."


@strawberry.type
class ListQuery:
    @strawberry.field(description=f"My inbox: items assigned to me, TO_DO or IN_PROGRESS; earliest due first. {_PAGE}")
    async def inbox(
        self,
        info: strawberry.Info,
        filter: Optional[WorkItemFilter] = None,
        order_by: Annotated[Optional[list[WorkItemOrder]], strawberry.argument(description=_ORDER)] = None,
        first: int = 20,
        after: Optional[str] = None,
    ) -> WorkItemConnection:
        return await resolvers.inbox(info, filter, order_by, first, after)

    @strawberry.field(
        description=f"My owned work: items assigned to me that wait (any wait type); earliest follow-up first, "
        f"then due. {_PAGE}"
    )
    async def owned_work(
        self,
        info: strawberry.Info,
        filter: Optional[WorkItemFilter] = None,
        order_by: Annotated[Optional[list[WorkItemOrder]], strawberry.argument(description=_ORDER)] = None,
        first: int = 20,
        after: Optional[str] = None,
    ) -> WorkItemConnection:
        return await resolvers.owned_work(info, filter, order_by, first, after)

    @strawberry.field(
        description=f"A queue's items I may see: TO_DO unless the filter names statuses; earliest due first. {_PAGE}"
    )
    async def queue_items(
        self,
        info: strawberry.Info,
        queue_id: strawberry.ID,
        filter: Optional[WorkItemFilter] = None,
        order_by: Annotated[Optional[list[WorkItemOrder]], strawberry.argument(description=_ORDER)] = None,
        first: int = 20,
        after: Optional[str] = None,
    ) -> WorkItemConnection:
        return await resolvers.queue_items(info, queue_id, filter, order_by, first, after)

    @strawberry.field(
        description="A team's items, for its members and leaders (admins: any team): open ones (TO_DO, IN_PROGRESS, "
        f"WAITING) unless the filter names statuses; earliest due first. {_PAGE}"
    )
    async def team_items(
        self,
        info: strawberry.Info,
        team_id: strawberry.ID,
        filter: Optional[WorkItemFilter] = None,
        order_by: Annotated[Optional[list[WorkItemOrder]], strawberry.argument(description=_ORDER)] = None,
        first: int = 20,
        after: Optional[str] = None,
    ) -> WorkItemConnection:
        return await resolvers.team_items(info, team_id, filter, order_by, first, after)
