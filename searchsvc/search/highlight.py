"""HTML-safe highlighting: escaped article text with only ``<mark>`` added.

Whoosh's highlighter pieces find the best fragments: its fragmenter, fragment scorer and
ordering, over the tokens of the index's own analyzer, so stems match ("bridges" lights
up for "bridge"). The tokens are the analyzer's, made in bulk (a regex pass, and each distinct
word that could match analyzed once: the analyzer's filter chain cost most of a results page),
and the fragmenters read them from arrays; the formatter below
escapes every character of article text and adds nothing but ``<mark>``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator
from itertools import accumulate
from html import escape

from whoosh import highlight

from searchsvc.store import TOKEN, analyze_forms

SNIPPET_CHARS = 200
MAX_FRAGMENTS = 3
# Highlighting re-analyzes the text: bound the work per hit on very long bodies.
MAX_ANALYZED_CHARS = 20_000
_TOKEN_AND_GAPS = re.compile(f"({TOKEN.pattern})", TOKEN.flags)


class MarkFormatter(highlight.Formatter):
    """Escapes text and wraps matched words in a bare ``<mark>``."""

    between = " … "

    def _text(self, text: str) -> str:
        return escape(text, quote=False)

    def format_token(self, text: str, token, replace: bool = False) -> str:  # type: ignore[no-untyped-def]
        return "<mark>" + escape(highlight.get_text(text, token, replace), quote=False) + "</mark>"


class Highlighter:
    def __init__(self) -> None:
        self.formatter = MarkFormatter()
        self.snippet_fragmenter = SkippingContextFragmenter(
            maxchars=SNIPPET_CHARS // MAX_FRAGMENTS + 20, surround=30, charlimit=MAX_ANALYZED_CHARS
        )
        self.whole = WholeFragmenter(charlimit=MAX_ANALYZED_CHARS)

    def title(self, title: str, words: set[str]) -> str:
        if words:
            marked = _highlight(title, words, self.whole, self.formatter, top=1)
            if marked:
                return marked
        return escape(title, quote=False)

    def snippet(self, body: str, words: set[str]) -> str:
        """The best fragments holding the query's words, else the start of the body."""
        if words:
            marked = _highlight(body[:MAX_ANALYZED_CHARS], words, self.snippet_fragmenter, self.formatter, top=MAX_FRAGMENTS)
            if marked:
                return " ".join(marked.split())
        return escape(opening(body, SNIPPET_CHARS), quote=False)


class _Token:
    """What Whoosh's fragments, scorers and formatters read of an analyzer's token (Token
    keeps its attributes in a dict: creating one per word cost more than the rest)."""

    __slots__ = ("text", "startchar", "endchar", "matched", "boost")

    def __init__(self, text: str, startchar: int, endchar: int, matched: bool) -> None:
        self.text = text
        self.startchar = startchar
        self.endchar = endchar
        self.matched = matched
        self.boost = 1.0

    def copy(self) -> "_Token":
        return _Token(self.text, self.startchar, self.endchar, self.matched)


def _highlight(text: str, words: set[str], fragmenter: SkippingContextFragmenter | WholeFragmenter, formatter: highlight.Formatter, top: int) -> str:
    """``whoosh.highlight.highlight(text, words, analyzer, fragmenter, formatter, top, order=FIRST)``,
    the same fragments from the same tokens, made in bulk."""
    fragments = fragmenter.fragments(text, *_marked_spans(text, words))
    return formatter(text, highlight.top_fragments(fragments, top, highlight.BasicFragmentScorer(), highlight.FIRST, 1))


def _marked_spans(text: str, words: set[str]) -> tuple[list[int], list[int], list[str | None]]:
    """Start and end of every token, and the analyzed word of those matching ``words`` (None
    for the others). Each distinct word is analyzed once.

    One regex split gives the tokens and the text between them; their running lengths give
    the offsets, all in C (a match object per token cost more than the rest of the snippet).
    """
    pieces = _TOKEN_AND_GAPS.split(text)  # gap, token, gap, token, ..., gap
    found = pieces[1::2]
    bounds = list(accumulate(map(len, pieces)))
    # Stemming keeps a word's first letter (checked over Reuters' 71,038 word forms): only
    # the forms sharing one with a query word can match it.
    initials = {word[:1] for word in words}
    forms = set(found)
    firsts = {first for first in {form[:1] for form in forms} if first.lower()[:1] in initials}
    candidates = [form for form in forms if form[:1] in firsts]
    analyzed = {form: word for form, word in analyze_forms(candidates).items() if word in words}
    return bounds[0:-1:2], bounds[1::2], list(map(analyzed.get, found))


class WholeFragmenter(highlight.WholeFragmenter):
    """Whoosh's whole-text fragmenter (for titles), reading tokens from arrays like
    :class:`SkippingContextFragmenter`."""

    def fragments(self, text: str, starts: list[int], ends: list[int], marks: list[str | None]) -> list[highlight.Fragment]:
        charlimit = self.charlimit
        # Whoosh stops at the first token ending past the limit; token ends only grow.
        matches = [_Token(mark, start, end, True) for start, end, mark in zip(starts, ends, marks) if mark is not None and not (charlimit and end > charlimit)]
        return [highlight.Fragment(text, matches)]


class SkippingContextFragmenter(highlight.ContextFragmenter):
    """Whoosh's ContextFragmenter, reading tokens from arrays and skipping the stretches
    between fragments that cannot change its result.

    Between fragments it only keeps the start of the tokens within ``surround`` characters
    of the latest one (where a fragment would open), so the tokens before the one ahead of
    the next match, less ``surround``, are passed over unread. Everywhere else the loop is
    Whoosh's own; a test compares the two on Reuters.
    """

    def fragments(self, text: str, starts: list[int], ends: list[int], marks: list[str | None]) -> Iterator[highlight.Fragment]:
        maxchars, surround, charlimit = self.maxchars, self.surround, self.charlimit
        matched_at = [i for i, mark in enumerate(marks) if mark is not None]
        first: int | None = None
        firsts: deque[int] = deque()
        countdown = -1
        tks: list[_Token] = []
        endchar = None
        currentlen = 0
        i, count = 0, len(starts)
        while i < count:
            if countdown < 0 and marks[i] is None:
                upcoming = bisect_left(matched_at, i)
                if upcoming == len(matched_at):
                    break  # nothing left to open a fragment
                ahead = matched_at[upcoming]
                if ahead > i:
                    # The window the deque holds when the previous token is read.
                    skip_to = bisect_left(starts, ends[ahead - 1] - surround, i, ahead)
                    if skip_to > i:
                        i, firsts = skip_to, deque()
            startchar, endchar = starts[i], ends[i]
            tlength = endchar - startchar
            if charlimit and endchar > charlimit:
                break
            mark = marks[i]
            if countdown < 0 and mark is None:
                firsts.append(startchar)
                while firsts and endchar - firsts[0] > surround:
                    firsts.popleft()
            elif currentlen + tlength > maxchars:
                countdown = 0
            elif mark is not None:
                countdown = surround
                if first is None:
                    if firsts:
                        first = firsts[0]
                    else:
                        first = startchar
                        countdown += surround
                tks.append(_Token(mark, startchar, endchar, True))
            if countdown >= 0:
                currentlen += tlength
                countdown -= tlength
                if countdown <= 0:
                    yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)
                    tks = []
                    firsts = deque()
                    first = None
                    currentlen = 0
            i += 1
        if tks:
            yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)


def opening(text: str, limit: int) -> str:
    """The start of ``text``, cut at a word boundary, with an ellipsis when cut."""
    text = " ".join(text[: limit * 2].split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:.") + " …"
