"""Cases, actions, peer review and sub-cases through GraphQL (SPEC §2.2 rules 11–14, seed 004).

The demo case C-1001 ("Client onboarding", owned by lena, IN_PROGRESS) starts at step 1 with
A-1001 "Collect the signed contract" (MANUAL) and A-1002 "Check the documents" (PEER_REVIEW), both
TO_DO in Team A's queue. Step 2 is "Set up payroll" (MANUAL) and "Wait for regional set-ups"
(WAIT_FOR_SUB_CASES); step 3 is "Approve go-live" (APPROVAL). UK Operations has a 48 h feedback
window.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from models.case_flow import ActionTemplate, CaseStep, CaseType
from models.enums import ActionKind, TimelineKind
from models.org import Queue, User
from models.timeline import TimelineEntry
from models.work_item import WorkItem as WorkItemRow
from tests.support.client import HttpClient
from tests.support.footprint import footprint

FIELDS = """
  ref type title status waitType resolutionMethod version needsAttention problem step currentStep actionKind
  reviewStage reviewOutcome checklist customData resolvedAt feedbackUntil
  assignee { email } owner { email } doer { email } reviewer { email } origin { ref } parent { ref }
  primaryContact { email } caseType { name } queue { name }
"""
ITEM = "query($ref: String!) { workItem(ref: $ref) { %s actions { %s } subCases { %s } } }" % (FIELDS, FIELDS, FIELDS)
CHANGE = "{ workItem { %s } notices created { %s } }" % (FIELDS, FIELDS)
RESOLVE = "mutation($ref: String!, $input: ResolveInput!, $version: Int) { resolveWorkItem(ref: $ref, input: $input, version: $version) %s }" % CHANGE
WAIT = "mutation($ref: String!, $input: WaitInput!, $version: Int) { waitWorkItem(ref: $ref, input: $input, version: $version) %s }" % CHANGE
START_ACTION = "mutation($ref: String!, $input: StartActionInput!, $version: Int) { startAction(ref: $ref, input: $input, version: $version) %s }" % CHANGE
START_CASE = "mutation($ref: String!, $input: StartCaseInput!, $version: Int) { startCase(ref: $ref, input: $input, version: $version) %s }" % CHANGE
REWORK = "mutation($ref: String!, $step: Int!, $version: Int) { reworkCase(ref: $ref, step: $step, version: $version) %s }" % CHANGE
RESET = "mutation($ref: String!, $version: Int) { resetCase(ref: $ref, version: $version) %s }" % CHANGE
CHECKLIST = """mutation($ref: String!, $items: [ChecklistItemInput!]!, $version: Int) {
  updateChecklist(ref: $ref, items: $items, version: $version) %s }""" % CHANGE
REOPEN = "mutation($ref: String!) { reopenWorkItem(ref: $ref) { workItem { status } } }"
START_WORK = "mutation($ref: String!, $version: Int) { startWork(ref: $ref, version: $version) { workItem { status version assignee { email } } } }"
UPDATE = """mutation($ref: String!, $input: WorkItemFieldsInput!, $version: Int) {
  updateWorkItem(ref: $ref, input: $input, version: $version) { ref status version customData assignee { email } }
}"""
CREATE = "mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { ref } }"
SUBMIT = "mutation($ref: String!) { submitWorkItem(ref: $ref) { ref status } }"
NOTE = "mutation($ref: String!, $body: String!) { addNote(ref: $ref, input: {body: $body}) { workItem { ref } } }"
NOTIFICATIONS = "{ notifications { kind text workItemRef } }"

COMPLETE = {"method": "COMPLETE"}


async def item(client: HttpClient, ref: str) -> dict[str, Any]:
    return (await client.data(ITEM, {"ref": ref}))["workItem"]


async def user_id(email: str) -> str:
    return str((await User.get(email=email)).id)


async def resolve(client: HttpClient, ref: str, **input_fields: Any) -> dict[str, Any]:
    return (await client.data(RESOLVE, {"ref": ref, "input": {"method": "COMPLETE", **input_fields}}))["resolveWorkItem"]


async def notifications(client: HttpClient, kind: str) -> list[dict[str, Any]]:
    return [n for n in (await client.data(NOTIFICATIONS))["notifications"] if n["kind"] == kind]


def by_title(actions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["title"]: a for a in actions}


def open_actions(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in case["actions"] if a["status"] not in ("RESOLVED", "CLOSED")]


async def pass_peer_review(doer: HttpClient, reviewer: HttpClient, ref: str, reviewer_email: str) -> None:
    await resolve(doer, ref, reviewerId=await user_id(reviewer_email))
    await resolve(reviewer, ref, reviewOutcome="PASS")


async def finish_step_one(jane: HttpClient, lena: HttpClient) -> dict[str, Any]:
    """Complete A-1001, and A-1002 through its peer review (jane does it, lena reviews it)."""
    await resolve(jane, "A-1001")
    await pass_peer_review(jane, lena, "A-1002", "lena@example.com")
    return await item(lena, "C-1001")


def assert_error(error: dict[str, Any], code: str, field: str | None = None) -> None:
    assert error["extensions"]["code"] == code, error
    if field is not None:
        assert error["extensions"].get("field") == field, error


# ---------------------------------------------------------------------------------------- the flow


async def test_completing_both_step_one_actions_starts_step_two(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    case = await item(lena, "C-1001")
    assert case["status"] == "IN_PROGRESS" and case["currentStep"] == 1 and case["caseType"] == {"name": "Client onboarding"}
    assert [(a["ref"], a["title"], a["actionKind"], a["status"], a["step"]) for a in case["actions"]] == [
        ("A-1001", "Collect the signed contract", "MANUAL", "TO_DO", 1),
        ("A-1002", "Check the documents", "PEER_REVIEW", "TO_DO", 1),
    ]

    done = await resolve(jane, "A-1001")
    assert done["workItem"]["status"] == "CLOSED" and done["workItem"]["resolutionMethod"] == "COMPLETE"
    case = await item(lena, "C-1001")
    assert case["currentStep"] == 1 and len(case["actions"]) == 2  # A-1002 still open: step 2 waits

    await pass_peer_review(jane, lena, "A-1002", "lena@example.com")
    case = await item(lena, "C-1001")
    assert case["currentStep"] == 2
    assert case["status"] == "IN_PROGRESS" and not case["needsAttention"]
    step_two = [a for a in case["actions"] if a["step"] == 2]
    assert [(a["ref"], a["title"], a["actionKind"], a["status"]) for a in step_two] == [
        ("A-1003", "Set up payroll", "MANUAL", "TO_DO"),
        ("A-1004", "Wait for regional set-ups", "WAIT_FOR_SUB_CASES", "TO_DO"),  # no sub-case yet: a person decides
    ]
    assert all(a["queue"] == {"name": "Team A queue"} and a["parent"] == {"ref": "C-1001"} for a in step_two)


# ----------------------------------------------------------------------------------- peer review


async def test_the_doer_resolving_a_peer_review_sends_it_to_the_reviewer(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    action = await item(jane, "A-1002")
    assert action["reviewStage"] == "DOING" and action["reviewer"] is None
    await jane.data(START_WORK, {"ref": "A-1002"})

    sent = await resolve(jane, "A-1002", reviewerId=await user_id("lena@example.com"))
    action = sent["workItem"]
    assert action["status"] == "TO_DO"
    assert action["reviewStage"] == "REVIEWING"
    assert action["assignee"] == {"email": "lena@example.com"}
    assert action["reviewer"] == {"email": "lena@example.com"} and action["doer"] == {"email": "jane@example.com"}
    assert action["resolutionMethod"] is None and action["reviewOutcome"] is None
    requested = await notifications(lena, "PEER_REVIEW_REQUESTED")
    assert [n["workItemRef"] for n in requested] == ["A-1002"]
    assert await notifications(jane, "PEER_REVIEW_REQUESTED") == []
    entry = await TimelineEntry.filter(work_item__ref="A-1002", kind=TimelineKind.PEER_REVIEW).order_by("-id").first()
    assert entry is not None and entry.data["stage"] == "IN_PEER_REVIEW"
    # the case does not move on while the review is pending
    assert (await item(lena, "C-1001"))["currentStep"] == 1


async def test_the_reviewer_must_be_named_and_differ_from_the_doer(signed_in):
    jane = await signed_in("jane@example.com")
    before = await footprint()
    for extra in ({}, {"reviewerId": await user_id("jane@example.com")}, {"reviewerId": "424242"}):
        error = await jane.error(RESOLVE, {"ref": "A-1002", "input": {"method": "COMPLETE", **extra}})
        assert_error(error, "VALIDATION", "reviewerId")
    assert await footprint() == before
    action = await item(jane, "A-1002")
    assert action["status"] == "TO_DO" and action["reviewStage"] == "DOING"


async def test_only_the_reviewer_edits_the_checklist_and_only_while_it_waits_in_review(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    admin = await signed_in("admin@example.com")
    items = [{"label": "Contract signed by both parties", "passed": True, "note": "p. 4"}, {"label": "ID checked"}]

    before = await footprint()
    error = await lena.error(CHECKLIST, {"ref": "A-1002", "items": items})  # not in review yet
    assert_error(error, "INVALID_TRANSITION", "ref")
    error = await lena.error(CHECKLIST, {"ref": "A-1001", "items": items})  # not a peer review action
    assert_error(error, "VALIDATION", "ref")
    assert await footprint() == before

    await resolve(jane, "A-1002", reviewerId=await user_id("lena@example.com"))
    before = await footprint()
    for other in (jane, admin):
        assert_error(await other.error(CHECKLIST, {"ref": "A-1002", "items": items}), "FORBIDDEN")
    assert_error(await lena.error(CHECKLIST, {"ref": "A-1002", "items": [{"label": "  "}]}), "VALIDATION", "items")
    assert await footprint() == before

    updated = (await lena.data(CHECKLIST, {"ref": "A-1002", "items": items}))["updateChecklist"]["workItem"]
    assert updated["checklist"] == [
        {"label": "Contract signed by both parties", "passed": True, "note": "p. 4"},
        {"label": "ID checked", "passed": None, "note": None},
    ]
    assert updated["status"] == "TO_DO"  # editing the checklist does not pick the action up
    assert (await item(jane, "A-1002"))["checklist"] == updated["checklist"]

    # once the reviewer has taken it IN_PROGRESS the checklist is closed
    await lena.data(START_WORK, {"ref": "A-1002"})
    before = await footprint()
    assert_error(await lena.error(CHECKLIST, {"ref": "A-1002", "items": items}), "INVALID_TRANSITION")
    assert await footprint() == before


async def test_the_reviewer_editing_data_in_review_does_not_take_the_action_in_progress(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await resolve(jane, "A-1002", reviewerId=await user_id("lena@example.com"))
    updated = (await lena.data(UPDATE, {"ref": "A-1002", "input": {"customData": {"checked": "yes"}}}))["updateWorkItem"]
    assert updated["customData"] == {"checked": "yes"}
    assert updated["status"] == "TO_DO" and updated["assignee"] == {"email": "lena@example.com"}
    action = await item(lena, "A-1002")
    assert action["reviewStage"] == "REVIEWING" and action["status"] == "TO_DO"
    # the doer's update of a TO_DO action before review does take it (rule 2)
    taken = (await jane.data(UPDATE, {"ref": "A-1001", "input": {"customData": {"k": "v"}}}))["updateWorkItem"]
    assert taken["status"] == "IN_PROGRESS" and taken["assignee"] == {"email": "jane@example.com"}


async def test_only_the_reviewer_resolves_an_action_in_review(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    admin = await signed_in("admin@example.com")
    await resolve(jane, "A-1002", reviewerId=await user_id("lena@example.com"))
    before = await footprint()
    for other in (jane, admin):
        for outcome in ("PASS", "FAIL", None):
            error = await other.error(RESOLVE, {"ref": "A-1002", "input": {"method": "COMPLETE", "reviewOutcome": outcome, "comment": "x"}})
            assert_error(error, "FORBIDDEN")
    error = await lena.error(RESOLVE, {"ref": "A-1002", "input": {"method": "COMPLETE"}})
    assert_error(error, "VALIDATION", "reviewOutcome")
    assert await footprint() == before


async def test_a_failed_review_needs_a_comment_and_goes_back_to_the_doer_then_to_the_same_reviewer(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await resolve(jane, "A-1002", reviewerId=await user_id("lena@example.com"))

    before = await footprint()
    for comment in (None, "   "):
        error = await lena.error(RESOLVE, {"ref": "A-1002", "input": {"method": "COMPLETE", "reviewOutcome": "FAIL", "comment": comment}})
        assert_error(error, "VALIDATION", "comment")
    assert await footprint() == before

    failed = (await resolve(lena, "A-1002", reviewOutcome="FAIL", comment="The contract is not signed."))["workItem"]
    assert failed["status"] == "TO_DO"
    assert failed["assignee"] == {"email": "jane@example.com"}
    assert failed["reviewStage"] == "DOING" and failed["reviewOutcome"] == "FAIL"
    assert failed["resolutionMethod"] is None
    told = await notifications(jane, "PEER_REVIEW_FAILED")
    assert [n["workItemRef"] for n in told] == ["A-1002"] and "The contract is not signed." in told[0]["text"]
    entry = await TimelineEntry.filter(work_item__ref="A-1002", kind=TimelineKind.PEER_REVIEW).order_by("-id").first()
    assert entry.data["stage"] == "FAILED" and entry.body == "The contract is not signed."
    assert (await item(lena, "C-1001"))["currentStep"] == 1

    # the doer fixes it and resolves again, without naming anyone: back to the same reviewer
    again = (await resolve(jane, "A-1002"))["workItem"]
    assert again["status"] == "TO_DO" and again["reviewStage"] == "REVIEWING"
    assert again["assignee"] == {"email": "lena@example.com"} and again["reviewer"] == {"email": "lena@example.com"}
    assert len(await notifications(lena, "PEER_REVIEW_REQUESTED")) == 2

    # a review failed from IN_PROGRESS goes back to the doer the same way
    await lena.data(START_WORK, {"ref": "A-1002"})
    failed = (await resolve(lena, "A-1002", reviewOutcome="FAIL", comment="Page 2 is missing."))["workItem"]
    assert (failed["status"], failed["assignee"], failed["reviewStage"]) == ("TO_DO", {"email": "jane@example.com"}, "DOING")
    assert len(await notifications(jane, "PEER_REVIEW_FAILED")) == 2
    await jane.data(START_WORK, {"ref": "A-1002"})
    again = (await resolve(jane, "A-1002"))["workItem"]
    assert (again["status"], again["assignee"], again["reviewStage"]) == ("TO_DO", {"email": "lena@example.com"}, "REVIEWING")

    passed = (await resolve(lena, "A-1002", reviewOutcome="PASS"))["workItem"]
    assert (passed["status"], passed["resolutionMethod"], passed["reviewOutcome"]) == ("CLOSED", "COMPLETE", "PASS")


async def test_a_passed_review_closes_the_action(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await resolve(jane, "A-1002", reviewerId=await user_id("lena@example.com"))
    passed = (await resolve(lena, "A-1002", reviewOutcome="PASS", comment="All good"))["workItem"]
    assert (passed["status"], passed["resolutionMethod"], passed["reviewOutcome"]) == ("CLOSED", "COMPLETE", "PASS")
    entry = await TimelineEntry.filter(work_item__ref="A-1002", kind=TimelineKind.PEER_REVIEW).order_by("-id").first()
    assert entry.data["stage"] == "PASSED"
    assert_error(await lena.error(REOPEN, {"ref": "A-1002"}), "INVALID_TRANSITION")


async def test_a_reviewer_unable_to_review_closes_the_action(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await resolve(jane, "A-1002", reviewerId=await user_id("lena@example.com"))
    await lena.data(START_WORK, {"ref": "A-1002"})  # the reviewer may resolve from IN_PROGRESS too
    closed = (await resolve(lena, "A-1002", reviewOutcome="UNABLE"))["workItem"]
    assert closed["status"] == "CLOSED" and closed["reviewOutcome"] == "UNABLE"
    entry = await TimelineEntry.filter(work_item__ref="A-1002", kind=TimelineKind.PEER_REVIEW).order_by("-id").first()
    assert entry.data["stage"] == "UNABLE_TO_REVIEW"


# ------------------------------------------------------------------------------- rule 14: actions


async def test_an_action_is_completed_from_to_do_or_in_progress_and_closes_at_once(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    from_to_do = (await resolve(jane, "A-1001"))["workItem"]
    assert (from_to_do["status"], from_to_do["resolutionMethod"]) == ("CLOSED", "COMPLETE")
    assert from_to_do["assignee"] == {"email": "jane@example.com"}

    await lena.data(START_ACTION, {"ref": "C-1001", "input": {"title": "Call the client"}})
    ref = open_actions(await item(lena, "C-1001"))[-1]["ref"]
    await jane.data(START_WORK, {"ref": ref})
    from_in_progress = (await resolve(jane, ref, note="Called; all fine."))["workItem"]
    assert (from_in_progress["status"], from_in_progress["resolutionMethod"]) == ("CLOSED", "COMPLETE")
    note = await TimelineEntry.get(work_item__ref=ref, kind=TimelineKind.NOTE)
    assert note.body == "Called; all fine." and note.is_resolution
    # a closed action cannot be resolved again or reopened
    before = await footprint()
    assert_error(await jane.error(RESOLVE, {"ref": ref, "input": COMPLETE}), "INVALID_TRANSITION")
    assert_error(await jane.error(REOPEN, {"ref": ref}), "INVALID_TRANSITION")
    assert await footprint() == before


async def test_actions_resolve_only_with_action_methods(signed_in):
    jane = await signed_in("jane@example.com")
    before = await footprint()
    for method in ("ABANDONED", "WITH_CUSTOMER_RESPONSE", "REJECTED_SPAM"):
        assert_error(await jane.error(RESOLVE, {"ref": "A-1001", "input": {"method": method}}), "VALIDATION", "method")
    assert await footprint() == before


async def test_unable_to_complete_needs_a_reason(signed_in):
    jane = await signed_in("jane@example.com")
    before = await footprint()
    for reason in (None, "", "   "):
        error = await jane.error(RESOLVE, {"ref": "A-1001", "input": {"method": "UNABLE_TO_COMPLETE", "reason": reason}})
        assert_error(error, "VALIDATION", "reason")
    assert await footprint() == before


async def test_unable_to_complete_closes_the_action_for_good_and_flags_the_case_for_its_owner(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await jane.data(START_WORK, {"ref": "A-1001"})
    closed = (await jane.data(RESOLVE, {"ref": "A-1001", "input": {"method": "UNABLE_TO_COMPLETE", "reason": "The client refuses to sign."}}))
    action = closed["resolveWorkItem"]["workItem"]
    assert (action["status"], action["resolutionMethod"]) == ("CLOSED", "UNABLE_TO_COMPLETE")

    before = await footprint()
    assert_error(await jane.error(REOPEN, {"ref": "A-1001"}), "INVALID_TRANSITION")
    assert_error(await jane.error(START_WORK, {"ref": "A-1001"}), "INVALID_TRANSITION")
    assert_error(await jane.error(RESOLVE, {"ref": "A-1001", "input": COMPLETE}), "INVALID_TRANSITION")
    assert await footprint() == before

    case = await item(lena, "C-1001")
    assert case["status"] == "TO_DO"
    assert case["needsAttention"] is True
    assert "A-1001" in case["problem"]
    problem = await TimelineEntry.get(work_item__ref="C-1001", kind=TimelineKind.CASE_PROBLEM)
    assert problem.data["action"] == "A-1001" and "The client refuses to sign." in problem.body
    told = await notifications(lena, "CASE_NEEDS_ATTENTION")
    assert [n["workItemRef"] for n in told] == ["C-1001"]
    assert await notifications(jane, "CASE_NEEDS_ATTENTION") == []

    # the case does not move on by itself while it has a problem
    await pass_peer_review(jane, lena, "A-1002", "lena@example.com")
    case = await item(lena, "C-1001")
    assert case["currentStep"] == 1 and case["needsAttention"] and open_actions(case) == []


# ---------------------------------------------------------------------------- the owner's options


async def _case_with_a_problem(jane: HttpClient) -> None:
    await jane.data(RESOLVE, {"ref": "A-1001", "input": {"method": "UNABLE_TO_COMPLETE", "reason": "No contract"}})


async def test_reset_clears_the_problem_and_puts_the_case_in_progress(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await _case_with_a_problem(jane)
    reset = (await lena.data(RESET, {"ref": "C-1001"}))["resetCase"]["workItem"]
    assert reset["status"] == "IN_PROGRESS" and reset["needsAttention"] is False and reset["problem"] is None
    assert reset["assignee"] == {"email": "lena@example.com"}
    # moving on: once the peer review is done, the case goes to step 2 without A-1001
    await pass_peer_review(jane, lena, "A-1002", "lena@example.com")
    case = await item(lena, "C-1001")
    assert case["currentStep"] == 2 and [a["title"] for a in open_actions(case)] == ["Set up payroll", "Wait for regional set-ups"]


async def test_reset_moves_on_when_the_failed_action_was_the_last_open_one_of_its_step(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await resolve(jane, "A-1001")
    # the doer cannot do the peer review action: the ordinary UNABLE_TO_COMPLETE applies
    unable = await jane.data(RESOLVE, {"ref": "A-1002", "input": {"method": "UNABLE_TO_COMPLETE", "reason": "Documents lost"}})
    assert unable["resolveWorkItem"]["workItem"]["status"] == "CLOSED"
    case = await item(lena, "C-1001")
    assert case["needsAttention"] and case["currentStep"] == 1 and open_actions(case) == []
    reset = (await lena.data(RESET, {"ref": "C-1001"}))["resetCase"]["workItem"]
    assert reset["status"] == "IN_PROGRESS" and reset["needsAttention"] is False
    assert reset["currentStep"] == 2
    assert [a["title"] for a in open_actions(await item(lena, "C-1001"))] == ["Set up payroll", "Wait for regional set-ups"]


async def test_starting_another_copy_of_an_action_clears_the_problem(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await _case_with_a_problem(jane)
    change = (await lena.data(START_ACTION, {"ref": "C-1001", "input": {"copyOf": "a-1001"}}))["startAction"]
    assert change["workItem"]["needsAttention"] is False and change["workItem"]["problem"] is None
    [copy] = change["created"]
    assert copy["ref"] == "A-1003" and copy["status"] == "TO_DO"
    assert (copy["title"], copy["actionKind"], copy["step"]) == ("Collect the signed contract", "MANUAL", 1)
    assert copy["origin"] == {"ref": "A-1001"} and copy["parent"] == {"ref": "C-1001"}
    assert copy["queue"] == {"name": "Team A queue"}
    # the copy counts for the step: completing it and the review moves the case on
    await resolve(jane, "A-1003")
    await pass_peer_review(jane, lena, "A-1002", "lena@example.com")
    assert (await item(lena, "C-1001"))["currentStep"] == 2


async def test_start_action_checks_its_input(signed_in):
    lena = await signed_in("lena@example.com")
    before = await footprint()
    assert_error(await lena.error(START_ACTION, {"ref": "C-1001", "input": {}}), "VALIDATION", "title")
    assert_error(await lena.error(START_ACTION, {"ref": "C-1001", "input": {"title": "  "}}), "VALIDATION", "title")
    assert_error(await lena.error(START_ACTION, {"ref": "C-1001", "input": {"copyOf": "T-1002"}}), "VALIDATION", "copyOf")
    assert_error(await lena.error(START_ACTION, {"ref": "C-1001", "input": {"copyOf": "A-999999"}}), "VALIDATION", "copyOf")
    assert_error(await lena.error(START_ACTION, {"ref": "T-1002", "input": {"title": "x"}}), "VALIDATION", "ref")
    assert_error(await lena.error(START_ACTION, {"ref": "A-1001", "input": {"title": "x"}}), "VALIDATION", "ref")
    assert await footprint() == before


async def test_rework_from_step_one_closes_later_actions_and_starts_step_one_afresh(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await finish_step_one(jane, lena)
    await jane.data(RESOLVE, {"ref": "A-1003", "input": {"method": "UNABLE_TO_COMPLETE", "reason": "Payroll system down"}})
    case = await item(lena, "C-1001")
    assert case["needsAttention"] and case["currentStep"] == 2

    before = await footprint()
    assert_error(await lena.error(REWORK, {"ref": "C-1001", "step": 3}), "VALIDATION", "step")
    assert_error(await lena.error(REWORK, {"ref": "C-1001", "step": 0}), "VALIDATION", "step")
    assert await footprint() == before

    change = (await lena.data(REWORK, {"ref": "C-1001", "step": 1}))["reworkCase"]
    case = change["workItem"]
    assert case["status"] == "IN_PROGRESS" and case["currentStep"] == 1
    assert case["needsAttention"] is False and case["problem"] is None
    assert [(a["ref"], a["title"], a["step"], a["status"]) for a in change["created"]] == [
        ("A-1005", "Collect the signed contract", 1, "TO_DO"),
        ("A-1006", "Check the documents", 1, "TO_DO"),
    ]
    assert change["created"][1]["reviewStage"] == "DOING" and change["created"][1]["reviewer"] is None
    actions = {a["ref"]: a for a in (await item(lena, "C-1001"))["actions"]}
    # the open action of step 2 is closed by the system, without a resolution method
    assert (actions["A-1004"]["status"], actions["A-1004"]["resolutionMethod"]) == ("CLOSED", None)
    assert actions["A-1003"]["resolutionMethod"] == "UNABLE_TO_COMPLETE"
    assert sorted(a["ref"] for a in open_actions(await item(lena, "C-1001"))) == ["A-1005", "A-1006"]
    reworked = await TimelineEntry.get(work_item__ref="C-1001", kind=TimelineKind.CASE_REWORKED)
    assert reworked.data["step"] == 1
    # closing A-1004 by the rework raised no new problem
    assert await TimelineEntry.filter(work_item__ref="C-1001", kind=TimelineKind.CASE_PROBLEM).count() == 1

    # and the flow runs again from step 1
    await resolve(jane, "A-1005")
    await pass_peer_review(jane, lena, "A-1006", "lena@example.com")
    case = await item(lena, "C-1001")
    assert case["currentStep"] == 2
    assert [(a["title"], a["step"]) for a in open_actions(case)] == [("Set up payroll", 2), ("Wait for regional set-ups", 2)]


async def test_pause_is_a_wait_for_cases_only(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    before = await footprint()
    assert_error(await jane.error(WAIT, {"ref": "T-1002", "input": {"waitType": "PAUSE"}}), "VALIDATION", "waitType")
    assert_error(await jane.error(WAIT, {"ref": "A-1001", "input": {"waitType": "PAUSE"}}), "VALIDATION", "waitType")
    assert await footprint() == before
    paused = (await lena.data(WAIT, {"ref": "C-1001", "input": {"waitType": "PAUSE", "reason": "Client on holiday"}}))["waitWorkItem"]
    assert paused["workItem"]["status"] == "WAITING" and paused["workItem"]["waitType"] == "PAUSE"
    # choosing it again ends the pause
    resumed = (await lena.data(WAIT, {"ref": "C-1001", "input": {"waitType": "PAUSE"}}))["waitWorkItem"]
    assert resumed["workItem"]["status"] == "IN_PROGRESS" and resumed["workItem"]["waitType"] is None


async def test_abandoning_a_case_closes_it_and_its_open_actions_for_good(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await resolve(jane, "A-1001")
    abandoned = (await lena.data(RESOLVE, {"ref": "C-1001", "input": {"method": "ABANDONED", "reason": "Client withdrew"}}))
    case = abandoned["resolveWorkItem"]["workItem"]
    assert (case["status"], case["resolutionMethod"], case["feedbackUntil"]) == ("CLOSED", "ABANDONED", None)
    actions = {a["ref"]: a for a in (await item(lena, "C-1001"))["actions"]}
    assert (actions["A-1001"]["status"], actions["A-1001"]["resolutionMethod"]) == ("CLOSED", "COMPLETE")
    assert (actions["A-1002"]["status"], actions["A-1002"]["resolutionMethod"]) == ("CLOSED", None)
    assert (await item(lena, "C-1001"))["needsAttention"] is False

    before = await footprint()
    assert_error(await lena.error(REOPEN, {"ref": "C-1001"}), "INVALID_TRANSITION")
    assert_error(await lena.error(START_WORK, {"ref": "C-1001"}), "INVALID_TRANSITION")
    assert_error(await lena.error(RESET, {"ref": "C-1001"}), "INVALID_TRANSITION")
    assert_error(await lena.error(REWORK, {"ref": "C-1001", "step": 1}), "INVALID_TRANSITION")
    assert_error(await lena.error(START_ACTION, {"ref": "C-1001", "input": {"title": "x"}}), "INVALID_TRANSITION")
    assert_error(await lena.error(START_CASE, {"ref": "C-1001", "input": {"title": "x"}}), "INVALID_TRANSITION")
    assert_error(await lena.error(RESOLVE, {"ref": "C-1001", "input": COMPLETE}), "INVALID_TRANSITION")
    assert_error(await lena.error(UPDATE, {"ref": "C-1001", "input": {"title": "x"}}), "INVALID_TRANSITION")
    assert await footprint() == before


async def test_only_the_owner_a_leader_of_its_team_or_an_admin_manages_a_case(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    admin = await signed_in("admin@example.com")
    await _case_with_a_problem(jane)
    before = await footprint()
    assert_error(await jane.error(RESET, {"ref": "C-1001"}), "FORBIDDEN")
    assert_error(await jane.error(REWORK, {"ref": "C-1001", "step": 1}), "FORBIDDEN")
    assert_error(await jane.error(START_ACTION, {"ref": "C-1001", "input": {"title": "x"}}), "FORBIDDEN")
    assert_error(await jane.error(START_ACTION, {"ref": "C-1001", "input": {"copyOf": "A-1001"}}), "FORBIDDEN")
    assert await footprint() == before
    assert (await admin.data(RESET, {"ref": "C-1001"}))["resetCase"]["workItem"]["status"] == "IN_PROGRESS"

    # a case jane owns: she manages it, and so does lena as a leader of its team
    ref = (await jane.data(CREATE, {"input": {"type": "CASE", "title": "Jane's case"}}))["createWorkItem"]["ref"]
    await jane.data(SUBMIT, {"ref": ref})
    case = await item(jane, ref)
    assert case["owner"] == {"email": "jane@example.com"} and case["status"] == "TO_DO"
    started = (await jane.data(START_ACTION, {"ref": ref, "input": {"title": "By the owner"}}))["startAction"]["created"]
    assert [a["title"] for a in started] == ["By the owner"]
    started = (await lena.data(START_ACTION, {"ref": ref, "input": {"title": "By the leader"}}))["startAction"]["created"]
    assert started[0]["parent"] == {"ref": ref}


async def test_only_the_owner_a_leader_of_its_team_or_an_admin_changes_a_cases_owner(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    admin = await signed_in("admin@example.com")
    jane_id, lena_id = await user_id("jane@example.com"), await user_id("lena@example.com")
    before = await footprint()
    error = await jane.error(UPDATE, {"ref": "C-1001", "input": {"ownerId": jane_id}})
    assert_error(error, "FORBIDDEN", "ownerId")
    assert "owner" in error["message"]
    assert await footprint() == before
    # so she cannot then pause or abandon it either
    assert_error(await jane.error(WAIT, {"ref": "C-1001", "input": {"waitType": "PAUSE"}}), "FORBIDDEN")
    assert_error(await jane.error(RESOLVE, {"ref": "C-1001", "input": {"method": "ABANDONED"}}), "FORBIDDEN")
    assert (await item(lena, "C-1001"))["owner"] == {"email": "lena@example.com"}

    # the owner (here also the team's leader) hands it over, with an entry naming both
    assert (await lena.data(UPDATE, {"ref": "C-1001", "input": {"ownerId": jane_id}}))["updateWorkItem"]["ref"] == "C-1001"
    assert (await item(jane, "C-1001"))["owner"] == {"email": "jane@example.com"}
    entry = await TimelineEntry.filter(work_item__ref="C-1001", kind=TimelineKind.FIELDS_CHANGED).order_by("-id").first()
    assert entry is not None and entry.actor_user_id == int(lena_id)
    assert entry.data["changes"] == [{
        "field": "ownerId", "from": lena_id, "to": jane_id, "fromName": "Lena Fischer", "toName": "Jane Cooper",
    }]
    # a leader of its team and an admin may too; giving it the owner it has changes no owner
    await lena.data(UPDATE, {"ref": "C-1001", "input": {"ownerId": lena_id}})
    await admin.data(UPDATE, {"ref": "C-1001", "input": {"ownerId": jane_id}})
    assert (await item(jane, "C-1001"))["owner"] == {"email": "jane@example.com"}
    assert (await jane.data(UPDATE, {"ref": "C-1001", "input": {"ownerId": jane_id}}))["updateWorkItem"]["ref"] == "C-1001"


# ----------------------------------------------------------------------------- finishing a case


async def test_a_case_with_open_actions_cannot_be_completed_by_hand(signed_in):
    lena = await signed_in("lena@example.com")
    jane = await signed_in("jane@example.com")
    before = await footprint()
    error = await lena.error(RESOLVE, {"ref": "C-1001", "input": COMPLETE})
    assert_error(error, "VALIDATION", "method")
    assert "A-1001" in error["message"] and "A-1002" in error["message"]
    assert await footprint() == before
    await resolve(jane, "A-1001")
    error = await lena.error(RESOLVE, {"ref": "C-1001", "input": COMPLETE})
    assert "A-1002" in error["message"] and "A-1001" not in error["message"]
    for method in ("UNABLE_TO_COMPLETE", "WITH_CUSTOMER_RESPONSE"):
        assert_error(await lena.error(RESOLVE, {"ref": "C-1001", "input": {"method": method}}), "VALIDATION", "method")


async def test_completing_the_last_step_completes_the_case_with_the_feedback_window(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await finish_step_one(jane, lena)
    await resolve(jane, "A-1003")
    # no sub-case was started: setting the wait-for-sub-cases action to wait closes it at once
    waited = (await jane.data(WAIT, {"ref": "A-1004", "input": {"waitType": "SUB_CASES"}}))["waitWorkItem"]
    assert (waited["workItem"]["status"], waited["workItem"]["resolutionMethod"]) == ("CLOSED", "COMPLETE")
    assert len(waited["notices"]) == 1 and "A-1004" in waited["notices"][0]
    case = await item(lena, "C-1001")
    assert case["currentStep"] == 3 and case["status"] == "IN_PROGRESS"
    [approval] = open_actions(case)
    assert (approval["ref"], approval["title"], approval["actionKind"], approval["step"]) == ("A-1005", "Approve go-live", "APPROVAL", 3)

    await resolve(lena, "A-1005")
    case = await item(lena, "C-1001")
    assert (case["status"], case["resolutionMethod"]) == ("RESOLVED", "COMPLETE")
    window = datetime.fromisoformat(case["feedbackUntil"]) - datetime.fromisoformat(case["resolvedAt"])
    assert abs(window - timedelta(hours=48)) < timedelta(minutes=1)
    # the owner may reopen it while the window is open
    assert (await lena.data(REOPEN, {"ref": "C-1001"}))["reopenWorkItem"]["workItem"]["status"] == "IN_PROGRESS"


async def test_a_case_without_open_actions_is_completed_by_hand(signed_in):
    lena = await signed_in("lena@example.com")
    ref = (await lena.data(CREATE, {"input": {"type": "CASE", "title": "Hand-driven"}}))["createWorkItem"]["ref"]
    await lena.data(SUBMIT, {"ref": ref})
    done = (await resolve(lena, ref))
    assert (done["workItem"]["status"], done["workItem"]["resolutionMethod"]) == ("RESOLVED", "COMPLETE")
    assert done["workItem"]["feedbackUntil"] is not None and done["notices"]


# ------------------------------------------------------------------------------- rule 12: sub-cases


async def test_a_sub_case_starts_to_do_at_once_and_shares_data_both_ways(signed_in):
    lena = await signed_in("lena@example.com")
    await lena.data(UPDATE, {"ref": "C-1001", "input": {"customData": {"payrollId": "P-1"}}})
    change = (await lena.data(START_CASE, {"ref": "C-1001", "input": {"title": "  Set up Leeds  "}}))["startCase"]
    [sub] = change["created"]
    assert sub["ref"] == "C-1003" and sub["type"] == "CASE" and sub["title"] == "Set up Leeds"
    assert sub["status"] == "TO_DO"
    assert sub["parent"] == {"ref": "C-1001"} and sub["origin"] is None
    assert sub["customData"] == {"payrollId": "P-1"}
    assert sub["primaryContact"] == {"email": "alice@globex.example"}
    assert sub["owner"] == {"email": "lena@example.com"} and sub["queue"] == {"name": "Team A queue"}
    assert [s["ref"] for s in (await item(lena, "C-1001"))["subCases"]] == ["C-1003"]
    started = await TimelineEntry.get(work_item__ref="C-1001", kind=TimelineKind.CASE_STARTED)
    assert started.data == {"case": "C-1003", "relation": "SUB_CASE"}

    # the parent's data changes on the sub-case …
    await lena.data(UPDATE, {"ref": "C-1001", "input": {"customData": {"payrollId": "P-2", "site": "Leeds"}}})
    assert (await item(lena, "C-1003"))["customData"] == {"payrollId": "P-2", "site": "Leeds"}
    # … and the sub-case's on the parent
    await lena.data(UPDATE, {"ref": "C-1003", "input": {"customData": {"payrollId": "P-3", "site": "Leeds"}}})
    assert (await item(lena, "C-1001"))["customData"] == {"payrollId": "P-3", "site": "Leeds"}


async def test_an_independent_case_is_a_draft_copying_only_the_chosen_data(signed_in):
    lena = await signed_in("lena@example.com")
    await lena.data(UPDATE, {"ref": "C-1001", "input": {"customData": {"payrollId": "P-1"}}})
    await lena.data(NOTE, {"ref": "C-1001", "body": "Client prefers email."})

    def start(copy: list[str]) -> dict[str, Any]:
        return {"ref": "C-1001", "input": {"title": f"Copy {'+'.join(copy) or 'nothing'}", "independent": True, "copy": copy}}

    [bare] = (await lena.data(START_CASE, start([])))["startCase"]["created"]
    assert bare["status"] == "DRAFT" and bare["parent"] is None and bare["origin"] == {"ref": "C-1001"}
    assert bare["customData"] == {} and bare["primaryContact"] is None
    [data] = (await lena.data(START_CASE, start(["CUSTOM_DATA"])))["startCase"]["created"]
    assert data["customData"] == {"payrollId": "P-1"} and data["primaryContact"] is None
    [contacts] = (await lena.data(START_CASE, start(["CONTACTS"])))["startCase"]["created"]
    assert contacts["customData"] == {} and contacts["primaryContact"] == {"email": "alice@globex.example"}
    [comms] = (await lena.data(START_CASE, start(["COMMUNICATIONS"])))["startCase"]["created"]
    assert comms["customData"] == {} and comms["primaryContact"] is None
    notes = {r: await TimelineEntry.filter(work_item__ref=r, kind=TimelineKind.NOTE).values_list("body", flat=True)
             for r in (bare["ref"], data["ref"], contacts["ref"], comms["ref"])}
    assert notes == {bare["ref"]: [], data["ref"]: [], contacts["ref"]: [], comms["ref"]: ["Client prefers email."]}

    parent = await item(lena, "C-1001")
    assert parent["subCases"] == []  # independent cases are not sub-cases
    # an independent case shares nothing afterwards
    await lena.data(UPDATE, {"ref": "C-1001", "input": {"customData": {"payrollId": "P-9"}}})
    assert (await item(lena, data["ref"]))["customData"] == {"payrollId": "P-1"}
    entry = await TimelineEntry.filter(work_item__ref="C-1001", kind=TimelineKind.CASE_STARTED).first()
    assert entry.data["relation"] == "INDEPENDENT"


async def test_start_case_checks_its_input(signed_in):
    lena = await signed_in("lena@example.com")
    before = await footprint()
    assert_error(await lena.error(START_CASE, {"ref": "C-1001", "input": {"title": "  "}}), "VALIDATION", "title")
    error = await lena.error(START_CASE, {"ref": "C-1001", "input": {"title": "x", "copy": ["CUSTOM_DATA"]}})
    assert_error(error, "VALIDATION", "copy")  # a sub-case shares everything
    assert_error(await lena.error(START_CASE, {"ref": "C-1001", "input": {"title": "x", "caseTypeId": "424242"}}), "VALIDATION", "caseTypeId")
    assert_error(await lena.error(START_CASE, {"ref": "T-1002", "input": {"title": "x"}}), "VALIDATION", "ref")
    assert_error(await lena.error(START_CASE, {"ref": "A-1001", "input": {"title": "x"}}), "VALIDATION", "ref")
    assert await footprint() == before


async def _at_step_two(jane: HttpClient, lena: HttpClient) -> dict[str, Any]:
    case = await finish_step_one(jane, lena)
    wait = by_title(case["actions"])["Wait for regional set-ups"]
    assert (wait["ref"], wait["status"], wait["waitType"]) == ("A-1004", "TO_DO", None)
    return case


async def test_a_wait_for_sub_cases_action_waits_while_sub_cases_run_and_then_closes_itself(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await _at_step_two(jane, lena)
    await resolve(jane, "A-1003")

    [leeds] = (await lena.data(START_CASE, {"ref": "C-1001", "input": {"title": "Leeds"}}))["startCase"]["created"]
    wait = await item(lena, "A-1004")
    assert (wait["status"], wait["waitType"]) == ("WAITING", "SUB_CASES")
    [york] = (await lena.data(START_CASE, {"ref": "C-1001", "input": {"title": "York"}}))["startCase"]["created"]
    assert (await item(lena, "A-1004"))["status"] == "WAITING"
    # an independent case is not a sub-case: nothing to wait for
    await lena.data(START_CASE, {"ref": "C-1001", "input": {"title": "Other", "independent": True}})

    done = await resolve(lena, leeds["ref"])
    assert done["workItem"]["status"] == "RESOLVED"  # UK's feedback window: RESOLVED counts as done
    wait = await item(lena, "A-1004")
    assert (wait["status"], wait["waitType"]) == ("WAITING", "SUB_CASES")  # York still runs
    assert (await item(lena, "C-1001"))["currentStep"] == 2

    await lena.data(RESOLVE, {"ref": york["ref"], "input": {"method": "ABANDONED"}})
    wait = await item(lena, "A-1004")
    assert (wait["status"], wait["resolutionMethod"], wait["waitType"]) == ("CLOSED", "COMPLETE", None)
    case = await item(lena, "C-1001")
    assert case["currentStep"] == 3 and [a["title"] for a in open_actions(case)] == ["Approve go-live"]


async def test_a_wait_for_sub_cases_action_started_while_a_sub_case_runs_waits_at_once(signed_in):
    lena = await signed_in("lena@example.com")
    [sub] = (await lena.data(START_CASE, {"ref": "C-1001", "input": {"title": "Leeds"}}))["startCase"]["created"]
    [wait] = (await lena.data(START_ACTION, {"ref": "C-1001", "input": {"title": "Wait", "kind": "WAIT_FOR_SUB_CASES"}}))["startAction"]["created"]
    assert (wait["status"], wait["waitType"]) == ("WAITING", "SUB_CASES")
    await resolve(lena, sub["ref"])
    assert (await item(lena, wait["ref"]))["status"] == "CLOSED"
    # started after every sub-case finished: nothing left to wait for, it closes at once
    [late] = (await lena.data(START_ACTION, {"ref": "C-1001", "input": {"title": "Late", "kind": "WAIT_FOR_SUB_CASES"}}))["startAction"]["created"]
    assert (late["status"], late["resolutionMethod"]) == ("CLOSED", "COMPLETE")


async def test_setting_a_wait_for_sub_cases_action_to_wait_while_sub_cases_run(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await _at_step_two(jane, lena)
    before = await footprint()
    for ref in ("A-1003", "C-1001", "T-1002"):  # only a wait-for-sub-cases action waits for SUB_CASES
        assert_error(await jane.error(WAIT, {"ref": ref, "input": {"waitType": "SUB_CASES"}}), "VALIDATION", "waitType")
    assert await footprint() == before
    [sub] = (await lena.data(START_CASE, {"ref": "C-1001", "input": {"title": "Leeds"}}))["startCase"]["created"]
    assert (await item(jane, "A-1004"))["status"] == "WAITING"
    # a person takes it up, then sets it to wait again: it waits (a sub-case runs)
    await jane.data(START_WORK, {"ref": "A-1004"})
    waited = (await jane.data(WAIT, {"ref": "A-1004", "input": {"waitType": "SUB_CASES"}}))["waitWorkItem"]
    assert (waited["workItem"]["status"], waited["workItem"]["waitType"]) == ("WAITING", "SUB_CASES")
    assert waited["workItem"]["assignee"] == {"email": "jane@example.com"} and waited["notices"] == []
    await resolve(lena, sub["ref"])
    assert (await item(jane, "A-1004"))["status"] == "CLOSED"


async def test_resolving_a_wait_for_sub_cases_action_by_hand_tells_the_case_will_not_wait(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await _at_step_two(jane, lena)
    await lena.data(START_CASE, {"ref": "C-1001", "input": {"title": "Leeds"}})
    resolved = await resolve(jane, "A-1004")
    assert (resolved["workItem"]["status"], resolved["workItem"]["resolutionMethod"]) == ("CLOSED", "COMPLETE")
    assert len(resolved["notices"]) == 1 and "no longer wait" in resolved["notices"][0]
    # an ordinary action has nothing to tell
    assert (await resolve(jane, "A-1003"))["notices"] == []
    assert (await item(lena, "C-1001"))["currentStep"] == 3


# --------------------------------------------------------------------------- START_CASE actions


async def _case_type(name: str, *steps: list[tuple[str, ActionKind, CaseType | None]]) -> CaseType:
    queue = await Queue.get(name="Team A queue")
    case_type = await CaseType.create(name=name)
    for position, actions in enumerate(steps, start=1):
        step = await CaseStep.create(case_type=case_type, position=position, name=f"Step {position}")
        for order, (title, kind, sub_case_type) in enumerate(actions, start=1):
            await ActionTemplate.create(step=step, position=order, title=title, kind=kind, queue=queue, sub_case_type=sub_case_type)
    return case_type


async def _submitted_case(client: HttpClient, case_type: CaseType, title: str = "Expand to the north") -> dict[str, Any]:
    ref = (await client.data(CREATE, {"input": {"type": "CASE", "title": title, "caseTypeId": str(case_type.id)}}))["createWorkItem"]["ref"]
    await client.data(SUBMIT, {"ref": ref})
    return await item(client, ref)


async def test_a_start_case_action_starts_a_sub_case_of_its_type_and_closes(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    regional = await _case_type("Regional set-up", [("Set up the region", ActionKind.MANUAL, None)])
    expansion = await _case_type(
        "Expansion",
        [("Start the regional set-up", ActionKind.START_CASE, regional), ("Wait for the region", ActionKind.WAIT_FOR_SUB_CASES, None)],
        [("Go live", ActionKind.MANUAL, None)],
    )
    case = await _submitted_case(lena, expansion)
    assert case["currentStep"] == 1 and case["status"] == "TO_DO"
    start, wait = case["actions"]
    assert (start["actionKind"], start["status"], start["resolutionMethod"]) == ("START_CASE", "CLOSED", "COMPLETE")
    assert (wait["actionKind"], wait["status"], wait["waitType"]) == ("WAIT_FOR_SUB_CASES", "WAITING", "SUB_CASES")
    [sub] = case["subCases"]
    assert sub["status"] == "TO_DO" and sub["caseType"] == {"name": "Regional set-up"}
    assert sub["parent"] == {"ref": case["ref"]} and sub["title"] == "Start the regional set-up"
    assert sub["owner"] == {"email": "lena@example.com"}
    sub = await item(lena, sub["ref"])
    [region_action] = sub["actions"]
    assert (region_action["title"], region_action["status"], region_action["step"]) == ("Set up the region", "TO_DO", 1)

    # the sub-case's flow completes it, the wait closes, and the parent moves on
    await resolve(jane, region_action["ref"])
    sub = await item(lena, sub["ref"])
    assert (sub["status"], sub["resolutionMethod"]) == ("RESOLVED", "COMPLETE")
    case = await item(lena, case["ref"])
    assert by_title(case["actions"])["Wait for the region"]["status"] == "CLOSED"
    assert case["currentStep"] == 2 and [a["title"] for a in open_actions(case)] == ["Go live"]


async def test_a_step_whose_start_case_action_closes_at_once_still_waits_for_its_other_actions(signed_in):
    lena = await signed_in("lena@example.com")
    flow = await _case_type(
        "Start and check",
        [("Start the sub-case", ActionKind.START_CASE, None), ("Check the result", ActionKind.MANUAL, None)],
        [("Finish", ActionKind.MANUAL, None)],
    )
    case = await _submitted_case(lena, flow)
    assert case["currentStep"] == 1
    assert [(a["title"], a["step"], a["status"]) for a in case["actions"]] == [
        ("Start the sub-case", 1, "CLOSED"), ("Check the result", 1, "TO_DO"),
    ]
    await resolve(lena, by_title(case["actions"])["Check the result"]["ref"])
    case = await item(lena, case["ref"])
    assert case["currentStep"] == 2 and [(a["title"], a["step"]) for a in open_actions(case)] == [("Finish", 2)]


async def test_a_step_of_only_a_start_case_action_moves_on_at_once(signed_in):
    lena = await signed_in("lena@example.com")
    flow = await _case_type("Kick-off", [("Start the sub-case", ActionKind.START_CASE, None)], [("Follow up", ActionKind.MANUAL, None)])
    case = await _submitted_case(lena, flow)
    assert case["currentStep"] == 2 and len(case["subCases"]) == 1
    assert [(a["title"], a["step"], a["status"]) for a in case["actions"]] == [("Start the sub-case", 1, "CLOSED"), ("Follow up", 2, "TO_DO")]
    # reworking from step 1 starts another sub-case and moves on to step 2 again, in one change
    change = (await lena.data(REWORK, {"ref": case["ref"], "step": 1}))["reworkCase"]
    assert change["workItem"]["status"] == "IN_PROGRESS" and change["workItem"]["currentStep"] == 2
    assert change["workItem"]["version"] == (await WorkItemRow.get(ref=case["ref"])).version
    case = await item(lena, case["ref"])
    assert len(case["subCases"]) == 2
    assert [(a["title"], a["step"], a["status"]) for a in case["actions"]] == [
        ("Start the sub-case", 1, "CLOSED"), ("Follow up", 2, "CLOSED"), ("Start the sub-case", 1, "CLOSED"), ("Follow up", 2, "TO_DO"),
    ]


async def test_a_start_case_action_started_by_hand_starts_a_sub_case(signed_in):
    lena = await signed_in("lena@example.com")
    change = (await lena.data(START_ACTION, {"ref": "C-1001", "input": {"title": "Regional set-up", "kind": "START_CASE"}}))["startAction"]
    [action] = change["created"]
    assert (action["status"], action["resolutionMethod"], action["step"]) == ("CLOSED", "COMPLETE", 1)
    [sub] = (await item(lena, "C-1001"))["subCases"]
    assert (sub["title"], sub["status"], sub["parent"]) == ("Regional set-up", "TO_DO", {"ref": "C-1001"})
    assert (await item(lena, "C-1001"))["currentStep"] == 1  # A-1001 and A-1002 are still open


# ------------------------------------------------------------------------- optimistic concurrency


async def _version(ref: str) -> int:
    return (await WorkItemRow.get(ref=ref)).version


async def test_a_stale_version_is_a_conflict_that_changes_nothing(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await _case_with_a_problem(jane)
    await resolve(jane, "A-1002", reviewerId=await user_id("lena@example.com"))
    stale_calls = [
        (lena, START_ACTION, "C-1001", {"input": {"title": "x"}}),
        (lena, START_ACTION, "C-1001", {"input": {"copyOf": "A-1001"}}),
        (lena, START_CASE, "C-1001", {"input": {"title": "x"}}),
        (lena, START_CASE, "C-1001", {"input": {"title": "x", "independent": True}}),
        (lena, REWORK, "C-1001", {"step": 1}),
        (lena, RESET, "C-1001", {}),
        (lena, WAIT, "C-1001", {"input": {"waitType": "PAUSE"}}),
        (lena, RESOLVE, "C-1001", {"input": {"method": "ABANDONED"}}),
        (lena, RESOLVE, "A-1002", {"input": {"method": "COMPLETE", "reviewOutcome": "PASS"}}),
        (lena, CHECKLIST, "A-1002", {"items": [{"label": "ok"}]}),
    ]
    before = await footprint()
    for client, mutation, ref, variables in stale_calls:
        current = await _version(ref)
        error = await client.error(mutation, {"ref": ref, "version": current - 1, **variables})
        assert error["extensions"] == {"code": "CONFLICT", "field": "version", "currentVersion": current}, (mutation, error)
    assert await footprint() == before
    # with the current version they go through
    reset = (await lena.data(RESET, {"ref": "C-1001", "version": await _version("C-1001")}))["resetCase"]["workItem"]
    assert reset["status"] == "IN_PROGRESS"
    checklist = await lena.data(CHECKLIST, {"ref": "A-1002", "items": [{"label": "ok"}], "version": await _version("A-1002")})
    assert checklist["updateChecklist"]["workItem"]["checklist"] == [{"label": "ok", "passed": None, "note": None}]
    passed = await lena.data(RESOLVE, {"ref": "A-1002", "version": await _version("A-1002"),
                                        "input": {"method": "COMPLETE", "reviewOutcome": "PASS"}})
    assert passed["resolveWorkItem"]["workItem"]["status"] == "CLOSED"


async def test_the_last_two_actions_of_a_step_finishing_at_once_move_the_case_on_exactly_once(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await resolve(jane, "A-1002", reviewerId=await user_id("lena@example.com"))
    results = await asyncio.gather(
        jane.post(RESOLVE, {"ref": "A-1001", "input": COMPLETE}),
        lena.post(RESOLVE, {"ref": "A-1002", "input": {"method": "COMPLETE", "reviewOutcome": "PASS"}}),
    )
    assert [r.get("errors") for r in results] == [None, None]
    case = await item(lena, "C-1001")
    assert case["currentStep"] == 2
    assert [a["title"] for a in open_actions(case)] == ["Set up payroll", "Wait for regional set-ups"]


async def test_the_last_two_sub_cases_finishing_at_once_close_the_wait(signed_in):
    jane = await signed_in("jane@example.com")
    lena = await signed_in("lena@example.com")
    await _at_step_two(jane, lena)
    [leeds] = (await lena.data(START_CASE, {"ref": "C-1001", "input": {"title": "Leeds"}}))["startCase"]["created"]
    [york] = (await lena.data(START_CASE, {"ref": "C-1001", "input": {"title": "York"}}))["startCase"]["created"]
    results = await asyncio.gather(
        jane.post(RESOLVE, {"ref": leeds["ref"], "input": COMPLETE}),
        lena.post(RESOLVE, {"ref": york["ref"], "input": COMPLETE}),
    )
    assert [r.get("errors") for r in results] == [None, None]
    wait = await item(lena, "A-1004")
    assert (wait["status"], wait["resolutionMethod"]) == ("CLOSED", "COMPLETE")


async def test_only_the_case_manager_pauses_or_abandons(signed_in):
    from tests.support.footprint import footprint as snapshot

    jane = await signed_in("jane@example.com")
    before = await snapshot()
    paused = await jane.error('mutation { waitWorkItem(ref: "C-1001", input: {waitType: PAUSE}) { notices } }')
    abandoned = await jane.error('mutation { resolveWorkItem(ref: "C-1001", input: {method: ABANDONED}) { notices } }')
    assert paused["extensions"]["code"] == abandoned["extensions"]["code"] == "FORBIDDEN"
    assert await snapshot() == before
    lena = await signed_in("lena@example.com")
    assert (await lena.data('mutation { waitWorkItem(ref: "C-1001", input: {waitType: PAUSE}) { workItem { status } } }'))["waitWorkItem"]["workItem"]["status"] == "WAITING"
