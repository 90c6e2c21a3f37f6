"""The benchmark corpus and query workload, shared by every benchmark in bench/.

Reuters-21578 is read at run time from the shared folder beside the repo (never copied
into it), validated through our own :func:`load_article` so every engine indexes exactly
the articles our service would, and optionally scaled up by repeating it under new ids.
Queries are drawn from the titles with a fixed seed, so runs on different days and
engines search for the same things.
"""

from __future__ import annotations

import gzip
import json
import random
import string
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from searchsvc.articles import Article, load_article

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
REUTERS = SHARED / "corpora" / "reuters21578" / "reuters.jsonl.gz"

QUERY_SEED = 21578
ZIPF_SEED = 1987

Query = tuple[str, ...]

# Words too common to be a useful search term. Title words only ever reach this list
# lowercased, alphabetic and 4+ letters long, so short words need no entry.
STOP_WORDS = frozenset(
    """
    about above after again against also among been before being below between both
    could does doing down during each from further have having here hers herself
    himself into itself just more most myself only other ought ours ourselves over
    said same says should some such than that their theirs them themselves then there
    these they this those through under until upon very were what when where which
    while whom will with within without would your yours yourself yourselves
    """.split()
)

_EDGE_PUNCTUATION = string.punctuation + "\u2018\u2019\u201c\u201d"


def load_reuters(path: Path = REUTERS) -> list[Article]:
    """All articles of the Reuters JSON Lines file, validated as our indexer would see them."""
    if not path.is_file():
        raise FileNotFoundError(f"Reuters corpus not found at {path} (the shared folder beside the repo)")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [load_article(json.loads(line)) for line in lines if line.strip()]


def scaled(articles: Sequence[Article], factor: int) -> list[Article]:
    """The corpus repeated ``factor`` times; copies after the first get new ids.

    Repeating real text keeps the vocabulary and term statistics realistic while
    multiplying the postings every engine must walk, so match counts scale exactly.
    """
    copies = list(articles)
    for copy in range(2, factor + 1):
        copies.extend(replace(article, id=f"{article.id}-x{copy}") for article in articles)
    return copies


def title_words(title: str) -> list[str]:
    """The distinct searchable words of a title: lowercase, alphabetic, 4+ letters, no stop words.

    Tokens with inner punctuation ("u.s.-japan", "a.g.edwards") are skipped rather than
    split, because each engine's tokenizer splits them differently.
    """
    words = (token.strip(_EDGE_PUNCTUATION) for token in title.lower().split())
    eligible = (w for w in words if len(w) >= 4 and w.isascii() and w.isalpha() and w not in STOP_WORDS)
    return list(dict.fromkeys(eligible))


def draw_queries(articles: Sequence[Article], count: int, seed: int = QUERY_SEED) -> list[Query]:
    """``count`` distinct two-word queries, each taken from one random article's title.

    Both words come from the same title, so every query matches at least one article.
    The draw is sequential, so a longer list starts with the shorter one.
    """
    rng = random.Random(seed)
    queries: dict[Query, None] = {}
    attempts = 0
    while len(queries) < count:
        attempts += 1
        if attempts > 1000 * count:
            raise ValueError(f"cannot draw {count} distinct queries from these titles")
        words = title_words(rng.choice(articles).title)
        if len(words) >= 2:
            queries.setdefault(tuple(rng.sample(words, 2)), None)
    return list(queries)


def zipf_log(queries: Sequence[Query], requests: int, exponent: float = 1.1, seed: int = ZIPF_SEED) -> list[Query]:
    """A query log in which the i-th query recurs with frequency proportional to 1/i^exponent."""
    rng = random.Random(seed)
    weights = [1.0 / rank**exponent for rank in range(1, len(queries) + 1)]
    return rng.choices(list(queries), weights=weights, k=requests)
