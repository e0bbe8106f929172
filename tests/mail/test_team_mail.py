"""Mail between internal teams (SPEC §5.3): Jane (UK, Team A) writes on T-1003 to a client and to
PL Operations' mailbox (Team B). The server plans what it will do, a new linked PL ticket the
first time and the linked one after; the email leaves once; the copy that reaches B's mailbox
opens nothing; the client's reply to both plus addresses reaches both items."""

from __future__ import annotations

import pytest

from models.email import Email, EmailShare
from models.enums import EmailDirection
from models.org import Department, User
from models.work_item import WorkItem, WorkItemLink
from server.domain import inbound, mail_settings, outbox, team_mail
from server.domain.errors import ValidationError
from server.domain.team_mail import TeamDecision
from server.domain.uow import unit_of_work
from server.domain.viewer import user_viewer
from tests.mail.test_inbound import _message

PL_BOX = "pl-ops@acme.example"


async def _send(jane, item, decisions, to=("bob@client.example", PL_BOX)) -> tuple[Email, team_mail.Prepared]:
    async with unit_of_work() as uow:
        prepared = await team_mail.prepare(uow, jane, item, list(to), [], decisions, body="Please check the Polish side.")
        email = await outbox.queue_email(uow, item, jane, to=prepared.to, subject="Tax codes", body="Please check the Polish side.")
        await team_mail.share(uow, jane, item, email, prepared)
    return email, prepared


@pytest.fixture
async def jane(demo):
    settings = await mail_settings.current()
    settings.plus_addressing = True
    await settings.save()
    return await user_viewer(await User.get(email="jane@example.com"))


async def test_mail_to_another_teams_mailbox_opens_a_linked_item_then_shares_to_it(jane):
    item = await WorkItem.get(ref="T-1003")
    pl = await Department.get(name="PL Operations")
    (planned,) = await team_mail.plan(jane, item, ["bob@client.example", PL_BOX, "someone@elsewhere.example"])
    assert (planned.address, planned.action, planned.department_name, planned.team_name, planned.item) == (PL_BOX, "CREATE", "PL Operations", "Team B", None)

    with pytest.raises(ValidationError) as missing:
        await _send(jane, item, [])
    assert PL_BOX in missing.value.message

    email, prepared = await _send(jane, item, [TeamDecision(PL_BOX, "CREATE", title="Check the Polish tax codes")])
    (created,) = prepared.targets
    assert (created.department_id, created.title, created.status.value) == (pl.id, "Check the Polish tax codes", "TO_DO")
    assert await WorkItemLink.filter(low_id=min(item.id, created.id), high_id=max(item.id, created.id)).exists()
    assert email.to_addresses == ["bob@client.example", f"pl-ops+{created.ref.lower()}@acme.example"]
    assert email.reply_to == "uk-ops+T-1003@acme.example"
    assert await EmailShare.exists(email_id=email.id, work_item_id=created.id)

    # the copy that reaches B's mailbox is our own message: nothing is opened
    copy = _message(sender="jane@acme.example", to=email.to_addresses[1], subject="Tax codes", message_id=email.message_id)
    assert await inbound.receive(inbound.Arrival(raw=copy, size=len(copy))) is None
    assert await WorkItem.filter(title="Tax codes").count() == 0

    (again,) = await team_mail.plan(jane, item, [PL_BOX])
    assert (again.action, again.item.id, again.header_only) == ("SHARE", created.id, True)  # Jane does not see PL Operations
    second, prepared = await _send(jane, item, [TeamDecision(PL_BOX, "SHARE")])
    assert [t.id for t in prepared.targets] == [created.id]
    assert await EmailShare.exists(email_id=second.id, work_item_id=created.id)


async def test_a_reply_to_both_plus_addresses_reaches_both_items(jane):
    item = await WorkItem.get(ref="T-1003")
    email, prepared = await _send(jane, item, [TeamDecision(PL_BOX, "CREATE", title="Polish side")])
    (created,) = prepared.targets
    reply = _message(to="uk-ops+T-1003@acme.example", subject="Re: Tax codes", In_Reply_To=email.message_id,
                     Cc=f"pl-ops+{created.ref}@acme.example")
    received = await inbound.receive(inbound.Arrival(raw=reply, size=len(reply)))
    assert received.work_item_id == item.id and received.direction is EmailDirection.INBOUND
    assert await EmailShare.exists(email_id=received.id, work_item_id=created.id)
    assert (await WorkItem.get(id=created.id)).has_new_info


async def test_the_plan_is_asked_over_graphql(jane, signed_in):
    client = await signed_in("jane@example.com")
    query = 'query($ref: String!, $a: [String!]!) { teamRecipients(ref: $ref, addresses: $a) { address mailboxAddress departmentName teamName action linkedRef headerOnly creates } }'
    data = await client.data(query, {"ref": "T-1003", "a": ["bob@client.example", "PL-Ops@acme.example"]})
    assert data["teamRecipients"] == [{"address": PL_BOX, "mailboxAddress": PL_BOX, "departmentName": "PL Operations", "teamName": "Team B",
                                      "action": "CREATE", "linkedRef": None, "headerOnly": False, "creates": "TICKET"}]
    karina = await signed_in("karina@example.com")
    try:
        await karina.data(query, {"ref": "T-1003", "a": [PL_BOX]})
    except Exception as refused:  # noqa: BLE001 - the client raises GraphQLError
        assert "NOT_FOUND" in str(refused)
    else:
        raise AssertionError("karina does not see T-1003")


async def test_send_email_asks_for_an_answer_for_another_teams_mailbox_then_acts_on_it(jane, signed_in):
    client = await signed_in("jane@example.com")
    send = """mutation($input: ComposeEmailInput!) { sendEmail(ref: "T-1003", input: $input) { email { id to } workItem { ref } } }"""
    base = {"to": [{"address": "bob@client.example"}, {"address": PL_BOX}], "subject": "Tax codes", "textBody": "Please check."}
    items, emails = await WorkItem.all().count(), await Email.all().count()
    try:
        await client.data(send, {"input": base})
    except Exception as refused:  # noqa: BLE001 - the client raises GraphQLError
        assert "VALIDATION" in str(refused) and "teamRecipients" in str(refused)
    else:
        raise AssertionError("another team's mailbox needs an answer")
    assert (await WorkItem.all().count(), await Email.all().count()) == (items, emails)  # nothing written

    answer = [{"address": PL_BOX, "action": "CREATE", "title": "Polish tax codes"}]
    sent = (await client.data(send, {"input": {**base, "teamRecipients": answer}}))["sendEmail"]["email"]
    created = await WorkItem.get(title="Polish tax codes")
    assert sent["to"] == ["bob@client.example", f"pl-ops+{created.ref.lower()}@acme.example"]
    assert await EmailShare.exists(email_id=int(sent["id"]), work_item_id=created.id)
