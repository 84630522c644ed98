"""The figures ``jobscam evaluate`` reports: EMSCAD at its natural prevalence, real ads per
language and label, and the two baselines trained on the same folds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..model.dataset import natural_weights

MODES = ("fields", "paste")
LANGS = ("id", "en")


# -- metrics ---------------------------------------------------------------------------------


def emscad_metrics(y: np.ndarray, p: np.ndarray, risk: np.ndarray) -> dict[str, Any]:
    """Scam-class metrics at the natural prevalence; 'high' risk is the positive prediction."""
    w = natural_weights(y)
    pred = (risk == "high").astype(int)
    prec, rec, f1, _ = precision_recall_fscore_support(
        y, pred, average="binary", sample_weight=w, zero_division=0
    )
    cm = confusion_matrix(y, pred, labels=[0, 1])
    cm_w = confusion_matrix(y, pred, labels=[0, 1], sample_weight=w)
    medium_or_high = (risk != "low").astype(int)
    return {
        "precision": float(prec),
        "recall": float(rec),
        "f1": float(f1),
        "pr_auc": float(average_precision_score(y, p, sample_weight=w)),
        "roc_auc": float(roc_auc_score(y, p)),
        "brier": float(brier_score_loss(y, p, sample_weight=w)),
        "confusion_rows": cm.tolist(),
        "confusion_at_corpus_scale": np.round(cm_w).astype(int).tolist(),
        "recall_medium_or_high": float((medium_or_high[y == 1]).mean()),
        "legit_share_medium_or_high": float((medium_or_high[y == 0]).mean()),
    }


def real_metrics(y: np.ndarray, p: np.ndarray, risk: np.ndarray) -> dict[str, Any]:
    """Per-label band counts and shares on real ads of one language (unweighted)."""
    out: dict[str, Any] = {"roc_auc": float(roc_auc_score(y, p)) if len(set(y)) == 2 else None}
    for label, name in ((1, "scam"), (0, "legit")):
        r = risk[y == label]
        out[name] = {b: int((r == b).sum()) for b in ("low", "medium", "high")}
        out[f"{name}_n"] = int(len(r))
    n_s, n_l = max(out["scam_n"], 1), max(out["legit_n"], 1)
    out["scam_medium_or_high"] = (out["scam"]["medium"] + out["scam"]["high"]) / n_s
    out["legit_medium_or_high"] = (out["legit"]["medium"] + out["legit"]["high"]) / n_l
    out["legit_high"] = out["legit"]["high"] / n_l
    out["scam_high"] = out["scam"]["high"] / n_s
    return out


def shares(risk: np.ndarray) -> dict[str, float]:
    n = max(len(risk), 1)
    return {
        "n": int(len(risk)),
        "medium_or_high": float(np.isin(risk, ["medium", "high"]).sum() / n),
        "high": float((risk == "high").sum() / n),
    }


# -- baselines -------------------------------------------------------------------------------


def format_features(texts: Sequence[str]) -> np.ndarray:
    """What a format learner sees: length, line breaks, capitals, '!' and non-ASCII share."""
    rows = []
    for t in texts:
        n = max(len(t), 1)
        rows.append(
            [
                np.log1p(len(t)),
                100 * t.count("\n") / n,
                sum(c.isupper() for c in t) / n,
                100 * t.count("!") / n,
                sum(ord(c) > 127 for c in t) / n,
            ]
        )
    return np.array(rows, dtype=float).reshape(-1, 5)


def baselines(frame: pd.DataFrame, folds) -> dict[str, dict[str, float]]:
    """ROC-AUC per language of the two baselines, trained on the real ads of each fold."""
    real = np.flatnonzero(frame["corpus"].to_numpy() == "real")
    texts = frame["text"].to_numpy(dtype=object)
    y = frame["fraudulent"].to_numpy()
    lang = frame["language"].to_numpy()
    makers = {
        "word TF-IDF + LR (real ads)": lambda: make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            LogisticRegression(C=10, max_iter=3000),
        ),
        "format only (real ads)": lambda: make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=3000)
        ),
    }
    feats = {"word TF-IDF + LR (real ads)": texts, "format only (real ads)": format_features(texts)}
    out: dict[str, dict[str, float]] = {}
    for name, make in makers.items():
        X = feats[name]
        p = np.full(len(frame), np.nan)
        for tr, te in folds:
            tr, te = np.intersect1d(tr, real), np.intersect1d(te, real)
            p[te] = make().fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
        out[name] = {
            lg: float(roc_auc_score(y[real][lang[real] == lg], p[real][lang[real] == lg]))
            for lg in LANGS
        }
    return out
