"""Signing in (employees and portal contacts), password hashing, sign-in throttling.

A wrong email and a wrong password give the same error, after the same amount of hashing work.

Failed sign-ins are counted per email address (whether or not it exists) and per client address
(the peer uvicorn reports; behind a reverse proxy that is the proxy, unless uvicorn is told to trust
its X-Forwarded-For with `--forwarded-allow-ips`). An email address gets FREE_FAILURES consecutive
failures, a client address CLIENT_FREE_FAILURES failures (against any addresses); from then on each
further attempt must wait twice as long as the last (1 s, 2 s, 4 s … up to 15 min). A success resets
the email address's count; it does not reset the client's. A count with no attempt for
EMAIL_FORGET_AFTER / CLIENT_FORGET_AFTER starts again from zero.

Every attempt is counted *before* its password is checked, by one atomic statement that refuses it
while a block is on and, when it is the attempt that uses up the allowance, sets the block at once.
So attempts sent concurrently cannot all pass the gate: at most one per free slot is evaluated.
A successful attempt gives its slot back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise import Tortoise

from models.auth import SignInThrottle
from models.contact import Contact
from models.enums import Role
from models.org import User
from server.domain import clock, limits
from server.domain.organisation import sessions
from server.domain.sql import placeholders
from server.domain.errors import DomainError, RateLimited, ValidationError
from server.domain.tokens import TokenSigner
from server.domain.viewer import Viewer, contact_viewer, user_viewer
from server.mail import addresses

FREE_FAILURES = 4  # per email address, consecutive
EMAIL_FORGET_AFTER = timedelta(hours=24)
CLIENT_FREE_FAILURES = 20  # per client address
CLIENT_FORGET_AFTER = timedelta(hours=1)
MAX_DELAY_SECONDS = 15 * 60

_hasher = PasswordHasher()  # argon2-cffi's defaults (RFC 9106's low-memory profile), until configured
_dummy_hash: str | None = None


def configure_hashing(time_cost: int, memory_kib: int) -> None:
    """The Argon2id cost of new hashes (settings.password_time_cost / password_memory_kib). Checking
    a stored hash uses the cost written in it; a hash of another cost is redone at its next
    successful sign-in (see `needs_rehash`)."""
    global _hasher, _dummy_hash
    if (_hasher.time_cost, _hasher.memory_cost) != (time_cost, memory_kib):
        _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        _dummy_hash = None


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    global _dummy_hash
    if password_hash is None:
        # spend the same time as a real check, so a missing account cannot be told apart
        _dummy_hash = _dummy_hash or _hasher.hash("switchboard-no-such-account")
        password_hash = _dummy_hash
        try:
            _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    viewer: Viewer


@dataclass(frozen=True)
class _Allowance:
    kind: str  # the key's prefix
    free_failures: int
    forget_after: timedelta  # a count with no attempt for this long starts again from zero
    refusal: str  # the message of a refused attempt, with {wait}
    field: str | None


_EMAIL = _Allowance(
    "email", FREE_FAILURES, EMAIL_FORGET_AFTER,
    "Too many failed sign-ins for this address; try again in {wait} s.", "email",
)
_CLIENT = _Allowance(
    "client", CLIENT_FREE_FAILURES, CLIENT_FORGET_AFTER,
    "Too many failed sign-ins from this client; try again in {wait} s.", None,
)


def email_key(address: str) -> str:
    return f"{_EMAIL.kind}:{address}"


def _client_key(client_address: str) -> str:
    return f"{_CLIENT.kind}:{client_address}"


def _now_ms() -> int:
    return int(clock.now().timestamp() * 1000)


async def _reserve(key: str, allowance: _Allowance) -> None:
    """Count one attempt for `key` unless it is blocked now (then RateLimited); the attempt that
    uses up the allowance sets the block in the same statement."""
    now = _now_ms()
    forget_before = now - int(allowance.forget_after.total_seconds() * 1000)
    p = placeholders(3)
    t = f'"{SignInThrottle._meta.db_table}"'
    count = f"(CASE WHEN {t}.last_attempt_ms < {p[2]} THEN 1 ELSE {t}.failures + 1 END)"
    free = allowance.free_failures
    # the n-th failure past the allowance blocks for 2^(n-1) s, at most MAX_DELAY_SECONDS
    capped = MAX_DELAY_SECONDS.bit_length()
    block = (
        f"CASE WHEN {count} <= {free} THEN 0 "
        f"WHEN {count} - {free} - 1 >= {capped} THEN {p[1]} + {MAX_DELAY_SECONDS * 1000} "
        f"ELSE {p[1]} + 1000 * (1 << ({count} - {free} - 1)) END"
    )
    rows = await Tortoise.get_connection("default").execute_query_dict(
        f'INSERT INTO {t} ("key", failures, last_attempt_ms, blocked_until_ms) VALUES ({p[0]}, 1, {p[1]}, 0) '
        f'ON CONFLICT ("key") DO UPDATE SET failures = {count}, last_attempt_ms = {p[1]}, blocked_until_ms = {block} '
        f"WHERE {t}.blocked_until_ms <= {p[1]} RETURNING failures",
        [key, now, forget_before],
    )
    if rows:
        return
    row = await SignInThrottle.get_or_none(key=key)
    wait = max(1, -(-((row.blocked_until_ms if row else 0) - now) // 1000))
    raise RateLimited(allowance.refusal.format(wait=wait), field=allowance.field, retryAfter=wait)


async def _release(key: str, allowance: _Allowance) -> None:
    """Give back a counted attempt that was no failure (a success, or one refused elsewhere)."""
    p = placeholders(1)
    t = f'"{SignInThrottle._meta.db_table}"'
    await Tortoise.get_connection("default").execute_query(
        f"UPDATE {t} SET failures = failures - 1, blocked_until_ms = "
        f"CASE WHEN failures - 1 <= {allowance.free_failures} THEN 0 ELSE blocked_until_ms END "
        f'WHERE "key" = {p[0]} AND failures > 0',
        [key],
    )


async def _admit(address: str, client_address: str | None) -> None:
    """Count the attempt for the email address, then for the client; refused by either, it
    costs the other nothing."""
    await _reserve(email_key(address), _EMAIL)
    if client_address is None:
        return
    try:
        await _reserve(_client_key(client_address), _CLIENT)
    except RateLimited:
        await _release(email_key(address), _EMAIL)
        raise


async def _succeeded(address: str, client_address: str | None) -> None:
    await SignInThrottle.filter(key=email_key(address)).delete()
    if client_address is not None:
        await _release(_client_key(client_address), _CLIENT)


async def login(email: str, password: str, signer: TokenSigner, client_address: str | None = None) -> SignedIn:
    """Sign in; `client_address` is where the attempt comes from (None when unknown: then only
    the email address is throttled)."""
    limits.check({"email": email, "password": password})
    address = addresses.normalise(email)
    if address is None:
        raise ValidationError.single("email", "email must be an email address")
    await _admit(address, client_address)

    # the hashing runs off the event loop: other clients are served meanwhile
    user = await User.get_or_none(email=address, is_active=True)
    if user is not None and user.role is Role.ROBOT:
        user = None  # robots do not sign in with a password: an admin issues their token
    if user is not None and await asyncio.to_thread(verify_password, user.password_hash, password):
        await _succeeded(address, client_address)
        if needs_rehash(user.password_hash):
            user.password_hash = await asyncio.to_thread(hash_password, password)
            await user.save(update_fields=["password_hash"])
        issued = await sessions.start(signer, "user", user.id, client_address)
        return SignedIn(issued.token, issued.expires_at, await user_viewer(user, issued.session.id))

    contact = None if user is not None else await Contact.get_or_none(email=address, portal_enabled=True, test_mode=False)
    if contact is not None and await asyncio.to_thread(verify_password, contact.portal_password_hash, password):
        await _succeeded(address, client_address)
        if needs_rehash(contact.portal_password_hash):
            contact.portal_password_hash = await asyncio.to_thread(hash_password, password)
            await contact.save(update_fields=["portal_password_hash"])
        issued = await sessions.start(signer, "contact", contact.id, client_address)
        return SignedIn(issued.token, issued.expires_at, await contact_viewer(contact, issued.session.id))

    if user is None and contact is None:
        await asyncio.to_thread(verify_password, None, password)
    raise InvalidCredentials("Wrong email or password.")
