"""Did you mean: the reader's query with its misspelled words replaced by the index's own words.

Only the query's plain words are looked at (not negated words, prefixes or field values),
in place in the text the reader typed, so operators, quotes and fields stay as they were.
A word is replaced when the vocabulary (search/vocabulary.py) does not have it, or when a
word one edit away is used by twenty times as many articles (typos get into articles
too: Reuters has "meetng" and "goverment"). The replacement is the nearest word, the most
common among equals, in the reader's capitalization. Whether the corrected query finds
more than the original is the caller's decision.
"""

from __future__ import annotations

import re
from html import escape

from whoosh import query as wq

from searchsvc.search.model import Suggestion
from searchsvc.search.query import positive_part
from searchsvc.search.vocabulary import Vocabulary, styled_like
from searchsvc.store import FUNCTION_WORDS

CORRECTED_FIELDS = ("title", "body")
_LETTERS = re.compile(r"[^\W\d_]{2,}")  # numbers, codes and single letters are not spelled
COMMONER = 20  # a known word gives way to one a letter away used this many times as often
MAX_WORDS = 6  # longer queries get no suggestion: each word costs milliseconds to check


def correct(text: str, parsed: wq.Query, vocabulary: Vocabulary) -> Suggestion | None:
    """The corrected query, or None when no word needs a change."""
    words = [
        letters
        for start, end in _word_spans(parsed)
        # A query word may hold more than one word ("<b>brige"): each run of letters counts.
        for letters in _LETTERS.finditer(text, start, end)
        if letters.group().lower() not in FUNCTION_WORDS  # real words the vocabulary leaves out
    ]
    if len(words) > MAX_WORDS:
        return None
    changes: dict[tuple[int, int], str] = {}
    for letters in words:
        better = _better_word(letters.group().lower(), vocabulary)
        if better is not None:
            changes[letters.span()] = styled_like(letters.group(), better)
    if not changes:
        return None
    plain, marked, at = [], [], 0
    for (start, end), word in sorted(changes.items()):
        plain += [text[at:start], word]
        marked += [escape(text[at:start], quote=False), "<mark>" + escape(word, quote=False) + "</mark>"]
        at = end
    plain.append(text[at:])
    marked.append(escape(text[at:], quote=False))
    return Suggestion(text="".join(plain), html="".join(marked))


def _better_word(word: str, vocabulary: Vocabulary) -> str | None:
    """The nearest, most used word for an unknown one; for a known one, a word a letter
    away used far more often (a typo that made it into a few articles), if any."""
    frequency = vocabulary.frequency(word)
    max_distance = 1 if frequency or len(word) <= 4 else 2
    candidates = [(distance, -vocabulary.frequency(found), found) for distance, found in vocabulary.near(word, max_distance)]
    if not candidates:
        return None
    _distance, minus_count, best = min(candidates)
    return best if -minus_count >= COMMONER * frequency else None


def _word_spans(parsed: wq.Query) -> list[tuple[int, int]]:
    """Where the query's positive plain words (and words of phrases) are in its text."""
    spans: set[tuple[int, int]] = set()
    for leaf in positive_part(parsed).leaves():
        if getattr(leaf, "fieldname", None) not in CORRECTED_FIELDS:
            continue
        if type(leaf) is wq.Term and getattr(leaf, "startchar", None) is not None:
            spans.add((leaf.startchar, leaf.endchar))
        elif isinstance(leaf, wq.Phrase) and leaf.char_ranges:
            spans.update(leaf.char_ranges)
    return sorted(spans)
