"""Mail server credentials are stored sealed under a key derived from the server's secret."""

from __future__ import annotations

import pytest

from server.mail.secrets import CredentialsUnreadable, Sealer


def test_a_sealed_password_opens_with_the_same_secret_only():
    sealer = Sealer("the server's secret")
    sealed = sealer.seal("Hunter2-ąę")
    assert "Hunter2" not in sealed and sealed != sealer.seal("Hunter2-ąę")  # a fresh nonce each time
    assert Sealer("the server's secret").open(sealed) == "Hunter2-ąę"
    with pytest.raises(CredentialsUnreadable):
        Sealer("another secret").open(sealed)


def test_an_altered_sealed_value_is_refused():
    sealer = Sealer("s")
    sealed = sealer.seal("password")
    altered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(CredentialsUnreadable):
        sealer.open(altered)
    with pytest.raises(CredentialsUnreadable):
        sealer.open("not a sealed value")
