"""GraphQL types and root fields of partner API keys (admins only). The secret is never a field:
`createApiKey` returns the token once, and nothing returns it or its digest again."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from models.auth import ApiKey as ApiKeyModel
from server.resolvers import api_keys as resolvers
from server.schema.org import Department, User


@strawberry.type(description="A partner system's key, scoped to departments; read-only unless canWrite.")
class ApiKey:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="The public part of the token (`sbk_<prefix>_...`), to tell keys apart.")
    departments: list[Department]
    can_write: bool
    created_at: datetime
    created_by: Optional[User] = strawberry.field(description="The admin who issued it; null when issued by set-up code.")
    revoked_at: Optional[datetime] = strawberry.field(description="When it stopped working; null while it works.")

    @classmethod
    def from_model(cls, row: ApiKeyModel) -> "ApiKey":
        """`row` with `departments` and `created_by` fetched."""
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            prefix=row.prefix,
            departments=[Department.from_model(d) for d in sorted(row.departments, key=lambda d: (d.name, d.id))],
            can_write=row.can_write,
            created_at=row.created_at,
            created_by=User.from_model(row.created_by) if row.created_by else None,
            revoked_at=row.revoked_at,
        )


@strawberry.input
class CreateApiKeyInput:
    name: str
    department_ids: list[strawberry.ID] = strawberry.field(description="The departments whose work items the key reaches.")
    can_write: bool = strawberry.field(default=False, description="Read-write; read-only by default.")


@strawberry.type
class CreateApiKeyPayload:
    token: str = strawberry.field(
        description="The key, shown this once and never again: send it as `Authorization: Bearer <token>`."
    )
    api_key: ApiKey


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(description="Every API key, revoked ones included, newest first. Admins only.")
    async def api_keys(self, info: strawberry.Info) -> list[ApiKey]:
        return [ApiKey.from_model(k) for k in await resolvers.list_api_keys(info)]


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(description="Issue an API key for a partner system. Admins only.")
    async def create_api_key(self, info: strawberry.Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        issued = await resolvers.create_api_key(info, input.name, input.department_ids, input.can_write)
        return CreateApiKeyPayload(token=issued.token, api_key=ApiKey.from_model(issued.key))

    @strawberry.mutation(
        description="Revoke an API key at once: its requests are refused and its open WebSocket connections "
        "closed (4403). Revoking a revoked key keeps its first revokedAt. Admins only."
    )
    async def revoke_api_key(self, info: strawberry.Info, id: strawberry.ID) -> ApiKey:
        return ApiKey.from_model(await resolvers.revoke_api_key(info, id))
