"""Portal settings an admin changes: where portal tickets go, and what a contact group sees.

Routing rule (documented in README "Self-service portal"): a ticket submitted on the portal goes
to the portal route of its requester's company, else to the system-wide route (no company); the
route names a queue, and so its department. With neither, submitting is refused (VALIDATION).
"""

from __future__ import annotations

from models.org import Company, ContactGroup, Queue
from models.portal import PortalRoute
from server.domain import audit, limits, text
from server.domain.errors import FieldProblem, NotFound, ValidationError
from server.domain.permissions import admin_check, raise_problems
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

require_portal_admin = admin_check("manage the portal")


async def portal_queue(company_id: int | None) -> Queue:
    """The queue a portal ticket of `company_id`'s requester goes to."""
    route = None
    if company_id is not None:
        route = await PortalRoute.get_or_none(company_id=company_id)
    if route is None:
        route = await PortalRoute.get_or_none(company_id=None)
    if route is None:
        raise ValidationError.single("categoryId", "the portal takes no tickets yet: an admin has not set where they go")
    return await Queue.get(id=route.queue_id)


async def set_portal_route(viewer: Viewer, company_id: int | None, queue_id: int | None) -> PortalRoute | None:
    """Portal tickets of `company_id` (None: everyone without a route of their own) go to
    `queue_id`; None removes the route."""
    require_portal_admin(viewer)
    problems: list[FieldProblem] = []
    if company_id is not None and not await Company.exists(id=company_id):
        problems.append(FieldProblem("companyId", f"no company {company_id}"))
    if queue_id is not None and not await Queue.exists(id=queue_id):
        problems.append(FieldProblem("queueId", f"no queue {queue_id}"))
    raise_problems(problems, "portal route")
    async with unit_of_work():
        route = await PortalRoute.filter(company_id=company_id).select_for_update().first()
        before = {"companyId": company_id, "queueId": route.queue_id} if route else None
        if queue_id is None:
            if route is not None:
                await route.delete()
                await audit.record(viewer, "portal_route.deleted", route, target_type="portal_route", changes=audit.deleted(before))
            return None
        if route is None:
            route = await PortalRoute.create(company_id=company_id, queue_id=queue_id)
            await audit.record(viewer, "portal_route.created", route, target_type="portal_route",
                               changes=audit.created({"companyId": company_id, "queueId": queue_id}))
        else:
            route.queue_id = queue_id
            await route.save(update_fields=["queue_id"])
            await audit.record(viewer, "portal_route.updated", route, target_type="portal_route",
                               changes=audit.diff(before, {"companyId": company_id, "queueId": queue_id}))
    return route


def _group_fields(name: str | None, problems: list[FieldProblem]) -> str | None:
    if name is None:
        return None
    if text.is_blank(name):
        problems.append(FieldProblem("name", "a contact group needs a name"))
    return name.strip()


async def create_contact_group(viewer: Viewer, name: str, sees_company_items: bool) -> ContactGroup:
    require_portal_admin(viewer)
    limits.check({"name": name})
    problems: list[FieldProblem] = []
    name = _group_fields(name, problems) or ""
    if name and await ContactGroup.exists(name=name):
        problems.append(FieldProblem("name", f"a contact group {name!r} exists already"))
    raise_problems(problems, "contact group")
    async with unit_of_work():
        group = await ContactGroup.create(name=name, sees_company_items=sees_company_items)
        await audit.record(viewer, "contact_group.created", group,
                           changes=audit.created({"name": name, "seesCompanyItems": sees_company_items}))
    return group


async def update_contact_group(viewer: Viewer, group_id: int, name: str | None, sees_company_items: bool | None) -> ContactGroup:
    """Rename a contact group, or let its members see their company's tickets on the portal (or not)."""
    require_portal_admin(viewer)
    limits.check({"name": name})
    problems: list[FieldProblem] = []
    name = _group_fields(name, problems)
    if name and await ContactGroup.filter(name=name).exclude(id=group_id).exists():
        problems.append(FieldProblem("name", f"a contact group {name!r} exists already"))
    raise_problems(problems, "contact group")
    async with unit_of_work():
        group = await ContactGroup.filter(id=group_id).select_for_update().first()
        if group is None:
            raise NotFound(f"No contact group {group_id} exists.", field="id")
        before = {"name": group.name, "seesCompanyItems": group.sees_company_items}
        if name is not None:
            group.name = name
        if sees_company_items is not None:
            group.sees_company_items = sees_company_items
        after = {"name": group.name, "seesCompanyItems": group.sees_company_items}
        if changes := audit.diff(before, after):
            await group.save()
            await audit.record(viewer, "contact_group.updated", group, changes=changes)
    return group
