"""``jobscam train``: fit the model on both labelled corpora and save it with its manifest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ..model.dataset import NATURAL_SCAM_RATE, fingerprint, load_training
from ..model.ensemble import MODEL_FORMAT, JobScamModel
from ..model.persistence import DEFAULT_MODEL_DIR, read_manifest, save_model
from ..rules import load_registry


def train(
    data: str | Path | None = None,
    out_dir: str | Path | None = None,
    real: str | Path | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Train on all labelled rows of EMSCAD (``data``) and the real ads (``real``) and write
    ``models/`` (model file + manifest).

    Returns the manifest. Evaluation figures are added by :func:`detector.training.evaluate.evaluate`.
    """
    t0 = time.perf_counter()
    frame, groups = load_training(data, real)
    y = frame["fraudulent"].to_numpy()
    model = JobScamModel(**params).fit(frame, y, groups=groups)
    seconds = time.perf_counter() - t0
    out = Path(out_dir) if out_dir is not None else DEFAULT_MODEL_DIR
    corpus = frame["corpus"].to_numpy()
    e, r = corpus == "emscad", corpus == "real"
    real_counts = {
        f"{lang}_{'scam' if label else 'legit'}": int(
            ((frame["language"] == lang) & r & (y == label)).sum()
        )
        for lang in ("id", "en")
        for label in (1, 0)
    }
    manifest = {
        "version": time.strftime("%Y.%m.%d", time.gmtime()),
        "model_format": MODEL_FORMAT,
        "params": model.get_params(),
        "thresholds": {
            key: {"high": th.high, "medium": th.medium} for key, th in model.thresholds_.items()
        },
        "training_data": {
            "emscad": {
                "rows": int(e.sum()),
                "scam_rows": int(y[e].sum()),
                "template_groups": int(np.unique(groups[e]).size),
                "fingerprint": fingerprint(frame[e]),
                "ads_posted": "2012-2014 (EMSCAD)",
                "natural_scam_rate": round(NATURAL_SCAM_RATE, 4),
            },
            "real": {
                "rows": int(r.sum()),
                **real_counts,
                "cv_groups": int(np.unique(groups[r]).size),
                "source_groups": int(frame.loc[r, "source_group"].nunique()),
                "fingerprint": fingerprint(frame[r]),
            },
        },
        "rules_fingerprint": load_registry().fingerprint,
        "train_seconds": round(seconds, 1),
    }
    save_model(model, out, manifest)
    return read_manifest(out)
