"""The fitted decision: its input columns, the bounded logistic regression, the floor.

The decision is a logistic regression over the experts' scores (gated by language and era),
the red-flag indicator features and, in fields mode, the metadata flags. Red-flag weights are
bounded at zero from below (:class:`BoundedLogistic`). The trafficking floor
(:func:`trafficking_floor`) only ever raises a score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, sparse
from sklearn.base import BaseEstimator, ClassifierMixin

#: Categories of the trafficking floor: what recruits into forced labour and scam compounds,
#: which neither corpus labels (EMSCAD's scams are 2012-14 advance-fee scams; the real ads
#: quote few trafficking lures).
TRAFFICKING_CATEGORIES = (
    "visa",
    "risky_destination",
    "scam_compound_role",
    "documents",
    "debt",
    "all_paid",
    "sexual_exploitation_role",
    "targets_vulnerable",
    "isolation_control",
    "no_contract",
)
#: The floor is sigmoid(FLOOR_SLOPE * (summed weight of those categories - FLOOR_CENTER)):
#: one or two trafficking signs stay far below any band, four strong ones (tourist visa +
#: Cambodia + scam-compound role + papers held) reach it. Hand-set, documented in the card,
#: and measured there (`jobscam evaluate --ablate`).
FLOOR_CENTER = 2.0
FLOOR_SLOPE = 3.0


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


META_FLAGS = ("has_company_logo", "has_questions", "telecommuting")

_YES = frozenset({"1", "1.0", "true", "t", "yes"})
_NO = frozenset({"0", "0.0", "false", "f", "no"})


def field_text(row: Mapping[str, Any], col: str) -> str:
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
            v = field_text(r, col).strip().lower()
            out[i, j] = 1.0 if v in _YES else -1.0 if v in _NO else 0.0
        if "company_profile" in r:
            out[i, -1] = 1.0 if field_text(r, "company_profile").strip() else -1.0
    return out


def trafficking_floor(ind: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """The floor of each row of indicator features (see ``TRAFFICKING_CATEGORIES``)."""
    ind = np.atleast_2d(ind)
    cols = [i for i, c in enumerate(categories) if c in TRAFFICKING_CATEGORIES]
    total = ind[:, cols].sum(axis=1) if cols else np.zeros(len(ind))
    return sigmoid(FLOOR_SLOPE * (total - FLOOR_CENTER))


# -- the decision -------------------------------------------------------------------------


class BoundedLogistic(BaseEstimator, ClassifierMixin):
    """Weighted L2 logistic regression whose coefficients may have lower bounds.

    scikit-learn's ``LogisticRegression`` has no bounds; this solves the same objective,
    ``sum_i w_i logloss_i + ||beta||^2 / (2C)``, with L-BFGS-B. A bound of 0 on a red-flag
    feature means its evidence can raise a score and never lower it.
    """

    def __init__(self, C: float = 1.0, lower: Sequence[float] | None = None) -> None:
        self.C = C
        self.lower = lower

    def fit(self, Z: Any, y: Sequence[int], sample_weight: np.ndarray | None = None):
        Z = sparse.csr_matrix(Z, dtype=float) if sparse.issparse(Z) else np.asarray(Z, float)
        y = np.asarray(y, dtype=float)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        w = w * (len(y) / w.sum())  # the penalty means the same whatever the weights' scale
        d = Z.shape[1]
        lower = [-np.inf] * d if self.lower is None else list(self.lower)
        if len(lower) != d:
            raise ValueError(f"{len(lower)} bounds for {d} features")

        def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
            z = Z @ beta[:d] + beta[d]
            ll = y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)
            g = (sigmoid(z) - y) * w
            reg = beta[:d] @ beta[:d] / (2 * self.C)
            return float(w @ ll + reg), np.r_[Z.T @ g + beta[:d] / self.C, g.sum()]

        bounds = [(None if math.isinf(lo) else lo, None) for lo in lower] + [(None, None)]
        start = np.zeros(d + 1)
        res = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
        self.coef_ = res.x[:d].copy()
        self.intercept_ = float(res.x[d])
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, Z: Any) -> np.ndarray:
        if not sparse.issparse(Z):
            Z = np.asarray(Z, dtype=float)
        return np.asarray(Z @ self.coef_).ravel() + self.intercept_

    def predict_proba(self, Z: np.ndarray) -> np.ndarray:
        p = sigmoid(self.decision_function(Z))
        return np.column_stack([1 - p, p])


#: The decision's input columns before the indicator features: ``en`` / ``id`` are 1 when the
#: ad is in that language (other languages get neither: no lexical part speaks), ``modern`` is
#: the era gate's probability and ``old`` its complement.
LEXICAL_COLUMNS = (
    "emscad_svm*en*old",
    "emscad_nbsvm*en*old",
    "emscad_svm*en*modern",
    "real*en*modern",
    "real*en*old",
    "modern*en",
    "real*id",
    "is_id",
)
#: Indicator features that are facts, not red flags: that an ad gives a phone, an e-mail or a
#: link, names a foreign place or states its pay. The decision does not read them: in the
#: labelled data they describe the sources (EMSCAD replaced contacts by placeholders and its
#: legitimate ads rarely state pay; scrapers stripped the links of the legitimate real ads),
#: and what such a fact means (a free-mail address, a shortener, a personal WhatsApp number as
#: the only channel, pay far above the job, a scam-compound route) is a red-flag rule's
#: finding, which the decision does read.
FACT_INDICATORS = frozenset(
    {
        "contact:phone",
        "contact:whatsapp",
        "contact:telegram",
        "contact:line",
        "contact:email",
        "contact:url",
        "contact:bank_account",
        "contact:ewallet",
        "log10_max_monthly_usd/4",
        "foreign_destination",
    }
)


def gates(languages: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(English gate, Indonesian gate) per ad. Undetermined language reads as English (the
    lexical models were trained mostly on it); any other language gets neither."""
    lang = np.asarray(languages, dtype=object)
    g_id = (lang == "id").astype(float)
    g_en = ((lang == "en") | (lang == "und")).astype(float)
    return g_en, g_id


@dataclass
class Inputs:
    """What the decision reads for a batch of ads in one mode (see :meth:`JobScamModel.inputs`)."""

    emscad: np.ndarray  # (n, 2) EMSCAD expert scores
    real: np.ndarray  # (n,) real-ads expert score
    modern: np.ndarray  # (n,) era gate: P(the ad reads like a modern real ad)
    indicators: np.ndarray  # (n, k) indicator features
    languages: Sequence[str]
    meta: np.ndarray | None = None  # (n, 4) metadata flags in fields mode
