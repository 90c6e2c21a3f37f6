"""Scraped article pages (``.txt``) in the plain-text form our scraper saves::

    Current:Home > News<Title> -<Site name>      breadcrumb, title glued on, site suffix
    <Title>                                      the title again, on its own
    View                                         page chrome, dropped
    Date:2025-04-17 15:10:39                     published (UTC)
    <body paragraphs, one per line>
    veryGood! (2) / Related / Ranking / Recommendation   reader widgets: the body ends here

The section is the last breadcrumb element; because the title is glued to it, the title
line is what tells where the breadcrumb stops. Everything between the title and the Date
line is chrome. Pages carry no url, so the model derives the id from title + published.
A page missing its title, Date line or body is one Problem naming that field and its line.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

from searchsvc.sources.base import Problem, Record, read_text, reports_unreadable, validate_record

_BREADCRUMB = "Current:"
_HOME = "home"
_DATE_LINE = re.compile(r"Date:.*")
_SITE_SUFFIX = re.compile(r"\s*(?:-.*)?")
_WIDGET_LINE = re.compile(r"veryGood!\s*\(\d+\)|Related|Ranking|Recommendation")


def _section(header: str, title: str) -> str | None:
    """The last breadcrumb before the title's occurrence that only a site suffix follows."""
    text = header.removeprefix(_BREADCRUMB)
    start = text.find(title)
    while start >= 0:
        if _SITE_SUFFIX.fullmatch(text, start + len(title)):
            crumbs = [crumb.strip() for crumb in text[:start].split(">") if crumb.strip()]
            if crumbs and crumbs[0].lower() == _HOME:
                crumbs = crumbs[1:]
            return crumbs[-1] if crumbs else None
        start = text.find(title, start + 1)
    return None


def _first_index(lines: list[str], start: int, pattern: re.Pattern[str]) -> int | None:
    return next((index for index in range(start, len(lines)) if pattern.fullmatch(lines[index])), None)


def _parse_page(text: str, source: str) -> Record:
    """One page's text as an Article, or a Problem located at the line that is wrong."""
    lines = [line.strip() for line in text.split("\n")]
    first = next((index for index, line in enumerate(lines) if line), 0)
    has_header = lines[first].startswith(_BREADCRUMB)
    title_index = first + 1 if has_header else first
    title = lines[title_index] if title_index < len(lines) else ""
    if not title or title == "View" or _DATE_LINE.fullmatch(title):
        return Problem(source, f"line {title_index + 1}", "title", "no title line")
    date_index = _first_index(lines, title_index + 1, _DATE_LINE)
    if date_index is None:
        return Problem(source, "", "published", "no 'Date:' line")
    widgets_index = _first_index(lines, date_index + 1, _WIDGET_LINE)
    body_end = len(lines) if widgets_index is None else widgets_index
    body = "\n".join(line for line in lines[date_index + 1 : body_end] if line)
    if not body:
        return Problem(source, f"line {date_index + 2}", "body", "no body text after the Date line")
    record = validate_record(
        {
            "title": title,
            "section": _section(lines[first], title) if has_header else None,
            "published": lines[date_index].removeprefix("Date:"),
            "body": body,
        },
        source,
        "",
    )
    field_lines = {"section": first, "title": title_index, "published": date_index, "body": date_index + 1}
    if isinstance(record, Problem) and record.field in field_lines:
        return dataclasses.replace(record, location=f"line {field_lines[record.field] + 1}")
    return record


@reports_unreadable
def read(path: Path) -> Iterator[Record]:
    yield _parse_page(read_text(path), str(path))
