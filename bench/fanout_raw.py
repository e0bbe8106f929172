#!/usr/bin/env python3
"""The baseline of fanout.py: a raw Redis PUBLISH → WebSocket forwarder, served by uvicorn with
the flags `switchboard serve` uses (server/http/server.py, from the same environment).

It speaks just enough graphql-transport-ws for fanout.py's load client to drive it unchanged:
connection_init → connection_ack, subscribe → a SNAPSHOT `next` (the socket joins the fan-out),
ping → pong. One Redis subscriber task per process forwards every message on the channel, as it
came, to every subscribed socket. `POST /graphql` stands in for the mutation: it builds a `next`
message of about the size Switchboard's is, carrying the title from the request's variables,
PUBLISHes it and answers. No authentication, no database, no GraphQL.

    python bench/fanout_raw.py --port 8100 --redis redis://127.0.0.1:6379/0 --channel fanout-bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from redis import asyncio as aioredis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.http.server import uvicorn_config  # noqa: E402
from server.settings import load_settings  # noqa: E402


def message(op_id: str, kind: str, ref: str, title: str, version: int) -> str:
    return json.dumps({"id": op_id, "type": "next", "payload": {"data": {"workItemUpdated": {
        "kind": kind, "cursor": f"RXZlbnQ6{version:08d}", "values": {"title": title},
        "workItem": {"ref": ref, "title": title, "version": version}}}}})


def create_app(redis_url: str, channel: str) -> Starlette:
    sockets: set[WebSocket] = set()
    redis = aioredis.Redis.from_url(redis_url)
    version = 0

    async def forward(ready: asyncio.Event) -> None:
        pubsub = redis.pubsub()
        await pubsub.subscribe(channel)
        ready.set()
        async for item in pubsub.listen():
            if item["type"] != "message":
                continue
            data = item["data"].decode()
            for socket in list(sockets):
                try:
                    await socket.send_text(data)
                except Exception:  # noqa: BLE001 - a socket that went away leaves the fan-out
                    sockets.discard(socket)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        ready = asyncio.Event()
        task = asyncio.create_task(forward(ready))
        await asyncio.wait_for(ready.wait(), 10)
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await redis.aclose()

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def publish(request: Request) -> JSONResponse:
        nonlocal version
        body = await request.json()
        variables = body.get("variables") or {}
        version += 1
        await redis.publish(channel, message("1", "UPDATED", variables.get("ref", "T-1002"), variables["title"], version))
        return JSONResponse({"data": {"updateWorkItem": {"ref": variables.get("ref"), "version": version}}})

    async def subscriptions(socket: WebSocket) -> None:
        await socket.accept(subprotocol="graphql-transport-ws")
        try:
            while True:
                incoming = json.loads(await socket.receive_text())
                kind = incoming.get("type")
                if kind == "connection_init":
                    await socket.send_text('{"type":"connection_ack"}')
                elif kind == "subscribe":
                    ref = (incoming.get("payload", {}).get("variables") or {}).get("ref", "T-1002")
                    await socket.send_text(message(incoming["id"], "SNAPSHOT", ref, "snapshot", version))
                    sockets.add(socket)
                elif kind == "ping":
                    await socket.send_text('{"type":"pong"}')
        except WebSocketDisconnect:
            pass
        finally:
            sockets.discard(socket)

    return Starlette(
        routes=[Route("/healthz", healthz), Route("/graphql", publish, methods=["POST"]),
                WebSocketRoute("/graphql", subscriptions)],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="raw Redis → WebSocket forwarder (fanout.py's baseline)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--channel", required=True)
    args = parser.parse_args()
    config = uvicorn_config(create_app(args.redis, args.channel), load_settings(), host="127.0.0.1", port=args.port)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
