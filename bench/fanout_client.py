#!/usr/bin/env python3
"""fanout.py's load client, run as its own process (one or more), the same for Switchboard and
for the raw baseline.

It opens --count graphql-transport-ws connections (spread round-robin over --url), in parallel
batches, each subscribed to `workItemUpdated(ref)`, and says so on stdout as one JSON line. Then
it obeys JSON lines on stdin:

    {"phase": [first_seq, last_seq]}        count deliveries of these events from now on
    {"finish": deadline_ns, "seqs": [...]}  wait until every connection has every seq (or the
                                            deadline), then print the phase's result as one line
    {"quit": true}                          close the connections and exit

A delivery is a `next` whose workItem title reads "fanout <seq> <send_ns>"; its latency is the
receipt time minus send_ns (time.monotonic_ns, one clock for every process on the machine). A
connection counts each seq once, at its first message that carries it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

SUBSCRIPTION = "subscription($ref: String!) { workItemUpdated(ref: $ref) { kind cursor values workItem { ref title version } } }"


def say(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


class Phase:
    def __init__(self, first: int = 0, last: int = -1) -> None:
        self.first, self.last = first, last
        self.latencies_us: list[int] = []
        self.seen: dict[int, set[int]] = {}
        self.first_ns: int | None = None
        self.last_ns: int | None = None
        self.messages = 0  # every `next` in the phase, whichever event it carries
        self.repeats = 0  # a `next` carrying a seq its connection already had


class Client:
    def __init__(self) -> None:
        self.phase = Phase()
        self.open = 0
        self.closed = 0  # connections the server closed after they subscribed
        self.errors: list[str] = []

    def deliver(self, conn: int, seq: int, now: int, send_ns: int) -> None:
        phase = self.phase
        phase.messages += 1
        if not phase.first <= seq <= phase.last:
            return
        seen = phase.seen.setdefault(conn, set())
        if seq in seen:
            phase.repeats += 1
            return
        seen.add(seq)
        phase.latencies_us.append((now - send_ns) // 1000)
        phase.first_ns = phase.first_ns or now
        phase.last_ns = now

    async def subscribe(self, conn: int, url: str, token: str, ref: str, compression: bool) -> ClientConnection:
        socket = await connect(url, subprotocols=["graphql-transport-ws"], open_timeout=30, ping_interval=None,
                               max_queue=None, compression="deflate" if compression else None)
        try:
            await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
            ack = json.loads(await asyncio.wait_for(socket.recv(), 30))
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"connection_init: {ack}")
            await socket.send(json.dumps({"id": "1", "type": "subscribe",
                                          "payload": {"query": SUBSCRIPTION, "variables": {"ref": ref}}}))
            first = json.loads(await asyncio.wait_for(socket.recv(), 30))
            if first.get("type") != "next":
                raise RuntimeError(f"subscribe: {first}")
        except BaseException:
            await socket.close()
            raise
        return socket

    async def read(self, conn: int, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                now = time.monotonic_ns()
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind == "next":
                    try:
                        update = msg["payload"]["data"]["workItemUpdated"]
                        # the event's own value where the push carries it (UPDATED), else the
                        # item as it was when pushed
                        values = update.get("values") or {}
                        title = values.get("title") or update["workItem"]["title"]
                        if update.get("values") is None and update.get("kind") not in (None, "UPDATED"):
                            continue  # a timeline entry of its own (not an edit's): not a delivery
                    except (KeyError, TypeError):
                        self.errors.append(f"unexpected next: {raw[:200]}")
                        continue
                    if title.startswith("fanout "):
                        _, seq, send_ns = title.split()
                        self.deliver(conn, int(seq), now, int(send_ns))
                elif kind == "ping":
                    await socket.send('{"type":"pong"}')
                elif kind in ("error", "complete"):
                    self.errors.append(f"{kind}: {raw[:200]}")
        except ConnectionClosed as exc:
            self.errors.append(f"closed by the server: {exc}")
        self.closed += 1

    def result(self, seqs: list[int]) -> dict:
        phase = self.phase
        wanted = set(seqs)
        received = sum(len(seen & wanted) for seen in phase.seen.values())
        return {"received": received, "expected": len(wanted) * self.open, "latencies_us": phase.latencies_us,
                "first_ns": phase.first_ns, "last_ns": phase.last_ns, "messages": phase.messages, "repeats": phase.repeats,
                "closed": self.closed, "errors": self.errors[:5], "error_count": len(self.errors)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", action="append", required=True, help="ws://host:port/graphql; repeat for several servers")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--offset", type=int, default=0, help="index of this client's first connection overall")
    parser.add_argument("--token", required=True)
    parser.add_argument("--ref", required=True)
    parser.add_argument("--batch", type=int, default=50, help="connections opened at once")
    parser.add_argument("--compression", action="store_true", help="offer permessage-deflate")
    args = parser.parse_args()

    client = Client()
    gate = asyncio.Semaphore(args.batch)
    sockets: list[ClientConnection] = []
    readers: list[asyncio.Task] = []
    failures: list[str] = []

    async def open_one(conn: int) -> None:
        url = args.url[conn % len(args.url)]
        async with gate:
            try:
                socket = await client.subscribe(conn, url, args.token, args.ref, args.compression)
            except Exception as exc:  # noqa: BLE001 - reported, counted
                failures.append(f"{type(exc).__name__}: {exc}")
                return
        sockets.append(socket)
        readers.append(asyncio.create_task(client.read(conn, socket)))

    started = time.monotonic()
    await asyncio.gather(*(open_one(args.offset + i) for i in range(args.count)))
    client.open = len(sockets)
    say({"ready": len(sockets), "failed": len(failures), "failures": failures[:5],
         "seconds": round(time.monotonic() - started, 2)})

    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        command = json.loads(line)
        if "phase" in command:
            client.phase = Phase(*command["phase"])
            client.errors.clear()
        elif "finish" in command:
            seqs, deadline = command["seqs"], command["finish"]
            wanted = set(seqs)
            while time.monotonic_ns() < deadline:
                have = sum(len(seen & wanted) for seen in client.phase.seen.values())
                if have >= len(wanted) * (client.open - client.closed):
                    break
                await asyncio.sleep(0.05)
            say(client.result(seqs))
        elif "quit" in command:
            break
    for task in readers:
        task.cancel()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
