"""GraphQL root fields of contacts (SPEC §1, §7): look-up for employees and API keys (a portal
contact finds only itself), and changes for employees and read-write API keys."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.resolvers import contacts as resolvers
from server.schema.org import Contact
from server.schema.work_items import PageInfo


@strawberry.type
class ContactEdge:
    node: Contact
    cursor: str


@strawberry.type
class ContactConnection:
    edges: list[ContactEdge]
    page_info: PageInfo


@strawberry.input
class ContactInput:
    email: Optional[str] = strawberry.UNSET
    name: Optional[str] = strawberry.UNSET
    company_id: Optional[strawberry.ID] = strawberry.field(default=strawberry.UNSET, description="Null: World.")
    language: Optional[str] = strawberry.UNSET
    time_zone: Optional[str] = strawberry.UNSET
    office: Optional[str] = strawberry.UNSET
    phone: Optional[str] = strawberry.UNSET
    tags: Optional[list[str]] = strawberry.field(default=strawberry.UNSET, description="Replaces the contact's tags.")


@strawberry.input(description="What a bulk edit sets on every contact named; a field left out is left alone.")
class BulkContactInput:
    company_id: Optional[strawberry.ID] = strawberry.field(default=strawberry.UNSET, description="Null: World.")
    time_zone: Optional[str] = strawberry.UNSET
    office: Optional[str] = strawberry.UNSET
    language: Optional[str] = strawberry.UNSET


@strawberry.type
class KeptContact:
    id: strawberry.ID
    work_item_refs: list[str]


@strawberry.type(description="deleteContacts deletes every contact not on a work item and keeps (and names) the others.")
class DeleteContactsPayload:
    deleted_ids: list[strawberry.ID]
    kept: list[KeptContact]


@strawberry.type
class ContactQuery:
    @strawberry.field(description="Contacts by id; `search` is a case-insensitive prefix of name or email; `world` true: World "
                      "contacts only, false: company contacts only; testMode: the test-mode contacts instead.")
    async def contacts(
        self,
        info: strawberry.Info,
        search: Optional[str] = None,
        company_id: Optional[strawberry.ID] = None,
        world: Optional[bool] = None,
        tag: Optional[str] = None,
        test_mode: bool = False,
        first: int = 20,
        after: Optional[str] = None,
    ) -> ContactConnection:
        page = await resolvers.contacts_page(info, search, company_id, world, tag, test_mode, first, after)
        return ContactConnection(
            edges=[ContactEdge(node=Contact.from_model(c), cursor=resolvers.cursor(c.id)) for c in page.rows],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=resolvers.cursor(page.rows[-1].id) if page.rows else None),
        )

    @strawberry.field(description="A contact by id; NOT_FOUND when missing or not yours to see.")
    async def contact(self, info: strawberry.Info, id: strawberry.ID) -> Contact:
        return Contact.from_model(await resolvers.contact(info, id))


@strawberry.type
class ContactMutation:
    @strawberry.mutation(description="A new contact; email mandatory and unique. testMode: it exists only in test mode — listed "
                         "with contacts(testMode: true), never on a work item outside test mode (refused like a missing "
                         "contact) nor matched by inbound mail.")
    async def create_contact(self, info: strawberry.Info, input: ContactInput, test_mode: bool = False) -> Contact:
        return Contact.from_model(await resolvers.create_contact(info, input, test_mode))

    @strawberry.mutation(description="Change a contact. Moving it from World to a company needs all its work items to be "
                         "of that company (VALIDATION on companyId names the others).")
    async def update_contact(self, info: strawberry.Info, id: strawberry.ID, input: ContactInput) -> Contact:
        return Contact.from_model(await resolvers.update_contact(info, id, input))

    @strawberry.mutation(description="Set the same company, time zone, office or language on several contacts (at most 100), all "
                         "or nothing: when one contact may not take it (the company rule of updateContact), nothing changes and "
                         "VALIDATION names the contact and the field.")
    async def bulk_update_contacts(self, info: strawberry.Info, ids: list[strawberry.ID], input: BulkContactInput) -> list[Contact]:
        return [Contact.from_model(c) for c in await resolvers.bulk_update_contacts(info, ids, input)]

    @strawberry.mutation(description="Add tags (at most 20 at once) to one or several contacts (at most 100); a contact carries "
                         "at most 50 tags.")
    async def add_contact_tags(self, info: strawberry.Info, ids: list[strawberry.ID], tags: list[str]) -> list[Contact]:
        return [Contact.from_model(c) for c in await resolvers.add_contact_tags(info, ids, tags)]

    @strawberry.mutation(description="Take tags (at most 20 at once) off one or several contacts (at most 100).")
    async def remove_contact_tags(self, info: strawberry.Info, ids: list[strawberry.ID], tags: list[str]) -> list[Contact]:
        return [Contact.from_model(c) for c in await resolvers.remove_contact_tags(info, ids, tags)]

    @strawberry.mutation(description="Delete contacts; one on work items is kept and named with its items.")
    async def delete_contacts(self, info: strawberry.Info, ids: list[strawberry.ID]) -> DeleteContactsPayload:
        result = await resolvers.delete_contacts(info, ids)
        return DeleteContactsPayload(
            deleted_ids=[strawberry.ID(str(i)) for i in result.deleted_ids],
            kept=[KeptContact(id=strawberry.ID(str(i)), work_item_refs=refs) for i, refs in result.kept.items()],
        )
