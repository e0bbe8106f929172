"""Reports: the team overview and the user overview (SPEC §8)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from server.domain import reports as domain
from server.schema.org import Team, User
from server.schema.work_items.enums import Status


@strawberry.type(description="How many items are in one status.")
class StatusCount:
    status: Status
    count: int


@strawberry.type(description="Work items' figures over what you may see: counts now, and what was resolved in the period.")
class WorkOverview:
    total: int = strawberry.field(description="Every item counted, whatever its status.")
    open: int = strawberry.field(description="TO_DO, IN_PROGRESS and WAITING.")
    by_status: list[StatusCount] = strawberry.field(description="Every status, zeros included, in the status machine's order.")
    overdue: int = strawberry.field(description="Open and past their due date while the SLA clock runs.")
    resolved_in_period: int
    average_resolve_seconds: Optional[float] = strawberry.field(
        description="From submission to resolution, over those resolved in the period; null when none was."
    )
    sla_met_percent: Optional[float] = strawberry.field(
        description="Of those resolved in the period with a due date, the percentage resolved by it; null when none was."
    )

    @classmethod
    def from_domain(cls, o: domain.Overview) -> "WorkOverview":
        return cls(
            total=o.total, open=o.open, by_status=[StatusCount(status=s, count=n) for s, n in o.by_status.items()],
            overdue=o.overdue, resolved_in_period=o.resolved,
            average_resolve_seconds=o.average_resolve_seconds, sla_met_percent=o.sla_met_percent,
        )


@strawberry.type(description="One member's part of a team overview: the team's items they hold, or last held when nobody holds them now.")
class MemberOverview:
    user: User
    overview: WorkOverview


@strawberry.type(description="A team's items: the whole team, each member, and what nobody holds or held.")
class TeamOverview:
    team: Team
    period_from: datetime = strawberry.field(name="from")
    period_to: datetime = strawberry.field(name="to")
    overview: WorkOverview
    members: list[MemberOverview]
    unassigned: WorkOverview

    @classmethod
    def from_domain(cls, r: domain.TeamReport) -> "TeamOverview":
        return cls(
            team=Team.from_model(r.team), period_from=r.period.start, period_to=r.period.end,
            overview=WorkOverview.from_domain(r.overview),
            members=[MemberOverview(user=User.from_model(m.user), overview=WorkOverview.from_domain(m.overview)) for m in r.members],
            unassigned=WorkOverview.from_domain(r.unassigned),
        )


@strawberry.type(description="A user's items: those assigned to them, and those last assigned to them that nobody holds now.")
class UserOverview:
    user: User
    period_from: datetime = strawberry.field(name="from")
    period_to: datetime = strawberry.field(name="to")
    overview: WorkOverview

    @classmethod
    def from_domain(cls, r: domain.UserReport) -> "UserOverview":
        return cls(user=User.from_model(r.user), period_from=r.period.start, period_to=r.period.end, overview=WorkOverview.from_domain(r.overview))
