"""Mail server credentials at rest: sealed with Fernet (authenticated AES) under a key derived
from the server's secret (`SWITCHBOARD_SECRET_KEY`, or var/secret_key) with HKDF-SHA256, so a
copy of the database alone does not give away an SMTP or IMAP password. Credentials are never
returned by the API; only the server that holds the secret opens them.

    sealer = Sealer(settings.secret_key)
    connector.password_sealed = sealer.seal("s3cret")
    sealer.open(connector.password_sealed)   # "s3cret"

A sealed value the key does not open (the secret changed, or the value was altered) raises
`CredentialsUnreadable`: the admin enters the password again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"switchboard mail credentials v1"


class CredentialsUnreadable(Exception):
    """The stored credential cannot be opened with this server's secret."""


class Sealer:
    __slots__ = ("_fernet",)

    def __init__(self, secret_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError, ValueError):
            raise CredentialsUnreadable("The stored password cannot be read with this server's secret; enter it again.") from None
