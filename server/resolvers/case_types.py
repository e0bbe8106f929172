"""Resolvers of the case type administration: parse input, call server.domain.cases.case_types,
map the result."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from server.domain.cases import case_type_editing, case_types
from server.resolvers.context import require_viewer
from server.resolvers.inputs import provided, to_id
from server.schema.case_types import (
    ActionTemplateInput,
    CaseStepInput,
    CreateCaseTypeInput,
    UpdateActionTemplateInput,
    UpdateCaseStepInput,
    UpdateCaseTypeInput,
)
from server.schema.work_items import ActionTemplate, CaseType

_IDS = {"queue_id": "queueId", "sub_case_type_id": "subCaseTypeId", "email_template_id": "emailTemplateId"}


def _ids(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    return {name: (to_id(value, prefix + _IDS[name]) if name in _IDS and value is not None else value) for name, value in values.items()}


def _action(data: ActionTemplateInput, prefix: str) -> case_types.ActionTemplateFields:
    return case_types.ActionTemplateFields(**_ids(vars(data), prefix))


async def create_case_type(info: strawberry.Info, input: CreateCaseTypeInput) -> CaseType:
    viewer = await require_viewer(info)
    steps = [
        case_types.StepFields(name=step.name, actions=[_action(a, f"steps.{i}.actions.{j}.") for j, a in enumerate(step.actions)])
        for i, step in enumerate(input.steps)
    ]
    return CaseType.from_model(await case_types.create_case_type(viewer, input.name, steps, input.description))


async def update_action_template(info: strawberry.Info, id: strawberry.ID, input: UpdateActionTemplateInput) -> ActionTemplate:
    viewer = await require_viewer(info)
    row = await case_type_editing.update_action_template(viewer, to_id(id, "id"), _ids(provided(input)))
    return ActionTemplate.from_model(row)


async def update_case_type(info: strawberry.Info, id: strawberry.ID, input: UpdateCaseTypeInput) -> CaseType:
    viewer = await require_viewer(info)
    return CaseType.from_model(await case_type_editing.update_case_type(viewer, to_id(id, "id"), provided(input)))


async def add_case_step(info: strawberry.Info, case_type_id: strawberry.ID, input: CaseStepInput, position: Optional[int] = None) -> CaseType:
    viewer = await require_viewer(info)
    step = case_types.StepFields(name=input.name, actions=[_action(a, f"actions.{j}.") for j, a in enumerate(input.actions)])
    return CaseType.from_model(await case_type_editing.add_step(viewer, to_id(case_type_id, "caseTypeId"), step, position))


async def update_case_step(info: strawberry.Info, id: strawberry.ID, input: UpdateCaseStepInput) -> CaseType:
    viewer = await require_viewer(info)
    return CaseType.from_model(await case_type_editing.update_step(viewer, to_id(id, "id"), provided(input)))


async def delete_case_step(info: strawberry.Info, id: strawberry.ID) -> CaseType:
    viewer = await require_viewer(info)
    return CaseType.from_model(await case_type_editing.delete_step(viewer, to_id(id, "id")))


async def add_action_template(
    info: strawberry.Info, step_id: strawberry.ID, input: ActionTemplateInput, position: Optional[int] = None
) -> CaseType:
    viewer = await require_viewer(info)
    row = await case_type_editing.add_action_template(viewer, to_id(step_id, "stepId"), _action(input, ""), position)
    return CaseType.from_model(row)


async def delete_action_template(info: strawberry.Info, id: strawberry.ID) -> CaseType:
    viewer = await require_viewer(info)
    return CaseType.from_model(await case_type_editing.delete_action_template(viewer, to_id(id, "id")))
