"""The outbox as people see it (SPEC §5.1): every outgoing email not yet sent — scheduled, in
its undo window, being sent, waiting for a retry, failed, or parked by a disabled connector —
in four views, newest first:

- MINE: the emails I wrote;
- MY_TEAM: those written by a member of one of my teams, or about an item one of my teams works
  on (in one of its queues, or assigned to one of its members);
- SYSTEM: system-generated mail (notices, confirmations);
- ALL: everything I may see.

Every view is cut to what the viewer may see: the emails of work items they see (an email of no
item only for admins). The view a person last chose is remembered; until they choose one, team
leaders start on MY_TEAM and everyone else on MINE.
"""

from __future__ import annotations

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from models.email import Email
from models.enums import EmailDirection, EmailStatus, OutboxView, Role
from models.org import Queue, User
from server.domain import visibility
from server.domain.errors import Forbidden
from server.domain.viewer import Viewer

IN_OUTBOX = (EmailStatus.QUEUED, EmailStatus.SENDING, EmailStatus.RETRY_PENDING, EmailStatus.FAILED, EmailStatus.CONNECTOR_DISABLED)


def _require_staff(viewer: Viewer) -> None:
    if not viewer.is_user:
        raise Forbidden("Only employees have an outbox.")


async def view_of(viewer: Viewer) -> OutboxView:
    """The view the viewer starts on: the one they chose last, else by role."""
    _require_staff(viewer)
    remembered = (await User.get(id=viewer.id)).outbox_view
    if remembered is not None:
        return remembered
    return OutboxView.MY_TEAM if viewer.role == Role.TEAM_LEADER else OutboxView.MINE


async def remember(viewer: Viewer, view: OutboxView) -> None:
    _require_staff(viewer)
    await User.filter(id=viewer.id).update(outbox_view=view)


def visible_emails(viewer: Viewer) -> QuerySet[Email]:
    """Outgoing emails the viewer may see, in or out of the outbox."""
    outgoing = Email.filter(direction=EmailDirection.OUTBOUND)
    if viewer.is_admin:
        return outgoing
    if not viewer.is_user:
        return outgoing.filter(id__in=[])
    return outgoing.filter(work_item_id__in=Subquery(visibility.visible_work_items(viewer).values("id")))


def _members(team_ids: list[int]) -> QuerySet[User]:
    return User.filter(teams__id__in=team_ids).values("id")


def in_view(viewer: Viewer, view: OutboxView) -> QuerySet[Email]:
    """The emails of `view` still in the outbox, newest first."""
    _require_staff(viewer)
    emails = visible_emails(viewer).filter(status__in=IN_OUTBOX)
    if view == OutboxView.MINE:
        emails = emails.filter(created_by_id=viewer.id)
    elif view == OutboxView.SYSTEM:
        emails = emails.filter(system_generated=True)
    elif view == OutboxView.MY_TEAM:
        teams = sorted(viewer.team_ids | viewer.led_team_ids)
        emails = emails.filter(
            Q(created_by_id__in=Subquery(_members(teams)))
            | Q(work_item__queue_id__in=Subquery(Queue.filter(team_id__in=teams).values("id")))
            | Q(work_item__assignee_id__in=Subquery(_members(teams)))
        )
    return emails.order_by("-id")
