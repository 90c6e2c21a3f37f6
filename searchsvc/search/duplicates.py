"""collapse=duplicates: one hit per group of near-duplicate matches.

The groups are those of the whole index version (near_duplicates.py gives each article its
MinHash bands): per band, the documents sorted by band value; neighbours with an equal value
are candidates (LSH). A candidate pair joins only when the share of equal MinHash values
over all 64 (the Jaccard estimate of their word 3-shingles) reaches ``SIMILARITY``, so
articles that merely share a topic stay apart; and only when they were published within 36
hours of each other, so a recurring report (the same template and headline on another day,
with new figures) is not taken for a rewrite. Groups are the connected components of the
joined pairs.

A search keeps the groups of the index restricted to its matches: a story is a property of
the index, not of the query, so two matches rewritten from one another through an article
the query did not find (filtered out, or without the query's words) still make one hit,
and no search ever shows a member it did not match. The newest *matching* member (then the
last written) represents a group: a rewrite or correction usually supersedes what it repeats.

Grouping a whole version costs one sort per band (0.1 to 0.25 s at 95,200 articles on a
loaded machine), so it is done once per version, band after band, and stops at the search's
deadline: the next search resumes it, and until it is complete a search answers with the
groups of the bands done so far (fewer merges, never a wrong one) and says ``partial``.
Restricting the complete groups to any set of matches is linear in the index's size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from searchsvc.near_duplicates import BANDS, NO_BAND, signature_values
from searchsvc.search.columns import MISSING_TICKS

MAX_SIMILAR_IDS = 50  # ids listed per hit; similar_count counts them all
SIMILARITY = 0.5  # estimated Jaccard similarity of shingles from which two articles are one story
# Rewrites of a story come within hours; a recurring report (a weekly table, a daily money
# market note) repeats its template and headline days later with new figures: not joined.
WINDOW_TICKS = 36 * 3_600 * 1_000_000  # 36 hours in column ticks (microseconds)


@dataclass(frozen=True)
class Stories:
    """The groups of every document of an index version, arranged to be restricted cheaply."""

    labels: np.ndarray  # group of each document number (0, 1, ...; -1: not grouped)
    by_group: np.ndarray  # the grouped document numbers by group, each group newest first
    starts: np.ndarray  # group g's documents are by_group[starts[g]:starts[g + 1]]
    place: np.ndarray  # each grouped document number's place in ``by_group``

    def of(self, docs: np.ndarray) -> Groups:
        """The groups of ``docs`` (ascending document numbers, all grouped here), each
        represented by its newest member among ``docs``: one pass over the groups' order."""
        chosen = np.zeros(self.labels.size, dtype=bool)
        chosen[docs] = True
        # Many documents: picked from the whole order in one pass; a few: their places sorted.
        ordered = self.by_group[chosen[self.by_group]] if docs.size * 16 > self.by_group.size else self.by_group[np.sort(self.place[docs])]
        labels = self.labels[ordered]
        leads = np.ones(ordered.size, dtype=bool)
        leads[1:] = labels[1:] != labels[:-1]
        chosen[:] = False
        chosen[ordered[leads]] = True
        return Groups(docs, np.flatnonzero(chosen[docs]), self)

    def members(self, docnum: int) -> np.ndarray:
        """Every document of ``docnum``'s group, newest first."""
        label = self.labels[docnum]
        return self.by_group[self.starts[label] : self.starts[label + 1]]


@dataclass(frozen=True)
class Groups:
    """The near-duplicate groups of a set of documents: the index's groups restricted to it."""

    docs: np.ndarray  # the grouped document numbers, ascending
    representatives: np.ndarray  # position in ``docs`` of each group's representative, ascending
    stories: Stories

    @property
    def count(self) -> int:
        return int(self.representatives.size)

    @property
    def labels(self) -> np.ndarray:
        """The group of each position."""
        return self.stories.labels[self.docs]

    def others(self, docnum: int) -> np.ndarray:
        """The other grouped documents of ``docnum``'s group, ascending."""
        members = np.sort(self.stories.members(docnum))
        found = np.searchsorted(self.docs, members).clip(max=self.docs.size - 1)
        return members[(self.docs[found] == members) & (members != docnum)]


class Grouping:
    """Groups a set of documents band after band, resumably, within deadlines.

    Each band adds its verified candidate pairs to the components found so far; a pair whose
    two documents are already joined is skipped, so the costly verification and the repeated
    pairs of exact copies (equal in every band) are done once. The result does not depend on
    where deadlines cut the work.
    """

    def __init__(self, docs: np.ndarray, bands: np.ndarray, ticks: np.ndarray, size: int) -> None:
        """``docs``: the ascending document numbers to group (below ``size``), with their
        (documents, BANDS) band values and their dates."""
        self._docs, self._bands, self._ticks, self._size = docs, bands, ticks, size
        self._by_time = np.argsort(ticks, kind="stable")
        self._labels = np.arange(docs.size)  # component of each position so far
        self._next_band = 0

    @property
    def complete(self) -> bool:
        return self._next_band == BANDS

    def advance(self, deadline: float) -> Stories:
        """The groups after working on until ``deadline`` (at least one band, if any is left)."""
        while not self.complete:
            self._join(self._bands[:, self._next_band])
            self._next_band += 1
            if time.perf_counter() > deadline:
                break
        return self._stories()

    def _join(self, band: np.ndarray) -> None:
        # Equal values in date order (then written order): neighbours further apart than the
        # window have no member beyond them within it either, so the window never breaks a
        # chain that a farther member would have kept, whatever order the articles were
        # written in (in written order, a rewrite written back live was left out).
        order = self._by_time[np.argsort(band[self._by_time], kind="stable")]
        ordered = band[order]
        equal = (ordered[1:] == ordered[:-1]) & (ordered[1:] != NO_BAND)
        first, second = order[:-1][equal], order[1:][equal]
        apart = self._labels[first] != self._labels[second]
        first, second = _verified(first[apart], second[apart], self._bands, self._ticks)
        if first.size == 0:
            return
        count = int(self._labels.max()) + 1
        graph = coo_matrix((np.ones(first.size, dtype=np.int8), (self._labels[first], self._labels[second])), shape=(count, count))
        _count, merged = connected_components(graph, directed=False)
        self._labels = merged[self._labels]

    def _stories(self) -> Stories:
        positions = np.arange(self._docs.size)
        newest_first = np.lexsort((-positions, -self._ticks.astype(np.float64), self._labels))
        by_group = self._docs[newest_first]
        labels = np.full(self._size, -1, dtype=np.int64)  # documents not grouped (deleted) are never asked for
        labels[self._docs] = self._labels
        place = np.zeros(self._size, dtype=np.int64)
        place[by_group] = positions
        starts = np.searchsorted(self._labels[newest_first], np.arange(int(self._labels.max(initial=-1)) + 2))
        return Stories(labels, by_group, starts, place)


def group(bands: np.ndarray, ticks: np.ndarray) -> Groups:
    """Groups of documents given their (documents, BANDS) band values and their dates."""
    positions = np.arange(bands.shape[0])
    return Grouping(positions, bands, ticks, positions.size).advance(float("inf")).of(positions)


def collapse(keep: np.ndarray | None, size: int, groups: Groups) -> np.ndarray:
    """The mask over ``size`` matches that keeps only the representatives of ``groups``, the
    groups of the matches ``keep`` selected (None: all of them)."""
    positions = np.flatnonzero(keep) if keep is not None else np.arange(size)
    mask = np.zeros(size, dtype=bool)
    mask[positions[groups.representatives]] = True
    return mask


def _verified(first: np.ndarray, second: np.ndarray, bands: np.ndarray, ticks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs similar enough, and published within the window of each other (or undated)."""
    similar = (signature_values(bands[first]) == signature_values(bands[second])).mean(axis=1) >= SIMILARITY
    undated = (ticks[first] == MISSING_TICKS) | (ticks[second] == MISSING_TICKS)
    similar &= undated | (np.abs(ticks[first] - ticks[second]) <= WINDOW_TICKS)
    return first[similar], second[similar]

