"""Recently accessed items (SPEC §8): opening an item (workItem(ref)) records it; the list is the
latest first, the last 50 kept, within what the employee may still see. SQLite and PostgreSQL."""

from __future__ import annotations

from models.finding import RecentWorkItem
from models.org import User
from tests.support.client import HttpClient

OPEN = "query($ref: String!) { workItem(ref: $ref) { ref } }"
RECENT = "query($first: Int! = 100) { recentWorkItems(first: $first) { ref } }"
ASSIGN = "mutation($ref: String!, $user: ID) { assignWorkItem(ref: $ref, userId: $user) { workItem { ref } } }"


async def recent(client: HttpClient, **variables) -> list[str]:
    return [i["ref"] for i in (await client.data(RECENT, variables))["recentWorkItems"]]


async def test_opened_items_latest_first_each_once(signed_in):
    jane = await signed_in("jane@example.com")
    assert await recent(jane) == []
    for ref in ("T-1002", "T-1003", "T-1002", "C-1001"):
        await jane.data(OPEN, {"ref": ref})
    assert await recent(jane) == ["C-1001", "T-1002", "T-1003"]
    assert await recent(jane, first=2) == ["C-1001", "T-1002"]
    assert await recent(await signed_in("lena@example.com")) == []
    await jane.error(OPEN, {"ref": "T-1008"})  # out of scope: not found, and not recorded
    assert "T-1008" not in await recent(jane)


async def test_only_the_last_ones_are_kept(signed_in, monkeypatch):
    from server.domain.search import recent as recent_items

    monkeypatch.setattr(recent_items, "KEPT", 3)  # 50 in production; 3 here to keep the test short
    jane = await signed_in("jane@example.com")
    user = await User.get(email="jane@example.com")
    opened = ["T-1002", "T-1003", "T-1004", "C-1001", "A-1001"]
    for ref in opened:
        await jane.data(OPEN, {"ref": ref})
    assert await RecentWorkItem.filter(user_id=user.id).count() == 3
    assert await recent(jane) == opened[:1:-1]


async def test_an_item_i_lost_access_to_disappears(signed_in):
    karina = await signed_in("karina@example.com")
    admin = await signed_in("admin@example.com")
    karina_id = (await karina.data("{ viewer { id } }"))["viewer"]["id"]
    await admin.data(ASSIGN, {"ref": "T-1002", "user": karina_id})
    await karina.data(OPEN, {"ref": "T-1002"})
    assert await recent(karina) == ["T-1002"]
    await admin.data(ASSIGN, {"ref": "T-1002", "user": None})
    assert await recent(karina) == []


async def test_only_employees_have_recent_items(signed_in):
    bob = await signed_in("bob@client.example")
    assert (await bob.error(RECENT))["extensions"]["code"] == "FORBIDDEN"
