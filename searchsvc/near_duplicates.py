"""Near-duplicate signatures, computed at index time from the article alone.

Wire services and rewrites put one story in several sections and versions. Each article
gets a MinHash signature (datasketch) of its word 3-shingles (title and body, lowercased
tokens, numbers kept): the share of equal MinHash values estimates the Jaccard similarity of
two articles' shingle sets. The 64 values are cut to 16 bits each and packed four to a
64-bit number: 16 *bands*, stored as sortable NUMERIC columns (``minhash_00`` …), so the live
write API and the bulk segment writer keep them current like any other field. Two articles
with an equal band are candidates (LSH); search/duplicates.py verifies them with the
estimate over all 64 values before grouping them.

The values are datasketch's (``MinHash.update_batch`` of the shingle set), but computed for
many articles at once (:func:`band_values_of_many`, a bulk rebuild's chunks): datasketch calls
a Python hash function per shingle and makes a MinHash per article, a fifth of a rebuild.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from hashlib import sha1
from itertools import chain

import numpy as np
from datasketch import MinHash
from datasketch.minhash import _SCHEME_WIDTHS, _fmix
from whoosh.fields import NUMERIC

PERMUTATIONS = 64
BAND_ROWS = 4  # 16-bit values per 64-bit band
BANDS = PERMUTATIONS // BAND_ROWS
SHINGLE_WORDS = 3
SEED = 1  # fixed: signatures of different runs and processes must compare
BAND_FIELDS = tuple(f"minhash_{band:02d}" for band in range(BANDS))
WORD = re.compile(r"\w+", re.UNICODE)
NO_BAND = np.iinfo(np.uint64).max  # the column's value where an article has no signature (no words)

# The permutations, drawn once by datasketch; the scheme named, as signatures are stored.
_template = MinHash(num_perm=PERMUTATIONS, seed=SEED, scheme="affine32")
# What ``MinHash.update_batch`` does with them, applied here to many articles' shingles at
# once: the shingle's ``sha1_hash32`` (the first 4 bytes of its SHA-1, little-endian), mixed
# by the scheme's ``_fmix``, then ``a * h + b`` in the scheme's unsigned width (the
# wraparound is the modulo). tests/test_near_duplicates_batch.py compares with update_batch.
_MULTIPLIERS, _INCREMENTS = (row[:, np.newaxis] for row in _template.permutations)
_WIDTH = _SCHEME_WIDTHS[_template.scheme]
_DIGEST = type(sha1()).digest  # a C method: map()ped, no Python-level call per shingle
_HASH32 = np.dtype("<u4")  # datasketch.hashfunc.sha1_hash32: a digest's first 4 bytes, little-endian
_DIGEST_WORDS = sha1().digest_size // _HASH32.itemsize
# Shingles whose permuted values are worked out at once: a (PERMUTATIONS, block) uint32 array
# and its temporaries, ~1 MB each, whatever the articles' lengths.
_BLOCK_SHINGLES = 4096


def band_field() -> NUMERIC:
    """A band's field: one term per value (no range tiers: bands are never range-queried)."""
    return NUMERIC(bits=64, signed=False, shift_step=64, sortable=True)


def shingles(text: str) -> list[bytes]:
    """The text's word 3-shingles (lowercased, UTF-8), repeats kept: the minimum of a MinHash
    does not see them, and a set cost more than hashing the few repeats (3% on Reuters).

    The words are lowercased joined by spaces, and split again: the same as lowercasing
    each (a space is neither cased nor case-ignorable, so it stops the context of a Greek
    final sigma; no lowercase letter is or encodes to a space byte), in a few C calls."""
    words = WORD.findall(text)
    if not words:
        return []
    lowered = " ".join(words).lower().encode("utf-8")
    if len(words) < SHINGLE_WORDS:
        return [lowered]
    split = lowered.split(b" ")
    return list(map(b" ".join, zip(*(split[start:] for start in range(SHINGLE_WORDS)))))


def band_values_of_many(titles_and_bodies: Iterable[tuple[str, str]]) -> list[dict[str, int]]:
    """Each article's bands by field name (:func:`band_values`), computed for all at once:
    each shingle costs two C calls (SHA-1, its digest); the permutations, minimums and
    packing are numpy over all of the articles' shingles."""
    found = [shingles(title + "\n" + body) for title, body in titles_and_bodies]
    counts = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
    signatures = _signatures(chain.from_iterable(found), counts)
    packed = (signatures & 0xFFFF).astype("<u2").view("<u8")  # four 16-bit values a band
    packed = np.minimum(packed, NO_BAND - 1)  # never the column's "no value"
    rows = iter(packed[counts > 0].tolist())
    return [dict(zip(BAND_FIELDS, next(rows))) if count else {} for count in counts.tolist()]


def band_values(title: str, body: str) -> dict[str, int]:
    """The article's bands by field name; none for a text without words (it has no duplicates)."""
    return band_values_of_many([(title, body)])[0]


def _signatures(all_shingles: Iterable[bytes], counts: np.ndarray) -> np.ndarray:
    """The (articles, PERMUTATIONS) MinHash values of the articles whose shingles, in order,
    ``all_shingles`` holds, ``counts[i]`` of them for article ``i`` (datasketch's initial
    values for an article without any)."""
    digests = np.frombuffer(b"".join(map(_DIGEST, map(sha1, all_shingles))), dtype=_HASH32)
    hashes = _fmix(digests[::_DIGEST_WORDS].astype(_template.hashvalues.dtype), _WIDTH)
    signatures = np.tile(_template.hashvalues, (counts.size, 1))
    owners = np.repeat(np.arange(counts.size), counts)  # the article of each shingle
    for begin in range(0, hashes.size, _BLOCK_SHINGLES):
        block_owners = owners[begin : begin + _BLOCK_SHINGLES]
        starts = np.flatnonzero(np.diff(block_owners, prepend=-1))  # where each article's run begins
        permuted = _MULTIPLIERS * hashes[begin : begin + _BLOCK_SHINGLES] + _INCREMENTS
        articles = block_owners[starts]
        signatures[articles] = np.minimum(signatures[articles], np.minimum.reduceat(permuted, starts, axis=1).T)
    return signatures


def signature_values(bands: np.ndarray) -> np.ndarray:
    """The 64 16-bit MinHash values of each row of a (documents, BANDS) uint64 array."""
    return np.ascontiguousarray(bands, dtype="<u8").view("<u2")
