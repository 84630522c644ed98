"""The ONLY place that saves and loads model files.

A model is **data, not code**: numeric arrays in ``model.npz`` (read with
``allow_pickle=False``; vocabularies as one UTF-8 buffer plus offsets) and the structure,
settings and scalars in ``model.json``. Loading parses those two files and builds the fitted
objects from them; nothing is unpickled, so a replaced model file can at worst score badly, never
run code. The files' sha256 sums in ``manifest.json`` are still checked before anything is
parsed, so a damaged or swapped file is refused with a clear message.

The format does not depend on library versions: the arrays are what scoring computes with
(vocabularies, idf, coefficients, thresholds), and scoring uses no scikit-learn object. A model
saved in another format says "retrain with `jobscam train`".
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy
import sklearn

from .. import paths

ARRAYS_FILE = "model.npz"
STRUCTURE_FILE = "model.json"
#: The file the manifest's top-level ``sha256`` and ``size_bytes`` describe.
MODEL_FILE = ARRAYS_FILE
MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 2
#: The layout of model.json / model.npz; a change here needs a retrain.
DATA_FORMAT = 1
#: The shipped model's folder.
DEFAULT_MODEL_DIR = paths.DEFAULT_MODEL_DIR


class ModelError(RuntimeError):
    """A model file is missing, tampered with, or in a format this jobscam cannot read."""


def jobscam_version() -> str:
    """This jobscam's version, from its installed metadata (``pyproject.toml``)."""
    try:
        return importlib.metadata.version("jobscam")
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "jobscam": jobscam_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
    }


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- the model as data ----------------------------------------------------------------------


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
    from .ensemble import WordLogistic

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

    from .ensemble import TwoLinearScores

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
    from .ensemble import BoundedLogistic, JobScamModel, Thresholds

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


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def save_model(model: Any, directory: str | Path, manifest: dict[str, Any]) -> Path:
    """Write the model (arrays + structure) and its manifest (sha256 of each file, versions,
    created date + what the caller adds)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    structure, arrays = model_to_data(model)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # uncompressed: loads in a third of the time (issue 14: load <= 0.3 s)
    _write_atomic(d / ARRAYS_FILE, buf.getvalue())
    _write_atomic(
        d / STRUCTURE_FILE,
        (
            json.dumps(structure, indent=1, ensure_ascii=False, default=_json_default) + "\n"
        ).encode(),
    )
    for old in ("jobscam.joblib",):  # a pickle left by an older jobscam is never read again
        (d / old).unlink(missing_ok=True)
    files = {name: sha256_file(d / name) for name in (ARRAYS_FILE, STRUCTURE_FILE)}
    full = {
        "manifest_version": MANIFEST_VERSION,
        "model_file": MODEL_FILE,
        "sha256": files[MODEL_FILE],
        "size_bytes": sum((d / n).stat().st_size for n in files),
        "files": files,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": library_versions(),
        **manifest,
    }
    write_manifest(d, full)
    return d / MODEL_FILE


def write_manifest(directory: str | Path, manifest: dict[str, Any]) -> None:
    p = Path(directory) / MANIFEST_FILE
    p.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def read_manifest(directory: str | Path | None = None) -> dict[str, Any]:
    d = model_dir(directory)
    p = d / MANIFEST_FILE
    if not p.exists():
        raise ModelError(
            f"no model manifest at {p}. Train a model with `jobscam train` "
            "(or check out the repository's models/ folder)."
        )
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ModelError(f"{p} is not valid JSON: {exc}") from exc


def update_manifest(out_dir: str | Path | None, **fields: Any) -> dict[str, Any]:
    """Add fields (e.g. evaluation metrics) to an existing manifest without touching the model."""
    out = Path(out_dir) if out_dir is not None else DEFAULT_MODEL_DIR
    m = read_manifest(out)
    m.update(fields)
    write_manifest(out, m)
    return m


def model_dir(directory: str | Path | None = None) -> Path:
    """The model folder: the one given, else ``$JOBSCAM_MODEL_DIR``, else the shipped models/."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get("JOBSCAM_MODEL_DIR")
    return Path(env) if env else DEFAULT_MODEL_DIR


def _checked(d: Path, name: str, want: Any) -> bytes:
    """A model file's bytes, after its sha256 matched the manifest's."""
    path = d / name
    if Path(name).name != name or path.resolve().parent != d.resolve():
        raise ModelError(f"manifest names a model file outside {d}: refusing to load")
    if not path.exists():
        raise ModelError(f"model file {path} is missing; retrain with `jobscam train`")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != want:
        raise ModelError(
            f"model file {path} does not match its manifest (sha256 {digest[:12]}… vs "
            f"{str(want)[:12]}…): it was changed or corrupted. Refusing to load it. Restore "
            "models/ from the repository or retrain with `jobscam train`."
        )
    return data


def load_model(directory: str | Path | None = None) -> tuple[Any, dict[str, Any]]:
    """Load a model after checking each file's sha256; return (model, manifest)."""
    d = model_dir(directory)
    manifest = read_manifest(d)
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != {ARRAYS_FILE, STRUCTURE_FILE}:
        raise ModelError(
            f"the model in {d} was saved by an older jobscam (a pickle, format "
            f"{manifest.get('model_format', 1)}); this jobscam reads only models saved as "
            "data. Retrain with `jobscam train`."
        )
    raw_arrays = _checked(d, ARRAYS_FILE, files[ARRAYS_FILE])
    raw_structure = _checked(d, STRUCTURE_FILE, files[STRUCTURE_FILE])
    try:
        structure = json.loads(raw_structure)
        with np.load(io.BytesIO(raw_arrays), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError) as exc:
        raise ModelError(f"the model files in {d} cannot be read ({exc}): retrain") from exc
    return model_from_data(structure, arrays), manifest


__all__ = [
    "ModelError",
    "save_model",
    "load_model",
    "read_manifest",
    "library_versions",
    "model_to_data",
    "model_from_data",
    "sha256_file",
    "DEFAULT_MODEL_DIR",
]
