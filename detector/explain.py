"""Term contributions: which words of one ad moved the lexical score, and how far.

For the linear SVM the decision score is ``sum_j x_j * w_j + b``; each term's share is its
TF-IDF value times its weight, then scaled by the combiner's weight on the lexical score so
the numbers are in log-odds of the final probability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from .schema import TermContribution


def _names(pipe: Pipeline) -> np.ndarray:
    cached = getattr(pipe, "_jobscam_feature_names", None)
    if cached is None:
        cached = pipe.named_steps["features"].get_feature_names_out()
        pipe._jobscam_feature_names = cached  # computed once per loaded model
    return cached


def term_contributions(
    pipe: Pipeline, lex_row: pd.DataFrame, scales: tuple[float, float] = (1.0, 1.0), top: int = 10
) -> list[TermContribution]:
    """The ``top`` terms of one ad by absolute contribution, largest first.

    Parameters
    ----------
    pipe : Pipeline
        A fitted lexical pipeline (``prep`` -> ``features`` -> ``svm``).
    lex_row : DataFrame
        One row of the columns the pipeline reads.
    scales : (float, float)
        The combiner's coefficients on the two lexical scores (log-odds per unit of score).
    """
    X = pipe[:-1].transform(lex_row)
    row = pipe.named_steps["svm"].term_weights(X, scales)[0]
    idx = row.indices
    if idx.size == 0:
        return []
    contrib = row.data
    names = _names(pipe)
    # The same word can appear in the joined text and in its own field: add those up.
    merged: dict[str, float] = {}
    for j, c in zip(idx, contrib, strict=True):
        term = str(names[j]).split("__", 1)[-1]
        merged[term] = merged.get(term, 0.0) + float(c)
    ranked = sorted(merged.items(), key=lambda kv: -abs(kv[1]))[:top]
    return [TermContribution(term=t, weight=round(w, 4)) for t, w in ranked if w != 0.0]
