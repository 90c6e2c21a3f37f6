"""Near-duplicate bands computed for many articles at once (near_duplicates.band_values_of_many)
are exactly what datasketch's MinHash gives article by article: old indexes and live writes
compare with them."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import example, given, settings
from hypothesis import strategies as st

from searchsvc import near_duplicates
from searchsvc.articles import load_article
from searchsvc.near_duplicates import BAND_FIELDS, NO_BAND, band_values, band_values_of_many, shingles
from searchsvc.store import article_fields, articles_fields

WORD = re.compile(r"\w+")


def reference_shingles(text: str) -> set[bytes]:
    """The word 3-shingles as they were first computed: each word lowercased on its own."""
    words = [token.lower() for token in WORD.findall(text)]
    if len(words) < 3:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + 3]).encode("utf-8") for i in range(len(words) - 2)}


def reference_bands(title: str, body: str) -> dict[str, int]:
    """An article's bands computed the way indexes were first written: datasketch's MinHash
    of the shingle set, cut to 16-bit values packed four to a band."""
    found = reference_shingles(title + "\n" + body)
    if not found:
        return {}
    signature = MinHash(num_perm=64, seed=1, scheme="affine32")
    signature.update_batch(list(found))
    packed = np.minimum((signature.hashvalues & 0xFFFF).astype("<u2").view("<u8"), NO_BAND - 1)
    return dict(zip(BAND_FIELDS, packed.tolist()))


# Letters whose lowercase depends on context or changes length, combining marks (not \w),
# modifier letters (\w and case-ignorable), apostrophes, digits, spaces and line breaks.
TRICKY = "ΣσςΑΟΔİIıiẞßǅʰ\u0307\u0345'’-_ 0123456789\n\t"
tricky_text = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=60)
VOCABULARY = ["the", "bank", "said", "rate", "1987", "16.25", "ΟΔΟΣ", "İstanbul", "Straße"]
words_text = st.lists(st.sampled_from(VOCABULARY) | st.integers().map(str) | st.text(max_size=8), max_size=40).map(" ".join)
article_text = st.sampled_from(["", "one", "two words", "the the the the"]) | tricky_text | words_text


@given(article_text)
@example("ΟΔΟΣ'Α ΟΔΟΣ")  # a final sigma before an apostrophe: not final within the whole text
@example("İSTANBUL İzmir")  # İ lowercases to i + a combining dot, which \w does not match
@example("ǅemal ʰΣ x")
@settings(max_examples=400, deadline=None)
def test_shingles_equal_lowercasing_each_word(text: str) -> None:
    assert set(shingles(text)) == reference_shingles(text)


@given(
    st.lists(st.tuples(article_text, article_text), max_size=12),
    st.sampled_from([1, 2, 5, near_duplicates._BLOCK_SHINGLES]),  # articles spanning blocks
)
@settings(max_examples=200, deadline=None)
def test_a_batch_equals_datasketch_article_by_article(articles: list[tuple[str, str]], block: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(near_duplicates, "_BLOCK_SHINGLES", block)
        found = band_values_of_many(articles)
    assert found == [reference_bands(title, body) for title, body in articles]


@given(article_text, article_text)
@settings(max_examples=100, deadline=None)
def test_one_article_is_a_batch_of_one(title: str, body: str) -> None:
    assert band_values(title, body) == reference_bands(title, body)


def test_reuters_in_chunks_equals_datasketch(reuters_records: list[dict[str, Any]]) -> None:
    sample = [(record["title"], record["body"]) for record in reuters_records[::7]]
    found = [bands for start in range(0, len(sample), 500) for bands in band_values_of_many(sample[start : start + 500])]
    expected = [reference_bands(title, body) for title, body in sample]
    assert found == expected
    assert sum(1 for bands in found if bands) > 0.9 * len(sample)


def test_the_fields_of_a_chunk_are_those_of_each_article() -> None:
    articles = [
        load_article({"id": f"a{n}", "title": title, "body": body, "section": "city"})
        for n, (title, body) in enumerate([("Harbor", "The harbor bridge opened."), ("…", "..."), ("Two words", "-"), ("Harbor", "The harbor bridge opened.")])
    ]
    chunk = articles_fields(articles)
    assert chunk == [article_fields(article) for article in articles]
    assert chunk[0][BAND_FIELDS[0]] == chunk[3][BAND_FIELDS[0]] and BAND_FIELDS[0] not in chunk[1]
