"""The outbox over GraphQL (SPEC §5.1): views with every column, the remembered view, and cancel /
retry / send now, one by one or in bulk (all or none), only on emails the viewer may see."""

from __future__ import annotations

from datetime import timedelta

from models.email import Email
from models.enums import EmailStatus
from models.org import User
from models.work_item import WorkItem
from server.domain import clock, outbox
from server.domain.uow import unit_of_work
from server.domain.viewer import user_viewer
from tests.support.client import GraphQLError
from tests.support.queries import recorded_queries

OUTBOX = """query($view: OutboxView, $first: Int, $after: String) { outbox(view: $view, first: $first, after: $after) {
  view edges { cursor node {
    id status to cc subject connectorName importance systemGenerated createdAt createdByName scheduledFor scheduledByName
    lastAttemptAt error firstFailedAt nextAttemptAt attempts attachmentCount workItemRef workItemType sentAt
    recipients { address kind status code message }
  } } pageInfo { hasNextPage endCursor }
} }"""
CANCEL = "mutation($ids: [ID!]!) { cancelEmails(emailIds: $ids) { id status } }"
RETRY = "mutation($ids: [ID!]!) { retryEmails(emailIds: $ids) { id status nextAttemptAt attempts } }"
SEND_NOW = "mutation($ids: [ID!]!) { sendEmailsNow(emailIds: $ids) { id status nextAttemptAt } }"


async def _queue(email: str, ref: str, subject: str, **options) -> Email:
    viewer = await user_viewer(await User.get(email=email))
    item = await WorkItem.get(ref=ref)
    async with unit_of_work() as uow:
        return await outbox.queue_email(uow, item, viewer, to=["client@example.org"], subject=subject, body="Hello", **options)


def _subjects(data: dict) -> list[str]:
    return [e["node"]["subject"] for e in data["outbox"]["edges"]]


async def test_views_start_by_role_are_remembered_and_show_every_column(signed_in):
    jane, lena, karina = [await signed_in(f"{n}@example.com") for n in ("jane", "lena", "karina")]
    await Email.all().update(status=EmailStatus.SENT)  # what the demo data queued
    at = clock.now() + timedelta(days=1)
    scheduled = await _queue("jane@example.com", "T-1002", "Jane's scheduled", scheduled_for=at, cc=["cc@example.org"])
    await _queue("lena@example.com", "T-1002", "Lena's")
    await _queue("karina@example.com", "T-1007", "Karina's")

    mine = await jane.data(OUTBOX)
    assert mine["outbox"]["view"] == "MINE" and _subjects(mine) == ["Jane's scheduled"]
    node = mine["outbox"]["edges"][0]["node"]
    assert node == {**node, "id": str(scheduled.id), "status": "QUEUED", "to": ["client@example.org"], "cc": ["cc@example.org"],
                    "connectorName": "Demo relay", "importance": "NORMAL", "systemGenerated": False, "createdByName": "Jane Cooper",
                    "scheduledByName": "Jane Cooper", "attempts": 0, "attachmentCount": 0, "workItemRef": "T-1002",
                    "workItemType": "TICKET", "sentAt": None, "error": None,
                    "recipients": [{"address": "client@example.org", "kind": "TO", "status": "PENDING", "code": None, "message": None},
                                   {"address": "cc@example.org", "kind": "CC", "status": "PENDING", "code": None, "message": None}]}
    assert node["scheduledFor"] == node["nextAttemptAt"] and node["scheduledFor"].startswith(at.date().isoformat())

    team = await lena.data(OUTBOX)  # a team leader starts on MY_TEAM: Team A's mail
    assert team["outbox"]["view"] == "MY_TEAM" and _subjects(team) == ["Lena's", "Jane's scheduled"]
    assert _subjects(await karina.data(OUTBOX, {"view": "ALL"})) == ["Karina's"]  # not the UK department's
    assert _subjects(await jane.data(OUTBOX, {"view": "ALL"})) == ["Lena's", "Jane's scheduled"]

    assert (await jane.data('mutation { setOutboxView(view: ALL) }'))["setOutboxView"] == "ALL"
    assert (await jane.data(OUTBOX))["outbox"]["view"] == "ALL"
    page = await jane.data(OUTBOX, {"first": 1})
    assert _subjects(page) == ["Lena's"] and page["outbox"]["pageInfo"]["hasNextPage"]
    rest = await jane.data(OUTBOX, {"first": 1, "after": page["outbox"]["pageInfo"]["endCursor"]})
    assert _subjects(rest) == ["Jane's scheduled"] and not rest["outbox"]["pageInfo"]["hasNextPage"]


async def test_system_mail_has_its_view(signed_in):
    admin = await signed_in("admin@example.com")
    system = await Email.filter(system_generated=True, status=EmailStatus.QUEUED).count()
    data = await admin.data(OUTBOX, {"view": "SYSTEM"})
    assert len(data["outbox"]["edges"]) == system > 0
    assert all(e["node"]["systemGenerated"] for e in data["outbox"]["edges"])


async def test_a_page_of_the_outbox_costs_a_fixed_number_of_queries(signed_in):
    jane = await signed_in("jane@example.com")
    for n in range(30):
        await _queue("jane@example.com", "T-1002", f"Mail {n}")
    with recorded_queries() as statements:
        data = await jane.data(OUTBOX, {"view": "MINE"})
    assert len(data["outbox"]["edges"]) == 30
    # viewer (user + scope), the page, then items, connectors, people, recipients, attachment counts
    assert len(statements) == 2 + 1 + 5, "\n".join(statements)


async def test_cancel_retry_and_send_now_change_all_or_none(signed_in):
    jane, karina = await signed_in("jane@example.com"), await signed_in("karina@example.com")
    later = await _queue("jane@example.com", "T-1002", "Later", scheduled_for=clock.now() + timedelta(hours=3))
    failed = await _queue("jane@example.com", "T-1002", "Failed")
    await Email.filter(id=failed.id).update(status=EmailStatus.FAILED, attempts=5, last_error="554 rejected")
    sent = await _queue("jane@example.com", "T-1002", "Sent")
    await Email.filter(id=sent.id).update(status=EmailStatus.SENT)

    try:
        await karina.data(CANCEL, {"ids": [str(later.id)]})
    except GraphQLError as refused:
        assert refused.codes == ["NOT_FOUND"]
    else:
        raise AssertionError("karina may not cancel an email of the UK department")
    try:
        await jane.data(CANCEL, {"ids": [str(later.id), str(sent.id)]})
    except GraphQLError as refused:
        assert refused.codes == ["CONFLICT"] and str(sent.id) in refused.errors[0]["message"]
    else:
        raise AssertionError("a sent email cannot be cancelled")
    assert (await Email.get(id=later.id)).status == EmailStatus.QUEUED  # all or none

    now = (await jane.data(SEND_NOW, {"ids": [str(later.id)]}))["sendEmailsNow"][0]
    assert now["status"] == "QUEUED" and now["nextAttemptAt"] < (clock.now() + timedelta(minutes=1)).isoformat()
    retried = (await jane.data(RETRY, {"ids": [str(failed.id)]}))["retryEmails"][0]
    assert (retried["status"], retried["attempts"]) == ("QUEUED", 0)
    cancelled = (await jane.data(CANCEL, {"ids": [str(later.id), str(failed.id)]}))["cancelEmails"]
    assert {c["status"] for c in cancelled} == {"CANCELLED"}
    assert _subjects(await jane.data(OUTBOX, {"view": "MINE"})) == []  # cancelled and sent mail has left it
