"""Settings from ``SEARCHSVC_*`` environment variables, with defaults that work from a checkout."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_INDEX_DIR = "index"


def from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Flask config keys read from the environment.

    SEARCHSVC_INDEX_DIR     where index generations live (default: ./index)
    SEARCHSVC_CORS_ORIGINS  origins allowed to call the read API, comma-separated (default: *)
    SEARCHSVC_TITLE_BOOST   how much a title match outweighs a body match (default: 2.0)
    SEARCHSVC_MAX_EXPANSIONS  most index words one wildcard may expand to (default: 200)
    SEARCHSVC_TIME_BUDGET   seconds a search may spend before answering partially (default: 1.5)
    """
    env = os.environ if env is None else env
    origins = [o.strip() for o in env.get("SEARCHSVC_CORS_ORIGINS", "*").split(",") if o.strip()]
    return {
        "INDEX_DIR": Path(env.get("SEARCHSVC_INDEX_DIR", DEFAULT_INDEX_DIR)).resolve(),
        "CORS_ORIGINS": origins or ["*"],
        "TITLE_BOOST": float(env.get("SEARCHSVC_TITLE_BOOST", "2.0")),
        "MAX_EXPANSIONS": int(env.get("SEARCHSVC_MAX_EXPANSIONS", "200")),
        "TIME_BUDGET": float(env.get("SEARCHSVC_TIME_BUDGET", "1.5")),
    }
