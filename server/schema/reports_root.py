"""The reports' root fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import strawberry

from server.resolvers import reports as resolvers
from server.schema.reports import TeamOverview, UserOverview


@strawberry.type
class ReportQuery:
    @strawberry.field(description=(
        "A team's overview over the items you may see, for its members, its leaders and admins (NOT_FOUND for anyone else). "
        "The period [from, to) defaults to the 30 days up to now, at most 366 days."
    ))
    async def team_overview(
        self, info: strawberry.Info, team_id: strawberry.ID,
        period_from: Annotated[Optional[datetime], strawberry.argument(name="from")] = None,
        period_to: Annotated[Optional[datetime], strawberry.argument(name="to")] = None,
    ) -> TeamOverview:
        return await resolvers.team_overview(info, team_id, period_from, period_to)

    @strawberry.field(description=(
        "A user's overview over the items you may see, for the user, the leaders of their teams and admins (NOT_FOUND for anyone else). "
        "The period [from, to) defaults to the 30 days up to now, at most 366 days."
    ))
    async def user_overview(
        self, info: strawberry.Info, user_id: strawberry.ID,
        period_from: Annotated[Optional[datetime], strawberry.argument(name="from")] = None,
        period_to: Annotated[Optional[datetime], strawberry.argument(name="to")] = None,
    ) -> UserOverview:
        return await resolvers.user_overview(info, user_id, period_from, period_to)
