"""Enums of work items, as the schema names them."""

from __future__ import annotations

import strawberry

from models.enums import ActionKind as ActionKindEnum
from models.enums import Priority as PriorityEnum
from models.enums import ReviewOutcome as ReviewOutcomeEnum
from models.enums import ReviewStage as ReviewStageEnum
from models.enums import ResolutionMethod as ResolutionMethodEnum
from models.enums import Status as StatusEnum
from models.enums import WaitType as WaitTypeEnum
from models.enums import WorkItemType as WorkItemTypeEnum


WorkItemType = strawberry.enum(WorkItemTypeEnum, name="WorkItemType")
Status = strawberry.enum(StatusEnum, name="Status")
WaitType = strawberry.enum(WaitTypeEnum, name="WaitType")
ResolutionMethod = strawberry.enum(ResolutionMethodEnum, name="ResolutionMethod")
Priority = strawberry.enum(PriorityEnum, name="Priority")
ActionKind = strawberry.enum(ActionKindEnum, name="ActionKind")
ReviewStage = strawberry.enum(ReviewStageEnum, name="ReviewStage")
ReviewOutcome = strawberry.enum(ReviewOutcomeEnum, name="ReviewOutcome")
