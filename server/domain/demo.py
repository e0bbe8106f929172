"""Demo data (SPEC §9), loaded only into an empty database.

Drafts are created and submitted through the same domain actions the API uses; the later states
(in progress, waiting, resolved, closed) are then set with their timeline entries, as the
lifecycle actions would leave them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.contact import Contact
from models.email import Mailbox, SmtpConnector
from models.enums import Priority, ResolutionMethod, Role, SmtpSecurity, Status, WaitType, WorkItemType
from models.org import Category, Company, ContactGroup, Department, Queue, Team, User, UserGroup
from models.work_item import WorkItem
from server.domain import clock, timeline, work_items
from server.domain.auth import hash_password
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer, user_viewer

DEMO_PASSWORD = "demo"


async def is_empty() -> bool:
    return not await User.exists() and not await Department.exists()


async def _set_state(actor: Viewer, item: WorkItem, status: Status, reason: str | None = None, **fields: Any) -> None:
    async with unit_of_work() as uow:
        from_status = item.status.value
        previous_assignee = item.assignee_id
        await work_items.save_changes(item, {"status": status, **fields})
        if item.assignee_id != previous_assignee:
            await timeline.assigned(uow, item, actor, from_user_id=previous_assignee)
        await timeline.status_changed(uow, item, actor, from_status=from_status, reason=reason)


async def load() -> bool:
    """Load the demo organisation and work items; False (and nothing written) when not empty."""
    async with unit_of_work():
        if not await is_empty():
            return False
        await _load()
    return True


async def _load() -> None:
    password = hash_password(DEMO_PASSWORD)

    acme = await Company.create(name="Acme Corp")
    globex = await Company.create(name="Globex")
    customers = await ContactGroup.create(name="Customers")
    smtp = await SmtpConnector.create(
        name="Demo relay",
        host="127.0.0.1",
        port=2525,
        security=SmtpSecurity.NONE,
        from_address="no-reply@acme.example",
        enabled=False,
    )
    uk = await Department.create(
        name="UK Operations",
        sla_hours=24,
        language="en",
        default_contact_group=customers,
        smtp_connector=smtp,
        feedback_window_hours=48,
        sender_name="UK Operations",
        signature="Kind regards,\nUK Operations",
    )
    pl = await Department.create(
        name="PL Operations",
        sla_hours=48,
        language="pl",
        default_contact_group=customers,
        smtp_connector=smtp,
        feedback_window_hours=48,
        sender_name="Dział operacji PL",
    )
    uk_staff = await UserGroup.create(name="UK staff", default_department=uk)
    await uk_staff.departments.add(uk)
    pl_staff = await UserGroup.create(name="PL staff", default_department=pl)
    await pl_staff.departments.add(pl)

    jane = await User.create(email="jane@example.com", name="Jane Cooper", role=Role.AGENT, password_hash=password)
    karina = await User.create(
        email="karina@example.com", name="Karina Nowak", role=Role.AGENT, password_hash=password, language="pl"
    )
    lena = await User.create(email="lena@example.com", name="Lena Fischer", role=Role.TEAM_LEADER, password_hash=password)
    await User.create(email="admin@example.com", name="Admin", role=Role.ADMIN, password_hash=password)
    await uk_staff.members.add(jane, lena)
    await pl_staff.members.add(karina)

    team_a = await Team.create(name="Team A")
    await team_a.members.add(jane, lena)
    await team_a.leaders.add(lena)
    team_b = await Team.create(name="Team B")
    await team_b.members.add(karina)
    queue_a = await Queue.create(name="Team A queue", team=team_a, department=uk)
    queue_b = await Queue.create(name="Team B queue", team=team_b, department=pl)
    await Mailbox.create(address="uk-ops@acme.example", department=uk, queue=queue_a)
    await Mailbox.create(address="pl-ops@acme.example", department=pl, queue=queue_b)

    categories = {name: await Category.create(name=name) for name in ("General enquiry", "Payroll", "Invoices", "Access request")}
    bob = await Contact.create(
        email="bob@client.example",
        name="Bob Smith",
        company=acme,
        group=customers,
        portal_enabled=True,
        portal_password_hash=password,
    )
    alice = await Contact.create(email="alice@globex.example", name="Alice Martin", company=globex, group=customers)
    piotr = await Contact.create(email="piotr@client.example", name="Piotr Zieliński", company=acme, language="pl")

    as_jane, as_karina, as_lena = [await user_viewer(u) for u in (jane, karina, lena)]
    now = clock.now()

    async def ticket(actor: Viewer, title: str, description: str | None, category: str, contact: Contact, **extra: Any) -> WorkItem:
        fields = {"title": title, "description": description, "category_id": categories[category].id}
        fields |= {"primary_contact_id": contact.id, "requester_id": contact.id, **extra}
        return await work_items.create_draft(actor, WorkItemType.TICKET, None, fields)

    async def submitted(actor: Viewer, *args: Any, **extra: Any) -> WorkItem:
        item = await ticket(actor, *args, **extra)
        return await work_items.submit(actor, item.ref, None)

    # UK Operations — Team A
    await ticket(as_jane, "Update bank details for March payroll", None, "Payroll", bob)
    await submitted(as_jane, "Missing invoice INV-2231", "We have not received invoice INV-2231 for February.", "Invoices", bob)
    item = await submitted(
        as_jane, "Payslip shows the wrong tax code", "My February payslip uses code BR instead of 1257L.", "Payroll", bob,
        priority=Priority.HIGH,
    )
    await _set_state(as_jane, item, Status.IN_PROGRESS, assignee_id=jane.id, last_assignee_id=jane.id)
    item = await submitted(
        as_jane, "Confirm the new starter's contract hours", "Please confirm hours for the new starter in Leeds.", "Payroll", bob
    )
    await _set_state(
        as_jane, item, Status.WAITING, "Asked the line manager", assignee_id=jane.id, last_assignee_id=jane.id,
        wait_type=WaitType.MORE_INFO, wait_started_at=now, days_to_wait=3,
    )
    item = await submitted(as_jane, "Holiday balance query", "How many days of holiday do I have left?", "General enquiry", bob)
    await _set_state(
        as_jane, item, Status.RESOLVED, "Balance sent to the employee", assignee_id=jane.id, last_assignee_id=jane.id,
        resolution_method=ResolutionMethod.WITH_CUSTOMER_RESPONSE, resolved_at=now,
        feedback_until=now + timedelta(hours=uk.feedback_window_hours),
    )
    item = await submitted(as_jane, "You have won a prize", "Click here to claim it.", "General enquiry", bob)
    await _set_state(
        as_jane, item, Status.CLOSED, "Spam", assignee_id=jane.id, last_assignee_id=jane.id,
        resolution_method=ResolutionMethod.REJECTED_SPAM, resolved_at=now, closed_at=now,
    )
    case = await work_items.create_draft(
        as_lena, WorkItemType.CASE, uk.id,
        {"title": "Onboard Globex payroll", "description": "Set up payroll processing for Globex.", "primary_contact_id": alice.id},
    )
    case = await work_items.submit(as_lena, case.ref, None)
    await _set_state(as_lena, case, Status.IN_PROGRESS, assignee_id=lena.id, last_assignee_id=lena.id, owner_id=lena.id)

    # PL Operations — Team B
    await submitted(
        as_karina, "Zaległa faktura od dostawcy", "Faktura FV/2026/11/031 nie została opłacona.", "Invoices", piotr
    )
    item = await submitted(as_karina, "Access to the payroll portal", "I cannot sign in since Monday.", "Access request", piotr)
    await _set_state(as_karina, item, Status.IN_PROGRESS, assignee_id=karina.id, last_assignee_id=karina.id)
    item = await submitted(as_karina, "Year-end bonus file", "Bonus file will arrive on Friday.", "Payroll", piotr)
    await _set_state(
        as_karina, item, Status.WAITING, "Check again on Friday", assignee_id=karina.id, last_assignee_id=karina.id,
        wait_type=WaitType.FOLLOW_UP, wait_started_at=now, wait_until=now + timedelta(days=3),
    )
    await work_items.create_draft(as_karina, WorkItemType.CASE, pl.id, {"title": "Quarter-end close checklist"})
    item = await submitted(as_karina, "Duplicate payment", "We paid invoice 4471 twice.", "Invoices", piotr)
    await _set_state(
        as_karina, item, Status.RESOLVED, "No answer from the client", assignee_id=karina.id, last_assignee_id=karina.id,
        resolution_method=ResolutionMethod.NO_CUSTOMER_RESPONSE, resolved_at=now,
        feedback_until=now + timedelta(hours=pl.feedback_window_hours),
    )
    item = await submitted(as_karina, "Change of address", "Please update my postal address.", "General enquiry", piotr)
    await _set_state(
        as_karina, item, Status.CLOSED, "Address updated", assignee_id=karina.id, last_assignee_id=karina.id,
        resolution_method=ResolutionMethod.WITH_CUSTOMER_RESPONSE, resolved_at=now, closed_at=now,
    )
