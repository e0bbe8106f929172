"""Sending the outbox in the background (server/domain/sending.py does the work): a loop that
runs a round whenever mail may be due, in every server process and in `switchboard worker`
(several at once never send one email twice: each claims under row locks).

A round that claimed a full batch is followed at once by the next; otherwise the loop waits
`interval` seconds, so a queued email leaves within about that long once it is due.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from server.domain import sending
from server.mail import smtp
from server.mail.secrets import Sealer

log = logging.getLogger(__name__)

BATCH = 20


async def send_forever(sealer: Sealer, interval: float, transmit: sending.Transmit = smtp.transmit) -> None:
    while True:
        busy = False
        try:
            report = await sending.send_due(transmit, sealer, limit=BATCH)
            if report:
                log.info("outbox: %d sent, %d to retry, %d failed, %d parked, %d interrupted",
                         len(report.sent), len(report.retrying), len(report.failed), len(report.parked), len(report.interrupted))
            busy = len(report.sent) + len(report.retrying) + len(report.failed) + len(report.parked) >= BATCH
        except Exception:  # noqa: BLE001 - tried again at the next round
            log.exception("sending the outbox failed")
        if not busy:
            await asyncio.sleep(interval)


@asynccontextmanager
async def running_sender(sealer: Sealer, interval: float) -> AsyncIterator[asyncio.Task[None]]:
    """The loop runs as a task while the block is open; cancelled (and awaited) when it closes,
    before the database it uses goes down. An email cut off mid-send stays SENDING and is
    surfaced after its lease, never sent again blindly."""
    task = asyncio.create_task(send_forever(sealer, interval), name="switchboard-outbox")
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
