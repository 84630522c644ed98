"""Term contributions: which words of one ad moved its score, and how far, in log-odds.

Both lexical experts are linear. The EMSCAD expert's score is a linear SVM on TF-IDF values
plus an NB-SVM on term presence; the real-ads expert's is a logistic regression on TF-IDF
values. The decision weighs each expert's score by a fitted coefficient that depends on the
ad's language (the EMSCAD expert speaks only for English), so a term's contribution is its
share of each expert's score times that coefficient. A language no expert reads gets no
terms at all: the words played no part in its score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from ..schema import TermContribution

if TYPE_CHECKING:
    from .ensemble import JobScamModel


def _names(model: JobScamModel, key: str) -> list[str]:
    cache = model.__dict__.setdefault("_jobscam_feature_names", {})
    if key not in cache:
        if key == "real":
            raw = model.real_.get_feature_names_out()
        else:
            raw = getattr(model, f"{key}_").named_steps["features"].get_feature_names_out()
        # "title__free flight" -> "free flight": the field prefix means nothing to a reader.
        cache[key] = [str(n).split("__", 1)[-1] for n in raw]
    return cache[key]


def expert_terms(
    model: JobScamModel,
    mode: str,
    language: str,
    modern: float,
    X_emscad: sparse.spmatrix,
    X_real: sparse.spmatrix,
    top: int = 10,
) -> list[TermContribution]:
    """The ``top`` terms of one ad by absolute contribution to its decision, largest first.

    Parameters
    ----------
    model : JobScamModel
        The fitted model.
    mode : str
        ``paste`` or ``fields``: which EMSCAD expert scored the ad.
    language : str
        The ad's detected language (sets how far each expert counts).
    modern : float
        The era gate's probability for the ad (English: how far each expert counts).
    X_emscad, X_real : sparse matrix
        The ad's one row of each expert's TF-IDF features.
    """
    scales = model.lexical_scales(mode, language, modern)
    merged: dict[str, float] = {}
    if scales["svm"] or scales["nbsvm"]:
        two = getattr(model, f"{mode}_").named_steps["svm"]
        idx, contrib = two.term_contributions(X_emscad, (scales["svm"], scales["nbsvm"]))
        names = _names(model, mode)
        # The same word can appear in the joined text and in its own field: add those up.
        for j, c in zip(idx.tolist(), contrib.tolist(), strict=True):
            merged[names[j]] = merged.get(names[j], 0.0) + c
    if scales["real"]:
        idx, contrib = model.real_.term_contributions(X_real, scales["real"])
        names = _names(model, "real")
        for j, c in zip(idx.tolist(), contrib.tolist(), strict=True):
            merged[names[j]] = merged.get(names[j], 0.0) + c
    ranked = sorted(merged.items(), key=lambda kv: -abs(kv[1]))[:top]
    return [TermContribution(term=t, weight=round(w, 4)) for t, w in ranked if w != 0.0]


def expert_term_weights(model: JobScamModel, language: str, modern: float) -> dict[str, float]:
    """Each term's weight in log-odds when present once in a pasted ad of ``language`` (the
    EMSCAD expert's presence weight plus its value weight at TF-IDF 1, and the real-ads
    expert's value weight), for an ad the era gate puts at ``modern``: what the card's
    top-features tables read."""
    scales = model.lexical_scales("paste", language, modern)
    out: dict[str, float] = {}
    if scales["svm"] or scales["nbsvm"]:
        on_value, on_presence = model.paste_.named_steps["svm"].term_weights(
            (scales["svm"], scales["nbsvm"])
        )
        for name, w in zip(_names(model, "paste"), (on_value + on_presence).tolist(), strict=True):
            out[name] = out.get(name, 0.0) + w
    if scales["real"]:
        weights = np.asarray(model.real_.coef_) * scales["real"]
        for name, w in zip(_names(model, "real"), weights.tolist(), strict=True):
            out[name] = out.get(name, 0.0) + w
    return out
