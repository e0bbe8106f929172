"""One private Dovecot for every mail test of the session (tests/support/dovecot.py); each test
gets its own users, so tests never see each other's mail."""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Callable

import pytest

from tests.support.dovecot import DOVECOT, Dovecot

_user_numbers = itertools.count(1)


@pytest.fixture(scope="session")
async def dovecot() -> AsyncIterator[Dovecot]:
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (scripts/services.sh installs dovecot-imapd)")
    server = Dovecot(Path(tempfile.mkdtemp(prefix="switchboard-dovecot-")))
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@dataclass(frozen=True)
class MailUser:
    name: str
    password: str


@pytest.fixture
def mail_user(dovecot: Dovecot) -> Callable[[], MailUser]:
    """`mail_user()` → a new Dovecot login of its own (unique across the session)."""

    def make() -> MailUser:
        number = next(_user_numbers)
        user = MailUser(f"user{number}", f"password-{number}")
        dovecot.add_user(user.name, user.password)
        return user

    return make


@pytest.fixture(autouse=True)
def dovecot_log_on_failure(request: pytest.FixtureRequest) -> None:
    """Print the Dovecot log when a test that used it fails."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "dovecot" in request.fixturenames:
        print("---- dovecot log (tail) ----")
        print(request.getfixturevalue("dovecot").log()[-8000:])


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
