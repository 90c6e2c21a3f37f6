"""Turn sources into a new index generation: read, validate, write, switch, report."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.index import FileIndex
from whoosh.writing import IndexWriter

from searchsvc import bulk_rebuild, bulk_segments
from searchsvc.articles import Article
from searchsvc.sources import Problem, Record, read_sources
from searchsvc.store import WRITER_OPTIONS, Change, IndexStore, article_fields, articles_fields

UPDATE_BATCH = 500  # articles per commit in update mode: short lock holds, few segments
# What each writer process of a full rebuild may hold of postings in memory (Whoosh's own
# estimate, MB) before it spills sorted runs to disk. A spill sends every posting through
# Whoosh's merge of the runs, in Python: at scale 5 of Reuters-21578 (47,600 articles per
# process) a rebuild ran at 470-495 articles/s with spills (limits of 256, 512 and 1,024 MB)
# and at 730-880 without (2,048 MB; 1.7 GB resident per process). So, as Meilisearch sizes
# its indexing memory by the machine, the processes together may take a quarter of the
# physical memory, each at least 256 MB and at most 2 GB. Live updates write little.
MIN_SORT_MB, MAX_SORT_MB = 256, 2048
# Articles per segment of a bulk rebuild from a stream of unknown length (memory permitting).
BULK_SEGMENT_ARTICLES = 25_000


@dataclass
class ReindexReport:
    indexed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    generation: str | None = None
    deleted: int = 0
    replayed_since: int | None = None  # writes journaled since the export (reindex --replay-since) replayed
    problems: list[Problem] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.indexed / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"indexed {self.indexed} articles, skipped {self.skipped}"
            + (f", deleted {self.deleted}" if self.deleted else "")
            + (f", replayed {self.replayed_since} journaled writes" if self.replayed_since is not None else "")
            + f", {self.seconds:.1f} s, {self.rate:,.0f} articles/s"
            + (f", generation {self.generation}" if self.generation else "")
        )


class NothingIndexedError(RuntimeError):
    """No valid article was found: the live generation is left as it was."""

    def __init__(self, report: ReindexReport) -> None:
        super().__init__("no valid article found in the sources; the live index is unchanged")
        self.report = report


def _worker_processes() -> int:
    return max(1, min(2, os.cpu_count() or 1))


class _TaskDyingWithParent(SubWriterTask):
    """A writer subprocess that is killed when the indexer dies.

    Whoosh's subprocesses wait on a job queue; after a ``kill -9`` of the command they
    would wait forever, holding memory and the half-built generation's files.
    """

    def run(self) -> None:
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
        except (OSError, AttributeError):
            pass
        super().run()


class _ParallelWriter(MpWriter):
    """Whoosh's multiprocess writer with subprocesses that die with the indexer."""

    def _new_task(self) -> SubWriterTask:
        task = _TaskDyingWithParent(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task


def _sort_memory_mb(procs: int) -> int:
    """Each writer process's in-memory sorting limit for a full rebuild (see MIN_SORT_MB)."""
    try:
        physical_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (AttributeError, ValueError, OSError):  # not a POSIX system that says
        return MIN_SORT_MB
    return max(MIN_SORT_MB, min(MAX_SORT_MB, physical_mb // (4 * procs)))


def _bulk_writer(ix: FileIndex) -> IndexWriter:
    procs = _worker_processes()
    options = {**WRITER_OPTIONS, "limitmb": _sort_memory_mb(procs)}
    if procs == 1:
        return ix.writer(**options)
    return _ParallelWriter(ix, procs=procs, multisegment=True, **options)


def bulk_writer_enabled() -> bool:
    """Whether full rebuilds write segments with :mod:`searchsvc.bulk_segments` (the default;
    ``SEARCHSVC_BULK_WRITER=0`` uses Whoosh's writer, as does a schema the bulk writer refuses)."""
    return os.environ.get("SEARCHSVC_BULK_WRITER", "1").strip().lower() not in ("0", "off", "false", "no")


def _bulk_segment_articles(procs: int, count: int | None) -> int:
    """Articles per segment of a bulk rebuild: what the memory limit allows a process to hold,
    and no more than a process's share (both cores busy, and as few segments as Whoosh's
    parallel writer makes) when the count is known, else BULK_SEGMENT_ARTICLES."""
    by_memory = max(1, _sort_memory_mb(procs) * 2**20 // bulk_segments.BYTES_PER_ARTICLE)
    share = -(-count // procs) if count else BULK_SEGMENT_ARTICLES
    return max(1, min(by_memory, share))


def _write_with_whoosh(ix: FileIndex, documents: Iterable[dict[str, Any]]) -> None:
    writer = _bulk_writer(ix)
    try:
        for fields in documents:
            writer.add_document(**fields)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def _articles_only(records: Iterable[Record], report: ReindexReport) -> Iterator[Article]:
    """Pass articles through, recording problems as they go by (so the run never stops)."""
    for record in records:
        if isinstance(record, Problem):
            report.skipped += 1
            report.problems.append(record)
        else:
            yield record


def index_articles(
    articles: Iterable[Article],
    store: IndexStore,
    progress: bool = False,
    sources: list[str] | None = None,
    report: ReindexReport | None = None,
    replay_since: datetime | None = None,
) -> ReindexReport:
    """Build a complete new generation from ``articles`` and make it live.

    Later articles with an id already seen replace earlier ones (as an upsert would).
    Raises :class:`NothingIndexedError` (leaving the live index alone) when there are none.
    With ``replay_since``, the writes journaled since then win over older copies in
    ``articles`` (IndexStore.new_generation).
    """
    report = report or ReindexReport()
    started = time.perf_counter()
    bar = tqdm(unit=" articles", disable=None if progress else True, file=sys.stderr, smoothing=0.1)
    try:
        with store.new_generation({"sources": sources or []}, replay_since) as (generation, ix, meta):
            seen: set[str] = set()
            repeated: dict[str, Article] = {}

            def first_versions() -> Iterator[Article]:
                for article in articles:
                    if article.id in seen:
                        repeated[article.id] = article
                    else:
                        seen.add(article.id)
                        yield article
                    bar.update()

            if bulk_writer_enabled() and not bulk_segments.unsupported_fields(ix.schema):
                procs = _worker_processes()
                per_segment = _bulk_segment_articles(procs, len(articles) if isinstance(articles, Sized) else None)
                bulk_rebuild.build_index(ix, first_versions(), procs, per_segment, prepare=articles_fields)
            else:
                _write_with_whoosh(ix, map(article_fields, first_versions()))
            if not seen:
                raise NothingIndexedError(report)
            if repeated:
                # The parallel writer cannot replace across its sub-writers: apply the
                # later versions of repeated ids in one ordinary pass afterwards.
                with ix.writer(**WRITER_OPTIONS) as fixer:
                    for article in repeated.values():
                        fixer.update_document(**article_fields(article))
            report.indexed = ix.doc_count()
            report.generation = generation.name
        report.replayed_since = meta.get("replayed_since_writes")
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
    return report


def reindex(
    paths: Iterable[str | Path], store: IndexStore, progress: bool = False, replay_since: datetime | None = None
) -> ReindexReport:
    """Read every source and rebuild the index from it (bad records reported and skipped)."""
    paths = [str(p) for p in paths]
    report = ReindexReport()
    return index_articles(_articles_only(read_sources(paths), report), store, progress, paths, report, replay_since)


def update(
    paths: Iterable[str | Path], store: IndexStore, delete_missing: bool = False, progress: bool = False
) -> ReindexReport:
    """Upsert the sources' articles into the live generation, without a rebuild.

    With ``delete_missing``, live articles whose ids the sources do not contain are deleted.
    Writes go through the store's write lock in batches, so the service keeps answering
    and API writes interleave.
    """
    paths = [str(p) for p in paths]
    report = ReindexReport(generation=store.current().name)
    started = time.perf_counter()
    seen: set[str] = set()
    batch: list[Change] = []
    with tqdm(unit=" articles", disable=None if progress else True, file=sys.stderr) as bar:
        for article in _articles_only(read_sources(paths), report):
            seen.add(article.id)
            batch.append(("upsert", article))
            if len(batch) >= UPDATE_BATCH:
                store.write(batch, timeout=30)
                bar.update(len(batch))
                batch = []
        if batch:
            store.write(batch, timeout=30)
            bar.update(len(batch))
    report.indexed = len(seen)
    if delete_missing:
        gone = [("delete", article_id) for article_id in store.live_ids() if article_id not in seen]
        for start in range(0, len(gone), UPDATE_BATCH):
            store.write(gone[start : start + UPDATE_BATCH], timeout=30)
        report.deleted = len(gone)
    report.seconds = time.perf_counter() - started
    return report
