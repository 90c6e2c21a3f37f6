"""Completions while the reader types: the word being typed, completed with the index's words.

The last word of the text is the prefix; the completions are the vocabulary's words that
start with it (case-insensitive), most used first (document frequency), each put after
what was typed before it, in the capitalization typed ("Kim Jong U" → "Kim Jong Un").
Nothing is suggested while the text ends in a space or punctuation.
"""

from __future__ import annotations

import re

from searchsvc.search.vocabulary import Vocabulary, styled_like

MAX_SUGGESTIONS = 10
_LAST_WORD = re.compile(r"(\w+)$")


def completions(text: str, vocabulary: Vocabulary, limit: int = MAX_SUGGESTIONS) -> list[str]:
    found = _LAST_WORD.search(text)
    if found is None:
        return []
    before, typed = text[: found.start()].lstrip(), found.group(1)
    return [before + styled_like(typed, word) for word in vocabulary.completions(typed.lower(), limit)]
