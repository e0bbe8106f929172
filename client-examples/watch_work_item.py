#!/usr/bin/env python3
"""Watch a work item live: sign in over HTTP, subscribe over WebSocket (graphql-transport-ws), and
print every update as one JSON line.

    .venv/bin/python client-examples/watch_work_item.py --ref T-1002
    .venv/bin/python client-examples/watch_work_item.py --url http://127.0.0.1:8000 \
        --email jane@example.com --password demo --ref T-1001 --count 3

Needs only `websockets` (installed with the server) besides the standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.error
import urllib.request

from websockets.asyncio.client import connect

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
WATCH = """subscription($ref: String!) {
  workItemUpdated(ref: $ref) {
    kind cursor occurredAt actorName changedFields
    workItem { ref status title version assignee { name } dueAt }
  }
}"""


def sign_in(url: str, email: str, password: str) -> str:
    request = urllib.request.Request(
        url.rstrip("/") + "/graphql",
        data=json.dumps({"query": LOGIN, "variables": {"e": email, "p": password}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:  # GraphQL errors may come with a 4xx status and a body
        body = json.loads(exc.read())
    if body.get("errors"):
        raise SystemExit(f"sign-in failed: {body['errors'][0]['message']}")
    return body["data"]["login"]["token"]


async def watch(url: str, token: str, ref: str, count: int | None) -> None:
    ws_url = url.replace("http", "ws", 1) + "/graphql"
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        ack = json.loads(await socket.recv())
        if ack["type"] != "connection_ack":
            raise SystemExit(f"connection refused: {ack}")
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": WATCH, "variables": {"ref": ref}}}))
        received = 0
        async for raw in socket:
            message = json.loads(raw)
            if message["type"] == "ping":
                await socket.send(json.dumps({"type": "pong"}))
            elif message["type"] == "next":
                payload = message["payload"]
                if payload.get("errors"):
                    raise SystemExit(f"error: {payload['errors'][0]['message']}")
                print(json.dumps(payload["data"]["workItemUpdated"]), flush=True)
                received += 1
                if count is not None and received >= count:
                    return
            elif message["type"] in ("error", "complete"):
                raise SystemExit(f"subscription ended: {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", default="jane@example.com")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--ref", required=True, help="work item reference, e.g. T-1002")
    parser.add_argument("--count", type=int, help="stop after this many updates (the snapshot counts)")
    args = parser.parse_args()
    try:
        asyncio.run(watch(args.url, sign_in(args.url, args.email, args.password), args.ref, args.count))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
