"""What the card says beside the figures: the shipped model's top terms, its verdicts on the
development set, the ads it gets most wrong and the red-flag layer's own figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import paths
from ..core import Detector
from ..model.ensemble import JobScamModel
from ..model.explain import expert_term_weights
from ..rules import load_registry
from ..rules.measure import findings_report
from .metrics import LANGS

TERM_VIEWS = {"id": 1.0, "en (modern)": 1.0, "en (EMSCAD-like)": 0.0}
PROJECT_ADS = paths.PROJECT_ADS


# -- the shipped model's features, the project's ads -----------------------------------------


def top_features(model: JobScamModel, k: int = 20) -> dict[str, Any]:
    """Per language, the most scam-ward and legit-ward terms in log-odds (both experts as the
    decision weighs them for that language), and the decision's coefficients."""
    out: dict[str, Any] = {}
    for lg, modern in TERM_VIEWS.items():
        w = expert_term_weights(model, lg.split()[0], modern)
        ranked = sorted(w.items(), key=lambda kv: kv[1])
        out[lg] = {
            "scam": [(t, round(c, 3)) for t, c in ranked[::-1][:k]],
            "legit": [(t, round(c, 3)) for t, c in ranked[:k]],
        }
    names = model.design_names("paste")
    coef = model.decision_["paste"].coef_
    out["decision"] = sorted(
        ((n, round(float(c), 3)) for n, c in zip(names, coef, strict=True)),
        key=lambda t: -abs(t[1]),
    )
    return out


def project_ads_report(
    model_folder: str | Path | None = None, path: Path = PROJECT_ADS
) -> dict[str, Any] | None:
    """Rule precision/recall and Detector risk on the project's own written ads: a
    development set (the rules were written against them), not a test."""
    if not path.exists():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    reg = load_registry()
    det = Detector.load(model_folder)
    tp = fp = fn = 0
    by_lang: dict[str, dict[str, Any]] = {}
    for r in rows:
        got = set(reg.analyze(r["text"]).categories)
        want = set(r.get("expected_categories", []))
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        v = det.score(r["text"])
        s = by_lang.setdefault(r["language"], {"scam": [], "legit": []})
        s[r["label"]].append(v.risk)
    out: dict[str, Any] = {
        "ads": len(rows),
        "category_precision": tp / max(tp + fp, 1),
        "category_recall": tp / max(tp + fn, 1),
        "risk_by_language": {},
    }
    for lang, s in by_lang.items():
        out["risk_by_language"][lang] = {
            label: {k: risks.count(k) for k in ("low", "medium", "high")}
            for label, risks in s.items()
        }
    return out


def failure_report(frame: pd.DataFrame, cv: dict[str, Any], analyses: list) -> dict[str, Any]:
    """The real ads the shipped model gets wrong under CV, and whether a red flag was there."""
    y = cv["y"]
    risk = cv["variants"]["shipped"]["paste"]["risk"]
    flagged = np.array([bool(a.findings) for a in analyses])
    out: dict[str, Any] = {}
    for lg in LANGS:
        m = ((frame["corpus"] == "real") & (frame["language"] == lg)).to_numpy()
        missed = m & (y == 1) & (risk == "low")
        raised = m & (y == 0) & np.isin(risk, ["medium", "high"])
        out[lg] = {
            "scams_low": int(missed.sum()),
            "scams_low_without_finding": int((missed & ~flagged).sum()),
            "legit_medium_or_high": int(raised.sum()),
            "legit_medium_or_high_without_finding": int((raised & ~flagged).sum()),
            "legit_high": int((m & (y == 0) & (risk == "high")).sum()),
        }
    return out


def red_flag_report(frame: pd.DataFrame) -> dict[str, Any]:
    """:func:`~detector.rules.measure.findings_report` on each corpus."""
    out: dict[str, Any] = {}
    for corpus, part in frame.groupby("corpus"):
        rows = [
            {"text": t, "language": lg, "label": "scam" if y else "legit"}
            for t, lg, y in zip(part["text"], part["language"], part["fraudulent"], strict=True)
        ]
        out[str(corpus)] = findings_report(rows)
    return out
