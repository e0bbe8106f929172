"""SQL statements per screen are pinned: a relation resolved per row (N+1) fails here."""

from __future__ import annotations

from tests.support.queries import recorded_queries

LIST = """{ workItems(first: 100) { edges { node {
  ref title status priority dueAt department { name } team { name } queue { name }
  assignee { name } owner { name } requester { email } primaryContact { email } company { name } category { name }
} } } }"""


async def test_a_page_of_work_items_costs_a_fixed_number_of_queries(signed_in):
    admin = await signed_in("admin@example.com")
    with recorded_queries() as statements:
        data = await admin.data(LIST)
    assert len(data["workItems"]["edges"]) == 15
    # viewer (user + scope), the page, then one batch per related kind
    # (department, team, queue, users, contacts, company, category)
    assert len(statements) == 2 + 1 + 7, "\n".join(statements)


async def test_validation_is_cached_across_requests(signed_in):
    from strawberry.extensions.validation_cache import _get_validate_cache

    from server.schema import VALIDATION_CACHE_SIZE

    cache = _get_validate_cache(VALIDATION_CACHE_SIZE)
    jane = await signed_in("jane@example.com")
    query = '{ workItem(ref: "T-1002") { ref } }'
    await jane.data(query)
    hits = cache.cache_info().hits
    for _ in range(3):
        await jane.data(query)
    assert cache.cache_info().hits == hits + 3
