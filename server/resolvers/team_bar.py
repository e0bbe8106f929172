"""Resolvers of the team bar queries."""

from __future__ import annotations

import strawberry

from server.domain import team_bar
from server.resolvers.context import require_viewer
from server.resolvers.inputs import to_id
from server.schema.team_bar import TeamBar


async def team_bar_of(info: strawberry.Info, team_id: strawberry.ID) -> TeamBar:
    viewer = await require_viewer(info)
    return TeamBar.from_state(await team_bar.team_bar(viewer, to_id(team_id, "teamId")))


async def my_team_bars(info: strawberry.Info) -> list[TeamBar]:
    viewer = await require_viewer(info)
    return [TeamBar.from_state(state) for state in await team_bar.my_team_bars(viewer)]
