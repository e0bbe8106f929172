"""Demo data (SPEC §9), loaded only into an empty database.

Everything is made through the same domain actions the API uses, so the demo's timelines, events
and due dates are what real use produces.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.contact import Contact
from models.portal import PortalRoute
from models.email import Mailbox, SmtpConnector
from models.case_flow import ActionTemplate, CaseStep, CaseType
from models.enums import ActionKind, Priority, ResolutionMethod, Role, SmtpSecurity, WaitType, WorkItemType
from models.org import Category, Company, ContactGroup, Department, Queue, Team, User, UserGroup
from models.work_item import WorkItem
from server.domain import clock, lifecycle, tickets, work_items
from server.domain.auth import hash_password
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer, user_viewer

DEMO_PASSWORD = "demo"


async def is_empty() -> bool:
    return not await User.exists() and not await Department.exists()


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
    # the portal: Acme's requesters' tickets go to Team A, everyone else's to Team B
    await PortalRoute.create(company=acme, queue=queue_a)
    await PortalRoute.create(company=None, queue=queue_b)
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

    onboarding = await _onboarding_case_type(queue_a)
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
    await lifecycle.start_work(as_jane, item.ref, None)
    item = await submitted(
        as_jane, "Confirm the new starter's contract hours", "Please confirm hours for the new starter in Leeds.", "Payroll", bob
    )
    await lifecycle.start_work(as_jane, item.ref, None)
    await lifecycle.wait(as_jane, item.ref, None, WaitType.MORE_INFO, days_to_wait=3, reason="Asked the line manager")
    item = await submitted(as_jane, "Holiday balance query", "How many days of holiday do I have left?", "General enquiry", bob)
    await lifecycle.start_work(as_jane, item.ref, None)
    await lifecycle.add_note(as_jane, item.ref, None, "Sent the balance (12 days) to the employee.")
    await lifecycle.resolve(as_jane, item.ref, None, ResolutionMethod.WITH_CUSTOMER_RESPONSE)
    item = await submitted(as_jane, "You have won a prize", "Click here to claim it.", "General enquiry", bob)
    await lifecycle.resolve(as_jane, item.ref, None, ResolutionMethod.REJECTED_SPAM, reason="Spam")
    case = await work_items.create_draft(
        as_lena, WorkItemType.CASE, uk.id,
        {"title": "Onboard Globex payroll", "description": "Set up payroll processing for Globex.", "primary_contact_id": alice.id},
        case_type_id=onboarding.id,
    )
    case = await work_items.submit(as_lena, case.ref, None)
    await lifecycle.start_work(as_lena, case.ref, None)

    # PL Operations — Team B
    await submitted(
        as_karina, "Zaległa faktura od dostawcy", "Faktura FV/2026/11/031 nie została opłacona.", "Invoices", piotr
    )
    portal = await submitted(as_karina, "Access to the payroll portal", "I cannot sign in since Monday.", "Access request", piotr)
    await lifecycle.start_work(as_karina, portal.ref, None)
    item = await submitted(as_karina, "Year-end bonus file", "Bonus file will arrive on Friday.", "Payroll", piotr)
    await lifecycle.start_work(as_karina, item.ref, None)
    await lifecycle.wait(as_karina, item.ref, None, WaitType.FOLLOW_UP, until=now + timedelta(days=3), reason="Check again on Friday")
    await work_items.create_draft(as_karina, WorkItemType.CASE, pl.id, {"title": "Quarter-end close checklist"})
    item = await submitted(as_karina, "Duplicate payment", "We paid invoice 4471 twice.", "Invoices", piotr)
    await lifecycle.start_work(as_karina, item.ref, None)
    await lifecycle.resolve(as_karina, item.ref, None, ResolutionMethod.NO_CUSTOMER_RESPONSE,
                            note="Asked twice for the bank statement; no answer.")
    item = await submitted(as_karina, "Cannot log in to the payroll portal", "Same problem as my colleague.", "Access request", piotr)
    await tickets.merge(as_karina, item.ref, None, portal.ref)


async def _onboarding_case_type(queue: Queue) -> CaseType:
    case_type = await CaseType.create(name="Client onboarding")
    steps = [
        ("Collect documents", [("Collect the signed contract", ActionKind.MANUAL), ("Check the documents", ActionKind.PEER_REVIEW)]),
        ("Set up", [("Set up payroll", ActionKind.MANUAL), ("Wait for regional set-ups", ActionKind.WAIT_FOR_SUB_CASES)]),
        ("Go live", [("Approve go-live", ActionKind.APPROVAL)]),
    ]
    for position, (name, actions) in enumerate(steps, start=1):
        step = await CaseStep.create(case_type=case_type, position=position, name=name)
        for order, (title, kind) in enumerate(actions, start=1):
            await ActionTemplate.create(step=step, position=order, title=title, kind=kind, queue=queue)
    return case_type
