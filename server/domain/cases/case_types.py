"""Administering case types (SPEC §2.2 rule 11): an admin creates a case type with its ordered
steps of action templates, and changes it later (case_type_editing.py). Admins only: anyone else is
FORBIDDEN and nothing changes.

What an action template may carry depends on its kind, and every problem is a VALIDATION error
naming its field (`steps.<i>.actions.<j>.<field>` when creating, the field itself when changing):

- SEND_EMAIL and SEND_EMAIL_AND_WAIT need an email template (`emailTemplateId`, an existing
  one); SEND_EMAIL_AND_WAIT may wait `replyWaitDays` (1 to MAX_REPLY_WAIT_DAYS) for the reply
  before it closes anyway — left out, it waits until the reply arrives. No other kind has either.
- START_CASE may name the case type of the sub-case it starts (`subCaseTypeId`); no other kind does.
- `queueId`, when given, is an existing queue.

Cases already running keep the actions they started; a changed template applies to the actions
started from it afterwards. Editing a case type, its steps and their actions after it was created:
case_type_editing.py. Every change is audited in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.case_flow import ActionTemplate, CaseStep, CaseType
from models.email import EmailTemplate
from models.enums import ActionKind
from models.org import Queue
from server.domain import audit, limits, permissions, text
from server.domain.cases.email_actions import EMAIL_KINDS, MAX_REPLY_WAIT_DAYS
from server.domain.errors import FieldProblem
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

MAX_STEPS = 50
MAX_ACTIONS_PER_STEP = 20
# what the audit log keeps of an action template
AUDITED = ("title", "kind", "queue_id", "sub_case_type_id", "email_template_id", "reply_wait_days", "position")


@dataclass(frozen=True)
class ActionTemplateFields:
    title: str | None = None
    kind: ActionKind = ActionKind.MANUAL
    queue_id: int | None = None
    sub_case_type_id: int | None = None
    email_template_id: int | None = None
    reply_wait_days: int | None = None


@dataclass(frozen=True)
class StepFields:
    name: str | None = None
    actions: list[ActionTemplateFields] = field(default_factory=list)


require_admin = permissions.admin_check("manage case types")


_raise = permissions.raise_problems


async def action_problems(fields: ActionTemplateFields, prefix: str = "") -> list[FieldProblem]:
    """What is wrong with one action template, its fields named after `prefix`."""
    def problem(name: str, message: str) -> FieldProblem:
        return FieldProblem(prefix + name, message)

    found = []
    if text.is_blank(fields.title):
        found.append(problem("title", "an action template needs a title"))
    if fields.queue_id is not None and not await Queue.exists(id=fields.queue_id):
        found.append(problem("queueId", f"no queue {fields.queue_id}"))
    if fields.kind in EMAIL_KINDS:
        if fields.email_template_id is None:
            found.append(problem("emailTemplateId", f"a {fields.kind.value} action needs the email template it sends"))
        elif not await EmailTemplate.exists(id=fields.email_template_id):
            found.append(problem("emailTemplateId", f"no email template {fields.email_template_id}"))
    elif fields.email_template_id is not None:
        found.append(problem("emailTemplateId", "only SEND_EMAIL and SEND_EMAIL_AND_WAIT actions send an email template"))
    if fields.reply_wait_days is not None:
        if fields.kind is not ActionKind.SEND_EMAIL_AND_WAIT:
            found.append(problem("replyWaitDays", "only a SEND_EMAIL_AND_WAIT action waits for a reply"))
        elif not 1 <= fields.reply_wait_days <= MAX_REPLY_WAIT_DAYS:
            found.append(problem("replyWaitDays", f"replyWaitDays must be between 1 and {MAX_REPLY_WAIT_DAYS}"))
    if fields.sub_case_type_id is not None:
        if fields.kind is not ActionKind.START_CASE:
            found.append(problem("subCaseTypeId", "only a START_CASE action starts a sub-case"))
        else:
            sub_case_type = await CaseType.get_or_none(id=fields.sub_case_type_id)
            if sub_case_type is None:
                found.append(problem("subCaseTypeId", f"no case type {fields.sub_case_type_id}"))
            elif not sub_case_type.active:
                found.append(problem("subCaseTypeId", f"the case type {sub_case_type.name} is inactive: it starts no new cases"))
    return found


def template_row(fields: ActionTemplateFields) -> dict[str, Any]:
    return {
        "title": (fields.title or "").strip(), "kind": fields.kind, "queue_id": fields.queue_id,
        "sub_case_type_id": fields.sub_case_type_id, "email_template_id": fields.email_template_id,
        "reply_wait_days": fields.reply_wait_days,
    }


async def create_case_type(viewer: Viewer, name: str | None, steps: list[StepFields], description: str | None = None) -> CaseType:
    """A new case type: its steps in the order given (positions 1, 2, ...), each with its actions."""
    require_admin(viewer)
    limits.check({"name": name, "description": description, "steps": steps})
    found = []
    if text.is_blank(name):
        found.append(FieldProblem("name", "a case type needs a name"))
    elif await CaseType.exists(name=name.strip()):
        found.append(FieldProblem("name", f"a case type named {name.strip()!r} exists already"))
    if not 1 <= len(steps) <= MAX_STEPS:
        found.append(FieldProblem("steps", f"a case type has 1 to {MAX_STEPS} steps"))
    for i, step in enumerate(steps[:MAX_STEPS]):
        if text.is_blank(step.name):
            found.append(FieldProblem(f"steps.{i}.name", "a step needs a name"))
        if not 1 <= len(step.actions) <= MAX_ACTIONS_PER_STEP:
            found.append(FieldProblem(f"steps.{i}.actions", f"a step has 1 to {MAX_ACTIONS_PER_STEP} actions"))
        for j, action in enumerate(step.actions[:MAX_ACTIONS_PER_STEP]):
            found += await action_problems(action, f"steps.{i}.actions.{j}.")
    _raise(found, "case type")
    async with unit_of_work():
        case_type = await CaseType.create(name=name.strip(), description=text.visible(description))
        for position, step in enumerate(steps, start=1):
            row = await CaseStep.create(case_type=case_type, position=position, name=step.name.strip())
            for order, action in enumerate(step.actions, start=1):
                await ActionTemplate.create(step=row, position=order, **template_row(action))
        await audit.record(viewer, "case_type.created", case_type, changes=audit.created({
            "name": case_type.name, "description": case_type.description,
            "steps": [{"name": s.name.strip(), "actions": [(a.title or "").strip() for a in s.actions]} for s in steps],
        }))
    return case_type
