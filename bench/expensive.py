"""What the most expensive queries we could construct cost through the whole API (Flask's
test client: parsing, bounds, search and JSON), in-process, at each scale of Reuters-21578.
The time budget should hold each at about a second or less whatever the scale; the tests
check only what they answer (tests/test_hardening.py), never how fast. Medians of a few
rounds; the machine is shared: compare with the plain query's row.

    .venv/bin/python bench/expensive.py [--scales 1,5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

COMMON = "said mln dlrs reuter pct it year vs 000 was compani bank he billion has share would cts market which but price trade inc new were net stock corp last 1986 loss".split()
WIDE_PREFIXES = "sp le sc fo ar fi we wa wi da fr to th ne fa ex".split()  # ~170 body words each

# The slowest queries we could construct on Reuters-21578 (before the bounds, up to 95 s each).
EXPENSIVE: dict[str, dict[str, Any]] = {
    "leading wildcard": {"q": "*qzx*"},
    "single-character pattern": {"q": "?"},
    "open term range": {"q": "[a TO z]"},
    "many wide prefixes": {"q": " OR ".join(p + "*" for p in WIDE_PREFIXES)},
    "1,000 characters of common words": {"q": " ".join(COMMON * 40)[:1000]},
    "32 common words OR-ed, deep page": {"q": " OR ".join(COMMON[:32]), "page": 100, "per_page": 100},
    "phrase of one word 32 times": {"q": '"' + " ".join(["said"] * 32) + '"~1000'},
    "sixteen two-word phrases": {"q": " OR ".join(f'"{a} {b}"' for a, b in zip(COMMON[:32:2], COMMON[1:32:2]))},
    "everything but 31 words": {"q": "* " + " ".join("-" + w for w in COMMON[:31])},
    "sloppy phrase of five": {"q": '"said mln dlrs pct year"~10000'},
    "twelve narrow ranges": {"q": " OR ".join(f"[{w} TO {w}zz]" for w in COMMON[:12])},
    "deep parentheses": {"q": "(" * 300 + "said" + ")" * 300},
    "nested AND/OR": {"q": "(said OR (mln AND (dlrs OR (pct AND (year OR (vs AND (000 OR (compani AND bank))))))))"},
    "newest first over most articles": {"q": " OR ".join(COMMON[:32]), "sort": "newest", "per_page": 100},
    "fifty sections and every filter": {
        "q": "said", "section": [f"section-{i}" for i in range(50)], "date_from": "1987-01-01",
        "date_to": "1987-12-31", "date_interval": "day", "per_page": 100,
    },
}


def main() -> None:
    from bench.corpus import load_reuters, scaled
    from bench.inprocess import ms
    from searchsvc import create_app
    from searchsvc.indexer import index_articles
    from searchsvc.store import IndexStore

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,5")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base = load_reuters()
    queries = {"plain two words (for comparison)": {"q": "oil prices"}, **EXPENSIVE}
    factors = [int(part) for part in args.scales.split(",")]
    print("| query | " + " | ".join(f"x{factor} ms (status, partial)" for factor in factors) + " |")
    print("|---|" + "---|" * len(factors))
    rows: dict[str, list[str]] = {name: [] for name in queries}
    for factor in factors:
        with tempfile.TemporaryDirectory(prefix="bench-expensive-") as folder:
            index_articles(scaled(base, factor), IndexStore(Path(folder) / "index"))
            client = create_app({"INDEX_DIR": Path(folder) / "index", "RATE_LIMIT_READ": "off", "TESTING": True}).test_client()
            logging.getLogger("searchsvc.access").disabled = True  # the table, not a line per request
            client.get("/api/search", query_string={"q": "oil"})  # columns loaded, as after a worker's first search
            for name, params in queries.items():
                answers: list[Any] = []
                timings = [ms(lambda: answers.append(client.get("/api/search", query_string=params))) for _ in range(args.rounds)]
                answer = answers[-1]
                partial = answer.json.get("partial") if answer.status_code == 200 else answer.json.get("code")
                rows[name].append(f"{statistics.median(timings):.1f} ({answer.status_code}, {partial})")
    for name, cells in rows.items():
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
