"""Cases and their actions (SPEC §2.2 rules 11–14).

A case follows its case type: the actions of step 1 start when it is submitted; when every action
of the current step is complete the next step starts, and after the last step the case completes
itself. A case without a case type is driven by hand: its owner starts actions and resolves it.
An action that cannot be completed puts its case back TO_DO with the problem flag, and the owner
is told; the owner may rework from an earlier step, start another copy of an action, pause, reset
the case to in progress, or abandon it.

    flow       the case type driving a case: steps, actions and sub-cases starting, advancing,
               completing, and its reactions to actions and cases finishing
    actions    resolving actions, peer review, waiting for sub-cases; what the owner does
    starting   starting sub-cases and independent copies by hand, shared data
    email_actions  actions that send mail (SEND_EMAIL, SEND_EMAIL_AND_WAIT): sending, the reply,
               the reply wait running out
"""

from server.domain.cases.actions import (
    ReviewDecision,
    check_can_resolve,
    reset,
    resolve_action,
    rework,
    start_action,
    update_checklist,
    wait_for_sub_cases,
)
from server.domain.cases.email_actions import reply_arrived, wait_ended as reply_wait_ended
from server.domain.cases.flow import (
    action_closed,
    case_done,
    check_case_manager,
    check_owner_change,
    copy_case,
    on_submitted,
    running_sub_cases,
)
from server.domain.cases.starting import check_case_type, share_custom_data, start_case

__all__ = [
    "ReviewDecision",
    "action_closed",
    "case_done",
    "check_can_resolve",
    "check_case_manager",
    "check_case_type",
    "check_owner_change",
    "copy_case",
    "on_submitted",
    "reset",
    "resolve_action",
    "reply_arrived",
    "reply_wait_ended",
    "rework",
    "running_sub_cases",
    "share_custom_data",
    "start_action",
    "start_case",
    "update_checklist",
    "wait_for_sub_cases",
]
