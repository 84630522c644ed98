"""The precision-recall and reliability plots of the model card, one line per corpus and
language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    average_precision_score,
    precision_recall_curve,
)

from ..model.dataset import natural_weights  # noqa: E402
from .metrics import LANGS, MODES  # noqa: E402

# -- plots -----------------------------------------------------------------------------------


def curves(frame: pd.DataFrame, cv: dict[str, Any]):
    """(label, y, p, weights) for each population the card plots."""
    y = cv["y"]
    v = cv["variants"]["shipped"]
    corpus = frame["corpus"].to_numpy()
    lang = frame["language"].to_numpy()
    out = []
    for mode in MODES:
        m = (corpus == "emscad") & ~np.isnan(v[mode]["p"])
        out.append((f"EMSCAD en, {mode} (at 4.84%)", y[m], v[mode]["p"][m], natural_weights(y[m])))
    for lg in LANGS:
        m = (corpus == "real") & (lang == lg)
        out.append((f"real ads {lg}", y[m], v["paste"]["p"][m], np.ones(m.sum())))
    return out


def plot_pr(curves, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5.5, 4.2), dpi=110)
    for label, y, p, w in curves:
        prec, rec, _ = precision_recall_curve(y, p, sample_weight=w)
        ap = average_precision_score(y, p, sample_weight=w)
        ax.plot(rec, prec, label=f"{label} (PR-AUC {ap:.3f})")
    ax.set_xlabel("recall (scam)")
    ax.set_ylabel("precision (scam)")
    ax.set_title("Precision-recall, grouped 5-fold CV")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def calibration(y: np.ndarray, p: np.ndarray, w: np.ndarray, bins: int) -> dict[str, list]:
    """Reliability curve with weights (scikit-learn's has no sample_weight)."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    mean_p, frac, count = [], [], []
    for b in range(len(edges) - 1):
        m = idx == b
        if not m.any():
            continue
        mean_p.append(float(np.average(p[m], weights=w[m])))
        frac.append(float(np.average(y[m], weights=w[m])))
        count.append(int(m.sum()))
    return {"mean_predicted": mean_p, "observed_rate": frac, "rows": count}


def plot_reliability(curves, path: Path) -> dict[str, Any]:
    fig, ax = plt.subplots(figsize=(5.5, 4.2), dpi=110)
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="perfect")
    table = {}
    for label, y, p, w in curves:
        cal = calibration(y, p, w, bins=10 if len(y) > 1000 else 5)
        table[label] = cal
        ax.plot(cal["mean_predicted"], cal["observed_rate"], marker="o", label=label)
    ax.set_xlabel("predicted probability (quantile bins)")
    ax.set_ylabel("observed scam rate")
    ax.set_title("Reliability per language, grouped 5-fold CV")
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return table
