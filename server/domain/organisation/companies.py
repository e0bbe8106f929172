"""Companies (the clients whose contacts raise work), administered by admins: created, renamed,
and deleted only while no contact and no work item refers to them (CONFLICT otherwise)."""

from __future__ import annotations

from models.contact import Contact
from models.org import Company
from models.work_item import WorkItem
from server.domain import audit, limits, permissions
from server.domain.departments import check_unique_name
from server.domain.errors import Conflict, FieldProblem, NotFound
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

require_admin = permissions.admin_check("manage companies")


async def _name(name: str, other_than: int | None = None) -> str:
    """The name trimmed, required, and not another company's (ignoring case): the departments' rule."""
    problems: list[FieldProblem] = []
    changes = {"name": name}
    await check_unique_name(Company, "company", changes, other_than, problems)
    permissions.raise_problems(problems, "company")
    return changes["name"]


async def _company(company_id: int) -> Company:
    company = await Company.filter(id=company_id).select_for_update().first() if 0 < company_id <= limits.MAX_DB_INT else None
    if company is None:
        raise NotFound(f"No company {company_id} exists.", field="id")
    return company


async def create_company(viewer: Viewer, name: str) -> Company:
    require_admin(viewer)
    limits.check({"name": name})
    async with unit_of_work():
        company = await Company.create(name=await _name(name))
        await audit.record(viewer, "company.created", company, changes=audit.created({"name": company.name}))
    return company


async def rename_company(viewer: Viewer, company_id: int, name: str) -> Company:
    require_admin(viewer)
    limits.check({"name": name})
    async with unit_of_work():
        company = await _company(company_id)
        new = await _name(name, other_than=company.id)
        if new != company.name:
            changes = audit.diff({"name": company.name}, {"name": new})
            company.name = new
            await company.save(update_fields=["name"])
            await audit.record(viewer, "company.updated", company, changes=changes)
    return company


async def delete_company(viewer: Viewer, company_id: int) -> int:
    """Delete a company nothing refers to; its id."""
    require_admin(viewer)
    async with unit_of_work():
        company = await _company(company_id)
        contacts = await Contact.filter(company_id=company.id).count()
        items = await WorkItem.filter(company_id=company.id).count()
        if contacts or items:
            raise Conflict(
                f"The company is still referred to by {contacts} contact(s) and {items} work item(s).",
                field="id", contacts=contacts, workItems=items,
            )
        await audit.record(viewer, "company.deleted", company, changes=audit.deleted({"name": company.name}))
        await company.delete()
    return company_id
