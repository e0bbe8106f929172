"""GraphQL types of the team bar (SPEC §6): each member of a team with what they work on now,
their presence and the counts of their work."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.domain.team_bar import MemberState, TeamBarState
from server.schema.org import Presence, Team, User
from server.schema.work_items import WorkItem



@strawberry.type(description="One person on a team bar: a member or a leader of the team.")
class TeamBarMember:
    user: User
    leader: bool = strawberry.field(description="Leads the team (leaders are on the bar whether members or not).")
    current_item: Optional[WorkItem] = strawberry.field(
        description="What they work on now: their IN_PROGRESS item changed last; null when none, or not yours to see."
    )
    inbox: int = strawberry.field(description="Items assigned to them, TO_DO: not started yet.")
    in_progress: int = strawberry.field(description="Items assigned to them, IN_PROGRESS.")
    waiting: int = strawberry.field(description="Items assigned to them, WAITING (any wait type).")
    overdue: int = strawberry.field(description="Open items assigned to them past their due date while the SLA clock runs.")
    presence: Presence

    @classmethod
    def from_state(cls, state: MemberState) -> "TeamBarMember":
        return cls(
            user=User(id=strawberry.ID(str(state.user_id)), name=state.name, email=state.email, role=state.role),
            leader=state.leads,
            current_item=WorkItem.from_model(state.current_item) if state.current_item is not None else None,
            inbox=state.counts.inbox,
            in_progress=state.counts.in_progress,
            waiting=state.counts.waiting,
            overdue=state.counts.overdue,
            presence=state.presence,
        )


@strawberry.type(description="A team's members and leaders with their work now; counts cover all their items.")
class TeamBar:
    team: Team
    members: list[TeamBarMember]

    @classmethod
    def from_state(cls, state: TeamBarState) -> "TeamBar":
        return cls(
            team=Team(id=strawberry.ID(str(state.team_id)), name=state.team_name),
            members=[TeamBarMember.from_state(m) for m in state.members],
        )
