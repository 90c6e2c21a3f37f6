"""Near-duplicate signatures, computed at index time from the article alone.

Wire services and rewrites put one story in several sections and versions. Each article
gets a MinHash signature (datasketch) of its word 3-shingles (title and body, lowercased
tokens, numbers kept): the share of equal MinHash values estimates the Jaccard similarity of
two articles' shingle sets. The 64 values are cut to 16 bits each and packed four to a
64-bit number: 16 *bands*, stored as sortable NUMERIC columns (``minhash_00`` …), so the live
write API and the bulk segment writer keep them current like any other field. Two articles
with an equal band are candidates (LSH); search/duplicates.py verifies them with the
estimate over all 64 values before grouping them.
"""

from __future__ import annotations

import re

import numpy as np
from datasketch import MinHash
from whoosh.fields import NUMERIC

PERMUTATIONS = 64
BAND_ROWS = 4  # 16-bit values per 64-bit band
BANDS = PERMUTATIONS // BAND_ROWS
SHINGLE_WORDS = 3
SEED = 1  # fixed: signatures of different runs and processes must compare
BAND_FIELDS = tuple(f"minhash_{band:02d}" for band in range(BANDS))
WORD = re.compile(r"\w+", re.UNICODE)
NO_BAND = np.iinfo(np.uint64).max  # the column's value where an article has no signature (no words)

# The permutations, drawn once and copied per article; the scheme named, as signatures are stored.
_template = MinHash(num_perm=PERMUTATIONS, seed=SEED, scheme="affine32")


def band_field() -> NUMERIC:
    """A band's field: one term per value (no range tiers: bands are never range-queried)."""
    return NUMERIC(bits=64, signed=False, shift_step=64, sortable=True)


def shingles(text: str) -> set[bytes]:
    words = [token.lower() for token in WORD.findall(text)]
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8") for i in range(len(words) - SHINGLE_WORDS + 1)}


def band_values(title: str, body: str) -> dict[str, int]:
    """The article's bands by field name; none for a text without words (it has no duplicates)."""
    found = shingles(title + "\n" + body)
    if not found:
        return {}
    signature = _template.copy()
    signature.update_batch(list(found))
    packed = (signature.hashvalues & 0xFFFF).astype("<u2").view("<u8")  # four 16-bit values a band
    packed = np.minimum(packed, NO_BAND - 1)  # never the column's "no value"
    return {name: int(value) for name, value in zip(BAND_FIELDS, packed.tolist())}


def signature_values(bands: np.ndarray) -> np.ndarray:
    """The 64 16-bit MinHash values of each row of a (documents, BANDS) uint64 array."""
    return np.ascontiguousarray(bands, dtype="<u8").view("<u2")
