"""The conditions a list of work items can set (SPEC §8): one value per standard column filter,
the advanced search's ranges and custom data texts. `lists` pages through the items that meet
them; `search.advanced` turns the advanced ones into SQL. Kept apart from both so neither has to
import the other to name it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from models.enums import ActionKind, Priority, ResolutionMethod, Status, WaitType, WorkItemType


MAX_CUSTOM_DATA_KEY = 100  # the longest custom data key a condition names


@dataclass(frozen=True)
class Criteria:
    """Conditions a list's items must all meet; None (or an empty list) sets no condition."""

    types: Sequence[WorkItemType] | None = None
    statuses: Sequence[Status] | None = None
    department_ids: Sequence[int] | None = None
    team_ids: Sequence[int] | None = None
    queue_ids: Sequence[int] | None = None
    assignee_ids: Sequence[int] | None = None
    refs: Sequence[str] | None = None
    my_teams: bool | None = None  # true: only my teams' items (false sets no condition)
    assigned_to_me: bool | None = None  # true: only items assigned to me (false sets no condition)
    custom_data: Sequence[tuple[str, Any]] | None = None  # custom_data[key] == value, all of them
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue: bool | None = None
    priorities: Sequence[Priority] | None = None
    wait_types: Sequence[WaitType] | None = None
    has_new_info: bool | None = None
    needs_attention: bool | None = None
    text: str | None = None  # the title contains it, ignoring case
    # advanced search (SPEC §8): the other standard columns and custom data texts (search/advanced.py)
    owner_ids: Sequence[int] | None = None
    requester_ids: Sequence[int] | None = None
    primary_contact_ids: Sequence[int] | None = None
    contact_ids: Sequence[int] | None = None  # the requester, the primary contact or one of the other contacts
    company_ids: Sequence[int] | None = None
    category_ids: Sequence[int] | None = None
    case_type_ids: Sequence[int] | None = None
    created_by_ids: Sequence[int] | None = None
    resolution_methods: Sequence[ResolutionMethod] | None = None
    action_kinds: Sequence[ActionKind] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    resolved_after: datetime | None = None
    resolved_before: datetime | None = None
    closed_after: datetime | None = None
    closed_before: datetime | None = None
    test_mode: bool | None = None  # true: test items only; false: live items only
    human_only: bool | None = None  # true: only items a robot left for a person
    custom_data_contains: Sequence[tuple[str, str]] | None = None  # custom_data[key] (text or number) contains the text, ignoring case
