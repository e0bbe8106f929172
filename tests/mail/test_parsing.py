"""server/mail/parsing: every message of the shared corpus (../shared/mail-corpus) parses, and
what Switchboard routes and shows on is read right from real-world mail: auto-replies, bounces
and receipts flagged (and people's mail not), charsets decoded, broken messages recovered."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from server.mail.addresses import plus_tag
from server.mail.parsing import ParsedMessage, UnparseableMessage, parse, sanitize_html

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "mail-corpus"
MESSAGES = sorted(CORPUS.glob("*.eml")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not MESSAGES, reason=f"mail corpus not found at {CORPUS}")


@pytest.fixture(autouse=True)
def clean_database():
    """Parsing touches no database: nothing to empty after these tests (overrides the suite's)."""
    yield


def corpus(name: str) -> ParsedMessage:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"{name} not in the mail corpus")
    return parse(path.read_bytes())


def _readable(message: ParsedMessage) -> None:
    assert isinstance(message.subject, str)
    assert message.text_body is not None or message.html_body is not None or message.attachments
    for text in (message.subject, message.text_body or "", message.html_body or "", *message.defects,
                 *(a.filename for a in message.attachments)):
        text.encode("utf-8")  # no lone surrogates: every string can be stored
        assert "\x00" not in text
    if message.date is not None:
        assert message.date.tzinfo is not None and message.date.utcoffset().total_seconds() == 0
    for found in (message.message_id, *message.in_reply_to, *message.references):
        if found is not None:
            assert found.startswith("<") and found.endswith(">")


@needs_corpus
@pytest.mark.parametrize("path", MESSAGES, ids=[p.name for p in MESSAGES])
def test_every_corpus_message_parses(path: Path):
    try:
        message = parse(path.read_bytes())
    except UnparseableMessage as error:
        assert error.reason
        return
    _readable(message)


@needs_corpus
def test_corpus_messages_cut_short_or_damaged_still_parse():
    """Each message cut at several points and with bytes overwritten by delimiters, 8-bit bytes
    and NULs: parsed, or refused with UnparseableMessage — never another exception."""
    rng = random.Random(20261)
    parsed = 0
    for path in MESSAGES:
        raw = path.read_bytes()
        variants = [raw[:cut] for cut in (1, 40, 300, len(raw) // 2, len(raw) - 2)]
        for _ in range(4):
            damaged = bytearray(raw)
            for _ in range(rng.randint(1, 12)):
                damaged[rng.randrange(len(damaged))] = rng.choice(b"\x00\n\r =?:-<\";\x80\xff")
            variants.append(bytes(damaged))
        for variant in variants:
            try:
                message = parse(variant)
            except UnparseableMessage:
                continue
            _readable(message)
            parsed += 1
    assert parsed > len(MESSAGES) * 6


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "empty"),
        (b"  \r\n\r\n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "no header"),
        (b"hello world\nthis is no mail at all\n", "no header"),
    ],
)
def test_bytes_that_are_no_message_are_refused_with_a_reason(raw, reason):
    with pytest.raises(UnparseableMessage) as refused:
        parse(raw)
    assert reason in refused.value.reason


def test_parse_takes_bytes():
    with pytest.raises(TypeError):
        parse("Subject: x\n\nbody")  # type: ignore[arg-type]


# --- automatic mail -------------------------------------------------------------------------

@needs_corpus
@pytest.mark.parametrize(
    "name, reason",
    [
        # out-of-office and auto-replies, each kind of header, several languages
        ("sisimai-rfc3834-01.eml", "Auto-Submitted: auto-replied"),
        ("bounceparser-aol-vacation.eml", "Auto-Submitted: auto-replied"),
        ("chatwoot-auto_reply_with_auto_submitted.eml", "Auto-Submitted: auto-generated"),
        ("zammad-mail089.eml", "Auto-Submitted: auto-generated"),  # a ticketing system's notice
        ("chatwoot-non_utf_encoded_mail.eml", "Auto-Submitted: auto-replied"),  # Arabic
        ("chatwoot-auto_reply.eml", "X-Autoreply: yes"),
        ("sisimai-rfc3834-02.eml", "X-Auto-Response-Suppress: All"),  # Exchange out of office
        ("sisimai-rfc3834-04.eml", "X-Auto-Response-Suppress: All"),
        ("bounceparser-polish-autoreply.eml", "Precedence: junk"),  # Polish
        ("bounceparser-autoreply.eml", "Precedence: bulk"),
        ("zammad-mail043.eml", "Precedence: bulk"),  # a newsletter
        ("otobo-EmailParser-UTF8Filename.eml", "Precedence: list"),
        ("sisimai-rfc3834-03.eml", "X-Apple-Action: VACATION"),  # iCloud: no standard field
        # bounces
        ("chatwoot-bounced_gmail.eml", "Content-Type: multipart/report; report-type=delivery-status"),
        ("zammad-mail018.eml", "Content-Type: multipart/report; report-type=delivery-status"),  # German
        ("sisimai-lhost-exchange2007-07.eml", "Content-Type: multipart/report; report-type=delivery-status"),  # Italian
        ("sisimai-lhost-amazonworkmail-01.eml", "Return-Path: <>"),
        ("sisimai-lhost-qmail-01.eml", "Return-Path: <>"),
        ("sisimai-lhost-exim-01.eml", "Auto-Submitted: auto-replied"),
        ("enmime-multipart-wo-boundary.eml", "From: Mailer-Daemon@example.com"),
        # read receipts
        ("flanker-disposition-notification.eml", "Content-Type: multipart/report; report-type=disposition-notification"),
    ],
)
def test_automatic_mail_is_flagged_with_the_field_that_says_so(name, reason):
    assert corpus(name).auto_reply == reason


@needs_corpus
@pytest.mark.parametrize(
    "name",
    [
        "chatwoot-reply.eml",  # chatwoot-auto_reply.eml without its X-Autoreply
        "chatwoot-mail_with_quote.eml",
        "zammad-mail004.eml",  # "AW: Ticket Templates [Ticket#11168]"
        "rt-new-ticket-from-iso-8859-1.eml",
        "sisimai-is-not-bounce-02.eml",  # a bounce forwarded by hand, as an attachment
        "zammad-mail001.eml",
        "zammad-mail009.eml",
        "zammad-mail045.eml",
        "otobo-EmailParser-UTF-7.eml",  # to wop+autoreply=no@…: the word in an address is no sign
        "zammad-mail087.eml",
        "mailgem-multi_charset-japanese_shift_jis.eml",
    ],
)
def test_a_persons_mail_is_not_flagged(name):
    assert corpus(name).auto_reply is None


@pytest.mark.parametrize(
    "fields, reason",
    [
        ("AUTO-SUBMITTED: Auto-Replied (vacation)", "Auto-Submitted: Auto-Replied (vacation)"),
        ("auto-submitted: auto-notified", "Auto-Submitted: auto-notified"),
        ("Auto-Submitted: no", None),
        ("Auto-Submitted: No (a person wrote this)", None),
        ("x-autorespond: 1", "X-Autorespond: 1"),
        ("X-AUTOREPLY: YES", "X-Autoreply: YES"),
        ("X-Auto-Response-Suppress: OOF, AutoReply", "X-Auto-Response-Suppress: OOF, AutoReply"),
        ("X-Auto-Response-Suppress: None", None),
        ("Precedence: BULK", "Precedence: BULK"),
        ("precedence: auto_reply", "Precedence: auto_reply"),
        ("Precedence: first-class", None),
        ("Return-Path: < >", "Return-Path: <>"),
        ("Return-Path: <jane@client.example>", None),
        ("Sender: postmaster@client.example", "Sender: postmaster@client.example"),
        ("Return-Path: <MAILER-DAEMON>", "Return-Path: MAILER-DAEMON"),
        ("Reply-To: postmaster@client.example", None),  # only who sent it counts
        ("Content-Type: multipart/report; Report-Type=Delivery-Status; boundary=x",
         "Content-Type: multipart/report; report-type=delivery-status"),
        ("Content-Type: multipart/report; report-type=disposition-notification; boundary=x",
         "Content-Type: multipart/report; report-type=disposition-notification"),
        ("Content-Type: multipart/mixed; boundary=x", None),
    ],
)
def test_automatic_mail_by_each_field_in_any_case(fields, reason):
    raw = f"From: Jane <jane@client.example>\r\nSubject: Re: T-1\r\n{fields}\r\n\r\n--x\r\n\r\nhello\r\n--x--\r\n"
    assert parse(raw.encode()).auto_reply == reason


@needs_corpus
def test_a_bounce_keeps_its_report_and_the_returned_message_as_attachments():
    bounce = corpus("zammad-mail033-undelivered-mail-returned-to-sender.eml")
    assert bounce.from_address == "mailer-daemon@mx1.zammad.com"
    assert "could not\nbe delivered" in bounce.text_body
    kinds = [(a.content_type, a.filename) for a in bounce.attachments]
    assert kinds == [("message/delivery-status", "delivery-status.txt"), ("message/rfc822", "message.eml")]
    returned = parse(bounce.attachments[1].content)
    assert returned.subject == "test [Ticket#10010]"
    assert "Status: 5." in bounce.attachments[0].content.decode()
    # "Return-Path: <MAILER-DAEMON>" names no address
    assert bounce.return_path is None and any("Return-Path" in d for d in bounce.defects)


@needs_corpus
def test_a_bounce_whose_only_text_is_its_report_reads_as_that_report():
    bounce = corpus("mailgem-multipart_report_emails-multipart_report_multiple_status.eml")
    assert bounce.auto_reply == "Content-Type: multipart/report; report-type=delivery-status"
    assert "has restricted SMS e-mail" in bounce.text_body
    assert bounce.return_path == ""


# --- charsets -------------------------------------------------------------------------------

@needs_corpus
@pytest.mark.parametrize(
    "name, field, expected",
    [
        ("thunderbird-sample04.eml", "subject", "Алфавит"),  # koi8-r
        ("thunderbird-sample04.eml", "text_body", "Вопрос"),
        ("thunderbird-sample05.eml", "text_body", "Вопрос"),  # windows-1251
        ("bounceparser-polish-autoreply.eml", "subject", "[Automatyczna odpowiedź] test"),  # iso-8859-2
        ("otobo-EmailParser-BrokenEncoding.eml", "text_body", "Adatmentés garanciával"),  # iso-8859-2
        ("zammad-mail068.eml", "text_body", "Čtvrtek 2. srpna"),  # windows-1250
        ("zammad-mail072.eml", "subject", "Réclamation commande n° 018255977840"),  # windows-1258
        ("zammad-mail072.eml", "text_body", "Je vous contacte suite à ma commande"),
        ("rt-new-ticket-from-iso-8859-1.eml", "from_name", "Wilhelmsen Håvard"),  # raw 8-bit header
        ("zammad-mail001.eml", "subject", "CI Daten für PublicView"),
        ("zammad-mail015.eml", "subject", "绩效管理,究竟谁错了"),  # gb2312
        ("zammad-mail031.eml", "subject", "內應力產生与注塑工艺条件之间的关系"),  # gb2312 holding GBK
        ("zammad-mail016.eml", "text_body", "直通美国排名第49大学"),
        ("mailgem-multi_charset-japanese_shift_jis.eml", "text_body", "このメールはテスト用のメールです。"),
        ("zammad-mail091.eml", "subject", "メルマガ解除"),  # iso-2022-jp
        ("zammad-mail091.eml", "from_name", "岡本和正"),
        ("zammad-mail093.eml", "subject", "ツール"),  # raw Shift_JIS in a message labelled iso-2022-jp
        ("zammad-mail093.eml", "text_body", "無料バージョンを導入いただけます"),
        ("zammad-mail018.eml", "subject", "Benachrichtung zum Übermittlungsstatus"),
        ("zammad-mail018.eml", "text_body", "Übermittlung an folgende Empfänger fehlgeschlagen"),  # utf-7
        ("chatwoot-non_utf_encoded_mail.eml", "subject", "أهلين عميلنا الكريم"),
        ("zammad-mail006.eml", "subject", "utf8: 使って / ISO-8859-1: Priorität\" / cp-1251: Сергей Углицких"),
        ("otobo-EmailParser-PostMaster-Test13.eml", "subject", "Заявка на генерацию 402 240108 (3)"),
        ("mailgem-rfc6532-utf8_headers.eml", "subject", "Säying Hello"),  # raw UTF-8 headers (RFC 6532)
    ],
)
def test_non_utf8_mail_decodes_to_its_words(name, field, expected):
    assert expected in getattr(corpus(name), field)


@needs_corpus
def test_an_unknown_charset_is_read_best_effort_and_recorded():
    message = corpus("mailgem-error_emails-bad_encoded_subject.eml")  # =?NONE?B?VEVTVA=?=
    assert message.subject == "TEST"
    assert "Subject: unknown charset 'none'" in message.defects
    assert any("malformed base64" in d for d in message.defects)


@needs_corpus
def test_undeclared_8bit_text_is_kept_readable_and_recorded():
    # the raw koi8-r subject "тест тест" declares no charset at all: windows-1252 is the guess
    message = corpus("rt-russian-subject-no-content-type.eml")
    assert message.subject and "Subject: 8-bit without a charset, read as windows-1252" in message.defects
    sloppy = corpus("mailgem-error_emails-invalid_subject_characters.eml")
    assert sloppy.subject == "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro"


# --- missing and broken parts ---------------------------------------------------------------

@needs_corpus
def test_missing_date_from_and_message_id_give_none_and_defects():
    no_date = corpus("chatwoot-mail_with_no_date.eml")  # "Date:" empty
    assert no_date.date is None and "Date: empty" in no_date.defects
    assert no_date.text_body == "text only mail\n"
    no_from = corpus("zammad-mail016.eml")
    assert no_from.from_address is None and no_from.from_name is None and "From: no address" in no_from.defects
    assert no_from.reply_to == "vipyimin@126.com"
    no_id = corpus("zammad-mail097.eml")
    assert no_id.message_id is None and "Message-ID: missing" in no_id.defects
    assert no_id.from_address == "user.name@example.com" and no_id.subject == "Subject of message"
    dated = corpus("zammad-mail003.eml")
    assert dated.date == datetime(2012, 5, 4, 7, 12, 46, tzinfo=timezone.utc)


@needs_corpus
def test_senders_written_loosely_are_still_read():
    assert corpus("zammad-mail087.eml").from_address == "test@example.com"  # "Test test@example.com"
    assert corpus("zammad-mail087.eml").from_name == "Test"
    no_address = corpus("chatwoot-bounced_with_no_from.eml")  # From: "" (Mail Delivery System)
    assert no_address.from_address is None and no_address.from_name == "Mail Delivery System"
    twice = corpus("zammad-mail017.eml")  # "From: [??????]" then a real From
    assert twice.from_address == "ghgbwum@185.com.cn" and twice.from_name == "都琹"
    assert corpus("mailgem-rfc6532-utf8_headers.eml").from_address == "jdöe@xn--mchine-bua.example"


@needs_corpus
def test_a_nul_byte_is_removed_and_recorded():
    message = corpus("spamscope-mailparser-mail_malformed_3.eml")
    assert "NUL byte in the message" in message.defects
    assert "\x00" not in message.text_body and "\x00" not in message.html_body
    # its declared boundary never occurs; the one the body uses is found
    assert "Ahorre" in message.html_body or "calefactores" in message.text_body
    assert any("boundary not found, guessed" in d for d in message.defects)


@needs_corpus
def test_a_multipart_without_boundary_reads_as_text():
    message = corpus("enmime-multipart-wo-boundary.eml")
    assert message.text_body.strip() == "I'm  multipart message without boundary"
    assert "multipart/report without a usable boundary, read as text" in message.defects


@needs_corpus
def test_a_junk_line_before_the_header_is_skipped():
    message = corpus("zammad-mail068.eml")  # starts "---- Original email message ----"
    assert message.subject == "Contact from Server"
    assert message.from_address == "xxxxx@xxxxx.cz"
    assert "header: lines that were no field mended" in message.defects


@needs_corpus
def test_file_names_in_every_encoding():
    assert [a.filename for a in corpus("enmime-mime-bad-8bit-filename.eml").attachments] == ["管理.doc"]  # raw UTF-8
    assert corpus("zammad-mail015.eml").attachments[0].filename == "绩效管理,究竟谁错了.xls"  # raw GB2312
    assert corpus("zammad-mail057.eml").attachments[0].filename == "Hofjägeralle Wasserschaden.jpg"  # raw latin-1
    names = [a.filename for a in corpus("otobo-EmailParser-PostMaster-Test12.eml").attachments]
    assert "attachment-äöüß-utf8.txt" in names and "attachment-äöüß-iso.txt" in names
    assert "Обяснительная.jpg" in names and "Сообщение.jpg" in names  # windows-1251, koi8-r
    assert "報告書①..txt" in names  # RFC 2231 in iso-2022-jp with NEC's circled digit
    assert "2차 보도자료.hwp" in names  # euc-kr
    rfc2231 = corpus("rt-rfc2231-attachment-filename-continuations.eml").attachments
    assert [a.filename for a in rfc2231] == ["新しいテキスト ドキュメント.txt"]
    assert corpus("otobo-EmailParser-UTF8Filename.eml").attachments[0].filename == "Documentación.pdf"


@needs_corpus
def test_inline_images_carry_their_content_ids():
    message = corpus("chatwoot-mail_with_inline_images.eml")
    images = [(a.filename, a.content_id, a.inline) for a in message.attachments]
    assert images == [
        ("poster (8).jpg", "ii_lm7fuura0", True),
        ("poster (7).jpg", "ii_lm7fuuvm1", True),
        ("poster (1).jpg", "ii_lm7fuuwn2", True),
    ]
    assert 'src="cid:ii_lm7fuura0"' in message.html_body  # the sanitiser keeps cid: sources
    # a part marked "attachment" that the HTML shows by its content id is inline
    shown = corpus("otobo-PostMaster-InlineImage.eml").attachments
    assert [(a.content_id, a.inline, a.content[:4]) for a in shown] == [("image1@test.com", True, b"\x89PNG")]
    assert [a.inline for a in corpus("chatwoot-reply.eml").attachments] == [False, False]


@needs_corpus
def test_html_only_mail_gets_a_text_body():
    message = corpus("chatwoot-only_html.eml")
    assert message.text_body == "This is html only mail"
    assert "<h1>" in message.html_body
    empty_plain = corpus("zammad-mail034.eml")  # an empty text/plain beside the HTML
    assert empty_plain.text_body == "some html text"


@needs_corpus
def test_thread_ids_are_in_reply_to_then_references_newest_first():
    multiple = corpus("chatwoot-multiple_in_reply_to.eml")
    assert multiple.in_reply_to == [
        "<4e6e35f5a38b4_479f13bb90078171@small-app-01.mail>",
        "<4e6e35f5a38b4_479f13bb90078131@small-app-01.mail>",
    ]
    assert multiple.thread_ids == [*multiple.in_reply_to, "<4e6e35f5a38b4_479f13bb90078178@small-app-01.mail>"]
    reply = corpus("rt-new-ticket-from-iso-8859-1.eml")  # References: B C C B
    assert reply.thread_ids == [
        "<20030602185607.GN10811@fsck.com>",
        "<5.2.1.1.0.20030602204834.031406d8@mail.nordkapp.net>",
        "<5.2.1.1.0.20030530194214.0371c988@mail.nordkapp.net>",
    ]
    assert reply.message_id == "<5.2.1.1.0.20030602205708.0314c5f8@mail.nordkapp.net>"


@needs_corpus
def test_plus_addressed_recipients():
    reply = corpus("chatwoot-reply.eml")
    assert reply.to == ["reply+6bdc3f4d-0bec-4515-a284-5d916fdde489@example.com"]
    assert plus_tag(reply.to[0]) == ("reply@example.com", "6bdc3f4d-0bec-4515-a284-5d916fdde489")
    bounce = corpus("mailgem-multipart_report_emails-multipart_report_multiple_status.eml")
    assert bounce.delivered_to == ["notification+promo@blah.com"]  # Delivered-To and X-Original-To
    assert plus_tag(bounce.delivered_to[0]) == ("notification@blah.com", "promo")
    envelope = corpus("otobo-EmailParser-UTF-7.eml")  # Envelope-To
    assert envelope.delivered_to == ["wop+autoreply=no@ticket.noris.net"]
    many = corpus("zammad-mail001.eml")
    assert many.delivered_to == ["box@samba.example.com", "info@example.com"]
    cc = corpus("otobo-EmailParser-PostMaster-Test12.eml")
    assert cc.cc == ["support2@example.com", "support3@example.com"]


@needs_corpus
def test_large_attachments_can_be_left_out():
    raw = (CORPUS / "zammad-mail028.eml").read_bytes()
    whole = parse(raw).attachments
    assert [(a.filename, a.size, a.omitted) for a in whole] == [("Znuny GmbH .pdf", 7647, False), ("Lebenslauf.pdf", 7646, False)]
    assert whole[1].content.startswith(b"%PDF-1.4")  # the first one's base64 is broken at its start
    assert "MIME: InvalidBase64Padding" in parse(raw).defects
    limited = parse(raw, max_attachment_bytes=1000)
    assert [(a.size, a.omitted, a.content) for a in limited.attachments] == [(7647, True, b""), (7646, True, b"")]
    assert any("left out (limit 1000)" in d for d in limited.defects)


@needs_corpus
def test_signed_mail_keeps_its_text_and_its_signature():
    signed = corpus("zammad-mail040.eml")
    assert signed.text_body == "smime signed 123 öäüß"
    assert [(a.filename, a.content_type) for a in signed.attachments] == [("smime.p7s", "application/pkcs7-signature")]


def test_a_message_built_here_round_trips():
    raw = (
        "From: =?utf-8?q?J=C3=BCrgen?= <Juergen@Client.Example>\r\n"
        "To: Support <support+T-1042@acme.example>, other@acme.example\r\n"
        "Cc: bad address, <cc@acme.example>\r\n"
        "Reply-To: answers@client.example\r\n"
        "Subject: =?utf-8?b?UmU6IFtULTEwNDJdIERydWNrZXI=?= kaputt\r\n"
        "Date: Tue, 3 Mar 2026 10:00:00 +0100\r\n"
        "Message-ID: <abc@client.example>\r\n"
        "In-Reply-To: <t-1042.1@acme.example>\r\n"
        "Return-Path: <>\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
        "<p onclick='x()'>Hallo <script>alert(1)</script><b>Welt</b></p>"
    ).encode()
    message = parse(raw)
    assert message.from_name == "Jürgen" and message.from_address == "juergen@client.example"
    assert message.to == ["support+t-1042@acme.example", "other@acme.example"]
    assert message.cc == ["cc@acme.example"] and any("Cc: not an address" in d for d in message.defects)
    assert message.subject == "Re: [T-1042] Drucker kaputt"
    assert message.date == datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)
    assert message.return_path == "" and message.auto_reply == "Return-Path: <>"
    assert message.html_body == "<p>Hallo <b>Welt</b></p>"
    assert message.text_body == "Hallo Welt"
    assert message.thread_ids == ["<t-1042.1@acme.example>"]


# --- the sanitiser --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "hostile, gone",
    [
        ("<p>hi<script>alert(1)</script></p>", "alert"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ("<a href=\"javascript:alert(1)\">x</a>", "javascript"),
        ("<a href=\"JaVaScRiPt:alert(1)\">x</a>", "alert"),
        ("<a href=\" java\tscript:alert(1)\">x</a>", "script"),
        ("<a href=\"vbscript:msgbox(1)\">x</a>", "vbscript"),
        ("<a href=\"data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;\">x</a>", "data:"),
        ("<img src=\"data:text/html;base64,PHNjcmlwdD4=\">", "data:"),
        ("<div style=\"width: expression(alert(1)); color: red\">x</div>", "expression"),
        ("<div style=\"background: url(javascript:alert(1))\">x</div>", "url("),
        ("<div style=\"background-image: url(https://tracker.example/p.gif)\">x</div>", "tracker"),
        ("<iframe src=\"https://evil.example/\"></iframe>", "iframe"),
        ("<form action=\"https://evil.example/\"><input name=password></form>", "form"),
        ("<object data=\"x.swf\"></object><embed src=\"x.swf\">", "swf"),
        ("<svg><script>alert(1)</script></svg>", "alert"),
        ("<math><mi xlink:href=\"javascript:alert(1)\">m</mi></math>", "javascript"),
        ("<base href=\"https://evil.example/\"><meta http-equiv=refresh content=\"0;url=https://evil.example\">", "evil"),
        ("<style>body{display:none}</style><p>x</p>", "display"),
        ("<p class=\"x\" id=\"login\" onmouseover=\"steal()\">x</p>", "steal"),
        ("<a href=\"/graphql?query=mutation\">relative</a>", "graphql"),
        ("<!--[if mso]><script>alert(1)</script><![endif]--><p>x</p>", "alert"),
    ],
)
def test_the_sanitiser_removes_what_could_run_or_reach_out(hostile, gone):
    cleaned = sanitize_html(hostile)
    assert gone not in cleaned.lower()
    assert "<script" not in cleaned and "on" + "error" not in cleaned


@pytest.mark.parametrize(
    "benign, kept",
    [
        ("<p><b>bold</b> <i>it</i> <u>u</u> <s>s</s> <font color=\"red\" face=\"Arial\">f</font></p>",
         "<p><b>bold</b> <i>it</i> <u>u</u> <s>s</s> <font color=\"red\" face=\"Arial\">f</font></p>"),
        ("<ul><li>one</li></ul><ol start=\"3\"><li>three</li></ol>", "<ul><li>one</li></ul><ol start=\"3\"><li>three</li></ol>"),
        ("<blockquote type=\"cite\">quoted</blockquote>", "<blockquote type=\"cite\">quoted</blockquote>"),
        ("<table border=\"1\" cellpadding=\"2\"><tr><td colspan=\"2\" bgcolor=\"#eee\">c</td></tr></table>",
         "<table border=\"1\" cellpadding=\"2\"><tbody><tr><td colspan=\"2\" bgcolor=\"#eee\">c</td></tr></tbody></table>"),
        ("<img src=\"cid:image001.png@01D4\" alt=\"logo\">", "<img src=\"cid:image001.png@01D4\" alt=\"logo\">"),
        ("<img src=\"https://cdn.example/a.png\" width=\"10\">", "<img src=\"https://cdn.example/a.png\" width=\"10\">"),
        ("<img src=\"data:image/png;base64,iVBORw0KGgo=\">", "<img src=\"data:image/png;base64,iVBORw0KGgo=\">"),
        ("<span style=\"color: red; font-weight: bold\">s</span>", "<span style=\"color:red;font-weight:bold\">s</span>"),
        ("<h2>Title</h2><pre>code</pre><hr>", "<h2>Title</h2><pre>code</pre><hr>"),
    ],
)
def test_the_sanitiser_keeps_mail_formatting(benign, kept):
    assert sanitize_html(benign) == kept


def test_links_open_apart_from_the_client():
    cleaned = sanitize_html("<a href=\"https://example.com/a?b=1&c=2\">link</a> <a href=\"mailto:x@example.com\">m</a>")
    assert 'href="https://example.com/a?b=1&amp;c=2"' in cleaned and 'href="mailto:x@example.com"' in cleaned
    assert cleaned.count('rel="noopener noreferrer"') == 2 and cleaned.count('target="_blank"') == 2
