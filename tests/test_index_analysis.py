"""Index-time analysis in bulk (searchsvc/index_analysis.py) gives exactly what the analyzers
give, on any Unicode text: the same tokens, lowercased alike, the same stems at the same
positions, the same distinct words; also when its tables start over or threads share them."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.analysis.tokenizers import default_pattern
from whoosh.formats import Positions

from searchsvc import index_analysis
from searchsvc.index_analysis import TOKEN, distinct_words, lowercase_tokens
from searchsvc.store import FUNCTION_WORDS, TITLE_BOOST, build_schema, index_words, text_analyzer, word_analyzer

ANALYZER, WORD_ANALYZER = text_analyzer(), word_analyzer()
LOWERCASE_TOKENS = RegexTokenizer() | LowercaseFilter()
SCHEMA = build_schema()

# Case traps: Greek capital sigma (final or not, also across a dot), Turkish dotted and dotless
# I, German sharp s, ligatures, title-case digraphs, letters whose lowercase is longer; numbers
# with dots and commas, abbreviations, apostrophes, stop words, one-letter words, wildcards.
TRAPS = [
    "ΟΔΥΣΣΕΥΣ", "ΣΑΣ", "Σ", "ΑΣ.", "Α.Σ.Α", "σ", "ς", "İstanbul", "İ", "I", "ı", "DİYARBAKIR", "Straße", "STRASSE",
    "ẞ", "ß", "ﬁnance", "ﬀ", "ǅemal", "ǈ", "ΐ", "K", "Å", "16.25", "1,000.50", "U.S.", "e.g", "don't", "don’t",
    "'tis", "the", "THE", "a", "I", "x", "co-op", "a*b", "*", "日本語", "naïve", "Ϊ", "ﬃ", "ŉ", "İİ",
]
SEPARATORS = [" ", "\n", ". ", ", ", "-", "'", "’", "—", ".", "..", "\u00ad", "\u0307", "\t", "*"]
word = st.one_of(st.sampled_from(TRAPS), st.text(st.characters(exclude_categories=()), max_size=4))
texts = st.lists(st.tuples(word, st.sampled_from(SEPARATORS)), max_size=40).map(lambda pairs: "".join(w + s for w, s in pairs))


def analyzer_words(text: str) -> list[tuple[int, str]]:
    return [(token.pos, token.text) for token in ANALYZER(text, positions=True)]


def test_the_ascii_pattern_is_built_on_whooshs() -> None:
    """The ASCII regex restates Whoosh's token pattern: fails if Whoosh changes it."""
    assert default_pattern.pattern == r"[\w\*]+(\.?[\w\*]+)*"


def test_no_character_lowercases_to_a_newline() -> None:
    """Why the tokens of a non-ASCII text may be lowercased joined by "\\n" and split again."""
    assert [code for code in range(sys.maxunicode + 1) if "\n" in chr(code).lower()] == [ord("\n")]


@settings(max_examples=400, deadline=None)
@given(texts)
def test_tokens_are_lowercased_as_the_analyzer_does(text: str) -> None:
    assert lowercase_tokens(text) == [token.text for token in LOWERCASE_TOKENS(text)]


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(max_codepoint=127), max_size=200))
def test_ascii_text_is_tokenized_as_the_analyzer_does(text: str) -> None:
    assert lowercase_tokens(text) == [token.lower() for token in TOKEN.findall(text)]


@settings(max_examples=400, deadline=None)
@given(texts)
def test_stems_and_positions_are_the_analyzers(text: str) -> None:
    assert index_words(text) == analyzer_words(text)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_text_field_postings_are_whooshs(text: str) -> None:
    for name, boost in (("body", 1.0), ("title", TITLE_BOOST)):
        ours = SCHEMA[name].format.word_values(text, ANALYZER)
        assert sorted(ours) == sorted(Positions(field_boost=boost).word_values(text, ANALYZER))


def _analyzers_distinct_words(text: str) -> set[str]:
    """The ``words`` field as first defined: the word analyzer's words, less numbers and function words."""
    return {token.text for token in WORD_ANALYZER(text) if token.text[0].isalpha() and token.text not in FUNCTION_WORDS}


@settings(max_examples=300, deadline=None)
@given(title=texts, body=texts)
def test_distinct_words_of_title_and_body_are_the_word_analyzers(title: str, body: str) -> None:
    """As a document is analyzed (body, title, then words = title + "\\n" + body, reusing both),
    and alone (nothing to reuse)."""
    joined, fmt = title + "\n" + body, SCHEMA["words"].format
    expected = _analyzers_distinct_words(joined)
    SCHEMA["body"].format.bulk_postings(body)
    SCHEMA["title"].format.bulk_postings(title)
    assert index_analysis._RECENT.joined(joined) is not None  # the reuse is what is tested here
    words, frequencies, weights, values = fmt.bulk_postings(joined)
    assert sorted(words) == sorted(expected) and len(set(words)) == len(words)
    assert frequencies == [1] * len(words) and weights == [1.0] * len(words) and values == [b""] * len(words)
    index_analysis._RECENT.remember("unrelated", frozenset())
    index_analysis._RECENT.remember("text", frozenset())
    assert index_analysis._RECENT.joined(joined) is None
    assert sorted(fmt.bulk_postings(joined)[0]) == sorted(expected)


def test_joined_texts_are_recognized_only_when_exactly_joined_by_a_newline() -> None:
    index_analysis._RECENT.remember("Oil", frozenset(["oil"]))
    index_analysis._RECENT.remember("prices rise", frozenset(["prices", "rise"]))
    assert index_analysis._RECENT.joined("Oil\nprices rise") == {"oil", "prices", "rise"}
    assert index_analysis._RECENT.joined("prices rise\nOil") == {"oil", "prices", "rise"}
    for other in ["Oil prices rise", "Oil\nprices rises", "Oilprices rise", "Oil\nprices ris", "Oil\n\nprices rise", "Oil\n"]:
        assert index_analysis._RECENT.joined(other) is None, other
        assert distinct_words(other) == {token.text for token in LOWERCASE_TOKENS(other)}


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8))
def test_a_full_stem_table_starts_over_without_changing_anything(batch: list[str]) -> None:
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(index_analysis, "STEM_CACHE_WORDS", 12)
        patched.setattr(index_analysis, "_STEMS", index_analysis._StemTable())
        bound = 12  # a text with more distinct words starts a table holding just them
        for text in batch:
            assert index_words(text) == analyzer_words(text)
            bound = max(bound, len(set(lowercase_tokens(text))))
            assert len(index_analysis._STEMS.stems) <= bound


def test_threads_sharing_the_tables_get_the_analyzers_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """Live writes analyze in several threads: the tables are replaced, never emptied under a reader."""
    monkeypatch.setattr(index_analysis, "STEM_CACHE_WORDS", 40)
    documents = [" ".join(TRAPS[i:] + TRAPS[:i]) + f" running{i} runs{i % 7} bridges{i % 3}" for i in range(len(TRAPS))] * 6
    expected = [analyzer_words(text) for text in documents]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(index_words, documents)) == expected
