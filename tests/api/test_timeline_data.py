"""A timeline entry's `data` speaks the API's language: camelCase keys, ids as strings with the
name next to each, other items by reference (README "Timeline entry data"); a portal contact
still reads only public entries, so no staff assignment or queue reaches them."""

from __future__ import annotations

import re
from typing import Any

from models.org import Queue, User
from tests.support.client import HttpClient

TIMELINE = """query($ref: String!, $kinds: [TimelineKind!]) {
  workItem(ref: $ref) { timeline(kinds: $kinds, first: 100, showSystemGenerated: true) { edges { node { kind data isPublic } } } }
}"""
REFS = "{ workItems(first: 100) { edges { node { ref } } } }"
START_WORK = 'mutation($ref: String!) { startWork(ref: $ref) { workItem { status } } }'
ASSIGN = 'mutation($ref: String!, $u: ID) { assignWorkItem(ref: $ref, userId: $u) { workItem { status } } }'
WAIT = 'mutation($ref: String!) { waitWorkItem(ref: $ref, input: {waitType: MORE_INFO, daysToWait: 2}) { workItem { status } } }'
UPDATE = 'mutation($ref: String!, $q: ID) { updateWorkItem(ref: $ref, input: {queueId: $q}) { ref } }'
NOTE = """mutation($ref: String!, $m: [ID!]!) {
  addNote(ref: $ref, input: {body: "Please check", mentionUserIds: $m}) { entry { id } }
}"""
RESOLVE = 'mutation($ref: String!, $input: ResolveInput!) { resolveWorkItem(ref: $ref, input: $input) { workItem { status } } }'
LINK = 'mutation($r: String!, $o: String!) { linkWorkItems(ref: $r, otherRef: $o) { notices } }'

CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


async def _data(client: HttpClient, ref: str, kind: str) -> list[dict[str, Any]]:
    timeline = (await client.data(TIMELINE, {"ref": ref, "kinds": [kind]}))["workItem"]["timeline"]
    return [edge["node"]["data"] for edge in timeline["edges"]]


async def _id(model: Any, **where: Any) -> str:
    return str((await model.get(**where)).id)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def test_assignment_entries_name_the_people(signed_in):
    jane = await signed_in("jane@example.com")
    jane_id, lena_id = await _id(User, email="jane@example.com"), await _id(User, email="lena@example.com")
    await jane.data(START_WORK, {"ref": "T-1002"})
    await jane.data(ASSIGN, {"ref": "T-1002", "u": lena_id})
    await jane.data(ASSIGN, {"ref": "T-1002", "u": None})

    newest_first = await _data(jane, "T-1002", "ASSIGNED")
    assert newest_first[:3] == [
        {"fromUserId": lena_id, "fromUserName": "Lena Fischer", "toUserId": None, "toUserName": None},
        {"fromUserId": jane_id, "fromUserName": "Jane Cooper", "toUserId": lena_id, "toUserName": "Lena Fischer"},
        {"fromUserId": None, "fromUserName": None, "toUserId": jane_id, "toUserName": "Jane Cooper"},
    ]


async def test_status_queue_submission_and_note_entries_are_camel_case_and_named(signed_in):
    jane = await signed_in("jane@example.com")
    lena_id = await _id(User, email="lena@example.com")
    queue = await Queue.get(name="Team A queue")
    await jane.data(START_WORK, {"ref": "T-1003"})
    await jane.data(WAIT, {"ref": "T-1003"})
    await jane.data(NOTE, {"ref": "T-1003", "m": [lena_id]})

    assert (await _data(jane, "T-1003", "STATUS_CHANGED"))[0] == {
        "from": "IN_PROGRESS", "to": "WAITING", "waitType": "MORE_INFO", "resolutionMethod": None,
    }
    [submitted] = await _data(jane, "T-1003", "SUBMITTED")
    assert (submitted["queueId"], submitted["queueName"]) == (str(queue.id), "Team A queue")
    assert set(submitted) == {"from", "to", "queueId", "queueName", "dueAt"}
    assert (await _data(jane, "T-1003", "NOTE"))[0] == {"mentions": [{"userId": lena_id, "userName": "Lena Fischer"}]}

    escalations = await Queue.create(name="Team A escalations", team_id=queue.team_id, department_id=queue.department_id)
    await jane.data(UPDATE, {"ref": "T-1003", "q": str(escalations.id)})
    assert (await _data(jane, "T-1003", "QUEUE_CHANGED"))[0] == {
        "fromQueueId": str(queue.id), "fromQueueName": "Team A queue",
        "toQueueId": str(escalations.id), "toQueueName": "Team A escalations",
    }


async def test_peer_review_entries_name_the_doer_and_the_reviewer(signed_in):
    jane = await signed_in("jane@example.com")
    jane_id, lena_id = await _id(User, email="jane@example.com"), await _id(User, email="lena@example.com")
    await jane.data(START_WORK, {"ref": "A-1002"})
    await jane.data(RESOLVE, {"ref": "A-1002", "input": {"method": "COMPLETE", "reviewerId": lena_id}})
    assert (await _data(jane, "A-1002", "PEER_REVIEW"))[0] == {
        "stage": "IN_PEER_REVIEW", "doerId": jane_id, "doerName": "Jane Cooper",
        "reviewerId": lena_id, "reviewerName": "Lena Fischer",
    }


async def test_no_entry_anywhere_has_a_snake_case_key(signed_in):
    admin = await signed_in("admin@example.com")
    jane = await signed_in("jane@example.com")
    await jane.data(LINK, {"r": "T-1002", "o": "T-1003"})
    await jane.data(START_WORK, {"ref": "T-1002"})
    refs = [edge["node"]["ref"] for edge in (await admin.data(REFS))["workItems"]["edges"]]
    kinds: set[str] = set()
    for ref in refs:
        timeline = (await admin.data(TIMELINE, {"ref": ref, "kinds": None}))["workItem"]["timeline"]
        for edge in timeline["edges"]:
            kinds.add(edge["node"]["kind"])
            bad = {k for k in _keys(edge["node"]["data"]) if not CAMEL.match(k)}
            assert not bad, (ref, edge["node"]["kind"], edge["node"]["data"])
    # the demo's history covers most kinds of entry
    assert {"CREATED", "SUBMITTED", "STATUS_CHANGED", "ASSIGNED", "NOTE", "MERGED", "LINKED", "ACTION_STARTED"} <= kinds


PORTAL_TIMELINE = "query($ref: String!) { portalTicket(ref: $ref) { timeline { kind subject body authorName } } }"


async def test_a_portal_contact_still_reads_only_public_entries(signed_in):
    jane = await signed_in("jane@example.com")
    await jane.data(START_WORK, {"ref": "T-1002"})
    await jane.data(ASSIGN, {"ref": "T-1002", "u": await _id(User, email="lena@example.com")})
    bob = await signed_in("bob@client.example")
    assert (await bob.error(TIMELINE, {"ref": "T-1002", "kinds": None}))["extensions"]["code"] == "NOT_FOUND"
    nodes = (await bob.data(PORTAL_TIMELINE, {"ref": "T-1002"}))["portalTicket"]["timeline"]
    assert nodes and {n["kind"] for n in nodes} <= {"INITIAL_DESCRIPTION", "NOTE", "EMAIL_OUT", "EMAIL_IN", "PORTAL_MESSAGE", "FEEDBACK"}
    assert "Lena" not in str(nodes) and "example.com" not in str(nodes)
