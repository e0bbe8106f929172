"""Who sees which contacts, and pages of them."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from models.contact import Contact
from server.domain.errors import NotFound, ValidationError
from server.domain.viewer import Viewer

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    rows: list[Contact]
    has_next: bool


def visible(viewer: Viewer, *, test_mode: bool = False):
    query = Contact.filter(test_mode=test_mode)
    if viewer.is_contact:
        query = query.filter(id=viewer.id)
    return query


async def get(viewer: Viewer, contact_id: int) -> Contact:
    contact = await visible(viewer).filter(id=contact_id).first()
    if contact is None:
        contact = await visible(viewer, test_mode=True).filter(id=contact_id).first()
    if contact is None:
        raise NotFound(f"No contact {contact_id}.")
    return contact


async def page(
    viewer: Viewer,
    *,
    search: str | None = None,
    company_id: int | None = None,
    world: bool | None = None,
    tag: str | None = None,
    test_mode: bool = False,
    first: int = 20,
    after: int | None = None,
) -> Page:
    if not 1 <= first <= MAX_PAGE:
        raise ValidationError.single("first", f"first must be between 1 and {MAX_PAGE}, got {first}")
    query = visible(viewer, test_mode=test_mode)
    if search:
        text = search.strip()
        query = query.filter(Q(name__istartswith=text) | Q(email__istartswith=text))
    if company_id is not None:
        query = query.filter(company_id=company_id)
    if world is True:
        query = query.filter(company_id__isnull=True)
    elif world is False:
        query = query.filter(company_id__not_isnull=True)
    if tag:
        query = query.filter(tags__name=tag.strip())
    if after is not None:
        query = query.filter(id__gt=after)
    rows = list(await query.distinct().order_by("id").limit(first + 1).prefetch_related("company", "tags"))
    return Page(rows[:first], len(rows) > first)
