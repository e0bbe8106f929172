"""The system-wide mail settings as admins change them: plus addressing (off by default; SPEC
§5.2) and the retry pattern of outgoing mail with its number of retries (SPEC §5.1). Read them
with server.domain.mail_settings.current()."""

from __future__ import annotations

from typing import Any

from models.email import MailSettings
from server.domain import audit, mail_settings
from server.domain.errors import FieldProblem
from server.domain.mail_admin import common
from server.domain.uow import unit_of_work
from server.domain.viewer import Viewer

FIELDS = frozenset({"plus_addressing", "retry_pattern", "max_retries"})
MAX_PATTERN = 10  # entries of the retry pattern
MAX_DELAY = 7 * 24 * 3600  # seconds: a week
MAX_RETRIES = 20


async def settings(viewer: Viewer) -> MailSettings:
    common.require_admin(viewer)
    return await mail_settings.current()


def _problems(changes: dict[str, Any]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    common.flag(changes, "plus_addressing", "plusAddressing", problems)
    if "retry_pattern" in changes:
        pattern = changes["retry_pattern"]
        if not isinstance(pattern, list) or not 1 <= len(pattern) <= MAX_PATTERN:
            problems.append(FieldProblem("retryPattern", f"retryPattern must list 1 to {MAX_PATTERN} delays in seconds"))
        elif not all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= MAX_DELAY for s in pattern):
            problems.append(FieldProblem("retryPattern", f"each delay of retryPattern must be between 1 and {MAX_DELAY} seconds (a week)"))
    if "max_retries" in changes:
        retries = changes["max_retries"]
        if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= MAX_RETRIES:
            problems.append(FieldProblem("maxRetries", f"maxRetries must be between 0 and {MAX_RETRIES}"))
    return problems


async def update_settings(viewer: Viewer, fields: dict[str, Any]) -> MailSettings:
    """Change the fields given (a retry pattern shorter than maxRetries repeats its last delay)."""
    common.require_admin(viewer)
    common.unknown_fields(fields, FIELDS, "mail settings")
    common.raise_problems(_problems(fields), "mail settings")
    current = await mail_settings.current()
    if fields:
        async with unit_of_work():
            await MailSettings.filter(id=current.id).update(**fields)
            await audit.record_changes(viewer, "mail_settings.updated", current, audit.values(current, sorted(fields)), fields,
                                       target_name="Mail settings")
    return await mail_settings.current()
