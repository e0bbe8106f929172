"""Following (SPEC §8): an employee's watch list — follow, unfollow, the list, within what they may
see. Runs on SQLite and PostgreSQL (SWITCHBOARD_TEST_BACKEND)."""

from __future__ import annotations

from tests.support.client import HttpClient

FOLLOW = "mutation($ref: String!) { followWorkItem(ref: $ref) { ref } }"
UNFOLLOW = "mutation($ref: String!) { unfollowWorkItem(ref: $ref) { ref } }"
FOLLOWED = """query($first: Int! = 100, $after: String) {
  followedWorkItems(first: $first, after: $after) { edges { node { ref } } pageInfo { hasNextPage endCursor } }
}"""
ASSIGN = "mutation($ref: String!, $user: ID) { assignWorkItem(ref: $ref, userId: $user) { workItem { ref } } }"


async def followed(client: HttpClient, **variables) -> list[str]:
    return [e["node"]["ref"] for e in (await client.data(FOLLOWED, variables))["followedWorkItems"]["edges"]]


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
