"""Who is asking: an employee, a portal contact or a partner system, with the scope they act in.

A `Viewer` is loaded per request (and re-loaded per pushed event on a WebSocket) with one SQL
round trip for its departments and teams, so access changes take effect at once.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from enum import Enum
from typing import Sequence

from tortoise import Tortoise

from models.auth import ApiKey
from models.contact import Contact
from models.enums import Role
from models.org import User
from server.domain import clock
from server.domain.errors import Unauthenticated
from server.domain.sql import placeholders
from server.domain.tokens import TokenSigner, api_key_digest, split_api_key


class ViewerKind(str, Enum):
    USER = "USER"
    CONTACT = "CONTACT"
    API_KEY = "API_KEY"


@dataclass(frozen=True)
class Viewer:
    kind: ViewerKind
    id: int
    name: str
    email: str | None = None
    role: Role | None = None
    # departments whose every work item this viewer may see (users and API keys)
    department_ids: frozenset[int] = field(default_factory=frozenset)
    # departments public for one of the user's groups: create there, see only one's own items
    public_department_ids: frozenset[int] = field(default_factory=frozenset)
    team_ids: frozenset[int] = field(default_factory=frozenset)
    led_team_ids: frozenset[int] = field(default_factory=frozenset)
    # portal contacts
    company_id: int | None = None
    sees_company_items: bool = False
    # API keys may be read-only
    can_write: bool = True
    # the sign-in session of a user or contact (models.session.Session); None for API keys
    session_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind is ViewerKind.USER and self.role is Role.ADMIN

    @property
    def is_user(self) -> bool:
        return self.kind is ViewerKind.USER

    @property
    def is_contact(self) -> bool:
        return self.kind is ViewerKind.CONTACT

    @property
    def is_api_key(self) -> bool:
        return self.kind is ViewerKind.API_KEY

    @property
    def user_id(self) -> int | None:
        return self.id if self.is_user else None


async def _user_scopes(user_ids: Sequence[int]) -> dict[int, dict[str, set[int]]]:
    """The departments (D), public departments (P), teams (T) and led teams (L) of each user, in
    one statement however many users."""
    listed = ", ".join(placeholders(len(user_ids)))
    sql = f"""
        SELECT user_id AS u, 'D' AS k, department_id AS v FROM user_department WHERE user_id IN ({listed})
        UNION SELECT m.user_id, 'D', gd.department_id FROM user_group_department gd
            JOIN user_group_member m ON m.user_group_id = gd.user_group_id WHERE m.user_id IN ({listed})
        UNION SELECT m.user_id, 'P', pd.department_id FROM user_group_public_department pd
            JOIN user_group_member m ON m.user_group_id = pd.user_group_id WHERE m.user_id IN ({listed})
        UNION SELECT user_id, 'T', team_id FROM team_member WHERE user_id IN ({listed})
        UNION SELECT user_id, 'L', team_id FROM team_leader WHERE user_id IN ({listed})
    """
    rows = await Tortoise.get_connection("default").execute_query_dict(sql, list(user_ids))
    scopes: dict[int, dict[str, set[int]]] = {u: {"D": set(), "P": set(), "T": set(), "L": set()} for u in user_ids}
    for row in rows:
        scopes[int(row["u"])][row["k"]].add(int(row["v"]))
    return scopes


def _viewer_of(user: User, scope: dict[str, set[int]], session_id: int | None) -> Viewer:
    return Viewer(
        session_id=session_id,
        kind=ViewerKind.USER,
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,
        department_ids=frozenset(scope["D"]),
        public_department_ids=frozenset(scope["P"] - scope["D"]),
        team_ids=frozenset(scope["T"]),
        led_team_ids=frozenset(scope["L"]),
    )


async def user_viewer(user: User, session_id: int | None = None) -> Viewer:
    return _viewer_of(user, (await _user_scopes([user.id]))[user.id], session_id)


async def user_viewers(users: Sequence[User]) -> dict[int, Viewer]:
    """The viewer of each of `users` (by id), in one statement (none for no users)."""
    if not users:
        return {}
    scopes = await _user_scopes(sorted({u.id for u in users}))
    return {u.id: _viewer_of(u, scopes[u.id], None) for u in users}


async def contact_viewer(contact: Contact, session_id: int | None = None) -> Viewer:
    group = await contact.group if contact.group_id else None
    return Viewer(
        session_id=session_id,
        kind=ViewerKind.CONTACT,
        id=contact.id,
        name=contact.name or contact.email,
        email=contact.email,
        company_id=contact.company_id,
        sees_company_items=bool(group and group.sees_company_items),
    )


async def api_key_viewer(key: ApiKey) -> Viewer:
    department_ids = await key.departments.all().values_list("id", flat=True)
    return Viewer(
        kind=ViewerKind.API_KEY,
        id=key.id,
        name=key.name,
        department_ids=frozenset(department_ids),
        can_write=key.can_write,
    )


def _live_session(session_id: int) -> dict[str, object]:
    """Filters that join the sign-in session into the user's or contact's own query: one statement."""
    return {"sessions__id": session_id, "sessions__revoked_at": None, "sessions__expires_at__gt": clock.now()}


async def _session_user(user_id: int, session_id: int) -> User | None:
    if not (0 < session_id <= 2**31 - 1):
        return None
    return await User.filter(id=user_id, is_active=True, **_live_session(session_id)).first()


async def _session_contact(contact_id: int, session_id: int) -> Contact | None:
    if not (0 < session_id <= 2**31 - 1):
        return None
    return await Contact.filter(id=contact_id, portal_enabled=True, **_live_session(session_id)).first()


async def authenticate(token: str, signer: TokenSigner) -> Viewer:
    """The viewer a bearer token stands for; `Unauthenticated` when it stands for nobody now (its
    session revoked or expired, the user deactivated, the contact's portal access withdrawn)."""
    key_parts = split_api_key(token)
    if key_parts is not None:
        prefix, secret = key_parts
        key = await ApiKey.get_or_none(prefix=prefix, revoked_at=None)
        if key is None or not hmac.compare_digest(key.secret_hash, api_key_digest(secret)):
            raise Unauthenticated("The API key is unknown or has been revoked.")
        return await api_key_viewer(key)
    claims = signer.verify(token)
    if claims.kind == "user":
        user = await _session_user(claims.subject_id, claims.session_id)
        if user is not None:
            return await user_viewer(user, claims.session_id)
    else:
        contact = await _session_contact(claims.subject_id, claims.session_id)
        if contact is not None:
            return await contact_viewer(contact, claims.session_id)
    raise Unauthenticated("The token is invalid or has expired; sign in again.")


async def refresh(viewer: Viewer) -> Viewer | None:
    """The same viewer as it stands now, or None when it no longer may act (deactivated, revoked,
    its session ended)."""
    if viewer.is_user:
        if viewer.session_id is None:
            user = await User.get_or_none(id=viewer.id, is_active=True)
        else:
            user = await _session_user(viewer.id, viewer.session_id)
        return await user_viewer(user, viewer.session_id) if user else None
    if viewer.is_contact:
        if viewer.session_id is None:
            contact = await Contact.get_or_none(id=viewer.id, portal_enabled=True)
        else:
            contact = await _session_contact(viewer.id, viewer.session_id)
        return await contact_viewer(contact, viewer.session_id) if contact else None
    key = await ApiKey.get_or_none(id=viewer.id, revoked_at=None)
    return await api_key_viewer(key) if key else None
