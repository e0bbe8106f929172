"""Fixtures shared by the API tests."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from tests.support.client import HttpClient
from tests.support.matrix_world import World, build_world, close


@pytest.fixture
async def world(demo, client: HttpClient, settings) -> AsyncIterator[World]:
    """The authorisation matrix's world (tests/support/matrix_world.py)."""
    built = await build_world(client, settings)
    yield built
    await close(built)
