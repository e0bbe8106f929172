"""The system-wide mail settings (one row): plus addressing (SPEC §5.2, off by default) and the
retry pattern of outgoing mail (SPEC §5.1)."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from models.email import MailSettings

SETTINGS_ID = 1


async def current() -> MailSettings:
    """The settings row, made with the defaults the first time it is read (by whichever process
    reads it first)."""
    settings = await MailSettings.get_or_none(id=SETTINGS_ID)
    if settings is None:
        try:
            settings = await MailSettings.create(id=SETTINGS_ID)
        except IntegrityError:  # another process made it meanwhile
            settings = await MailSettings.get(id=SETTINGS_ID)
    return settings
