"""Sign-in sessions: one row per sign-in (models.session.Session), its id inside the signed token.

A token works while its session is neither revoked nor expired: `viewer.authenticate` joins the
session into the user's (or contact's) own query, so checking it costs no extra statement.
`logout` ends the caller's session; admins list a user's sessions and revoke them all. Ending a
session emits an access change for its user or contact, so every live WebSocket connection
authenticated with it is closed (4403) at once, in every process (server/subscriptions/access.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.contact import Contact
from models.org import User
from models.session import Session
from server.domain import audit, clock, limits, permissions
from server.domain.errors import NotFound, Unauthenticated
from server.domain.events import ContactAccessChanged, UserAccessChanged
from server.domain.tokens import TokenSigner
from server.domain.uow import UnitOfWork, unit_of_work
from server.domain.viewer import Viewer

require_admin = permissions.admin_check("manage sessions")


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    session: Session


async def start(signer: TokenSigner, kind: str, subject_id: int, client_address: str | None = None) -> IssuedToken:
    """A new session for a user or contact ("user" / "contact") and its token."""
    expires = signer.expiry()
    subject = {"user_id": subject_id} if kind == "user" else {"contact_id": subject_id}
    session = await Session.create(
        **subject, created_at=clock.now(), expires_at=expires, client_address=(client_address or None) and client_address[:64]
    )
    token, expires = signer.issue(kind, subject_id, session.id, expires)
    return IssuedToken(token, expires, session)


def _emit_ended(uow: UnitOfWork, *, user_id: int | None = None, contact_id: int | None = None) -> None:
    if user_id is not None:
        uow.emit(UserAccessChanged(user_ids=(user_id,)))
    if contact_id is not None:
        uow.emit(ContactAccessChanged(contact_ids=(contact_id,)))


async def logout(viewer: Viewer) -> bool:
    """End the caller's own session: its token stops working, its connections close."""
    if viewer.session_id is None:
        raise Unauthenticated("Only a signed-in user or portal contact signs out; an API key is revoked by an admin.")
    async with unit_of_work() as uow:
        await Session.filter(id=viewer.session_id, revoked_at=None).update(revoked_at=clock.now())
        if viewer.is_user:
            _emit_ended(uow, user_id=viewer.id)
        else:
            _emit_ended(uow, contact_id=viewer.id)
    return True


async def _user(user_id: int) -> User:
    user = await User.get_or_none(id=user_id) if 0 < user_id <= limits.MAX_DB_INT else None
    if user is None:
        raise NotFound(f"No user {user_id} exists.", field="userId")
    return user


async def user_sessions(viewer: Viewer, user_id: int, *, include_ended: bool = False) -> list[Session]:
    """A user's sessions, newest first (only live ones unless `include_ended`). Admins only."""
    require_admin(viewer)
    await _user(user_id)
    q = Session.filter(user_id=user_id)
    if not include_ended:
        q = q.filter(revoked_at=None, expires_at__gt=clock.now())
    return await q.order_by("-created_at", "-id").limit(100)


async def revoke_all(uow: UnitOfWork, *, user_id: int | None = None, contact_id: int | None = None) -> int:
    """End every live session of a user or contact inside `uow`; how many were live."""
    q = Session.filter(revoked_at=None, expires_at__gt=clock.now())
    q = q.filter(user_id=user_id) if user_id is not None else q.filter(contact_id=contact_id)
    count = await q.update(revoked_at=clock.now())
    _emit_ended(uow, user_id=user_id, contact_id=contact_id)
    return count


async def revoke_user_sessions(viewer: Viewer, user_id: int) -> int:
    """An admin ends all of a user's sessions: their tokens stop working and their live connections
    close. How many sessions were live."""
    require_admin(viewer)
    async with unit_of_work() as uow:
        user = await _user(user_id)
        count = await revoke_all(uow, user_id=user.id)
        await audit.record(viewer, "session.revoked", user, changes={"sessions": {"from": count, "to": 0}})
    return count


async def revoke_contact_sessions(uow: UnitOfWork, contact: Contact) -> int:
    return await revoke_all(uow, contact_id=contact.id)
