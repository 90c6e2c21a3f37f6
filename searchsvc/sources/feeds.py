"""RSS 2.0 and Atom feeds (``.xml``, ``.rss``, ``.atom``), parsed by feedparser.

Each entry ("entry N", 1-based) becomes one raw article:

* id: the entry's id/guid when the model accepts it as an id. A guid it rejects (a URL, a
  ``tag:`` URI, anything with whitespace, '/', '?' or '#') is not mangled into one: the id
  is left to the model, which hashes the url, so a feed entry and a JSON record for the same
  link get the same id (or, without a link, hashes title + published).
* url: the link, when it is an http(s) URL (feedparser copies a ``urn:`` guid into link).
* section: the first category; the other categories are tags.
* published: published, else updated; updated: updated (Atom's <updated>), else left to the
  model (which makes it published); feedparser's parsed time (UTC) when it could parse one,
  else the raw string, so an unparseable date is a Problem as in every other source.
* body: the first content, else the summary; summary: the summary unless it is the body.
  HTML in any of these (and in an HTML title) is reduced to text with paragraphs on lines.

feedparser reads the bytes itself (feeds declare their own encoding). A file it finds no
feed in is one Problem; a feed whose XML breaks part way keeps the entries recovered
before the break and adds one Problem saying where it broke.
"""

from __future__ import annotations

import codecs
import io
import re
import xml.sax
from collections.abc import Iterator
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
from marshmallow import ValidationError

from searchsvc.articles import ArticleSchema
from searchsvc.sources.base import (
    Problem,
    Record,
    UnreadableSource,
    read_bytes,
    reports_unreadable,
    validate_record,
)

_ID_FIELD = ArticleSchema().fields["id"]
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table td th tr ul".split()
)
_HIDDEN_TAGS = frozenset({"script", "style", "template"})
_RSS_AUTHOR = re.compile(r"[^\s@()]+@[^\s()]+\s*\((?P<name>[^()]+)\)")


class _TextExtractor(HTMLParser):
    """Collects an HTML fragment's text, marking block boundaries with newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:  # source line breaks are mere whitespace in HTML
            self.parts.append(data.replace("\n", " "))

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """The stdlib raises AssertionError on an unknown ``<![word[`` section; skip it."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i)
            return -1 if end < 0 else end + 1


def html_to_text(markup: str) -> str:
    """Tags removed, entities decoded, whitespace collapsed, one paragraph per line."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _text(detail: dict[str, Any] | None) -> str | None:
    if not detail or detail.get("value") is None:
        return None
    value = str(detail["value"])
    return html_to_text(value) if detail.get("type") in _HTML_TYPES else value


def _web_url(link: str | None) -> str | None:
    return link if link and link.lower().startswith(("http://", "https://")) else None


def _entry_id(entry: dict[str, Any]) -> str | None:
    guid = (entry.get("id") or "").strip()
    try:
        _ID_FIELD.deserialize(guid)
    except ValidationError:  # empty, too long, or a URL-like guid
        return None
    return guid


def _entry_time(entry: dict[str, Any], keys: tuple[str, ...] = ("published", "updated")) -> datetime | str | None:
    # Plain dict lookups: FeedParserDict answers a missing "updated" with "published" (and
    # a DeprecationWarning); the order here already says which one wins.
    for key in keys:
        parsed = dict.get(entry, f"{key}_parsed")
        if parsed:
            try:
                return datetime(*parsed[:6], tzinfo=timezone.utc)
            except ValueError:  # a leap second or the like: let the model judge the raw string
                pass
        if raw := dict.get(entry, key):
            return str(raw)
    return None


def _authors(entry: dict[str, Any]) -> list[str]:
    """Author names. feedparser mis-splits an RSS ``email (Name)`` author whose domain ends
    in a label over four letters (``desk@wire.online``), so that form is read here."""
    authors = entry.get("authors") or []
    rss_form = _RSS_AUTHOR.fullmatch((entry.get("author") or "").strip())
    if rss_form and len(authors) <= 1:
        return [rss_form["name"]]
    names = [author.get("name") or author.get("email") for author in authors]
    return [name for name in names if name]


def _raw_article(entry: dict[str, Any]) -> dict[str, Any]:
    categories = [tag.get("term") or tag.get("label") for tag in entry.get("tags") or []]
    categories = [category for category in categories if category]
    contents = entry.get("content") or []
    summary = _text(entry.get("summary_detail"))
    body = _text(contents[0]) if contents else summary
    return {
        "id": _entry_id(entry),
        "url": _web_url(entry.get("link")),
        "title": _text(entry.get("title_detail")),
        "body": body,
        "summary": summary if summary != body else None,
        "section": categories[0] if categories else None,
        "tags": categories[1:],
        "published": _entry_time(entry),
        "updated": _entry_time(entry, ("updated",)),
        "authors": _authors(entry),
    }


def _xml_break(error: BaseException | None, data: bytes) -> tuple[str, str]:
    """Where and why feedparser's XML parser gave up, as (location, reason).

    feedparser parses its own re-encoding of the file, to which it adds an XML declaration
    line when the file has none; the line number is moved back to count the file's lines
    (judged for UTF-8 files, which is what feeds are in practice).
    """
    if isinstance(error, xml.sax.SAXParseException):
        added_lines = 0 if data.removeprefix(codecs.BOM_UTF8).startswith(b"<?xml") else 1
        line = max(1, error.getLineNumber() - added_lines)
        return f"line {line}", f"malformed XML ({error.getMessage()})"
    return "", str(error) if error else "no feed element"


@reports_unreadable
def read(path: Path) -> Iterator[Record]:
    source = str(path)
    data = read_bytes(path)
    try:  # a stream, never bytes or str: feedparser treats those as a URL or file name to open
        feed = feedparser.parse(io.BytesIO(data))
    except ValueError as error:  # e.g. feedparser decoding with an encoding name holding a NUL
        raise UnreadableSource(f"not an RSS or Atom feed: feedparser failed ({error})") from None
    error = feed.get("bozo_exception")
    location, why = _xml_break(error, data)
    if not feed.entries:
        if feed.get("bozo") or not feed.get("version"):
            yield Problem(source, location, None, f"not an RSS or Atom feed: {why}")
        return
    for number, entry in enumerate(feed.entries, start=1):
        yield validate_record(_raw_article(entry), source, f"entry {number}")
    if isinstance(error, xml.sax.SAXException):
        yield Problem(source, location, None, f"{why}: entries after this point may be missing")
