"""collapse=duplicates: one hit per group of near-duplicate matches.

At query time, over the MinHash band columns of the matching documents only
(near_duplicates.py): per band, the documents sorted by band value; neighbours with an
equal value are candidates (LSH). A candidate pair joins only when the share of equal
MinHash values over all 64 (the Jaccard estimate of their word 3-shingles) reaches
``SIMILARITY``, so articles that merely share a topic stay apart; and only when they were
published within 36 hours of each other, so a recurring report (the same template and
headline on another day, with new figures) is not taken for a rewrite. Groups are the
connected components of the joined pairs (scipy). The newest member (then the last
written) represents a group: a rewrite or correction usually supersedes what it repeats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from searchsvc.near_duplicates import NO_BAND, signature_values
from searchsvc.search.columns import MISSING_TICKS

MAX_SIMILAR_IDS = 50  # ids listed per hit; similar_count counts them all
SIMILARITY = 0.5  # estimated Jaccard similarity of shingles from which two articles are one story
# Rewrites of a story come within hours; a recurring report (a weekly table, a daily money
# market note) repeats its template and headline days later with new figures: not joined.
WINDOW_TICKS = 36 * 3_600 * 1_000_000  # 36 hours in column ticks (microseconds)


@dataclass(frozen=True)
class Groups:
    """The near-duplicate groups of a set of documents (positions index that set)."""

    labels: np.ndarray  # group of each position
    representatives: np.ndarray  # position of each group's representative, ascending

    @property
    def count(self) -> int:
        return int(self.representatives.size)

    def others(self, position: int) -> np.ndarray:
        """The positions of the other members of ``position``'s group."""
        members = np.flatnonzero(self.labels == self.labels[position])
        return members[members != position]


def collapse(keep: np.ndarray | None, size: int, groups: Groups) -> np.ndarray:
    """The mask over ``size`` matches that keeps only the representatives of ``groups``, the
    groups of the matches ``keep`` selected (None: all of them)."""
    positions = np.flatnonzero(keep) if keep is not None else np.arange(size)
    mask = np.zeros(size, dtype=bool)
    mask[positions[groups.representatives]] = True
    return mask


def group(bands: np.ndarray, ticks: np.ndarray) -> Groups:
    """Groups of documents given their (documents, BANDS) band values and their dates."""
    size = bands.shape[0]
    if size == 0:
        return Groups(np.zeros(0, np.int64), np.zeros(0, np.int64))
    first, second = _joined_pairs(bands, ticks)
    graph = coo_matrix((np.ones(first.size, dtype=np.int8), (first, second)), shape=(size, size))
    _count, labels = connected_components(graph, directed=False)
    newest_first = np.lexsort((-np.arange(size), -ticks.astype(np.float64)))
    _groups, at = np.unique(labels[newest_first], return_index=True)
    return Groups(labels, np.sort(newest_first[at]))


def _joined_pairs(bands: np.ndarray, ticks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (neighbours in some band's order with equal values), verified: similar
    enough, and published within the window of each other (or undated)."""
    size = bands.shape[0]
    firsts, seconds = [], []
    for band in bands.T:
        order = np.argsort(band, kind="stable")
        ordered = band[order]
        equal = (ordered[1:] == ordered[:-1]) & (ordered[1:] != NO_BAND)
        firsts.append(order[:-1][equal])
        seconds.append(order[1:][equal])
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    if first.size == 0:
        return first, second
    pairs = np.unique(np.minimum(first, second) * size + np.maximum(first, second))  # equal in several bands: once
    first, second = pairs // size, pairs % size
    values = signature_values(bands)
    similar = (values[first] == values[second]).mean(axis=1) >= SIMILARITY
    undated = (ticks[first] == MISSING_TICKS) | (ticks[second] == MISSING_TICKS)
    similar &= undated | (np.abs(ticks[first] - ticks[second]) <= WINDOW_TICKS)
    return first[similar], second[similar]
