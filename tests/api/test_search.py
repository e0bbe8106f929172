"""Quick find (SPEC §8): by reference, title words (stop words ignored), contact email and custom
data values, within what the viewer may see, the reference match first. The same cases run on
SQLite and PostgreSQL (SWITCHBOARD_TEST_BACKEND)."""

from __future__ import annotations

from typing import Any

from tests.api.test_lists import CREATE, ids
from tests.support.client import HttpClient

SEARCH = """query($text: String!, $first: Int! = 100, $after: String) {
  search(text: $text, first: $first, after: $after) { edges { cursor node { ref title } } pageInfo { hasNextPage endCursor } }
}"""


async def found(client: HttpClient, text: str, **variables: Any) -> list[str]:
    data = await client.data(SEARCH, {"text": text, **variables})
    return [e["node"]["ref"] for e in data["search"]["edges"]]


async def draft(client: HttpClient, title: str, custom: dict[str, Any] | None = None) -> str:
    known = await ids()
    fields: dict[str, Any] = {"title": title, "requesterId": known["bob"], "primaryContactId": known["bob"]}
    if custom is not None:
        fields["customData"] = custom
    return (await client.data(CREATE, {"input": fields}))["createWorkItem"]["ref"]


async def test_a_reference_is_found_as_typed_and_comes_first(signed_in):
    jane = await signed_in("jane@example.com")
    mentions = await draft(jane, "Follow-up of T-1003")
    for text in ("T-1003", "t-1003", "t1003", " T1003 "):
        result = await found(jane, text)
        assert result[0] == "T-1003", text
    assert mentions in await found(jane, "T-1003")  # "t" and "1003" are title words too


async def test_title_words_all_match_and_stop_words_are_ignored(signed_in):
    jane = await signed_in("jane@example.com")
    invoice = await draft(jane, "Missing invoice for March")
    other = await draft(jane, "Invoice paid twice")
    assert set(await found(jane, "invoice")) >= {invoice, other}
    assert await found(jane, "the missing invoice of March") == [invoice]  # the, of: stop words (English)
    assert await found(jane, "brakująca faktura dla marca") == []
    polish = await draft(jane, "Brakująca faktura za marzec")
    assert await found(jane, "faktura za marzec") == [polish]  # "za" ignored (Polish)
    french = await draft(jane, "Facture manquante")
    assert await found(jane, "la facture") == [french]
    russian = await draft(jane, "Счёт за март")
    assert await found(jane, "и Счёт") == [russian]  # "и" ignored (Russian)
    assert await found(jane, "the of and") == []  # only stop words: nothing by title


async def test_contact_email_and_custom_data_values(signed_in):
    jane = await signed_in("jane@example.com")
    custom = await draft(jane, "With custom data", {"poNumber": "PO-77812", "amount": 4120})
    assert await found(jane, "po-77812") == [custom]
    assert await found(jane, "77812") == [custom]
    assert custom in await found(jane, "4120")
    by_email = await found(jane, "BOB@client.example")
    assert custom in by_email and len(by_email) > 1  # bob is the requester of demo items too
    assert await found(jane, "nobody@client.example") == []


async def test_only_visible_items_are_found(signed_in):
    jane = await signed_in("jane@example.com")
    karina = await signed_in("karina@example.com")
    hidden = await draft(karina, "Zxqv secret payroll")
    assert await found(karina, "zxqv") == [hidden]
    assert await found(jane, "zxqv") == []
    assert await found(jane, hidden) == []  # out of scope answers like missing: no match


async def test_pages_follow_each_other_without_gaps(signed_in):
    jane = await signed_in("jane@example.com")
    made = [await draft(jane, f"Quarterly report {i}") for i in range(5)]
    lead = await draft(jane, "Lead item")
    # the reference match leads, then the word matches newest first
    text = lead
    await jane.data("mutation($r: String!, $i: WorkItemFieldsInput!) { updateWorkItem(ref: $r, input: $i) { ref } }",
                    {"r": lead, "i": {"title": f"Quarterly report lead {lead}"}})
    seen: list[str] = []
    after = None
    while True:
        data = (await jane.data(SEARCH, {"text": "quarterly report", "first": 2, "after": after}))["search"]
        seen += [e["node"]["ref"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == [lead] + made[::-1]
    seen, after = [], None
    while True:
        data = (await jane.data(SEARCH, {"text": text, "first": 1, "after": after}))["search"]
        seen += [e["node"]["ref"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen[0] == lead and len(seen) == len(set(seen))


async def test_text_longer_than_the_maximum_is_refused(signed_in):
    jane = await signed_in("jane@example.com")
    error = await jane.error(SEARCH, {"text": "x" * 501})
    assert error["extensions"]["code"] == "VALIDATION"


UPDATE = "mutation($r: String!, $i: WorkItemFieldsInput!) { updateWorkItem(ref: $r, input: $i) { ref } }"


async def test_words_match_their_beginnings_without_case_or_diacritics(signed_in):
    jane = await signed_in("jane@example.com")
    polish = await draft(jane, "Brakująca faktura ŻÓŁW")
    russian = await draft(jane, "Счёт-фактура")
    assert await found(jane, "brakujaca fakt") == [polish]  # typed without diacritics, the last word begun
    assert await found(jane, "BRAKUJĄCA żółw") == [polish]
    assert await found(jane, "счет") == [russian]  # ё as е
    assert await found(jane, "фактура") == [russian]  # a hyphen separates words
    assert await found(jane, "rakujaca") == []  # a word's beginning, not any part of it


async def test_a_changed_title_and_changed_custom_data_are_found_by_their_new_words(signed_in):
    jane = await signed_in("jane@example.com")
    ref = await draft(jane, "Xylophone repair", {"serial": "QZ-1185"})
    assert await found(jane, "xylophone") == [ref]
    await jane.data(UPDATE, {"r": ref, "i": {"title": "Marimba repair", "customData": {"serial": "WV-2290"}}})
    assert await found(jane, "xylophone") == [] and await found(jane, "qz") == []
    assert await found(jane, "marimba repair") == [ref]
    assert await found(jane, "wv 2290") == [ref]


async def test_what_a_user_types_is_never_query_syntax(signed_in):
    jane = await signed_in("jane@example.com")
    ref = await draft(jane, "Quota AND NOT near")
    for text in ('"quota', "quota*", "quota AND", "NOT quota", "NEAR(quota near)", "quota:*", "quota & !near",
                 "quota' OR '", "quota)", "-quota", "^quota", "quota \\"):
        assert await found(jane, text) == [ref], text
    assert await found(jane, "*") == [] and await found(jane, "'") == [] and await found(jane, '""') == []
