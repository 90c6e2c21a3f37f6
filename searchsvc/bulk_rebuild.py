"""A full rebuild's documents written as segments by forked processes, in the documents' order.

The segment writer (:mod:`searchsvc.bulk_segments`) builds one segment from documents; this
module feeds it: it streams the documents in chunks to ``procs`` processes (one per core), each
making its chunks' Whoosh fields itself (analysis and near-duplicate signatures are most of a
rebuild's work) and building consecutive runs of the documents as segments, then commits them
all in one table of contents. A failure or death of a process abandons the rebuild.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import Any

from whoosh.index import FileIndex

from searchsvc.bulk_segments import build_segment, check_schema, commit_segments

CHUNK_DOCUMENTS = 500  # documents per message from the reading process to a building one
Prepare = Callable[[list[Any]], list[dict[str, Any]]]  # a chunk of documents -> their Whoosh fields


def _batches(documents: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(documents)
    while batch := list(islice(iterator, size)):
        yield batch


def build_index(
    ix: FileIndex,
    documents: Iterable[Any],
    procs: int,
    documents_per_segment: int,
    prepare: Prepare | None = None,
) -> int:
    """Write ``documents`` into ``ix`` as segments of at most ``documents_per_segment`` each (what
    bounds memory), ``procs`` segments at a time in forked processes, in the documents' order
    (the documents are numbered as one writer would). ``prepare`` turns a chunk of documents
    into their Whoosh fields where the segment is built (e.g. :func:`searchsvc.store.articles_fields`,
    which computes the chunk's near-duplicate signatures at once); without it the documents
    are the fields. Returns the number of documents."""
    check_schema(ix.schema)
    fields = prepare or _as_fields
    if procs <= 1:
        segments = [
            build_segment(ix, chain.from_iterable(map(fields, _batches(batch, CHUNK_DOCUMENTS))))
            for batch in _batches(documents, documents_per_segment)
        ]
    else:
        segments = _SegmentProcesses(ix, procs, fields).build(documents, documents_per_segment)
    commit_segments(ix, segments)
    return sum(segment.doc_count_all() for segment in segments)


def _as_fields(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return documents


class SegmentProcessError(RuntimeError):
    """A process building a segment failed or died; the rebuild is abandoned."""


class _SegmentProcesses:
    """``procs`` forked processes, each building one segment at a time from documents streamed
    to it in chunks: both start within the first chunks (the reading process no longer
    gathers a whole segment first), and segments stay consecutive runs of the documents.

    Segment ``n`` goes to process ``n % procs``, and is started only when that process has
    finished segment ``n - procs``: the documents waiting in the queues are at most a
    segment per process, the memory a rebuild's configuration allows for.
    """

    def __init__(self, ix: FileIndex, procs: int, fields: Prepare) -> None:
        context = multiprocessing.get_context("fork")
        self.results = context.Queue()
        self.inboxes = [context.Queue() for _ in range(procs)]
        self.processes = [
            context.Process(target=_segment_worker, args=(ix, fields, inbox, self.results), daemon=True) for inbox in self.inboxes
        ]
        self.segments: dict[int, Any] = {}

    def build(self, documents: Iterable[Any], documents_per_segment: int) -> list[Any]:
        for process in self.processes:
            process.start()
        try:
            number, held = -1, documents_per_segment  # the segment being sent, and how many documents it has
            for chunk in _batches(documents, CHUNK_DOCUMENTS):
                while chunk:
                    if held == documents_per_segment:
                        if number >= 0:
                            self._inbox(number).put(None)  # that segment is complete
                        number, held = number + 1, 0
                        self._wait_for(number - len(self.processes))  # its process is free again
                        self._inbox(number).put(number)
                    part, chunk = chunk[: documents_per_segment - held], chunk[documents_per_segment - held :]
                    self._inbox(number).put(part)
                    held += len(part)
                self._collect(block=False)  # a failure shows before all is read
            if number >= 0:
                self._inbox(number).put(None)
            for inbox in self.inboxes:
                inbox.put(None)  # no more segments
            for done in range(number + 1):
                self._wait_for(done)
            return [self.segments[done] for done in range(number + 1)]
        finally:
            for process in self.processes:
                if process.is_alive():
                    process.kill()
                process.join()

    def _inbox(self, number: int) -> Any:
        return self.inboxes[number % len(self.inboxes)]

    def _wait_for(self, number: int) -> None:
        while number >= 0 and number not in self.segments:
            self._collect(block=True)

    def _collect(self, block: bool) -> None:
        """Take the segments finished so far (waiting a while for one when ``block``); raise
        when a process reported an error or died without reporting."""
        try:
            while True:
                number, result = self.results.get(block=block, timeout=1.0 if block else None)
                if number < 0:
                    raise SegmentProcessError(f"building a segment failed: {result}")
                self.segments[number] = result
                block = False
        except queue.Empty:
            pass
        dead = [process.exitcode for process in self.processes if process.exitcode not in (None, 0)]
        if dead:
            raise SegmentProcessError(f"a segment process died (exit code {dead[0]})")


def _segment_worker(ix: FileIndex, fields: Prepare, inbox: Any, results: Any) -> None:
    """A building process: segments announced by their number, their documents in chunks, each
    segment ended by ``None``; a ``None`` in place of a number ends the process."""
    _die_with_parent()
    try:
        while (number := inbox.get()) is not None:
            results.put((number, build_segment(ix, _received(inbox, fields))))
    except Exception as error:  # reported to the reading process, which stops the rebuild
        traceback.print_exc()
        results.put((-1, f"{type(error).__name__}: {error}"))


def _received(inbox: Any, fields: Prepare) -> Iterator[dict[str, Any]]:
    while (chunk := inbox.get()) is not None:
        yield from fields(chunk)


def _die_with_parent() -> None:
    """A worker killed with the rebuild (a ``kill -9`` would otherwise leave it waiting)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
