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
import zlib
from array import array
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import islice
from pickle import dumps
from typing import Any

import numpy as np
from whoosh import fields as whoosh_fields
from whoosh import formats
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.fields import Schema
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.filetables import _lengths as _ROW_LENGTHS
from whoosh.index import TOC, FileIndex
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import byte_to_length
from whoosh.util.numeric import length_to_byte as _length_to_byte

from searchsvc.posting_arrays import PostingArraysCodec, _FieldRecord
from searchsvc.store import BulkPositions, DistinctWords

BLOCK_LIMIT = 128  # postings per block: W3Codec's default, which the codec uses
COMPRESSION = 3  # zlib level of W3Codec's blocks
# What building a segment takes in memory per article: on Reuters-21578 (articles of ~0.8 KB
# of text) the peak resident memory of one process grew by 30 KB per article over 4,000 and
# 16,000 articles (analyzed postings, then their sorted arrays while writing); with a margin
# for longer articles. Segments are sized by it and the memory a rebuild may take
# (indexer._sort_memory_mb).
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
                items = list(field.index(value))
                if items:
                    texts, frequencies, weights, values = zip(*items)
                    postings = self.postings.get(fieldname) or self.postings.setdefault(fieldname, _FieldPostings())
                    postings.texts.extend(texts)
                    postings.weights.extend(weights)
                    postings.values.extend(values)
                    postings.docnums.append(docnum)
                    postings.counts.append(len(items))
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
        for fieldname in sorted(self.postings):
            _write_field(fieldwriter, fieldname, self.schema[fieldname], self.postings.pop(fieldname), self.docnum)
        fieldwriter.close()
        return self.segment


def _write_field(fieldwriter: Any, fieldname: str, field: Any, postings: _FieldPostings, doccount: int) -> None:
    """A field's terms and posting blocks, and its part of the posting arrays file."""
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
    values_array = np.empty(len(postings.values), dtype=object)
    values_array[:] = postings.values
    values = values_array[order].tolist()
    del postings.texts, postings.weights, postings.values, values_array

    starts = np.searchsorted(term_numbers, np.arange(len(terms) + 1))
    # Ids delta-coded within each block; a block's first id as it is.
    deltas = docnums.copy()
    deltas[1:] -= docnums[:-1]
    within = np.arange(docnums.size) - np.repeat(starts[:-1], np.diff(starts))
    block_first = within % BLOCK_LIMIT == 0
    deltas[block_first] = docnums[block_first]
    lengths_of = np.zeros(doccount + 1, dtype=np.int64)
    if postings.lengths:
        lengths_of[np.fromiter(postings.lengths.keys(), dtype=np.int64)] = np.fromiter(postings.lengths.values(), dtype=np.int64)
    lengths = lengths_of[docnums].tolist()
    ids, delta_list = docnums.tolist(), deltas.tolist()
    weight_list, weight32_list = weights64.tolist(), weights32.tolist()
    fixed_size = field.format.fixed_value_size()

    # The field's postings go to the file in one write, its term rows in another.
    base, out, rows = postfile.tell(), bytearray(), []
    bounds = starts.tolist()
    for term_number, text in enumerate(terms):
        begin, end = bounds[term_number], bounds[term_number + 1]
        info = W3TermInfo()
        startoffset = base + len(out)
        out += WHOOSH3_HEADER_MAGIC
        for block in range(begin, end, BLOCK_LIMIT):
            stop = min(block + BLOCK_LIMIT, end)
            block_weights = weight32_list[block:stop]
            block_lengths = [length for length in lengths[block:stop] if length]
            min_length = min(block_lengths) if block_lengths else None
            max_length = max(block_lengths) if block_lengths else 0
            max_weight = max(0, max(weight_list[block:stop]))
            data = (tuple(delta_list[block:stop]), _mini_weights(block_weights), _mini_values(values[block:stop], fixed_size))
            databytes = _compress(dumps(data, 2))
            infobytes = dumps((stop - block, ids[stop - 1], max_weight, COMPRESSION, length_to_byte(min_length), length_to_byte(max_length)), 2)
            size = len(infobytes) + len(databytes)
            out += pack_int(-size if stop == end else size)
            out += infobytes
            out += databytes
            # What W3TermInfo.add_block keeps of each block.
            info._weight += sum(block_weights)
            info._df += stop - block
            if info._minlength is None:
                info._minlength = min_length
            elif min_length is not None:
                info._minlength = min(info._minlength, min_length)
            info._maxlength = max(info._maxlength, max_length)
            info._maxweight = max(info._maxweight, max_weight)
        info._minid, info._maxid = ids[begin], ids[end - 1]
        info.set_extent(startoffset, base + len(out) - startoffset)
        rows.append((prefix + text, info.to_bytes()))
    postfile.write(bytes(out))
    _add_terms(termtable, rows)
    fieldwriter.finish_field()

    record: _FieldRecord | None = fieldwriter._records.get(fieldname)
    if record is not None:
        record.terms = terms
        record.starts.frombytes(starts[:-1].astype(np.int64).tobytes())
        record.ids.frombytes(docnums.astype(np.int32).tobytes())
        record.weights.frombytes(weights32.tobytes())


def _add_terms(table: OrderedHashWriter, rows: list[tuple[bytes, bytes]]) -> None:
    """``OrderedHashWriter.add`` for each row (keys increasing), with one write for all."""
    dbfile, hashfn, buckets, positions = table.dbfile, table.hashfn, table.buckets, table.index
    if rows and rows[0][0] <= table.lastkey:
        raise ValueError("term rows out of order")
    base, out = dbfile.tell(), bytearray()
    for key, value in rows:
        position = base + len(out)
        positions.append(position)
        code = hashfn(key)
        buckets[code & 255].append((code, position))
        out += _ROW_LENGTHS.pack(len(key), len(value))
        out += key
        out += value
    dbfile.write(bytes(out))
    if rows:
        table.lastkey = rows[-1][0]


def _compress(data: bytes) -> bytes:
    return zlib.compress(data, COMPRESSION)


def _mini_weights(weights: list[float]) -> Any:
    """W3PostingsWriter._mini_weights: None when all 1.0, one number when all equal, else all."""
    first = weights[0]
    if first == 1.0 and weights.count(1.0) == len(weights):
        return None
    if weights.count(first) == len(weights):
        return first
    return tuple(weights)


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


def _batches(documents: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(documents)
    while batch := list(islice(iterator, size)):
        yield batch


_pool_index: FileIndex | None = None


def _build_in_worker(batch: list[dict[str, Any]]) -> Any:
    assert _pool_index is not None
    return build_segment(_pool_index, batch)


def build_index(ix: FileIndex, documents: Iterable[dict[str, Any]], procs: int, documents_per_segment: int) -> int:
    """Write ``documents`` into ``ix`` as segments of at most ``documents_per_segment`` each (what
    bounds memory), ``procs`` segments at a time in forked processes, in the documents' order
    (the documents are numbered as one writer would). Returns the number of documents."""
    global _pool_index
    _check_schema(ix.schema)
    segments: list[Any] = []
    if procs <= 1:
        segments = [build_segment(ix, batch) for batch in _batches(documents, documents_per_segment)]
    else:
        _pool_index = ix
        try:
            with multiprocessing.get_context("fork").Pool(procs, initializer=_die_with_parent) as pool:
                # The pool's feeder blocks on its pipe until a worker is free to take a batch:
                # beyond the workers' own, at most one batch is held, and one being read.
                segments = list(pool.imap(_build_in_worker, _batches(documents, documents_per_segment)))
        finally:
            _pool_index = None
    commit_segments(ix, segments)
    return sum(segment.doc_count_all() for segment in segments)


def _die_with_parent() -> None:
    """A worker killed with the rebuild (a ``kill -9`` would otherwise leave it waiting)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
