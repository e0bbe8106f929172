"""GraphiQL works offline: headless Chromium, allowed to reach nothing but the test server, opens
/graphql with a query in the URL (`?q=`, where GraphiQL keeps it), renders the editor, runs the
query and shows its result.

Chromium is Debian's `chromium` (scripts/services.sh installs it), driven over the Chrome DevTools
protocol."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import quote

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from server import graphiql
from server.app import create_app

TIMEOUT = 30.0
QUERY = "{ __typename }"

# What the page shows, as one JSON value: the query editor's text, the result pane's text, the
# execute button, and every resource the page loaded.
STATE = """JSON.stringify({
  editor: document.querySelector('.graphiql-query-editor .CodeMirror')?.innerText ?? null,
  result: document.querySelector('.result-window')?.innerText ?? null,
  runnable: Boolean(document.querySelector('.graphiql-execute-button')),
  resources: performance.getEntriesByType('resource').map(entry => entry.name),
})"""


class DevTools:
    """One page of a Chromium, over the DevTools protocol."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        call_id = self.next_id
        await self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), TIMEOUT))
            if message.get("id") == call_id:
                assert "error" not in message, message
                return message["result"]

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    async def state(self) -> dict[str, Any]:
        return json.loads(await self.evaluate(STATE))

    async def wait_for(self, condition, what: str) -> dict[str, Any]:
        """The page's state once `condition(state)` holds (checked every 100 ms)."""
        state: dict[str, Any] = {}
        try:
            async with asyncio.timeout(TIMEOUT):
                while not condition(state := await self.state()):
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"GraphiQL never showed {what}; the page: {state}") from None
        return state


def _stop_group(process: subprocess.Popen) -> None:
    """Stop the browser and every helper process it started, before its profile is removed."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:  # the helpers, after the browser itself
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


@pytest.fixture
async def chromium(live_server) -> AsyncIterator[DevTools]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: run scripts/services.sh (as root), which installs it")
    with tempfile.TemporaryDirectory() as profile:
        process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                # offline: every host name but the test server's fails to resolve
                '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": profile},
            # its own process group: the helpers it forks (zygote, renderers, crash handler)
            # outlive the browser process and write to the profile until they are stopped too
            start_new_session=True,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            async with asyncio.timeout(TIMEOUT):
                while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
                    assert process.poll() is None, f"chromium exited with {process.returncode}"
                    await asyncio.sleep(0.05)
            port = port_file.read_text().splitlines()[0]
            async with httpx.AsyncClient(timeout=TIMEOUT) as http:
                targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
            page = next(t for t in targets if t["type"] == "page")
            async with connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=TIMEOUT) as socket:
                yield DevTools(socket)
        finally:
            _stop_group(process)


async def test_graphiql_renders_and_runs_a_query_offline(live_server, chromium: DevTools):
    await chromium.call("Page.navigate", url=f"{live_server.url}/graphql?q={quote(QUERY)}")
    page = await chromium.wait_for(lambda s: s.get("runnable") and QUERY in (s.get("editor") or ""), "the editor with the query")
    # everything the page loaded came from this server, the assets from /graphql/static/
    assert page["resources"], page
    assert all(url.startswith(live_server.url) for url in page["resources"]), page["resources"]
    assert any(url.startswith(live_server.url + graphiql.ASSETS_PATH + "/graphiql.min.js") for url in page["resources"])

    await chromium.evaluate("document.querySelector('.graphiql-execute-button').click()")
    shown = await chromium.wait_for(lambda s: '"__typename"' in (s.get("result") or ""), "the query's result")
    assert '"Query"' in shown["result"], shown


async def test_the_assets_are_served_in_development_only(live_server, settings):
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        script = await http.get(f"{graphiql.ASSETS_PATH}/graphiql.min.js")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        assert (await http.get(f"{graphiql.ASSETS_PATH}/../graphiql.html")).status_code == 404
    production = create_app(dataclasses.replace(settings, production=True), manage_resources=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=production), base_url="http://switchboard") as http:
        assert (await http.get(f"{graphiql.ASSETS_PATH}/graphiql.min.js")).status_code == 404
