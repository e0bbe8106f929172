"""The company-scope rule (server/domain/contacts/scope.py), from one table: whether a contact of
a company (None: World) may be on an item of a company (None: none yet), and the item's company
after."""

from __future__ import annotations

import pytest

from server.domain.contacts.scope import joined

TABLE = [
    # item's company, contact's company → fits, item's company after
    (None, None, True, None),
    (None, 1, True, 1),
    (1, None, True, 1),
    (1, 1, True, 1),
    (1, 2, False, 1),
]


@pytest.mark.parametrize("item_company, contact_company, fits, after", TABLE)
def test_joined(item_company, contact_company, fits, after):
    assert joined(item_company, contact_company) == (fits, after)
