"""The work item type, and a work item seen through a link."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Optional

import strawberry

from models import contact as contact_models
from models import org as org_models
from models.case_flow import CaseType as CaseTypeModel
from models.enums import EmailStatus as EmailStatusEnum
from models.enums import WorkItemType as WorkItemTypeEnum
from models.work_item import WorkItem as WorkItemModel
from server.domain import clock, links, sla, visibility
from server.resolvers.context import loaders, require_viewer
from server.schema.org import Category, Company, Contact, Department, Queue, Team, User
from server.schema.scalars import JSON
from server.schema.work_items.case_flow import CaseType
from server.schema.work_items.enums import (
    ActionKind,
    Priority,
    ResolutionMethod,
    ReviewOutcome,
    ReviewStage,
    Status,
    WaitType,
    WorkItemType,
)
from server.schema.work_items.rows import prefetch_rows, related, with_row


@strawberry.type(description="Where an item's SLA clock stopped while it waits.")
class SlaPause:
    remaining_minutes: int = strawberry.field(description="Minutes left to the due date when paused; negative when already late.")
    before_due: bool
    label: str = strawberry.field(description='e.g. "paused 3 h 20 m before due".')


@strawberry.type(description="An email of a work item, or one shared to it from a linked item.")
class EmailMessage:
    id: strawberry.ID
    direction: str
    status: str
    subject: str
    from_address: Optional[str]
    from_name: Optional[str]
    to: list[str]
    cc: list[str]
    text_body: Optional[str]
    html_body: Optional[str] = strawberry.field(description="Sanitised HTML (no scripts, event handlers or remote frames); null for plain-text mail.")
    system_generated: bool
    automatic: Optional[str] = strawberry.field(description="Inbound: why it counts as automatic mail (out of office, a bounce); null for a person's mail.")
    created_at: datetime
    received_at: Optional[datetime]
    sent_at: Optional[datetime]
    shared_from: Optional[str] = strawberry.field(description="The item it was shared from; null for the item's own emails.")

    @strawberry.field(description="Its attachments (their content: emailAttachment).")
    async def attachments(self, info: strawberry.Info) -> list["EmailAttachmentInfo"]:
        return [
            EmailAttachmentInfo(id=strawberry.ID(str(a["id"])), filename=a["filename"], content_type=a["content_type"], size=a["size"],
                                content_id=a["content_id"])
            for a in await loaders(info).email_attachments.load(int(self.id))
        ]


@strawberry.type
class EmailAttachmentInfo:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int
    content_id: Optional[str] = strawberry.field(description="Set for an inline part (an image the HTML refers to as cid:...).")


@strawberry.type(description="The requester's rating (1 to 5) and comment, given on the portal once the ticket was resolved.")
class WorkItemFeedback:
    rating: int
    comment: Optional[str]
    at: datetime


@strawberry.type(description="A ticket, case or action.")
class WorkItem:
    ref: str = strawberry.field(description="Human reference, e.g. T-1042; unique and stable.")
    type: WorkItemType
    title: Optional[str]
    description: Optional[str]
    status: Status
    wait_type: Optional[WaitType]
    resolution_method: Optional[ResolutionMethod]
    priority: Priority
    due_at: Optional[datetime]
    submitted_at: Optional[datetime]
    resolved_at: Optional[datetime]
    closed_at: Optional[datetime]
    created_at: datetime
    updated_at: datetime
    custom_data: JSON
    has_new_info: bool
    test_mode: bool
    version: int = strawberry.field(description="Changes with every update; send it back to detect conflicts.")
    wait_started_at: Optional[datetime]
    wait_until: Optional[datetime] = strawberry.field(description="The follow-up time, or the end of the days to wait.")
    days_to_wait: Optional[int]
    close_if_no_response: bool
    feedback_until: Optional[datetime] = strawberry.field(description="End of the feedback window of a resolved item.")
    due_missed: bool = strawberry.field(description="The due date was missed (recorded once on the timeline).")
    needs_attention: bool = strawberry.field(description="A case with a problem (an action could not be completed).")
    problem: Optional[str]
    human_only: bool = strawberry.field(description="A robot rejected it: it is left for a person.")
    action_kind: Optional[ActionKind]
    step: Optional[int] = strawberry.field(description="An action's step in its case's flow.")
    current_step: Optional[int] = strawberry.field(description="The step a case is at.")
    review_stage: Optional[ReviewStage]
    review_outcome: Optional[ReviewOutcome]
    checklist: JSON = strawberry.field(description="A peer review's checklist: [{label, passed, note}].")
    model: strawberry.Private[WorkItemModel]

    @classmethod
    def from_model(cls, row: WorkItemModel) -> "WorkItem":
        return cls(
            ref=row.ref,
            type=row.type,
            title=row.title,
            description=row.description,
            status=row.status,
            wait_type=row.wait_type,
            resolution_method=row.resolution_method,
            priority=row.priority,
            due_at=row.due_at,
            submitted_at=row.submitted_at,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            custom_data=row.custom_data,
            has_new_info=row.has_new_info,
            test_mode=row.test_mode,
            version=row.version,
            wait_started_at=row.wait_started_at,
            wait_until=row.wait_until,
            days_to_wait=row.days_to_wait,
            close_if_no_response=row.close_if_no_response,
            feedback_until=row.feedback_until,
            due_missed=row.due_missed_at is not None,
            needs_attention=row.needs_attention,
            problem=row.problem,
            human_only=row.human_only,
            action_kind=row.action_kind,
            step=row.step,
            current_step=row.current_step,
            review_stage=row.review_stage,
            review_outcome=row.review_outcome,
            checklist=row.checklist,
            model=row,
        )

    @strawberry.field
    def department(self, info: strawberry.Info) -> Department:
        return related(info, org_models.Department, self.model.department_id, Department)

    @strawberry.field
    def team(self, info: strawberry.Info) -> Optional[Team]:
        return related(info, org_models.Team, self.model.team_id, Team)

    @strawberry.field
    def queue(self, info: strawberry.Info) -> Optional[Queue]:
        return related(info, org_models.Queue, self.model.queue_id, Queue)

    @strawberry.field
    def assignee(self, info: strawberry.Info) -> Optional[User]:
        return related(info, org_models.User, self.model.assignee_id, User)

    @strawberry.field(description="The responsible person for a case.")
    def owner(self, info: strawberry.Info) -> Optional[User]:
        return related(info, org_models.User, self.model.owner_id, User)

    @strawberry.field
    def company(self, info: strawberry.Info) -> Optional[Company]:
        return related(info, org_models.Company, self.model.company_id, Company)

    @strawberry.field
    def primary_contact(self, info: strawberry.Info) -> Optional[Contact]:
        return related(info, contact_models.Contact, self.model.primary_contact_id, Contact)

    @strawberry.field
    def requester(self, info: strawberry.Info) -> Optional[Contact]:
        return related(info, contact_models.Contact, self.model.requester_id, Contact)

    @strawberry.field
    def category(self, info: strawberry.Info) -> Optional[Category]:
        return related(info, org_models.Category, self.model.category_id, Category)

    @strawberry.field(description="An action's case, or a sub-case's parent case; null when you may not see it.")
    async def parent(self, info: strawberry.Info) -> Optional["WorkItem"]:
        return await _visible(info, self.model.parent_id)

    @strawberry.field(description="The item this one came from: a split ticket, the ticket a case was started from, the copied action.")
    async def origin(self, info: strawberry.Info) -> Optional["WorkItem"]:
        return await _visible(info, self.model.origin_id)

    @strawberry.field(description="The item a merged ticket continues as.")
    async def merged_into(self, info: strawberry.Info) -> Optional["WorkItem"]:
        return await _visible(info, self.model.merged_into_id)

    @strawberry.field(description="A case's actions, oldest first.")
    async def actions(self, info: strawberry.Info) -> list["WorkItem"]:
        return await _visible_children(info, self.model.id, WorkItemTypeEnum.ACTION)

    @strawberry.field(description="A case's sub-cases, oldest first.")
    async def sub_cases(self, info: strawberry.Info) -> list["WorkItem"]:
        return await _visible_children(info, self.model.id, WorkItemTypeEnum.CASE)

    @strawberry.field(description="Contacts on the item besides the primary contact and the requester.")
    async def contacts(self, info: strawberry.Info) -> list[Contact]:
        return [Contact.from_model(c) for c in await loaders(info).contacts.load(self.model.id)]

    @strawberry.field
    def case_type(self, info: strawberry.Info) -> Optional[CaseType]:
        return related(info, CaseTypeModel, self.model.case_type_id, CaseType)

    @strawberry.field(description="Who did a peer review action.")
    def doer(self, info: strawberry.Info) -> Optional[User]:
        return related(info, org_models.User, self.model.doer_id, User)

    @strawberry.field(description="Who reviews a peer review action.")
    def reviewer(self, info: strawberry.Info) -> Optional[User]:
        return related(info, org_models.User, self.model.reviewer_id, User)

    @strawberry.field(description="Past its due date (while its SLA clock runs).")
    def overdue(self, info: strawberry.Info) -> bool:
        return with_row(
            info, org_models.Department, self.model.department_id,
            lambda department: sla.is_overdue(self.model, department, clock.now()),
        )

    @strawberry.field(
        description="Items people linked to this one, in any department; those you may not see show their header only."
    )
    async def linked_items(self, info: strawberry.Info) -> list[LinkedWorkItem]:
        viewer = await require_viewer(info)
        if viewer.is_contact:
            return []
        rows = await loaders(info).of(WorkItemModel).load_many(await loaders(info).links.load(self.model.id))
        return await _linked_items(info, viewer, [row for row in rows if row is not None])

    @strawberry.field(
        description="The items related by structure: the case, its actions and sub-cases, the ticket it came from, "
        "split parts, merged tickets. Those you may not see show their header only."
    )
    async def linked_group(self, info: strawberry.Info) -> list[LinkedWorkItem]:
        viewer = await require_viewer(info)
        if viewer.is_contact:
            return []
        return await _linked_items(info, viewer, await links.linked_group(self.model))

    @strawberry.field(description="The item's emails, and those shared to it from linked items (drafts only for their author).")
    async def emails(self, info: strawberry.Info) -> list[EmailMessage]:
        viewer = await require_viewer(info)
        found = await loaders(info).emails.load(self.model.id)
        return [
            EmailMessage(
                id=strawberry.ID(str(e.id)), direction=e.direction.value, status=e.status.value, subject=e.subject,
                from_address=e.from_address, from_name=e.from_name, to=list(e.to_addresses), cc=list(e.cc_addresses),
                text_body=e.text_body, html_body=e.html_body, system_generated=e.system_generated, automatic=e.auto_reply_reason,
                created_at=e.created_at, received_at=e.received_at, sent_at=e.sent_at, shared_from=origin,
            )
            for e, origin in found
            if not (viewer.is_contact and origin is not None)  # shared mail is between teams
            and not (e.status is EmailStatusEnum.DRAFT and not (viewer.is_user and e.created_by_id == viewer.id))  # drafts: their author's
        ]

    @strawberry.field(description="Tickets: the requester's portal feedback, once given.")
    async def feedback(self, info: strawberry.Info) -> Optional[WorkItemFeedback]:
        found = await loaders(info).portal_feedback.load(self.model.id)
        return WorkItemFeedback(rating=found.rating, comment=found.comment, at=found.at) if found is not None else None

    @strawberry.field(description="Set while the item waits and its SLA clock stands still.")
    def sla_pause(self, info: strawberry.Info) -> Optional[SlaPause]:
        return with_row(info, org_models.Department, self.model.department_id, self._sla_pause)

    def _sla_pause(self, department: Any) -> Optional[SlaPause]:
        pause = sla.pause(self.model, department)
        if pause is None:
            return None
        return SlaPause(remaining_minutes=pause.minutes, before_due=pause.before_due, label=pause.label)

    @strawberry.field(
        description="The item's history, newest first, at most 100 a page. includeRelated adds the entries of "
        "the item's linked group (those you may see); it defaults to true for cases and merged tickets, false otherwise; the "
        "communications of tickets merged into this item always show. System-generated entries are hidden unless asked."
    )
    async def timeline(
        self,
        info: strawberry.Info,
        # lazy: server.schema.timeline builds on this module (PageInfo)
        kinds: Optional[list[strawberry.LazyType("TimelineKind", "server.schema.timeline")]] = None,
        include_related: Optional[bool] = None,
        show_system_generated: bool = False,
        first: int = 50,
        after: Optional[str] = None,
    ) -> strawberry.LazyType("TimelineConnection", "server.schema.timeline"):
        from server.resolvers.timeline import work_item_timeline  # it builds on this module

        return await work_item_timeline(
            info, self.model, kinds=kinds, include_related=include_related,
            show_system_generated=show_system_generated, first=first, after=after,
        )


@strawberry.type(
    description="A work item seen through a link or the linked group: its header always; the item "
    "itself only when you may see it (restricted: false)."
)
class LinkedWorkItem:
    ref: str
    type: WorkItemType
    status: Status
    title: Optional[str]
    restricted: bool = strawberry.field(description="True when you may see only this header.")
    model: strawberry.Private[WorkItemModel]

    @strawberry.field
    def team(self, info: strawberry.Info) -> Optional[Team]:
        return related(info, org_models.Team, self.model.team_id, Team)

    @strawberry.field(description="The whole item; null when restricted.")
    def work_item(self) -> Optional[WorkItem]:
        return None if self.restricted else WorkItem.from_model(self.model)


async def _linked_items(info: strawberry.Info, viewer: Any, rows: list[WorkItemModel]) -> list[LinkedWorkItem]:
    """The rows as linked items, with the relations the query selects of their headers and of the
    items shown whole loaded up front."""
    items = [_linked(viewer, row) for row in rows]
    shown = [item.model for item in items if not item.restricted]
    await asyncio.gather(prefetch_rows(info, rows, ()), prefetch_rows(info, shown, ("workItem",)))
    return items


def _linked(viewer: Any, row: WorkItemModel) -> LinkedWorkItem:
    return LinkedWorkItem(
        ref=row.ref, type=row.type, status=row.status, title=row.title,
        restricted=not visibility.can_see(viewer, row), model=row,
    )


async def _visible(info: strawberry.Info, pk: int | None) -> Optional[WorkItem]:
    row = await loaders(info).get(WorkItemModel, pk)
    if row is None or not visibility.can_see(await require_viewer(info), row):
        return None
    return WorkItem.from_model(row)


async def _visible_children(info: strawberry.Info, pk: int, item_type: WorkItemTypeEnum) -> list[WorkItem]:
    viewer = await require_viewer(info)
    rows = [r for r in await loaders(info).children.load(pk) if r.type is item_type and visibility.can_see(viewer, r)]
    await prefetch_rows(info, rows, ())
    return [WorkItem.from_model(r) for r in rows]
