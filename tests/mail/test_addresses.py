import pytest

from server.mail.addresses import normalise


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Jane@Example.com", "jane@example.com"),
        ("  bob@client.example ", "bob@client.example"),
        ("Bob Smith <Bob@Client.Example>", "bob@client.example"),
        ("support+T-1042@acme.example", "support+t-1042@acme.example"),
        ("x@[127.0.0.1]", "x@[127.0.0.1]"),
        ("", None),
        ("jane", None),
        ("jane@", None),
        ("@example.com", None),
        ("jane@localhost", None),
        ("a b@example.com", None),
        ("jane@example.com, bob@example.com", None),
        ("x" * 320 + "@example.com", None),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected
