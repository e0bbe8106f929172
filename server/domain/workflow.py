"""The status machine of tickets, cases and actions (SPEC §2.1, seeds 002 and 004), as data.

`TRANSITIONS` is the one table of allowed moves; the code checks every change against it and the
tests are parametrised from it. The wait types and resolution methods a user may choose, and where
each resolution method leads, are tables too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.enums import ResolutionMethod as M
from models.enums import Status as S
from models.enums import WaitType as W
from models.enums import WorkItemType as T
from models.org import Department
from models.work_item import WorkItem
from server.domain.errors import InvalidTransition, ValidationError

# work still to do, and work finished (a RESOLVED item may still reopen in its feedback window)
OPEN = frozenset({S.TO_DO, S.IN_PROGRESS, S.WAITING})
DONE = frozenset({S.RESOLVED, S.CLOSED})

TRANSITIONS: dict[T, dict[S, frozenset[S]]] = {
    T.TICKET: {
        S.DRAFT: frozenset({S.TO_DO, S.RESOLVED, S.CLOSED}),
        S.TO_DO: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED}),
        S.IN_PROGRESS: frozenset({S.TO_DO, S.WAITING, S.RESOLVED, S.CLOSED}),
        S.WAITING: frozenset({S.TO_DO, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}),
        S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
        S.CLOSED: frozenset(),
    },
    T.CASE: {
        S.DRAFT: frozenset({S.TO_DO, S.RESOLVED, S.CLOSED}),
        S.TO_DO: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED}),
        S.IN_PROGRESS: frozenset({S.TO_DO, S.WAITING, S.RESOLVED, S.CLOSED}),
        S.WAITING: frozenset({S.TO_DO, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}),
        S.RESOLVED: frozenset({S.IN_PROGRESS, S.CLOSED}),
        S.CLOSED: frozenset(),
    },
    # actions have no DRAFT and no RESOLVED: resolving one closes it at once
    T.ACTION: {
        S.TO_DO: frozenset({S.IN_PROGRESS, S.WAITING, S.CLOSED}),
        S.IN_PROGRESS: frozenset({S.TO_DO, S.WAITING, S.CLOSED}),
        S.WAITING: frozenset({S.TO_DO, S.IN_PROGRESS, S.CLOSED}),
        S.CLOSED: frozenset(),
    },
}

# what a user may choose; SPLIT, CASE_STARTED and SUB_CASES are set by the system (a user may put a
# wait-for-sub-cases action on SUB_CASES, which the case flow handles)
USER_WAIT_TYPES: dict[T, frozenset[W]] = {
    T.TICKET: frozenset({W.MORE_INFO, W.FOLLOW_UP}),
    T.CASE: frozenset({W.MORE_INFO, W.FOLLOW_UP, W.PAUSE}),
    T.ACTION: frozenset({W.MORE_INFO, W.FOLLOW_UP}),
}

# resolution methods a user may choose, and the status each leads to (RESOLVED means: RESOLVED
# during the feedback window, or CLOSED at once when none is configured)
USER_RESOLUTIONS: dict[T, dict[M, S]] = {
    T.TICKET: {
        M.WITH_CUSTOMER_RESPONSE: S.RESOLVED,
        M.NO_CUSTOMER_RESPONSE: S.RESOLVED,
        M.REJECTED: S.RESOLVED,
        M.REJECTED_SPAM: S.CLOSED,
    },
    T.CASE: {M.COMPLETE: S.RESOLVED, M.ABANDONED: S.CLOSED},
    T.ACTION: {M.COMPLETE: S.CLOSED, M.UNABLE_TO_COMPLETE: S.CLOSED},
}
SYSTEM_RESOLUTIONS: dict[T, dict[M, S]] = {
    T.TICKET: {M.REJECTED_UNKNOWN_ADDRESS: S.CLOSED, M.MERGED: S.CLOSED, M.NO_CUSTOMER_RESPONSE: S.CLOSED},
    T.CASE: {},
    T.ACTION: {},
}


def _article(item_type: T) -> str:
    name = item_type.value.lower()
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def allowed(item_type: T, from_status: S, to_status: S) -> bool:
    return to_status in TRANSITIONS[item_type].get(from_status, frozenset())


def check(item: WorkItem, to_status: S) -> None:
    """Raise INVALID_TRANSITION (naming from and to) unless the table allows the move."""
    if not allowed(item.type, item.status, to_status):
        if item.status is S.CLOSED:
            why = "it is closed, and nothing reopens a closed item"
        else:
            why = f"{_article(item.type)} cannot go from {item.status.value} to {to_status.value}"
        raise InvalidTransition(
            f"{item.ref}: {why}.",
            field="ref",
            **{"from": item.status.value, "to": to_status.value},
        )


def check_user_wait_type(item: WorkItem, wait_type: W) -> None:
    if wait_type not in USER_WAIT_TYPES[item.type]:
        choices = ", ".join(sorted(w.value for w in USER_WAIT_TYPES[item.type]))
        raise ValidationError.single("waitType", f"{_article(item.type)} may wait for: {choices}")


def user_resolution_target(item: WorkItem, method: M) -> S:
    target = USER_RESOLUTIONS[item.type].get(method)
    if target is None:
        choices = ", ".join(m.value for m in USER_RESOLUTIONS[item.type])
        raise ValidationError.single("method", f"{_article(item.type)} is resolved with one of: {choices}")
    return target


def check_submit(item: WorkItem) -> None:
    """Submitting is the move out of DRAFT into a queue (rule 1): DRAFT → TO_DO, nothing else."""
    if item.status is not S.DRAFT:
        raise InvalidTransition(
            f"Only a draft can be submitted; {item.ref} is {item.status.value}.",
            field="ref",
            **{"from": item.status.value, "to": S.TO_DO.value},
        )
    check(item, S.TO_DO)


def resolved(department: Department, now: datetime) -> tuple[S, dict[str, Any]]:
    """Where resolved work goes (rule 7): RESOLVED for the department's feedback window, with the
    end of the window to store; CLOSED at once where the department has none."""
    if department.feedback_window_hours:
        return S.RESOLVED, {"feedback_until": now + timedelta(hours=department.feedback_window_hours)}
    return S.CLOSED, {}
