"""One IMAP connection for the collector (server/mail/imap.py), on aioimaplib: connect (plain,
STARTTLS or implicit TLS), LOGIN, SELECT, UID SEARCH / FETCH, IDLE, LOGOUT — every step bounded by
a timeout and ended at once when the server closes the connection (aioimaplib itself would leave
a pending command waiting forever), with the few response parsers the collector needs."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl
from typing import Awaitable, TypeVar

import aioimaplib

T = TypeVar("T")

SECURITY_MODES = ("NONE", "STARTTLS", "TLS")

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_FETCH_UID = re.compile(rb"\d+ FETCH \(.*?\bUID (\d+)")
_FETCH_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_LITERAL = re.compile(rb"\{(\d+)\}$")


class ImapError(Exception):
    """The server refused something or broke the protocol (the message says what)."""


class ConnectionLost(ImapError):
    pass


def mailbox_name(name: str) -> str:
    """A folder name as an IMAP quoted string, non-ASCII in modified UTF-7 (RFC 3501 §5.1.3)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return aioimaplib.quoted("".join(out))


def message_set(uids: list[int]) -> str:
    """Sorted UIDs as an IMAP sequence set: [1, 2, 3, 7] -> "1:3,7"."""
    ranges: list[str] = []
    start = previous = uids[0]
    for uid in uids[1:]:
        if uid != previous + 1:
            ranges.append(f"{start}:{previous}" if start != previous else str(start))
            start = uid
        previous = uid
    ranges.append(f"{start}:{previous}" if start != previous else str(start))
    return ",".join(ranges)


def _text(response: aioimaplib.Response) -> str:
    for line in reversed(response.lines):
        if isinstance(line, bytes) and line:
            return line.decode("utf-8", "replace")
    return response.result


class ImapConnection:
    def __init__(self, host: str, port: int, security: str, *, timeout: float,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {SECURITY_MODES}, not {security!r}")
        self.host, self.port, self.security, self.timeout = host, port, security, timeout
        self._ssl_context = ssl_context
        self._lost: asyncio.Future[None] | None = None
        self.imap: aioimaplib.IMAP4 | None = None
        self._idle: asyncio.Future | None = None
        self.unresponsive = False   # a step timed out: close() does not wait for a LOGOUT

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    @property
    def lost(self) -> asyncio.Future[None]:
        assert self._lost is not None
        return self._lost

    async def _call(self, awaitable: Awaitable[T], timeout: float | None = None) -> T:
        """Await one step; ConnectionLost as soon as the server hangs up, TimeoutError after
        `timeout` seconds (the connection's timeout by default)."""
        task = asyncio.ensure_future(awaitable)
        try:
            done, _ = await asyncio.wait({task, self.lost}, timeout=timeout or self.timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                return task.result()
            if self.lost.done():
                raise ConnectionLost("the server closed the connection")
            self.unresponsive = True
            raise TimeoutError(f"no answer from {self.host}:{self.port} within {timeout or self.timeout:g} s")
        finally:
            if not task.done():
                task.cancel()

    async def open(self, username: str, password: str) -> None:
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()

        def connection_lost(exc: Exception | None) -> None:
            if not self.lost.done():
                self.lost.set_result(None)

        self.imap = aioimaplib.IMAP4(
            self.host, self.port, timeout=self.timeout, conn_lost_cb=connection_lost,
            ssl_context=self._context() if self.security == "TLS" else None,
        )
        await self._call(self.imap.wait_hello_from_server())
        if self.security == "STARTTLS":
            await self._starttls()
        response = await self._call(self.imap.login(username, password))
        if response.result != "OK":
            raise ImapError(f"LOGIN refused for {username}: {_text(response)}")

    async def _starttls(self) -> None:
        assert self.imap is not None
        protocol = self.imap.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise ImapError(f"{self.host}:{self.port} does not offer STARTTLS")
        response = await self._call(protocol.execute(aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)))
        if response.result != "OK":
            raise ImapError(f"STARTTLS refused: {_text(response)}")
        transport = await self._call(asyncio.get_running_loop().start_tls(
            protocol.transport, protocol, self._context(), server_hostname=self.host))
        protocol.transport = transport
        await self._call(protocol.capability())   # capabilities may change once encrypted (RFC 3501 §6.2.1)

    def has_idle(self) -> bool:
        assert self.imap is not None
        return self.imap.has_capability("IDLE")

    async def select(self, folder: str) -> int:
        """SELECT the folder; its UIDVALIDITY."""
        assert self.imap is not None
        response = await self._call(self.imap.select(mailbox_name(folder)))
        if response.result != "OK":
            raise ImapError(f"SELECT {folder} refused: {_text(response)}")
        for line in response.lines:
            if isinstance(line, bytes) and (match := _UIDVALIDITY.search(line)):
                return int(match.group(1))
        raise ImapError(f"SELECT {folder}: the server sent no UIDVALIDITY")

    async def uids(self, criteria: str) -> list[int]:
        """UID SEARCH; ascending UIDs."""
        assert self.imap is not None
        response = await self._call(self.imap.uid_search(criteria, charset=None))
        if response.result != "OK":
            raise ImapError(f"UID SEARCH {criteria} refused: {_text(response)}")
        # aioimaplib strips "* SEARCH " from the untagged lines; the last line is the tagged text
        found: list[int] = []
        for line in response.lines[:-1]:
            words = line.split() if isinstance(line, bytes) else []
            if words and words[0] == b"SEARCH":
                words = words[1:]
            if words and all(word.isdigit() for word in words):
                found.extend(int(word) for word in words)
        return sorted(found)

    async def sizes(self, uids: list[int]) -> dict[int, int]:
        """RFC822.SIZE of each UID that still exists."""
        assert self.imap is not None
        response = await self._call(self.imap.uid("fetch", message_set(uids), "(UID RFC822.SIZE)"))
        if response.result != "OK":
            raise ImapError(f"UID FETCH RFC822.SIZE refused: {_text(response)}")
        sizes: dict[int, int] = {}
        for line in response.lines:
            if isinstance(line, bytes) and (uid := _FETCH_UID.match(line)) and (size := _FETCH_SIZE.search(line)):
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    async def body(self, uid: int) -> bytes | None:
        """The whole message (BODY.PEEK[]: its \\Seen flag is left alone); None when it is gone."""
        assert self.imap is not None
        response = await self._call(self.imap.uid("fetch", str(uid), "(UID BODY.PEEK[])"))
        if response.result != "OK":
            raise ImapError(f"UID FETCH {uid} BODY[] refused: {_text(response)}")
        lines = response.lines
        for index, line in enumerate(lines[:-1]):
            if (isinstance(line, bytes) and (found := _FETCH_UID.match(line)) and int(found.group(1)) == uid
                    and _LITERAL.search(line) and isinstance(lines[index + 1], (bytes, bytearray))):
                return bytes(lines[index + 1])
        return None

    async def idle(self, seconds: float, stop: asyncio.Event) -> str:
        """IDLE for at most `seconds`: "changed" when the server pushes news of the folder,
        "renew" when the time is up, "stop" when `stop` is set; IDLE is ended (DONE) each time."""
        assert self.imap is not None
        queue = self.imap.protocol.idle_queue
        while not queue.empty():   # what the previous IDLE's DONE left behind
            queue.get_nowait()
        self._idle = await self._call(self.imap.idle_start(timeout=seconds))
        deadline = asyncio.get_running_loop().time() + seconds
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    return "renew"
                push = asyncio.ensure_future(self.imap.wait_server_push(timeout=remaining + 1))
                try:
                    done, _ = await asyncio.wait({push, stopping, self.lost}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if not push.done():
                        push.cancel()
                if self.lost.done():
                    raise ConnectionLost("the server closed the connection during IDLE")
                if stopping in done:
                    return "stop"
                with contextlib.suppress(asyncio.TimeoutError):
                    lines = push.result()
                    if lines == aioimaplib.STOP_WAIT_SERVER_PUSH:
                        return "renew"
                    # "* OK Still here" keeps the connection alive; anything else is news
                    if any(not line.startswith(b"OK") for line in lines if isinstance(line, bytes)):
                        return "changed"
        finally:
            stopping.cancel()
            await self._end_idle()

    async def _end_idle(self) -> None:
        if self._idle is None or self.imap is None:
            return
        idle, self._idle = self._idle, None
        if not idle.done() and not self.lost.done():
            self.imap.idle_done()
            await self._call(idle)

    async def close(self, timeout: float = 2.0) -> None:
        """LOGOUT when the connection still works (within `timeout`), then close it."""
        if self.imap is None:
            return
        imap, lost = self.imap, self._lost
        try:
            if lost is not None and not lost.done() and not self.unresponsive and imap.get_state() in ("AUTH", "SELECTED", "NONAUTH"):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._logout(), timeout)
        finally:
            self.imap = None
            transport = imap.protocol.transport
            if transport is not None:
                transport.close()
            for task in list(imap.tasks) + list(imap.protocol.tasks):
                task.cancel()

    async def _logout(self) -> None:
        await self._end_idle()
        assert self.imap is not None
        await self._call(self.imap.logout())
