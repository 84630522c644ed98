"""Building and fitting the classifier: lexical SVMs, indicator features, calibration, thresholds.

The fitted :class:`JobScamModel` holds three scikit-learn parts:

* ``paste_``: word TF-IDF (uni+bigrams) of the whole ad -> linear SVM. What a pasted ad gets.
* ``fields_``: the same plus one TF-IDF per labelled text field -> linear SVM. Used when the
  ad arrives as fields (title, company_profile, ...), e.g. rows of a scraped board.
* ``combiner_paste_`` / ``combiner_fields_``: a logistic regression over the SVM's
  out-of-fold score and the language-independent indicator features, fitted with weights that
  restore the natural scam rate, so its output is a calibrated probability at that rate.
* ``indicator_``: a logistic regression on the indicator features alone, for text the
  lexical model cannot read (not English).

Thresholds for the risk bands are chosen on out-of-fold predictions of the training data
(grouped by template), never on test data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from .dataset import natural_weights
from .features import IndicatorFeatures
from .schema import FIELD_LABELS, TEXT_FIELDS, join_fields
from .vectorize import LexicalFeatures, NgramTfidf, lexical_array

#: Fields that get a TF-IDF of their own in fields mode.
PER_FIELD = ("title", "company_profile", "description", "requirements", "benefits")
#: Cosine similarity at or above which two ads are the same template.
TEMPLATE_SIMILARITY = 0.8
#: Recall the "medium" band must keep on validation.
MEDIUM_RECALL = 0.95
#: Changes when a model saved by an older jobscam can no longer be scored by this one
#: (2: n-gram TF-IDF computed with Arrow kernels, ``detector.vectorize``).
MODEL_FORMAT = 2


def frame_texts(frame: pd.DataFrame) -> list[str]:
    """The joined text of each row: a ``text`` column if present, else the text fields."""
    if "text" in frame.columns:
        return [t if isinstance(t, str) else "" for t in frame["text"].tolist()]
    cols = [c for c in TEXT_FIELDS if c in frame.columns]
    records = frame[cols].fillna("").astype(str).to_dict("records")
    return [join_fields({k: v.strip() for k, v in r.items() if v and v.strip()}) for r in records]


def template_groups(texts: Sequence[str], threshold: float = TEMPLATE_SIMILARITY) -> np.ndarray:
    """Group near-duplicate ads (same template): connected components of TF-IDF cosine ≥ threshold.

    Sparse products stay cheap here: each ad shares vocabulary with many others, but the
    product is computed in row blocks so memory stays bounded for large sets.
    """
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=int)
    vec = NgramTfidf(ngram_range=(1, 1), min_df=1, sublinear_tf=True, dtype=np.float32)
    X = vec.fit_transform(lexical_array(texts)).tocsr()
    rows, cols = [], []
    block = 2000
    XT = X.T.tocsc()
    for start in range(0, n, block):
        S = (X[start : start + block] @ XT).tocoo()
        keep = S.data >= threshold
        rows.append(S.row[keep] + start)
        cols.append(S.col[keep])
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    graph = sparse.coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels


def _logistic(model: LogisticRegression, Z: np.ndarray) -> np.ndarray:
    """P(class 1) of a fitted binary logistic regression (its predict_proba, unvalidated)."""
    z = Z @ model.coef_.ravel() + model.intercept_[0]
    return 1.0 / (1.0 + np.exp(-z))


class TwoLinearScores(BaseEstimator, ClassifierMixin):
    """Two linear views of the same TF-IDF matrix, returned as two decision columns.

    * a linear SVM on the TF-IDF values;
    * an NB-SVM (Wang & Manning 2012): a linear SVM on binary term presence scaled by each
      term's log-count ratio between the classes, which favours rarer, class-specific terms.

    Under the grouped protocol the two together rank better than either (PR-AUC 0.875 vs
    0.866 and 0.863 in our runs); the combiner learns how to weigh them. Learned state is
    plain arrays, so it persists.
    """

    def __init__(self, C: float = 1.0, nb_C: float = 0.005, nb_alpha: float = 1.0) -> None:
        self.C = C
        self.nb_C = nb_C
        self.nb_alpha = nb_alpha

    def fit(self, X: sparse.spmatrix, y: Sequence[int]) -> TwoLinearScores:
        y = np.asarray(y)
        X = sparse.csr_matrix(X)
        B = (X > 0).astype(np.float32)
        pos = self.nb_alpha + np.asarray(B[y == 1].sum(axis=0)).ravel()
        neg = self.nb_alpha + np.asarray(B[y == 0].sum(axis=0)).ravel()
        self.ratio_ = np.log((pos / pos.sum()) / (neg / neg.sum())).astype(np.float32)
        self.svm_ = LinearSVC(C=self.C).fit(X, y)
        self.nb_ = LinearSVC(C=self.nb_C).fit(B.multiply(self.ratio_).tocsr(), y)
        self.classes_ = self.svm_.classes_
        return self

    def decision_function(self, X: sparse.spmatrix) -> np.ndarray:
        # Plain sparse products (what LinearSVC.decision_function computes) without
        # scikit-learn's per-call input validation, which costs more than the product itself
        # for one ad; X always comes from our own fitted vectorizers.
        X = sparse.csr_matrix(X)
        B = X.copy()
        B.data = np.ones_like(B.data)
        svm = X @ self.svm_.coef_.ravel() + self.svm_.intercept_[0]
        nb = B @ (self.ratio_ * self.nb_.coef_.ravel()) + self.nb_.intercept_[0]
        return np.column_stack([svm, nb])

    def term_contributions(
        self, row: sparse.spmatrix, scales: Sequence[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Column indices of one row's terms and each term's share of
        ``scales[0] * svm_score + scales[1] * nb_score``."""
        row = sparse.csr_matrix(row)
        idx = row.indices
        svm_part = row.data * self.svm_.coef_.ravel()[idx] * scales[0]
        nb_part = self.ratio_[idx] * self.nb_.coef_.ravel()[idx] * scales[1]
        return idx, svm_part + nb_part


def build_lexical(mode: str, C: float = 1.0) -> Pipeline:
    """The lexical part for one mode: TF-IDF blocks -> two linear scores.

    Paste mode reads one ``text`` column; fields mode reads the text fields, and gets the
    whole ad (the fields joined as :func:`~detector.schema.join_fields` joins them) plus one
    block per field of ``PER_FIELD``.
    """
    if mode == "paste":
        feats = LexicalFeatures()
    elif mode == "fields":
        feats = LexicalFeatures(parts=TEXT_FIELDS, fields=PER_FIELD, labels=dict(FIELD_LABELS))
    else:
        raise ValueError(f"unknown mode {mode!r}")
    return Pipeline([("features", feats), ("svm", TwoLinearScores(C=C))])


def lexical_frame(frame: pd.DataFrame, texts: Sequence[str]) -> pd.DataFrame:
    """The columns the lexical pipelines read: ``text`` and each text field ('' if absent)."""
    out = pd.DataFrame({"text": list(texts)}, index=frame.index)
    for f in TEXT_FIELDS:
        out[f] = frame[f].fillna("").astype(str) if f in frame.columns else ""
    return out


META_FLAGS = ("has_company_logo", "has_questions", "telecommuting")


_YES = frozenset({"1", "1.0", "true", "t", "yes"})
_NO = frozenset({"0", "0.0", "false", "f", "no"})


def _field(row: Mapping[str, Any], col: str) -> str:
    v = row.get(col)
    if v is None or (isinstance(v, float) and v != v):  # None or NaN
        return ""
    return str(v)


def meta_flags(rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Metadata as +1 (yes) / -1 (no) / 0 (unknown), plus whether a company profile is given
    (+1 / -1; 0 when the input has no such field at all)."""
    out = np.zeros((len(rows), len(META_FLAGS) + 1))
    for i, r in enumerate(rows):
        for j, col in enumerate(META_FLAGS):
            v = _field(r, col).strip().lower()
            out[i, j] = 1.0 if v in _YES else -1.0 if v in _NO else 0.0
        if "company_profile" in r:
            out[i, -1] = 1.0 if _field(r, "company_profile").strip() else -1.0
    return out


@dataclass(frozen=True)
class Thresholds:
    high: float
    medium: float

    def risk(self, p: np.ndarray) -> np.ndarray:
        return np.where(p >= self.high, "high", np.where(p >= self.medium, "medium", "low"))

    def risk_of(self, p: float) -> str:
        """The band of one probability (what :meth:`risk` gives, without numpy's overhead)."""
        return "high" if p >= self.high else "medium" if p >= self.medium else "low"


def choose_thresholds(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> Thresholds:
    """High: the probability that maximises weighted scam F1. Medium: recall ≥ 0.95."""
    prec, rec, th = precision_recall_curve(y, p, sample_weight=w)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)
    best = int(np.argmax(f1[:-1]))
    high = float(th[best])
    ok = np.flatnonzero(rec[:-1] >= MEDIUM_RECALL)
    medium = float(th[ok.max()]) if ok.size else float(th[0])
    return Thresholds(high=high, medium=min(medium, high))


class JobScamModel(BaseEstimator, ClassifierMixin):
    """The whole classifier. ``fit(frame, y)`` on labelled rows; ``predict_proba`` per mode.

    Parameters
    ----------
    C : float
        Regularisation of the linear SVMs.
    n_splits : int
        Grouped folds used to produce the out-of-fold scores the combiner is fitted on.
    combiner_C : float
        Regularisation of the logistic combiner.
    use_indicators : bool
        Give the combiner the red-flag indicator features.
    use_meta : bool
        In fields mode, give the combiner the metadata flags (company logo, screening
        questions, telecommuting, company profile present), coded +1/-1, 0 when unknown.
    random_state : int
        Seed for the fold assignment.
    """

    def __init__(
        self,
        C: float = 1.0,
        n_splits: int = 5,
        combiner_C: float = 1.0,
        use_indicators: bool = True,
        use_meta: bool = True,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.n_splits = n_splits
        self.combiner_C = combiner_C
        self.use_indicators = use_indicators
        self.use_meta = use_meta
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, y: Sequence[int], groups: np.ndarray | None = None):
        y = np.asarray(y).astype(int)
        texts = frame_texts(frame)
        if groups is None:
            groups = template_groups(texts)
        lex = lexical_frame(frame, texts)
        self.indicator_features_ = IndicatorFeatures()
        ind = self.indicator_features_.transform(texts)
        w = natural_weights(y)

        cv = StratifiedGroupKFold(
            n_splits=self.n_splits, shuffle=True, random_state=self.random_state
        )
        folds = list(cv.split(np.zeros(len(y)), y, groups))
        self.oof_ = {}
        self.thresholds_ = {}
        records = frame.to_dict("records")
        for mode in ("paste", "fields"):
            base = build_lexical(mode, self.C)
            oof = np.zeros((len(y), 2))
            for tr, te in folds:
                m = clone(base).fit(lex.iloc[tr], y[tr])
                oof[te] = m.decision_function(lex.iloc[te])
            setattr(self, f"{mode}_", clone(base).fit(lex, y))
            # Combiner fitted on out-of-fold scores; its own out-of-fold output sets thresholds.
            Z = self._combiner_input(oof, ind, records if mode == "fields" else None)
            comb = LogisticRegression(C=self.combiner_C, max_iter=2000)
            p_oof = np.zeros(len(y))
            for tr, te in folds:
                c = clone(comb).fit(Z[tr], y[tr], sample_weight=natural_weights(y[tr]))
                p_oof[te] = c.predict_proba(Z[te])[:, 1]
            setattr(self, f"combiner_{mode}_", comb.fit(Z, y, sample_weight=w))
            self.oof_[mode] = p_oof
            self.thresholds_[mode] = choose_thresholds(y, p_oof, w)

        # Indicator-only model for text the lexical model cannot read.
        ind_model = LogisticRegression(C=self.combiner_C, max_iter=2000)
        p_oof = np.zeros(len(y))
        for tr, te in folds:
            c = clone(ind_model).fit(ind[tr], y[tr], sample_weight=natural_weights(y[tr]))
            p_oof[te] = c.predict_proba(ind[te])[:, 1]
        self.indicator_ = ind_model.fit(ind, y, sample_weight=w)
        self.oof_["indicators"] = p_oof
        self.thresholds_["indicators"] = choose_thresholds(y, p_oof, w)
        self.classes_ = np.array([0, 1])
        return self

    def _combiner_input(
        self,
        score: np.ndarray,
        ind: np.ndarray,
        rows: Sequence[Mapping[str, Any]] | None = None,
    ) -> np.ndarray:
        score = np.asarray(score, dtype=float)
        cols = [score[:, None] if score.ndim == 1 else score]
        if self.use_indicators:
            cols.append(ind)
        if self.use_meta and rows is not None:
            cols.append(meta_flags(rows))
        return np.hstack(cols)

    # -- scoring -----------------------------------------------------------------------------
    # Scoring bypasses pandas: for one ad a DataFrame costs more than the vectorizers.
    def lexical_matrix(
        self, mode: str, texts: Sequence[str], rows: Sequence[Mapping[str, Any]] | None = None
    ) -> sparse.csr_matrix:
        """The TF-IDF matrix the ``mode`` pipeline's SVMs read, for texts (paste mode) or
        field rows (fields mode)."""
        feats = getattr(self, f"{mode}_").named_steps["features"]
        if feats.parts:
            if rows is None:
                raise ValueError(f"{mode} mode needs the ads' fields (rows)")
            cols = {p: [_field(r, p) for r in rows] for p in feats.parts}
        else:
            cols = {"text": list(texts)}
        return feats.transform(cols)

    def parts_from_matrix(
        self,
        mode: str,
        X: sparse.csr_matrix,
        ind: np.ndarray,
        rows: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, np.ndarray]:
        """Scores and probabilities of each part, from :meth:`lexical_matrix` output."""
        score = getattr(self, f"{mode}_").named_steps["svm"].decision_function(X)
        comb = getattr(self, f"combiner_{mode}_")
        meta = rows if mode == "fields" else None
        Z = self._combiner_input(score, ind, meta)
        return {
            "lexical_score": score,
            "model": _logistic(comb, Z),
            "indicators": _logistic(self.indicator_, ind),
        }

    def predict_parts(
        self,
        frame: pd.DataFrame,
        mode: str,
        texts: Sequence[str] | None = None,
        ind: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Probabilities of each part for ``frame`` scored in ``mode`` ('paste' or 'fields')."""
        if texts is None:
            texts = frame_texts(frame)
        if ind is None:
            ind = self.indicator_features_.transform(texts)
        rows = frame.to_dict("records")
        X = self.lexical_matrix(mode, texts, rows)
        return self.parts_from_matrix(mode, X, ind, rows)

    def predict_proba(self, frame: pd.DataFrame, mode: str = "paste") -> np.ndarray:
        p = self.predict_parts(frame, mode)["model"]
        return np.column_stack([1 - p, p])
