#!/usr/bin/env python3
"""The self-service portal as a requester uses it: sign in, submit a ticket (with a file), list
and open one's tickets, follow the ticket live over WebSocket (graphql-transport-ws), reply, and
give feedback once it is resolved. Prints one JSON line per step.

    .venv/bin/python client-examples/portal.py
    .venv/bin/python client-examples/portal.py --url http://127.0.0.1:8000 --email bob@client.example \
        --password demo --attach payslip.pdf --updates 2 --feedback 5

With --feedback, it waits (following the ticket live) until staff resolve it, then rates it.
Needs only `websockets` (installed with the server) besides the standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import mimetypes
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from websockets.asyncio.client import connect

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
CATEGORIES = "{ categories(first: 100) { edges { node { id name } } } }"
TICKET = "ref title status category { name } canGiveFeedback feedback { rating comment }"
SUBMIT = f"mutation($input: SubmitPortalTicketInput!) {{ submitPortalTicket(input: $input) {{ {TICKET} }} }}"
LIST = "{ portalTickets(first: 20) { edges { node { ref title status } } pageInfo { hasNextPage endCursor } } }"
OPEN = f"query($ref: String!) {{ portalTicket(ref: $ref) {{ {TICKET} timeline {{ kind authorName subject body attachments {{ filename size }} }} }} }}"
REPLY = "mutation($ref: String!, $body: String!) { replyToPortalTicket(ref: $ref, body: $body) { ticket { ref status } entry { kind body } } }"
FEEDBACK = "mutation($ref: String!, $rating: Int!, $comment: String) { givePortalFeedback(ref: $ref, rating: $rating, comment: $comment) { ref feedback { rating comment } } }"
FOLLOW = """subscription($ref: String!) {
  portalTicketUpdated(ref: $ref) { kind cursor fromStatus toStatus changedFields timelineEntryId ticket { ref status } }
}"""


class Portal:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.token: str | None = None

    def _send(self, request: urllib.request.Request) -> dict:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # GraphQL errors may come with a 4xx status and a body
            body = json.loads(exc.read())
        if body.get("errors"):
            error = body["errors"][0]
            raise SystemExit(f"{error.get('extensions', {}).get('code')}: {error['message']}")
        return body["data"]

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def call(self, query: str, variables: dict | None = None) -> dict:
        data = json.dumps({"query": query, "variables": variables or {}}).encode()
        headers = {"Content-Type": "application/json", **self._headers()}
        return self._send(urllib.request.Request(self.url + "/graphql", data=data, headers=headers))

    def call_with_files(self, query: str, variables: dict, files: dict[str, Path]) -> dict:
        """The GraphQL multipart request spec: `files` maps a variable path to a file."""
        boundary = uuid.uuid4().hex
        names = {str(n): path for n, path in enumerate(files)}
        parts = [("operations", None, json.dumps({"query": query, "variables": variables}).encode(), "application/json"),
                 ("map", None, json.dumps({n: [f"variables.{p}"] for n, p in names.items()}).encode(), "application/json")]
        for n, path in names.items():
            file = files[path]
            parts.append((n, file.name, file.read_bytes(), mimetypes.guess_type(file.name)[0] or "application/octet-stream"))
        body = b""
        for name, filename, content, content_type in parts:
            disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
            body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **self._headers()}
        return self._send(urllib.request.Request(self.url + "/graphql", data=body, headers=headers))


def show(step: str, value: object) -> None:
    print(json.dumps({"step": step, "value": value}), flush=True)


async def follow(portal: Portal, ref: str, updates: int, rating: int | None, reply: str) -> None:
    ws_url = portal.url.replace("http", "ws", 1) + "/graphql"
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {portal.token}"}}))
        ack = json.loads(await socket.recv())
        if ack["type"] != "connection_ack":
            raise SystemExit(f"connection refused: {ack}")
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": FOLLOW, "variables": {"ref": ref}}}))
        seen, replied = -1, False  # the snapshot comes first
        async for raw in socket:
            message = json.loads(raw)
            if message["type"] == "ping":
                await socket.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] == "error" or message["payload"].get("errors"):
                raise SystemExit(f"subscription failed: {message}")
            update = message["payload"]["data"]["portalTicketUpdated"]
            show("update", update)
            seen += 1
            if seen >= updates and not replied:
                answer = portal.call(REPLY, {"ref": ref, "body": reply})["replyToPortalTicket"]
                show("reply", answer)
                replied = True
                if rating is None:
                    return
            if replied and rating is not None and update["ticket"]["status"] in ("RESOLVED", "CLOSED"):
                show("feedback", portal.call(FEEDBACK, {"ref": ref, "rating": rating, "comment": "Thank you"})["givePortalFeedback"])
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", default="bob@client.example")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--title", default="My March payslip shows the wrong tax code")
    parser.add_argument("--description", default="The tax code on my March payslip is 1100L; it should be 1257L.")
    parser.add_argument("--category", default="Payroll")
    parser.add_argument("--attach", type=Path, help="a file to send with the ticket")
    parser.add_argument("--updates", type=int, default=0, help="live updates to wait for before replying")
    parser.add_argument("--reply", default="Thanks, here is more detail: it started in March.")
    parser.add_argument("--feedback", type=int, choices=range(1, 6), help="rate the ticket once staff resolve it")
    args = parser.parse_args()

    portal = Portal(args.url)
    portal.token = portal.call(LOGIN, {"e": args.email, "p": args.password})["login"]["token"]
    categories = {e["node"]["name"]: e["node"]["id"] for e in portal.call(CATEGORIES)["categories"]["edges"]}
    if args.category not in categories:
        raise SystemExit(f"no category {args.category!r}; there are {sorted(categories)}")
    ticket_input = {"title": args.title, "description": args.description, "categoryId": categories[args.category], "attachments": []}
    if args.attach:
        ticket_input["attachments"] = [{"file": None}]
        ticket = portal.call_with_files(SUBMIT, {"input": ticket_input}, {"input.attachments.0.file": args.attach})["submitPortalTicket"]
    else:
        ticket = portal.call(SUBMIT, {"input": ticket_input})["submitPortalTicket"]
    show("submitted", ticket)
    show("tickets", [edge["node"] for edge in portal.call(LIST)["portalTickets"]["edges"]])
    show("opened", portal.call(OPEN, {"ref": ticket["ref"]})["portalTicket"])
    try:
        asyncio.run(follow(portal, ticket["ref"], args.updates, args.feedback, args.reply))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
