"""GraphQL types of the organisation: companies, departments, teams, queues, users, contacts."""

from __future__ import annotations

from typing import Optional

import strawberry

from models import contact as contact_models
from models import org as org_models
from models.enums import Role as RoleEnum

Role = strawberry.enum(RoleEnum, name="Role", description="What an employee is.")


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

    @classmethod
    def from_model(cls, row: org_models.Team) -> "Team":
        return cls(id=strawberry.ID(str(row.id)), name=row.name)


@strawberry.type
class Queue:
    id: strawberry.ID
    name: str
    team_id: strawberry.ID
    department_id: strawberry.ID

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

    @classmethod
    def from_model(cls, row: org_models.User) -> "User":
        return cls(id=strawberry.ID(str(row.id)), name=row.name, email=row.email, role=row.role)


@strawberry.type
class Contact:
    id: strawberry.ID
    name: str
    email: str
    company_id: Optional[strawberry.ID] = strawberry.field(description="Null for a World contact.")

    @classmethod
    def from_model(cls, row: contact_models.Contact) -> "Contact":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            email=row.email,
            company_id=strawberry.ID(str(row.company_id)) if row.company_id else None,
        )


@strawberry.type
class Category:
    id: strawberry.ID
    name: str

    @classmethod
    def from_model(cls, row: org_models.Category) -> "Category":
        return cls(id=strawberry.ID(str(row.id)), name=row.name)
