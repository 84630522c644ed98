"""``jobscam evaluate``: grouped cross-validation on both corpora, leave-one-source-out,
baselines, ablation, plots and the model card.

Protocol
--------
* Folds are grouped: an EMSCAD template (near-duplicates at TF-IDF cosine ≥ 0.8) or a real
  ad's ``cv_group`` (one web page or one scraped file, near-duplicates merged) never
  straddles train and test; folds are stratified by corpus, language and label.
* Each outer fold trains a whole model on its training part (its decision and bands fitted
  on its own inner out-of-fold predictions, never on the test part), and the test part is
  scored by :class:`~detector.core.Detector` itself, so the figures are those of what users
  get: EMSCAD ads pasted (fields joined) and as fields, real ads pasted.
* EMSCAD metrics weight each row by how many ads of its class it stands for (4.84% scams).
  Real-ads metrics are per language and label, with counts.
* Leave-one-source-out: for the largest source of each language and label, a model trained
  without that source scores it.
* Baselines on the same folds: a plain word TF-IDF + logistic regression and a format-only
  model (length, line breaks, capitals, ``!``, non-ASCII share), both trained on the real ads.
* Ablation: the decision refitted without each of its inputs (the experts are shared, see
  :meth:`~detector.model.ensemble.JobScamModel.variant`), on the same folds and sources.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from ..core import Detector
from ..model.dataset import load_training
from ..model.ensemble import JobScamModel
from ..model.frames import lexical_text_of_fields
from ..model.persistence import load_model, model_dir, read_manifest, update_manifest
from ..rules import load_registry
from ..schema import META_FIELDS, TEXT_FIELDS, Ad
from .card import render_card
from .metrics import LANGS, MODES, baselines, emscad_metrics, real_metrics, shares
from .plots import curves, plot_pr, plot_reliability
from .reports import failure_report, project_ads_report, red_flag_report, top_features

#: Decision variants of the ablation: name -> inputs switched off.
VARIANTS: dict[str, dict[str, bool]] = {
    "shipped": {},
    "no red-flag features": {"use_indicators": False},
    "no real-ads expert": {"use_real": False},
    "no EMSCAD expert": {"use_emscad": False},
    "no trafficking floor": {"use_floor": False},
    "no metadata (fields)": {"use_meta": False},
}
#: Whose terms the card lists: Indonesian, and English as the era gate reads a modern ad (1)
#: and an EMSCAD-like one (0).
#: Targets of the real-ads figures, per language (issue 11).
TARGETS = {"scam_medium_or_high": 0.90, "legit_medium_or_high": 0.15, "legit_high": 0.05}


# -- scoring rows as the Detector receives them --------------------------------------------


def row_ads(frame: pd.DataFrame, mode: str) -> list[Ad | None]:
    """Each row as an :class:`Ad`: a real ad pasted; an EMSCAD ad pasted (its fields joined
    without labels or location) or as fields and metadata. None where it cannot be scored."""
    out: list[Ad | None] = []
    cols = [c for c in (*TEXT_FIELDS, *META_FIELDS) if c in frame.columns]
    for rec, corpus, text in zip(
        frame[cols].to_dict("records"), frame["corpus"], frame["text"], strict=True
    ):
        try:
            if corpus != "emscad":
                out.append(Ad.from_input(text))
            elif mode == "paste":
                out.append(Ad.from_input(lexical_text_of_fields(rec)))
            else:
                out.append(Ad.from_input({k: v for k, v in rec.items() if str(v).strip()}))
        except Exception:  # an empty row: counted as not scored
            out.append(None)
    return out


def score_rows(det: Detector, ads: Sequence[Ad | None]) -> tuple[np.ndarray, np.ndarray]:
    """Scores and bands of the ads (NaN / None where an ad could not be scored)."""
    p = np.full(len(ads), np.nan)
    risk = np.full(len(ads), None, dtype=object)
    good = [i for i, a in enumerate(ads) if a is not None]
    for i, v in zip(good, det.score_many([ads[i] for i in good]), strict=True):
        p[i] = v.probability
        risk[i] = v.risk
    return p, risk


def outer_folds(frame: pd.DataFrame, groups: np.ndarray, n_splits: int, seed: int = 42):
    y = frame["fraudulent"].to_numpy().astype(str)
    strata = (frame["corpus"] + frame["language"]).to_numpy().astype(str)
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(cv.split(np.zeros(len(frame)), np.char.add(strata, y), groups))


# -- the protocol ----------------------------------------------------------------------------


def cross_validate(
    frame: pd.DataFrame,
    groups: np.ndarray,
    n_splits: int = 5,
    params: dict[str, Any] | None = None,
    variants: dict[str, dict[str, bool]] | None = None,
) -> dict[str, Any]:
    """Out-of-fold scores and bands of every row, per decision variant and mode."""
    params = dict(params or {})
    variants = variants or {"shipped": {}}
    y = frame["fraudulent"].to_numpy()
    folds = outer_folds(frame, groups, n_splits)
    ads = {mode: row_ads(frame, mode) for mode in MODES}
    n = len(frame)
    out: dict[str, Any] = {"y": y, "folds": folds, "variants": {}}
    for name in variants:
        out["variants"][name] = {
            mode: {"p": np.full(n, np.nan), "risk": np.full(n, None, dtype=object)}
            for mode in MODES
        }
    straddling = 0
    for tr, te in folds:
        straddling += len(set(groups[tr]) & set(groups[te]))
        base = JobScamModel(**params).fit(frame.iloc[tr], y[tr], groups=groups[tr])
        for name, switch in variants.items():
            det = Detector(base.variant(**switch) if switch else base)
            for mode in MODES:
                p, risk = score_rows(det, [ads[mode][i] for i in te])
                out["variants"][name][mode]["p"][te] = p
                out["variants"][name][mode]["risk"][te] = risk
    out["groups_straddling"] = straddling
    return out


def leave_one_source_out(
    frame: pd.DataFrame,
    groups: np.ndarray,
    params: dict[str, Any] | None = None,
    variants: dict[str, dict[str, bool]] | None = None,
) -> list[dict[str, Any]]:
    """For the largest real-ads source of each language and label: train without it, score it."""
    params = dict(params or {})
    variants = variants or {"shipped": {}}
    real = frame[frame["corpus"] == "real"]
    y = frame["fraudulent"].to_numpy()
    ads = row_ads(frame, "paste")
    out = []
    for lang in LANGS:
        for label, name in ((1, "scam"), (0, "legit")):
            part = real[(real["language"] == lang) & (real["fraudulent"] == label)]
            if part.empty:
                continue
            source = part["source_group"].value_counts().index[0]
            test = np.flatnonzero((frame["source_group"] == source).to_numpy())
            train = np.setdiff1d(np.arange(len(frame)), test)
            base = JobScamModel(**params).fit(frame.iloc[train], y[train], groups=groups[train])
            row: dict[str, Any] = {
                "language": lang,
                "label": name,
                "source": source,
                "rows": int(len(test)),
                "variants": {},
            }
            for vname, switch in variants.items():
                det = Detector(base.variant(**switch) if switch else base)
                _, risk = score_rows(det, [ads[i] for i in test])
                row["variants"][vname] = shares(risk[y[test] == label])
            out.append(row)
    return out


def summarise(frame: pd.DataFrame, cv: dict[str, Any]) -> dict[str, Any]:
    """Per variant: EMSCAD metrics per mode, real-ads metrics per language."""
    y = cv["y"]
    corpus = frame["corpus"].to_numpy()
    lang = frame["language"].to_numpy()
    out: dict[str, Any] = {}
    for name, v in cv["variants"].items():
        e = corpus == "emscad"
        ok = {m: e & ~np.isnan(v[m]["p"]) for m in MODES}
        s = {
            "emscad": {
                m: emscad_metrics(y[ok[m]], v[m]["p"][ok[m]], v[m]["risk"][ok[m]]) for m in MODES
            },
            "real": {},
        }
        for lg in LANGS:
            m = (corpus == "real") & (lang == lg) & ~np.isnan(v["paste"]["p"])
            s["real"][lg] = real_metrics(y[m], v["paste"]["p"][m], v["paste"]["risk"][m])
        out[name] = s
    return out


# -- the command -----------------------------------------------------------------------------


def evaluate(
    data: str | Path | None = None,
    out_dir: str | Path | None = None,
    n_splits: int = 5,
    real: str | Path | None = None,
    ablate: bool = True,
) -> dict[str, Any]:
    """Run the protocol, write plots + MODEL_CARD.md into the model folder, add metrics to the
    manifest, and return the report."""
    t0 = time.perf_counter()
    d = model_dir(out_dir)
    manifest = read_manifest(d)
    frame, groups = load_training(data, real)
    params = manifest.get("params", {})
    variants = VARIANTS if ablate else {"shipped": {}}
    cv = cross_validate(frame, groups, n_splits, params, variants)
    summary = summarise(frame, cv)
    shipped = summary["shipped"]
    report: dict[str, Any] = {
        "n_splits": n_splits,
        "emscad": shipped["emscad"],
        "real": shipped["real"],
        "ablation": {k: v for k, v in summary.items()} if ablate else {},
        "baselines": baselines(frame, cv["folds"]),
        "loso": leave_one_source_out(frame, groups, params, variants),
        "groups_straddling": int(cv["groups_straddling"]),
        "rows": {
            "emscad": int((frame["corpus"] == "emscad").sum()),
            "real": int((frame["corpus"] == "real").sum()),
            "groups": int(np.unique(groups).size),
        },
    }
    pr = curves(frame, cv)
    plot_pr(pr, d / "pr_curve.png")
    report["reliability"] = plot_reliability(pr, d / "reliability.png")
    reg = load_registry()
    report["red_flags"] = red_flag_report(frame)
    report["failures"] = failure_report(frame, cv, [reg.analyze(t) for t in frame["text"]])
    report["project_ads"] = project_ads_report(d)
    model, _ = load_model(d)
    report["top_features"] = top_features(model)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    update_manifest(
        d,
        metrics={
            "emscad": {
                mode: {k: v for k, v in m.items() if not k.startswith("confusion")}
                for mode, m in report["emscad"].items()
            },
            "real": {
                lg: {
                    k: m[k]
                    for k in (
                        "roc_auc",
                        "scam_medium_or_high",
                        "legit_medium_or_high",
                        "legit_high",
                    )
                }
                for lg, m in report["real"].items()
            },
        },
        evaluation={
            "protocol": f"grouped {n_splits}-fold CV on both corpora (EMSCAD templates at "
            "cosine>=0.8, real ads by cv_group) + leave-one-source-out",
            **report["rows"],
        },
    )
    card = d / "MODEL_CARD.md"
    card.write_text(render_card(report, read_manifest(d)), encoding="utf-8")
    (d / "evaluation.json").write_text(
        json.dumps({k: v for k, v in report.items() if k != "reliability"}, indent=2, default=str)
        + "\n"
    )
    report["card"] = str(card)
    return report


__all__: Sequence[str] = ["evaluate", "cross_validate", "render_card", "real_metrics"]
