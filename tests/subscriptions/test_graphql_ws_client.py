"""The reference client: npm graphql-ws (on Node.js, with ws as its WebSocket) subscribes on the
live server — to `workItemUpdated` and to `teamBar` — gets the snapshot, then the update a mutation
made after it.

scripts/services.sh installs graphql-ws and ws outside the repository, into $SWITCHBOARD_NPM_CACHE
(default ~/.cache/switchboard/npm). The client script (tests/support/graphql_ws_client.cjs) takes
its document from SWITCHBOARD_QUERY, so it runs any subscription.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import LiveServer

NPM_CACHE = Path(os.environ.get("SWITCHBOARD_NPM_CACHE") or Path.home() / ".cache" / "switchboard" / "npm")
CLIENT = Path(__file__).resolve().parent.parent / "support" / "graphql_ws_client.cjs"
TIMEOUT = 20.0

SUBSCRIPTION = """subscription($ref: String!) {
  workItemUpdated(ref: $ref) { kind cursor changedFields actorName workItem { ref title version } }
}"""


async def _line(process: asyncio.subprocess.Process) -> dict:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
    if not line:
        stderr = await process.stderr.read() if process.stderr else b""
        raise AssertionError(f"the client ended early (status {await process.wait()}): {stderr.decode()}")
    return json.loads(line)


async def _client(live_server: LiveServer, token: str, query: str, variables: dict) -> asyncio.subprocess.Process:
    """The graphql-ws client, subscribed with `query`; it prints its first two messages."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node (Node.js) is not on PATH: the graphql-ws reference client runs on it")
    for package in ("graphql-ws", "ws", "graphql"):
        if not (NPM_CACHE / "node_modules" / package).is_dir():
            pytest.fail(f"needs {package} in {NPM_CACHE}: run scripts/services.sh (make services)")
    env = {
        **os.environ,
        "SWITCHBOARD_TOKEN": token,
        "SWITCHBOARD_QUERY": query,
        "SWITCHBOARD_VARIABLES": json.dumps(variables),
        "SWITCHBOARD_COUNT": "2",
    }
    return await asyncio.create_subprocess_exec(
        node, str(CLIENT), str(NPM_CACHE), live_server.url.replace("http://", "ws://") + "/graphql",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def _ended_well(process: asyncio.subprocess.Process) -> None:
    status = await asyncio.wait_for(process.wait(), TIMEOUT)
    stderr = (await process.stderr.read()).decode() if process.stderr else ""
    assert status == 0, stderr


TEAM_BAR = """subscription($team: ID!) {
  teamBar(teamId: $team) { cursor bar { team { name } members { user { name } inbox inProgress } } }
}"""


async def test_graphql_ws_client_follows_a_team_bar(live_server: LiveServer, signed_in) -> None:
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    team_a = (await jane.data('{ teams(search: "Team A") { edges { node { id } } } }'))["teams"]["edges"][0]["node"]["id"]
    jane_id = (await jane.data("{ viewer { id } }"))["viewer"]["id"]
    lena_id = (await lena.data("{ viewer { id } }"))["viewer"]["id"]
    assign = 'mutation($u: ID) { assignWorkItem(ref: "T-1003", userId: $u) { workItem { ref } } }'
    await lena.data(assign, {"u": lena_id})  # lena's before the client looks
    process = await _client(live_server, jane.token, TEAM_BAR, {"team": team_a})
    try:
        snapshot = await _line(process)
        assert "errors" not in snapshot, snapshot
        bar = snapshot["data"]["teamBar"]
        assert bar["bar"]["team"]["name"] == "Team A" and bar["cursor"]

        def workload(message: dict) -> int:
            jane_on_bar = next(m for m in message["bar"]["members"] if m["user"]["name"] == "Jane Cooper")
            return jane_on_bar["inbox"] + jane_on_bar["inProgress"]

        await lena.data(assign, {"u": jane_id})
        pushed = await _line(process)
        assert "errors" not in pushed, pushed
        update = pushed["data"]["teamBar"]
        assert workload(update) == workload(bar) + 1
        assert update["cursor"] != bar["cursor"]
        await _ended_well(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_graphql_ws_client_receives_snapshot_then_update(live_server: LiveServer, signed_in) -> None:
    jane = await signed_in("jane@example.com")
    process = await _client(live_server, jane.token, SUBSCRIPTION, {"ref": "T-1001"})
    try:
        snapshot = await _line(process)
        assert "errors" not in snapshot, snapshot
        first = snapshot["data"]["workItemUpdated"]
        assert first["kind"] == "SNAPSHOT" and first["cursor"]
        assert first["workItem"] == {"ref": "T-1001", "title": "Update bank details for March payroll", "version": 1}

        await jane.data('mutation { updateWorkItem(ref: "T-1001", input: {title: "Bank details (graphql-ws)"}) { version } }')
        pushed = await _line(process)
        assert "errors" not in pushed, pushed
        update = pushed["data"]["workItemUpdated"]
        assert update["kind"] == "UPDATED" and update["changedFields"] == ["title"], update
        assert update["actorName"] == "Jane Cooper"
        assert update["workItem"] == {"ref": "T-1001", "title": "Bank details (graphql-ws)", "version": 2}
        assert update["cursor"] and update["cursor"] != first["cursor"]
        await _ended_well(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
