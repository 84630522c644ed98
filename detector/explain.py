"""Term contributions: which words of one ad moved the lexical score, and how far.

For the linear SVM the decision score is ``sum_j x_j * w_j + b``; each term's share is its
TF-IDF value times its weight, then scaled by the combiner's weight on the lexical score so
the numbers are in log-odds of the final probability.
"""

from __future__ import annotations

from scipy import sparse
from sklearn.pipeline import Pipeline

from .schema import TermContribution


def _names(pipe: Pipeline) -> list[str]:
    cached = getattr(pipe, "_jobscam_feature_names", None)
    if cached is None:
        raw = pipe.named_steps["features"].get_feature_names_out()
        # "title__free flight" -> "free flight": the field prefix means nothing to a reader.
        cached = [str(n).split("__", 1)[-1] for n in raw]
        pipe._jobscam_feature_names = cached  # computed once per loaded model
    return cached


def term_contributions(
    pipe: Pipeline, X: sparse.spmatrix, scales: tuple[float, float] = (1.0, 1.0), top: int = 10
) -> list[TermContribution]:
    """The ``top`` terms of one ad by absolute contribution, largest first.

    Parameters
    ----------
    pipe : Pipeline
        A fitted lexical pipeline (``prep`` -> ``features`` -> ``svm``).
    X : sparse matrix
        One row of the pipeline's TF-IDF features (``JobScamModel.lexical_matrix``).
    scales : (float, float)
        The combiner's coefficients on the two lexical scores (log-odds per unit of score).
    """
    idx, contrib = pipe.named_steps["svm"].term_contributions(X[0], scales)
    if idx.size == 0:
        return []
    names = _names(pipe)
    # The same word can appear in the joined text and in its own field: add those up.
    merged: dict[str, float] = {}
    for j, c in zip(idx.tolist(), contrib.tolist(), strict=True):
        term = names[j]
        merged[term] = merged.get(term, 0.0) + c
    ranked = sorted(merged.items(), key=lambda kv: -abs(kv[1]))[:top]
    return [TermContribution(term=t, weight=round(w, 4)) for t, w in ranked if w != 0.0]
