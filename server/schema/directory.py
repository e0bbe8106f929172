"""The look-ups a client fills a form's ids from (issue 12): users, teams, queues, departments,
companies, categories and case types, as far as the viewer's directory reaches
(server/domain/directory.py), paged by name and searched by a name (or email) prefix."""

from __future__ import annotations

from typing import Annotated, Optional

import strawberry

from server.resolvers import directory as resolvers
from server.schema.org import Category, Company, Department, Queue, Role, Team, User
from server.schema.work_items import CaseType, PageInfo

_PAGE = "By name, at most 100 a page; pass a page's endCursor as `after` (with the same search and filters) for the next."
_SEARCH = "A prefix of the name, ignoring case"
Search = Annotated[Optional[str], strawberry.argument(description=f"{_SEARCH}.")]


def _connection(name: str, node: type, what: str):
    edge = strawberry.type(type(f"{name}Edge", (), {"__annotations__": {"cursor": str, "node": node}}), name=f"{name}Edge")
    connection = strawberry.type(
        type(f"{name}Connection", (), {"__annotations__": {"edges": list[edge], "page_info": PageInfo}}),
        name=f"{name}Connection",
        description=f"{what} {_PAGE}",
    )
    return edge, connection


UserEdge, UserConnection = _connection("User", User, "Users you may look up (and assign).")
TeamEdge, TeamConnection = _connection("Team", Team, "Teams you may look up.")
QueueEdge, QueueConnection = _connection("Queue", Queue, "Queues of the departments you see.")
DepartmentEdge, DepartmentConnection = _connection("Department", Department, "Departments you see.")
CompanyEdge, CompanyConnection = _connection("Company", Company, "Companies.")
CategoryEdge, CategoryConnection = _connection("Category", Category, "Categories (active ones; admins: all).")
CaseTypeEdge, CaseTypeConnection = _connection("CaseType", CaseType, "Case types.")
resolvers.CONNECTIONS.update(
    user=(UserEdge, UserConnection, User),
    team=(TeamEdge, TeamConnection, Team),
    queue=(QueueEdge, QueueConnection, Queue),
    department=(DepartmentEdge, DepartmentConnection, Department),
    company=(CompanyEdge, CompanyConnection, Company),
    category=(CategoryEdge, CategoryConnection, Category),
    case_type=(CaseTypeEdge, CaseTypeConnection, CaseType),
)

_SCOPE = "Portal contacts get an empty list."


@strawberry.type
class DirectoryQuery:
    @strawberry.field(
        description="Users to pick from: admins all; employees and API keys the members and leaders of the teams they see "
        f"and the staff of the departments they see. {_SCOPE} Search: a prefix of the name or email, ignoring case."
    )
    async def users(
        self,
        info: strawberry.Info,
        search: Annotated[Optional[str], strawberry.argument(description=f"{_SEARCH} or of the email.")] = None,
        role: Optional[Role] = None,
        team_id: Annotated[Optional[strawberry.ID], strawberry.argument(description="Members and leaders of this team.")] = None,
        department_id: Annotated[
            Optional[strawberry.ID], strawberry.argument(description="Who has access to this department (personally or through a group).")
        ] = None,
        active: Annotated[Optional[bool], strawberry.argument(description="Only active (true) or deactivated (false) users.")] = None,
        first: int = 20,
        after: Optional[str] = None,
    ) -> UserConnection:  # type: ignore[valid-type]
        return await resolvers.users(info, search, role, team_id, department_id, active, first, after)

    @strawberry.field(
        description="Teams: admins all; employees those they are a member or leader of and those owning a queue in a department "
        f"they see; API keys those owning a queue in their departments. {_SCOPE}"
    )
    async def teams(
        self,
        info: strawberry.Info,
        search: Search = None,
        member_id: Annotated[Optional[strawberry.ID], strawberry.argument(description="Teams this user is a member or leader of.")] = None,
        first: int = 20,
        after: Optional[str] = None,
    ) -> TeamConnection:  # type: ignore[valid-type]
        return await resolvers.teams(info, search, member_id, first, after)

    @strawberry.field(description=f"Queues of the departments you see. {_SCOPE}")
    async def queues(
        self,
        info: strawberry.Info,
        search: Search = None,
        team_id: Optional[strawberry.ID] = None,
        department_id: Optional[strawberry.ID] = None,
        first: int = 20,
        after: Optional[str] = None,
    ) -> QueueConnection:  # type: ignore[valid-type]
        return await resolvers.queues(info, search, team_id, department_id, first, after)

    @strawberry.field(description=f"Departments you see (granted or public for you; API keys: their scope). {_SCOPE}")
    async def departments(self, info: strawberry.Info, search: Search = None, first: int = 20, after: Optional[str] = None) -> DepartmentConnection:  # type: ignore[valid-type]
        return await resolvers.departments(info, search, first, after)

    @strawberry.field(description=f"Client companies. {_SCOPE}")
    async def companies(self, info: strawberry.Info, search: Search = None, first: int = 20, after: Optional[str] = None) -> CompanyConnection:  # type: ignore[valid-type]
        return await resolvers.companies(info, search, first, after)

    @strawberry.field(description="Categories to file work under: the active ones (admins: all).")
    async def categories(self, info: strawberry.Info, search: Search = None, first: int = 20, after: Optional[str] = None) -> CategoryConnection:  # type: ignore[valid-type]
        return await resolvers.categories(info, search, first, after)

    @strawberry.field(description=f"Case types to start cases from; `active`: only the active (true) or inactive (false) ones. {_SCOPE}")
    async def case_types(self, info: strawberry.Info, search: Search = None, active: Optional[bool] = None, first: int = 20, after: Optional[str] = None) -> CaseTypeConnection:  # type: ignore[valid-type]
        return await resolvers.case_types(info, search, first, after, active)

    @strawberry.field(description="A user of your directory; NOT_FOUND when missing or not yours to look up.")
    async def user(self, info: strawberry.Info, id: strawberry.ID) -> User:
        return await resolvers.user(info, id)

    @strawberry.field(description="A team of your directory; NOT_FOUND when missing or not yours to look up.")
    async def team(self, info: strawberry.Info, id: strawberry.ID) -> Team:
        return await resolvers.team(info, id)

    @strawberry.field(description="A queue of a department you see; NOT_FOUND when missing or not yours to look up.")
    async def queue(self, info: strawberry.Info, id: strawberry.ID) -> Queue:
        return await resolvers.queue(info, id)
