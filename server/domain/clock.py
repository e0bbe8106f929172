"""The one source of "now" for domain rules, replaceable in tests so no test sleeps for real time."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

_source: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731


def now() -> datetime:
    return _source()


def as_utc(moment: datetime) -> datetime:
    """A moment given by a client, in UTC (one without an offset is taken as UTC already).

    Stored times are all UTC: SQLite compares them as text, so mixed offsets would misorder."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class FrozenClock:
    """A clock that stands still until moved."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current


@contextmanager
def frozen(start: datetime | None = None) -> Iterator[FrozenClock]:
    global _source
    clock = FrozenClock(start or datetime.now(timezone.utc))
    previous, _source = _source, clock
    try:
        yield clock
    finally:
        _source = previous
