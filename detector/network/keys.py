"""The keys ads are linked by: MinHash band keys of their text, and identifiers (one key per
telephone number, however an ad wrote it). Equal across processes and machines.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from datasketch import MinHash

#: MinHash: NUM_BANDS bands of ROWS_PER_BAND hashes. Two texts share a band with probability
#: 1 - (1 - J**4)**16 for word-shingle Jaccard J: 0.95 at J=0.64, 0.5 at 0.42, 0.0016 at 0.1.
#: Reposts of a template with a changed phone, salary or city stay well above 0.6.
NUM_BANDS = 16
ROWS_PER_BAND = 4
SHINGLE = 4
#: datasketch MinHash parameters. The seed fixes the permutations, and the shingle hash is
#: zlib's CRC-32 (deterministic, C speed; datasketch's "affine32" scheme pre-mixes it with
#: the MurmurHash3 finalizer), so keys are equal across processes and machines (the Dask
#: path compares keys made on different workers). Never Python's salted ``hash()``.
NUM_PERM = NUM_BANDS * ROWS_PER_BAND
MINHASH_SEED = 20240605
_BASE = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=zlib.crc32, scheme="affine32")
_MIX = np.uint64(0x9E3779B97F4A7C15)
#: Only the first this many characters are compared (reposts share their beginnings).
MAX_CHARS = 5000
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\b\d+\b")
#: Texts shorter than this many words are not linked by text (too little to compare).
MIN_WORDS = 8


def shingles(text: str) -> list[bytes] | None:
    """The text's distinct 4-word shingles, UTF-8 (None if fewer than MIN_WORDS words).

    Lower-cased, numbers folded to ``0`` (phone, salary and dates vary between reposts).
    """
    words = _WORD.findall(_NUMBER.sub("0", text[:MAX_CHARS].lower()))
    if len(words) < MIN_WORDS:
        return None
    grams = set(map(" ".join, zip(*(words[j:] for j in range(SHINGLE)), strict=False)))
    return [g.encode("utf-8") for g in grams]


def band_keys(text: str) -> np.ndarray | None:
    """NUM_BANDS 64-bit keys of the text's MinHash signature (None if too short).

    Key ``b`` of two texts is equal when their signatures agree on all ROWS_PER_BAND
    values of band ``b``. Deterministic: equal in every process.
    """
    grams = shingles(text)
    if grams is None:
        return None
    m = _BASE.copy()
    m.update_batch(grams)
    return _band(m.hashvalues)


def _band(hashvalues: np.ndarray) -> np.ndarray:
    # Four 32-bit values -> two 64-bit words -> one 64-bit key (explicit, endian-free).
    h = hashvalues.astype(np.uint64).reshape(NUM_BANDS, 2, 2)
    words = (h[:, :, 0] << np.uint64(32)) | h[:, :, 1]
    return (words[:, 0] * _MIX + words[:, 1]).view(np.int64)


def band_matrix(texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """Band keys of many texts: an ``(n, NUM_BANDS)`` int64 matrix and a has-keys mask."""
    rows = [band_keys(t) for t in texts]
    ok = np.fromiter((r is not None for r in rows), dtype=bool, count=len(rows))
    keys = np.zeros((len(rows), NUM_BANDS), dtype=np.int64)
    if ok.any():
        keys[ok] = np.stack([r for r in rows if r is not None])
    return keys, ok


#: Contact kinds that are one telephone number however the ad wrote it ("WA 0812…",
#: "call +62 812…", "wa.me/62812…" are the same person).
_NUMBER_KINDS = ("whatsapp:", "phone:")


def link_key(identifier: str) -> str:
    """The key an identifier links ads by: ``whatsapp:+62…`` and ``phone:+62…`` are one
    number (``phone:+62…``); every other identifier is its own key."""
    for kind in _NUMBER_KINDS:
        if identifier.startswith(kind) and identifier[len(kind) : len(kind) + 1] == "+":
            return "phone:" + identifier[len(kind) :]
    return identifier


def contact_ids(cell: Any) -> list[str]:
    """The identifiers (``kind:value``, e.g. ``whatsapp:+6281234567890``) of one row's
    ``contacts`` cell, in order, each once.

    The cell is what a scan or ``Detector.score_frame`` writes: JSON text of a list of
    contacts (``Contact.to_dict()``), that list itself (JSONL read back) or a list of
    identifiers. The older
    ``kind:value;kind:value`` text is still read, so earlier outputs can be clustered.
    """
    if isinstance(cell, str):
        s = cell.strip()
        if not s:
            return []
        if s[0] != "[":
            return list(dict.fromkeys(x for x in s.split(";") if x))
        try:
            cell = json.loads(s)
        except ValueError:
            return []
    if not isinstance(cell, (list, tuple)):
        return []
    out = (
        c if isinstance(c, str) else f"{c['kind']}:{c['value']}"
        for c in cell
        if (isinstance(c, str) and c)
        or (isinstance(c, Mapping) and c.get("kind") and c.get("value"))
    )
    return list(dict.fromkeys(out))
