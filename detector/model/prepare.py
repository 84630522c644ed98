"""Preparing ad text for the word TF-IDF: contacts as placeholder tokens (from the text layer),
numbers folded, NFKC, lower case; then tokens and word n-grams, over a whole chunk with
Arrow's string kernels or, for a few ads, in Python with precompiled RE2 (same output).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import re2

from ..text.extract import contact_placeholders
from ..text.patterns import Pattern, match_spans, search

# lexical_text's steps as (RE2 pattern, replacement), after the text layer has replaced the
# contacts it finds by placeholder tokens (contact_placeholders: the same contacts the rules
# and the network keys see). "Rp 15.000.000" is money: thousands separators become commas
# (twice: a match consumes the digit the next group needs) before digits are folded.
_LEXICAL_STEPS: tuple[tuple[str, str], ...] = (
    # EMSCAD replaced contacts by tokens such as #URL_0a1b...#; pasted ads carry real ones.
    (r"#(URL|EMAIL|PHONE)_[0-9a-fA-F]+#", r" \1token "),
    (r"(\d)\.(\d{3})", r"\1,\2"),
    (r"(\d)\.(\d{3})", r"\1,\2"),
    (r"[1-9]", "0"),
    # A bare number ("000" of "£28,000", a year, a store number) says where or when an ad was
    # posted, not how it recruits; digits inside a token ("00jt", "00k") stay.
    (r"\b0+\b", " "),
)
#: A batch's n-grams: an Arrow array, or for a few ads a Python list (see ``few_ngrams``).
Grams = pa.Array | list[str]
#: Separators between tokens: anything but a letter, a digit or an underscore.
_NON_WORD = r"[^\p{L}\p{N}_]+"
SPACE = pa.scalar(" ", pa.large_string())
#: Up to this many bytes of text in a batch, tokens are found with a precompiled RE2 (see
#: ``_few_tokens``).
SMALL_BATCH_BYTES = 60_000
#: Up to this many n-grams in a batch, vocabulary lookups use Python dicts (see
#: ``LexicalFeatures.transform``).
SMALL_BATCH_NGRAMS = 20_000


def strings(texts: Sequence[str] | pd.Series | pa.Array) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if isinstance(texts, pa.Array):
        return texts.cast(pa.large_string())
    if isinstance(texts, pd.Series):
        texts = texts.tolist()
    return pa.array(
        [t if isinstance(t, str) else "" for t in texts], type=pa.large_string(), from_pandas=True
    )


def _nfkc(a: pa.Array) -> pa.Array:
    """NFKC of each string. ASCII strings are already NFKC; the others go through Python's
    ``unicodedata``, which is 3-4x faster than Arrow's utf8proc kernel on ads."""
    other = pc.invert(pc.string_is_ascii(a))
    idx = np.flatnonzero(other.to_numpy(zero_copy_only=False))
    if idx.size == 0:
        return a
    fixed = [unicodedata.normalize("NFKC", t) for t in pc.take(a, pa.array(idx)).to_pylist()]
    return pc.replace_with_mask(a, other, pa.array(fixed, type=a.type))


@lru_cache(maxsize=1)
def _compiled_steps() -> tuple[tuple[Pattern, tuple[bytes | int, ...]], ...]:
    """``_LEXICAL_STEPS`` precompiled, each replacement split into literal bytes and group
    numbers (``\\1``)."""
    out = []
    for pattern, replacement in _LEXICAL_STEPS:
        parts: list[bytes | int] = []
        for k, piece in enumerate(_split_rewrite(replacement)):
            if k % 2:
                parts.append(int(piece))
            elif piece:
                parts.append(piece.encode("utf-8"))
        out.append((re2.compile(pattern), tuple(parts)))
    return tuple(out)


def _split_rewrite(replacement: str) -> list[str]:
    """``" \\1token "`` -> ``[" ", "1", "token "]``: literals at even, group numbers at odd
    positions (the ``\\N`` rewrite syntax Arrow's ``replace_substring_regex`` takes)."""
    out = [""]
    i = 0
    while i < len(replacement):
        ch = replacement[i]
        if ch == "\\" and i + 1 < len(replacement) and replacement[i + 1].isdigit():
            out += [replacement[i + 1], ""]
            i += 2
            continue
        if ch == "\\" and i + 1 < len(replacement) and replacement[i + 1] == "\\":
            ch, i = "\\", i + 1
        out[-1] += ch
        i += 1
    return out


def _replace_all(regex: Pattern, parts: tuple[bytes | int, ...], data: bytes) -> bytes:
    """RE2 global replace (what Arrow's ``replace_substring_regex`` does) with a precompiled
    regex; the step patterns never match the empty string."""
    out: list[bytes] = []
    pos = 0
    for m in regex.finditer(data):
        s, e = m.span()
        out.append(data[pos:s])
        for part in parts:
            if isinstance(part, int):
                gs, ge = m.span(part)
                if gs >= 0:
                    out.append(data[gs:ge])
            else:
                out.append(part)
        pos = e
    if not out:
        return data
    out.append(data[pos:])
    return b"".join(out)


def _lower(text: str) -> str:
    # Arrow's utf8_lower is a per-character mapping; str.lower() differs on a few non-ASCII
    # characters ("İ" -> "i̇"), never on ASCII.
    return text.lower() if text.isascii() else pc.utf8_lower(pa.array([text]))[0].as_py()


def _lexical_few(texts: list[str | None]) -> list[str | None]:
    """:func:`lexical_array` for a few ads, with precompiled RE2 regexes: Arrow compiles each
    pattern on every call (the Unicode classes take milliseconds), more than a pasted ad
    costs to score. Same steps, same output."""
    steps = _compiled_steps()
    out: list[str | None] = []
    for text in texts:
        if text is None:
            out.append(None)
            continue
        text = contact_placeholders(text) if text else text
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        data = text.encode("utf-8")
        for regex, parts in steps[:-2]:
            data = _replace_all(regex, parts, data)
        data = _lower(data.decode("utf-8")).encode("utf-8")
        for regex, parts in steps[-2:]:
            data = _replace_all(regex, parts, data)
        out.append(data.decode("utf-8"))
    return out


def lexical_array(texts: Sequence[str] | pd.Series | pa.Array) -> pa.Array:
    """Prepare a batch of texts for the word TF-IDF (see :func:`lexical_text`)."""
    a = strings(texts)
    if len(a) == 0 or pc.sum(pc.binary_length(a)).as_py() <= SMALL_BATCH_BYTES:
        return pa.array(_lexical_few(a.to_pylist()), type=pa.large_string())
    a = pa.array([contact_placeholders(t) if t else t for t in a.to_pylist()], type=a.type)
    a = _nfkc(a)
    for pattern, replacement in _LEXICAL_STEPS[:-2]:
        a = pc.replace_substring_regex(a, pattern, replacement)
    a = pc.utf8_lower(a)
    for pattern, replacement in _LEXICAL_STEPS[-2:]:
        a = pc.replace_substring_regex(a, pattern, replacement)
    return a


def lexical_text(text: str) -> str:
    """One text prepared for the word TF-IDF: NFKC, contacts as placeholder tokens
    (``urltoken``, ``emailtoken``, ``phonetoken``), digits 1-9 folded to 0, bare numbers
    dropped, lower case."""
    return lexical_array([text])[0].as_py()


@dataclass(frozen=True)
class Ngrams:
    """The n-grams of a batch of documents: ``codes[k]`` is the k-th n-gram's index into
    ``terms`` and ``doc[k]`` the document it comes from."""

    doc: np.ndarray
    codes: np.ndarray
    terms: pa.Array
    n_docs: int


@lru_cache(maxsize=1)
def _token_regex() -> Pattern:
    return re2.compile(r"[\p{L}\p{N}_]{2,}")  # a maximal run of 2+ word characters


@lru_cache(maxsize=1)
def _word_char() -> Pattern:
    return re2.compile(r"[\p{L}\p{N}_]")


#: Python's ``\w`` (letters, digits, numerics, underscore) and RE2's ``[\p{L}\p{N}_]`` agree on
#: ASCII and on nearly every other character; each non-ASCII character met is checked once.
_PY_TOKEN = re.compile(r"\w{2,}")
_PY_WORD = re.compile(r"\w")
_SAME_WORD_CHAR: dict[str, bool] = {}


def _python_agrees(text: str) -> bool:
    r"""Whether Python's ``\w`` classifies every character of ``text`` as RE2's token class
    does (then Python's ``re`` finds exactly the RE2 tokens, much faster from Python)."""
    if text.isascii():
        return True
    known = _SAME_WORD_CHAR
    for ch in set(text):
        ok = known.get(ch)
        if ok is None:
            in_re2 = search(_word_char(), ch.encode("utf-8")) is not None
            ok = known[ch] = in_re2 == (_PY_WORD.fullmatch(ch) is not None)
        if not ok:
            return False
    return True


def _few_tokens(prepared: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """:func:`tokens` for a few ads, without Arrow's regex kernels: Arrow compiles its pattern
    on every call, and the Unicode classes take 2-3 ms to compile, more than a pasted ad costs
    to score. Python's ``re`` finds the tokens where it provably agrees with RE2 (see
    :func:`_python_agrees`), the precompiled RE2 elsewhere."""
    out, counts = _few_token_lists(prepared.to_pylist())
    doc = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    return pa.array(out, type=pa.large_string()), doc


def _few_token_lists(prepared: Sequence[str | None]) -> tuple[list[str], list[int]]:
    """The tokens of a few prepared texts, flattened, and how many each text has."""
    regex = _token_regex()
    out: list[str] = []
    counts: list[int] = []
    for text in prepared:
        if not text:
            counts.append(0)
            continue
        if _python_agrees(text):
            found = _PY_TOKEN.findall(text)
        else:
            data = text.encode("utf-8")
            found = [data[s:e].decode("utf-8") for s, e in match_spans(regex, data)]
        out.extend(found)
        counts.append(len(found))
    return out, counts


def few_ngrams(
    texts: Sequence[str | None], ngram_range: tuple[int, int] = (1, 2)
) -> tuple[list[str], np.ndarray]:
    """:func:`raw_ngrams` of :func:`tokens` of :func:`lexical_array` for a few raw texts, in
    plain Python (no Arrow call: each costs more than the work for one ad). Same n-grams in
    the same order: every unigram, then every bigram."""
    lo, hi = ngram_range
    if not 1 <= lo <= hi <= 2:
        raise ValueError(f"ngram_range must be within (1, 2), got {ngram_range}")
    tok, counts = _few_token_lists(_lexical_few(list(texts)))
    doc = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    grams: list[str] = list(tok) if lo == 1 else []
    docs = [doc] if lo == 1 else []
    if hi == 2:
        start = 0
        for d, k in enumerate(counts):
            own = tok[start : start + k]
            grams.extend([f"{a} {b}" for a, b in zip(own[:-1], own[1:], strict=True)])
            docs.append(np.full(max(k - 1, 0), d, dtype=np.int64))
            start += k
    rows = np.concatenate(docs) if docs else np.zeros(0, np.int64)
    return grams, rows


def tokens(prepared: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Every token of a batch, flattened, and the index of the document each comes from."""
    if len(prepared) == 0 or pc.sum(pc.binary_length(prepared)).as_py() <= SMALL_BATCH_BYTES:
        return _few_tokens(prepared)
    lists = pc.split_pattern_regex(prepared, _NON_WORD)
    flat = pc.list_flatten(lists)
    parent = pc.list_parent_indices(lists)
    keep = pc.greater_equal(pc.utf8_length(flat), 2)
    return pc.filter(flat, keep), pc.filter(parent, keep).to_numpy()


def raw_ngrams(
    tok: pa.Array, doc: np.ndarray, ngram_range: tuple[int, int] = (1, 2)
) -> tuple[pa.Array, np.ndarray]:
    """Uni- and/or bigrams of flattened tokens (from :func:`tokens`) and the document of each."""
    lo, hi = ngram_range
    if not 1 <= lo <= hi <= 2:
        raise ValueError(f"ngram_range must be within (1, 2), got {ngram_range}")
    parts: list[pa.Array] = []
    docs: list[np.ndarray] = []
    if lo == 1:
        parts.append(tok)
        docs.append(doc)
    if hi == 2 and len(tok) > 1:
        same = np.flatnonzero(doc[1:] == doc[:-1])
        left = pc.take(tok, pa.array(same))
        right = pc.take(tok, pa.array(same + 1))
        parts.append(pc.binary_join_element_wise(left, right, SPACE))
        docs.append(doc[same])
    if not parts:
        return pa.array([], type=pa.large_string()), np.zeros(0, np.int64)
    grams = pa.concat_arrays([p.cast(pa.large_string()) for p in parts])
    return grams, np.concatenate(docs).astype(np.int64, copy=False)


def ngrams(
    tok: pa.Array, doc: np.ndarray, n_docs: int, ngram_range: tuple[int, int] = (1, 2)
) -> Ngrams:
    """Uni- and/or bigrams of flattened tokens (from :func:`tokens` or a slice of it)."""
    grams, docs = raw_ngrams(tok, doc, ngram_range)
    return encoded(grams, docs, n_docs)


def encoded(grams: pa.Array, docs: np.ndarray, n_docs: int) -> Ngrams:
    enc = pc.dictionary_encode(grams)
    return Ngrams(
        doc=docs,
        codes=enc.indices.to_numpy().astype(np.int64, copy=False),
        terms=enc.dictionary,
        n_docs=n_docs,
    )
