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
import hashlib
import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import chain
from pickle import dumps
from typing import Any

import numpy as np
from whoosh import fields as whoosh_fields
from whoosh import formats
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, _lenfield
from whoosh.columns import NumericColumn
from whoosh.fields import Schema
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.filetables import _lengths as _ROW_LENGTHS
from whoosh.filedb.filetables import md5_hash
from whoosh.index import TOC, FileIndex
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte as _length_to_byte
from whoosh.util.times import datetime_to_long

from searchsvc.posting_arrays import BYTE_LENGTHS, PostingArraysCodec, _FieldRecord
from searchsvc.store import BulkPositions, DistinctWords

BLOCK_LIMIT = 128  # postings per block: W3Codec's default, which the codec uses
COMPRESSION = 3  # zlib level of W3Codec's blocks
SMALL_BLOCK = 32  # pickled blocks up to this size are compressed once per segment (_Blocks)
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
_ROUNDED_LENGTHS = np.asarray(BYTE_LENGTHS, dtype=np.int64)  # the length Whoosh reads back for each byte
_MICROSECONDS_TO_1970 = datetime_to_long(datetime(1970, 1, 1))  # numpy's datetimes count from 1970, Whoosh's from year 1


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


def check_schema(schema: Schema) -> None:
    """Refuse (:class:`UnsupportedSchemaError`) a schema this writer would not write as Whoosh does."""
    problems = unsupported_fields(schema)
    if problems:
        raise UnsupportedSchemaError("the bulk segment writer cannot write " + ", ".join(problems))


class _FieldPostings:
    """A field's postings as analysis emits them: per document, its terms, weights, values;
    and the field length of each document that has one (scorable fields)."""

    def __init__(self) -> None:
        self.texts: list[bytes] = []
        self.weights: list[float] = []
        self.values: list[bytes] = []
        self.docnums = array("i")
        self.counts = array("i")
        self.length_docnums = array("i")
        self.lengths = array("q")  # as Whoosh counts them (the sum of the terms' frequencies)

    def add(self, docnum: int, texts: Sequence[bytes], weights: Sequence[float], values: Sequence[bytes]) -> None:
        self.texts.extend(texts)
        self.weights.extend(weights)
        self.values.extend(values)
        self.docnums.append(docnum)
        self.counts.append(len(texts))

    def add_singles(self, docnums: np.ndarray, texts: list[bytes]) -> None:
        """A term per document (``texts[i]`` in ``docnums[i]``), weighing 1 with no value: a numeric tier."""
        self.texts.extend(texts)
        self.weights.extend([1.0] * len(texts))
        self.values.extend([b""] * len(texts))
        self.docnums.extend(docnums.tolist())
        self.counts.extend([1] * len(texts))

    def arrays(self) -> _FieldArrays:
        """The postings numbered by their term (the texts are let go: the largest lists)."""
        terms = sorted(set(self.texts))
        number = {text: at for at, text in enumerate(terms)}
        term_numbers = np.fromiter(map(number.__getitem__, self.texts), dtype=np.int64, count=len(self.texts))
        docnums = np.repeat(np.frombuffer(self.docnums, dtype=np.int32), np.frombuffer(self.counts, dtype=np.int32))
        weights, values = np.asarray(self.weights, dtype=np.float64), self.values
        del self.texts, self.weights, self.values
        return _FieldArrays(terms, term_numbers, docnums, weights, values)


@dataclass
class _FieldArrays:
    """A field's postings ready for :func:`_write_field`: its terms in order and, per posting (in
    any order), its term's number among them, its document, weight and value (``None``: all
    empty, as a NUMERIC field's)."""

    terms: list[bytes]
    term_numbers: np.ndarray
    docnums: np.ndarray
    weights: np.ndarray
    values: list[bytes] | None


class _NumericValues:
    """A NUMERIC or DATETIME field's values in a segment: its terms and its sortable column
    are worked out from them at :meth:`_SegmentBuilder.finish`, a whole field at once.

    Whoosh converts each value for each of its terms (a date's eight tiers) and for its column,
    a few Python calls per document and field: a tenth of a rebuild with sixteen near-duplicate
    bands and two dates per article. Here an ``int`` (a naive ``datetime`` for DATETIME) is
    only kept; numpy converts the whole field's at the end exactly as Whoosh does (tests/
    test_bulk_segments.py, test_bulk_columns.py). Anything else (a string, a list, an aware
    datetime, bytes) is converted on the spot by Whoosh's own ``field.index`` and
    ``to_column_value``.
    """

    def __init__(self, field: whoosh_fields.NUMERIC) -> None:
        self.field = field
        self.kind = datetime if isinstance(field, whoosh_fields.DATETIME) else int
        self.docnums = array("i")
        self.values: list[Any] = []
        self.others = _FieldPostings()  # the terms of the other values, as Whoosh makes them
        self.other_columns: list[tuple[int, int]] = []  # (document, Whoosh's column value)

    @staticmethod
    def handles(field: Any) -> bool:
        """Whether the field's values can wait for numpy: an integer NUMERIC (DATETIME is one),
        with Whoosh's numeric column if any."""
        return (
            isinstance(field, whoosh_fields.NUMERIC)
            and field.numtype is int
            and not field.decimal_places
            and (field.column_type is None or type(field.column_type) is NumericColumn)
        )

    def add(self, docnum: int, value: Any) -> None:
        if type(value) is self.kind and (self.kind is int or value.tzinfo is None):
            self.docnums.append(docnum)
            self.values.append(value)
            return
        texts, _frequencies, weights, values = _analyzed(self.field, value)
        if texts:
            self.others.add(docnum, texts, weights, values)
        if self.field.column_type:
            self.other_columns.append((docnum, self.field.to_column_value(value)))

    def prepared(self) -> np.ndarray:
        """The kept values as ``prepare_number`` (``prepare_datetime`` for dates) makes them,
        as unsigned 64-bit numbers (a negative one wrapped: :meth:`sortable` undoes it)."""
        field = self.field
        if self.kind is datetime:  # datetime_to_long: microseconds since datetime.min
            since_1970 = np.array(self.values, dtype="datetime64[us]").astype(np.int64)
            return (since_1970 + _MICROSECONDS_TO_1970).astype(np.uint64)
        if self.values and (min(self.values) < field.min_value or max(self.values) > field.max_value):
            bad = next(value for value in self.values if not field.min_value <= value <= field.max_value)
            raise ValueError(f"Numeric field value {bad} out of range [{field.min_value}, {field.max_value}]")
        return np.array(self.values, dtype=np.int64 if field.signed else np.uint64).astype(np.uint64)

    def sortable(self, prepared: np.ndarray) -> np.ndarray:
        """``to_sortable``: a signed number moved up by half its range (modulo 2**64)."""
        if self.field.signed:
            return prepared + np.uint64(1 << (self.field.bits - 1))
        return prepared

    def column(self, prepared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each document's ``to_column_value`` (the sortable number; a date's microseconds)."""
        numbers = prepared if self.kind is datetime else self.sortable(prepared)
        docnums = np.frombuffer(self.docnums, dtype=np.int32)
        if self.other_columns:
            other_docnums, other_numbers = zip(*self.other_columns)
            docnums = np.concatenate([docnums, np.asarray(other_docnums, dtype=np.int32)])
            numbers = np.concatenate([numbers, np.asarray(other_numbers, dtype=np.uint64)])
        return docnums, numbers

    def postings(self, sortable: np.ndarray) -> _FieldArrays:
        """``field.index``'s terms of each kept value (a term per tier of ``shift_step`` bits:
        the tier's number in a byte, then the number shifted, big-endian), with the others'."""
        field = self.field
        shifts = range(0, field.bits, field.shift_step) if field.shift_step else range(1)
        kept = np.frombuffer(self.docnums, dtype=np.int32)
        if self.others.texts:  # rare: numbered with the other values' terms, as text fields are
            for shift in shifts:
                self.others.add_singles(kept, _tier_terms(sortable >> np.uint64(shift), shift, field.sortable_typecode))
            return self.others.arrays()
        docnums = np.tile(kept, len(shifts))
        terms: list[bytes] = []
        term_numbers = []
        for shift in shifts:
            distinct, numbered = np.unique(sortable >> np.uint64(shift), return_inverse=True)
            term_numbers.append(numbered.reshape(-1) + len(terms))
            terms += _tier_terms(distinct, shift, field.sortable_typecode)
        numbers = np.concatenate(term_numbers) if term_numbers else np.zeros(0, dtype=np.int64)
        return _FieldArrays(terms, numbers, docnums, np.ones(docnums.size, dtype=np.float64), None)


class _SegmentBuilder:
    """One segment: documents added in order, files written by :meth:`finish`.

    Stored fields and variable-width columns (``section``) go through Whoosh's per-document
    writer as each document comes; numeric fields (:class:`_NumericValues`) and field lengths
    are kept in arrays and their terms and column files made at :meth:`finish`, a whole column
    at a time, with the bytes Whoosh's column writers write (:func:`_write_number_column`)."""

    def __init__(self, ix: FileIndex, codec: PostingArraysCodec) -> None:
        self.schema = ix.schema
        self.storage = ix.storage
        self.codec = codec
        self.segment = codec.new_segment(ix.storage, ix.indexname)
        self.perdoc = codec.per_document_writer(ix.storage, self.segment)
        self.postings: dict[str, _FieldPostings] = {}
        self.numbers = {name: _NumericValues(field) for name, field in ix.schema.items() if _NumericValues.handles(field)}
        self.analyzed = {name for name, field in ix.schema.items() if (field.indexed or field.column_type) and name not in self.numbers}
        self.orders: dict[tuple[str, ...], list[str]] = {}  # a document's field names -> the order Whoosh takes them in
        self.docnum = 0

    def add_document(self, fields: dict[str, Any]) -> None:
        """What ``SegmentWriter.add_document`` does for a document, less the pool."""
        perdoc, schema, docnum = self.perdoc, self.schema, self.docnum
        perdoc.start_doc(docnum)
        for fieldname in self._field_order(fields):
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            numbers = self.numbers.get(fieldname)
            if numbers is not None:
                numbers.add(docnum, value)
            elif fieldname in self.analyzed:  # not only stored
                self._add_analyzed(fieldname, field, value)
            if field.stored:
                perdoc.add_field(fieldname, field, value, 0)  # its length, if any, is written at finish
        perdoc.finish_doc()
        self.docnum += 1

    def _field_order(self, fields: dict[str, Any]) -> list[str]:
        """The document's field names in Whoosh's order (sorted, less ``_`` ones): the order of
        its stored fields. Documents come with a few sets of names, each sorted once."""
        names = tuple(fields)
        order = self.orders.get(names)
        if order is None:
            order = self.orders[names] = sorted(name for name in names if not name.startswith("_"))
        return order

    def _add_analyzed(self, fieldname: str, field: Any, value: Any) -> None:
        """A value's postings and length kept for :meth:`finish`; its column value to Whoosh's writer."""
        if field.indexed:
            texts, frequencies, weights, values = _analyzed(field, value)
            if texts:
                postings = self.postings.get(fieldname) or self.postings.setdefault(fieldname, _FieldPostings())
                postings.add(self.docnum, texts, weights, values)
                if field.scorable:
                    postings.length_docnums.append(self.docnum)
                    postings.lengths.append(sum(frequencies))
        if field.column_type:
            self.perdoc.add_column_value(fieldname, field.column_type, field.to_column_value(value))

    def finish(self) -> Any:
        """Write the segment's files; the segment (for the table of contents)."""
        self.perdoc.close()
        self.segment.set_doc_count(self.docnum)
        fieldwriter = self.codec.field_writer(self.storage, self.segment)
        blocks = _Blocks(self.docnum)
        for fieldname in sorted(set(self.postings) | set(self.numbers)):
            field = self.schema[fieldname]
            if fieldname in self.numbers:
                arrays = self._numeric_field(fieldname, self.numbers.pop(fieldname))
                rounded_lengths = None
            else:
                postings = self.postings.pop(fieldname)
                rounded_lengths = self._lengths(fieldname, postings)
                arrays = postings.arrays()
            if arrays is not None and arrays.docnums.size:
                _write_field(fieldwriter, fieldname, field, arrays, rounded_lengths, blocks)
        fieldwriter.close()
        return self.segment

    def _numeric_field(self, fieldname: str, numbers: _NumericValues) -> _FieldArrays | None:
        """A numeric field's column file, and its postings (``None`` when it had no value)."""
        if not numbers.docnums and not numbers.others.docnums and not numbers.other_columns:
            return None
        prepared = numbers.prepared()
        if numbers.field.column_type:
            docnums, values = numbers.column(prepared)
            _write_number_column(self.storage, self.segment, fieldname, numbers.field.column_type, docnums, values)
        return numbers.postings(numbers.sortable(prepared))

    def _lengths(self, fieldname: str, postings: _FieldPostings) -> np.ndarray | None:
        """A scorable field's length column file and its total in the segment (as
        ``W3PerDocWriter.add_field`` keeps them); each document's length as Whoosh reads it
        back (one byte, rounded), for the posting blocks."""
        if not postings.lengths:
            return None
        docnums = np.frombuffer(postings.length_docnums, dtype=np.int32)
        lengths = np.frombuffer(postings.lengths, dtype=np.int64)
        codes = _length_codes(lengths)
        _write_number_column(self.storage, self.segment, _lenfield(fieldname), LENGTHS_COLUMN, docnums, codes)
        self.segment._fieldlengths[fieldname] = int(lengths.sum())
        rounded = np.zeros(self.docnum + 1, dtype=np.int64)
        rounded[docnums] = _ROUNDED_LENGTHS[codes]
        return rounded


_Postings = tuple[Sequence[bytes], Sequence[int], Sequence[float], Sequence[bytes]]


def _analyzed(field: Any, value: Any) -> _Postings:
    """``field.index(value)`` as four sequences (terms, frequencies, weights, values): from the
    format's ``bulk_postings`` when it has one (searchsvc.store's text formats), else from
    Whoosh's generator of a tuple per term."""
    bulk_postings = getattr(field.format, "bulk_postings", None)
    if bulk_postings is not None and isinstance(value, str):
        words, frequencies, weights, values = bulk_postings(value)
        return [word.encode("utf-8") for word in words], frequencies, weights, values
    return tuple(zip(*field.index(value))) or ((), (), (), ())  # type: ignore[return-value]


def _write_field(
    fieldwriter: Any, fieldname: str, field: Any, postings: _FieldArrays, lengths_of: np.ndarray | None, blocks: _Blocks
) -> None:
    """A field's terms and posting blocks, and its part of the posting arrays file.

    What Whoosh works out per block and per term (counts, last ids, smallest and largest
    lengths and weights, each term's totals and its row in the term table) is worked out
    here for the whole field at once with numpy; only pickling a block's postings and
    compressing them is done block by block, and blocks the segment repeats are made once
    (:class:`_Blocks`). ``lengths_of`` is each document's length in the field as Whoosh
    reads it back (``None``: the field has no lengths)."""
    fieldwriter.start_field(fieldname, field)
    postfile, termtable = fieldwriter._postfile, fieldwriter._tindex
    prefix = pack_ushort(fieldwriter._fieldid)

    terms = postings.terms
    order = np.lexsort((postings.docnums, postings.term_numbers))  # Whoosh's pool order: term, then document
    docnums = postings.docnums[order]
    term_numbers = postings.term_numbers[order]
    weights64 = postings.weights[order]
    weights32 = weights64.astype(np.float32)
    fixed_size = field.format.fixed_value_size()
    values: list[bytes] = []
    if fixed_size != 0:  # else no block keeps its values
        values_array = np.empty(docnums.size, dtype=object)
        values_array[:] = postings.values if postings.values is not None else b""
        values = values_array[order].tolist()
        del values_array
    del postings.values

    starts = np.searchsorted(term_numbers, np.arange(len(terms) + 1))
    term_begins = starts[:-1]
    # Blocks: a term's postings BLOCK_LIMIT at a time; ids delta-coded within each block.
    within = np.arange(docnums.size) - np.repeat(term_begins, np.diff(starts))
    block_begins = np.flatnonzero(within % BLOCK_LIMIT == 0)
    block_ends = np.append(block_begins[1:], docnums.size)
    deltas = docnums.copy()
    deltas[1:] -= docnums[:-1]
    deltas[block_begins] = docnums[block_begins]
    lengths = lengths_of[docnums] if lengths_of is not None else np.zeros(docnums.size, dtype=np.int64)
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
    delta_list, weight32_list = deltas.tolist(), weights32.tolist()
    counts = block_ends - block_begins
    starts_term = within[block_begins] == 0
    last_of_term = np.zeros(docnums.size, dtype=bool)
    last_of_term[starts[1:] - 1] = True
    ends_term = last_of_term[block_ends - 1]

    # Each block's bytes: a term's only posting, weighing 1, with no value or length, from the
    # segment's table of them (_Blocks.singles); the others made here one at a time.
    chunks = np.empty(block_begins.size, dtype=object)
    single = counts == 1
    single &= starts_term & ends_term & (weights64[block_begins] == 1.0) & (lengths[block_begins] == 0) & (fixed_size == 0)
    chunks[single] = blocks.singles(docnums[block_begins[single]])
    others = np.flatnonzero(~single)
    for at, begin, end, starts_one, ends_one, least, most, info in zip(
        others.tolist(),
        block_begins[others].tolist(),
        block_ends[others].tolist(),
        starts_term[others].tolist(),
        ends_term[others].tolist(),
        block_least[others].tolist(),
        block_most[others].tolist(),
        zip(
            counts[others].tolist(),
            docnums[block_ends[others] - 1].tolist(),
            [weight if weight > 0 else 0 for weight in block_max_weights[others].tolist()],  # max(0, the block's largest)
            [COMPRESSION] * others.size,
            _length_codes(block_min_lengths[others], no_length).tolist(),
            _length_codes(block_max_lengths[others], no_length).tolist(),
        ),
    ):
        # W3PostingsWriter._mini_weights: None when all 1.0, one number when all equal, else all.
        mini_weights = None if least == most == 1.0 else weight32_list[begin] if least == most else tuple(weight32_list[begin:end])
        mini_values = None if fixed_size == 0 else _mini_values(values[begin:end], fixed_size)
        chunks[at] = blocks.block(tuple(delta_list[begin:end]), mini_weights, mini_values, info, starts_one, ends_one)

    # The field's postings go to the file in one write, its term rows in another.
    base = postfile.tell()
    block_offsets = base + np.cumsum(np.fromiter(map(len, chunks), dtype=np.int64, count=chunks.size))
    postfile.write(b"".join(chunks.tolist()))
    term_offsets = np.append(base, block_offsets)[np.append(np.flatnonzero(starts_term), chunks.size)]
    _add_terms(termtable, [prefix + text for text in terms], _term_infos(
        _term_weights(weights32, weight32_list, starts, block_begins),
        np.diff(starts),
        _length_codes(term_min_lengths, no_length),
        _length_codes(term_max_lengths, no_length),
        np.maximum(term_max_weights, 0),
        docnums[term_begins],
        docnums[starts[1:] - 1],
        term_offsets,
    ))
    fieldwriter.finish_field()

    record: _FieldRecord | None = fieldwriter._records.get(fieldname)
    if record is not None:
        record.terms = terms
        record.starts.frombytes(term_begins.astype(np.int64).tobytes())
        record.ids.frombytes(docnums.astype(np.int32).tobytes())
        record.weights.frombytes(weights32.tobytes())


class _Blocks:
    """Posting blocks a segment repeats, each made once per segment.

    A term found in one document only, weighing 1 with no value or length (each
    near-duplicate band's term of an article, a date's finest tier, an id) makes a block
    that depends on the document's number alone, the same in every such field: 17 of an
    article's blocks or more, made once per document (:meth:`singles`). Other small blocks
    repeat too; their zlib output is kept by their pickled bytes (a dictionary look-up is a
    fraction of a compression call)."""

    def __init__(self, doccount: int) -> None:
        self.compressed: dict[bytes, bytes] = {}
        self.single = np.full(doccount, None, dtype=object)  # by document number, made on first use

    def block(self, deltas: tuple[int, ...], mini_weights: Any, mini_values: Any, info: tuple[Any, ...], starts_term: bool, ends_term: bool) -> bytes:
        """W3PostingsWriter's block: the W3Bl magic before a term's first, the size (negative
        for a term's last), the pickled block info, the compressed pickled postings."""
        pickled = dumps((deltas, mini_weights, mini_values), 2)
        databytes = self.compressed.get(pickled) if len(pickled) <= SMALL_BLOCK else None
        if databytes is None:
            databytes = _compress(pickled)
            if len(pickled) <= SMALL_BLOCK:
                self.compressed[pickled] = databytes
        infobytes = dumps(info, 2)
        size = len(infobytes) + len(databytes)
        return (WHOOSH3_HEADER_MAGIC if starts_term else b"") + pack_int(-size if ends_term else size) + infobytes + databytes

    def singles(self, docnums: np.ndarray) -> np.ndarray:
        """The block of a term in document ``docnum`` alone, weighing 1 (info: one posting,
        last id, largest weight 1.0, no lengths), for each of ``docnums``."""
        found = self.single[docnums]
        for docnum in set(docnums[np.equal(found, None)].tolist()):
            self.single[docnum] = self.block((docnum,), None, None, (1, docnum, 1.0, COMPRESSION, 0, 0), True, True)
        return self.single[docnums]


def _length_codes(lengths: np.ndarray, no_length: int = -1) -> np.ndarray:
    """Whoosh's one-byte length of each (``length_to_byte``; 0 for ``no_length``), once per distinct length."""
    distinct, where = np.unique(lengths, return_inverse=True)
    codes = np.array([0 if length == no_length else length_to_byte(length) for length in distinct.tolist()], dtype=np.uint8)
    return codes[where.reshape(-1)]


def _tier_terms(numbers: np.ndarray, shift: int, typecode: str) -> list[bytes]:
    """``NUMERIC.sortable_to_bytes`` of numbers already shifted by ``shift``: the shift in a
    byte, then the number big-endian in the field's size."""
    packed = np.empty(numbers.size, dtype=[("shift", "u1"), ("number", ">" + typecode)])
    packed["shift"], packed["number"] = shift, numbers
    return _rows(packed)


def _rows(packed: np.ndarray) -> list[bytes]:
    """A structured array's records as bytes, one each."""
    data, size = packed.tobytes(), packed.dtype.itemsize
    return [data[at : at + size] for at in range(0, len(data), size)]


def _write_number_column(storage: Any, segment: Any, name: str, column: NumericColumn, docnums: np.ndarray, numbers: np.ndarray) -> None:
    """The file ``NumericColumn.Writer`` writes for these documents' numbers (a document at most
    once; ``W3PerDocWriter`` names it): each number big-endian in the column's type, the
    column's default for a document without one, and nothing after the last document whose
    number is not the default (the writer skips defaults, fills a gap when a number follows,
    and the reader gives the default past the end). Created even when every number is the
    default, as the writer's first value creates it."""
    dtype = np.dtype(">" + column._typecode)
    numbers = numbers.astype(dtype)
    default = dtype.type(column.default_value())
    given = numbers != default
    size = int(docnums[given].max()) + 1 if given.any() else 0
    written = np.full(size, default, dtype=dtype)
    written[docnums[given]] = numbers[given]
    file = storage.create_file(W3Codec.column_filename(segment, name))
    file.write(written.tobytes())
    file.close()


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
    return _rows(infos)


def _add_terms(table: OrderedHashWriter, keys: list[bytes], values: list[bytes]) -> None:
    """``OrderedHashWriter.add`` for each row (keys increasing), with one write for all: the
    rows' lengths packed, their positions and key hashes worked out, for all rows at once."""
    if not keys:
        return
    if keys[0] <= table.lastkey:
        raise ValueError("term rows out of order")
    if table.hashfn is not md5_hash:
        raise ValueError("the term table hashes its keys with another function than MD5")
    heads = np.empty(len(keys), dtype=[("key", ">i4"), ("value", ">i4")])  # _ROW_LENGTHS ("!ii")
    heads["key"], heads["value"] = [len(key) for key in keys], [len(value) for value in values]
    sizes = _ROW_LENGTHS.size + heads["key"].astype(np.int64) + heads["value"]
    positions = (table.dbfile.tell() + np.cumsum(sizes) - sizes).tolist()
    table.dbfile.write(b"".join(chain.from_iterable(zip(_rows(heads), keys, values))))
    # md5_hash: the MD5 digest's last four bytes as a big-endian number.
    digests = b"".join([hashlib.md5(key, usedforsecurity=False).digest() for key in keys])
    codes = np.frombuffer(digests, dtype=">u4")[3::4].tolist()
    buckets, index = table.buckets, table.index
    for code, position in zip(codes, positions):
        index.append(position)
        buckets[code & 255].append((code, position))
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
    check_schema(ix.schema)
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
