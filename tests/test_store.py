"""The index schema: bulk index-time analysis must write exactly what the analyzer would."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from whoosh.formats import Positions

from searchsvc.store import build_schema, text_analyzer

ANALYZER = text_analyzer()
BODY_FORMAT = build_schema()["body"].format
TEXTS = [
    "The U.S. Agriculture Department reported the farmer-owned reserve",
    "U.S. co-op e.g. a*b ÉCOLE Straße naïve x.y.z 1,000.50 don't İstanbul",
    "the a of", "", "...", "Kim Jong Un meets Shoigu; the bridges' bridging bridged",
]


def postings(fmt: Positions, text: str) -> list[tuple]:
    return sorted(fmt.word_values(text, ANALYZER))


def test_bulk_positions_equal_the_analyzers_on_tricky_text() -> None:
    for text in TEXTS:
        assert postings(BODY_FORMAT, text) == postings(Positions(field_boost=1.0), text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("abcdeéİß.*'- \nTHE0123") + ["the ", "of ", "U.S. "]), max_size=80).map("".join))
def test_bulk_positions_equal_the_analyzers_on_generated_text(text: str) -> None:
    assert postings(BODY_FORMAT, text) == postings(Positions(field_boost=1.0), text)
