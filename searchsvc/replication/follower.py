"""The replica's side: ``searchsvc follow PRIMARY_URL`` keeps a store in step with a primary.

Each round fetches the primary's newest manifest and, when it names a version not installed
here, downloads the files this store lacks into ``incoming/``, checking each one's size and
SHA-256 before moving it into place, then installs the version atomically:

- a new version of the live generation: its new segment files are moved into the
  generation's folder (no table of contents names them yet, so no reader sees them), then
  its table of contents last, by rename; files no longer named are deleted, as Whoosh's own
  commits delete merged segments (readers already cope with that, ``store.open_reader``);
- a new generation (a rebuild on the primary): the whole folder is completed in
  ``incoming/`` and renamed into ``generations/``, then ``CURRENT`` is switched.

A follower killed at any point leaves either the old version or the new one installed, and
at worst verified files waiting in ``incoming/`` for the next round. Transfers use plain
HTTP(S) with the standard library: GETs of immutable files need no more.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from searchsvc.replication.manifest import Manifest, copy_hashing, version_name
from searchsvc.replication.snapshots import NOT_REPLICATED
from searchsvc.replication.state import ReplicaState
from searchsvc.store import TOC_NAME, IndexStore, NoIndexError

INCOMING_DIR = "incoming"
TIMEOUT = 30.0  # seconds without a byte before a request is given up
MAX_BACKOFF = 30.0
# What one round may fail with and the next may not: network and HTTP errors (a truncated
# chunked response is http.client's, not an OSError), refusals, answers that do not parse.
SYNC_ERRORS = (OSError, http.client.HTTPException, ValueError, KeyError)


class ReplicationError(RuntimeError):
    """The primary refused (wrong key, replication off) or sent something that does not verify."""


def log_event(event: str, **fields: Any) -> None:
    """One JSON line on stderr, like the access log."""
    line = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "event": event, **fields}
    print(json.dumps(line), file=sys.stderr, flush=True)


class Follower:
    def __init__(self, primary_url: str, key: str, store: IndexStore, log: Callable[..., None] = log_event) -> None:
        self.primary = primary_url.rstrip("/")
        self.key = key
        self.store = store
        self.log = log
        self.incoming = store.root / INCOMING_DIR

    # -- one round ----------------------------------------------------------------------

    def sync_once(self) -> str | None:
        """Install the primary's newest version unless it is installed: its name, else None."""
        manifest = Manifest.from_dict(json.loads(self._get("/replication/manifest")))
        installed = self.installed()
        self._save_state(manifest, installed)  # behind from here on, if it differs
        if manifest.snapshot == installed:
            return None
        started = time.monotonic()
        fetched = self._install(manifest)
        self._save_state(manifest, manifest.snapshot)
        self.log("installed", version=manifest.snapshot, files=len(manifest.files), fetched_files=len(fetched),
                 fetched_bytes=sum(fetched), seconds=round(time.monotonic() - started, 3))
        return manifest.snapshot

    def installed(self) -> str | None:
        try:
            generation = self.store.current()
        except NoIndexError:
            return None
        return version_name(generation.name, generation.version())

    def _install(self, manifest: Manifest) -> list[int]:
        live = self.store.current_name()
        target = self.store.generations / manifest.generation if manifest.generation == live else None
        staging = self.incoming / manifest.generation
        staging.mkdir(parents=True, exist_ok=True)
        fetched = []
        for entry in manifest.files:
            if _has(target, entry.name, entry.size) or _has(staging, entry.name, entry.size):
                continue
            fetched.append(self._download(manifest.snapshot, entry.name, entry.size, entry.sha256, staging))
        if target is None:  # a new generation: complete in incoming/, then renamed and switched to
            self.store.generations.mkdir(parents=True, exist_ok=True)
            _keep_only(staging, {entry.name for entry in manifest.files})
            os.rename(staging, self.store.generations / manifest.generation)
            self.store.switch_to(manifest.generation)
            self.store.remove_stale(keep=2)
        else:
            tocs = [entry.name for entry in manifest.files if TOC_NAME.fullmatch(entry.name)]
            for entry in manifest.files:
                if entry.name not in tocs and (staging / entry.name).exists():
                    os.replace(staging / entry.name, target / entry.name)
            for name in tocs:  # last: the version becomes visible whole
                if (staging / name).exists():
                    os.replace(staging / name, target / name)
            _keep_only(target, {entry.name for entry in manifest.files})
            shutil.rmtree(staging, ignore_errors=True)
        return fetched

    def _download(self, snapshot: str, name: str, size: int, sha256: str, folder: Path) -> int:
        """One file into ``folder``, verified before it gets its name."""
        partial = folder / f".{name}.part"
        digest = hashlib.sha256()
        with self._open(f"/replication/files/{quote(snapshot)}/{quote(name)}") as response, open(partial, "wb") as out:
            copied = copy_hashing(response, out, digest)
        if copied != size or digest.hexdigest() != sha256:
            partial.unlink(missing_ok=True)
            raise ReplicationError(f"{name} of {snapshot} did not verify ({copied} bytes of {size}, or its checksum differs)")
        os.replace(partial, folder / name)
        return copied

    # -- the loop -----------------------------------------------------------------------

    def run(self, interval: float, max_backoff: float = MAX_BACKOFF) -> None:
        """Sync every ``interval`` seconds; while the primary is unreachable, back off."""
        backoff = interval
        while True:
            try:
                self.sync_once()
                backoff = interval
            except (*SYNC_ERRORS, ReplicationError) as error:
                backoff = min(max_backoff, max(backoff * 2, interval))
                self.log("sync_failed", error=_describe(error), retry_in=round(backoff, 2))
            time.sleep(backoff)

    # -- HTTP -----------------------------------------------------------------------------

    def _open(self, path: str) -> Any:
        request = urllib.request.Request(self.primary + path, headers={"Authorization": f"Bearer {self.key}"})
        try:
            return urllib.request.urlopen(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                raise ReplicationError(f"the primary refused replication ({error.code}): check SEARCHSVC_REPLICATION_KEY") from None
            raise

    def _get(self, path: str) -> bytes:
        with self._open(path) as response:
            return response.read()

    def _save_state(self, manifest: Manifest, installed: str | None) -> None:
        self.store.root.mkdir(parents=True, exist_ok=True)
        ReplicaState(self.primary, installed, manifest.snapshot, manifest.committed_at, time.time()).save(self.store.root)


def _has(folder: Path | None, name: str, size: int) -> bool:
    if folder is None:
        return False
    try:
        return (folder / name).stat().st_size == size
    except FileNotFoundError:
        return False


def _keep_only(folder: Path, names: set[str]) -> None:
    """Delete what no longer belongs to the installed version (merged segments, old tables)."""
    for path in folder.iterdir():
        if path.is_file() and path.name not in names and not path.name.endswith(NOT_REPLICATED):
            path.unlink(missing_ok=True)


def _describe(error: BaseException) -> str:
    """An error for the log, without URLs' secrets (there are none: keys travel in headers)."""
    return f"{type(error).__name__}: {error}"
