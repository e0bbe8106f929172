"""Case types as clients see them: ordered steps of actions."""

from __future__ import annotations

from typing import Optional

import strawberry

from models.case_flow import CaseType as CaseTypeModel
from models.case_flow import ActionTemplate as ActionTemplateModel
from models.case_flow import CaseStep as CaseStepModel
from server.schema.work_items.enums import ActionKind


def _id(pk: int | None) -> Optional[strawberry.ID]:
    return None if pk is None else strawberry.ID(str(pk))


@strawberry.type(description="One action a step starts.")
class ActionTemplate:
    id: strawberry.ID
    position: int = strawberry.field(description="Its place among the step's actions, from 1.")
    title: str
    kind: ActionKind
    queue_id: Optional[strawberry.ID] = strawberry.field(description="Where the action waits; the case's queue when null.")
    sub_case_type_id: Optional[strawberry.ID] = strawberry.field(description="START_CASE: the case type of the sub-case it starts.")
    email_template_id: Optional[strawberry.ID] = strawberry.field(
        description="SEND_EMAIL / SEND_EMAIL_AND_WAIT: the email template it sends to the case's requester (or primary contact)."
    )
    reply_wait_days: Optional[int] = strawberry.field(
        description="SEND_EMAIL_AND_WAIT: days it waits for the reply before it closes anyway; null: until the reply arrives."
    )

    @classmethod
    def from_model(cls, row: ActionTemplateModel) -> "ActionTemplate":
        return cls(
            id=strawberry.ID(str(row.id)), position=row.position, title=row.title, kind=row.kind, queue_id=_id(row.queue_id),
            sub_case_type_id=_id(row.sub_case_type_id), email_template_id=_id(row.email_template_id),
            reply_wait_days=row.reply_wait_days,
        )


@strawberry.type(description="One step of a case type: its actions start together.")
class CaseStep:
    id: strawberry.ID
    position: int = strawberry.field(description="From 1; a case's currentStep and an action's step name it.")
    name: str
    actions: list[ActionTemplate]

    @classmethod
    def from_models(cls, step: CaseStepModel, templates: list[ActionTemplateModel]) -> "CaseStep":
        return cls(id=strawberry.ID(str(step.id)), position=step.position, name=step.name,
                   actions=[ActionTemplate.from_model(t) for t in templates if t.step_id == step.id])


@strawberry.type(description="The flow a case follows: ordered steps of actions.")
class CaseType:
    id: strawberry.ID
    name: str
    description: Optional[str]
    active: bool = strawberry.field(description="An inactive case type starts no new cases; those running continue.")
    model: strawberry.Private[CaseTypeModel]

    @classmethod
    def from_model(cls, row: CaseTypeModel) -> "CaseType":
        return cls(id=strawberry.ID(str(row.id)), name=row.name, description=row.description, active=row.active, model=row)

    @strawberry.field
    async def steps(self) -> list[CaseStep]:
        steps = await CaseStepModel.filter(case_type_id=self.model.id).order_by("position")
        templates = await ActionTemplateModel.filter(step_id__in=[s.id for s in steps]).order_by("position", "id")
        return [CaseStep.from_models(s, templates) for s in steps]
