"""GraphQL types and root fields of the organisation administration (SPEC §1): users and robots,
sessions, companies, categories, teams and queues. They return the organisation's own types
(server.schema.org); what only administration shows (a user's active flag, an invitation token
shown once) is in the payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from models.session import Session as SessionModel
from server.domain.organisation import sessions as session_domain
from server.domain.organisation import users as user_domain
from server.resolvers import org_admin as resolvers
from server.schema.org import Category, Company, Queue, Role, Team, User


@strawberry.type(description="A sign-in session: each login, and each token issued to a robot.")
class Session:
    id: strawberry.ID
    created_at: datetime
    expires_at: datetime
    revoked_at: Optional[datetime] = strawberry.field(description="When it was ended (logout, revocation); null while it works.")
    client_address: Optional[str]

    @classmethod
    def from_model(cls, row: SessionModel) -> "Session":
        return cls(id=strawberry.ID(str(row.id)), created_at=row.created_at, expires_at=row.expires_at,
                   revoked_at=row.revoked_at, client_address=row.client_address)


@strawberry.type(description="A user as administration sees them.")
class UserAccount:
    user: User
    active: bool
    invitation_token: Optional[str] = strawberry.field(
        description="The invitation (createUser with invite, inviteUser), shown this once: the user sets "
        "their password with acceptInvitation(token, password) within 7 days. Null otherwise."
    )

    @classmethod
    def from_change(cls, change: user_domain.UserChange) -> "UserAccount":
        return cls(user=User.from_model(change.user), active=change.user.is_active, invitation_token=change.invitation_token)


@strawberry.type
class RobotToken:
    token: str = strawberry.field(description="The robot's bearer token, shown this once.")
    expires_at: datetime
    session: Session

    @classmethod
    def from_issued(cls, issued: session_domain.IssuedToken) -> "RobotToken":
        return cls(token=issued.token, expires_at=issued.expires_at, session=Session.from_model(issued.session))


@strawberry.type
class CategoryAccount:
    category: Category
    active: bool = strawberry.field(description="Inactive categories cannot be chosen for items.")


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    role: Role
    password: Optional[str] = strawberry.field(default=None, description="An initial password (at least 8 characters).")
    invite: bool = strawberry.field(default=False, description="Issue an invitation instead of a password.")
    language: Optional[str] = None


@strawberry.input
class UpdateUserInput:
    email: Optional[str] = strawberry.UNSET
    name: Optional[str] = strawberry.UNSET
    role: Optional[Role] = strawberry.UNSET
    password: Optional[str] = strawberry.field(default=strawberry.UNSET, description="A new password ends the user's sessions.")
    language: Optional[str] = strawberry.UNSET


@strawberry.input
class TeamInput:
    name: Optional[str] = strawberry.UNSET
    member_ids: Optional[list[strawberry.ID]] = strawberry.field(default=strawberry.UNSET, description="The whole new list.")
    leader_ids: Optional[list[strawberry.ID]] = strawberry.field(default=strawberry.UNSET, description="The whole new list.")


@strawberry.input
class CreateTeamInput:
    name: str
    member_ids: Optional[list[strawberry.ID]] = None
    leader_ids: Optional[list[strawberry.ID]] = strawberry.field(
        default=None, description="A team leader creating a team leads it in any case."
    )


@strawberry.input
class CreateQueueInput:
    team_id: strawberry.ID
    name: str
    department_id: strawberry.ID = strawberry.field(description="A department you see.")


@strawberry.input
class UpdateQueueInput:
    name: Optional[str] = strawberry.UNSET
    department_id: Optional[strawberry.ID] = strawberry.UNSET


@strawberry.type
class OrgAdminQuery:
    @strawberry.field(description="A user's live sessions (all of them with includeEnded), newest first, at most 100. Admins only.")
    async def user_sessions(self, info: strawberry.Info, user_id: strawberry.ID, include_ended: bool = False) -> list[Session]:
        return [Session.from_model(s) for s in await resolvers.user_sessions(info, user_id, include_ended)]


@strawberry.type
class OrgAdminMutation:
    @strawberry.mutation(description="Create a user or robot: with an initial password or an invitation (robots: neither). Admins only.")
    async def create_user(self, info: strawberry.Info, input: CreateUserInput) -> UserAccount:
        return UserAccount.from_change(await resolvers.create_user(info, input))

    @strawberry.mutation(description="Edit a user (what is given). Admins only.")
    async def update_user(self, info: strawberry.Info, id: strawberry.ID, input: UpdateUserInput) -> UserAccount:
        return UserAccount.from_change(await resolvers.update_user(info, id, input))

    @strawberry.mutation(description="Deactivate a user: their sessions end, their live connections close. Admins only.")
    async def deactivate_user(self, info: strawberry.Info, id: strawberry.ID) -> UserAccount:
        return UserAccount.from_change(await resolvers.set_user_active(info, id, False))

    @strawberry.mutation(description="Reactivate a user (they sign in again). Admins only.")
    async def reactivate_user(self, info: strawberry.Info, id: strawberry.ID) -> UserAccount:
        return UserAccount.from_change(await resolvers.set_user_active(info, id, True))

    @strawberry.mutation(description="A new invitation for a user (earlier ones stop working). Admins only.")
    async def invite_user(self, info: strawberry.Info, id: strawberry.ID) -> UserAccount:
        return UserAccount.from_change(await resolvers.invite_user(info, id))

    @strawberry.mutation(description="Set your password with an invitation token (no sign-in needed); the invitation is used up.")
    async def accept_invitation(self, token: str, password: str) -> User:
        return User.from_model(await resolvers.accept_invitation(token, password))

    @strawberry.mutation(description="Issue a robot a bearer token (a session). Admins only.")
    async def issue_robot_token(self, info: strawberry.Info, user_id: strawberry.ID) -> RobotToken:
        return RobotToken.from_issued(await resolvers.issue_robot_token(info, user_id))

    @strawberry.mutation(description="Sign out: this token stops working and its live connections close.")
    async def logout(self, info: strawberry.Info) -> bool:
        return await resolvers.logout(info)

    @strawberry.mutation(description="End all of a user's sessions; how many were live. Admins only.")
    async def revoke_user_sessions(self, info: strawberry.Info, user_id: strawberry.ID) -> int:
        return await resolvers.revoke_user_sessions(info, user_id)

    @strawberry.mutation(description="Admins only.")
    async def create_company(self, info: strawberry.Info, name: str) -> Company:
        return Company.from_model(await resolvers.create_company(info, name))

    @strawberry.mutation(description="Admins only.")
    async def rename_company(self, info: strawberry.Info, id: strawberry.ID, name: str) -> Company:
        return Company.from_model(await resolvers.rename_company(info, id, name))

    @strawberry.mutation(description="Delete a company no contact or work item refers to (CONFLICT otherwise); its id. Admins only.")
    async def delete_company(self, info: strawberry.Info, id: strawberry.ID) -> strawberry.ID:
        return strawberry.ID(str(await resolvers.delete_company(info, id)))

    @strawberry.mutation(description="Admins only.")
    async def create_category(self, info: strawberry.Info, name: str) -> CategoryAccount:
        row = await resolvers.create_category(info, name)
        return CategoryAccount(category=Category.from_model(row), active=row.is_active)

    @strawberry.mutation(description="Rename, deactivate (active: false) or reactivate a category. Admins only.")
    async def update_category(
        self, info: strawberry.Info, id: strawberry.ID, name: Optional[str] = None, active: Optional[bool] = None
    ) -> CategoryAccount:
        row = await resolvers.update_category(info, id, name, active)
        return CategoryAccount(category=Category.from_model(row), active=row.is_active)

    @strawberry.mutation(description="Team leaders (who then lead it) and admins.")
    async def create_team(self, info: strawberry.Info, input: CreateTeamInput) -> Team:
        return Team.from_model(await resolvers.create_team(info, input))

    @strawberry.mutation(description="A leader of the team or an admin: name, members, leaders (whole lists).")
    async def update_team(self, info: strawberry.Info, id: strawberry.ID, input: TeamInput) -> Team:
        return Team.from_model(await resolvers.update_team(info, id, input))

    @strawberry.mutation(description="A leader of the team or an admin; the department must be one you see.")
    async def create_queue(self, info: strawberry.Info, input: CreateQueueInput) -> Queue:
        return Queue.from_model(await resolvers.create_queue(info, input))

    @strawberry.mutation(description="A leader of the queue's team or an admin.")
    async def update_queue(self, info: strawberry.Info, id: strawberry.ID, input: UpdateQueueInput) -> Queue:
        return Queue.from_model(await resolvers.update_queue(info, id, input))
