"""HTML-safe highlighting: escaped article text with only ``<mark>`` added.

Whoosh's highlighter finds the best fragments (analyzing with the index's own analyzer,
so stems match: "bridges" lights up for "bridge"); the formatter below escapes every
character of article text and adds nothing but ``<mark>``.
"""

from __future__ import annotations

from html import escape

from whoosh import highlight
from whoosh.analysis import Analyzer

SNIPPET_CHARS = 200
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
    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.formatter = MarkFormatter()
        self.snippet_fragmenter = highlight.ContextFragmenter(
            maxchars=SNIPPET_CHARS // MAX_FRAGMENTS + 20, surround=30, charlimit=MAX_ANALYZED_CHARS
        )
        self.whole = highlight.WholeFragmenter(charlimit=MAX_ANALYZED_CHARS)

    def title(self, title: str, words: set[str]) -> str:
        if words:
            marked = highlight.highlight(title, words, self.analyzer, self.whole, self.formatter, top=1)
            if marked:
                return marked
        return escape(title, quote=False)

    def snippet(self, body: str, words: set[str]) -> str:
        """The best fragments holding the query's words, else the start of the body."""
        if words:
            marked = highlight.highlight(
                body[:MAX_ANALYZED_CHARS],
                words,
                self.analyzer,
                self.snippet_fragmenter,
                self.formatter,
                top=MAX_FRAGMENTS,
                order=highlight.FIRST,
            )
            if marked:
                return " ".join(marked.split())
        return escape(opening(body, SNIPPET_CHARS), quote=False)


def opening(text: str, limit: int) -> str:
    """The start of ``text``, cut at a word boundary, with an ellipsis when cut."""
    text = " ".join(text[: limit * 2].split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:.") + " …"
