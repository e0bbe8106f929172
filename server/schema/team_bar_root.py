"""Root query fields of the team bar (merged into Query)."""

from __future__ import annotations

import strawberry

from server.resolvers import team_bar as resolvers
from server.schema.team_bar import TeamBar


@strawberry.type
class TeamBarQuery:
    team_bar: TeamBar = strawberry.field(
        resolver=resolvers.team_bar_of,
        description="A team's bar, for its members, its leaders and admins; NOT_FOUND for anyone else.",
    )
    my_team_bars: list[TeamBar] = strawberry.field(
        resolver=resolvers.my_team_bars, description="The bars of the teams I am a member of or lead, by team name."
    )
