"""Moving work items through their life (SPEC §2.2 rules 2–7 and 15).

Every status change goes through `change_status`: it checks the status machine, runs the SLA
clock, records who holds the item, writes the timeline and emits the events, inside the caller's
unit of work. The actions a person takes — start work, hand back, assign, wait, resolve, reopen,
get next work, a robot's rejection, notes — are built on it.

    actions    what people do with items, and get next work

The steps they are built of (loading for a change, change_status, assigning, flags, who may hold
an item) are server.domain.transitions, re-exported here. Importing this package also imports
cases and tickets, whose reactions to an item finishing (server.domain.reactions) the status
machine runs, and following, whose hook tells the followers of every item a unit of work changed
(server.domain.uow.before_commit): every process that changes items has both.
"""

from server.domain import tickets as _tickets  # noqa: F401 - registers its reactions
from server.domain.search import following as _following  # noqa: F401 - registers its hook
from server.domain.lifecycle.actions import (
    add_note,
    assign,
    get_next_work,
    mark_read,
    reject_work,
    reopen,
    reopen_with_new_information,
    resolve,
    return_to_queue,
    start_work,
    wait,
)
from server.domain.outbox import ResolutionEmail
from server.domain.transitions import (
    Outcome,
    change_status,
    check_assignable,
    check_lifecycle_allowed,
    department_of,
    departments_closed_to,
    load_for_change,
    may_hold_work_of,
    pick_up_on_update,
    require_person,
    set_assignee,
    set_flags,
    status_fields,
)

__all__ = [
    "Outcome",
    "ResolutionEmail",
    "add_note",
    "assign",
    "change_status",
    "check_assignable",
    "check_lifecycle_allowed",
    "department_of",
    "departments_closed_to",
    "get_next_work",
    "load_for_change",
    "may_hold_work_of",
    "mark_read",
    "pick_up_on_update",
    "reject_work",
    "reopen",
    "reopen_with_new_information",
    "require_person",
    "resolve",
    "return_to_queue",
    "set_assignee",
    "set_flags",
    "start_work",
    "status_fields",
    "wait",
]
