"""Risk bands: the cut-offs between low, medium and high, chosen on out-of-fold scores."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import precision_recall_curve

from .dataset import natural_weights

#: Recall the "medium" band must keep on out-of-fold predictions: EMSCAD (at its natural
#: prevalence) and the real ads.
MEDIUM_RECALL = {"emscad": 0.95, "real": 0.92}
#: Share of legitimate real ads the "high" band may take on out-of-fold predictions.
HIGH_LEGIT_SHARE = 0.03
#: Share of legitimate real ads "medium or high" may take on out-of-fold predictions.
MEDIUM_LEGIT_SHARE = 0.10


@dataclass(frozen=True)
class Thresholds:
    high: float
    medium: float

    def risk(self, p: np.ndarray) -> np.ndarray:
        return np.where(p >= self.high, "high", np.where(p >= self.medium, "medium", "low"))

    def risk_of(self, p: float) -> str:
        """The band of one probability (what :meth:`risk` gives, without numpy's overhead)."""
        return "high" if p >= self.high else "medium" if p >= self.medium else "low"


def _largest_with_recall(y: np.ndarray, s: np.ndarray, w: np.ndarray, recall: float) -> float:
    pos = np.sort(s[y == 1])
    wp = w[y == 1][np.argsort(s[y == 1])]
    if pos.size == 0:
        return float("inf")
    # Recall at threshold t = weight of positives with s >= t over all positive weight.
    kept = np.cumsum(wp[::-1])[::-1] / wp.sum()
    ok = np.flatnonzero(kept >= recall - 1e-12)
    return float(pos[ok.max()]) if ok.size else float(pos[0])


def _max_f1(y: np.ndarray, s: np.ndarray, w: np.ndarray) -> float:
    prec, rec, th = precision_recall_curve(y, s, sample_weight=w)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)
    return float(th[int(np.argmax(f1[:-1]))])


def _smallest_with_legit_share(y: np.ndarray, s: np.ndarray, share: float) -> float:
    neg = np.sort(s[y == 0])[::-1]
    if neg.size == 0:
        return 0.0
    k = int(math.floor(share * neg.size))  # at most k legitimate ads at or above it
    if k >= neg.size:
        return 0.0
    return float(np.nextafter(neg[k], np.inf))


def choose_thresholds(y: np.ndarray, s: np.ndarray, corpus: np.ndarray) -> Thresholds:
    """Bands for one mode and language from out-of-fold scores ``s``.

    **high** is the highest of: on EMSCAD, the score that maximises F1 at the natural
    prevalence; on the real ads, the lowest score that puts at most ``HIGH_LEGIT_SHARE`` of
    the legitimate ads at high. **medium** is the lowest score that keeps scam recall at
    ``MEDIUM_RECALL`` on each corpus (EMSCAD at its natural prevalence), unless that would put
    more than ``MEDIUM_LEGIT_SHARE`` of the legitimate real ads at medium or above: then it is
    the score that puts that share there. Never above high.
    """
    mediums, highs = [], []
    cap = -np.inf
    for c in np.unique(corpus):
        m = corpus == c
        yc, sc = y[m], s[m]
        if yc.sum() == 0 or yc.sum() == len(yc):
            continue
        c = str(c)
        w = natural_weights(yc) if c == "emscad" else np.ones(len(yc))
        mediums.append(_largest_with_recall(yc, sc, w, MEDIUM_RECALL.get(c, MEDIUM_RECALL["real"])))
        if c == "emscad":
            highs.append(_max_f1(yc, sc, w))
        else:
            highs.append(_smallest_with_legit_share(yc, sc, HIGH_LEGIT_SHARE))
            cap = max(cap, _smallest_with_legit_share(yc, sc, MEDIUM_LEGIT_SHARE))
    if not mediums:
        raise ValueError("no rows with both classes to choose thresholds on")
    high = max(highs)
    return Thresholds(high=high, medium=min(max(min(mediums), cap), high))
