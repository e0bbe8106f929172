"""The GraphQL schema: root types assembled from the areas, with limits and error handling.

`schema.graphql` at the repository root is `build_schema().as_str()`; a test fails when it drifts.
"""

from __future__ import annotations

from typing import Annotated, AsyncGenerator, Optional

import strawberry
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from server.resolvers import viewer as viewer_resolvers
from server.resolvers import work_items as work_item_resolvers
from server.resolvers.context import begin_operation
from server.schema.admin import AdminMutation, AdminQuery, WorkItemMoveMutation
from server.schema.api_keys import ApiKeyMutation, ApiKeyQuery
from server.schema.audit import AuditQuery
from server.schema.case_types_root import CaseTypeMutation
from server.schema.item_viewers import ItemViewerMutation
from server.schema.links import LinkMutation
from server.schema.mail_admin_root import MailAdminMutation, MailAdminQuery
from server.schema.outbox_root import OutboxMutation, OutboxQuery
from server.schema.portal_root import PortalMutation, PortalQuery
from server.schema.unhandled_mail_root import UnhandledMailMutation, UnhandledMailQuery
from server.schema.contacts import ContactMutation, ContactQuery
from server.schema.imports import ImportMutation, ImportQuery
from server.schema.compose_root import ComposeMutation, ComposeQuery
from server.schema.directory import DirectoryQuery
from server.schema.lifecycle_root import LifecycleMutation, LifecycleQuery
from server.schema.lists import ListQuery, WorkItemOrder
from server.schema.errors import ErrorCodes, OperationNameRequired, SafeParserCache, SwitchboardSchema
from server.schema.limits import LimitRules, document_limits, metered_overlapping_fields
from server.schema.org_admin import OrgAdminMutation, OrgAdminQuery
from server.schema.scalars import SCALARS
from server.schema.reports_root import ReportQuery
from server.schema.search import SearchMutation, SearchQuery
from server.schema.team_bar_root import TeamBarQuery
from server.schema.viewer import LoginPayload, ViewerInfo
from server.schema.work_items import (
    CreateWorkItemInput,
    WorkItem,
    WorkItemConnection,
    WorkItemFieldsInput,
    WorkItemFilter,
    WorkItemUpdate,
)
from server.schema.live.root import Subscription

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_FIELDS = 10_000
MAX_SELECTION_WIDTH = 100
# comparisons OverlappingFieldsCanBeMerged may make (graphql-core: 250,000, about two seconds)
MAX_FIELD_COMPARISONS = 10_000
MAX_TOKENS = 2000
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
PARSER_CACHE_SIZE = 512
VALIDATION_CACHE_SIZE = 512


# The limits' rule classes are built once: the validation cache is keyed by the rules, and a
# class built per operation would make a cache miss on every request.
LIMIT_RULES = [
    document_limits(max_depth=MAX_DEPTH, max_aliases=MAX_ALIASES, max_fields=MAX_FIELDS, max_width=MAX_SELECTION_WIDTH)
]
OVERLAPPING_FIELDS_RULE = metered_overlapping_fields(2 * MAX_FIELD_COMPARISONS)  # a comparison costs two units


@strawberry.type
class CoreQuery:
    viewer: Optional[ViewerInfo] = strawberry.field(
        resolver=viewer_resolvers.viewer, description="Who the token stands for; null without a token."
    )

    @strawberry.field(description="A work item by reference; NOT_FOUND when missing or not yours to see.")
    async def work_item(self, info: strawberry.Info, ref: str) -> WorkItem:
        return await work_item_resolvers.work_item(info, ref)

    @strawberry.field(description="Work items you may see, newest first, at most 100 a page.")
    async def work_items(
        self,
        info: strawberry.Info,
        filter: Optional[WorkItemFilter] = None,
        first: int = 20,
        after: Optional[str] = None,
        order_by: Optional[list[WorkItemOrder]] = None,
        view_id: Annotated[Optional[strawberry.ID], strawberry.argument(description="One of my saved views, listed with its filter and order (then pass neither).")] = None,
    ) -> WorkItemConnection:
        return await work_item_resolvers.work_items_page(info, filter, first, after, order_by, view_id)


@strawberry.type
class CoreMutation:
    @strawberry.mutation(description="Sign in as an employee or a portal contact.")
    async def login(self, info: strawberry.Info, email: str, password: str) -> LoginPayload:
        return await viewer_resolvers.login(info, email, password)

    @strawberry.mutation(description="A new ticket or case, in DRAFT.")
    async def create_work_item(self, info: strawberry.Info, input: CreateWorkItemInput) -> WorkItem:
        return await work_item_resolvers.create_work_item(info, input)

    @strawberry.mutation(description="Change fields of a work item; pass `version` to detect conflicts.")
    async def update_work_item(
        self, info: strawberry.Info, ref: str, input: WorkItemFieldsInput, version: Optional[int] = None
    ) -> WorkItem:
        return await work_item_resolvers.update_work_item(info, ref, input, version)

    @strawberry.mutation(description="Submit a draft: it goes TO_DO in its queue with a due date from the SLA.")
    async def submit_work_item(self, info: strawberry.Info, ref: str, version: Optional[int] = None) -> WorkItem:
        return await work_item_resolvers.submit_work_item(info, ref, version)


# Each area contributes its own root fields; merged here in a fixed order.
Query = merge_types(
    "Query",
    (CoreQuery, DirectoryQuery, LifecycleQuery, ListQuery, AdminQuery, ApiKeyQuery, TeamBarQuery, OutboxQuery, UnhandledMailQuery, MailAdminQuery, ComposeQuery,
     AuditQuery, ReportQuery, OrgAdminQuery, PortalQuery, SearchQuery, ContactQuery, ImportQuery),
)
Mutation = merge_types(
    "Mutation",
    (CoreMutation, LifecycleMutation, AdminMutation, WorkItemMoveMutation, ApiKeyMutation, LinkMutation, ItemViewerMutation, OutboxMutation,
     UnhandledMailMutation, MailAdminMutation, ComposeMutation, CaseTypeMutation, OrgAdminMutation, PortalMutation, SearchMutation, ContactMutation, ImportMutation),
)


class OperationScopeExtension(SchemaExtension):
    """Fresh DataLoaders and viewer for every operation (see server.resolvers.context)."""

    def on_operation(self):
        begin_operation(self.execution_context.context)
        yield


def build_schema(*, production: bool = False) -> SwitchboardSchema:
    # factories, not instances: strawberry makes fresh extensions per operation (the parser and
    # validation caches live at module level, so they are shared all the same)
    extensions: list = [
        OperationScopeExtension,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: SafeParserCache(maxsize=PARSER_CACHE_SIZE),
        lambda: ValidationCache(maxsize=VALIDATION_CACHE_SIZE),
        OperationNameRequired,  # after ValidationCache, whose errors it replaces
        lambda: LimitRules(LIMIT_RULES, OVERLAPPING_FIELDS_RULE),
        lambda: ErrorCodes(hide_suggestions=production),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return SwitchboardSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
        hide_suggestions=production,
    )
