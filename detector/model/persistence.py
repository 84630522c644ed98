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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import scipy
import sklearn

from .. import paths
from .format import ModelError, model_from_data, model_to_data

ARRAYS_FILE = "model.npz"
STRUCTURE_FILE = "model.json"
#: The file the manifest's top-level ``sha256`` and ``size_bytes`` describe.
MODEL_FILE = ARRAYS_FILE
MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 2
#: The layout of model.json / model.npz; a change here needs a retrain.
DEFAULT_MODEL_DIR = paths.DEFAULT_MODEL_DIR


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
    "sha256_file",
    "DEFAULT_MODEL_DIR",
]
