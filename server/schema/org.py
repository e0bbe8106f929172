"""GraphQL types of the organisation: companies, departments, teams, queues, users, contacts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Optional

import strawberry

from models import contact as contact_models
from models import org as org_models
from models.enums import Role as RoleEnum
from server.domain.team_bar import Presence as PresenceEnum
from server.resolvers import directory_relations as relations

if TYPE_CHECKING:
    from server.schema.work_items.connection import WorkItemConnection

Role = strawberry.enum(RoleEnum, name="Role", description="What an employee is.")
Presence = strawberry.enum(PresenceEnum, name="Presence", description="Whether a person is connected, and active.")


@strawberry.type
class Company:
    id: strawberry.ID
    name: str

    @classmethod
    def from_model(cls, row: org_models.Company) -> "Company":
        return cls(id=strawberry.ID(str(row.id)), name=row.name)


@strawberry.type
class Department:
    id: strawberry.ID
    name: str
    sla_hours: int
    language: str

    @classmethod
    def from_model(cls, row: org_models.Department) -> "Department":
        return cls(id=strawberry.ID(str(row.id)), name=row.name, sla_hours=row.sla_hours, language=row.language)


@strawberry.type
class Team:
    id: strawberry.ID
    name: str

    @strawberry.field(description="Its members, by name.")
    async def members(self, info: strawberry.Info) -> list["User"]:
        return [User.from_model(u) for u in await relations.team_members(info, int(self.id))]

    @strawberry.field(description="Its leaders (members or not), by name.")
    async def leaders(self, info: strawberry.Info) -> list["User"]:
        return [User.from_model(u) for u in await relations.team_leaders(info, int(self.id))]

    @strawberry.field(description="The queues it owns in departments you may see, by name.")
    async def queues(self, info: strawberry.Info) -> list["Queue"]:
        return [Queue.from_model(q) for q in await relations.team_queues(info, int(self.id))]

    @classmethod
    def from_model(cls, row: org_models.Team) -> "Team":
        return cls(id=strawberry.ID(str(row.id)), name=row.name)


@strawberry.type
class Queue:
    id: strawberry.ID
    name: str
    team_id: strawberry.ID
    department_id: strawberry.ID

    @strawberry.field
    async def team(self, info: strawberry.Info) -> Team:
        return Team.from_model(await relations.team(info, int(self.team_id)))

    @strawberry.field
    async def department(self, info: strawberry.Info) -> Department:
        return Department.from_model(await relations.department(info, int(self.department_id)))

    @classmethod
    def from_model(cls, row: org_models.Queue) -> "Queue":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            team_id=strawberry.ID(str(row.team_id)),
            department_id=strawberry.ID(str(row.department_id)),
        )


@strawberry.type
class User:
    id: strawberry.ID
    name: str
    email: str
    role: Role
    known_active: strawberry.Private[Optional[bool]] = None

    @strawberry.field(description="False once deactivated: they can no longer sign in.")
    async def is_active(self, info: strawberry.Info) -> bool:
        if self.known_active is not None:
            return self.known_active
        return await relations.user_is_active(info, int(self.id))

    @strawberry.field(description="The teams they are a member or leader of, as far as you may see teams; by name.")
    async def teams(self, info: strawberry.Info) -> list[Team]:
        return [Team.from_model(t) for t in await relations.user_teams(info, int(self.id))]

    @strawberry.field(description="The departments they have access to (personally or through a group), as far as you may see them; by name.")
    async def departments(self, info: strawberry.Info) -> list[Department]:
        return [Department.from_model(d) for d in await relations.user_departments(info, int(self.id))]

    @strawberry.field(description="ONLINE, AWAY or OFFLINE, over all their live connections.")
    async def presence(self, info: strawberry.Info) -> Presence:
        return await relations.user_presence(info, int(self.id))

    @classmethod
    def from_model(cls, row: org_models.User) -> "User":
        return cls(id=strawberry.ID(str(row.id)), name=row.name, email=row.email, role=row.role, known_active=row.is_active)


@strawberry.type(description="An external person (SPEC §1): World when companyId is null, else one company's.")
class Contact:
    id: strawberry.ID
    name: str
    email: str
    company_id: Optional[strawberry.ID] = strawberry.field(description="Null for a World contact.")
    language: str
    time_zone: str
    office: Optional[str]
    phone: Optional[str]
    portal_enabled: bool
    test_mode: bool = strawberry.field(description="Created in test mode: listed only with contacts(testMode: true).")
    created_at: datetime
    row: strawberry.Private[contact_models.Contact]

    @strawberry.field(description="Null for a World contact.")
    async def company(self) -> Optional[Company]:
        if self.row.company_id is None:
            return None
        cached = getattr(self.row, "_company", None)  # set by prefetch_related("company")
        company = cached if isinstance(cached, org_models.Company) else await org_models.Company.get(id=self.row.company_id)
        return Company.from_model(company)

    @strawberry.field(description="The contact's tags, by name.")
    async def tags(self) -> list[str]:
        tags = self.row.tags.related_objects if self.row.tags._fetched else await self.row.tags.all()
        return sorted(t.name for t in tags)

    @strawberry.field(description="The contact's activity: the work items it is on (as requester, primary contact or one of "
                      "the others) that you may see, newest first.")
    async def activity(
        self, info: strawberry.Info, first: int = 20, after: Optional[str] = None
    ) -> Annotated["WorkItemConnection", strawberry.lazy("server.schema.work_items.connection")]:
        from server.resolvers.contacts import contact_activity

        return await contact_activity(info, self.row.id, first, after)

    @classmethod
    def from_model(cls, row: contact_models.Contact) -> "Contact":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            email=row.email,
            company_id=strawberry.ID(str(row.company_id)) if row.company_id else None,
            language=row.language,
            time_zone=row.timezone,
            office=row.office,
            phone=row.phone,
            portal_enabled=row.portal_enabled,
            test_mode=row.test_mode,
            created_at=row.created_at,
            row=row,
        )


@strawberry.type
class Category:
    id: strawberry.ID
    name: str

    @classmethod
    def from_model(cls, row: org_models.Category) -> "Category":
        return cls(id=strawberry.ID(str(row.id)), name=row.name)
