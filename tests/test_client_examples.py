"""The client examples run against a real server and do what they say."""

from __future__ import annotations

import asyncio
import json
import os
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


HEADER = "query($ref: String!) { workItem(ref: $ref) { ref type status title team { name } } }"


async def _run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLES / "partner_linked_items.py"), *args,
        env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode, out.decode(), err.decode()


async def test_partner_linked_items_prints_the_item_and_its_links_across_departments(live_server, signed_in):
    from models.org import Department, User
    from server.domain import api_keys, links
    from server.domain.viewer import user_viewer

    admin = await user_viewer(await User.get(email="admin@example.com"))
    await links.link(admin, "T-1007", "T-1002")  # PL with UK (outside the key's departments)
    await links.link(admin, "T-1008", "T-1007")  # PL with PL
    pl = await Department.get(name="PL Operations")
    key = (await api_keys.create_api_key("Client ERP", [pl.id], can_write=False, created_by=None)).token

    # what an admin sees of the three items, to compare the script's lines with
    admin_client = await signed_in("admin@example.com")
    items = {ref: (await admin_client.data(HEADER, {"ref": ref}))["workItem"] for ref in ("T-1007", "T-1002", "T-1008")}

    def header(ref: str) -> str:
        item = items[ref]
        return f"  {ref}  {item['type']}  {item['status']}  {(item['team'] or {}).get('name') or '-'}  {item['title'] or '(no title)'}"

    code, out, err = await _run("--url", live_server.url, "--ref", "t-1007", env={"SWITCHBOARD_API_KEY": key})
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"T-1007  {items['T-1007']['status']}  Zaległa faktura od dostawcy"
    assert lines[1] == "linked items: 2"
    assert sorted(lines[2:]) == [
        header("T-1002") + "  (other department: header only)",  # UK Operations: not the key's
        header("T-1008"),
    ]

    # the same with --key; an item outside the key's departments is not found; no key at all
    code, out_with_flag, err = await _run("--url", live_server.url, "--key", key, "--ref", "T-1007", env={"SWITCHBOARD_API_KEY": ""})
    assert code == 0 and out_with_flag == out, err
    code, _out, err = await _run("--url", live_server.url, "--key", key, "--ref", "T-1002", env={})
    assert code == 1 and "NOT_FOUND" in err, err
    code, _out, err = await _run("--url", live_server.url, "--ref", "T-1007", env={"SWITCHBOARD_API_KEY": ""})
    assert code == 2 and "API key" in err, err


def test_examples_need_nothing_beyond_what_the_server_installs():
    """`make run` installs the server's dependencies only; the examples must run with just those."""
    import ast
    import tomllib

    project = tomllib.loads((EXAMPLES.parent / "pyproject.toml").read_text())["project"]
    installed = {requirement.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().replace("-", "_")
                 for requirement in project["dependencies"]}
    for example in sorted(EXAMPLES.glob("*.py")):
        tree = ast.parse(example.read_text())
        modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        foreign = {module for module in modules - {"__future__"} if module not in sys.stdlib_module_names and module not in installed}
        assert not foreign, f"{example.name} imports {sorted(foreign)}, which `make run` does not install"


async def test_portal_submits_follows_replies_and_gives_feedback(live_server, signed_in, tmp_path):
    """bob@client.example on the portal: the example submits a ticket with a file, lists and opens
    it, follows it live (a status change and a public note from jane), replies, and once jane
    resolves it, rates it."""
    jane = await signed_in("jane@example.com")
    attached = tmp_path / "payslip.txt"
    attached.write_bytes(b"tax code 1100L")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLES / "portal.py"), "--url", live_server.url, "--attach", str(attached),
        "--updates", "2", "--feedback", "5", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )

    async def line() -> dict:
        raw = await asyncio.wait_for(process.stdout.readline(), 20)
        assert raw, (await process.stderr.read()).decode()
        return json.loads(raw)

    try:
        submitted = await line()
        assert submitted["step"] == "submitted" and submitted["value"]["status"] == "TO_DO"
        ref = submitted["value"]["ref"]
        listed = await line()
        assert listed["step"] == "tickets" and ref in {t["ref"] for t in listed["value"]}
        opened = await line()
        assert opened["value"]["timeline"][0]["attachments"] == [{"filename": "payslip.txt", "size": 14}]
        snapshot = await line()
        assert snapshot["step"] == "update" and snapshot["value"]["kind"] == "SNAPSHOT"
        await jane.data('mutation($ref: String!) { addNote(ref: $ref, input: {body: "internal", isPublic: false}) { entry { id } } }', {"ref": ref})
        await jane.data('mutation($ref: String!) { addNote(ref: $ref, input: {body: "On it", isPublic: true}) { entry { id } } }', {"ref": ref})
        status = await line()
        assert (status["value"]["kind"], status["value"]["toStatus"]) == ("STATUS_CHANGED", "IN_PROGRESS")
        assert (await line())["value"]["kind"] == "MESSAGE_ADDED"  # the public note; the internal one is never pushed
        reply = await line()
        assert reply["step"] == "reply" and reply["value"]["entry"]["kind"] == "PORTAL_MESSAGE"
        assert (await line())["value"]["kind"] == "MESSAGE_ADDED"  # the reply itself
        await jane.data('mutation($ref: String!) { resolveWorkItem(ref: $ref, input: {method: WITH_CUSTOMER_RESPONSE, note: "Fixed"}) { workItem { status } } }', {"ref": ref})
        while (update := await line())["step"] == "update":
            pass
        assert update == {"step": "feedback", "value": {"ref": ref, "feedback": {"rating": 5, "comment": "Thank you"}}}
        assert await asyncio.wait_for(process.wait(), 20) == 0
        assert (await jane.data('query($ref: String!) { workItem(ref: $ref) { feedback { rating } } }', {"ref": ref}))["workItem"]["feedback"] == {"rating": 5}
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
