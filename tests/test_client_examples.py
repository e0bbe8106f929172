"""The client examples run against a real server and do what they say."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "client-examples"


async def test_watch_work_item_prints_the_snapshot_and_live_updates(live_server, signed_in):
    jane = await signed_in("jane@example.com")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLES / "watch_work_item.py"), "--url", live_server.url, "--ref", "T-1001", "--count", "2",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        snapshot = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
        assert snapshot["kind"] == "SNAPSHOT" and snapshot["workItem"]["ref"] == "T-1001"
        await jane.data('mutation { updateWorkItem(ref: "T-1001", input: {title: "Watched"}) { version } }')
        update = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
        assert update["kind"] == "UPDATED" and update["workItem"]["title"] == "Watched"
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
