"""GraphQL types of the signed-in viewer and of signing in."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from models import org as org_models
from server.domain.viewer import Viewer as DomainViewer
from server.domain.viewer import ViewerKind as ViewerKindEnum
from server.schema.org import Company, Department, Role, Team

ViewerKind = strawberry.enum(ViewerKindEnum, name="ViewerKind", description="An employee, a portal contact or a partner system.")


@strawberry.type(name="Viewer")
class ViewerInfo:
    kind: ViewerKind
    id: strawberry.ID
    name: str
    email: Optional[str]
    role: Optional[Role]
    can_write: bool
    viewer: strawberry.Private[DomainViewer]

    @classmethod
    def from_domain(cls, viewer: DomainViewer) -> "ViewerInfo":
        return cls(
            kind=viewer.kind,
            id=strawberry.ID(str(viewer.id)),
            name=viewer.name,
            email=viewer.email,
            role=viewer.role,
            can_write=viewer.can_write,
            viewer=viewer,
        )

    @strawberry.field(description="Departments whose every work item this viewer sees.")
    async def departments(self) -> list[Department]:
        query = org_models.Department.all() if self.viewer.is_admin else org_models.Department.filter(id__in=sorted(self.viewer.department_ids))
        return [Department.from_model(d) for d in await query.order_by("name")]

    @strawberry.field(description="Departments public for one of my groups: I see there only what I created.")
    async def public_departments(self) -> list[Department]:
        rows = await org_models.Department.filter(id__in=sorted(self.viewer.public_department_ids)).order_by("name")
        return [Department.from_model(d) for d in rows]

    @strawberry.field
    async def teams(self) -> list[Team]:
        rows = await org_models.Team.filter(id__in=sorted(self.viewer.team_ids)).order_by("name")
        return [Team.from_model(t) for t in rows]

    @strawberry.field(description="Teams I lead (team leaders).")
    async def led_teams(self) -> list[Team]:
        rows = await org_models.Team.filter(id__in=sorted(self.viewer.led_team_ids)).order_by("name")
        return [Team.from_model(t) for t in rows]

    @strawberry.field(description="A portal contact's company; null for World contacts and employees.")
    async def company(self) -> Optional[Company]:
        if self.viewer.company_id is None:
            return None
        row = await org_models.Company.get_or_none(id=self.viewer.company_id)
        return Company.from_model(row) if row else None


@strawberry.type
class LoginPayload:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    viewer: ViewerInfo
