"""Attachments uploaded with the GraphQL multipart request spec: a file round-trips into an
attachment (inline images by content id), a file over the per-file limit is refused and nothing is
written, a multipart body may be larger than other bodies but not past SWITCHBOARD_MAX_UPLOAD_BYTES
(413 before it is read), and a multipart request needs a preflight-triggering header."""

from __future__ import annotations

import json
from typing import Any

import httpx

from models.email import Email, EmailAttachment
from server.domain import compose
from server.settings import Settings
from tests.api.test_http_transport import open_socket, read_response, request_head, the_error
from tests.conftest import LiveServer
from tests.support.client import HttpClient
from tests.support.footprint import footprint

EMAIL = "id status attachments { id filename contentType size contentId }"
SEND = f"""mutation($ref: String!, $input: ComposeEmailInput!) {{ sendEmail(ref: $ref, input: $input) {{ email {{ {EMAIL} }} }} }}"""
SAVE = f"mutation($ref: String!, $input: ComposeEmailInput!) {{ saveEmailDraft(ref: $ref, input: $input) {{ {EMAIL} }} }}"
UPDATE = f"""mutation($id: ID!, $input: ComposeEmailInput!, $remove: [ID!]) {{
  updateEmailDraft(id: $id, input: $input, removeAttachmentIds: $remove) {{ {EMAIL} }} }}"""
OUTBOX = "{ outbox(view: MINE) { edges { node { id attachmentCount } } } }"


async def upload(client: HttpClient, query: str, variables: dict[str, Any], files: dict[str, tuple[str, bytes, str]],
                 headers: dict[str, str] | None = None) -> httpx.Response:
    """A GraphQL multipart request: `files` maps a variable path (input.attachments.0.file) to
    (filename, content, content type)."""
    names = {str(n): path for n, path in enumerate(files)}
    operations = {"query": query, "variables": variables}
    form = {"operations": json.dumps(operations), "map": json.dumps({n: [f"variables.{path}"] for n, path in names.items()})}
    parts = {n: files[path] for n, path in names.items()}
    async with httpx.AsyncClient(base_url=client.base_url, timeout=30) as http:
        return await http.post("/graphql", data=form, files=parts, headers={"Authorization": f"Bearer {client.token}"} if headers is None else headers)


async def test_uploaded_files_become_the_emails_attachments(signed_in):
    jane = await signed_in("jane@example.com")
    report = bytes(range(256)) * 8192  # 2 MiB: more than any other request body may be
    logo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    variables = {"ref": "T-1002", "input": {
        "to": [{"address": "bob@client.example"}], "subject": "Your report", "htmlBody": '<p>See</p><img src="cid:logo-1">',
        "attachments": [{"file": None}, {"file": None, "contentId": "<logo-1>"}],
    }}
    response = await upload(jane, SEND, variables, {
        "input.attachments.0.file": ("../../report 2026.pdf", report, "application/pdf"),
        "input.attachments.1.file": ("logo.png", logo, "image/png"),
    })
    assert response.status_code == 200, response.text
    email = response.json()["data"]["sendEmail"]["email"]
    assert email["status"] == "QUEUED"
    assert [(a["filename"], a["contentType"], a["size"], a["contentId"]) for a in email["attachments"]] == [
        ("report 2026.pdf", "application/pdf", len(report), None), ("logo.png", "image/png", len(logo), "logo-1"),
    ]
    stored = await EmailAttachment.filter(email_id=int(email["id"])).order_by("id")
    assert [bytes(a.content) for a in stored] == [report, logo]
    counts = {e["node"]["id"]: e["node"]["attachmentCount"] for e in (await jane.data(OUTBOX))["outbox"]["edges"]}
    assert counts[email["id"]] == 2

    # and the message the sender builds carries them: the logo inline, the report attached
    parts = (await compose_message(int(email["id"]))).iter_attachments()
    assert {(p.get_filename(), p.get_content_disposition()) for p in parts} >= {("report 2026.pdf", "attachment")}


async def compose_message(email_id: int):
    from models.email import EmailRecipient, SmtpConnector
    from server.domain.sending import outgoing_message
    from server.mail.composing import build

    email = await Email.get(id=email_id)
    connector = await SmtpConnector.get(id=email.connector_id)
    message = build(await outgoing_message(email, connector, await EmailRecipient.filter(email_id=email_id)))
    inline = [p for p in message.walk() if p.get("Content-ID") == "<logo-1>"]
    assert inline and inline[0].get_content_disposition() == "inline"
    return message


async def test_a_drafts_attachments_are_added_removed_and_discarded_with_it(signed_in):
    jane = await signed_in("jane@example.com")
    first = await upload(jane, SAVE, {"ref": "T-1002", "input": {"subject": "Files", "attachments": [{"file": None}]}},
                         {"input.attachments.0.file": ("a.txt", b"first", "text/plain")})
    draft = first.json()["data"]["saveEmailDraft"]
    kept_id = draft["attachments"][0]["id"]
    second = await upload(jane, UPDATE, {"id": draft["id"], "input": {"subject": "Files", "attachments": [{"file": None}]}, "remove": []},
                          {"input.attachments.0.file": ("b.txt", b"second", "text/plain")})
    assert [a["filename"] for a in second.json()["data"]["updateEmailDraft"]["attachments"]] == ["a.txt", "b.txt"]
    third = await jane.data(UPDATE, {"id": draft["id"], "input": {"subject": "Files"}, "remove": [kept_id]})
    assert [a["filename"] for a in third["updateEmailDraft"]["attachments"]] == ["b.txt"]
    refused = await jane.error(UPDATE, {"id": draft["id"], "input": {"subject": "Files"}, "remove": [kept_id]})
    assert (refused["extensions"]["code"], refused["extensions"]["field"]) == ("VALIDATION", "removeAttachmentIds")
    await jane.data("mutation($id: ID!) { discardEmailDraft(id: $id) }", {"id": draft["id"]})
    assert not await EmailAttachment.filter(email_id=int(draft["id"])).exists()


async def test_a_file_over_the_per_file_limit_is_refused_and_nothing_is_written(signed_in):
    jane = await signed_in("jane@example.com")
    before = await footprint()
    variables = {"ref": "T-1002", "input": {"to": [{"address": "bob@client.example"}], "subject": "Big", "attachments": [{"file": None}, {"file": None}]}}
    response = await upload(jane, SEND, variables, {
        "input.attachments.0.file": ("small.txt", b"fine", "text/plain"),
        "input.attachments.1.file": ("huge.bin", b"\0" * (compose.MAX_ATTACHMENT_BYTES + 1), "application/octet-stream"),
    })
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("VALIDATION", "attachments")
    assert "'huge.bin'" in error["message"] and str(compose.MAX_ATTACHMENT_BYTES) in error["message"]
    assert await footprint() == before


async def test_a_multipart_body_over_the_upload_limit_is_413_before_it_is_read(live_server: LiveServer, settings: Settings, signed_in):
    jane = await signed_in("jane@example.com")
    reader, writer = await open_socket(live_server)
    try:
        writer.write(request_head("POST", {
            "Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(settings.max_upload_bytes + 1),
            "Authorization": f"Bearer {jane.token}",
        }))
        writer.write(b"--xyz\r\n" + b"x" * 65536)  # the rest is never sent: the answer comes first
        await writer.drain()
        status, headers, body = await read_response(reader)
    finally:
        writer.close()
    assert status == 413 and headers["connection"] == "close"
    error = the_error(body)
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED" and str(settings.max_upload_bytes) in error["message"]

    # the larger limit is for multipart only: the same 2 MiB as JSON is refused
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        response = await http.post("/graphql", content=b'{"query": "{ __typename }", "extensions": {"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}}',
                                   headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and str(settings.max_body_bytes) in response.json()["errors"][0]["message"]


async def test_a_multipart_request_needs_a_preflight_header(signed_in):
    jane = await signed_in("jane@example.com")
    variables = {"ref": "T-1002", "input": {"subject": "Forged", "attachments": [{"file": None}]}}
    files = {"input.attachments.0.file": ("a.txt", b"x", "text/plain")}
    before = await footprint()
    # what a cross-site form could send: no Authorization, no preflight header
    response = await upload(jane, SAVE, variables, files, headers={})
    assert response.status_code == 400 and "GraphQL-Preflight" in response.json()["errors"][0]["message"]
    assert await footprint() == before
    # a header no plain form can send passes (here, unauthenticated, the mutation itself then refuses)
    response = await upload(jane, SAVE, variables, files, headers={"GraphQL-Preflight": "1"})
    assert response.status_code == 200 and response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
