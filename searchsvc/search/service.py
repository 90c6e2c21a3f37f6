"""Answering a SearchRequest from the live index generation.

Each process keeps one open searcher and reuses it across requests. Before a request it
checks (cheaply) whether the store switched to a new generation or the index changed,
and only then opens a fresh searcher (``store.open_reader``), never ``searcher.refresh()``,
which returns stale and duplicated documents in this Whoosh version. Threads take turns
with it (a lock): the work is Python under the GIL, so a searcher per thread bought no
speed and cost each thread its own mapped index files and caches.

The matching document numbers are computed once per request; filters, facet counts,
date sorting and paging are numpy operations over them, and only the shown page is
scored, loaded and highlighted.

Every search has a time budget. Posting lists report themselves exhausted once it runs out
(``_BudgetSearcher``), so any query, however its matchers combine them (long phrases of
common words, many negations), stops in time and answers with what it found, ``partial``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time as clock, timezone
from functools import cached_property
from pathlib import Path
import numpy as np
from whoosh import query as wq
from whoosh.collectors import TopCollector, WrappingCollector
from whoosh.index import FileIndex
from whoosh.matching import Matcher, WrappingMatcher
from whoosh.searching import Searcher

from searchsvc.articles import Article
from searchsvc.removals import Removal, RemovalsCache
from searchsvc.search import duplicates
from searchsvc.search.columns import KEYWORD_FIELDS, MISSING_TICKS, ColumnCache, Columns, KeywordVocabulary, SectionVocabulary, ticks_of
from searchsvc.search.cursors import CursorCodec, RankPosition, date_keys, page_by_date
from searchsvc.search.facets import DateFacet, KeywordFacet, SectionFacet
from searchsvc.search.highlight import MAX_SNIPPET_CHARS, MIN_SNIPPET_CHARS, SNIPPET_CHARS, Highlighter
from searchsvc.search.model import (
    FACET_NAMES,
    HIT_FIELDS,
    MAX_FACET_SIZE,
    DateField,
    Hit,
    SearchError,
    SearchRequest,
    SearchResult,
    Sort,
    Suggestion,
    ValueCounts,
)
from searchsvc.search.cache import ResultCache
from searchsvc.search.postings import PlainQueryMatcher, PostingsCache
from searchsvc.search.query import QueryParser, query_words
from searchsvc.search.freshness import FreshnessSettings, half_life, rescore
from searchsvc.search.ranking import Ranker, RankingSettings, best
from searchsvc.search.related import related
from searchsvc.search.spelling import correct
from searchsvc.search.suggest import MAX_SUGGESTIONS, completions
from searchsvc.search.synonyms import Synonyms
from searchsvc.search.timeline import Timeline, TimelineInterval, coverage
from searchsvc.search.vocabulary import VocabularyCache
from searchsvc.store import Generation, IndexStore, NoIndexError, article_from_stored, open_reader, text_analyzer

log = logging.getLogger(__name__)

MAX_RESULT_WINDOW = 10_000  # deepest hit a request may page to, as in Elasticsearch
FEW_RESULTS = 3  # fewer matches than this, and a corrected query is looked for
MAX_RELATED = 5


@dataclass(frozen=True)
class SearchSettings:
    title_boost: float = 2.0
    max_expansions: int = 200
    time_budget_s: float = 1.0  # leaves room for highlighting and the response within 2 s
    ranking: RankingSettings = RankingSettings()
    freshness: FreshnessSettings = FreshnessSettings()
    synonyms_file: Path | None = None  # search/synonyms.py
    cursor_key: str | None = field(default=None, repr=False)  # signs cursors (search/cursors.py); None: cursor.key beside the index


@dataclass(frozen=True)
class IndexStatus:
    generation: str
    version: str  # generation.commit: what replication installs
    articles: int
    built_at: str | None
    sources: list[str]
    committed_at: float  # when the version served was committed (seconds since the epoch)


class _View:
    """One thread's open generation and searcher, with the facet columns for it."""

    def __init__(self, generation: Generation, ix: FileIndex, searcher: Searcher, columns: Columns, postings: PostingsCache) -> None:
        self.generation = generation
        self.ix = ix
        self.searcher = searcher
        self.columns = columns
        self.version = (generation.name, searcher.reader().generation())  # changes with every commit
        self._postings = postings
        self._live: np.ndarray | None = None
        self._plain: PlainQueryMatcher | None = None
        self._grouping: dict[DateField, duplicates.Grouping] = {}
        self._stories: dict[DateField, duplicates.Stories] = {}
        self._everything: dict[DateField, duplicates.Groups] = {}  # browsing without filters: the commonest search

    @property
    def plain(self) -> PlainQueryMatcher:
        if self._plain is None:
            self._plain = PlainQueryMatcher(self.searcher.reader(), self._postings, self.live_docs())
        return self._plain

    def duplicate_groups(self, docs: np.ndarray, date_field: DateField, deadline: float) -> tuple[duplicates.Groups, bool]:
        """The near-duplicate groups of ``docs`` (search/duplicates.py): those of the whole
        version, grouped once per date field (resumed by each search until ``deadline``)
        and restricted to ``docs``; and whether the grouping is still incomplete."""
        stories = self._stories.get(date_field)
        if stories is None:
            grouping = self._grouping.get(date_field)
            if grouping is None:
                live = self.live_docs()
                ticks = self.columns.updated_ticks if date_field is DateField.UPDATED else self.columns.ticks
                grouping = self._grouping[date_field] = duplicates.Grouping(live, self.columns.bands[live], ticks[live], ticks.size)
            stories = grouping.advance(deadline)
            if not grouping.complete:
                return stories.of(docs), True
            self._stories[date_field] = stories
            del self._grouping[date_field]
        if docs.size < self.live_docs().size:
            return stories.of(docs), False
        if date_field not in self._everything:
            self._everything[date_field] = stories.of(docs)
        return self._everything[date_field], False

    def live_docs(self) -> np.ndarray:
        """Every document number not deleted (what an empty query matches)."""
        if self._live is None:
            self._live = np.fromiter(self.searcher.reader().all_doc_ids(), dtype=np.int64)
        return self._live


class SearchService:
    """Thread-safe entry point of the search layer (one per process)."""

    def __init__(self, store: IndexStore, settings: SearchSettings | None = None) -> None:
        self.store = store
        self.settings = settings or SearchSettings()
        self._lock = threading.RLock()
        self._shared: _View | None = None
        self._vocabulary = SectionVocabulary()
        self._section_facet = SectionFacet(self._vocabulary)
        self._date_facet = DateFacet()
        self._keywords = {name: KeywordVocabulary() for name in KEYWORD_FIELDS}
        self._keyword_facets = {name: KeywordFacet(vocabulary) for name, vocabulary in self._keywords.items()}
        self._highlighter = Highlighter()
        self._parsers: dict[str, QueryParser] = {}
        self._postings = PostingsCache()
        self._results = ResultCache()
        self._ranker = Ranker(self.settings.ranking, {"title": self.settings.title_boost, "body": 1.0}, self._postings)
        self._columns = ColumnCache(self._vocabulary, tuple(self._ranker.field_weights), self._keywords)
        self._words = VocabularyCache()  # the index's unstemmed words, for suggestions and corrections
        self._removals = RemovalsCache()  # deleted ids and when (searchsvc/removals.py)
        self._synonyms = Synonyms.load(self.settings.synonyms_file, text_analyzer()) if self.settings.synonyms_file else Synonyms([])

    # -- the open searcher -------------------------------------------------------------

    @contextmanager
    def _using(self) -> Iterator[_View]:
        """The process's view of the live generation, held by one thread at a time."""
        with self._lock:
            yield self._view()

    def _view(self) -> _View:
        """The view of the live generation, reopened only when it changed (hold the lock).

        The new searcher is opened before the old one is closed: when opening fails (a file
        of the new version missing or unreadable for a moment, a torn copy), the process
        keeps answering from the version it had and tries again at its next request. Closing
        first left a closed searcher behind, and every later search failed until a restart.
        """
        view = self._shared
        try:
            fresh = self._reopened(view)
        except Exception as error:
            if view is None:
                if isinstance(error, NoIndexError):
                    raise
                raise NoIndexError(f"the index in {self.store.root} could not be opened ({error}); retrying") from error
            log.warning("keeping generation %s: its newer version could not be opened: %r", view.generation.name, error)
            return view
        if fresh is view:
            return view
        if view is not None:
            view.searcher.close()
        self._shared = fresh
        return fresh

    def _reopened(self, view: _View | None) -> _View:
        """``view`` itself while it is of the live version, else a new view of the live version."""
        if view is not None and view.generation.name == self.store.current_name():
            if view.searcher.up_to_date():
                return view
            return self._open_view(view.generation, view.ix)
        generation = self.store.current()  # raises NoIndexError when there is none
        return self._open_view(generation, generation.open())

    def _open_view(self, generation: Generation, ix: FileIndex) -> _View:
        searcher = _BudgetSearcher(open_reader(ix), fromindex=ix, weighting=self._ranker.weighting())
        try:
            columns = self._columns.columns(searcher.reader(), str(generation.path))
        except BaseException:
            searcher.close()
            raise
        return _View(generation, ix, searcher, columns, self._postings)

    def _parser(self, view: _View) -> QueryParser:
        parser = self._parsers.get(view.generation.name)
        if parser is None:
            # The searcher's schema, read with its version: ``ix.schema`` re-reads the table of contents.
            parser = QueryParser(view.searcher.schema, self.settings.title_boost, self.settings.max_expansions)
            self._parsers = {view.generation.name: parser}
        return parser

    @cached_property
    def _cursors(self) -> CursorCodec:
        """Made at the first search, so only a served index gets a cursor key."""
        key = self.settings.cursor_key
        return CursorCodec(key.encode()) if key else CursorCodec.beside(self.store.root)

    # -- public API ---------------------------------------------------------------------

    def status(self) -> IndexStatus:
        with self._using() as view:
            meta = view.generation.meta()
            version = f"{view.generation.name}.{view.version[1]}"
            committed_at = (view.generation.path / f"_MAIN_{view.version[1]}.toc").stat().st_mtime
            return IndexStatus(view.generation.name, version, view.searcher.doc_count(), meta.get("built_at"),
                               meta.get("sources", []), committed_at)

    def article(self, article_id: str) -> Article | None:
        with self._using() as view:
            stored = view.searcher.document(id=article_id)
        return article_from_stored(stored) if stored else None

    def removal(self, article_id: str) -> Removal | None:
        """When ``article_id`` was deleted, if it was and has not been published again."""
        with self._using() as view:
            return self._removals.get(view.generation.path, view.version[1]).get(article_id)

    def removed_since(self, since: datetime, offset: int, limit: int) -> tuple[list[Removal], int]:
        """A page of the ids removed at or after ``since``, oldest first, and their number."""
        with self._using() as view:
            return self._removals.get(view.generation.path, view.version[1]).since(since, offset, limit)

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
        """Completions of the word being typed, most used first (search/suggest.py)."""
        with self._using() as view:
            return completions(text, self._words.vocabulary(view.searcher.reader(), view.version), limit)

    def related(self, article_id: str, limit: int = MAX_RELATED) -> list[Article] | None:
        """Articles like this one, without bodies (search/related.py); None for an unknown id."""
        with self._using() as view:
            docnum = view.searcher.document_number(id=article_id)
            if docnum is None:
                return None
            found = related(view.searcher, self._ranker, docnum, view.columns, limit)
            return [article_from_stored(view.searcher.stored_fields(d), with_body=False) for d in found]

    def search(self, request: SearchRequest) -> SearchResult:
        """Answer a request, from the result cache when the index has not changed since."""
        started = time.perf_counter()
        with self._using() as view:
            key = (view.version, replace(request, q=" ".join(request.q.split())))
            cached = self._results.get(key)
            if cached is not None:
                return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))
            deadline = started + self.settings.time_budget_s
            with _posting_deadline(deadline):
                result = self._search(view, request, started, deadline)
        if not result.partial:
            self._results.put(key, result)
        return result

    def _search(self, view: _View, request: SearchRequest, started: float, deadline: float) -> SearchResult:
        if request.after is not None and request.page != 1:
            raise SearchError("page and after exclude each other: a cursor carries its own position.", "page")
        if request.after is None and request.page * request.per_page > MAX_RESULT_WINDOW:
            raise SearchError(f"page × per_page may be at most {MAX_RESULT_WINDOW}; narrow the search instead.", "page")
        _check_facets(request)
        _check_fields(request)
        date_from, date_to = _time_range(request.date_from, request.date_to)
        parsed = self._parser(view).parse(request.q, view.searcher.reader(), request.prefix_last)
        query = self._synonyms.expand(parsed)  # what matches: the reader's words and their synonyms
        browsing = isinstance(parsed, wq.Every)
        sort = request.sort or (Sort.NEWEST if browsing else Sort.RELEVANCE)
        by_date = browsing or sort is not Sort.RELEVANCE
        version = f"{view.generation.name}.{view.version[1]}"
        position = self._cursors.open(request, by_date, version) if request.after is not None else None

        matched, partial = self._matching_docs(view, query, deadline)
        codes = view.columns.section_codes[matched]
        ticks = (view.columns.updated_ticks if request.date_field is DateField.UPDATED else view.columns.ticks)[matched]
        in_sections = np.isin(codes, self._vocabulary.codes_matching(request.sections)) if request.sections else None
        # Each filter as a mask over the matches; a facet's counts honour every filter but its own.
        filters = {"section": in_sections, "date": _within(ticks, date_from, date_to), **self._keyword_filters(view, request, matched)}
        asked = set(request.facets)

        but_sections = _all_but(filters, "section")
        section_facet = self._section_facet.counts(codes if but_sections is None else codes[but_sections], request.sections) if "section" in asked else []
        but_dates = _all_but(filters, "date")
        facet_ticks = ticks if but_dates is None else ticks[but_dates]
        interval = request.date_interval or self._date_facet.choose_interval(facet_ticks)
        date_facet = self._date_facet.buckets(facet_ticks, interval) if "date" in asked else []
        keyword_facets = {
            name: self._keyword_facet(view, name, matched, _all_but(filters, name), selected, request.facet_size)
            for name, selected in (("author", request.authors), ("tag", request.tags)) if name in asked
        }

        keep = _all_but(filters, None)
        selected = matched if keep is None else matched[keep]
        articles, groups = selected.size, None
        if request.collapse_duplicates:  # one hit per group of near-duplicates: its newest article
            groups, ungrouped = view.duplicate_groups(selected, request.date_field, deadline)
            partial = partial or ungrouped
            keep = duplicates.collapse(keep, matched.size, groups)
            selected = matched[keep]
        start = position.offset if isinstance(position, RankPosition) else (request.page - 1) * request.per_page
        ranked = self._ranker.query(query)
        next_cursor = None
        if not by_date:
            freshness = half_life(request.freshness, self.settings.freshness)
            page_docs, scores, timed_out = self._top_by_relevance(view, ranked, selected, keep is not None, start, request.per_page, freshness, deadline)
            partial = partial or timed_out
            if start + len(page_docs) < selected.size and page_docs:
                next_cursor = self._cursors.make(request, RankPosition(version, start + len(page_docs)))
        else:
            selected_ticks = ticks if keep is None else ticks[keep]
            page_docs, last = page_by_date(selected, date_keys(selected_ticks, sort), start, request.per_page, position,
                                           lambda docs: [view.searcher.stored_fields(docnum)["id"] for docnum in docs.tolist()])
            next_cursor = self._cursors.make(request, last) if last else None
            scores = self._scores(view, ranked, page_docs) if not browsing and "score" in request.fields else {}

        marking = request.highlight and not browsing and {"title_html", "snippet_html"} & set(request.fields)
        words = query_words(query, view.searcher.reader()) if marking else {}
        # Highlighting re-analyzes text: past the deadline, hits show their plain opening.
        hits = [self._hit(view, docnum, scores.get(docnum, 0.0), words if time.perf_counter() < deadline else {}, request) for docnum in page_docs]
        if groups is not None:
            hits = [self._with_similar(view, hit, docnum, groups) for hit, docnum in zip(hits, page_docs)]
        return SearchResult(
            query=request.q,
            total=int(articles),
            total_groups=groups.count if groups is not None else None,
            page=request.page,
            per_page=request.per_page,
            sort=sort,
            date_interval=interval,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            hits=hits,
            section_facet=section_facet,
            date_facet=date_facet,
            partial=partial,
            suggestion=self._did_you_mean(view, request.q, self._parser(view).parse(request.q, view.searcher.reader()) if request.prefix_last else parsed, matched.size, deadline)
            if not browsing and articles < FEW_RESULTS else None,  # corrections are of whole words, a typed prefix included
            facet_names=request.facets,
            hit_fields=request.fields,
            author_facet=keyword_facets.get("author"),
            tag_facet=keyword_facets.get("tag"),
            next_cursor=next_cursor,
        )

    # -- steps ----------------------------------------------------------------------------

    def _keyword_filters(self, view: _View, request: SearchRequest, matched: np.ndarray) -> dict[str, np.ndarray | None]:
        """The author and tag filters as masks over the matches (None: not filtered)."""
        return {
            name: view.columns.keywords[name].documents_with(self._keywords[name].codes_matching(values))[matched] if values else None
            for name, values in (("author", request.authors), ("tag", request.tags))
        }

    def _keyword_facet(self, view: _View, name: str, matched: np.ndarray, keep: np.ndarray | None, selected: tuple[str, ...], size: int) -> ValueCounts:
        counted = matched if keep is None else matched[keep]
        return self._keyword_facets[name].counts(view.columns.keywords[name], counted, selected, size)

    def timeline(self, request: SearchRequest, interval: TimelineInterval) -> Timeline:
        """Coverage of the request's query over time: per period, the matching articles and all
        articles under the same filters (search/timeline.py), within the time budget."""
        started = time.perf_counter()
        deadline = started + self.settings.time_budget_s
        with self._using() as view, _posting_deadline(deadline):
            date_from, date_to = _time_range(request.date_from, request.date_to)
            parsed = self._parser(view).parse(request.q, view.searcher.reader(), request.prefix_last)
            matched, partial = self._matching_docs(view, self._synonyms.expand(parsed), deadline)
            matching, everything = (self._filtered_ticks(view, request, docs, date_from, date_to) for docs in (matched, view.live_docs()))
        return Timeline(request.q, interval, coverage(matching, everything, interval, date_from, date_to), partial)

    def _filtered_ticks(self, view: _View, request: SearchRequest, docs: np.ndarray, low: int | None, high: int | None) -> np.ndarray:
        """The dates (of ``request.date_field``) of the documents passing every filter of the request."""
        ticks = (view.columns.updated_ticks if request.date_field is DateField.UPDATED else view.columns.ticks)[docs]
        sections = np.isin(view.columns.section_codes[docs], self._vocabulary.codes_matching(request.sections)) if request.sections else None
        keep = _all_but({"section": sections, "date": _within(ticks, low, high), **self._keyword_filters(view, request, docs)}, None)
        return ticks if keep is None else ticks[keep]

    def _did_you_mean(self, view: _View, text: str, parsed: wq.Query, found: int, deadline: float) -> Suggestion | None:
        """The query with its misspellings corrected, if that finds more (filters aside)."""
        suggestion = correct(text.strip(), parsed, self._words.vocabulary(view.searcher.reader(), view.version))
        if suggestion is None:
            return None
        corrected = self._parser(view).parse(suggestion.text, view.searcher.reader())
        return suggestion if self._matching_docs(view, corrected, deadline)[0].size > found else None

    def _matching_docs(self, view: _View, parsed: wq.Query, deadline: float) -> tuple[np.ndarray, bool]:
        """All matching document numbers, sorted; stops early (partial) past the deadline."""
        if isinstance(parsed, wq.Every):
            return view.live_docs(), False
        plain = view.plain.matching(parsed)
        if plain is not None:
            return plain, False
        docs = np.fromiter(view.searcher.docs_for_query(parsed), dtype=np.int64)
        partial = time.perf_counter() > deadline  # the postings ended early
        # Segments are walked in order and their offsets ascend: already sorted and unique.
        return docs, partial

    def _top_by_relevance(
        self, view: _View, ranked: wq.Query, selected: np.ndarray, filtered: bool,
        start: int, count: int, freshness: float, deadline: float,
    ) -> tuple[list[int], dict[int, float], bool]:
        # Whoosh treats an empty filter as no filter at all: never hand it one.
        if selected.size == 0 or start >= selected.size:
            return [], {}, False
        reranked = self.settings.ranking.feedback_docs or freshness
        # Feedback and freshness re-rank a pool of the best matches (search/ranking.py).
        depth = max(start + count, self.settings.ranking.pool) if reranked else start + count
        lengths = view.columns.lengths
        scores = self._ranker.scores(view.searcher, ranked, selected, lengths)
        if scores is not None:
            top, timed_out = best(selected, scores, depth), False
        else:
            top, timed_out = self._collect(view, ranked, set(selected.tolist()) if filtered else None, depth, deadline)
        # Only the pool is re-ranked, however deep the page: the order past it stays the plain
        # score's, so every page (and cursor) of one index version cuts the same order.
        pool, rest = top[: self.settings.ranking.pool], top[self.settings.ranking.pool :]
        if self.settings.ranking.feedback_docs and pool:
            pool = self._ranker.feedback(view.searcher, ranked, pool, lengths)
            rest = self._ranker.without_feedback(ranked, rest)
        if freshness:
            pool = rescore(pool, view.columns.ticks, freshness, self.settings.freshness)
        top = pool + rest
        page = top[start : start + count]
        return [docnum for docnum, _ in page], dict(page), timed_out

    def _collect(
        self, view: _View, query: wq.Query, allow: set[int] | None, limit: int, deadline: float
    ) -> tuple[list[tuple[int, float]], bool]:
        """The ``limit`` best allowed matches with their scores, and whether time ran out."""
        collector = _BudgetCollector(TopCollector(limit), allow, deadline)
        view.searcher.search_with_collector(query, collector)
        timed_out = collector.timed_out or time.perf_counter() > deadline  # the postings ended early
        return [(hit.docnum, float(hit.score or 0.0)) for hit in collector.results()], timed_out

    def _scores(self, view: _View, parsed: wq.Query, docnums: list[int]) -> dict[int, float]:
        """Relevance scores of a few documents shown in date order."""
        if not docnums:
            return {}
        pool = np.array(sorted(docnums), dtype=np.int64)
        scores = self._ranker.scores(view.searcher, parsed, pool, view.columns.lengths)
        if scores is not None:
            return dict(zip(pool.tolist(), scores.tolist()))
        results = view.searcher.search(parsed, limit=len(docnums), filter=set(docnums))
        return {hit.docnum: float(hit.score or 0.0) for hit in results}

    def _with_similar(self, view: _View, hit: Hit, docnum: int, groups: duplicates.Groups) -> Hit:
        """The hit with the other grouped members of its near-duplicate group."""
        others = groups.others(docnum)
        ids = tuple(view.searcher.stored_fields(int(d))["id"] for d in others[: duplicates.MAX_SIMILAR_IDS])
        return replace(hit, similar_count=int(others.size), similar_ids=ids)

    def _hit(self, view: _View, docnum: int, score: float, words: dict[str, set[str]], request: SearchRequest) -> Hit:
        """A hit; its HTML only when asked for (``fields``): a snippet is the costliest part."""
        stored = view.searcher.stored_fields(docnum)
        article = article_from_stored(stored, with_body=False)
        return Hit(
            article=article,
            score=score,
            title_html=self._highlighter.title(article.title, words.get("title", set())) if "title_html" in request.fields else "",
            snippet_html=self._highlighter.snippet(stored["body"], words.get("body", set()), request.snippet_length or SNIPPET_CHARS)
            if "snippet_html" in request.fields else "",
        )


_budget = threading.local()


@contextmanager
def _posting_deadline(deadline: float) -> Iterator[None]:
    """This thread's posting lists end at ``deadline`` until the block exits."""
    _budget.deadline = deadline
    try:
        yield
    finally:
        _budget.deadline = math.inf


class _DeadlineMatcher(WrappingMatcher):
    """A posting list that ends early: the first move past the thread's deadline exhausts it.

    Every matcher Whoosh combines (and, or, not, phrases, spans) stops when its posting
    lists do, so this bounds all of them without knowing how they work. It only ever
    ends on a move (next, skip), exactly like a real posting list running out, so the
    combining matchers never see it vanish between checking and reading it.
    """

    def __init__(self, child: Matcher, boost: float = 1.0) -> None:
        super().__init__(child, boost)
        self.deadline = getattr(_budget, "deadline", math.inf)
        self.expired = False

    def is_active(self) -> bool:
        return not self.expired and self.child.is_active()

    def next(self):  # type: ignore[no-untyped-def]
        moved = self.child.next()
        self.expired = time.perf_counter() > self.deadline
        return moved

    def skip_to(self, id):  # type: ignore[no-untyped-def]
        moved = self.child.skip_to(id)
        self.expired = time.perf_counter() > self.deadline
        return moved

    def skip_to_quality(self, minquality):  # type: ignore[no-untyped-def]
        skipped = self.child.skip_to_quality(minquality / self.boost)
        self.expired = time.perf_counter() > self.deadline
        return skipped


class _BudgetSearcher(Searcher):
    """A searcher whose posting lists obey the time budget (sub-searchers are of this class too)."""

    def postings(self, fieldname, text, weighting=None, qf=1):  # type: ignore[no-untyped-def]
        return _DeadlineMatcher(super().postings(fieldname, text, weighting, qf))


class _BudgetCollector(WrappingCollector):
    """Keeps only allowed documents and stops at the deadline.

    Whoosh's FilterCollector and TimeLimitCollector do not compose (the time limit's loop
    calls the child directly, so the filter is bypassed), and the latter starts a thread
    per search; this does both jobs in one loop.
    """

    def __init__(self, child: TopCollector, allow: set[int] | None, deadline: float) -> None:
        self.child = child
        self.allow = allow
        self.deadline = deadline
        self.timed_out = False

    def collect_matches(self) -> None:
        child, allow, offset = self.child, self.allow, self.child.offset
        for seen, sub_docnum in enumerate(child.matches()):
            if allow is None or offset + sub_docnum in allow:
                child.collect(sub_docnum)
            if seen % 512 == 511 and time.perf_counter() > self.deadline:
                self.timed_out = True
                return


def _time_range(date_from: date | datetime | None, date_to: date | datetime | None) -> tuple[int | None, int | None]:
    """Inclusive bounds in column ticks; a plain date covers that whole day (UTC)."""
    low = _moment(date_from, clock.min) if date_from is not None else None
    high = _moment(date_to, clock.max) if date_to is not None else None
    if low is not None and high is not None and low > high:
        raise SearchError("date_from is after date_to.", "date_from")
    return (ticks_of(low) if low else None, ticks_of(high) if high else None)


def _moment(value: date | datetime, day_time: clock) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.combine(value, day_time, tzinfo=timezone.utc)


def _within(ticks: np.ndarray, low: int | None, high: int | None) -> np.ndarray | None:
    if low is None and high is None:
        return None
    mask = ticks != MISSING_TICKS
    if low is not None:
        mask &= ticks >= low
    if high is not None:
        mask &= ticks <= high
    return mask


def _all_but(filters: dict[str, np.ndarray | None], left_out: str | None) -> np.ndarray | None:
    """The AND of every filter's mask but ``left_out``'s (None: nothing filters)."""
    masks = [mask for name, mask in filters.items() if name != left_out and mask is not None]
    if not masks:
        return None
    return masks[0] if len(masks) == 1 else np.logical_and.reduce(masks)


def _check_fields(request: SearchRequest) -> None:
    unknown = [name for name in request.fields if name not in HIT_FIELDS]
    if unknown or not request.fields:
        raise SearchError(f"unknown hit field {unknown[0]!r}; fields are {', '.join(HIT_FIELDS)}." if unknown else "fields names no field.", "fields")
    if request.snippet_length is not None and not MIN_SNIPPET_CHARS <= request.snippet_length <= MAX_SNIPPET_CHARS:
        raise SearchError(f"snippet_length must be from {MIN_SNIPPET_CHARS} to {MAX_SNIPPET_CHARS}.", "snippet_length")


def _check_facets(request: SearchRequest) -> None:
    unknown = [name for name in request.facets if name not in FACET_NAMES]
    if unknown:
        raise SearchError(f"unknown facet {unknown[0]!r}; facets are {', '.join(FACET_NAMES)}.", "facets")
    if not 1 <= request.facet_size <= MAX_FACET_SIZE:
        raise SearchError(f"facet_size must be from 1 to {MAX_FACET_SIZE}.", "facet_size")
