"""The index's own words, unstemmed, with how many articles use each: for completions and corrections.

The ``words`` field (searchsvc/store.py) indexes the distinct words of each article's
title and body as written (lowercase, no stemming), so its term list is a vocabulary a
reader can read, and each term's document frequency says how common the word is.

Reading a term list costs about half a second per 40,000 words in Whoosh (milliseconds from
a segment's posting arrays, searchsvc/posting_arrays.py), so a
:class:`Vocabulary` is built once per version of the index (a live write adds a small
segment: only that segment is read again) and then answers from a sorted Python list
(binary search) and a numpy array of frequencies: microseconds per prefix.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterator

import numpy as np
from whoosh.automata.fsa import find_all_matches
from whoosh.automata.lev import levenshtein_automaton
from whoosh.reading import IndexReader

from searchsvc.posting_arrays import SegmentPostings
from searchsvc.search.cache import LruCache

WORDS_FIELD = "words"
_SEGMENTS_KEPT = 64
_VERSIONS_KEPT = 4


class Vocabulary:
    """Sorted words and their document frequencies."""

    def __init__(self, words: list[str], frequencies: np.ndarray) -> None:
        self.words = words  # sorted
        self.frequencies = frequencies  # int64, aligned with words
        self._known: frozenset[str] | None = None  # the words as a set, and the characters they use, on first need
        self._characters: frozenset[str] = frozenset()

    def frequency(self, word: str) -> int:
        at = bisect_left(self.words, word)
        return int(self.frequencies[at]) if at < len(self.words) and self.words[at] == word else 0

    def completions(self, prefix: str, limit: int) -> list[str]:
        """The ``limit`` most frequent words starting with ``prefix``, most frequent first
        (ties alphabetical)."""
        start = bisect_left(self.words, prefix)
        end = bisect_left(self.words, prefix + "\U0010ffff", start)
        if start == end:
            return []
        counts = self.frequencies[start:end]
        if counts.size > limit:
            best = np.argpartition(-counts, limit - 1)[:limit]
        else:
            best = np.arange(counts.size)
        ranked = sorted(best.tolist(), key=lambda i: (-counts[i], i))  # i ascending = alphabetical
        return [self.words[start + i] for i in ranked]

    def near(self, word: str, max_distance: int) -> Iterator[tuple[int, str]]:
        """(edit distance, word) for the vocabulary's words within ``max_distance`` of ``word``,
        sharing its first letter (misspellings rarely change it, and it keeps this fast).

        The words one edit away are looked up directly (every deletion, substitution and
        insertion after the first letter, with the characters the vocabulary uses: well
        under a millisecond); those two away are found by Whoosh's Levenshtein automaton
        walking the sorted list by binary search, as its ``ListCorrector`` does (about 10 ms).
        """
        seen = {word}
        for found in sorted(self._one_edit_away(word)):  # the automaton's order
            seen.add(found)
            yield 1, found
        if max_distance >= 2:
            automaton = levenshtein_automaton(word, 2, prefix=1).to_dfa()
            for found in find_all_matches(automaton, self._first_at_or_after):
                if found not in seen:
                    seen.add(found)
                    yield 2, found

    def _one_edit_away(self, word: str) -> set[str]:
        if self._known is None:
            self._known = frozenset(self.words)
            self._characters = frozenset("".join(self.words))
        first, rest = word[:1], word[1:]
        splits = [(rest[:i], rest[i:]) for i in range(len(rest) + 1)]
        edits = {head + tail[1:] for head, tail in splits if tail}
        edits |= {head + character + tail[1:] for head, tail in splits if tail for character in self._characters}
        edits |= {head + character + tail for head, tail in splits for character in self._characters}
        return {first + edit for edit in edits if first + edit in self._known} - {word}

    def _first_at_or_after(self, text: str) -> str | None:
        at = bisect_left(self.words, text)
        return self.words[at] if at < len(self.words) else None


def _segment_words(leaf: IndexReader) -> tuple[np.ndarray, np.ndarray]:
    """A segment's words and document frequencies: from its posting arrays when it has them
    (milliseconds), else from Whoosh's term list (about half a second per 40,000 words)."""
    arrays = SegmentPostings.of(leaf)
    listed = arrays.words(WORDS_FIELD) if arrays is not None else None
    if listed is not None:
        words, frequencies = listed
        return np.array(words, dtype=str), frequencies.astype(np.int64)
    # An index built before the field existed has no words: no suggestions, no errors.
    terms = leaf.iter_field(WORDS_FIELD) if WORDS_FIELD in leaf.schema else ()
    pairs = [(term.decode("utf-8"), info.doc_frequency()) for term, info in terms]
    return np.array([w for w, _ in pairs], dtype=str), np.array([n for _, n in pairs], dtype=np.int64)


def styled_like(typed: str, word: str) -> str:
    """A vocabulary word (lowercase) in the capitalization the reader typed: Word, WORD or word."""
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class VocabularyCache:
    """One :class:`Vocabulary` per index version, from per-segment word lists (shared by threads)."""

    def __init__(self) -> None:
        self._segments: LruCache[tuple[np.ndarray, np.ndarray]] = LruCache(_SEGMENTS_KEPT)
        self._versions: LruCache[Vocabulary] = LruCache(_VERSIONS_KEPT)
        self._lock = threading.Lock()  # one thread builds a new version's vocabulary, the others wait for it

    def vocabulary(self, reader: IndexReader, version: object) -> Vocabulary:
        """The vocabulary of ``reader``; ``version`` changes whenever the index does."""
        with self._lock:
            return self._versions.get_or_load(version, lambda: self._build(reader))

    def _build(self, reader: IndexReader) -> Vocabulary:
        parts = [
            self._segments.get_or_load(leaf.segment().segment_id(), lambda leaf=leaf: _segment_words(leaf))
            for leaf, _offset in reader.leaf_readers()
        ]
        words = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=str)
        counts = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
        unique, where = np.unique(words, return_inverse=True)  # segments share words: add up
        return Vocabulary(unique.tolist(), np.bincount(where, weights=counts, minlength=unique.size).astype(np.int64))
