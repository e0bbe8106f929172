"""Signed, expiring bearer tokens for users and portal contacts, and partner API key secrets.

A session token is `v1.<payload>.<signature>`: the payload (base64url JSON: subject kind, id,
session id, issued-at, expiry) signed with HMAC-SHA256 under the server's secret key. The session
row (models.session.Session) is what logout and revocation end: authenticate reads it in the same
statement as the user or contact (server/domain/viewer.py). An API key is `sbk_<prefix>_<secret>`: the prefix finds the key's row, the
secret is compared with the stored SHA-256 digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from server.domain import clock
from server.domain.errors import Unauthenticated

API_KEY_PREFIX = "sbk_"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TokenClaims:
    kind: str  # "user" or "contact"
    subject_id: int
    expires_at: datetime
    session_id: int = 0  # 0: a token without a session, which authenticate refuses


class TokenSigner:
    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._key = hashlib.sha256(("switchboard-token:" + secret_key).encode()).digest()
        self.ttl_seconds = ttl_seconds

    def _signature(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def expiry(self) -> datetime:
        """When a token issued now expires (whole seconds, as the token carries it)."""
        return datetime.fromtimestamp(int(clock.now().timestamp()) + self.ttl_seconds, timezone.utc)

    def issue(self, kind: str, subject_id: int, session_id: int = 0, expires_at: datetime | None = None) -> tuple[str, datetime]:
        issued = int(clock.now().timestamp())
        expires = int(expires_at.timestamp()) if expires_at is not None else issued + self.ttl_seconds
        claims = {"k": kind, "s": subject_id, "i": issued, "e": expires}
        if session_id:
            claims["sid"] = session_id
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"v1.{payload}.{self._signature(payload)}", datetime.fromtimestamp(expires, timezone.utc)

    def verify(self, token: str) -> TokenClaims:
        invalid = Unauthenticated("The token is invalid or has expired; sign in again.")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            raise invalid
        _, payload, signature = parts
        if not hmac.compare_digest(signature, self._signature(payload)):
            raise invalid
        try:
            claims = json.loads(_unb64(payload))
            kind, subject, expires = claims["k"], int(claims["s"]), int(claims["e"])
            session_id = int(claims.get("sid", 0))
        except (ValueError, KeyError, TypeError):
            raise invalid from None
        if kind not in ("user", "contact") or expires <= clock.now().timestamp():
            raise invalid
        return TokenClaims(kind, subject, datetime.fromtimestamp(expires, timezone.utc), session_id)


def new_api_key_secret() -> tuple[str, str, str]:
    """A fresh key: (token to show once, prefix to store, digest to store)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_PREFIX}{prefix}_{secret}", prefix, api_key_digest(secret)


def api_key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(token: str) -> tuple[str, str] | None:
    """(prefix, secret) of an API key token, or None when the token is not shaped like one."""
    if not token.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, secret = token[len(API_KEY_PREFIX) :].partition("_")
    if not sep or not prefix or not secret:
        return None
    return prefix, secret
