"""Following (SPEC §8): an employee's watch list — follow, unfollow, the list, within what they may
see — and the FOLLOWED_ITEM_CHANGED notifications its followers get when someone else changes an
item, whether through the API, inbound mail or the scheduler. Runs on SQLite and PostgreSQL
(SWITCHBOARD_TEST_BACKEND)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from models.enums import NotificationKind
from models.notification import Notification
from models.org import Department
from server.domain import clock, inbound, scheduler
from server.domain.inbound import Arrival
from tests.support.client import HttpClient, ws_session

FOLLOW = "mutation($ref: String!) { followWorkItem(ref: $ref) { ref } }"
UNFOLLOW = "mutation($ref: String!) { unfollowWorkItem(ref: $ref) { ref } }"
FOLLOWED = """query($first: Int! = 100, $after: String) {
  followedWorkItems(first: $first, after: $after) { edges { node { ref } } pageInfo { hasNextPage endCursor } }
}"""
ASSIGN = "mutation($ref: String!, $user: ID) { assignWorkItem(ref: $ref, userId: $user) { workItem { ref } } }"
NOTE = "mutation($ref: String!, $body: String!) { addNote(ref: $ref, input: {body: $body}) { workItem { status } } }"
RESOLVE = "mutation($ref: String!) { resolveWorkItem(ref: $ref, input: {method: WITH_CUSTOMER_RESPONSE}) { workItem { status } } }"
MOVE = "mutation($ref: String!, $department: ID!) { moveWorkItem(ref: $ref, departmentId: $department) { workItem { ref } } }"
NOTIFICATIONS = "{ notifications { kind text workItemRef } }"


async def followed(client: HttpClient, **variables) -> list[str]:
    return [e["node"]["ref"] for e in (await client.data(FOLLOWED, variables))["followedWorkItems"]["edges"]]


async def told(client: HttpClient) -> list[tuple[str, str]]:
    """The FOLLOWED_ITEM_CHANGED notifications `client` may read, newest first: (ref, text)."""
    listed = (await client.data(NOTIFICATIONS))["notifications"]
    return [(n["workItemRef"], n["text"]) for n in listed if n["kind"] == "FOLLOWED_ITEM_CHANGED"]


async def kinds_on(client: HttpClient, ref: str) -> list[str]:
    return [n["kind"] for n in (await client.data(NOTIFICATIONS))["notifications"] if n["workItemRef"] == ref]


async def user_id(client: HttpClient) -> str:
    return (await client.data("{ viewer { id } }"))["viewer"]["id"]


async def test_follow_unfollow_and_the_list_newest_first(signed_in):
    jane = await signed_in("jane@example.com")
    assert await followed(jane) == []
    for ref in ("T-1002", "T-1003", "T-1003"):  # following twice is one
        assert (await jane.data(FOLLOW, {"ref": ref}))["followWorkItem"]["ref"] == ref
    assert await followed(jane) == ["T-1003", "T-1002"]
    page = (await jane.data(FOLLOWED, {"first": 1}))["followedWorkItems"]
    assert page["pageInfo"]["hasNextPage"]
    assert await followed(jane, first=1, after=page["pageInfo"]["endCursor"]) == ["T-1002"]
    await jane.data(UNFOLLOW, {"ref": "T-1003"})
    await jane.data(UNFOLLOW, {"ref": "T-1003"})  # not following: nothing to do
    assert await followed(jane) == ["T-1002"]
    lena = await signed_in("lena@example.com")
    assert await followed(lena) == []  # a watch list is one person's


async def test_out_of_scope_items_cannot_be_followed_and_leave_the_list(signed_in):
    jane = await signed_in("jane@example.com")
    karina = await signed_in("karina@example.com")
    missing = await jane.error(FOLLOW, {"ref": "T-1008"})  # Team B's: like a missing reference
    assert missing["extensions"]["code"] == "NOT_FOUND"
    assert (await jane.error(FOLLOW, {"ref": "T-9999"}))["extensions"]["code"] == "NOT_FOUND"

    # karina follows an item of another department she sees only while it is assigned to her
    admin = await signed_in("admin@example.com")
    karina_id = (await karina.data("{ viewer { id } }"))["viewer"]["id"]
    assigned = await admin.post(ASSIGN, {"ref": "T-1002", "user": karina_id})
    assert not assigned.get("errors"), assigned
    await karina.data(FOLLOW, {"ref": "T-1002"})
    assert "T-1002" in await followed(karina)
    await admin.data(ASSIGN, {"ref": "T-1002", "user": None})
    assert "T-1002" not in await followed(karina)  # lost access: gone from the list


async def test_only_employees_follow(client: HttpClient, signed_in):
    bob = await signed_in("bob@client.example")
    error = await bob.error(FOLLOWED)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_followers_are_told_of_a_note_a_resolution_and_an_assignment_by_someone_else(signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    for follower in (jane, lena):
        await follower.data(FOLLOW, {"ref": "T-1003"})
    await lena.data(NOTE, {"ref": "T-1003", "body": "The tax office confirmed 1257L."})
    assert await told(jane) == [("T-1003", "New note on T-1003")]
    assert await told(lena) == []  # her own change
    assert (await jane.data(RESOLVE, {"ref": "T-1003"}))["resolveWorkItem"]["workItem"]["status"] == "RESOLVED"
    assert await told(lena) == [("T-1003", "T-1003 was resolved")]
    assert await told(jane) == [("T-1003", "New note on T-1003")]

    # the new assignee is told ASSIGNED, which says more: not also that her followed item changed
    admin = await signed_in("admin@example.com")
    for follower in (jane, lena):
        await follower.data(FOLLOW, {"ref": "T-1002"})
    await admin.data(ASSIGN, {"ref": "T-1002", "user": await user_id(lena)})
    assert (await told(jane))[0] == ("T-1002", "T-1002 was assigned to Lena Fischer")
    assert await kinds_on(lena, "T-1002") == ["ASSIGNED"]
    admin_told = await Notification.filter(user__email="admin@example.com", kind=NotificationKind.FOLLOWED_ITEM_CHANGED).count()
    assert admin_told == 0  # nobody else follows


async def test_one_change_of_several_parts_tells_a_follower_once(signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    await jane.data(FOLLOW, {"ref": "T-1002"})
    # a note on a TO_DO item takes it (SPEC §2.2 rule 2): its status, its assignee and the note
    noted = await lena.data(NOTE, {"ref": "T-1002", "body": "Asked accounts for a copy."})
    assert noted["addNote"]["workItem"]["status"] == "IN_PROGRESS"
    assert await told(jane) == [("T-1002", "T-1002 is in progress (and 2 more changes)")]


async def test_an_item_no_longer_followed_tells_nothing(signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    await jane.data(FOLLOW, {"ref": "T-1003"})
    await jane.data(UNFOLLOW, {"ref": "T-1003"})
    await lena.data(NOTE, {"ref": "T-1003", "body": "Anyone?"})
    assert await told(jane) == []
    assert await Notification.filter(kind=NotificationKind.FOLLOWED_ITEM_CHANGED).count() == 0


async def test_a_follower_who_may_no_longer_see_the_item_is_not_told(signed_in):
    jane, admin = await signed_in("jane@example.com"), await signed_in("admin@example.com")
    await jane.data(FOLLOW, {"ref": "T-1002"})
    pl, uk = [str((await Department.get(name=name)).id) for name in ("PL Operations", "UK Operations")]
    await admin.data(MOVE, {"ref": "T-1002", "department": pl})  # out of jane's sight
    assert await Notification.filter(user__email="jane@example.com", kind=NotificationKind.FOLLOWED_ITEM_CHANGED).count() == 0
    await admin.data(MOVE, {"ref": "T-1002", "department": uk})  # back: she sees it, and is told of that move only
    assert await told(jane) == [("T-1002", "T-1002 moved to another department")]


def _reply(subject: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "Bob Smith <bob@client.example>", "uk-ops@acme.example", subject
    message["Message-ID"] = make_msgid(domain="client.example")
    message.set_content("Any news?")
    return message.as_bytes()


async def test_inbound_mail_and_the_scheduler_tell_followers_too(signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    for follower in (jane, lena):
        await follower.data(FOLLOW, {"ref": "T-1003"})
        await follower.data(FOLLOW, {"ref": "T-1002"})
    raw = _reply("Re: [T-1003] my payslip")
    assert (await inbound.receive(Arrival(raw=raw, size=len(raw)))).work_item_id is not None
    assert await told(lena) == [("T-1003", "New email on T-1003")]
    assert await kinds_on(jane, "T-1003") == ["NEW_INFORMATION"]  # its assignee is told that instead

    with clock.frozen() as frozen:
        frozen.advance(timedelta(days=3))  # past T-1002's due date (UK: 24 hours)
        await scheduler.run_due()
    assert (await told(jane))[0] == ("T-1002", "T-1002 missed its due date")
    assert await kinds_on(lena, "T-1002") == ["DUE_MISSED"]  # the leader of its team is told that instead


SUBSCRIBE_NOTIFICATIONS = "subscription { notifications { kind unreadCount notifications { kind text workItemRef } } }"


async def test_a_followers_notification_is_pushed_live(live_server, signed_in):
    jane, lena = await signed_in("jane@example.com"), await signed_in("lena@example.com")
    await jane.data(FOLLOW, {"ref": "T-1003"})
    async with ws_session(live_server.url, jane.token) as session:
        op = await session.subscribe(SUBSCRIBE_NOTIFICATIONS)
        snapshot = (await session.next_for(op))["payload"]["data"]["notifications"]
        assert snapshot["kind"] == "SNAPSHOT"
        await lena.data(NOTE, {"ref": "T-1003", "body": "Pushed?"})
        created = (await session.next_for(op))["payload"]["data"]["notifications"]
        assert created["kind"] == "CREATED" and created["unreadCount"] == snapshot["unreadCount"] + 1
        assert created["notifications"][0] == {"kind": "FOLLOWED_ITEM_CHANGED", "text": "New note on T-1003", "workItemRef": "T-1003"}
