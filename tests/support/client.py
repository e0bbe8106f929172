"""Clients that talk to a running server the way real clients do: GraphQL over HTTP, and
graphql-transport-ws over a real WebSocket."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, AsyncIterator

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TIMEOUT = 10.0


class GraphQLError(AssertionError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(json.dumps(errors, indent=2))
        self.errors = errors

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


class HttpClient:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.token = token
        self._http = httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT)

    async def aclose(self) -> None:
        await self._http.aclose()

    def _headers(self, token: str | None) -> dict[str, str]:
        token = token if token is not None else self.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def post(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """The whole response body (data and errors)."""
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        response = await self._http.post("/graphql", json=body, headers={**self._headers(token), **(headers or {})})
        return response.json()

    async def get(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
        params = {"query": query}
        if variables is not None:
            params["variables"] = json.dumps(variables)
        response = await self._http.get("/graphql", params=params, headers={**self._headers(token), "Accept": "application/json"})
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
        """`data` of a response that must have no errors."""
        result = await self.post(query, variables, token=token)
        if result.get("errors"):
            raise GraphQLError(result["errors"])
        return result["data"]

    async def error(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
        """The single error of a response that must fail."""
        result = await self.post(query, variables, token=token)
        errors = result.get("errors")
        assert errors, f"expected an error, got {result}"
        assert len(errors) == 1, errors
        return errors[0]

    async def login(self, email: str, password: str = "demo") -> str:
        data = await self.data(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }", {"e": email, "p": password}
        )
        return data["login"]["token"]

    async def as_user(self, email: str, password: str = "demo") -> "HttpClient":
        """A client signed in as someone (shares nothing with this one but the server)."""
        return HttpClient(self.base_url, await self.login(email, password))


class WsSession:
    """One graphql-transport-ws connection."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ack_payload: dict[str, Any] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def init(self, token: str | None, *, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload if payload is not None else ({"Authorization": f"Bearer {token}"} if token else {})})
        return await self.receive()

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None, op_id: str | None = None) -> str:
        op_id = op_id or uuid.uuid4().hex
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        await self.send({"id": op_id, "type": "subscribe", "payload": payload})
        return op_id

    async def next_for(self, op_id: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        message = await self.receive(timeout)
        assert message.get("id") == op_id, message
        return message

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """A query or mutation over the socket: its single `next` payload (then `complete`)."""
        op_id = await self.subscribe(query, variables)
        message = await self.next_for(op_id)
        if message["type"] == "next":
            done = await self.next_for(op_id)
            assert done["type"] == "complete", done
            return message["payload"]
        assert message["type"] == "error", message
        return {"errors": message["payload"]}

    async def next_change(self, op_id: str, field: str = "workItemUpdated") -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The next pushed update of `op_id` that is not a timeline entry of its own (a note, a
        second entry of one change), and the timeline entries skipped on the way."""
        skipped = []
        while True:
            message = await self.next_for(op_id)
            assert message["type"] == "next", message
            update = message["payload"]["data"][field]
            if update["kind"] != "TIMELINE_ENTRY_ADDED":
                return update, skipped
            skipped.append(update)

    async def closed(self, timeout: float = TIMEOUT) -> tuple[int | None, str | None]:
        """Wait for the server to close the socket; its close code and reason."""
        try:
            while True:
                await asyncio.wait_for(self.socket.recv(), timeout)
        except ConnectionClosed:
            pass
        return self.socket.close_code, self.socket.close_reason


@asynccontextmanager
async def ws_session(base_url: str, token: str | None = None, *, init: bool = True, subprotocol: str = "graphql-transport-ws", **connect_options: Any) -> AsyncIterator[WsSession]:
    """`connect_options` go to websockets' `connect` (max_queue, sock, ...)."""
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[subprotocol], open_timeout=TIMEOUT, **connect_options) as socket:
        session = WsSession(socket)
        if init:
            ack = await session.init(token)
            assert ack["type"] == "connection_ack", ack
            session.ack_payload = ack.get("payload")
        yield session


async def signed_in_on(stack: AsyncExitStack, url: str, email: str = "jane@example.com") -> HttpClient:
    """`email` signed in over HTTP on the server at `url`; both clients closed with the stack."""
    anonymous = HttpClient(url)
    stack.push_async_callback(anonymous.aclose)
    user = await anonymous.as_user(email)
    stack.push_async_callback(user.aclose)
    return user
