"""Moving a work item to another department (SPEC §1: "a work item may move between departments
during its life").

Not an admin action: the mover needs the lifecycle permission on the item and the right to create
in the target department. Who may hold the item is checked again, and it is re-queued there.
"""

from __future__ import annotations


from models.enums import Status
from models.org import Department, Queue
from models.work_item import WorkItem
from server.domain import lifecycle, timeline, transitions, visibility, workflow
from server.domain.departments import department_queue
from server.domain.errors import Forbidden, InvalidTransition, ValidationError
from server.domain.lifecycle import Outcome
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer
from server.domain.item_store import event_base, save_changes
from server.domain.events import WorkItemFieldsChanged

# ------------------------------------------------------------------------------ moving work items


def _check_can_move_into(viewer: Viewer, item: WorkItem, department: Department) -> None:
    """Full access to the target, or a public grant for an item the mover created (SPEC §1)."""
    visibility.check_can_create_in(viewer, department.id)
    public_only = not viewer.is_admin and department.id not in viewer.department_ids
    if public_only and item.created_by_id != viewer.id:
        raise Forbidden(
            f"{department.name} is public for you: you may move only work you created into it.", field="departmentId"
        )


async def _check_owner_may_follow(item: WorkItem, department: Department) -> None:
    """A case keeps its owner on a move (an owner is what submit required), so the owner must be
    someone who may hold the new department's work; otherwise the move is refused."""
    try:
        await transitions.check_may_hold(department, item.owner_id, "departmentId", as_what="case owners")
    except ValidationError as problem:
        raise ValidationError.single(
            "departmentId", f"{item.ref} cannot move while its owner may not hold its work there: {problem.message}"
        ) from None


async def move_work_item(
    viewer: Viewer, ref: str, department_id: int, queue_id: int | None, version: int | None
) -> Outcome:
    """Move an item to another department and one of its queues (the team follows the queue).

    An assignee who may not hold work there (assignees only from staff) is dropped and the item
    goes back TO_DO; a draft stays a draft. A case whose owner may not hold work there does not
    move (change its owner first). Closed work does not move."""
    async with unit_of_work() as uow:
        item = await lifecycle.load_for_change(viewer, ref, version)
        department = await Department.get_or_none(id=department_id)
        if department is None or not visibility.sees_department(viewer, department.id):  # alike when hidden
            raise visibility.no_such_department(department_id)
        _check_can_move_into(viewer, item, department)
        if item.status is Status.CLOSED:
            raise InvalidTransition(
                f"{item.ref} is closed; it can no longer move.", field="ref", **{"from": "CLOSED", "to": "CLOSED"}
            )
        if item.department_id == department.id:
            raise ValidationError.single(
                "departmentId", f"{item.ref} is already in {department.name}; change its queue with updateWorkItem"
            )
        queue = await department_queue(department.id, queue_id, where=department.name)
        if item.owner_id is not None:
            await _check_owner_may_follow(item, department)
        from_department = await Department.get(id=item.department_id)
        from_queue = await Queue.get_or_none(id=item.queue_id) if item.queue_id else None
        await save_changes(item, {"department_id": department.id, "queue_id": queue.id, "team_id": queue.team_id})
        uow.emit(WorkItemFieldsChanged(**event_base(item, viewer), fields=("departmentId", "queueId")))
        entry = await timeline.department_changed(
            uow, item, viewer, from_department=(from_department.id, from_department.name),
            to_department=(department.id, department.name),
            from_queue=(from_queue.id, from_queue.name) if from_queue else None, to_queue=(queue.id, queue.name),
        )

        notices = []
        if item.assignee_id is not None:
            try:
                await lifecycle.check_assignable(item, item.assignee_id)
            except ValidationError as problem:
                reason = f"unassigned on the move to {department.name}: {problem.message}"
                if item.status in workflow.OPEN and item.status is not Status.TO_DO:
                    await lifecycle.change_status(uow, item, viewer, Status.TO_DO, assignee=None, reason=reason)
                else:
                    await lifecycle.set_assignee(uow, item, viewer, None)
                notices.append(f"{item.ref} was {reason}.")
    return Outcome(item, notices=notices, entry=entry)
