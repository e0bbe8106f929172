"""Editing a case type after it was created (SPEC §2.2 rule 11), admins only: its name,
description and whether it is active; its steps — added, renamed, moved, deleted — and the
action templates of each step — added, moved, deleted (changed: case_types.update_action_template).
Every change is checked whole and audited in its transaction.

Running cases stay consistent:
- A case and its actions name their step by position (`current_step`, `step`). Moving, adding or
  deleting a step renumbers the type's steps and, in the same transaction, the positions its
  cases and their actions hold: a case at "Verify" stays at "Verify" wherever it moves.
- A step in use — the current step of a case of the type that is not CLOSED, or the step of an
  open action of one — cannot be deleted (CONFLICT naming the cases); neither can an action
  template an open action was started from. Actions of a deleted step that are done keep their
  history but no longer name a step.
- A case type keeps at least one step, and a step at least one action template (CONFLICT).
- An inactive case type starts no new cases (createWorkItem, startCase, convertTicketToCase,
  mail: VALIDATION on caseTypeId); the cases already running continue. Deactivating one is
  refused (CONFLICT) while a mailbox or route creates cases of it or a START_CASE action template
  of an active case type starts it: change those first.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from models.case_flow import ActionTemplate, CaseStep, CaseType
from models.email import Mailbox, MailRoute
from models.enums import Status, WorkItemType
from models.work_item import WorkItem
from server.domain import audit, limits, text, workflow
from server.domain.cases.case_types import (
    AUDITED,
    MAX_ACTIONS_PER_STEP,
    MAX_STEPS,
    ActionTemplateFields,
    StepFields,
    action_problems,
    require_admin,
    template_row,
)
from server.domain.errors import Conflict, FieldProblem, NotFound
from server.domain.permissions import raise_problems
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

CASE_TYPE_FIELDS = frozenset({"name", "description", "active"})
STEP_FIELDS = frozenset({"name", "position"})

MAX_REFS = 10  # cases named in a CONFLICT


def audited_case_type(case_type: CaseType) -> dict[str, Any]:
    return audit.values(case_type, ("name", "description", "active"))


async def _case_type(case_type_id: int) -> CaseType:
    case_type = await CaseType.select_for_update().get_or_none(id=case_type_id)
    if case_type is None:
        raise NotFound(f"No case type {case_type_id}.", field="id")
    return case_type


async def _step(step_id: int) -> CaseStep:
    step = await CaseStep.select_for_update().get_or_none(id=step_id)
    if step is None:
        raise NotFound(f"No case step {step_id}.", field="id")
    await _case_type(step.case_type_id)  # one change to a type's steps at a time
    return step


# ---------------------------------------------------------------------------------- the case type


async def _deactivation_conflict(case_type: CaseType) -> None:
    mailboxes = await Mailbox.filter(case_type_id=case_type.id).order_by("address").values_list("address", flat=True)
    routes = await MailRoute.filter(case_type_id=case_type.id).order_by("address").values_list("address", flat=True)
    starting = ActionTemplate.filter(sub_case_type_id=case_type.id, step__case_type__active=True).exclude(step__case_type_id=case_type.id)
    starters = sorted(set(await starting.values_list("step__case_type__name", flat=True)))
    if mailboxes or routes or starters:
        named = [f"mail to {a}" for a in [*mailboxes, *routes]] + [f"a START_CASE action of {n}" for n in starters]
        raise Conflict(
            f"{case_type.name} still starts new cases: {', '.join(named)}; change those first.",
            field="active", addresses=[*mailboxes, *routes], caseTypes=list(starters),
        )


async def update_case_type(viewer: Viewer, case_type_id: int, fields: dict[str, Any]) -> CaseType:
    """Change a case type's name, description or whether it is active (fields given only; a
    null description clears it)."""
    require_admin(viewer)
    unknown = set(fields) - CASE_TYPE_FIELDS
    if unknown:
        raise ValueError(f"not case type fields: {sorted(unknown)}")
    limits.check(fields)
    changes = dict(fields)
    problems: list[FieldProblem] = []
    if "name" in changes:
        name = text.visible(changes["name"])
        if name is None:
            problems.append(FieldProblem("name", "a case type needs a name"))
        elif await CaseType.filter(name=name).exclude(id=case_type_id).exists():
            problems.append(FieldProblem("name", f"a case type named {name!r} exists already"))
        changes["name"] = name
    if "description" in changes:
        changes["description"] = text.visible(changes["description"])
    if "active" in changes and not isinstance(changes["active"], bool):
        problems.append(FieldProblem("active", "active must be true or false"))
    raise_problems(problems, "case type")
    async with unit_of_work():
        case_type = await _case_type(case_type_id)
        before = audited_case_type(case_type)
        if changes.get("active") is False and case_type.active:
            await _deactivation_conflict(case_type)
        for name, value in changes.items():
            setattr(case_type, name, value)
        await case_type.save()
        await audit.record_changes(viewer, "case_type.updated", case_type, before, audited_case_type(case_type))
    return case_type


# ------------------------------------------------------------------------------------- positions


async def _renumber_steps(case_type_id: int, ordered: list[CaseStep], dropped: int | None = None) -> None:
    """Give `ordered` (every step of the type) positions 1, 2, ... and carry the type's cases and
    actions along; `dropped`: the position of a deleted step, whose done actions lose their step."""
    moves = {step.position: new for new, step in enumerate(ordered, start=1) if step.position != new}
    case_ids = list(await WorkItem.filter(type=WorkItemType.CASE, case_type_id=case_type_id).values_list("id", flat=True))
    actions = WorkItem.filter(type=WorkItemType.ACTION, parent_id__in=case_ids) if case_ids else None
    if dropped is not None and actions is not None:
        await actions.filter(step=dropped).update(step=None)
    # through negative positions, so that no two rows ever hold one position (case_step is unique on it)
    for step in ordered:
        if step.position in moves:
            await CaseStep.filter(id=step.id).update(position=-moves[step.position])
    if case_ids:
        for old, new in moves.items():
            await WorkItem.filter(id__in=case_ids, current_step=old).update(current_step=-new)
            await actions.filter(step=old).update(step=-new)
    for step in ordered:
        if step.position in moves:
            step.position = moves[step.position]
            await CaseStep.filter(id=step.id).update(position=step.position)
    if case_ids:
        for new in moves.values():
            await WorkItem.filter(id__in=case_ids, current_step=-new).update(current_step=new)
            await actions.filter(step=-new).update(step=new)


def _position(value: Any, count: int, problems: list[FieldProblem]) -> int | None:
    """A position from 1 to `count` (None stays None: the end)."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= count:
        problems.append(FieldProblem("position", f"position must be between 1 and {count}"))
        return None
    return value


async def _steps_of(case_type_id: int) -> list[CaseStep]:
    return list(await CaseStep.filter(case_type_id=case_type_id).order_by("position"))


async def _renumber_actions(ordered: list[ActionTemplate]) -> None:
    for position, template in enumerate(ordered, start=1):
        if template.position != position:
            template.position = position
            await ActionTemplate.filter(id=template.id).update(position=position)


async def _templates_of(step_id: int) -> list[ActionTemplate]:
    return list(await ActionTemplate.filter(step_id=step_id).order_by("position", "id"))


# ------------------------------------------------------------------------------------------ steps


async def _step_problems(step: StepFields) -> list[FieldProblem]:
    found = []
    if text.is_blank(step.name):
        found.append(FieldProblem("name", "a step needs a name"))
    if not 1 <= len(step.actions) <= MAX_ACTIONS_PER_STEP:
        found.append(FieldProblem("actions", f"a step has 1 to {MAX_ACTIONS_PER_STEP} actions"))
    for j, action in enumerate(step.actions[:MAX_ACTIONS_PER_STEP]):
        found += await action_problems(action, f"actions.{j}.")
    return found


def _audited_step(step: CaseStep, templates: list[ActionTemplate]) -> dict[str, Any]:
    return {"name": step.name, "position": step.position, "case_type_id": step.case_type_id,
            "actions": [t.title for t in templates]}


async def add_step(viewer: Viewer, case_type_id: int, step: StepFields, position: int | None) -> CaseType:
    """A new step with its actions at `position` (None: after the last); the steps from there
    on move one down. The case type as it is now."""
    require_admin(viewer)
    limits.check({"name": step.name, "actions": step.actions})
    async with unit_of_work():
        case_type = await _case_type(case_type_id)
        steps = await _steps_of(case_type.id)
        problems = await _step_problems(step)
        if len(steps) >= MAX_STEPS:
            problems.append(FieldProblem("caseTypeId", f"a case type has at most {MAX_STEPS} steps"))
        at = _position(position, len(steps) + 1, problems) or len(steps) + 1
        raise_problems(problems, "step")
        row = await CaseStep.create(case_type_id=case_type.id, position=0, name=step.name.strip())
        await _renumber_steps(case_type.id, [*steps[:at - 1], row, *steps[at - 1:]])
        templates = [await ActionTemplate.create(step=row, position=order, **template_row(action))
                     for order, action in enumerate(step.actions, start=1)]
        await audit.record(viewer, "case_step.created", row, changes=audit.created(_audited_step(row, templates)))
    return case_type


async def update_step(viewer: Viewer, step_id: int, fields: dict[str, Any]) -> CaseType:
    """Rename a step, or move it to `position` (the steps between move one place); the case type."""
    require_admin(viewer)
    unknown = set(fields) - STEP_FIELDS
    if unknown:
        raise ValueError(f"not step fields: {sorted(unknown)}")
    limits.check({"name": fields.get("name")})
    async with unit_of_work():
        step = await _step(step_id)
        steps = await _steps_of(step.case_type_id)
        before = {"name": step.name, "position": step.position}
        problems: list[FieldProblem] = []
        name = text.visible(fields["name"]) if "name" in fields else step.name
        if name is None:
            problems.append(FieldProblem("name", "a step needs a name"))
        at = _position(fields.get("position"), len(steps), problems) if "position" in fields else None
        if "position" in fields and fields["position"] is None:
            problems.append(FieldProblem("position", f"position must be between 1 and {len(steps)}"))
        raise_problems(problems, "step")
        if name != step.name:
            step.name = name
            await CaseStep.filter(id=step.id).update(name=name)
        if at is not None and at != step.position:
            others = [s for s in steps if s.id != step.id]
            current = next(s for s in steps if s.id == step.id)
            await _renumber_steps(step.case_type_id, [*others[:at - 1], current, *others[at - 1:]])
            step.position = current.position
        await audit.record_changes(viewer, "case_step.updated", step, before, {"name": step.name, "position": step.position})
    return await CaseType.get(id=step.case_type_id)


async def _running_cases(case_type_id: int, position: int) -> list[str]:
    """The cases (refs) of the type, not CLOSED, at step `position` or with an open action of it."""
    at_step = WorkItem.filter(type=WorkItemType.CASE, case_type_id=case_type_id, current_step=position).exclude(status=Status.CLOSED)
    refs = set(await at_step.values_list("ref", flat=True))
    case_ids = WorkItem.filter(type=WorkItemType.CASE, case_type_id=case_type_id).values_list("id", flat=True)
    acting = WorkItem.filter(type=WorkItemType.ACTION, step=position, status__in=list(workflow.OPEN), parent_id__in=await case_ids)
    parent_ids = set(await acting.values_list("parent_id", flat=True))
    if parent_ids:
        refs |= set(await WorkItem.filter(id__in=sorted(parent_ids)).values_list("ref", flat=True))
    return sorted(refs)


async def delete_step(viewer: Viewer, step_id: int) -> CaseType:
    """Delete a step no running case uses, with its action templates; the later steps move up.
    The case type as it is now."""
    require_admin(viewer)
    async with unit_of_work():
        step = await _step(step_id)
        steps = await _steps_of(step.case_type_id)
        if len(steps) == 1:
            raise Conflict("A case type has at least one step; add another before deleting this one.", field="id")
        running = await _running_cases(step.case_type_id, step.position)
        if running:
            raise Conflict(
                f"Running cases are at step {step.position} ({step.name}): {', '.join(running[:MAX_REFS])}; "
                "it can be deleted when none is.", field="id", refs=running[:MAX_REFS],
            )
        templates = await _templates_of(step.id)
        logged = audit.deleted(_audited_step(step, templates))
        await CaseStep.filter(id=step.id).delete()
        await _renumber_steps(step.case_type_id, [s for s in steps if s.id != step.id], dropped=step.position)
        await audit.record(viewer, "case_step.deleted", step, changes=logged, target_id=step_id)
    return await CaseType.get(id=step.case_type_id)


# ------------------------------------------------------------------------------ action templates


async def add_action_template(viewer: Viewer, step_id: int, fields: ActionTemplateFields, position: int | None) -> CaseType:
    """A new action of a step at `position` (None: after the last); cases that start the step
    from now on start it too. The case type as it is now."""
    require_admin(viewer)
    limits.check({"title": fields.title})
    async with unit_of_work():
        step = await _step(step_id)
        templates = await _templates_of(step.id)
        problems = await action_problems(fields)
        if len(templates) >= MAX_ACTIONS_PER_STEP:
            problems.append(FieldProblem("stepId", f"a step has at most {MAX_ACTIONS_PER_STEP} actions"))
        at = _position(position, len(templates) + 1, problems) or len(templates) + 1
        raise_problems(problems, "action template")
        row = await ActionTemplate.create(step_id=step.id, position=at, **template_row(fields))
        await _renumber_actions([*templates[:at - 1], row, *templates[at - 1:]])
        await audit.record(viewer, "action_template.created", row,
                           changes=audit.created({"step_id": step.id, **audit.values(row, AUDITED)}), target_name=row.title)
    return await CaseType.get(id=step.case_type_id)


async def move_action_template(template: ActionTemplate, position: int) -> None:
    """Put `template` at `position` of its step (checked: 1 to the step's count)."""
    templates = await _templates_of(template.step_id)
    problems: list[FieldProblem] = []
    at = _position(position, len(templates), problems)
    raise_problems(problems, "action template")
    others = [t for t in templates if t.id != template.id]
    await _renumber_actions([*others[:at - 1], template, *others[at - 1:]])


async def update_action_template(viewer: Viewer, template_id: int, changes: dict[str, Any]) -> ActionTemplate:
    """Change an action template: `changes` holds the ActionTemplateFields names sent (None clears
    an optional one) and `position` to move it within its step; the result is checked whole, as if
    created so."""
    require_admin(viewer)
    limits.check({"title": changes.get("title")})
    changes = dict(changes)
    position = changes.pop("position", None)
    async with unit_of_work():
        template = await ActionTemplate.select_for_update().get_or_none(id=template_id)
        if template is None:
            raise NotFound(f"No action template {template_id}.", field="id")
        before = audit.values(template, AUDITED)
        current = ActionTemplateFields(
            title=template.title, kind=template.kind, queue_id=template.queue_id, sub_case_type_id=template.sub_case_type_id,
            email_template_id=template.email_template_id, reply_wait_days=template.reply_wait_days,
        )
        after = replace(current, **changes)
        if after.kind is None:
            after = replace(after, kind=current.kind)
        raise_problems(await action_problems(after), "action template")
        for name, value in template_row(after).items():
            setattr(template, name, value)
        await template.save()
        if position is not None:
            await move_action_template(template, position)
        await audit.record_changes(viewer, "action_template.updated", template, before, audit.values(template, AUDITED),
                                   target_name=template.title)
    return template


async def delete_action_template(viewer: Viewer, template_id: int) -> CaseType:
    """Delete an action template no open action was started from (its step keeps at least one)."""
    require_admin(viewer)
    async with unit_of_work():
        template = await ActionTemplate.select_for_update().get_or_none(id=template_id)
        if template is None:
            raise NotFound(f"No action template {template_id}.", field="id")
        await _step(template.step_id)
        templates = await _templates_of(template.step_id)
        if len(templates) == 1:
            raise Conflict("A step has at least one action; delete the step instead.", field="id")
        open_actions = await WorkItem.filter(action_template_id=template.id, status__in=list(workflow.OPEN)).order_by("ref") \
            .values_list("ref", flat=True)
        if open_actions:
            raise Conflict(
                f"Open actions were started from it: {', '.join(open_actions[:MAX_REFS])}; it can be deleted when they are done.",
                field="id", refs=list(open_actions[:MAX_REFS]),
            )
        logged = audit.deleted({"step_id": template.step_id, **audit.values(template, AUDITED)})
        await ActionTemplate.filter(id=template.id).delete()
        await _renumber_actions([t for t in templates if t.id != template.id])
        await audit.record(viewer, "action_template.deleted", template, changes=logged, target_id=template_id, target_name=template.title)
        step = await CaseStep.get(id=template.step_id)
    return await CaseType.get(id=step.case_type_id)
