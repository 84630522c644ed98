"""The model as data: a fitted model <-> (JSON structure, named numpy arrays).

:func:`model_to_data` and :func:`model_from_data` are exact inverses for every part of a
:class:`~detector.model.ensemble.JobScamModel` (TF-IDF vocabularies and idf, expert and
decision coefficients, bands); no part is stored as a Python object. Files, hashes and the
manifest are :mod:`detector.model.persistence`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

DATA_FORMAT = 1


class ModelError(RuntimeError):
    """A model file is missing, tampered with, or in a format this jobscam cannot read."""


#: The shipped model's folder.


class _Writer:
    """Collects arrays under unique names while the structure refers to them by name."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, a: Any, dtype: Any = None) -> str:
        if name in self.arrays:
            raise ValueError(f"array {name!r} written twice")
        self.arrays[name] = np.ascontiguousarray(np.asarray(a, dtype=dtype))
        return name

    def terms(self, name: str, terms: pa.Array) -> dict[str, str]:
        """A vocabulary as one UTF-8 buffer and offsets (no object arrays, no pickle)."""
        t = terms.cast(pa.large_string())
        if t.offset or t.null_count:
            t = pa.array(t.to_pylist(), type=pa.large_string())
        offsets = np.frombuffer(t.buffers()[1], dtype=np.int64)[: len(t) + 1]
        data = np.frombuffer(t.buffers()[2], dtype=np.uint8)[: int(offsets[-1])]
        return {
            "offsets": self.array(f"{name}.offsets", offsets - offsets[0]),
            "data": self.array(f"{name}.data", data[offsets[0] :]),
        }


def _vectorizer_to_data(w: _Writer, name: str, v: Any) -> dict[str, Any]:
    return {
        "params": {
            "ngram_range": list(v.ngram_range),
            "min_df": int(v.min_df),
            "sublinear_tf": bool(v.sublinear_tf),
            "dtype": np.dtype(v.dtype).name,
        },
        "terms": w.terms(f"{name}.terms", v.terms()),
        "idf": w.array(f"{name}.idf", v.idf_, np.float64),
    }


def _features_to_data(w: _Writer, name: str, feats: Any) -> dict[str, Any]:
    return {
        "parts": list(feats.parts),
        "fields": list(feats.fields),
        "labels": dict(feats.labels or {}),
        "ngram_range": list(feats.ngram_range),
        "min_df": int(feats.min_df),
        "sublinear_tf": bool(feats.sublinear_tf),
        "dtype": np.dtype(feats.dtype).name,
        "vectorizers": [
            _vectorizer_to_data(w, f"{name}.block{i}", v) for i, v in enumerate(feats.vectorizers_)
        ],
    }


def _lexical_to_data(w: _Writer, name: str, pipe: Any) -> dict[str, Any]:
    two = pipe.named_steps["svm"]
    return {
        "features": _features_to_data(w, name, pipe.named_steps["features"]),
        "scores": {
            "params": {"C": two.C, "nb_C": two.nb_C, "nb_alpha": two.nb_alpha},
            "ratio": w.array(f"{name}.ratio", two.ratio_, np.float32),
            "svm_coef": w.array(f"{name}.svm_coef", two.svm_coef_, np.float64),
            "svm_intercept": float(two.svm_intercept_),
            "nb_coef": w.array(f"{name}.nb_coef", two.nb_coef_, np.float64),
            "nb_intercept": float(two.nb_intercept_),
        },
    }


def _word_logistic_to_data(w: _Writer, name: str, m: Any) -> dict[str, Any]:
    return {
        "params": {"C": m.C, "min_df": m.min_df, "stop_terms": list(m.stop_terms)},
        "features": _features_to_data(w, name, m.features_),
        "coef": w.array(f"{name}.coef", m.coef_, np.float64),
        "intercept": float(m.intercept_),
    }


def _word_logistic_from_data(r: _Reader, d: Mapping[str, Any]) -> Any:
    from .experts import WordLogistic

    params = dict(d["params"])
    m = WordLogistic(
        C=float(params["C"]), min_df=int(params["min_df"]), stop_terms=tuple(params["stop_terms"])
    )
    m.features_ = _features_from_data(r, d["features"])
    m.coef_ = r.array(d["coef"], np.float64)
    m.intercept_ = float(d["intercept"])
    m.classes_ = np.array([0, 1])
    if len(m.coef_) != sum(len(v.vocabulary_) for v in m.features_.vectorizers_):
        raise ModelError("a word model's arrays do not fit its vocabulary: retrain")
    return m


def model_to_data(model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(structure, arrays) of a fitted :class:`~detector.model.ensemble.JobScamModel`."""
    w = _Writer()
    structure = {
        "data_format": DATA_FORMAT,
        "kind": "jobscam.JobScamModel",
        "params": model.get_params(),
        "categories": list(model.categories_),
        "indicator_names": list(model.indicator_names_),
        "thresholds": {
            k: {"high": float(t.high), "medium": float(t.medium)}
            for k, t in model.thresholds_.items()
        },
        "expert_reference": {k: [float(x) for x in v] for k, v in model.expert_reference_.items()},
        "emscad": {
            mode: _lexical_to_data(w, mode, getattr(model, f"{mode}_"))
            for mode in ("paste", "fields")
        },
        "real": _word_logistic_to_data(w, "real", model.real_),
        "gate": _word_logistic_to_data(w, "gate", model.gate_),
        "decision": {
            mode: {
                "C": d.C,
                "lower": [None if not np.isfinite(x) else float(x) for x in (d.lower or [])],
                "coef": w.array(f"decision.{mode}.coef", d.coef_, np.float64),
                "intercept": float(d.intercept_),
            }
            for mode, d in model.decision_.items()
        },
    }
    return structure, w.arrays


class _Reader:
    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays = arrays

    def array(self, name: Any, dtype: Any = None) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays:
            raise ModelError(f"the model's arrays lack {name!r}: retrain with `jobscam train`")
        a = self.arrays[name]
        return a if dtype is None else a.astype(dtype, copy=False)

    def terms(self, ref: Mapping[str, str]) -> pa.Array:
        offsets = self.array(ref["offsets"], np.int64)
        data = self.array(ref["data"], np.uint8)
        if (
            offsets.size == 0
            or offsets[0] != 0
            or offsets[-1] != data.size
            or np.any(np.diff(offsets) < 0)
        ):
            raise ModelError(
                "a vocabulary in the model file is malformed: retrain with `jobscam train`"
            )
        return pa.LargeStringArray.from_buffers(
            len(offsets) - 1, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data.tobytes())
        )


def _vectorizer_from_data(r: _Reader, d: Mapping[str, Any]) -> Any:
    from .vectorize import NgramTfidf

    p = dict(d["params"])
    return NgramTfidf.from_parts(
        r.terms(d["terms"]),
        r.array(d["idf"], np.float64),
        ngram_range=tuple(p["ngram_range"]),
        min_df=int(p["min_df"]),
        sublinear_tf=bool(p["sublinear_tf"]),
        dtype=np.dtype(p["dtype"]).type,
    )


def _features_from_data(r: _Reader, f: Mapping[str, Any]) -> Any:
    from .vectorize import LexicalFeatures

    feats = LexicalFeatures(
        parts=tuple(f["parts"]),
        fields=tuple(f["fields"]),
        labels=dict(f["labels"]) or None,
        ngram_range=tuple(f["ngram_range"]),
        min_df=int(f["min_df"]),
        sublinear_tf=bool(f["sublinear_tf"]),
        dtype=np.dtype(f["dtype"]).type,
    )
    feats.vectorizers_ = [_vectorizer_from_data(r, v) for v in f["vectorizers"]]
    return feats


def _lexical_from_data(r: _Reader, d: Mapping[str, Any]) -> Any:
    from sklearn.pipeline import Pipeline

    from .experts import TwoLinearScores

    feats = _features_from_data(r, d["features"])
    s = d["scores"]
    two = TwoLinearScores(**s["params"])
    two.ratio_ = r.array(s["ratio"], np.float32)
    two.svm_coef_ = r.array(s["svm_coef"], np.float64)
    two.svm_intercept_ = float(s["svm_intercept"])
    two.nb_coef_ = r.array(s["nb_coef"], np.float64)
    two.nb_intercept_ = float(s["nb_intercept"])
    two.classes_ = np.array([0, 1])
    n_terms = sum(len(v.vocabulary_) for v in feats.vectorizers_)
    if not (len(two.ratio_) == len(two.svm_coef_) == len(two.nb_coef_) == n_terms):
        raise ModelError("the model's lexical arrays do not fit its vocabularies: retrain")
    return Pipeline([("features", feats), ("svm", two)])


def model_from_data(structure: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Any:
    """The fitted :class:`~detector.model.ensemble.JobScamModel` that :func:`model_to_data` wrote."""
    from .bands import Thresholds
    from .decision import BoundedLogistic
    from .ensemble import JobScamModel

    if (
        structure.get("kind") != "jobscam.JobScamModel"
        or structure.get("data_format") != DATA_FORMAT
    ):
        raise ModelError(
            f"the model file is not a jobscam model in data format {DATA_FORMAT}: "
            "retrain with `jobscam train`"
        )
    r = _Reader(arrays)
    try:
        m = JobScamModel(**structure["params"])
        m.categories_ = list(structure["categories"])
        m.indicator_names_ = list(structure["indicator_names"])
        m.thresholds_ = {
            k: Thresholds(high=float(t["high"]), medium=float(t["medium"]))
            for k, t in structure["thresholds"].items()
        }
        m.expert_reference_ = {
            k: [float(x) for x in v] for k, v in structure["expert_reference"].items()
        }
        for mode, d in structure["emscad"].items():
            setattr(m, f"{mode}_", _lexical_from_data(r, d))
        m.real_ = _word_logistic_from_data(r, structure["real"])
        m.gate_ = _word_logistic_from_data(r, structure["gate"])
        m.decision_ = {}
        for mode, d in structure["decision"].items():
            lower = [-np.inf if x is None else float(x) for x in d["lower"]] or None
            b = BoundedLogistic(C=float(d["C"]), lower=lower)
            b.coef_ = r.array(d["coef"], np.float64)
            b.intercept_ = float(d["intercept"])
            b.classes_ = np.array([0, 1])
            if len(b.coef_) != len(m.design_names(mode)):
                raise ModelError("the decision's coefficients do not fit its inputs: retrain")
            m.decision_[mode] = b
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(
            f"the model file is malformed ({exc}): retrain with `jobscam train`"
        ) from exc
    m.oof_ = {}
    m.classes_ = np.array([0, 1])
    return m


# -- files -----------------------------------------------------------------------------------
