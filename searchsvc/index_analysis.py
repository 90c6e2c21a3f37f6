"""Index-time analysis in bulk: exactly what the text analyzer (store.text_analyzer: Whoosh's
tokenizer, lowercase, stop words and one-letter words dropped, Snowball stems) makes of a text,
with a few C calls per text instead of several Python calls per word.

A rebuild analyzes every title and body twice (stemmed positions for ``title`` and ``body``,
distinct words for ``words``), a fifth of its CPU time. The shortcuts, each checked against the
analyzers themselves by tests/test_index_analysis.py:

- Lowercase once per text. An ASCII text is lowercased before tokenizing (changing the case of
  ASCII letters changes no token boundary) and tokenized by an ASCII-only regex; any other text's
  tokens are joined by "\\n", lowercased at once and split again: Python lowercases each
  character alone except Greek capital sigma, whose look at its neighbours stops at a "\\n" as at
  the token's end, and no character lowercases to anything holding a "\\n".
- Each distinct word's stem (or that the word is dropped) comes from a per-process table of the
  words seen lately: a lookup per occurrence instead of a filter call, a lowercase call and a
  stemming call.
- The ``words`` field (title + "\\n" + body) reuses the distinct words of the title and body
  analyzed just before it (fields are analyzed in name order): no token spans a "\\n".
"""

from __future__ import annotations

import re

import Stemmer
from whoosh.analysis import STOP_WORDS
from whoosh.analysis.tokenizers import default_pattern

TOKEN = re.compile(default_pattern.pattern.replace("(", "(?:"), re.UNICODE)  # the same tokens, findall-friendly
# TOKEN for ASCII text, ~40% faster: ASCII classes, and possessive runs that give back nothing
# (a run of token characters is never split, so the optional dot between runs is a plain one).
_ASCII_TOKEN = re.compile(r"[\w*]++(?:\.[\w*]++)*+", re.ASCII)
STEMMER = Stemmer.Stemmer("english")
# Words whose stems are remembered per process (as the analyzer's own cachesize): ~12 MB when full.
STEM_CACHE_WORDS = 100_000


def is_kept(word: str) -> bool:
    """Whether the analyzer's StopFilter keeps a lowercased token."""
    return len(word) >= 2 and word not in STOP_WORDS


def lowercase_tokens(text: str) -> list[str]:
    """The analyzer's tokens of ``text``, lowercased, in order."""
    if text.isascii():
        return _ASCII_TOKEN.findall(text.lower())
    tokens = TOKEN.findall(text)
    return "\n".join(tokens).lower().split("\n") if tokens else []


class _StemTable:
    """Each word's stem, or None for a word the analyzer drops, for the words seen lately.

    Replaced by an empty table when full rather than cleared: a thread still holding the
    old one finds every word it asked for in it.
    """

    def __init__(self) -> None:
        self.stems: dict[str, str | None] = {}

    def of(self, words: set[str]) -> dict[str, str | None]:
        """A table holding (at least) ``words``."""
        stems = self.stems
        missing = words.difference(stems)
        if missing:
            if len(stems) + len(missing) > STEM_CACHE_WORDS:
                stems = self.stems = {}
                missing = words
            kept = [word for word in missing if is_kept(word)]
            found: dict[str, str | None] = dict.fromkeys(missing)
            found.update(zip(kept, STEMMER.stemWords(kept)))
            stems.update(found)  # whole entries at once: no thread reads a kept word as dropped
        return stems


class _RecentTexts:
    """The distinct lowercased tokens of the last two texts analyzed (a tuple replaced whole,
    so threads see a consistent pair)."""

    def __init__(self) -> None:
        self.texts: tuple[tuple[str, frozenset[str]], ...] = ()

    def remember(self, text: str, words: frozenset[str]) -> None:
        self.texts = (*self.texts[-1:], (text, words))

    def joined(self, text: str) -> frozenset[str] | None:
        """The words of ``text`` if it is two remembered texts joined by a "\\n"."""
        texts = self.texts
        for head, head_words in texts:
            cut = len(head)
            for tail, tail_words in texts:
                if len(text) == cut + 1 + len(tail) and text[cut] == "\n" and text.startswith(head) and text.endswith(tail):
                    return head_words | tail_words
        return None


_STEMS = _StemTable()
_RECENT = _RecentTexts()


def kept_stems(text: str) -> tuple[int, list[str]]:
    """The stems the analyzer keeps of ``text``, in order, and the position of the first: as
    Whoosh's StopFilter renumbers them, the following ones count on from it."""
    words = lowercase_tokens(text)
    distinct = frozenset(words)
    _RECENT.remember(text, distinct)
    stems = list(map(_STEMS.of(distinct).__getitem__, words))
    kept = [stem for stem in stems if stem is not None]
    return (stems.index(kept[0]) if kept else 0), kept


def distinct_words(text: str) -> frozenset[str]:
    """The distinct lowercased tokens of ``text`` (as the analyzers tokenize and lowercase)."""
    words = _RECENT.joined(text)
    return frozenset(lowercase_tokens(text)) if words is None else words
