"""Words quick find ignores in the text it is given (seed 000: "ignored search terms"), for the
languages the product's help is written in: English, Polish, French and Russian
(search/full_text.py compares them as it compares words: without case or diacritics). A search
made only of stop words matches nothing by its words (a reference or an email still can)."""

from __future__ import annotations

ENGLISH = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was were will with".split()
)
POLISH = frozenset("a i w z o na do od za po że się nie jest to ten ta te dla lub oraz przez przy jak".split())
FRENCH = frozenset("le la les un une des de du et ou en au aux à pour par sur avec dans est ce cette qui que".split())
RUSSIAN = frozenset("и в во на с со к ко по о об от до из за для не что это как или а но у же".split())
STOP_WORDS = ENGLISH | POLISH | FRENCH | RUSSIAN
