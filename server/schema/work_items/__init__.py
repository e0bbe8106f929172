"""GraphQL types of work items: the item, its connection, filters, inputs and live events.

    enums        the enums of work items
    item         WorkItem, LinkedWorkItem, the SLA pause, emails
    rows         related rows by foreign key; a list prefetches what its query selects
    case_flow    case types: steps and their actions
    connection   pages of work items and the list filter
    inputs       creating and changing work items
    updates      what workItemUpdated pushes
"""

from server.schema.work_items.case_flow import ActionTemplate, CaseStep, CaseType
from server.schema.work_items.connection import PageInfo, WorkItemConnection, WorkItemEdge, WorkItemFilter
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
from server.schema.work_items.inputs import CreateWorkItemInput, WorkItemFieldsInput
from server.schema.work_items.item import EmailMessage, LinkedWorkItem, SlaPause, WorkItem
from server.schema.work_items.rows import prefetch_rows
from server.schema.work_items.updates import WorkItemEventKind, WorkItemEventKindEnum, WorkItemUpdate

__all__ = [
    "ActionKind",
    "ActionTemplate",
    "CaseStep",
    "CaseType",
    "CreateWorkItemInput",
    "EmailMessage",
    "LinkedWorkItem",
    "PageInfo",
    "Priority",
    "ResolutionMethod",
    "ReviewOutcome",
    "ReviewStage",
    "SlaPause",
    "Status",
    "WaitType",
    "WorkItem",
    "WorkItemConnection",
    "WorkItemEdge",
    "WorkItemEventKind",
    "WorkItemEventKindEnum",
    "WorkItemFieldsInput",
    "WorkItemFilter",
    "WorkItemType",
    "WorkItemUpdate",
    "prefetch_rows",
]
