"""HTML-safe highlighting: escaped article text with only ``<mark>`` added.

Whoosh's highlighter pieces find the best fragments: its fragmenter, fragment scorer and
ordering, over the tokens of the index's own analyzer, so stems match ("bridges" lights
up for "bridge"). Only the tokens that can matter are made: the ones that could match a
query word (each distinct form analyzed once: the analyzer's filter chain cost most of a
results page) and the ones near those; a long body is not tokenized end to end. The
formatter below escapes every character of article text and adds nothing but ``<mark>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import lru_cache
from html import escape

from whoosh import highlight

from searchsvc.index_analysis import TOKEN
from searchsvc.store import analyze_forms

SNIPPET_CHARS = 200
MIN_SNIPPET_CHARS, MAX_SNIPPET_CHARS = 50, 1_000  # the bounds of a request's snippet_length
MAX_FRAGMENTS = 3
# Highlighting re-analyzes the text: bound the work per hit on very long bodies.
MAX_ANALYZED_CHARS = 20_000


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
        self.snippet_fragmenter = _fragmenter(SNIPPET_CHARS)
        self._fragmenters = {SNIPPET_CHARS: self.snippet_fragmenter}  # by snippet length

    def title(self, title: str, words: set[str]) -> str:
        """The whole title, its query words marked: Whoosh's whole-text fragment, formatted
        by our formatter (one fragment: nothing to score or choose)."""
        # Whoosh's WholeFragmenter stops at the first token ending past its limit; ends only grow.
        marked = [_Token(word, start, end, True) for start, end, word in _matched_tokens(title, words) if end <= MAX_ANALYZED_CHARS]
        return self.formatter.format_fragment(highlight.Fragment(title, marked)) if marked else escape(title, quote=False)

    def snippet(self, body: str, words: set[str], length: int = SNIPPET_CHARS) -> str:
        """The best fragments holding the query's words, else the start of the body; about
        ``length`` characters of text either way."""
        if words:
            fragmenter = self._fragmenters.get(length) or self._fragmenters.setdefault(length, _fragmenter(length))
            marked = _highlight(body[:MAX_ANALYZED_CHARS], words, fragmenter, self.formatter, top=MAX_FRAGMENTS)
            if marked:
                return " ".join(marked.split())
        return escape(opening(body, length), quote=False)


def _fragmenter(length: int) -> SkippingContextFragmenter:
    """Fragments for snippets of about ``length`` characters: the context around each match
    scales with it (30 characters either side at the default 200)."""
    return SkippingContextFragmenter(maxchars=length // MAX_FRAGMENTS + 20, surround=max(5, 30 * length // SNIPPET_CHARS), charlimit=MAX_ANALYZED_CHARS)


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


def _highlight(text: str, words: set[str], fragmenter: SkippingContextFragmenter, formatter: highlight.Formatter, top: int) -> str:
    """``whoosh.highlight.highlight(text, words, analyzer, fragmenter, formatter, top, order=FIRST)``,
    the same fragments from the same tokens, reading only the tokens near the matches."""
    matched = _matched_tokens(text, words)
    if not matched:
        return ""  # what Whoosh gives: no fragment scores without a matched token
    fragments = fragmenter.fragments(text, matched)
    return formatter(text, highlight.top_fragments(fragments, top, highlight.BasicFragmentScorer(), highlight.FIRST, 1))


# The analyzer's tokens (store.TOKEN) are runs of these characters joined by single dots.
TOKEN_CHAR = r"[\w\*]"
# Placed after a token character: it starts a token (no token character, nor one and a dot, before it).
_STARTS_TOKEN = f"(?<!{TOKEN_CHAR}{TOKEN_CHAR})(?<!{TOKEN_CHAR}\\.{TOKEN_CHAR})"
_IN_TOKEN = re.compile(TOKEN_CHAR)
_TOKEN_START = re.compile(TOKEN_CHAR + _STARTS_TOKEN, TOKEN.flags)


def _matched_tokens(text: str, words: set[str]) -> list[tuple[int, int, str]]:
    """Start, end and analyzed word of each token of ``text`` whose analyzed word is in ``words``.

    Stemming keeps a word's first letter (checked over Reuters' 71,038 word forms), so only
    tokens starting with a query word's first letter, in either case, are analyzed: one regex
    finds where they start, the analyzer's pattern where they end; each distinct form is
    analyzed once. The rest of the text is not tokenized here.
    """
    initials = "".join(sorted({word[:1] for word in words if word}))
    if not initials:
        return []
    spans = [found.span() for found in _candidates(initials).finditer(text)]
    forms = [text[start:end] for start, end in spans]
    analyzed = {form: word for form, word in analyze_forms(forms).items() if word in words}
    return [(start, end, analyzed[form]) for (start, end), form in zip(spans, forms) if form in analyzed]


@lru_cache(maxsize=1024)
def _candidates(initials: str) -> re.Pattern[str]:
    """The tokens starting with one of ``initials``, in either case (compiled once per set).

    A token's first character, one of the initials, where the character before it does not
    continue a token (nor a dot after one); then the rest of the token, as TOKEN has it.
    """
    return re.compile(f"[{re.escape(initials)}]{_STARTS_TOKEN}{TOKEN_CHAR}*(?:\\.?{TOKEN_CHAR}+)*", re.IGNORECASE | TOKEN.flags)


class SkippingContextFragmenter(highlight.ContextFragmenter):
    """Whoosh's ContextFragmenter, tokenizing only where a fragment can be.

    Outside a fragment, Whoosh's loop only remembers the starts of the tokens within
    ``surround`` characters of the latest one, to open the next fragment at the first of
    them. So each fragment is made from its first match: where its context begins is found
    directly (the first token starting within ``surround`` characters of the end of the
    token ahead of the match, and after the last fragment), then Whoosh's loop runs from the
    match until the fragment ends. The stretches between fragments are never tokenized. A
    test compares it with Whoosh's on generated text, at any fragment size and context.
    """

    def fragments(self, text: str, matched: list[tuple[int, int, str]]) -> Iterator[highlight.Fragment]:
        maxchars, surround, charlimit = self.maxchars, self.surround, self.charlimit
        marks = {start: mark for start, _end, mark in matched}
        done = 0  # where the last fragment ended: its tokens are read
        for match_start, match_end, _mark in matched:
            if match_start < done:
                continue
            if charlimit and match_end > charlimit:
                return  # Whoosh stops at the first token past the limit: this one or one before
            head = _TOKEN_START.search(text, max(_context_start(text, match_start, surround), done))
            context = head.start() if head is not None and head.start() < match_start else None
            first = None
            tks: list[_Token] = []
            currentlen = countdown = 0
            for token in TOKEN.finditer(text, match_start):
                startchar, endchar = token.span()
                if charlimit and endchar > charlimit:
                    if tks:
                        yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)
                    return
                tlength = endchar - startchar
                mark = marks.get(startchar)
                if currentlen + tlength > maxchars:
                    countdown = 0
                elif mark is not None:
                    countdown = surround
                    if first is None:
                        first = context
                        if first is None:
                            first = startchar
                            countdown += surround  # no context before it: as much again after
                    tks.append(_Token(mark, startchar, endchar, True))
                currentlen += tlength
                countdown -= tlength
                if countdown <= 0:
                    yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)
                    if countdown < 0:
                        break
                    # Whoosh's loop: at exactly 0 the next token is still inside a fragment, one
                    # without context (a match opens it; any other token closes it empty).
                    first = context = None
                    tks = []
                    currentlen = 0
            else:
                if tks:
                    yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)
                return
            done = endchar


def _context_start(text: str, match_start: int, surround: int) -> float:
    """Where the tokens Whoosh would remember before a match begin: ``surround`` characters
    before the end of the token ahead of it (-inf when none is)."""
    end = match_start
    while end > 0 and not _IN_TOKEN.match(text, end - 1):
        end -= 1
    return end - surround if end > 0 else -math.inf


def opening(text: str, limit: int) -> str:
    """The start of ``text``, cut at a word boundary, with an ellipsis when cut."""
    text = " ".join(text[: limit * 2].split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:.") + " …"
