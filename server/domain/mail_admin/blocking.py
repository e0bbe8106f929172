"""Blocked addresses (SPEC §5.2): mail from them is stored as deleted (viewable, restorable).

An entry is one address ("spam@example.com") or a whole domain written "@example.com"; stored
lower-case, once (adding it again is a CONFLICT), with the reason and the admin who added it.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from models.email import BlockedAddress
from server.domain import audit, limits
from server.domain.errors import Conflict, FieldProblem, NotFound, ValidationError
from server.domain.mail_admin import common
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer, ViewerKind
from server.mail import addresses

MAX_SEARCH = 320


def blocked_form(value: str) -> str | None:
    """"Spam@X.example" → "spam@x.example"; "@X.example" → "@x.example"; None when neither."""
    text = (value or "").strip()
    if text.startswith("@"):
        normal = addresses.normalise("x" + text)
        return None if normal is None else normal[1:]
    return addresses.normalise(text)


async def blocked_addresses(viewer: Viewer, first: int, after: str | None, search: str | None = None) -> common.Page[BlockedAddress]:
    """By address (domains, written "@...", first), optionally those containing `search`."""
    common.require_admin(viewer)
    query = BlockedAddress.all().prefetch_related("created_by")
    if search is not None and search.strip():
        if len(search) > MAX_SEARCH:
            raise ValidationError.single("search", f"search must be at most {MAX_SEARCH} characters")
        query = query.filter(address__icontains=search.strip())
    return await common.page_of(query, "address", first, after)


async def block_address(viewer: Viewer, address: str, reason: str | None) -> BlockedAddress:
    common.require_admin(viewer)
    limits.check({"address": address, "reason": reason})
    problems: list[FieldProblem] = []
    normal = blocked_form(address)
    if normal is None:
        problems.append(FieldProblem("address", f"address must be an email address or a domain written @domain, got {address[:80]!r}"))
    reason = (reason or "").strip() or None
    common.raise_problems(problems, "blocked address")
    if await BlockedAddress.exists(address=normal):
        raise Conflict(f"{normal} is already blocked.", field="address", address=normal)
    created_by = viewer.id if viewer.kind is ViewerKind.USER else None
    try:
        async with unit_of_work():
            row = await BlockedAddress.create(address=normal, reason=reason, created_by_id=created_by)
            await audit.record(viewer, "blocked_address.created", row, changes=audit.created({"address": normal, "reason": reason}))
    except IntegrityError:
        raise Conflict(f"{normal} is already blocked.", field="address", address=normal) from None
    return await BlockedAddress.filter(id=row.id).prefetch_related("created_by").get()


async def unblock_address(viewer: Viewer, blocked_id: int) -> int:
    common.require_admin(viewer)
    async with unit_of_work():
        row = await BlockedAddress.filter(id=blocked_id).select_for_update().first()
        if row is None or not await BlockedAddress.filter(id=blocked_id).delete():
            raise NotFound(f"No blocked address {blocked_id} exists.", field="id")
        await audit.record(viewer, "blocked_address.deleted", row, changes=audit.deleted({"address": row.address, "reason": row.reason}))
    return blocked_id
