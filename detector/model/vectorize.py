"""Word n-gram TF-IDF over whole batches of ads, with Arrow's string kernels.

scikit-learn's ``TfidfVectorizer`` tokenizes, builds n-grams and looks each one up in
Python, one document at a time: about 1 ms per ad for uni+bigrams of a 2,700-character ad,
more than the rest of the scoring put together. Here the same steps run as a handful of
vectorised Arrow kernels over a whole batch (RE2 regex replace and split, element-wise join
for bigrams, dictionary encoding), and Python only touches each *distinct* n-gram of the
batch once. The weighting is scikit-learn's own ``TfidfTransformer``.

Tokens are what ``TfidfVectorizer``'s default pattern ``(?u)\\b\\w\\w+\\b`` finds: maximal
runs of letters, digits and underscores, at least two characters long; bigrams join
consecutive tokens of one document with a space. Training and scoring both go through this
module, so the model always sees text prepared the same way.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import re2
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.utils.validation import check_is_fitted

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
_SPACE = pa.scalar(" ", pa.large_string())
#: Up to this many bytes of text in a batch, tokens are found with a precompiled RE2 (see
#: ``_few_tokens``).
SMALL_BATCH_BYTES = 60_000
#: Up to this many n-grams in a batch, vocabulary lookups use Python dicts (see
#: ``LexicalFeatures.transform``).
SMALL_BATCH_NGRAMS = 20_000


def _strings(texts: Sequence[str] | pd.Series | pa.Array) -> pa.Array:
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
    a = _strings(texts)
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
        parts.append(pc.binary_join_element_wise(left, right, _SPACE))
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
    return _encoded(grams, docs, n_docs)


def _encoded(grams: pa.Array, docs: np.ndarray, n_docs: int) -> Ngrams:
    enc = pc.dictionary_encode(grams)
    return Ngrams(
        doc=docs,
        codes=enc.indices.to_numpy().astype(np.int64, copy=False),
        terms=enc.dictionary,
        n_docs=n_docs,
    )


class NgramTfidf(BaseEstimator, TransformerMixin):
    """Word n-gram TF-IDF of already-prepared text (``lexical_array`` output).

    The drop-in for ``TfidfVectorizer(lowercase=False, ngram_range, min_df, sublinear_tf)``
    used by the model; ``transform`` takes strings, ``transform_ngrams`` n-grams already
    made by :func:`ngrams` (how :class:`LexicalFeatures` uses it).

    Parameters
    ----------
    ngram_range : (int, int)
        Smallest and largest n-gram (1 or 2).
    min_df : int
        Keep n-grams found in at least this many training documents.
    sublinear_tf : bool
        Use ``1 + log(count)`` instead of the count.
    dtype : numpy dtype
        Of the output matrix.
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        sublinear_tf: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.dtype = dtype

    def _ngrams(self, X: Any) -> Ngrams:
        a = _strings(X)
        tok, doc = tokens(a)
        return ngrams(tok, doc, len(a), tuple(self.ngram_range))

    def fit(self, X: Any, y: Any = None) -> NgramTfidf:
        return self.fit_ngrams(self._ngrams(X))

    def fit_transform(self, X: Any, y: Any = None) -> sparse.csr_matrix:
        ng = self._ngrams(X)
        return self.fit_ngrams(ng).transform_ngrams(ng)

    def fit_ngrams(self, ng: Ngrams) -> NgramTfidf:
        # Document frequency of each distinct n-gram: count each (document, n-gram) pair once.
        n_terms = max(len(ng.terms), 1)
        pairs = np.unique(ng.doc * n_terms + ng.codes)
        df = np.bincount(pairs % n_terms, minlength=len(ng.terms))
        kept = pc.filter(ng.terms, pa.array(df >= self.min_df))
        if len(kept) == 0:
            raise ValueError("no n-gram occurs in min_df documents: nothing to learn from")
        kept = pc.take(kept, pc.array_sort_indices(kept))  # alphabetical, as scikit-learn
        self.vocabulary_ = {t: i for i, t in enumerate(kept.to_pylist())}
        self._terms = kept
        counts = self._count_matrix(ng.doc, self._ids(ng), ng.n_docs)
        # scikit-learn's idf (smooth: ln((1 + n) / (1 + df)) + 1), kept as a plain array so
        # that scoring needs no scikit-learn object.
        tfidf = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(counts)
        self.idf_ = np.asarray(tfidf.idf_, dtype=np.float64)
        return self

    def transform(self, X: Any) -> sparse.csr_matrix:
        check_is_fitted(self, "vocabulary_")
        return self.transform_ngrams(self._ngrams(X))

    def transform_ngrams(self, ng: Ngrams) -> sparse.csr_matrix:
        check_is_fitted(self, "vocabulary_")
        return self.transform_ids(ng.doc, self._ids(ng), ng.n_docs)

    def _ids(self, ng: Ngrams) -> np.ndarray:
        """Each n-gram's vocabulary id (-1: not in it), looking up each distinct one once."""
        lookup = pc.index_in(ng.terms, value_set=self._vocabulary_array())
        return pc.fill_null(lookup, -1).to_numpy().astype(np.int64)[ng.codes]

    def _count_matrix(self, doc: np.ndarray, ids: np.ndarray, n_docs: int) -> sparse.csr_matrix:
        """Term counts per document from each n-gram's vocabulary id (-1: not in it)."""
        keep = ids >= 0
        m = sparse.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float64), (doc[keep], ids[keep])),
            shape=(n_docs, len(self.vocabulary_)),
        )
        m.sum_duplicates()
        return m

    def _count_parts(
        self, doc: np.ndarray, ids: np.ndarray, n_docs: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The CSR arrays (counts, columns, row pointers) of the term counts, from one sort of
        (document, term) keys: 40% less time than scipy's COO -> CSR -> sum_duplicates on a
        chunk, and much less on one ad. Same counts, rows and column order."""
        keep = ids >= 0
        width = len(self.vocabulary_)
        keys, counts = np.unique(doc[keep] * width + ids[keep], return_counts=True)
        rows = keys // width
        indptr = np.searchsorted(rows, np.arange(n_docs + 1), side="left")
        return counts.astype(np.float64), (keys % width).astype(np.int32), indptr

    def _weigh(
        self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n_docs: int
    ) -> sparse.csr_matrix:
        """What ``TfidfTransformer.transform(counts)`` computes (sublinear tf, idf, L2 rows),
        as plain arithmetic: no input validation, which costs more than the arithmetic for
        one ad, and no dependence on scikit-learn's version."""
        data = data.astype(np.float64)
        if self.sublinear_tf:
            data = np.log(data) + 1.0
        data *= self.idf_[indices]
        rows = np.repeat(np.arange(n_docs), np.diff(indptr))
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_docs))
        data /= np.where(norms > 0, norms, 1.0)[rows]
        return sparse.csr_matrix(
            (data.astype(self.dtype), indices, indptr), shape=(n_docs, len(self.vocabulary_))
        )

    def transform_ids(self, doc: np.ndarray, ids: np.ndarray, n_docs: int) -> sparse.csr_matrix:
        """TF-IDF from each n-gram's document and vocabulary id (-1: not in the vocabulary)."""
        check_is_fitted(self, "vocabulary_")
        if n_docs == 0:
            return sparse.csr_matrix((0, len(self.vocabulary_)), dtype=self.dtype)
        return self._weigh(*self._count_parts(doc, ids, n_docs), n_docs)

    def __getstate__(self) -> dict[str, Any]:
        # The Arrow copy of the vocabulary is rebuilt on first use: the pickle then holds only
        # what scikit-learn's own estimators hold (dicts and numpy arrays).
        state = super().__getstate__()
        state.pop("_terms", None)
        return state

    @classmethod
    def from_parts(cls, terms: pa.Array, idf: np.ndarray, **params: Any) -> NgramTfidf:
        """A fitted vectorizer from its vocabulary (terms in column order) and idf: how a
        saved model is rebuilt without unpickling anything."""
        v = cls(**params)
        v._terms = terms.cast(pa.large_string())
        v.vocabulary_ = dict(zip(v._terms.to_pylist(), range(len(v._terms)), strict=True))
        v.idf_ = np.asarray(idf, dtype=np.float64)
        if len(v.vocabulary_) != len(v.idf_):
            raise ValueError("vocabulary and idf differ in length")
        return v

    def terms(self) -> pa.Array:
        """The vocabulary in column order."""
        return self._vocabulary_array()

    def _vocabulary_array(self) -> pa.Array:
        terms = getattr(self, "_terms", None)
        if terms is None:  # e.g. a vocabulary set by hand
            terms = pa.array(list(self.get_feature_names_out()), type=pa.large_string())
            self._terms = terms
        return terms

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        names = np.empty(len(self.vocabulary_), dtype=object)
        for t, i in self.vocabulary_.items():
            names[i] = t
        return names


def _column(X: Any, name: str, n: int) -> list[Any]:
    """Column ``name`` of a DataFrame or a mapping of columns ('' for each row if absent)."""
    if name in X:
        col = X[name]
        return col.tolist() if isinstance(col, pd.Series) else list(col)
    return [""] * n


def _n_rows(X: Any) -> int:
    if isinstance(X, pd.DataFrame):
        return len(X)
    return max((len(v) for v in X.values()), default=0)


class LexicalFeatures(BaseEstimator, TransformerMixin):
    """The lexical model's TF-IDF blocks: the whole ad, then each of ``fields`` on its own.

    Input: a DataFrame (or a mapping of columns) with ``text`` when ``parts`` is empty
    (a pasted ad), else the raw text of each field in ``parts``. In fields mode the whole
    ad is the fields joined in ``parts`` order, each prefixed by its label as in
    :func:`detector.schema.join_fields`. Every field of a batch is prepared and tokenized
    once: the whole-ad n-grams are the fields' n-grams plus the bigrams that span two
    fields, so nothing is tokenized twice.

    Parameters
    ----------
    parts : sequence of str
        The fields making up an ad, in joining order (empty: a ``text`` column).
    fields : sequence of str
        The fields (among ``parts``) that also get a TF-IDF block of their own.
    labels : mapping
        Label written before a field's value in the joined ad (e.g. ``Salary:``).
    ngram_range, min_df, sublinear_tf, dtype
        As in :class:`NgramTfidf`, for every block.
    """

    def __init__(
        self,
        parts: Sequence[str] = (),
        fields: Sequence[str] = (),
        labels: dict[str, str] | None = None,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        sublinear_tf: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        self.parts = parts
        self.fields = fields
        self.labels = labels
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.dtype = dtype

    def _block_names(self) -> list[str]:
        return ["text", *self.fields]

    def _grams(self, X: Any) -> tuple[Grams, np.ndarray, list[np.ndarray | None], int]:
        """Every n-gram of the batch, the row it comes from, and for each block (the whole
        ad, then each field) the positions of its n-grams (None: all of them)."""
        n = _n_rows(X)
        rng = tuple(self.ngram_range)
        if not self.parts:
            a = _strings(_column(X, "text", n))
            if n and pc.sum(pc.binary_length(a)).as_py() <= SMALL_BATCH_BYTES:
                few, rows = few_ngrams(a.to_pylist(), rng)  # a pasted ad: a Python list
                return few, rows, [None], n
            tok, doc = tokens(lexical_array(a))
            grams, rows = raw_ngrams(tok, doc, rng)
            return grams, rows, [None], n
        missing = [f for f in self.fields if f not in self.parts]
        if missing:
            raise ValueError(f"fields {missing} are not among the parts {list(self.parts)}")
        labels = self.labels or {}
        width = len(self.parts)
        columns = []
        for name in self.parts:
            v = pc.utf8_trim_whitespace(_strings(_column(X, name, n)))
            label = labels.get(name, "")
            if label:  # "Salary: 1000-1500", as join_fields writes it; nothing if empty
                labelled = pc.binary_join_element_wise(
                    pa.scalar(label, pa.large_string()), v, _SPACE
                )
                v = pc.if_else(pc.equal(pc.utf8_length(v), 0), v, labelled)
            columns.append(v)
        # Row-major (ad by ad, each ad's fields in order), so an ad's tokens are contiguous.
        order = np.arange(n * width).reshape(width, n).T.ravel()
        cells = pc.take(pa.concat_arrays(columns), pa.array(order))
        tok, cell = tokens(lexical_array(cells))
        grams, cell_of = raw_ngrams(tok, cell, rng)  # n-grams within one cell...
        rows = cell_of // width
        if rng[1] == 2 and len(tok) > 1:  # ... and bigrams spanning two fields of an ad
            row = cell // width
            cross = np.flatnonzero((row[1:] == row[:-1]) & (cell[1:] != cell[:-1]))
            left = pc.take(tok, pa.array(cross))
            right = pc.take(tok, pa.array(cross + 1))
            grams = pa.concat_arrays(
                [grams, pc.binary_join_element_wise(left, right, _SPACE).cast(grams.type)]
            )
            rows = np.concatenate([rows, row[cross]])
        field = cell_of % width  # positions past len(cell_of) are cross-field bigrams
        sels: list[np.ndarray | None] = [None]
        for name in self.fields:
            sels.append(np.flatnonzero(field == list(self.parts).index(name)))
        return grams, rows, sels, n

    def _vectorizer(self) -> NgramTfidf:
        return NgramTfidf(
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            sublinear_tf=self.sublinear_tf,
            dtype=self.dtype,
        )

    def fit(self, X: Any, y: Any = None) -> LexicalFeatures:
        grams, rows, sels, n = self._grams(X)
        if isinstance(grams, list):
            grams = pa.array(grams, type=pa.large_string())
        enc = _encoded(grams, rows, n)
        self.vectorizers_ = [
            self._vectorizer().fit_ngrams(
                enc if sel is None else Ngrams(enc.doc[sel], enc.codes[sel], enc.terms, n)
            )
            for sel in sels
        ]
        self.__dict__.pop("_union", None)
        return self

    def transform(self, X: Any) -> sparse.csr_matrix:
        check_is_fitted(self, "vectorizers_")
        return self.transform_grams(self._grams(X))

    def grams(self, X: Any) -> tuple[Grams, np.ndarray, list[np.ndarray | None], int]:
        """The n-grams of a batch, ready for :meth:`transform_grams`: blocks of the same
        ``parts`` and ``ngram_range`` can share them (one tokenization for several models)."""
        return self._grams(X)

    def transform_grams(
        self, prepared: tuple[Grams, np.ndarray, list[np.ndarray | None], int]
    ) -> sparse.csr_matrix:
        """:meth:`transform` from the output of :meth:`grams`."""
        check_is_fitted(self, "vectorizers_")
        grams, rows, sels, n = prepared
        mats = []
        if len(grams) <= SMALL_BATCH_NGRAMS:
            # A few ads (one pasted ad: ~1,000 n-grams): Python dict lookups cost less than
            # building Arrow's hash table of the vocabulary (~200,000 terms) for them.
            terms = grams if isinstance(grams, list) else grams.to_pylist()
            for v, sel in zip(self.vectorizers_, sels, strict=True):
                sub = terms if sel is None else [terms[i] for i in sel.tolist()]
                # get(term, -1) mapped in C, not in a Python generator.
                found = map(v.vocabulary_.get, sub, itertools.repeat(-1))
                ids = np.fromiter(found, dtype=np.int64, count=len(sub))
                mats.append(v.transform_ids(rows if sel is None else rows[sel], ids, n))
            return mats[0] if len(mats) == 1 else sparse.hstack(mats, format="csr")
        # A chunk: one hash lookup per n-gram in the union of the blocks' vocabularies, then
        # each block maps union ids to its own columns with a numpy take.
        if isinstance(grams, list):
            grams = pa.array(grams, type=pa.large_string())
        union, maps = self._union_vocabulary()
        gid = pc.fill_null(pc.index_in(grams, value_set=union), -1).to_numpy()
        for v, sel, to_block in zip(self.vectorizers_, sels, maps, strict=True):
            g = gid if sel is None else gid[sel]
            r = rows if sel is None else rows[sel]
            mats.append(v.transform_ids(r, to_block[g], n))
        return mats[0] if len(mats) == 1 else sparse.hstack(mats, format="csr")

    def _union_vocabulary(self) -> tuple[pa.Array, list[np.ndarray]]:
        cached = self.__dict__.get("_union")
        if cached is None:
            terms = [v._vocabulary_array() for v in self.vectorizers_]
            union = pc.unique(pa.concat_arrays(terms))
            maps = []
            for t in terms:
                # Index -1 (not in the union) must map to -1: one spare slot at the end.
                m = np.full(len(union) + 1, -1, dtype=np.int64)
                m[pc.index_in(t, value_set=union).to_numpy()] = np.arange(len(t))
                maps.append(m)
            cached = self._union = (union, maps)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_union", None)  # rebuilt on first use
        return state

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "vectorizers_")
        names = [
            f"{block}__{t}"
            for block, v in zip(self._block_names(), self.vectorizers_, strict=True)
            for t in v.get_feature_names_out()
        ]
        return np.asarray(names, dtype=object)
