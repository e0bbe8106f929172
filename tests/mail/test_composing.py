"""The MIME message without a server: identifiers, plus addresses, envelope recipients and the
choices build() makes (what arrives over SMTP is tested in test_smtp.py)."""

from __future__ import annotations

import re
import socket

import pytest

from server.mail import composing
from server.mail.composing import OutgoingAttachment, OutgoingMessage


@pytest.fixture(autouse=True)
def clean_database():
    """Overrides the suite's: nothing here touches the database, so there is nothing to empty
    (on PostgreSQL that emptying is half a second a test)."""
    yield


def _message(**changes) -> OutgoingMessage:
    values = dict(from_address="support@acme.example", from_name=None, to=["bob@client.example"],
                  cc=[], bcc=[], subject="Hello", text_body="Hi", html_body=None,
                  message_id="<m1@acme.example>")
    values.update(changes)
    return OutgoingMessage(**values)


def test_new_message_ids_are_random_and_name_only_the_domain():
    ids = {composing.new_message_id("Acme.Example") for _ in range(1000)}
    assert len(ids) == 1000
    for message_id in ids:
        assert re.fullmatch(r"<[0-9a-f]{32}@acme\.example>", message_id)
        assert socket.gethostname().lower() not in message_id
    with pytest.raises(ValueError):
        composing.new_message_id("not a domain")


@pytest.mark.parametrize("mailbox, ref, expected", [
    ("support@acme.example", "T-1042", "support+T-1042@acme.example"),
    ("Support Team <Support@Acme.Example>", "C-7", "support+C-7@acme.example"),
    ("support+T-1@acme.example", "T-1042", "support+T-1042@acme.example"),
    ("support+a+b@acme.example", "T-9", "support+T-9@acme.example"),
])
def test_plus_address(mailbox, ref, expected):
    assert composing.plus_address(mailbox, ref) == expected


@pytest.mark.parametrize("mailbox, ref", [
    ("not an address", "T-1"), ("support@acme.example", "T 1"),
    ("support@acme.example", "a@b"), ("support@acme.example", ""),
    ("support@acme.example", "x+y"),
])
def test_plus_address_refuses_what_is_not_one(mailbox, ref):
    with pytest.raises(ValueError):
        composing.plus_address(mailbox, ref)


def test_recipients_are_normalised_each_once_in_order():
    message = _message(to=["Bob <Bob@Client.example>", "ann@client.example"],
                       cc=["bob@client.example", "Carol <carol@client.example>"],
                       bcc=["ANN@client.example", "audit@acme.example"])
    assert composing.recipients(message) == [
        "bob@client.example", "ann@client.example", "carol@client.example", "audit@acme.example"]
    with pytest.raises(ValueError, match="nobody"):
        composing.recipients(_message(bcc=["nobody"]))


def test_a_plain_message_is_one_text_part_with_no_optional_headers():
    built = composing.build(_message(text_body="Just text\n"))
    assert built.get_content_type() == "text/plain"
    assert built.get_content() == "Just text\n"
    for header in ("Cc", "Bcc", "Reply-To", "In-Reply-To", "References", "Auto-Submitted",
                   "X-Auto-Response-Suppress", "Importance", "X-Priority"):
        assert built[header] is None, header
    assert built["Date"] is not None and built["MIME-Version"] == "1.0"


def test_low_importance_and_references_without_a_duplicate():
    built = composing.build(_message(importance="LOW", in_reply_to="<b@x>",
                                     references=["<a@x>", "<b@x>"]))
    assert (built["Importance"], built["X-Priority"]) == ("low", "5 (Lowest)")
    assert built["References"] == "<a@x> <b@x>"
    with pytest.raises(ValueError):
        composing.build(_message(importance="URGENT"))


def test_a_line_break_in_the_subject_cannot_start_a_header():
    built = composing.build(_message(subject="Hello\r\nBcc: victim@example.com"))
    assert built["Subject"] == "Hello Bcc: victim@example.com"
    assert b"\r\nBcc:" not in bytes(built)


def test_the_html_signature_goes_before_the_end_of_the_body_and_is_escaped():
    built = composing.build(_message(html_body="<html><body><p>Hi</p></body></html>",
                                     signature="<b>not bold</b>"))
    html = built.get_body(("html",)).get_content()
    assert html.startswith("<html><body><p>Hi</p><div class=\"signature\">-- <br>\n"
                           "&lt;b&gt;not bold&lt;/b&gt;</div>")
    assert html.rstrip().endswith("</body></html>")


def test_inline_parts_without_an_html_body_become_attachments():
    logo = OutgoingAttachment("logo.png", "image/png", b"\x89PNG", content_id="logo")
    built = composing.build(_message(attachments=[logo]))
    assert built.get_content_type() == "multipart/mixed"
    text, image = built.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert (image.get_filename(), image["Content-ID"]) == ("logo.png", "<logo>")
    assert image.get_content() == b"\x89PNG"


def test_the_wire_form_is_seven_bit_with_short_crlf_lines():
    built = composing.build(_message(
        from_name="Søren Kierkegaard", subject="Ærlig talt " * 20,
        text_body=("Blåbærsyltetøy " * 40 + "\n") * 3,
        attachments=[OutgoingAttachment("fïle.bin", "application/octet-stream", bytes(5000))]))
    wire = bytes(built)
    assert wire.isascii()
    assert b"\n" not in wire.replace(b"\r\n", b"")
    assert max(len(line) for line in wire.split(b"\r\n")) <= 78
