"""Related articles: the articles most like one, by the words that characterize it.

More-like-this as Whoosh does it (``Searcher.more_like``: the document's key words by Bo1,
then a search for any of them), but over title and body, with the key words scored by
BM25F like every search (search/ranking.py). Among near ties, newer articles come first:
for news, of two equally close stories the recent one is the better next read.
"""

from __future__ import annotations

import numpy as np
from whoosh.searching import Searcher

from searchsvc.search.columns import Columns
from searchsvc.search.ranking import Ranker

KEY_WORDS = 15  # words that characterize the article
SEARCH_WORDS = 5  # the strongest of them find candidates (an OR of all 15 walks most of the index)
CANDIDATES = 50  # candidates scored with all the key words
NEAR_TIE = 0.95  # scores within 5% of the first of a run count as tied


def related(searcher: Searcher, ranker: Ranker, docnum: int, columns: Columns, limit: int) -> list[int]:
    """Document numbers of up to ``limit`` articles like ``docnum`` (never itself), best first."""
    words = ranker.key_words(searcher, [docnum], KEY_WORDS)
    if not words:
        return []
    hits = searcher.search(ranker.words_query(words[:SEARCH_WORDS]), limit=max(CANDIDATES, limit), mask={docnum})
    candidates = [hit.docnum for hit in hits]
    scores = ranker.word_scores(searcher, candidates, words, columns.lengths)
    ranked = sorted(zip(candidates, scores.tolist()), key=lambda pair: -pair[1])
    return [found for found, _score in _newest_first_among_ties(ranked, columns.ticks)][:limit]


def _newest_first_among_ties(ranked: list[tuple[int, float]], ticks: np.ndarray) -> list[tuple[int, float]]:
    """``ranked`` (best first) with each run of near-tied scores reordered newest first."""
    ordered: list[tuple[int, float]] = []
    run: list[tuple[int, float]] = []
    for docnum, score in ranked:
        if run and score < NEAR_TIE * run[0][1]:
            ordered += sorted(run, key=lambda pair: -int(ticks[pair[0]]))
            run = []
        run.append((docnum, score))
    return ordered + sorted(run, key=lambda pair: -int(ticks[pair[0]]))  # undated: last
