"""What a replica knows of its primary: a small JSON file the follower replaces atomically.

The replica's workers and ``searchsvc status`` read it to say how far behind the primary the
installed version is. Lag is counted from the moment the primary committed the newest
version the replica has not installed yet (the primary's clock: keep hosts on NTP); a
replica that has everything the primary last showed it lags 0, even while the primary is
down (it cannot be more up to date), and ``checked_at`` says when it last heard from it.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_FILE = "replication.json"


@dataclass(frozen=True)
class ReplicaState:
    primary: str
    installed: str | None  # the installed version's name (generation.version)
    primary_version: str | None  # the newest version the primary showed
    primary_committed_at: float | None  # when the primary committed it
    checked_at: float  # when the primary last answered

    def lag_seconds(self, now: float | None = None) -> float:
        if self.primary_version is None or self.primary_version == self.installed:
            return 0.0
        return max(0.0, (now or time.time()) - (self.primary_committed_at or self.checked_at))

    def save(self, root: Path) -> None:
        temporary = root / f".{STATE_FILE}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(asdict(self)), "utf-8")
        os.replace(temporary, root / STATE_FILE)

    @classmethod
    def load(cls, root: Path) -> "ReplicaState | None":
        try:
            return cls(**json.loads((root / STATE_FILE).read_text("utf-8")))
        except (OSError, ValueError, TypeError):
            return None


def node_role(primary_url: str | None, replication_keys: tuple[str, ...]) -> str:
    """``replica`` (follows a primary), ``primary`` (serves replicas) or ``standalone``."""
    if primary_url:
        return "replica"
    return "primary" if replication_keys else "standalone"
