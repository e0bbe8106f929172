"""Inputs of the case type administration (server/domain/cases/case_types.py), admins only; the
root mutations are in case_types_root.py. Case types are read with the `caseTypes` query."""

from __future__ import annotations

from typing import Optional

import strawberry

from server.schema.work_items.enums import ActionKind

KIND_RULES = (
    " SEND_EMAIL and SEND_EMAIL_AND_WAIT need emailTemplateId; only SEND_EMAIL_AND_WAIT has replyWaitDays (1 to 365; "
    "null: it waits until the reply); only START_CASE has subCaseTypeId. VALIDATION names each field that breaks a rule."
)


@strawberry.input(description="One action a step starts." + KIND_RULES)
class ActionTemplateInput:
    title: str
    kind: ActionKind = ActionKind.MANUAL
    queue_id: Optional[strawberry.ID] = None
    sub_case_type_id: Optional[strawberry.ID] = None
    email_template_id: Optional[strawberry.ID] = None
    reply_wait_days: Optional[int] = None


@strawberry.input
class CaseStepInput:
    name: str
    actions: list[ActionTemplateInput]


@strawberry.input
class CreateCaseTypeInput:
    name: str
    description: Optional[str] = None
    steps: list[CaseStepInput] = strawberry.field(description="In order: the first starts when a case is submitted.")


@strawberry.input(description="What to change of an action template; fields left out stay as they are, null clears." + KIND_RULES)
class UpdateActionTemplateInput:
    title: Optional[str] = strawberry.UNSET
    kind: Optional[ActionKind] = strawberry.UNSET
    queue_id: Optional[strawberry.ID] = strawberry.UNSET
    sub_case_type_id: Optional[strawberry.ID] = strawberry.UNSET
    email_template_id: Optional[strawberry.ID] = strawberry.UNSET
    reply_wait_days: Optional[int] = strawberry.UNSET
    position: Optional[int] = strawberry.field(default=strawberry.UNSET, description="Move it within its step (1: first).")


@strawberry.input(description="What to change of a case type; fields left out stay as they are.")
class UpdateCaseTypeInput:
    name: Optional[str] = strawberry.UNSET
    description: Optional[str] = strawberry.field(default=strawberry.UNSET, description="Null or blank: none.")
    active: Optional[bool] = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "False: it starts no new cases (running ones continue); CONFLICT while a mailbox or route creates cases "
            "of it or a START_CASE action of an active case type starts it."
        ),
    )


@strawberry.input(description="What to change of a step; fields left out stay as they are.")
class UpdateCaseStepInput:
    name: Optional[str] = strawberry.UNSET
    position: Optional[int] = strawberry.field(
        default=strawberry.UNSET, description="Move it (1: first); the cases of the type keep their place in the flow."
    )
