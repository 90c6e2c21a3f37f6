"""What a completion (GET /api/suggest) costs in-process at each scale of Reuters-21578, once
the index version's vocabulary is built (once per version and process; its build is the
first column). Medians of every prefix of 1-3 letters of a few common words; the machine is
shared: compare scales within one run.

    .venv/bin/python bench/suggest.py [--scales 1,5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout, without installing searchsvc

from bench.corpus import load_reuters  # noqa: E402
from bench.inprocess import ms, scaled_service  # noqa: E402

WORDS = ("oil", "bank", "trade", "yen", "wheat", "coffee", "dollar", "stock")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,5")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = load_reuters()
    print("| scale | vocabulary build ms (first completion) | 1 letter ms | 2 letters ms | 3 letters ms |")
    print("|---|---|---|---|---|")
    for factor in (int(part) for part in args.scales.split(",")):
        with scaled_service(base, factor, "suggest") as service:
            first = ms(lambda: service.suggest("oil"))
            by_length = {n: [ms(lambda word=word, n=n: service.suggest(word[:n])) for word in WORDS * args.rounds] for n in (1, 2, 3)}
            print(f"| x{factor} | {first:.1f} | " + " | ".join(f"{statistics.median(by_length[n]):.2f}" for n in (1, 2, 3)) + " |")


if __name__ == "__main__":
    main()
