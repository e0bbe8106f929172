"""Reports: parse the input, ask the domain, map the figures."""

from __future__ import annotations

from datetime import datetime

import strawberry

from server.domain import reports
from server.resolvers.context import require_viewer
from server.resolvers.inputs import to_id
from server.schema.reports import TeamOverview, UserOverview


async def team_overview(info: strawberry.Info, team_id: strawberry.ID, start: datetime | None, end: datetime | None) -> TeamOverview:
    viewer = await require_viewer(info)
    return TeamOverview.from_domain(await reports.team_overview(viewer, to_id(team_id, "teamId"), start, end))


async def user_overview(info: strawberry.Info, user_id: strawberry.ID, start: datetime | None, end: datetime | None) -> UserOverview:
    viewer = await require_viewer(info)
    return UserOverview.from_domain(await reports.user_overview(viewer, to_id(user_id, "userId"), start, end))
