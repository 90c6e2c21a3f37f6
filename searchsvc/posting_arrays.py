"""Each segment's title and body postings, also written as flat arrays that searchers memory-map.

Whoosh keeps a term's postings in zlib-compressed, pickled blocks, together with the word
positions. Reading one list back costs about 0.1 ms plus a few µs per posting in Python
(all of Reuters-21578's title and body lists: 10 s), and a results page needs the lists of
its query words and of its feedback words, often twenty or more, nearly all different from
one distinct query to the next.

So the codec used for writing (:class:`PostingArraysCodec`) also records, while Whoosh
writes a segment, every posting of the ranked fields and saves them beside the segment's
own files as ``<index>_<segment>.tpa``: per field the sorted terms, and for each term its
document numbers (int32) and weights (uint16 when whole numbers, else float32), exactly the
values Whoosh's lists hold, and the same postings ordered by document (what words a document
has, without re-analyzing it).
For the ``words`` field (the vocabulary of suggestions and corrections) it keeps only the
terms and their document frequencies.
Named like the segment's other files, it is deleted by Whoosh with its segment (merges,
cleanup). A searcher maps the file read-only: the pages are the OS page cache's, shared by
every worker, and a term's list is two array slices. Segments without the file (a compound
segment, an index written by another codec) are read through Whoosh as before
(:mod:`searchsvc.search.postings`).

File layout: ``MAGIC``, an 8-byte little-endian header length, a JSON header
``{"arrays": {name: [dtype, offset, count]}}``, then the arrays, each 8-byte aligned.
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Iterable

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3FieldWriter, W3PerDocReader, _lenfield
from whoosh.columns import NumericColumn
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length

EXTENSION = ".tpa"
MAGIC = b"searchsvc-term-postings-1\n"
RANKED_FIELDS = ("title", "body")  # the fields whose lists matching and ranking read
WORD_LIST_FIELDS = ("words",)  # fields whose terms and document frequencies alone are kept (store.py)

# What a ranked field's part of the file holds (_FieldRecord.arrays); a file lacking any is not used.
POSTING_ARRAYS = ("blob", "term_offsets", "doc_starts", "doc_terms", "doc_weights", "starts", "ids", "weights", "totals")

BYTE_LENGTHS = [byte_to_length(code) for code in range(256)]  # what Whoosh decodes each length byte to
_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)


class PostingArraysCodec(W3Codec):
    """Whoosh's default codec, writing each segment's posting arrays as well (and reading
    field lengths from memory, :class:`_PerDocumentReader`)."""

    def __init__(self, fields: Iterable[str] = RANKED_FIELDS, word_lists: Iterable[str] = WORD_LIST_FIELDS) -> None:
        super().__init__()
        self.fields = tuple(fields)
        self.word_lists = tuple(word_lists)

    def field_writer(self, storage, segment):  # type: ignore[no-untyped-def]
        return _RecordingFieldWriter(self, storage, segment, self.fields, self.word_lists)

    def per_document_reader(self, storage, segment):  # type: ignore[no-untyped-def]
        return _PerDocumentReader(storage, segment)


class _PerDocumentReader(W3PerDocReader):
    """Whoosh's per-document reader, opening every column file at once and holding each
    field's lengths in memory (a byte per document).

    Whoosh opens a segment's column files (stored fields, lengths, sort columns) on first
    use. A live write that merges the segment away deletes its files, so a searcher still
    on the previous version then found them gone (a 500 under writes); opened at once they
    stay readable, as POSIX keeps deleted open files (``store.open_reader`` makes sure none
    had gone before they were opened). And writing a segment asks for a
    document's field length once per posting, which Whoosh read from the file each time:
    a sixth of the indexing time.
    """

    def __init__(self, storage, segment) -> None:  # type: ignore[no-untyped-def]
        super().__init__(storage, segment)
        self._length_bytes: dict[str, bytes | None] = {}
        prefix, suffix = segment.make_filename("."), W3Codec.COLUMN_EXT
        for name in storage.list():
            if name.startswith(prefix) and name.endswith(suffix):
                fieldname = name[len(prefix) : -len(suffix)]
                # Gone since the listing (merged away): the OSError makes ix.reader() retry.
                self._colfiles[fieldname] = self._get_column_file(fieldname)

    def has_column(self, fieldname):  # type: ignore[no-untyped-def]
        return fieldname in self._colfiles or super().has_column(fieldname)

    def doc_field_length(self, docnum, fieldname, default=0):  # type: ignore[no-untyped-def]
        if docnum > self._doccount:
            raise IndexError("Asked for docnum %r of %d" % (docnum, self._doccount))
        if fieldname not in self._length_bytes:
            column = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            self._length_bytes[fieldname] = None if column is None else column_bytes(column)
        lengths = self._length_bytes[fieldname]
        if lengths is None:
            return default
        code = lengths[docnum] if docnum < len(lengths) else 0
        return BYTE_LENGTHS[code] if code else None  # None for no length, as Whoosh's own


def column_bytes(column: NumericColumn.Reader) -> bytes:
    """A Whoosh numeric column's values as stored, in one read: fixed-size big-endian numbers,
    up to the last one written (the documents after it have the column's default)."""
    return column._dbfile.get(column._basepos, column._count * column._fixedlen)


class _FieldRecord:
    """One field's postings in the order Whoosh writes them (terms sorted, then documents)."""

    def __init__(self, keep_postings: bool) -> None:
        self.keep_postings = keep_postings  # else only the terms and their document frequencies
        self.terms: list[bytes] = []
        self.starts = array("q")  # where each term's postings start
        self.ids = array("i")
        self.weights = array("f")

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        starts = np.append(np.frombuffer(self.starts, dtype=np.int64), len(self.ids))  # one past the end last
        lengths = np.fromiter((len(term) for term in self.terms), dtype=np.int64, count=len(self.terms))
        terms = {
            f"{name}.blob": np.frombuffer(b"".join(self.terms), dtype=np.uint8),
            f"{name}.term_offsets": np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        }
        if not self.keep_postings:
            return {**terms, f"{name}.doc_frequencies": np.diff(starts)}
        ids = np.frombuffer(self.ids, dtype=np.int32)
        weights = np.frombuffer(self.weights, dtype=np.float32)
        stored_weights = _exact_compact(weights)
        # The same postings by document (a forward index): each document's term numbers and weights.
        by_document = np.argsort(ids, kind="stable")
        number_type = np.uint16 if len(self.terms) <= 2**16 else np.int32
        term_numbers = np.repeat(np.arange(len(self.terms), dtype=number_type), np.diff(starts))
        return {
            **terms,
            f"{name}.doc_starts": np.searchsorted(ids[by_document], np.arange(int(ids.max()) + 2 if ids.size else 1)).astype(np.int64),
            f"{name}.doc_terms": term_numbers[by_document],
            f"{name}.doc_weights": stored_weights[by_document],
            f"{name}.starts": starts,
            f"{name}.ids": ids,
            f"{name}.weights": stored_weights,
            # Each term's total weight, Whoosh's frequency() (exact: small whole numbers in float32).
            f"{name}.totals": np.add.reduceat(weights, starts[:-1]).astype(np.float64) if self.terms else np.zeros(0),
        }


def _exact_compact(weights: np.ndarray) -> np.ndarray:
    """The weights as uint16 when that holds them exactly (whole numbers below 65,536: a word's
    count times a whole field boost, as ours are), else as they are. Weights and term numbers
    in two bytes instead of four make the file, and what of it every worker maps, a third smaller."""
    whole = weights.size == 0 or (weights.min() >= 0 and weights.max() < 2**16 and np.array_equal(weights, np.floor(weights)))
    return weights.astype(np.uint16) if whole else weights


class _RecordingFieldWriter(W3FieldWriter):
    """Whoosh's field writer, keeping a copy of the ranked fields' postings for the array file."""

    def __init__(self, codec, storage, segment, fields: tuple[str, ...], word_lists: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
        super().__init__(codec, storage, segment)
        self._records = {name: _FieldRecord(True) for name in fields} | {name: _FieldRecord(False) for name in word_lists}
        self._record: _FieldRecord | None = None

    def start_field(self, fieldname, fieldobj):  # type: ignore[no-untyped-def]
        super().start_field(fieldname, fieldobj)
        self._record = self._records.get(fieldname)

    def start_term(self, btext):  # type: ignore[no-untyped-def]
        super().start_term(btext)
        record = self._record
        if record is not None:
            record.starts.append(len(record.ids))
            record.terms.append(bytes(btext))

    def add(self, docnum, weight, vbytes, length):  # type: ignore[no-untyped-def]
        super().add(docnum, weight, vbytes, length)
        record = self._record
        if record is not None:
            record.ids.append(docnum)
            record.weights.append(weight)

    def finish_field(self):  # type: ignore[no-untyped-def]
        super().finish_field()
        self._record = None

    def close(self):  # type: ignore[no-untyped-def]
        super().close()
        arrays: dict[str, np.ndarray] = {}
        for name, record in self._records.items():
            arrays.update(record.arrays(name))
        with self._segment.create_file(self._storage, EXTENSION) as out:
            out.write(_encode(arrays))


def _encode(arrays: dict[str, np.ndarray]) -> bytes:
    layout, offset = {}, 0
    for name, values in arrays.items():
        layout[name] = [values.dtype.str, offset, int(values.size)]
        offset += -(-values.nbytes // 8) * 8
    header = json.dumps({"arrays": layout}).encode()
    start = -(-(len(MAGIC) + 8 + len(header)) // 8) * 8
    body = bytearray(start + offset)
    body[: len(MAGIC)] = MAGIC
    body[len(MAGIC) : len(MAGIC) + 8] = len(header).to_bytes(8, "little")
    body[len(MAGIC) + 8 : len(MAGIC) + 8 + len(header)] = header
    for name, values in arrays.items():
        at = start + layout[name][1]
        body[at : at + values.nbytes] = values.tobytes()
    return bytes(body)


class SegmentPostings:
    """One segment's posting arrays, memory-mapped."""

    def __init__(self, path: str) -> None:
        mapped = np.memmap(path, dtype=np.uint8, mode="r").view(np.ndarray)  # plain arrays slice faster
        if bytes(mapped[: len(MAGIC)]) != MAGIC:
            raise ValueError(f"{path} is not a posting array file")
        length = int.from_bytes(bytes(mapped[len(MAGIC) : len(MAGIC) + 8]), "little")
        header = json.loads(bytes(mapped[len(MAGIC) + 8 : len(MAGIC) + 8 + length]))
        start = -(-(len(MAGIC) + 8 + length) // 8) * 8
        self._arrays = {
            name: mapped[start + offset : start + offset + count * np.dtype(dtype).itemsize].view(dtype)
            for name, (dtype, offset, count) in header["arrays"].items()
        }
        self.fields = {name.split(".")[0] for name in self._arrays if name.endswith(".ids")}
        missing = [f"{field}.{part}" for field in self.fields for part in POSTING_ARRAYS if f"{field}.{part}" not in self._arrays]
        if missing:  # written before the file held them: read the segment through Whoosh
            raise ValueError(f"{path} lacks {', '.join(missing)}")
        self._numbers: dict[str, dict[str, int]] = {}
        self._terms: dict[str, list[str]] = {}
        self._hashes: dict[str, np.ndarray] = {}
        self._sorted: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def of(cls, leaf: IndexReader) -> SegmentPostings | None:
        """The segment's arrays, or None when it has none (read it through Whoosh)."""
        folder = getattr(getattr(leaf, "_storage", None), "folder", None)
        segment = leaf.segment() if hasattr(leaf, "segment") else None
        if folder is None or segment is None or segment.is_compound():
            return None
        try:
            return cls(os.path.join(folder, segment.make_filename(EXTENSION)))
        except (OSError, ValueError):
            return None

    def postings(self, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """(sorted document numbers, weights) of a term; None for a field not recorded here."""
        if fieldname not in self.fields:
            return None
        found = self._numbers_of(fieldname).get(_term(text), -1)
        if found < 0:
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        starts = self._arrays[f"{fieldname}.starts"]
        begin, end = int(starts[found]), int(starts[found + 1])
        return self._arrays[f"{fieldname}.ids"][begin:end], self._arrays[f"{fieldname}.weights"][begin:end]

    def pool_weights(self, fieldname: str, texts: list[bytes], docnums: np.ndarray, max_postings: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Each term's weight (a row per term) in each of ``docnums`` (0 where absent), and each
        term's posting count, read from the documents' side of the arrays; None for a field not
        recorded here, or when those documents have more than ``max_postings`` postings in all.

        For a few hundred documents and several terms this is a handful of numpy operations,
        where looking the documents up in each term's list costs ~12 µs of calls per list
        (searchsvc/search/bm25f.py weighs the two).
        """
        if fieldname not in self.fields:
            return None
        begins, lengths = self._document_runs(fieldname, docnums)
        total = int(lengths.sum())
        if total > max_postings:
            return None
        numbers = self._numbers_of(fieldname)
        found = np.array([numbers.get(_term(text), -1) for text in texts], dtype=np.int64)
        known = found >= 0
        term_starts = self._arrays[f"{fieldname}.starts"]
        sizes = np.zeros(len(texts), dtype=np.int64)
        sizes[known] = term_starts[found[known] + 1] - term_starts[found[known]]
        weights = np.zeros((len(texts), docnums.size))
        if total == 0 or not known.any():
            return weights, sizes
        at = _positions(begins, lengths)
        # The asked-for terms, each once: a term may be asked for twice ("wheat^2 wheat").
        asked = found[known].tolist()
        distinct = list(dict.fromkeys(asked))
        rows = np.zeros(term_starts.size, dtype=np.int32)  # term number -> its row + 1 (0: not asked for)
        rows[distinct] = np.arange(1, len(distinct) + 1)
        slots = rows[self._arrays[f"{fieldname}.doc_terms"][at]]
        hits = np.flatnonzero(slots)
        per_term = np.zeros((len(distinct), docnums.size))
        per_term[slots[hits] - 1, np.repeat(np.arange(docnums.size), lengths)[hits]] = self._arrays[f"{fieldname}.doc_weights"][at[hits]]
        weights[known] = per_term if len(distinct) == len(asked) else per_term[[distinct.index(number) for number in asked]]
        return weights, sizes

    def document_postings(self, fieldname: str, docnums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Every posting of ``docnums`` in the field: its term number, its weight, and the index
        in ``docnums`` of its document; None for a field not recorded here."""
        if fieldname not in self.fields:
            return None
        begins, lengths = self._document_runs(fieldname, docnums)
        at = _positions(begins, lengths)
        documents = np.repeat(np.arange(docnums.size), lengths)
        return self._arrays[f"{fieldname}.doc_terms"][at].astype(np.int64), self._arrays[f"{fieldname}.doc_weights"][at], documents

    def term_hashes(self, fieldname: str) -> np.ndarray:
        """Each of the field's terms' ``hash()`` (by number), built once per segment: the same
        word hashes the same in every field and segment, where its term numbers differ."""
        found = self._hashes.get(fieldname)
        if found is None:
            found = self._hashes[fieldname] = np.fromiter(map(hash, self._terms_of(fieldname)), dtype=np.int64, count=len(self._terms_of(fieldname)))
        return found

    def terms(self, fieldname: str) -> list[str]:
        """The field's terms, by number (those of :meth:`document_postings`)."""
        return self._terms_of(fieldname)

    def _document_runs(self, fieldname: str, docnums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each of ``docnums``' postings start in the by-document arrays, and how many it has."""
        starts = self._arrays[f"{fieldname}.doc_starts"]
        last = starts.size - 1  # documents past the last one with postings have none
        begins = starts[np.minimum(docnums, last)]
        return begins, starts[np.minimum(docnums + 1, last)] - begins

    def words(self, fieldname: str) -> tuple[list[str], np.ndarray] | None:
        """A word list field's terms (sorted) and their document frequencies; None when not kept here."""
        frequencies = self._arrays.get(f"{fieldname}.doc_frequencies")
        if frequencies is None:
            return None
        blob = self._arrays[f"{fieldname}.blob"].tobytes()
        bounds = self._arrays[f"{fieldname}.term_offsets"].tolist()
        return [blob[begin:end].decode("utf-8") for begin, end in zip(bounds, bounds[1:])], frequencies

    def frequencies(self, fieldname: str, hashes: np.ndarray) -> np.ndarray | None:
        """Each word's total weight in the segment (0 when absent), as Whoosh's ``frequency()``,
        the words given by their ``hash()``; None for a field not recorded here.

        A binary search over the segment's sorted term hashes, in C: a dict look-up per word
        cost ~0.3 µs (a large table, cache misses), for the few hundred words feedback weighs
        the longest part of choosing them."""
        if fieldname not in self.fields:
            return None
        totals = self._arrays[f"{fieldname}.totals"]
        if totals.size == 0:  # the field has no words in this segment
            return np.zeros(hashes.size)
        ordered, order = self._sorted_hashes(fieldname)
        at = np.minimum(ordered.searchsorted(hashes), ordered.size - 1)
        return np.where(ordered[at] == hashes, totals[order[at]], 0.0)

    def _sorted_hashes(self, fieldname: str) -> tuple[np.ndarray, np.ndarray]:
        """The field's term hashes sorted, and the term number of each, built once per segment."""
        found = self._sorted.get(fieldname)
        if found is None:
            hashes = self.term_hashes(fieldname)
            order = np.argsort(hashes)
            found = self._sorted[fieldname] = (hashes[order], order)
        return found

    def _numbers_of(self, fieldname: str) -> dict[str, int]:
        """Term -> number, built on first use: a dict answers in a fraction of a µs where a
        binary search over the mapped terms took ~20 µs, for ~3 MB per 40,000 terms."""
        numbers = self._numbers.get(fieldname)
        if numbers is None:
            blob = self._arrays[f"{fieldname}.blob"].tobytes()
            bounds = self._arrays[f"{fieldname}.term_offsets"].tolist()
            numbers = self._numbers[fieldname] = {_term(blob[begin:end]): number for number, (begin, end) in enumerate(zip(bounds, bounds[1:]))}
        return numbers

    def _terms_of(self, fieldname: str) -> list[str]:
        """Number -> term: the same strings as ``_numbers_of`` (a dict keeps its keys in order)."""
        terms = self._terms.get(fieldname)
        if terms is None:
            terms = self._terms[fieldname] = list(self._numbers_of(fieldname))
        return terms


def _positions(begins: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Every position of the runs (``lengths[i]`` from ``begins[i]``), in order: where each
    run starts, plus 0, 1, 2..."""
    ends = np.cumsum(lengths)
    return np.arange(int(ends[-1]) if ends.size else 0) + np.repeat(begins - (ends - lengths), lengths)


def _term(text: bytes) -> str:
    """A term's bytes as the str our lookups key on: UTF-8 (what Whoosh writes), and any other
    bytes one-to-one (surrogateescape), so a lookup never fails where the bytes would match."""
    return text.decode("utf-8", "surrogateescape")
