"""Alias addresses and routes (SPEC §5.2): more addresses whose mail lands in a department.

- An alias (DepartmentAlias): mail to it goes to the department — and to its queue when one is
  given — whichever mailbox collected it. Listed, created and deleted here; updateDepartment's
  `aliases` (server/domain/departments.py) replaces a department's whole list and keeps to the
  same rules.
- A route (MailRoute): a recipient address that is no mailbox or alias → a department, a queue
  of it (none: its first) and what a new message creates (a ticket, or a case of a case type).
- An address is one mailbox, alias or route at most: CONFLICT naming what has it.
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from models.email import MailRoute
from models.org import DepartmentAlias
from server.domain import audit, limits
from server.domain.errors import FieldProblem, NotFound
from server.domain.mail_admin import common
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

ALIAS_FIELDS = frozenset({"address", "department_id", "queue_id"})
ROUTE_FIELDS = frozenset({"address", "department_id", "queue_id", "creates", "case_type_id"})
_ALIAS_RELATED = ("department", "queue")
_ROUTE_RELATED = ("department", "queue", "case_type")
# what the audit log keeps of each
ALIAS_AUDITED = ("address", "department_id", "queue_id")
ROUTE_AUDITED = ("address", "department_id", "queue_id", "creates", "case_type_id")


# ----------------------------------------------------------------------------------------- aliases


async def aliases(viewer: Viewer, first: int, after: str | None, department_id: int | None = None) -> common.Page[DepartmentAlias]:
    common.require_admin(viewer)
    query = DepartmentAlias.all().prefetch_related(*_ALIAS_RELATED)
    if department_id is not None:
        query = query.filter(department_id=department_id)
    return await common.page_of(query, "address", first, after)


async def create_alias(viewer: Viewer, fields: dict[str, Any]) -> DepartmentAlias:
    common.require_admin(viewer)
    common.unknown_fields(fields, ALIAS_FIELDS, "alias")
    limits.check(fields)
    problems: list[FieldProblem] = []
    address = common.address(fields.get("address"), "address", problems)
    dept = await common.department(fields.get("department_id"), problems)
    queue_id = await common.department_queue(fields.get("queue_id"), dept, problems)
    common.raise_problems(problems, "alias")
    await common.require_free(address)
    try:
        async with unit_of_work():
            alias = await DepartmentAlias.create(address=address, department_id=dept.id, queue_id=queue_id)
            await audit.record(viewer, "department_alias.created", alias, changes=audit.created(audit.values(alias, ALIAS_AUDITED)))
    except IntegrityError:
        raise common.taken_at_once() from None
    return await DepartmentAlias.filter(id=alias.id).prefetch_related(*_ALIAS_RELATED).get()


async def delete_alias(viewer: Viewer, alias_id: int) -> int:
    common.require_admin(viewer)
    async with unit_of_work():
        alias = await DepartmentAlias.filter(id=alias_id).select_for_update().first()
        if alias is None or not await DepartmentAlias.filter(id=alias_id).delete():
            raise NotFound(f"No alias address {alias_id} exists.", field="id")
        await audit.record(viewer, "department_alias.deleted", alias, changes=audit.deleted(audit.values(alias, ALIAS_AUDITED)))
    return alias_id


# ------------------------------------------------------------------------------------------ routes


async def routes(viewer: Viewer, first: int, after: str | None, department_id: int | None = None) -> common.Page[MailRoute]:
    common.require_admin(viewer)
    query = MailRoute.all().prefetch_related(*_ROUTE_RELATED)
    if department_id is not None:
        query = query.filter(department_id=department_id)
    return await common.page_of(query, "address", first, after)


async def _route_changes(fields: dict[str, Any], route: MailRoute | None) -> dict[str, Any]:
    common.unknown_fields(fields, ROUTE_FIELDS, "route")
    limits.check(fields)
    changes = dict(fields)
    problems: list[FieldProblem] = []
    if "address" in changes:
        changes["address"] = common.address(changes["address"], "address", problems)
    elif route is None:
        problems.append(FieldProblem("address", "address is required"))
    dept = await common.department(changes.get("department_id", route.department_id if route else None), problems)
    if "queue_id" in changes or "department_id" in changes:
        await common.department_queue(changes.get("queue_id", route.queue_id if route else None), dept, problems)
    await common.creates_and_case_type(changes, route, problems)
    common.raise_problems(problems, "route")
    return changes


async def _route(route_id: int) -> MailRoute:
    return await MailRoute.filter(id=route_id).prefetch_related(*_ROUTE_RELATED).get()


async def create_route(viewer: Viewer, fields: dict[str, Any]) -> MailRoute:
    common.require_admin(viewer)
    changes = await _route_changes(fields, None)
    await common.require_free(changes["address"])
    try:
        async with unit_of_work():
            route = await MailRoute.create(**changes)
            await audit.record(viewer, "mail_route.created", route, changes=audit.created(audit.values(route, ROUTE_AUDITED)))
    except IntegrityError:
        raise common.taken_at_once() from None
    return await _route(route.id)


async def update_route(viewer: Viewer, route_id: int, fields: dict[str, Any]) -> MailRoute:
    common.require_admin(viewer)
    route = await MailRoute.get_or_none(id=route_id)
    if route is None:
        raise NotFound(f"No route {route_id} exists.", field="id")
    changes = await _route_changes(fields, route)
    if "address" in changes:
        await common.require_free(changes["address"], route_id=route_id)
    try:
        async with unit_of_work():
            current = await MailRoute.filter(id=route_id).select_for_update().get()
            if changes:
                await MailRoute.filter(id=route_id).update(**changes)
            after = await MailRoute.get(id=route_id)
            await audit.record_changes(viewer, "mail_route.updated", after, audit.values(current, ROUTE_AUDITED),
                                       audit.values(after, ROUTE_AUDITED))
    except IntegrityError:
        raise common.taken_at_once() from None
    return await _route(route_id)


async def delete_route(viewer: Viewer, route_id: int) -> int:
    common.require_admin(viewer)
    async with unit_of_work():
        route = await MailRoute.filter(id=route_id).select_for_update().first()
        if route is None or not await MailRoute.filter(id=route_id).delete():
            raise NotFound(f"No route {route_id} exists.", field="id")
        await audit.record(viewer, "mail_route.deleted", route, changes=audit.deleted(audit.values(route, ROUTE_AUDITED)))
    return route_id
