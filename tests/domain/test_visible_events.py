"""`visibility.visible_event`: what a pushed update may tell, per viewer and event kind (the rule;
tests/subscriptions/test_work_item_updated.py and the authorisation matrix check it over a socket)."""

from __future__ import annotations

from models.org import Department, User
from models.work_item import WorkItem
from server.domain import visibility
from server.domain.viewer import user_viewer
from server.domain.events import ItemHeader, WorkItemAssigned, WorkItemFieldsChanged


async def test_an_event_from_while_the_item_was_in_a_hidden_department_is_withheld(demo):
    jane = await user_viewer(await User.get(email="jane@example.com"))
    item = await WorkItem.get(ref="T-1002")
    pl = await Department.get(name="PL Operations")
    base = {"work_item_id": item.id, "ref": item.ref, "version": item.version, "actor_name": "Someone", "item": ItemHeader.of(item)}
    here = WorkItemFieldsChanged(**base, department_id=item.department_id, fields=("title",))
    away = WorkItemFieldsChanged(**base, department_id=pl.id, fields=("title",))
    assert visibility.visible_event(jane, here) == here
    assert visibility.visible_event(jane, away) is None
    assigned = WorkItemAssigned(**base, department_id=item.department_id, from_user_id=None, to_user_id=jane.id)
    assert visibility.visible_event(jane, assigned) == assigned
