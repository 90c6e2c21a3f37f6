"""The journal of live writes: what a rebuild replays, kept for a bounded time.

Every write (upserts and deletes) is appended as JSON lines with the moment it was made
(``at``) and fsynced before it is acknowledged. A rebuild replays what was journaled while it
ran; ``reindex --replay-since T`` also replays what was journaled since T, the moment a CMS
export was taken, so the writes between the export and the rebuild are not lost. So the
journal is no longer cut at each rebuild but kept for ``SEARCHSVC_JOURNAL_KEEP_DAYS`` days
and at most ``SEARCHSVC_JOURNAL_MAX_MB`` megabytes, trimmed oldest first. Its first line says
from when it holds every write (``held_from``); replaying from earlier is refused, since
writes would be missing. A running rebuild holds an offset into the file, so the store trims
only when no rebuild runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

from searchsvc.articles import Article, load_article

KEEP_DAYS = 14.0
MAX_MB = 256.0
SLACK = 1.25  # trims once the journal is this far past a bound, down to the bound: not at every write
HEADER_PREFIX = b'{"journal": '  # the first line: {"journal": 1, "held_from": ...}
AT = re.compile(rb'^\{"op": "[a-z]+", "at": "([^"]+)"')  # how _line writes an entry's start

Change = tuple[str, Any]  # ("upsert", Article) or ("delete", article id), as searchsvc.store applies them


@dataclass(frozen=True)
class JournalBounds:
    keep_days: float = KEEP_DAYS
    max_bytes: int = int(MAX_MB * 2**20)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "JournalBounds":
        """SEARCHSVC_JOURNAL_KEEP_DAYS and SEARCHSVC_JOURNAL_MAX_MB (config.py lists them)."""
        env = os.environ if env is None else env
        return cls(float(env.get("SEARCHSVC_JOURNAL_KEEP_DAYS", KEEP_DAYS)), int(float(env.get("SEARCHSVC_JOURNAL_MAX_MB", MAX_MB)) * 2**20))


class ReplayTooOldError(RuntimeError):
    """The journal no longer holds (or never held) every write since the moment asked for."""


def change_id(change: Change) -> str:
    op, value = change
    return value.id if op == "upsert" else value


@dataclass(frozen=True)
class Entry:
    at: datetime | None  # None: written before entries were dated
    change: Change


class Journal:
    def __init__(self, path: Path, bounds: JournalBounds) -> None:
        self.path = path
        self.bounds = bounds

    def append(self, changes: list[Change], at: datetime) -> None:
        """Journal ``changes`` made at ``at``, durably (hold the store's write lock)."""
        lines = [] if self.path.exists() else [_header(at)]
        lines += [_line(change, at) for change in changes]
        with open(self.path, "ab") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())

    def size(self) -> int:
        """Where the journal ends now: a rebuild replays what comes after."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def entries(self, offset: int = 0, until: int | None = None, since: datetime | None = None) -> Iterator[Entry]:
        """The entries from byte ``offset`` up to byte ``until`` (the end when None); with
        ``since``, only those dated from then on (others are not parsed)."""
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:
            return
        with handle:
            position = _line_start(handle, offset)
            handle.seek(position)
            for line in handle:
                position += len(line)
                if until is not None and position > until:
                    return
                if line.startswith(HEADER_PREFIX) or (since is not None and ((at := _at(line)) is None or at < since)):
                    continue
                yield _entry(json.loads(line))

    def held_from(self) -> datetime | None:
        """Since when every write is journaled (None: no dated write yet)."""
        for line in self._lines():
            if line.startswith(HEADER_PREFIX):
                return _moment(json.loads(line)["held_from"])
            at = _at(line)
            if at is not None:  # a journal begun before entries were dated: complete from its first dated one
                return at
        return None

    def check_replay_since(self, since: datetime) -> None:
        held = self.held_from()
        if held is None or since < held:
            what = f"it holds every write since {held.isoformat()}" if held else "it holds no dated write yet"
            raise ReplayTooOldError(
                f"cannot replay the writes since {since.isoformat()}: {what} (kept SEARCHSVC_JOURNAL_KEEP_DAYS days, "
                "at most SEARCHSVC_JOURNAL_MAX_MB); rebuild from a newer export, or without --replay-since")

    def needs_trim(self, now: datetime) -> bool:
        """Past a bound by SLACK (so the journal is not rewritten at every write)."""
        oldest = self._oldest_at()
        return self.size() > self.bounds.max_bytes * SLACK or (
            oldest is not None and oldest < now - timedelta(days=self.bounds.keep_days * SLACK))

    def trim(self, now: datetime) -> None:
        """Drop the oldest entries down to the bounds; the header then says from when the
        journal is complete. Hold the write lock, and only while no rebuild runs (a rebuild
        holds an offset into the file). One pass reading each line's time, then the kept
        tail copied: memory stays small.
        """
        size = self.size()
        cutoff = now - timedelta(days=self.bounds.keep_days)
        cut, position, held = size, 0, self.held_from() or now
        with open(self.path, "rb") as handle:
            for line in handle:
                at = _at(line)
                if at is not None and at >= cutoff and size - position <= self.bounds.max_bytes:
                    cut = position  # from here on, within both bounds
                    break
                if at is not None:
                    held = at + timedelta(microseconds=1)  # every write after the last dropped one is held
                position += len(line)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            with open(temporary, "wb") as out:
                out.write(_header(held))
                handle.seek(cut)
                shutil.copyfileobj(handle, out)
                out.flush()
                os.fsync(out.fileno())
        os.replace(temporary, self.path)

    def _lines(self) -> Iterator[bytes]:
        try:
            with open(self.path, "rb") as handle:
                yield from handle
        except FileNotFoundError:
            return

    def _oldest_at(self) -> datetime | None:
        for line in self._lines():
            if not line.startswith(HEADER_PREFIX):
                return _at(line)
        return None


def _line_start(handle: BinaryIO, offset: int) -> int:
    """The start of the line holding byte ``offset``: a rebuild notes the journal's size
    without the write lock, so it may fall inside a line still being appended (a write under
    way at the rebuild's start: replayed whole)."""
    end = offset
    while end > 0:
        start = max(0, end - 65_536)
        handle.seek(start)
        found = handle.read(end - start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0


def _at(line: bytes) -> datetime | None:
    """An entry's time, read without parsing its article (None for the header or an undated entry)."""
    found = AT.search(line, 0, 200)
    return _moment(found.group(1).decode()) if found else None


def _header(held_from: datetime) -> bytes:
    return (json.dumps({"journal": 1, "held_from": held_from.isoformat()}) + "\n").encode()


def _line(change: Change, at: datetime) -> bytes:
    op, value = change
    entry = {"op": op, "at": at.isoformat()}
    entry.update({"article": _journal_article(value)} if op == "upsert" else {"id": value})
    return (json.dumps(entry, ensure_ascii=False) + "\n").encode()


def _entry(record: dict[str, Any]) -> Entry:
    at = _moment(record["at"]) if record.get("at") else None
    if record["op"] == "upsert":
        return Entry(at, ("upsert", load_article(record["article"])))
    return Entry(at, ("delete", record["id"]))


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def _journal_article(article: Article) -> dict[str, Any]:
    data = article.to_dict()
    for name in ("published", "updated"):
        moment = getattr(article, name)
        data[name] = moment.isoformat() if moment else None
    return data
