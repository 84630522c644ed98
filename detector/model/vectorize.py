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
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.utils.validation import check_is_fitted

from . import prepare
from .prepare import (
    SPACE,
    Grams,
    Ngrams,
    encoded,
    few_ngrams,
    lexical_array,
    ngrams,
    raw_ngrams,
    strings,
    tokens,
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
        a = strings(X)
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
            a = strings(_column(X, "text", n))
            if n and pc.sum(pc.binary_length(a)).as_py() <= prepare.SMALL_BATCH_BYTES:
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
            v = pc.utf8_trim_whitespace(strings(_column(X, name, n)))
            label = labels.get(name, "")
            if label:  # "Salary: 1000-1500", as join_fields writes it; nothing if empty
                labelled = pc.binary_join_element_wise(
                    pa.scalar(label, pa.large_string()), v, SPACE
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
                [grams, pc.binary_join_element_wise(left, right, SPACE).cast(grams.type)]
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
        enc = encoded(grams, rows, n)
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
        if len(grams) <= prepare.SMALL_BATCH_NGRAMS:
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
