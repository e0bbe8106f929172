import pytest

from server.mail.addresses import normalise, plus_tag, subject_refs


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


@pytest.mark.parametrize(
    "address, expected",
    [
        ("support+T-1042@acme.example", ("support@acme.example", "T-1042")),
        ("Support+T-1042@Acme.Example", ("support@acme.example", "T-1042")),  # the tag keeps its case
        ("Support <support+t-7@acme.example>", ("support@acme.example", "t-7")),
        ("support@acme.example", ("support@acme.example", None)),
        ("a+b+c@x.example", ("a@x.example", "b+c")),  # the first "+" separates (RFC 5233)
        ("a+@x.example", ("a@x.example", None)),
        ("reply+6bdc3f4d-0bec-4515@example.com", ("reply@example.com", "6bdc3f4d-0bec-4515")),
        ("not an address", ("not an address", None)),
    ],
)
def test_plus_tag(address, expected):
    assert plus_tag(address) == expected


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("Re: [T-1042] printer", ["T-1042"]),
        ("T-1042: first, then C-17 and A-3, T-1042 again", ["T-1042", "C-17", "A-3"]),
        ("AW: Fwd: (T-9)", ["T-9"]),
        ("about T-1042.", ["T-1042"]),
        ("XT-1042 T-1042a T-1042-3 T-", []),  # not words of their own
        ("t-55 in lower case", []),
        ("ISO-8859-1, UTF-8, COVID-19", []),  # not a work item prefix
        ("AW: Ticket Templates [Ticket#11168]", []),
        ("", []),
    ],
)
def test_subject_refs(subject, expected):
    assert subject_refs(subject) == expected


def test_subject_refs_with_other_prefixes():
    assert subject_refs("PRJ-12 and T-1", prefixes=["PRJ"]) == ["PRJ-12"]
