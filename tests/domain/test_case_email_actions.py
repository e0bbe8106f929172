"""Case actions that send mail (server/domain/cases/email_actions.py; SPEC §2.2 rule 11, seed 004
"Send email" / "Send email and wait") on the demo organisation, with the clock frozen at T0.

Each test makes a case type whose step 1 is the email action and step 2 a manual one, and lena
submits a UK Operations case of it with Bob Smith as requester. Replies come in as real messages
through inbound.receive; the reply wait runs out through scheduler.run_due.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Iterator

import pytest

from models.case_flow import ActionTemplate, CaseStep, CaseType
from models.contact import Contact
from models.email import Email, EmailTemplate, Mailbox, MailRoute
from models.enums import (
    ActionKind,
    EmailDirection,
    EmailStatus,
    NotificationKind,
    ResolutionMethod,
    Status,
    TimelineKind,
    WaitType,
    WorkItemType,
)
from models.notification import Notification
from models.org import Department, Queue, User
from models.timeline import TimelineEntry
from models.work_item import WorkItem
from server.domain import cases, clock, inbound, mail_settings, scheduler, work_items
from server.domain.clock import FrozenClock
from server.domain.errors import ValidationError
from server.domain.viewer import Viewer, user_viewer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
SECOND = timedelta(seconds=1)
UK = "uk-ops@acme.example"
BOB = "bob@client.example"


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with clock.frozen(T0) as frozen_clock:
        yield frozen_clock


@pytest.fixture
async def now(frozen: FrozenClock, demo: None) -> FrozenClock:
    return frozen


async def lena() -> Viewer:
    return await user_viewer(await User.get(email="lena@example.com"))


async def email_template(**overrides: object) -> EmailTemplate:
    fields = {
        "name": "Ask for documents",
        "subject": "[{ref}] Documents for {title}",
        "text_body": "Dear {requesterName} ({requesterEmail}),\nplease send the documents for {caseRef}.\n{{not a placeholder}}\n{departmentName}",
        "html_body": "<p>Dear {requesterName}, about <b>{title}</b></p>",
        **overrides,
    }
    return await EmailTemplate.create(**fields)


async def case_type(kind: ActionKind, template: EmailTemplate | None, *, reply_wait_days: int | None = None) -> CaseType:
    queue = await Queue.get(name="Team A queue")
    flow = await CaseType.create(name=f"Mail flow {kind.value}")
    first = await CaseStep.create(case_type=flow, position=1, name="Ask")
    await ActionTemplate.create(step=first, title="Ask the client", kind=kind, queue=queue, email_template=template,
                                reply_wait_days=reply_wait_days)
    second = await CaseStep.create(case_type=flow, position=2, name="Check")
    await ActionTemplate.create(step=second, title="Check the answer", kind=ActionKind.MANUAL, queue=queue)
    return flow


async def submitted_case(flow: CaseType, *, requester: Contact | None, title: str = "Payroll for <Acme>") -> WorkItem:
    as_lena = await lena()
    department = await Department.get(name="UK Operations")
    fields: dict[str, object] = {"title": title}
    if requester is not None:
        fields.update(requester_id=requester.id, primary_contact_id=requester.id)
    draft = await work_items.create_draft(as_lena, WorkItemType.CASE, department.id, fields, case_type_id=flow.id)
    return await work_items.submit(as_lena, draft.ref, None)


async def actions_of(case: WorkItem) -> dict[str, WorkItem]:
    return {a.title: a for a in await WorkItem.filter(parent_id=case.id, type=WorkItemType.ACTION).order_by("id")}


async def reply(to_message_id: str, *, sender: str = f"Bob Smith <{BOB}>", subject: str = "Re: the documents",
                **headers: str) -> Email | None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, UK, subject
    message["Message-ID"] = make_msgid(domain="client.example")
    message["In-Reply-To"] = to_message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Here they are.")
    raw = message.as_bytes()
    return await inbound.receive(inbound.Arrival(raw=raw, size=len(raw)))


async def last_reason(item: WorkItem) -> str | None:
    entry = await TimelineEntry.filter(work_item_id=item.id, kind=TimelineKind.STATUS_CHANGED).order_by("-id").first()
    return entry.body if entry else None


async def test_send_email_queues_the_rendered_email_from_the_action_closes_it_and_moves_the_case_on(now):
    template = await email_template()
    bob = await Contact.get(email=BOB)
    case = await submitted_case(await case_type(ActionKind.SEND_EMAIL, template), requester=bob)

    actions = await actions_of(case)
    sent, following = actions["Ask the client"], actions["Check the answer"]
    assert (sent.status, sent.resolution_method, sent.action_kind) == (Status.CLOSED, ResolutionMethod.COMPLETE, ActionKind.SEND_EMAIL)
    assert (following.status, following.step) == (Status.TO_DO, 2)
    case = await WorkItem.get(id=case.id)
    assert (case.current_step, case.needs_attention) == (2, False)

    email = await Email.get(work_item_id=sent.id)
    assert (email.direction, email.status, email.to_addresses) == (EmailDirection.OUTBOUND, EmailStatus.QUEUED, [BOB])
    assert email.subject == f"[{sent.ref}] Documents for Payroll for <Acme>"
    assert email.text_body == (
        f"Dear Bob Smith ({BOB}),\nplease send the documents for {case.ref}.\n{{not a placeholder}}\nUK Operations"
    )
    assert email.html_body == "<p>Dear Bob Smith, about <b>Payroll for &lt;Acme&gt;</b></p>"
    assert not email.system_generated and email.template_id == template.id and email.created_by_id is None
    assert email.message_id and email.reply_to == UK and email.next_attempt_at == T0  # due at once: no undo delay
    assert await last_reason(sent) == f"Sent '{email.subject}' to {BOB}."
    outgoing = await TimelineEntry.get(work_item_id=sent.id, kind=TimelineKind.EMAIL_OUT)
    assert outgoing.email_id == email.id and not outgoing.system_generated
    assert not await Email.filter(work_item_id=case.id).exists()


async def test_send_email_and_wait_waits_for_the_reply_on_its_thread_and_an_out_of_office_does_not_end_it(now):
    settings = await mail_settings.current()
    settings.plus_addressing = True
    await settings.save()
    bob = await Contact.get(email=BOB)
    case = await submitted_case(await case_type(ActionKind.SEND_EMAIL_AND_WAIT, await email_template(), reply_wait_days=3), requester=bob)

    waiting = (await actions_of(case))["Ask the client"]
    assert (waiting.status, waiting.wait_type, waiting.days_to_wait) == (Status.WAITING, WaitType.MORE_INFO, 3)
    assert waiting.wait_until == T0 + timedelta(days=3) and "Check the answer" not in await actions_of(case)
    sent = await Email.get(work_item_id=waiting.id)
    assert sent.reply_to == f"uk-ops+{waiting.ref}@acme.example"

    away = await reply(sent.message_id, subject="Out of office", Auto_Submitted="auto-replied")
    assert away.work_item_id == waiting.id and away.is_auto_reply
    still = await WorkItem.get(id=waiting.id)
    assert (still.status, still.has_new_info) == (Status.WAITING, False)
    assert "Check the answer" not in await actions_of(case)

    answer = await reply(sent.message_id)
    assert answer.work_item_id == waiting.id and not answer.is_auto_reply
    actions = await actions_of(case)
    closed, following = actions["Ask the client"], actions["Check the answer"]
    assert (closed.status, closed.resolution_method) == (Status.CLOSED, ResolutionMethod.COMPLETE)
    assert await last_reason(closed) == "The reply arrived by email."
    assert following.status is Status.TO_DO
    case = await WorkItem.get(id=case.id)
    assert (case.current_step, case.has_new_info) == (2, True)
    assert [e.email_id for e in await TimelineEntry.filter(work_item_id=closed.id, kind=TimelineKind.EMAIL_IN).order_by("id")] == [away.id, answer.id]
    # nothing answered the out-of-office, and no new item was opened by either message
    assert await Email.filter(direction=EmailDirection.OUTBOUND, work_item__parent_id=case.id).count() == 1
    assert not await WorkItem.filter(title__in=["Out of office", "Re: the documents"]).exists()


async def test_the_reply_wait_running_out_closes_the_action_through_the_scheduler(now):
    bob = await Contact.get(email=BOB)
    case = await submitted_case(await case_type(ActionKind.SEND_EMAIL_AND_WAIT, await email_template(), reply_wait_days=2), requester=bob)
    waiting = (await actions_of(case))["Ask the client"]

    now.current = T0 + timedelta(days=2) - SECOND
    assert (await scheduler.run_due()).reply_waits_closed == 0
    assert (await WorkItem.get(id=waiting.id)).status is Status.WAITING

    now.current = T0 + timedelta(days=2)
    report = await scheduler.run_due()
    assert (report.reply_waits_closed, report.back_from_waiting) == (1, 0)
    actions = await actions_of(case)
    closed = actions["Ask the client"]
    assert (closed.status, closed.resolution_method) == (Status.CLOSED, ResolutionMethod.COMPLETE)
    assert await last_reason(closed) == "No reply within 2 day(s)."
    assert actions["Check the answer"].status is Status.TO_DO
    assert (await WorkItem.get(id=case.id)).current_step == 2
    assert (await scheduler.run_due()).reply_waits_closed == 0  # once only

    # a reply after the action closed opens a new item linked to it (later emails start a new item)
    sent = await Email.get(work_item_id=waiting.id, direction=EmailDirection.OUTBOUND)
    late = await reply(sent.message_id)
    assert late.work_item_id not in (waiting.id, case.id)


async def test_without_a_reply_wait_the_action_waits_until_the_reply(now):
    bob = await Contact.get(email=BOB)
    case = await submitted_case(await case_type(ActionKind.SEND_EMAIL_AND_WAIT, await email_template()), requester=bob)
    waiting = (await actions_of(case))["Ask the client"]
    assert (waiting.status, waiting.wait_until, waiting.days_to_wait) == (Status.WAITING, None, None)
    now.current = T0 + timedelta(days=400)
    await scheduler.run_due()
    assert (await WorkItem.get(id=waiting.id)).status is Status.WAITING


async def test_no_requester_or_no_template_gives_the_case_a_problem_and_a_copy_sends_once_fixed(now):
    case = await submitted_case(await case_type(ActionKind.SEND_EMAIL, await email_template()), requester=None)
    failed = (await actions_of(case))["Ask the client"]
    assert (failed.status, failed.resolution_method) == (Status.CLOSED, ResolutionMethod.UNABLE_TO_COMPLETE)
    reason = f"The email cannot be sent: {case.ref} has no requester or primary contact with an email address."
    assert await last_reason(failed) == reason
    case = await WorkItem.get(id=case.id)
    assert (case.status, case.needs_attention, case.current_step) == (Status.TO_DO, True, 1)
    assert case.problem == f"{failed.ref} (Ask the client) could not be completed"
    problem = await TimelineEntry.get(work_item_id=case.id, kind=TimelineKind.CASE_PROBLEM)
    assert problem.body == reason and problem.data == {"action": failed.ref}
    lena_user = await User.get(email="lena@example.com")
    assert await Notification.filter(user_id=lena_user.id, kind=NotificationKind.CASE_NEEDS_ATTENTION, work_item_id=case.id).exists()
    assert not await Email.filter(work_item_id=failed.id).exists()
    assert "Check the answer" not in await actions_of(case)

    # the owner fixes the case and starts another copy of the action: it sends, and the case moves on
    bob = await Contact.get(email=BOB)
    await WorkItem.filter(id=case.id).update(requester_id=bob.id)
    outcome = await cases.start_action(await lena(), case.ref, None, title=None, kind=ActionKind.MANUAL, queue_id=None,
                                       copy_of_ref=failed.ref)
    copy = outcome.created[0]
    await copy.refresh_from_db()
    assert (copy.status, copy.resolution_method) == (Status.CLOSED, ResolutionMethod.COMPLETE)
    assert (await Email.get(work_item_id=copy.id)).to_addresses == [BOB]
    case = await WorkItem.get(id=case.id)
    assert (case.needs_attention, case.current_step) == (False, 2)

    untemplated = await submitted_case(await case_type(ActionKind.SEND_EMAIL_AND_WAIT, None), requester=bob)
    failed = (await actions_of(untemplated))["Ask the client"]
    assert failed.resolution_method is ResolutionMethod.UNABLE_TO_COMPLETE
    assert await last_reason(failed) == "The email cannot be sent: the action has no email template to send."
    assert (await WorkItem.get(id=untemplated.id)).needs_attention


async def test_a_template_that_cannot_be_filled_in_is_a_problem_not_an_email_with_braces(now):
    template = await email_template(name="Old", subject="About {oldName}")
    bob = await Contact.get(email=BOB)
    case = await submitted_case(await case_type(ActionKind.SEND_EMAIL, template), requester=bob)
    failed = (await actions_of(case))["Ask the client"]
    assert failed.resolution_method is ResolutionMethod.UNABLE_TO_COMPLETE
    assert "unknown placeholder {oldName}" in await last_reason(failed)
    assert not await Email.filter(work_item_id=failed.id).exists()


async def test_an_email_action_is_not_started_by_hand_without_its_template(now):
    bob = await Contact.get(email=BOB)
    case = await submitted_case(await case_type(ActionKind.SEND_EMAIL, await email_template()), requester=bob)
    with pytest.raises(ValidationError) as raised:
        await cases.start_action(await lena(), case.ref, None, title="Mail them", kind=ActionKind.SEND_EMAIL, queue_id=None,
                                 copy_of_ref=None)
    assert raised.value.field == "kind"


async def test_a_case_opened_by_email_sends_its_action_email_to_the_sender(now):
    mailbox = await Mailbox.get(address=UK)
    flow = await case_type(ActionKind.SEND_EMAIL_AND_WAIT, await email_template(), reply_wait_days=5)
    await MailRoute.create(address="onboarding@acme.example", department_id=mailbox.department_id, queue_id=mailbox.queue_id,
                           creates=WorkItemType.CASE, case_type=flow)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "Nina Novak <nina@new.example>", "onboarding@acme.example", "New starter"
    message["Message-ID"] = make_msgid(domain="new.example")
    message.set_content("Sam starts on Monday.")
    raw = message.as_bytes()
    first = await inbound.receive(inbound.Arrival(raw=raw, size=len(raw)))
    case = await WorkItem.get(id=first.work_item_id)
    waiting = (await actions_of(case))["Ask the client"]
    assert waiting.status is Status.WAITING
    sent = await Email.get(work_item_id=waiting.id)
    assert sent.to_addresses == ["nina@new.example"] and sent.text_body.startswith("Dear Nina Novak (nina@new.example)")
    await reply(sent.message_id, sender="nina@new.example")
    assert (await WorkItem.get(id=waiting.id)).status is Status.CLOSED
    assert (await actions_of(case))["Check the answer"].status is Status.TO_DO
