"""Which article ids were deleted, and when: the removal list, kept beside the index versions.

A deleted article's id answers 410 Gone from then on, and partners who copied articles poll
the list to take them down. The list must change exactly when the index does (a reader of
version N must see the removals of version N, a crash must not leave a removal the index
does not have, or lose one it has) and must travel to replicas with the version. So it is a
file in the generation's folder, written for the version the next commit makes:
``removed.<version>.<content hash>.jsonl``, complete (every removed id, oldest first), fsynced
and renamed into place *before* that commit. A reader of version N uses the newest file whose
version is at most N; a file of a version never committed (a writer killed between the two)
is ignored, and deleted by the next writer. The name changes with every change, so replication
(which ships a version's files by name and size, and never a changed file under an old name)
ships and installs it like a segment file, before the table of contents that makes the
version visible. Whoosh's own clean-up deletes only its ``MAIN_`` files: older lists are
deleted here, keeping the previous one for a reader opening the version just replaced.

A removal is an explicit delete (the write API, ``reindex --update --delete-missing``, a
delete replayed into a rebuild). Publishing the id again (any upsert, or a rebuild whose
sources carry it) takes it off the list: the article is live again.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

FILE_NAME = re.compile(r"removed\.(\d+)\.([0-9a-f]{16})\.jsonl")
KEEP_FILES = 2  # the newest list and the one before it (a reader opening the previous version)
LIST_ATTEMPTS = 3


@dataclass(frozen=True)
class Removal:
    id: str
    removed_at: datetime  # UTC


class Removals:
    """An immutable removal list: each removed id once, in removal order (then by id)."""

    def __init__(self, entries: Iterable[Removal] = ()) -> None:
        self._by_id = {entry.id: entry for entry in entries}
        self._ordered = sorted(self._by_id.values(), key=lambda entry: (entry.removed_at, entry.id))
        self._times = [entry.removed_at for entry in self._ordered]

    def __len__(self) -> int:
        return len(self._ordered)

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._by_id

    def __iter__(self) -> Iterator[Removal]:
        return iter(self._ordered)

    def get(self, article_id: str) -> Removal | None:
        return self._by_id.get(article_id)

    def since(self, moment: datetime, offset: int, limit: int) -> tuple[list[Removal], int]:
        """A page of the removals at or after ``moment``, oldest first, and how many there are."""
        start = bisect.bisect_left(self._times, moment)
        return self._ordered[start + offset : start + offset + limit], len(self._ordered) - start

    def changed(self, removed: Iterable[str], published: Iterable[str], at: datetime) -> "Removals":
        """The list after deleting ``removed`` at ``at`` and publishing ``published`` (live again).

        An id deleted again keeps its first removal time only if it was still on the list
        (a repeated delete changes nothing); published ids leave the list.
        """
        entries = dict(self._by_id)
        for article_id in published:
            entries.pop(article_id, None)
        for article_id in removed:
            entries.setdefault(article_id, Removal(article_id, at))
        return self if entries == self._by_id else Removals(entries.values())

    def to_lines(self) -> bytes:
        return b"".join(
            json.dumps({"id": entry.id, "removed_at": entry.removed_at.isoformat()}, ensure_ascii=False).encode() + b"\n"
            for entry in self._ordered
        )

    @classmethod
    def from_lines(cls, data: bytes) -> "Removals":
        entries = []
        for line in data.splitlines():
            if line.strip():
                record = json.loads(line)
                entries.append(Removal(record["id"], datetime.fromisoformat(record["removed_at"]).astimezone(timezone.utc)))
        return cls(entries)


def _files(folder: Path) -> list[tuple[int, Path]]:
    """The folder's removal lists as (version, path), oldest version first."""
    found = []
    for path in folder.iterdir():
        match = FILE_NAME.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def list_file(folder: Path, version: int) -> Path | None:
    """The removal list of ``version``: the newest file of a version at most ``version``
    (never a newer one: it may be of a version a killed writer never committed)."""
    older = [path for number, path in _files(folder) if number <= version]
    return older[-1] if older else None


def load(folder: Path, version: int) -> Removals:
    return RemovalsCache().get(folder, version)


def save(folder: Path, version: int, removals: Removals) -> Path:
    """Write the list for ``version`` (a version not yet committed: hold the write lock), durably."""
    data = removals.to_lines()
    path = folder / f"removed.{version}.{hashlib.sha256(data).hexdigest()[:16]}.jsonl"
    temporary = folder / f".{path.name}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _sync_folder(folder)
    return path


def record(
    folder: Path, committed: int, removed: Iterable[str], published: Iterable[str], at: datetime, cache: "RemovalsCache"
) -> None:
    """Before a commit making version ``committed + 1`` of the index in ``folder`` (hold the
    write lock): the list with ``removed`` added and ``published`` taken off, if that changes it.
    ``cache`` is the writer's: most writes change nothing and read nothing."""
    prune(folder, committed)
    current = cache.get(folder, committed)
    updated = current.changed(removed, published, at)
    if updated is not current:
        cache.put(save(folder, committed + 1, updated), updated)


def prune(folder: Path, committed: int) -> None:
    """Delete lists of versions never committed and all but the newest KEEP_FILES others
    (hold the write lock: ``committed`` is the folder's newest committed version)."""
    files = _files(folder)
    for number, path in files:
        if number > committed:
            path.unlink(missing_ok=True)
    for _number, path in [entry for entry in files if entry[0] <= committed][:-KEEP_FILES]:
        path.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """The new name itself survives a crash of the machine, not only of the process."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class RemovalsCache:
    """The last removal list read, by file: a process re-reads it only when a write changed it
    (most versions share their predecessor's list). The folder is listed once per version:
    a version's list never changes (writers save lists for versions not yet committed).
    Shared by a worker's threads: what it knows is one tuple, replaced whole."""

    def __init__(self) -> None:
        # (folder and version last looked up, or None; the list's file; the list)
        self._last: tuple[tuple[Path, int] | None, Path | None, Removals] = (None, None, Removals())

    def get(self, folder: Path, version: int) -> Removals:
        known_version, known_path, known = self._last
        if known_version == (folder, version):
            return known
        for _attempt in range(LIST_ATTEMPTS):
            path = list_file(folder, version)
            if path is None or path == known_path:
                found = Removals() if path is None else known
            else:
                try:
                    found = Removals.from_lines(path.read_bytes())
                except FileNotFoundError:  # pruned by a writer since it was listed: list again
                    continue
            self._last = ((folder, version), path, found)
            return found
        return Removals()  # a reader several removal changes behind; its next request opens the new version

    def put(self, path: Path | None, removals: Removals) -> None:
        """The list a writer just saved for the version it is committing."""
        self._last = (None, path, removals)
