"""The primary's side: snapshots of index versions, by hard link, with their manifests.

A live write's commit deletes the files of the segments it merged away, and a rebuild
replaces the whole generation; a replica downloading a version must still find every file
of it. So, as Solr's leader does, the files of a version are hard-linked into a snapshot
folder (no copy: the same inodes) under the store's write lock, when no commit is under way,
and served from there. Checksums are computed once per file: segment files never change, so
a file already in an earlier snapshot of the same generation keeps its checksum.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from searchsvc.replication.manifest import FileEntry, Manifest, is_plain_name, sha256_of, version_name
from searchsvc.store import TOC_NAME, IndexStore

SNAPSHOTS_DIR = "snapshots"
MANIFEST_FILE = "manifest.json"
KEEP_SNAPSHOTS = 8  # a replica still downloading an older one finds it for a while (then asks again)
NOT_REPLICATED = ("WRITELOCK", ".lock", ".tmp")  # Whoosh's write lock; our temporary files


class Snapshots:
    """Snapshots of the store's live versions, made on demand when a replica asks."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self.root = store.root / SNAPSHOTS_DIR

    def latest(self, lock_timeout: float) -> Manifest:
        """The manifest of the live version, snapshotting it first if no replica asked yet.

        Raises NoIndexError without a live generation, StoreBusyError when the write lock
        is not free within ``lock_timeout`` (a long write: the replica asks again).
        """
        generation = self.store.current()
        known = self._load(version_name(generation.name, generation.version()))
        if known is not None:
            return known
        with self.store.write_lock(lock_timeout):
            generation = self.store.current()  # what is live now that no writer runs
            name = version_name(generation.name, generation.version())
            return self._load(name) or self._take(generation.name, generation.version(), generation.path)

    def file(self, snapshot: str, name: str) -> Path | None:
        """A file of a snapshot, or None when either is unknown (or the snapshot was pruned)."""
        if not (is_plain_name(snapshot) and is_plain_name(name)) or name == MANIFEST_FILE:
            return None
        path = self.root / snapshot / name
        return path if path.is_file() else None

    def _load(self, snapshot: str) -> Manifest | None:
        try:
            return Manifest.from_dict(json.loads((self.root / snapshot / MANIFEST_FILE).read_text("utf-8")))
        except (OSError, ValueError, KeyError):
            return None

    def _take(self, generation: str, version: int, source: Path) -> Manifest:
        """Hard-link the version's files into a new snapshot folder (hold the write lock)."""
        snapshot = version_name(generation, version)
        building = self.root / f".{snapshot}.tmp"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        known = self._known_checksums(generation)
        entries = []
        for path in sorted(source.iterdir()):
            if not path.is_file() or path.name.endswith(NOT_REPLICATED) or _older_toc(path.name, version):
                continue
            os.link(path, building / path.name)
            size = path.stat().st_size
            checksum = known.get((path.name, size)) or sha256_of(building / path.name)
            entries.append(FileEntry(path.name, size, checksum))
        toc = source / f"_MAIN_{version}.toc"
        manifest = Manifest(generation, version, toc.stat().st_mtime if toc.exists() else time.time(), tuple(entries))
        (building / MANIFEST_FILE).write_text(json.dumps(manifest.to_dict()), "utf-8")
        os.replace(building, self.root / snapshot)
        self._prune()
        return manifest

    def _known_checksums(self, generation: str) -> dict[tuple[str, int], str]:
        known: dict[tuple[str, int], str] = {}
        for folder in self.root.glob(f"{generation}.*"):
            manifest = self._load(folder.name)
            if manifest is not None:
                known.update({(entry.name, entry.size): entry.sha256 for entry in manifest.files})
        return known

    def _prune(self) -> None:
        """Keep the newest snapshots; their hard links are all that older files cost."""
        folders = sorted((p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                         key=lambda p: p.stat().st_mtime)
        for folder in folders[:-KEEP_SNAPSHOTS]:
            shutil.rmtree(folder, ignore_errors=True)


def _older_toc(name: str, version: int) -> bool:
    found = TOC_NAME.fullmatch(name)
    return bool(found) and int(found.group(1)) != version
