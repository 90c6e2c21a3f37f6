"""Cursors: deep and stable paging (``next_cursor``, ``after=``).

A cursor is an itsdangerous-signed token (HMAC-SHA1 under a secret kept beside the index in
``cursor.key``, made once with ``secrets`` and never logged, or ``SEARCHSVC_CURSOR_KEY``, which
every node of a cluster shares): readable base64 JSON, but a
changed, truncated or forged one fails its signature and is refused. It names the search it
belongs to (a digest of the query, filters and sort), so it cannot page another search.

- **Date order** (newest/oldest, and browsing): the cursor holds the last hit's sort key (its
  date) and its article id, and the next page is the range after that pair, not an offset.
  Ties of dates are ordered by id, so (date, id) is a total order that does not depend on
  document numbers, which every write and merge changes. An article matching the search for
  the whole walk, whose sort date does not change, is returned exactly once, whatever is
  added, updated or deleted in between; one added (or re-dated) beyond the cursor appears,
  one added behind it does not.
- **Relevance**: scores depend on the whole index, so positions are only stable within one
  index version. The cursor holds the version and an offset; a cursor of another version is a
  400 ``stale_cursor`` (start again), never a page that silently skips or repeats.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from itsdangerous import BadData, URLSafeSerializer

from searchsvc.search.columns import MISSING_TICKS
from searchsvc.search.model import SearchError, SearchRequest, Sort

KEY_FILE = "cursor.key"
FORMAT = 1  # bumped when the payload changes: older cursors are then refused as stale
MAX_CURSOR_CHARS = 1_000
_LAST = np.iinfo(np.int64).max  # the sort key of an undated article: after every dated one


@dataclass(frozen=True)
class DatePosition:
    """After this (sort key, article id) in date order."""

    key: int
    article_id: str


@dataclass(frozen=True)
class RankPosition:
    """After ``offset`` hits of the relevance order of index version ``version``."""

    version: str
    offset: int


class CursorCodec:
    """Signs positions into cursors and checks cursors back into positions."""

    def __init__(self, secret: bytes) -> None:
        self._serializer = URLSafeSerializer(secret, salt="searchsvc.cursor")

    @classmethod
    def beside(cls, root: Path) -> CursorCodec:
        """The codec of the index in ``root``, its secret made on first use (by one process:
        the file appears whole, by a hard link, or not at all)."""
        path = root / KEY_FILE
        if not path.exists():
            root.mkdir(parents=True, exist_ok=True)
            draft = root / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another worker made it first: use theirs
            finally:
                draft.unlink()
        return cls(path.read_bytes())

    def make(self, request: SearchRequest, position: DatePosition | RankPosition) -> str:
        payload: dict[str, object] = {"v": FORMAT, "s": search_digest(request)}
        if isinstance(position, DatePosition):
            payload.update(k=position.key, i=position.article_id)
        else:
            payload.update(r=position.version, o=position.offset)
        return self._serializer.dumps(payload)

    def open(self, request: SearchRequest, by_date: bool, version: str) -> DatePosition | RankPosition:
        """The position of ``request.after``; a SearchError naming ``after`` when it is not a
        cursor of this search, of this order (and for relevance, of this index version)."""
        try:
            payload = self._serializer.loads(request.after or "")
        except BadData as error:
            raise SearchError("after is not a cursor this service made (altered, truncated or from another index); start again without after.",
                              "after", "invalid_cursor") from error
        if not isinstance(payload, dict) or payload.get("v") != FORMAT:
            raise SearchError("after is a cursor of an older version of this service; start again without after.", "after", "stale_cursor")
        if payload.get("s") != search_digest(request):
            raise SearchError("after belongs to another search: keep q, the filters, sort, date_field, prefix and freshness of the "
                              "request that gave it.", "after", "invalid_cursor")
        if by_date and "k" in payload:
            return DatePosition(int(payload["k"]), str(payload["i"]))
        if not by_date and "o" in payload:
            if payload["r"] != version:
                raise SearchError("the index changed since this cursor was made, and a relevance order holds only within one index "
                                  "version; start again without after (or page by a date sort).", "after", "stale_cursor")
            return RankPosition(str(payload["r"]), int(payload["o"]))
        raise SearchError("after belongs to another sort order.", "after", "invalid_cursor")


def search_digest(request: SearchRequest) -> str:
    """What decides which articles match and their order (not how many per page or which fields)."""
    what = {
        "q": " ".join(request.q.split()), "prefix": request.prefix_last, "sort": request.sort and request.sort.value,
        "section": sorted(v.casefold() for v in request.sections), "author": sorted(v.casefold() for v in request.authors),
        "tag": sorted(v.casefold() for v in request.tags), "from": str(request.date_from), "to": str(request.date_to),
        "date_field": request.date_field.value, "freshness": request.freshness, "collapse": request.collapse_duplicates,
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def date_keys(ticks: np.ndarray, sort: Sort) -> np.ndarray:
    """Ascending sort keys of a date order: newest first unless ``sort`` is oldest; undated last."""
    return np.where(ticks == MISSING_TICKS, _LAST, ticks if sort is Sort.OLDEST else -ticks)


def page_by_date(
    docs: np.ndarray, keys: np.ndarray, start: int, count: int, after: DatePosition | None, ids_of: Callable[[np.ndarray], list[str]],
) -> tuple[list[int], DatePosition | None]:
    """One page of document numbers in (key, id) order, from ``start`` of what lies after
    ``after``, and the position of its last hit when more follow (None on the last page).

    Ids are read only where dates tie (at the cursor, and within the page widened to whole
    ties) and for the last hit, so a page costs a sort of the keys plus a few stored ids,
    not the ids of every match.
    """
    if after is not None:
        beyond = keys > after.key
        tied = np.flatnonzero(keys == after.key)
        if tied.size:
            beyond[tied[np.array([i > after.article_id for i in ids_of(docs[tied])], dtype=bool)]] = True
        docs, keys = docs[beyond], keys[beyond]
    if start >= docs.size or count <= 0:
        return [], None
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    end = min(start + count, docs.size)
    # Widen the window to whole groups of equal keys, order them by id, cut the page back out.
    low = int(np.searchsorted(sorted_keys, sorted_keys[start], "left"))
    high = int(np.searchsorted(sorted_keys, sorted_keys[end - 1], "right"))
    window, window_keys = docs[order[low:high]], sorted_keys[low:high]
    # Ids where a date is shared (to order the tie) and of the page's last hit (for the cursor).
    shared = np.zeros(window.size, dtype=bool)
    shared[1:] |= window_keys[1:] == window_keys[:-1]
    shared[:-1] |= window_keys[:-1] == window_keys[1:]
    shared[end - 1 - low] = True
    ids = np.full(window.size, "", dtype=object)
    ids[shared] = ids_of(window[shared])
    rows = sorted(zip(window_keys.tolist(), ids.tolist(), window.tolist()))
    last_key, last_id, _ = rows[end - 1 - low]
    return [docnum for _key, _id, docnum in rows[start - low : end - low]], DatePosition(last_key, last_id) if end < docs.size else None
