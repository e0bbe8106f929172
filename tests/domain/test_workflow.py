"""The status machine: every (type, from, to) move through `change_status` — the one path every
lifecycle action takes — is allowed exactly when the table says so, and a refused move changes
nothing. Parametrised from the same table the code uses."""

from __future__ import annotations

import pytest

from models.enums import ResolutionMethod, Status, WaitType, WorkItemType
from models.org import Department
from models.work_item import WorkItem
from server.domain import workflow
from server.domain.errors import InvalidTransition
from server.domain.lifecycle import change_status
from server.domain.uow import unit_of_work
from tests.support.footprint import footprint

CASES = [
    (item_type, from_status, to_status)
    for item_type, table in workflow.TRANSITIONS.items()
    for from_status in table
    for to_status in Status
    if to_status is not from_status
]


def _fields_for(to_status: Status) -> dict:
    if to_status is Status.WAITING:
        return {"wait_type": WaitType.MORE_INFO}
    if to_status in (Status.RESOLVED, Status.CLOSED):
        return {"resolution_method": ResolutionMethod.COMPLETE}
    return {}


@pytest.mark.parametrize("item_type, from_status, to_status", CASES, ids=lambda v: getattr(v, "value", v))
async def test_every_move_follows_the_table(demo, item_type: WorkItemType, from_status: Status, to_status: Status):
    department = await Department.get(name="UK Operations")
    parent = await WorkItem.get(ref="C-1001")
    item = await WorkItem.create(
        ref=f"{item_type.prefix}-9{from_status.value[:2]}{to_status.value[:2]}",
        type=item_type,
        status=from_status,
        department=department,
        parent_id=parent.id if item_type is WorkItemType.ACTION else None,
        wait_type=WaitType.MORE_INFO if from_status is Status.WAITING else None,
        title="probe",
    )
    if workflow.allowed(item_type, from_status, to_status):
        async with unit_of_work() as uow:
            await change_status(uow, item, None, to_status, fields=_fields_for(to_status))
        assert (await WorkItem.get(id=item.id)).status is to_status
    else:
        before = await footprint()
        with pytest.raises(InvalidTransition) as refused:
            async with unit_of_work() as uow:
                await change_status(uow, item, None, to_status, fields=_fields_for(to_status))
        assert refused.value.details == {"from": from_status.value, "to": to_status.value}
        assert await footprint() == before


def test_the_table_says_what_the_spec_says():
    actions = workflow.TRANSITIONS[WorkItemType.ACTION]
    assert Status.DRAFT not in actions and Status.RESOLVED not in actions  # actions start TO_DO, close at once
    for table in workflow.TRANSITIONS.values():
        assert table[Status.CLOSED] == frozenset()  # nothing reopens a closed item
    assert workflow.allowed(WorkItemType.TICKET, Status.DRAFT, Status.RESOLVED)  # first-contact resolution
    assert workflow.allowed(WorkItemType.TICKET, Status.RESOLVED, Status.IN_PROGRESS)  # reopen in the window
    assert workflow.USER_WAIT_TYPES[WorkItemType.CASE] == {WaitType.MORE_INFO, WaitType.FOLLOW_UP, WaitType.PAUSE}
    assert workflow.USER_RESOLUTIONS[WorkItemType.TICKET][ResolutionMethod.REJECTED_SPAM] is Status.CLOSED
    assert workflow.USER_RESOLUTIONS[WorkItemType.CASE][ResolutionMethod.ABANDONED] is Status.CLOSED
    assert set(workflow.USER_RESOLUTIONS[WorkItemType.ACTION].values()) == {Status.CLOSED}
