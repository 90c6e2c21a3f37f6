"""What a version of an index is, as files: the manifest a primary serves and a replica checks."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """One version of one generation: the files that make it, and when it was committed."""

    generation: str
    version: int
    committed_at: float  # the primary's clock (its table of contents' mtime), seconds since the epoch
    files: tuple[FileEntry, ...]

    @property
    def snapshot(self) -> str:
        """The version's name, also its snapshot folder's name on the primary."""
        return version_name(self.generation, self.version)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "snapshot": self.snapshot, "files": [asdict(entry) for entry in self.files]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Manifest":
        files = tuple(FileEntry(str(f["name"]), int(f["size"]), str(f["sha256"])) for f in data["files"])
        for entry in files:
            if not is_plain_name(entry.name):
                raise ValueError(f"unsafe file name in manifest: {entry.name!r}")
        return cls(str(data["generation"]), int(data["version"]), float(data["committed_at"]), files)


def version_name(generation: str, version: int) -> str:
    return f"{generation}.{version}"


def is_plain_name(name: str) -> bool:
    """A file name without any path in it (a manifest must never write outside its folder)."""
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        copy_hashing(handle, None, digest)
    return digest.hexdigest()


def copy_hashing(source: BinaryIO, target: BinaryIO | None, digest: Any) -> int:
    """Copy ``source`` to ``target`` (if any) in chunks, feeding ``digest``; the bytes copied."""
    total = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        if target is not None:
            target.write(chunk)
        total += len(chunk)
    return total
