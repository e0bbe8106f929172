"""Counting the SQL statements an operation runs, to pin them so N+1 queries fail a test."""

from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager
from typing import Iterator

from tortoise.log import db_client_logger


# the server's periodic tasks (their names): what they run in the background is not the cost of
# the operation being measured
HOUSEKEEPING_TASKS = ("event-hub", "event-log-pruner", "item-viewers heartbeat", "presence", "switchboard-scheduler")


def _in_housekeeping() -> bool:
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return False
    return task is not None and task.get_name() in HOUSEKEEPING_TASKS


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if _in_housekeeping():
            return
        message = record.getMessage()
        if not message.startswith(("Created connection", "Closed connection")):
            self.statements.append(message)


@contextmanager
def recorded_queries() -> Iterator[list[str]]:
    """The SQL statements run inside the block (every client logs each one at DEBUG)."""
    recorder = _Recorder()
    previous = db_client_logger.level
    db_client_logger.addHandler(recorder)
    db_client_logger.setLevel(logging.DEBUG)
    try:
        yield recorder.statements
    finally:
        db_client_logger.removeHandler(recorder)
        db_client_logger.setLevel(previous)
