"""Users and robots, administered by admins (SPEC §1).

A user is created with an initial password or an invitation: a one-time token, shown once, with
which they set their password (`accept_invitation`); only its SHA-256 is stored, and it expires
after INVITATION_TTL. Deactivating a user ends their sessions and closes their live connections at
once (UserAccessChanged); their tokens stop working. Robots (role ROBOT) have no password: they
never sign in with one, an admin issues them a token (`issue_robot_token`, a session like any other,
revoked with the user's sessions) with which they take work (`getNextWork`) and reject it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from models.enums import Role
from models.org import User
from models.session import Invitation
from server.domain import audit, clock, limits, permissions
from server.domain.auth import hash_password
from server.domain.errors import Conflict, FieldProblem, NotFound, ValidationError
from server.domain.events import UserAccessChanged
from server.domain.organisation import sessions
from server.domain.tokens import TokenSigner
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer
from server.mail import addresses

require_admin = permissions.admin_check("manage users")

INVITATION_TTL = timedelta(days=7)
MIN_PASSWORD = 8
INVITATION_PREFIX = "sbi_"


@dataclass(frozen=True)
class UserChange:
    user: User
    invitation_token: str | None = None  # shown once


def _values(user: User) -> dict[str, Any]:
    return {"email": user.email, "name": user.name, "role": user.role, "isActive": user.is_active, "language": user.language}


def _password_problem(password: str) -> FieldProblem | None:
    if len(password) < MIN_PASSWORD:
        return FieldProblem("password", f"password must be at least {MIN_PASSWORD} characters")
    return None


async def _check_email(email: str, problems: list[FieldProblem], *, other_than: int | None = None) -> str | None:
    address = addresses.normalise(email)
    if address is None:
        problems.append(FieldProblem("email", "email must be an email address"))
        return None
    q = User.filter(email=address)
    if other_than is not None:
        q = q.exclude(id=other_than)
    if await q.exists():
        problems.append(FieldProblem("email", "email is already used by another user"))
    return address


async def _new_invitation(user: User) -> str:
    """A fresh invitation for `user` (earlier unused ones stop working); the token, shown once."""
    now = clock.now()
    await Invitation.filter(user_id=user.id, used_at=None).update(used_at=now)
    token = INVITATION_PREFIX + secrets.token_urlsafe(32)
    await Invitation.create(user=user, token_hash=_digest(token), created_at=now, expires_at=now + INVITATION_TTL)
    return token


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(
    viewer: Viewer, *, email: str, name: str, role: Role, password: str | None = None, invite: bool = False,
    language: str | None = None,
) -> UserChange:
    require_admin(viewer)
    limits.check({"email": email, "name": name, "password": password, "language": language})
    problems: list[FieldProblem] = []
    name = name.strip()
    if not name:
        problems.append(FieldProblem("name", "name is required"))
    address = await _check_email(email, problems)
    if role is Role.ROBOT:
        if password is not None or invite:
            problems.append(FieldProblem("password", "robots have no password: issue them a token (issueRobotToken)"))
    elif password is not None and invite:
        problems.append(FieldProblem("invite", "give either an initial password or an invitation, not both"))
    elif password is None and not invite:
        problems.append(FieldProblem("password", "give an initial password or ask for an invitation"))
    elif password is not None and (problem := _password_problem(password)):
        problems.append(problem)
    permissions.raise_problems(problems, "user")
    password_hash = hash_password(password) if password is not None else None
    async with unit_of_work():
        user = await User.create(email=address, name=name, role=role, password_hash=password_hash, language=language or "en")
        token = await _new_invitation(user) if invite else None
        await audit.record(viewer, "user.created", user, changes=audit.created(_values(user) | {"invited": invite or None}))
    return UserChange(user, token)


async def _locked_user(user_id: int) -> User:
    user = await User.filter(id=user_id).select_for_update().first() if 0 < user_id <= limits.MAX_DB_INT else None
    if user is None:
        raise NotFound(f"No user {user_id} exists.", field="id")
    return user


async def update_user(
    viewer: Viewer, user_id: int, *, email: str | None = None, name: str | None = None, role: Role | None = None,
    password: str | None = None, language: str | None = None,
) -> User:
    """Change what is given (None: unchanged). A new password ends the user's sessions."""
    require_admin(viewer)
    limits.check({"email": email, "name": name, "password": password, "language": language})
    async with unit_of_work() as uow:
        user = await _locked_user(user_id)
        before = _values(user)
        problems: list[FieldProblem] = []
        if name is not None:
            if not name.strip():
                problems.append(FieldProblem("name", "name is required"))
            user.name = name.strip()
        if email is not None:
            address = await _check_email(email, problems, other_than=user.id)
            if address:
                user.email = address
        if role is not None:
            if (role is Role.ROBOT) != (user.role is Role.ROBOT):
                problems.append(FieldProblem("role", "a robot stays a robot and a person stays a person"))
            elif user.id == viewer.id and role is not Role.ADMIN:
                problems.append(FieldProblem("role", "admins do not take away their own admin role"))
            user.role = role
        if password is not None:
            if user.role is Role.ROBOT:
                problems.append(FieldProblem("password", "robots have no password"))
            elif problem := _password_problem(password):
                problems.append(problem)
        if language is not None:
            user.language = language.strip() or "en"
        permissions.raise_problems(problems, "user")
        if password is not None:
            user.password_hash = hash_password(password)
        await user.save()
        changes = audit.diff(before, _values(user))
        if password is not None:
            changes["password"] = {"to": "changed"}
            await sessions.revoke_all(uow, user_id=user.id)
        if role is not None and before["role"] != user.role:
            uow.emit(UserAccessChanged(user_ids=(user.id,)))
        if changes:
            await audit.record(viewer, "user.updated", user, changes=changes)
    return user


async def set_active(viewer: Viewer, user_id: int, active: bool) -> User:
    """Deactivate (sessions ended, connections closed, tokens refused) or reactivate a user."""
    require_admin(viewer)
    async with unit_of_work() as uow:
        user = await _locked_user(user_id)
        if not active and user.id == viewer.id:
            raise Conflict("Admins do not deactivate themselves.", field="id")
        if user.is_active != active:
            user.is_active = active
            await user.save(update_fields=["is_active"])
            await audit.record(viewer, "user.activated" if active else "user.deactivated", user,
                               changes={"isActive": {"from": not active, "to": active}})
        if not active:
            await sessions.revoke_all(uow, user_id=user.id)  # emits UserAccessChanged
        else:
            uow.emit(UserAccessChanged(user_ids=(user.id,)))
    return user


async def invite(viewer: Viewer, user_id: int) -> UserChange:
    """A new invitation for a person (earlier ones stop working): its token, shown once."""
    require_admin(viewer)
    async with unit_of_work():
        user = await _locked_user(user_id)
        if user.role is Role.ROBOT:
            raise ValidationError.single("id", "robots have no password: issue them a token")
        token = await _new_invitation(user)
        await audit.record(viewer, "user.invited", user, changes={"invitation": {"to": "issued"}})
    return UserChange(user, token)


async def accept_invitation(token: str, password: str) -> User:
    """Set one's password with an invitation; the invitation is used up."""
    limits.check({"token": token, "password": password})
    problem = _password_problem(password)
    if problem:
        raise ValidationError(problem.message, [problem])
    now = clock.now()
    async with unit_of_work():
        invitation = await Invitation.filter(token_hash=_digest(token), used_at=None, expires_at__gt=now).select_for_update().first()
        user = await User.get_or_none(id=invitation.user_id, is_active=True) if invitation else None
        if invitation is None or user is None or user.role is Role.ROBOT:
            raise ValidationError.single("token", "the invitation is unknown, used or expired")
        invitation.used_at = now
        await invitation.save(update_fields=["used_at"])
        user.password_hash = hash_password(password)
        await user.save(update_fields=["password_hash"])
        await audit.record(None, "user.invitation_accepted", user, changes={"password": {"to": "set"}})
    return user


async def issue_robot_token(viewer: Viewer, user_id: int, signer: TokenSigner) -> sessions.IssuedToken:
    """A token for a robot, shown once: a session of its own, ended with the robot's sessions or
    when it is deactivated."""
    require_admin(viewer)
    async with unit_of_work():
        user = await _locked_user(user_id)
        if user.role is not Role.ROBOT:
            raise ValidationError.single("id", "only robots are issued tokens; people sign in")
        if not user.is_active:
            raise Conflict("The robot is deactivated.", field="id")
        issued = await sessions.start(signer, "user", user.id)
        await audit.record(viewer, "session.issued", user, changes={"session": {"to": issued.session.id}})
    return issued


