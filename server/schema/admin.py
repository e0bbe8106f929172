"""GraphQL types of department administration (SPEC §1, seed 003): department settings, user
groups, personal grants — and moving a work item to another department, which is not admin-only.
The root classes at the end are merged into Query and Mutation."""

from __future__ import annotations

from typing import Optional

import strawberry

from models import org as org_models
from server.domain import departments as domain
from server.schema.lifecycle import WorkItemChange
from server.schema.org import Department, User


@strawberry.type(description="A department with every setting an admin manages.")
class DepartmentSettings:
    id: strawberry.ID
    name: str
    sla_hours: int = strawberry.field(description="Hours from submit to the due date of new work.")
    language: str = strawberry.field(description="Given to contacts created from mail to the department.")
    notify_staff_of_new_tickets: bool
    assignees_only_from_staff: bool = strawberry.field(
        description="Assigning to a user without access to the department is rejected."
    )
    client_view_in_public: bool = strawberry.field(
        description="Who reaches an item only through a public grant may only reply and edit fields."
    )
    aliases: list[str] = strawberry.field(description="Alias addresses: mail sent to them lands in this department.")
    sender_name: Optional[str] = strawberry.field(description="Shown instead of the agent's name on outgoing mail.")
    signature: Optional[str]
    feedback_window_hours: Optional[int] = strawberry.field(description="Null: resolved work closes at once.")
    add_waiting_time_to_due: bool
    resolution_note_required: bool
    default_contact_group_id: Optional[strawberry.ID]
    smtp_connector_id: Optional[strawberry.ID]

    @classmethod
    def from_domain(cls, settings: domain.DepartmentSettings) -> "DepartmentSettings":
        d = settings.department
        return cls(
            id=strawberry.ID(str(d.id)),
            name=d.name,
            sla_hours=d.sla_hours,
            language=d.language,
            notify_staff_of_new_tickets=d.notify_staff_of_new_tickets,
            assignees_only_from_staff=d.assignees_only_from_staff,
            client_view_in_public=d.client_view_in_public,
            aliases=settings.aliases,
            sender_name=d.sender_name,
            signature=d.signature,
            feedback_window_hours=d.feedback_window_hours,
            add_waiting_time_to_due=d.add_waiting_time_to_due,
            resolution_note_required=d.resolution_note_required,
            default_contact_group_id=_id(d.default_contact_group_id),
            smtp_connector_id=_id(d.smtp_connector_id),
        )


def _id(pk: int | None) -> Optional[strawberry.ID]:
    return None if pk is None else strawberry.ID(str(pk))


def _departments(rows: object) -> list[Department]:
    return [Department.from_model(d) for d in sorted(rows, key=lambda d: d.name)]


@strawberry.input(description="Department settings; fields left out stay as they are (name is required to create).")
class DepartmentSettingsInput:
    name: Optional[str] = strawberry.UNSET
    sla_hours: Optional[int] = strawberry.field(default=strawberry.UNSET, description="1 to 8760.")
    language: Optional[str] = strawberry.field(default=strawberry.UNSET, description="A short code: en, pl, pt-BR.")
    notify_staff_of_new_tickets: Optional[bool] = strawberry.UNSET
    assignees_only_from_staff: Optional[bool] = strawberry.UNSET
    client_view_in_public: Optional[bool] = strawberry.UNSET
    aliases: Optional[list[str]] = strawberry.field(
        default=strawberry.UNSET, description="Replaces the alias list; each unique and not a mailbox's address."
    )
    sender_name: Optional[str] = strawberry.UNSET
    signature: Optional[str] = strawberry.UNSET
    feedback_window_hours: Optional[int] = strawberry.field(default=strawberry.UNSET, description="Null for none, else 1 to 8760.")
    add_waiting_time_to_due: Optional[bool] = strawberry.UNSET
    resolution_note_required: Optional[bool] = strawberry.UNSET
    default_contact_group_id: Optional[strawberry.ID] = strawberry.UNSET
    smtp_connector_id: Optional[strawberry.ID] = strawberry.UNSET


@strawberry.type(description="Employees grouped for access: departments in bulk, public departments, a default department.")
class UserGroup:
    id: strawberry.ID
    name: str
    default_department: Optional[Department] = strawberry.field(
        description="Preselected when members create work without a department."
    )
    departments: list[Department] = strawberry.field(description="Members see every item of these.")
    public_departments: list[Department] = strawberry.field(
        description="Members may create work here and see only what they created."
    )
    members: list[User]

    @classmethod
    def from_model(cls, row: org_models.UserGroup) -> "UserGroup":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            default_department=Department.from_model(row.default_department) if row.default_department else None,
            departments=_departments(row.departments),
            public_departments=_departments(row.public_departments),
            members=[User.from_model(u) for u in sorted(row.members, key=lambda u: u.name)],
        )


@strawberry.input(description="Fields left out stay as they are; each list given replaces the group's list.")
class UserGroupInput:
    name: Optional[str] = strawberry.UNSET
    default_department_id: Optional[strawberry.ID] = strawberry.UNSET
    department_ids: Optional[list[strawberry.ID]] = strawberry.UNSET
    public_department_ids: Optional[list[strawberry.ID]] = strawberry.UNSET
    member_ids: Optional[list[strawberry.ID]] = strawberry.UNSET


@strawberry.type(description="A user's department access after a change.")
class UserDepartmentAccess:
    user: User
    departments: list[Department] = strawberry.field(description="Personal grants.")
    granted_departments: list[Department] = strawberry.field(
        description="Every department whose items they see: personal grants and their groups'."
    )
    public_departments: list[Department] = strawberry.field(description="Public for one of their groups.")

    @classmethod
    def from_domain(cls, access: domain.UserAccess, all_departments: list[org_models.Department]) -> "UserDepartmentAccess":
        return cls(
            user=User.from_model(access.user),
            departments=_departments(access.departments),
            granted_departments=_departments(d for d in all_departments if d.id in access.granted_department_ids),
            public_departments=_departments(d for d in all_departments if d.id in access.public_department_ids),
        )


@strawberry.type
class AdminQuery:
    @strawberry.field(description="Admins: every department with all its settings.")
    async def department_settings(self, info: strawberry.Info) -> list[DepartmentSettings]:
        return await resolvers.department_settings(info)

    @strawberry.field(description="Admins: the user groups with their access and members.")
    async def user_groups(self, info: strawberry.Info) -> list[UserGroup]:
        return await resolvers.user_groups(info)


@strawberry.type
class AdminMutation:
    @strawberry.mutation(description="Admins: a new department.")
    async def create_department(self, info: strawberry.Info, input: DepartmentSettingsInput) -> DepartmentSettings:
        return await resolvers.create_department(info, input)

    @strawberry.mutation(description="Admins: change a department's settings.")
    async def update_department(
        self, info: strawberry.Info, id: strawberry.ID, input: DepartmentSettingsInput
    ) -> DepartmentSettings:
        return await resolvers.update_department(info, id, input)

    @strawberry.mutation(description="Admins: replace a user's personal department grants (group grants stay).")
    async def set_user_departments(
        self, info: strawberry.Info, user_id: strawberry.ID, department_ids: list[strawberry.ID]
    ) -> UserDepartmentAccess:
        return await resolvers.set_user_departments(info, user_id, department_ids)

    @strawberry.mutation(description="Admins: a new user group.")
    async def create_user_group(
        self, info: strawberry.Info, name: str, default_department_id: Optional[strawberry.ID] = None
    ) -> UserGroup:
        return await resolvers.create_user_group(info, name, default_department_id)

    @strawberry.mutation(description="Admins: change a user group; each list given replaces the group's list.")
    async def update_user_group(self, info: strawberry.Info, id: strawberry.ID, input: UserGroupInput) -> UserGroup:
        return await resolvers.update_user_group(info, id, input)


@strawberry.type
class WorkItemMoveMutation:
    @strawberry.mutation(
        description="Move an item to another department and a queue of it (its first queue by default); the team "
        "follows the queue. An assignee who may not hold work there is dropped and the item goes back TO_DO."
    )
    async def move_work_item(
        self,
        info: strawberry.Info,
        ref: str,
        department_id: strawberry.ID,
        queue_id: Optional[strawberry.ID] = None,
        version: Optional[int] = None,
    ) -> WorkItemChange:
        return await resolvers.move_work_item(info, ref, department_id, queue_id, version)


# last: the resolvers build on the types above (used only when a field resolves)
from server.resolvers import admin as resolvers  # noqa: E402
