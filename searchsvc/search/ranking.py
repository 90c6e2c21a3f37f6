"""How matches are ordered by relevance: BM25F over title and body, then pseudo-relevance feedback.

Matching and ranking are kept apart. The reader's query decides *which* articles match
(the total, the facets); what is built here only decides their *order*.

1. Every plain word of the query is scored once over title and body by BM25F
   (search/bm25f.py), the title weighted ``title_boost``:1. Phrases, prefixes and the
   like keep Whoosh's per-field BM25 with the same k1 and b.
2. **Pseudo-relevance feedback**: the ``feedback_terms`` most informative words of the
   ``feedback_docs`` best matches (search/feedback.py) re-score the ``pool`` best
   matches, interpolated with the query RM3-style (``feedback_interpolation``).
   Articles on the same story as the best ones move up; nothing is added to or removed
   from the matches. Only the pool is re-scored: it holds what a reader pages through,
   and it keeps the cost to a few numpy operations.

BM25's k1 and b are the textbook values; feedback takes Anserini's RM3 defaults (10
documents, 10 words) with the query weighted 0.7 against 0.3 for the feedback words.
bench/relevance.py measures them on six judged collections, and bench/README-relevance.md
says why they should hold for news.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh import scoring
from whoosh.searching import Searcher

from searchsvc.search.bm25f import FieldedTerm, pool_scores
from searchsvc.search.feedback import feedback_words
from searchsvc.search.postings import PostingsCache

FEEDBACK_FIELD = "body"  # whose analyzer and collection statistics judge feedback words


@dataclass(frozen=True)
class RankingSettings:
    k1: float = 1.2  # BM25 term-frequency saturation
    b: float = 0.75  # BM25 length normalization (title and body)
    feedback_docs: int = 10  # best matches whose words re-score the pool (0: no feedback)
    feedback_terms: int = 10  # words taken from them
    # RM3-style interpolation: (1 - λ) · query + λ · feedback words, each side's weights summing to 1.
    feedback_interpolation: float = 0.3
    pool: int = 200  # best matches re-scored by feedback (and freshness), or the page depth if deeper


class Ranker:
    """Ranking for one set of field weights, e.g. {"title": 2.0, "body": 1.0}."""

    def __init__(self, settings: RankingSettings, field_weights: Mapping[str, float], postings: PostingsCache) -> None:
        self.settings = settings
        self.field_weights = dict(field_weights)
        self._postings = postings

    def weighting(self) -> scoring.WeightingModel:
        """Whoosh's per-field BM25, for what is not a plain word (phrases, prefixes)."""
        return scoring.BM25F(B=self.settings.b, K1=self.settings.k1)

    def query(self, parsed: wq.Query) -> wq.Query:
        """``parsed`` with each plain word scored once by BM25F over the fields it names.

        The parser turns a word into ``title:word^2 OR body:word``; that OR (or a flat OR
        of several words) becomes one :class:`FieldedTerm` per word, matching the same
        documents.
        """

        def combine(node: wq.Query) -> wq.Query:
            if isinstance(node, wq.Term) and node.fieldname in self.field_weights:
                return self._word(node.text, {node.fieldname: node.boost})
            if type(node) is wq.Or:
                words: dict[str, dict[str, float]] = {}
                others = []
                for child in node.subqueries:
                    if isinstance(child, wq.Term) and child.fieldname in self.field_weights:
                        words.setdefault(child.text, {})[child.fieldname] = child.boost
                    else:
                        others.append(combine(child))
                combined = [self._word(text, boosts) for text, boosts in words.items()]
                return wq.Or(combined + others, boost=node.boost).normalize()
            return node if node.is_leaf() else node.apply(combine)

        return combine(parsed)

    def scores(self, searcher: Searcher, ranked: wq.Query, docs: np.ndarray, lengths: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """The score of each of ``docs`` (sorted document numbers, all matching ``ranked``),
        equal to what Whoosh's matchers give them; None when ``ranked`` has parts only
        Whoosh can score (phrases, prefixes, other fields).

        numpy over the words' posting lists: ranking every match costs a few array
        operations where Whoosh's collector walks the matches one by one in Python.
        ``lengths``: each ranked field's length by document number.
        """
        words = _scored_words(ranked)
        if words is None:
            return None
        scored = pool_scores([word for word, _factor in words if word], searcher, docs, lengths, self._postings)
        rows = iter(scored)
        scores = np.zeros(docs.size)
        for word, factor in words:  # in the query's order, as Whoosh adds them up
            scores += factor * (next(rows) if word else 1.0)
        return scores

    def feedback(
        self, searcher: Searcher, ranked: wq.Query, top: Sequence[tuple[int, float]], lengths: Mapping[str, np.ndarray]
    ) -> list[tuple[int, float]]:
        """The (docnum, score) pairs of ``ranked``'s best matches re-scored with feedback from
        the best of them, best first.

        As RM3 does (Abdul-Jaleel et al. 2004; Anserini's default), the query and the feedback
        words are each weighted to sum to 1 and then interpolated, so feedback has the same
        say for a two-word query as for a thirty-word one.
        """
        settings = self.settings
        best = [docnum for docnum, _score in top[: settings.feedback_docs]]
        words = self.key_words(searcher, best, settings.feedback_terms)
        if not words:
            return list(top)
        docnums = [docnum for docnum, _ in top]
        original = np.array([score for _, score in top]) / _query_weight(ranked)
        expansion = self.word_scores(searcher, docnums, words, lengths) / sum(weight for _word, weight in words)
        lam = settings.feedback_interpolation
        return _best_first(docnums, (1 - lam) * original + lam * expansion)

    def without_feedback(self, ranked: wq.Query, scored: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
        """Matches past the feedback pool on the pool's scale: their query share alone, as if no
        feedback word occurred in them, so scores still fall from page to page."""
        scale = (1 - self.settings.feedback_interpolation) / _query_weight(ranked)
        return [(docnum, score * scale) for docnum, score in scored]

    def word_scores(
        self, searcher: Searcher, docnums: Sequence[int], words: Sequence[tuple[str, float]], lengths: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        """Each document's score for any of the (word, weight) pairs by BM25F, in ``docnums`` order."""
        pool = np.array(docnums, dtype=np.int64)
        order = np.argsort(pool)
        pool = pool[order]
        scores = np.zeros(pool.size)
        for row in pool_scores([self._word(text, {}, weight) for text, weight in words], searcher, pool, lengths, self._postings):
            scores += row
        unsorted = np.empty_like(scores)
        unsorted[order] = scores
        return unsorted

    def key_words(self, searcher: Searcher, docnums: Sequence[int], count: int) -> list[tuple[str, float]]:
        """The ``count`` words that best tell these documents apart (Bo1), weights relative to the best."""
        return feedback_words(searcher, docnums, self.field_weights, FEEDBACK_FIELD, count, self._postings)

    def words_query(self, words: Sequence[tuple[str, float]]) -> wq.Query:
        """Any of ``words``, each scored by BM25F over title and body, times its weight."""
        return wq.Or([self._word(text, {}, weight) for text, weight in words])

    def _word(self, text: str, boosts: Mapping[str, float], boost: float = 1.0) -> FieldedTerm:
        """A word over the fields in ``boosts`` (every ranked field when empty).

        The parser puts each field's weight into its term's boost; divided out, what is
        left is the reader's own boost (``word^2``), the same in every field.
        """
        settings = self.settings
        if not boosts:
            return FieldedTerm(text, self.field_weights, boost, settings.k1, settings.b)
        own = max(value / self.field_weights[name] for name, value in boosts.items())
        weights = {name: self.field_weights[name] for name in boosts}
        return FieldedTerm(text, weights, boost * own, settings.k1, settings.b)


def best(docs: np.ndarray, scores: np.ndarray, count: int) -> list[tuple[int, float]]:
    """The ``count`` best (docnum, score) pairs, best first; ties by document number, as
    Whoosh's collector breaks them."""
    if count < docs.size:
        kept = np.argpartition(-scores, count - 1)[:count]
        # Documents tied with the last kept score may have been left out in favour of later ones.
        floor = scores[kept].min()
        kept = np.flatnonzero(scores >= floor)
        docs, scores = docs[kept], scores[kept]
    order = np.lexsort((docs, -scores))[:count]
    return list(zip(docs[order].tolist(), scores[order].tolist()))


def _scored_words(node: wq.Query, factor: float = 1.0) -> list[tuple[FieldedTerm | None, float]] | None:
    """The words that score ``node`` with the boost each gets from the queries around it,
    as Whoosh's matchers apply them (None for a constant 1); None for a part numpy does
    not score."""
    if isinstance(node, FieldedTerm):
        return [(node, factor)]
    if isinstance(node, wq.AndNot):  # the excluded part never scores
        return _scored_words(node.a, factor)
    if isinstance(node, wq.AndMaybe):
        parts = [_scored_words(node.a, factor), _scored_words(node.b, factor)]
    elif isinstance(node, wq.And) or (type(node) is wq.Or and not node.minmatch):
        children = node.subqueries
        # Whoosh applies a compound's boost only when it has several parts.
        inner = factor * node.boost if len(children) > 1 else factor
        # In an And, Whoosh scores a negated part as a constant 1 (its matcher's weight).
        parts = [[(None, inner)] if isinstance(child, wq.Not) and isinstance(node, wq.And) else _scored_words(child, inner) for child in children]
    else:
        return None
    if any(part is None for part in parts):
        return None
    return [pair for part in parts for pair in part]  # type: ignore[union-attr]


def _query_weight(ranked: wq.Query) -> float:
    """The summed weights of the query's words (its length when none is boosted), at least 1."""
    words = _scored_words(ranked)
    if words is None:
        return max(1.0, float(len(list(ranked.leaves()))))
    return max(1.0, sum(factor * (word.boost if word else 1.0) for word, factor in words))


def _best_first(docnums: Sequence[int], scores: np.ndarray) -> list[tuple[int, float]]:
    """(docnum, score) pairs by descending score; ties keep their order."""
    ranking = np.argsort(-scores, kind="stable")
    return [(int(docnums[i]), float(scores[i])) for i in ranking]
