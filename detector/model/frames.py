"""The labelled training frame as the Detector sees each ad: the text a person would paste,
the fields, the metadata, and which ads are the same template (the CV groups)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..schema import TEXT_FIELDS, join_fields
from .decision import META_FLAGS
from .experts import LEXICAL_PARTS
from .prepare import lexical_array
from .vectorize import NgramTfidf

#: Cosine similarity at or above which two ads are the same template.
TEMPLATE_SIMILARITY = 0.8


def frame_texts(frame: pd.DataFrame) -> list[str]:
    """The joined text of each row: a ``text`` column if present, else the text fields."""
    if "text" in frame.columns:
        return [t if isinstance(t, str) else "" for t in frame["text"].tolist()]
    cols = [c for c in TEXT_FIELDS if c in frame.columns]
    records = frame[cols].fillna("").astype(str).to_dict("records")
    return [join_fields({k: v.strip() for k, v in r.items() if v and v.strip()}) for r in records]


def template_groups(texts: Sequence[str], threshold: float = TEMPLATE_SIMILARITY) -> np.ndarray:
    """Group near-duplicate ads (same template): connected components of TF-IDF cosine ≥ threshold.

    This is the *training* definition of "same template", and deliberately not the networks'
    (:mod:`detector.network`: MinHash bands over word shingles). The two answer different
    questions. Here a missed pair leaks a template across folds and inflates every figure, so
    the test is exact (every pair is compared), loose (a reworded template at cosine 0.8 still
    groups) and run once over a few thousand labelled ads. A network link instead says "one
    poster behind these ads" to a caseworker, so it must be precise (a false link merges
    unrelated posters) and must stream millions of rows in bounded memory, which only a
    banded sketch does. Using either one for both would either leak templates into the
    test folds or flood networks with false links.

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


def lexical_text_of_fields(fields: Mapping[str, str]) -> str:
    """The text the paste-mode EMSCAD expert reads for an ad given as fields."""
    return "\n".join(v for f in LEXICAL_PARTS if (v := fields.get(f, "")))


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row's fields and metadata as the Detector builds them for an ad: real ads (a
    pasted text) have no metadata and no company-profile field at all."""
    cols = [c for c in frame.columns if c in (*TEXT_FIELDS, *META_FLAGS)]
    records = frame[cols].to_dict("records")
    if "corpus" in frame.columns:
        for r, c in zip(records, frame["corpus"].tolist(), strict=True):
            if c != "emscad":
                for k in (*META_FLAGS, "company_profile"):
                    r.pop(k, None)
    return records


def lexical_frame(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """What the EMSCAD expert reads in each mode: paste mode one ``text`` column (EMSCAD's
    fields joined without labels or location; a real ad's own text), fields mode the fields
    (a real ad as its ``description``)."""
    texts = frame_texts(frame)
    corpus = frame["corpus"].tolist() if "corpus" in frame.columns else ["emscad"] * len(frame)
    fields = pd.DataFrame(index=frame.index)
    for f in LEXICAL_PARTS:
        fields[f] = frame[f].fillna("").astype(str) if f in frame.columns else ""
    paste = []
    for t, c, rec in zip(texts, corpus, fields.to_dict("records"), strict=True):
        paste.append(lexical_text_of_fields(rec) if c == "emscad" else t)
    return {"paste": pd.DataFrame({"text": paste}, index=frame.index), "fields": fields}
