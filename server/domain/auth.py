"""Signing in (employees and portal contacts), password hashing, sign-in throttling.

A wrong email and a wrong password give the same error, after the same amount of hashing work.
Consecutive failures for one address — whether or not it exists — are slowed down: from the
fifth on, each further attempt must wait twice as long as the last (1 s, 2 s, 4 s … up to 15 min).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from models.auth import LoginThrottle
from models.contact import Contact
from models.org import User
from server.domain import clock
from server.domain.errors import DomainError, RateLimited, ValidationError
from server.domain.tokens import TokenSigner
from server.domain.viewer import Viewer, contact_viewer, user_viewer
from server.mail import addresses

FREE_FAILURES = 4
MAX_DELAY_SECONDS = 15 * 60

_hasher = PasswordHasher()
_dummy_hash: str | None = None


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


async def _check_throttle(email: str) -> None:
    throttle = await LoginThrottle.get_or_none(email=email)
    if throttle and throttle.blocked_until and throttle.blocked_until > clock.now():
        wait = int((throttle.blocked_until - clock.now()).total_seconds()) + 1
        raise RateLimited(
            f"Too many failed sign-ins for this address; try again in {wait} s.", field="email", retryAfter=wait
        )


async def _record_failure(email: str) -> None:
    now = clock.now()
    throttle = await LoginThrottle.get_or_none(email=email)
    if throttle is None:
        throttle = LoginThrottle(email=email, failures=0, last_failure_at=now)
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures > FREE_FAILURES:
        delay = min(2 ** (throttle.failures - FREE_FAILURES - 1), MAX_DELAY_SECONDS)
        throttle.blocked_until = now + timedelta(seconds=delay)
    await throttle.save()


async def login(email: str, password: str, signer: TokenSigner) -> SignedIn:
    address = addresses.normalise(email)
    if address is None:
        raise ValidationError.single("email", "email must be an email address")
    await _check_throttle(address)

    user = await User.get_or_none(email=address, is_active=True)
    if user is not None and verify_password(user.password_hash, password):
        await LoginThrottle.filter(email=address).delete()
        token, expires = signer.issue("user", user.id)
        return SignedIn(token, expires, await user_viewer(user))

    contact = None if user is not None else await Contact.get_or_none(email=address, portal_enabled=True)
    if contact is not None and verify_password(contact.portal_password_hash, password):
        await LoginThrottle.filter(email=address).delete()
        token, expires = signer.issue("contact", contact.id)
        return SignedIn(token, expires, await contact_viewer(contact))

    if user is None and contact is None:
        verify_password(None, password)
    await _record_failure(address)
    raise InvalidCredentials("Wrong email or password.")
