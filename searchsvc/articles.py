"""The one validated shape of a news article.

Every source (JSON Lines, JSON files, scraped pages, feeds, the write API) turns its raw
records into plain dicts and hands them to :func:`load_article`; nothing else builds an
:class:`Article`. That keeps validation, normalization and id derivation in one place.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
)

DEFAULT_SECTION = "Uncategorized"

MAX_TITLE_CHARS = 1_000
MAX_BODY_CHARS = 500_000
MAX_SHORT_CHARS = 2_000
MAX_LIST_ITEMS = 100

# C0/C1 control characters except tab, newline and carriage return, and lone surrogates
# (JSON can spell them as "\ud800"; they cannot be encoded as UTF-8).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Normalize untrusted text: Unicode NFC, control characters removed."""
    return _CONTROL_CHARS.sub("", unicodedata.normalize("NFC", value))


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    body: str
    url: str | None = None
    summary: str | None = None
    section: str = DEFAULT_SECTION
    published: datetime | None = None
    authors: tuple[str, ...] = field(default=())
    tags: tuple[str, ...] = field(default=())
    updated: datetime | None = None  # last revised; the schema makes it ``published`` when absent

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every value, a third of a cached search response's time.
        data = {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}
        data["authors"] = list(self.authors)
        data["tags"] = list(self.tags)
        return data


def parse_datetime(value: Any) -> datetime:
    """Accept ISO 8601, ``YYYY-MM-DD HH:MM:SS`` and RFC 2822; naive times are UTC.

    Returns an aware datetime in UTC. Raises ValueError for anything else.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.min)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty date")
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                raise ValueError(f"not a date: {text[:40]!r}") from None
    else:
        raise ValueError(f"not a date: {type(value).__name__}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


class FlexibleDateTime(fields.Field):
    """A datetime field for the many date spellings publishers use."""

    default_error_messages = {"invalid": "Not a valid date or datetime: {reason}."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            return parse_datetime(value)
        except (ValueError, OverflowError) as error:
            raise self.make_error("invalid", reason=str(error)) from error

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.isoformat()


def _text(max_chars: int, **kwargs: Any) -> fields.String:
    extra = kwargs.pop("validate", None)
    return fields.String(validate=[validate.Length(max=max_chars), *([extra] if extra else [])], **kwargs)


def _text_list() -> fields.List:
    return fields.List(
        _text(MAX_SHORT_CHARS),
        load_default=list,
        validate=validate.Length(max=MAX_LIST_ITEMS),
    )


def derive_id(url: str | None, title: str, published: datetime | None) -> str:
    """A stable id for records that carry none: a hash of the url, else title+published."""
    basis = url or f"{title}\n{published.isoformat() if published else ''}"
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


class ArticleSchema(Schema):
    """Validates a raw article dict (unknown keys ignored) and loads an :class:`Article`."""

    class Meta:
        unknown = EXCLUDE

    id = _text(200, load_default=None, allow_none=True, validate=validate.Regexp(r"^[^\s/?#]+$", error="must not contain whitespace, '/', '?' or '#'."))
    url = _text(MAX_SHORT_CHARS, load_default=None, allow_none=True)
    title = _text(MAX_TITLE_CHARS, required=True, validate=validate.Length(min=1))
    body = _text(MAX_BODY_CHARS, required=True, validate=validate.Length(min=1))
    summary = _text(MAX_SHORT_CHARS * 5, load_default=None, allow_none=True)
    section = _text(200, load_default=None, allow_none=True)
    published = FlexibleDateTime(load_default=None, allow_none=True)
    updated = FlexibleDateTime(load_default=None, allow_none=True, metadata={"description": "Last revised (ISO 8601); absent: the same as published."})
    authors = _text_list()
    tags = _text_list()

    @pre_load
    def normalize_text(self, data: Any, **kwargs: Any) -> Any:
        """NFC-normalize and strip strings (and strings in lists) before validation."""
        if not isinstance(data, dict):
            raise ValidationError("An article must be a JSON object.", field_name="_schema")
        cleaned: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = clean_text(value).strip()
            elif isinstance(value, list):
                value = [clean_text(item).strip() if isinstance(item, str) else item for item in value]
            cleaned[key] = value
        for key in ("id", "url", "summary", "section", "published", "updated"):
            if cleaned.get(key) == "":
                cleaned[key] = None
        for key in ("authors", "tags"):
            if isinstance(cleaned.get(key), str):
                cleaned[key] = [cleaned[key]]
            if isinstance(cleaned.get(key), list):
                cleaned[key] = [item for item in cleaned[key] if item != ""]
        return cleaned

    @post_load
    def make_article(self, data: dict[str, Any], **kwargs: Any) -> Article:
        article_id = data["id"] or derive_id(data["url"], data["title"], data["published"])
        return Article(
            id=article_id,
            url=data["url"],
            title=data["title"],
            body=data["body"],
            summary=data["summary"],
            section=data["section"] or DEFAULT_SECTION,
            published=data["published"],
            authors=tuple(data["authors"]),
            tags=tuple(data["tags"]),
            updated=data["updated"] or data["published"],
        )


_SCHEMA = ArticleSchema()


def load_article(raw: Any) -> Article:
    """Validate one raw record; raises marshmallow.ValidationError with per-field messages."""
    return _SCHEMA.load(raw)
