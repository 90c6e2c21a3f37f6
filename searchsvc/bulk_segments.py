"""Write a full rebuild's segments from arrays, in Whoosh's own file formats.

Whoosh's writer sends every posting through its pool (a tuple per posting, sorted, maybe
spilled to disk and merged) and then through its postings writer, one Python call per
posting: about half of a rebuild's time. This writer analyzes each document exactly as
Whoosh's ``SegmentWriter.add_document`` does (``field.index(value)``, the same per-document
writer for stored fields, lengths and sortable columns), gathers a field's postings in flat
lists, orders them with numpy and writes each term's postings a block at a time: the same
``W3Bl`` blocks (delta-coded ids, minified weights and values, pickled, zlib), the same term
table (``OrderedHashWriter`` rows of ``W3TermInfo``) and the same posting arrays file
(``.tpa``) as :class:`~searchsvc.posting_arrays.PostingArraysCodec`. The files come out byte
for byte equal to Whoosh's for the same documents in the same order (tests/test_bulk_segments.py),
so every reader of the index is unchanged.

Only field types whose indexing it reproduces are accepted (:func:`unsupported_fields`);
a schema with another (term vectors, separate spelling graphs, an unknown type) is refused
with :class:`UnsupportedSchemaError`, and the rebuild then uses Whoosh's writer.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import traceback
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import chain, islice
from pickle import dumps
from typing import Any

import numpy as np
from whoosh import fields as whoosh_fields
from whoosh import formats
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.fields import Schema
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.filetables import _lengths as _ROW_LENGTHS
from whoosh.index import TOC, FileIndex
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import byte_to_length
from whoosh.util.numeric import length_to_byte as _length_to_byte
from whoosh.util.numeric import to_sortable

from searchsvc.posting_arrays import PostingArraysCodec, _FieldRecord
from searchsvc.store import BulkPositions, DistinctWords

BLOCK_LIMIT = 128  # postings per block: W3Codec's default, which the codec uses
COMPRESSION = 3  # zlib level of W3Codec's blocks
SMALL_BLOCK = 32  # pickled blocks up to this size are compressed once per segment (_write_field)
# What building a segment takes in memory per article: on Reuters-21578 (articles of ~0.8 KB
# of text) the peak resident memory of one process grew by 24-27 KB per article over 4,000 and
# 16,000 articles (analyzed postings, then their sorted arrays while writing), and the reading
# process holds at most a segment per building process of articles waiting (~2 KB each:
# _SegmentProcesses); with a margin for longer articles. Segments are sized by it and the
# memory a rebuild may take (indexer._sort_memory_mb).
BYTES_PER_ARTICLE = 40_000

# The (field type, posting format) pairs whose indexing this writer reproduces. Anything
# else makes the bulk writer refuse the schema (a rebuild then uses Whoosh's writer).
SUPPORTED_TYPES: dict[type, tuple[type, ...]] = {
    whoosh_fields.ID: (formats.Existence,),
    whoosh_fields.KEYWORD: (formats.Existence, formats.Frequency),
    whoosh_fields.DATETIME: (formats.Existence,),
    whoosh_fields.NUMERIC: (formats.Existence,),
    whoosh_fields.BOOLEAN: (formats.Existence,),
    whoosh_fields.TEXT: (BulkPositions, formats.Positions, formats.Frequency),
    whoosh_fields.STORED: (),
    whoosh_fields.FieldType: (DistinctWords,),
}


# Whoosh's one-byte field length (a bisect per call, half a million calls per 8,000 articles):
# few distinct lengths, so each is worked out once.
length_to_byte = lru_cache(maxsize=None)(_length_to_byte)


class UnsupportedSchemaError(ValueError):
    """The schema has a field this writer does not know how to write exactly as Whoosh does."""


def unsupported_fields(schema: Schema) -> list[str]:
    """Names (with why) of the schema's fields this writer cannot write."""
    problems = []
    for name, field in schema.items():
        formats_known = SUPPORTED_TYPES.get(type(field))
        if formats_known is None:
            problems.append(f"{name} ({type(field).__name__})")
        elif field.indexed and type(field.format) not in formats_known:
            problems.append(f"{name} ({type(field).__name__} with {type(field.format).__name__})")
        elif field.vector or field.separate_spelling():
            problems.append(f"{name} (term vectors or a separate spelling graph)")
    return problems


def _check_schema(schema: Schema) -> None:
    problems = unsupported_fields(schema)
    if problems:
        raise UnsupportedSchemaError("the bulk segment writer cannot write " + ", ".join(problems))


class _FieldPostings:
    """A field's postings as analysis emits them: per document, its terms, weights, values."""

    def __init__(self) -> None:
        self.texts: list[bytes] = []
        self.weights: list[float] = []
        self.values: list[bytes] = []
        self.docnums = array("i")
        self.counts = array("i")
        self.lengths: dict[int, int] = {}  # docnum -> field length as Whoosh reads it back (byte-rounded)


class _SegmentBuilder:
    """One segment: documents added in order, files written by :meth:`finish`."""

    def __init__(self, ix: FileIndex, codec: PostingArraysCodec) -> None:
        self.schema = ix.schema
        self.storage = ix.storage
        self.codec = codec
        self.segment = codec.new_segment(ix.storage, ix.indexname)
        self.perdoc = codec.per_document_writer(ix.storage, self.segment)
        self.postings: dict[str, _FieldPostings] = {}
        self.docnum = 0

    def add_document(self, fields: dict[str, Any]) -> None:
        """What ``SegmentWriter.add_document`` does for a document, less the pool."""
        perdoc, schema, docnum = self.perdoc, self.schema, self.docnum
        perdoc.start_doc(docnum)
        for fieldname in sorted(name for name in fields if not name.startswith("_")):
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                texts, frequencies, weights, values = _analyzed(field, value)
                if texts:
                    postings = self.postings.get(fieldname) or self.postings.setdefault(fieldname, _FieldPostings())
                    postings.texts.extend(texts)
                    postings.weights.extend(weights)
                    postings.values.extend(values)
                    postings.docnums.append(docnum)
                    postings.counts.append(len(texts))
                    if field.scorable:
                        length = sum(frequencies)
                        postings.lengths[docnum] = byte_to_length(length_to_byte(length))
            perdoc.add_field(fieldname, field, value if field.stored else None, length)
            if field.column_type:
                perdoc.add_column_value(fieldname, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self.docnum += 1

    def finish(self) -> Any:
        """Write the segment's files; the segment (for the table of contents)."""
        self.perdoc.close()
        self.segment.set_doc_count(self.docnum)
        fieldwriter = self.codec.field_writer(self.storage, self.segment)
        compressed: dict[bytes, bytes] = {}  # the segment's small blocks, which repeat (see _write_field)
        for fieldname in sorted(self.postings):
            _write_field(fieldwriter, fieldname, self.schema[fieldname], self.postings.pop(fieldname), self.docnum, compressed)
        fieldwriter.close()
        return self.segment


_Postings = tuple[Sequence[bytes], Sequence[int], Sequence[float], Sequence[bytes]]


def _analyzed(field: Any, value: Any) -> _Postings:
    """``field.index(value)`` as four sequences (terms, frequencies, weights, values): from the
    format's ``bulk_postings`` when it has one (searchsvc.store's text formats), for NUMERIC and
    DATETIME fields converting the value once for all tiers (:func:`_numeric_terms`), else
    from Whoosh's generator of a tuple per term."""
    bulk_postings = getattr(field.format, "bulk_postings", None)
    if bulk_postings is not None and isinstance(value, str):
        words, frequencies, weights, values = bulk_postings(value)
        return [word.encode("utf-8") for word in words], frequencies, weights, values
    items = _numeric_terms(field, value) if isinstance(field, whoosh_fields.NUMERIC) else list(field.index(value))
    return tuple(zip(*items)) or ((), (), (), ())  # type: ignore[return-value]


def _numeric_terms(field: whoosh_fields.NUMERIC, value: Any) -> list[tuple[bytes, int, float, bytes]]:
    """``field.index(value)`` for a NUMERIC or DATETIME field, converting the value once for all
    its tiers (Whoosh converts it again for each of a date's eight: a fifth of the analysis)."""
    number = field.prepare_datetime(value) if isinstance(field, whoosh_fields.DATETIME) else value
    if number is None or isinstance(number, (bytes, list, tuple)):
        return list(field.index(value))  # encoded already, empty or several: Whoosh's own way
    sortable = to_sortable(field.numtype, field.bits, field.signed, field.prepare_number(number))
    shifts = range(0, field.bits, field.shift_step) if field.shift_step else (0,)
    return [(field.sortable_to_bytes(sortable, shift), 1, 1.0, b"") for shift in shifts]


def _write_field(fieldwriter: Any, fieldname: str, field: Any, postings: _FieldPostings, doccount: int, compressed: dict[bytes, bytes]) -> None:
    """A field's terms and posting blocks, and its part of the posting arrays file.

    What Whoosh works out per block and per term (counts, last ids, smallest and largest
    lengths and weights, each term's totals and its row in the term table) is worked out
    here for the whole field at once with numpy; only pickling a block's postings and
    compressing them is done block by block. ``compressed`` holds the zlib output of small
    blocks by their bytes: a term in one document (most terms: every near-duplicate band,
    every date tier) makes a block that depends on the document's number alone, the same
    in every such field, and a dictionary look-up is a fraction of a compression call."""
    fieldwriter.start_field(fieldname, field)
    postfile, termtable = fieldwriter._postfile, fieldwriter._tindex
    prefix = pack_ushort(fieldwriter._fieldid)

    terms = sorted(set(postings.texts))
    number = {text: at for at, text in enumerate(terms)}
    term_numbers = np.fromiter(map(number.__getitem__, postings.texts), dtype=np.int64, count=len(postings.texts))
    docnums = np.repeat(np.frombuffer(postings.docnums, dtype=np.int32), np.frombuffer(postings.counts, dtype=np.int32))
    order = np.lexsort((docnums, term_numbers))  # Whoosh's pool order: term, then document
    docnums = docnums[order]
    term_numbers = term_numbers[order]
    weights64 = np.asarray(postings.weights, dtype=np.float64)[order]
    weights32 = weights64.astype(np.float32)
    fixed_size = field.format.fixed_value_size()
    values: list[bytes] = []
    if fixed_size != 0:  # else no block keeps its values
        values_array = np.empty(len(postings.values), dtype=object)
        values_array[:] = postings.values
        values = values_array[order].tolist()
        del values_array
    del postings.texts, postings.weights, postings.values

    starts = np.searchsorted(term_numbers, np.arange(len(terms) + 1))
    term_begins = starts[:-1]
    # Blocks: a term's postings BLOCK_LIMIT at a time; ids delta-coded within each block.
    within = np.arange(docnums.size) - np.repeat(term_begins, np.diff(starts))
    block_begins = np.flatnonzero(within % BLOCK_LIMIT == 0)
    block_ends = np.append(block_begins[1:], docnums.size)
    deltas = docnums.copy()
    deltas[1:] -= docnums[:-1]
    deltas[block_begins] = docnums[block_begins]
    lengths_of = np.zeros(doccount + 1, dtype=np.int64)
    if postings.lengths:
        lengths_of[np.fromiter(postings.lengths.keys(), dtype=np.int64)] = np.fromiter(postings.lengths.values(), dtype=np.int64)
    lengths = lengths_of[docnums]
    no_length = np.iinfo(np.int64).max  # a document without a length in the field is left out of the smallest
    lengths_or_none = np.where(lengths > 0, lengths, no_length)

    # (A field is written only when it has postings: no empty reductions.)
    block_min_lengths = np.minimum.reduceat(lengths_or_none, block_begins)
    block_max_lengths = np.maximum.reduceat(lengths, block_begins)
    block_max_weights = np.maximum.reduceat(weights64, block_begins)
    block_least = np.minimum.reduceat(weights32, block_begins)
    block_most = np.maximum.reduceat(weights32, block_begins)
    term_min_lengths = np.minimum.reduceat(lengths_or_none, term_begins)
    term_max_lengths = np.maximum.reduceat(lengths, term_begins)
    term_max_weights = np.maximum.reduceat(weights64, term_begins)
    ids, delta_list, weight32_list = docnums.tolist(), deltas.tolist(), weights32.tolist()
    block_infos = zip(
        (block_ends - block_begins).tolist(),
        docnums[block_ends - 1].tolist(),
        [weight if weight > 0 else 0 for weight in block_max_weights.tolist()],  # max(0, the block's largest)
        _length_bytes(block_min_lengths, no_length),
        _length_bytes(block_max_lengths, no_length),
    )
    all_equal, all_one = (block_least == block_most).tolist(), ((block_least == 1.0) & (block_most == 1.0)).tolist()
    term_starts = set(term_begins.tolist())
    term_ends = set((starts[1:] - 1).tolist())

    # The field's postings go to the file in one write, its term rows in another.
    base, out, term_offsets = postfile.tell(), bytearray(), []
    for begin, end, equal, one, (count, last_id, max_weight, min_byte, max_byte) in zip(
        block_begins.tolist(), block_ends.tolist(), all_equal, all_one, block_infos
    ):
        if begin in term_starts:
            term_offsets.append(base + len(out))
            out += WHOOSH3_HEADER_MAGIC
        # W3PostingsWriter._mini_weights: None when all 1.0, one number when all equal, else all.
        mini_weights = None if one else weight32_list[begin] if equal else tuple(weight32_list[begin:end])
        mini_values = None if fixed_size == 0 else _mini_values(values[begin:end], fixed_size)
        pickled = dumps((tuple(delta_list[begin:end]), mini_weights, mini_values), 2)
        databytes = compressed.get(pickled) if len(pickled) <= SMALL_BLOCK else None
        if databytes is None:
            databytes = _compress(pickled)
            if len(pickled) <= SMALL_BLOCK:
                compressed[pickled] = databytes
        infobytes = dumps((count, last_id, max_weight, COMPRESSION, min_byte, max_byte), 2)
        size = len(infobytes) + len(databytes)
        out += pack_int(-size if end - 1 in term_ends else size)
        out += infobytes
        out += databytes
    postfile.write(bytes(out))
    term_offsets.append(base + len(out))
    _add_terms(termtable, [prefix + text for text in terms], _term_infos(
        _term_weights(weights32, weight32_list, starts, block_begins),
        np.diff(starts),
        np.asarray(_length_bytes(term_min_lengths, no_length), dtype=np.uint8),
        np.asarray(_length_bytes(term_max_lengths, no_length), dtype=np.uint8),
        np.maximum(term_max_weights, 0),
        docnums[term_begins],
        docnums[starts[1:] - 1],
        np.asarray(term_offsets, dtype=np.int64),
    ))
    fieldwriter.finish_field()

    record: _FieldRecord | None = fieldwriter._records.get(fieldname)
    if record is not None:
        record.terms = terms
        record.starts.frombytes(term_begins.astype(np.int64).tobytes())
        record.ids.frombytes(docnums.astype(np.int32).tobytes())
        record.weights.frombytes(weights32.tobytes())


def _length_bytes(lengths: np.ndarray, no_length: int) -> list[int]:
    """Whoosh's one-byte length of each (``length_to_byte``; 0 for ``no_length``), once per distinct length."""
    distinct, where = np.unique(lengths, return_inverse=True)
    codes = np.array([0 if length == no_length else length_to_byte(length) for length in distinct.tolist()], dtype=np.int64)
    return codes[where].tolist()


def _term_weights(weights32: np.ndarray, weight_list: list[float], starts: np.ndarray, block_begins: np.ndarray) -> np.ndarray:
    """Each term's total weight as ``W3TermInfo.add_block`` sums it (0, then each block's sum).
    Whole-number weights (counts times whole boosts, as ours are) add up exactly in any order,
    so numpy sums them; other weights are added as Whoosh does, block by block."""
    if np.array_equal(weights32, np.floor(weights32)) and float(np.abs(weights32).sum()) < 2**53:
        return np.add.reduceat(weights32.astype(np.float64), starts[:-1])
    totals, bounds = [], block_begins.tolist() + [weights32.size]
    block, term_ends = 0, starts[1:].tolist()
    for end in term_ends:
        total = 0
        while bounds[block] < end:
            total += sum(weight_list[bounds[block] : bounds[block + 1]])
            block += 1
        totals.append(total)
    return np.asarray(totals, dtype=np.float64)


# W3TermInfo.to_bytes of a term written in blocks: flags (0: not inlined), total weight, document
# frequency, smallest and largest length bytes, largest weight, first and last id, then where its
# postings are and how many bytes they take (big-endian, as struct's "!BfIBBfII" + "!q" + "!i").
_TERM_INFO = np.dtype([
    ("flags", "u1"), ("weight", ">f4"), ("df", ">u4"), ("min_length", "u1"), ("max_length", "u1"),
    ("max_weight", ">f4"), ("min_id", ">u4"), ("max_id", ">u4"), ("offset", ">i8"), ("length", ">i4"),
])  # fmt: skip


def _term_infos(
    weights: np.ndarray, dfs: np.ndarray, min_lengths: np.ndarray, max_lengths: np.ndarray,
    max_weights: np.ndarray, min_ids: np.ndarray, max_ids: np.ndarray, offsets: np.ndarray,
) -> list[bytes]:  # fmt: skip
    """Each term's ``W3TermInfo.to_bytes()``, all packed at once."""
    infos = np.zeros(dfs.size, dtype=_TERM_INFO)
    infos["weight"], infos["df"], infos["max_weight"] = weights, dfs, max_weights
    infos["min_length"], infos["max_length"] = min_lengths, max_lengths
    infos["min_id"], infos["max_id"] = min_ids, max_ids
    infos["offset"], infos["length"] = offsets[:-1], np.diff(offsets)
    packed, size = infos.tobytes(), _TERM_INFO.itemsize
    return [packed[at : at + size] for at in range(0, len(packed), size)]


def _add_terms(table: OrderedHashWriter, keys: list[bytes], values: list[bytes]) -> None:
    """``OrderedHashWriter.add`` for each row (keys increasing), with one write for all."""
    dbfile, hashfn, buckets, positions = table.dbfile, table.hashfn, table.buckets, table.index
    if keys and keys[0] <= table.lastkey:
        raise ValueError("term rows out of order")
    base, out = dbfile.tell(), bytearray()
    for key, value in zip(keys, values):
        position = base + len(out)
        positions.append(position)
        code = hashfn(key)
        buckets[code & 255].append((code, position))
        out += _ROW_LENGTHS.pack(len(key), len(value))
        out += key
        out += value
    dbfile.write(bytes(out))
    if keys:
        table.lastkey = keys[-1]


def _compress(data: bytes) -> bytes:
    return zlib.compress(data, COMPRESSION)


def _mini_values(values: list[bytes], fixed_size: int | None) -> Any:
    """W3PostingsWriter._mini_values (which never kept empty values)."""
    kept = list(filter(None, values))
    if fixed_size is None or fixed_size < 0:
        return tuple(kept)
    if fixed_size == 0:
        return None
    return b"".join(kept)


def build_segment(ix: FileIndex, documents: Iterable[dict[str, Any]], codec: PostingArraysCodec | None = None) -> Any:
    """Write one segment of ``documents`` (Whoosh field dicts) into ``ix``'s storage and return
    it, not yet in the index's table of contents (:func:`commit_segments`)."""
    _check_schema(ix.schema)
    # Analysis allocates millions of small containers that all live until finish(), and the
    # cyclic collector rescanned them again and again: 28% of the analysis time of a 47,600
    # article segment. Nothing here makes reference cycles, so it is off while building.
    collecting = gc.isenabled()
    gc.disable()
    try:
        builder = _SegmentBuilder(ix, codec or PostingArraysCodec())
        for fields in documents:
            builder.add_document(fields)
        return builder.finish()
    finally:
        if collecting:
            gc.enable()


def commit_segments(ix: FileIndex, segments: list[Any]) -> None:
    """Make ``segments`` the index's content, after its current ones, in a new table of contents."""
    writelock = ix.lock("WRITELOCK")
    if not writelock.acquire(blocking=True):
        raise RuntimeError("could not lock the index")
    try:
        toc = ix._read_toc()
        TOC(ix.schema, list(toc.segments) + [s for s in segments if s.doc_count_all()], toc.generation + 1).write(ix.storage, ix.indexname)
    finally:
        writelock.release()


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
    _check_schema(ix.schema)
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
