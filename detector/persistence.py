"""The ONLY place that saves and loads model files.

A model file is a joblib pickle, and unpickling runs code: so a model is loaded only from the
project's own ``models/`` folder (or a path the user names), only after its sha256 matches the
manifest written beside it, and only when the libraries that will unpickle it are the versions
it was saved with. Never load a model from an upload or a URL.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import scipy
import sklearn

MODEL_FILE = "jobscam.joblib"
MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 1
#: The shipped model's folder.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models"


class ModelError(RuntimeError):
    """A model file is missing, tampered with, or made by other library versions."""


def library_versions() -> dict[str, str]:
    from . import __version__

    return {
        "python": platform.python_version(),
        "jobscam": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
    }


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model(model: Any, directory: str | Path, manifest: dict[str, Any]) -> Path:
    """Write the model and its manifest (sha256, versions, created date + what the caller adds)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    path = d / MODEL_FILE
    tmp = path.with_suffix(".tmp")
    joblib.dump(model, tmp, compress=3)
    tmp.replace(path)
    full = {
        "manifest_version": MANIFEST_VERSION,
        "model_file": MODEL_FILE,
        "sha256": sha256_file(path),
        "size_bytes": path.stat().st_size,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": library_versions(),
        **manifest,
    }
    write_manifest(d, full)
    return path


def write_manifest(directory: str | Path, manifest: dict[str, Any]) -> None:
    p = Path(directory) / MANIFEST_FILE
    p.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
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


def check_versions(manifest: dict[str, Any]) -> None:
    """Refuse to unpickle with other scikit-learn/numpy/scipy versions than the model's."""
    saved = manifest.get("libraries", {})
    now = library_versions()
    bad = []
    for lib in ("scikit-learn", "numpy", "scipy"):
        a, b = saved.get(lib), now[lib]
        if a is None or a.split(".")[:2] != b.split(".")[:2]:
            bad.append(f"{lib} {a} (model) vs {b} (installed)")
    if bad:
        raise ModelError(
            "the model was saved with other library versions: "
            + "; ".join(bad)
            + ". Retrain with `jobscam train` (or install the versions the model lists)."
        )


def model_dir(directory: str | Path | None = None) -> Path:
    """The model folder: the one given, else ``$JOBSCAM_MODEL_DIR``, else the shipped models/."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get("JOBSCAM_MODEL_DIR")
    return Path(env) if env else DEFAULT_MODEL_DIR


def load_model(directory: str | Path | None = None) -> tuple[Any, dict[str, Any]]:
    """Load a model after checking its sha256 and library versions; return (model, manifest)."""
    d = model_dir(directory)
    manifest = read_manifest(d)
    path = d / manifest.get("model_file", MODEL_FILE)
    if path.resolve().parent != d.resolve():
        raise ModelError(f"manifest names a model file outside {d}: refusing to load")
    if not path.exists():
        raise ModelError(f"model file {path} is missing; retrain with `jobscam train`")
    digest = sha256_file(path)
    if digest != manifest.get("sha256"):
        raise ModelError(
            f"model file {path} does not match its manifest (sha256 {digest[:12]}… vs "
            f"{str(manifest.get('sha256'))[:12]}…): it was changed or corrupted. Refusing to "
            "load it. Restore models/ from the repository or retrain with `jobscam train`."
        )
    check_versions(manifest)
    return joblib.load(path), manifest


__all__ = [
    "ModelError",
    "save_model",
    "load_model",
    "read_manifest",
    "check_versions",
    "library_versions",
    "sha256_file",
    "DEFAULT_MODEL_DIR",
]
