"""Loading the labelled job ads (EMSCAD layout) with schema checks and clear errors.

The labelled data lives outside the repository (``../shared/data`` in development, or
wherever the user keeps their copy of EMSCAD); see the README for how to get it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..paths import SHARED_DIR
from ..schema import META_FIELDS, TEXT_FIELDS

#: Ads in the full EMSCAD corpus, per class: the weights that restore the natural scam rate.
CORPUS_FRAUD = 866
CORPUS_LEGIT = 17_014
NATURAL_SCAM_RATE = CORPUS_FRAUD / (CORPUS_FRAUD + CORPUS_LEGIT)

REQUIRED_COLUMNS: tuple[str, ...] = (
    "title",
    "description",
    "fraudulent",
)
#: Columns that describe how a row was recovered; never features.
PROVENANCE_COLUMNS: tuple[str, ...] = (
    "source",
    "job_id_known",
    "job_id_bounds",
    "maybe_duplicate_of_known_row",
    "text_fidelity",
    "resolved_job_id",
    "extra_flags",
)

_DEFAULT_RELATIVE = Path("data") / "emscad" / "emscad_partial.csv"


class DataError(ValueError):
    """The labelled data file is missing or malformed; the message says how."""


def default_data_path() -> Path:
    """Where the labelled data is looked for: ``$JOBSCAM_DATA`` or ``../shared/data``."""
    env = os.environ.get("JOBSCAM_DATA")
    if env:
        return Path(env)
    return SHARED_DIR / _DEFAULT_RELATIVE


def load_labelled(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load and validate labelled ads.

    Parameters
    ----------
    path
        A CSV file in the EMSCAD layout (``title``, ``description``, ..., ``fraudulent``).
        Defaults to :func:`default_data_path`.

    Returns
    -------
    pandas.DataFrame
        Text fields as strings ('' where missing), metadata columns, ``fraudulent`` as int
        0/1, exact duplicates removed, provenance columns dropped, index reset.
    """
    p = Path(path) if path is not None else default_data_path()
    if not p.exists():
        raise DataError(
            f"labelled data not found at {p}. Get EMSCAD (see README, 'Retraining') and pass "
            "its CSV with --data, or set JOBSCAM_DATA."
        )
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{p} is not UTF-8 text: {exc}") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{p} is not a readable CSV: {exc}") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"{p} lacks required column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, df.columns[:20]))}"
        )
    labels = df["fraudulent"].str.strip()
    bad = ~labels.isin(["0", "1"])
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy())[:5] + 2).tolist()  # +2: header, 1-based
        raise DataError(f"{p}: 'fraudulent' must be 0 or 1; bad values on line(s) {rows}")
    out = pd.DataFrame(index=df.index)
    for col in TEXT_FIELDS:
        out[col] = df[col].astype(str).str.strip() if col in df.columns else ""
    for col in META_FIELDS:
        out[col] = df[col].astype(str).str.strip() if col in df.columns else ""
    if "job_id" in df.columns:
        out["job_id"] = pd.to_numeric(df["job_id"], errors="coerce")
    out["fraudulent"] = labels.astype(int)
    key = list(TEXT_FIELDS) + list(META_FIELDS) + ["fraudulent"]
    out = out.drop_duplicates(subset=key).reset_index(drop=True)
    if out["fraudulent"].nunique() < 2:
        raise DataError(f"{p}: needs both scam (1) and legitimate (0) rows")
    return out


def fingerprint(frame: pd.DataFrame) -> str:
    """A sha256 of the rows the model is trained on, for the manifest."""
    h = hashlib.sha256()
    cols = [c for c in (*TEXT_FIELDS, *META_FIELDS, "fraudulent") if c in frame.columns]
    for row in frame[cols].astype(str).itertuples(index=False):
        h.update("\x1f".join(row).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def natural_weights(y: np.ndarray) -> np.ndarray:
    """Per-row weights that make a labelled set stand for the full corpus (4.84% scams)."""
    y = np.asarray(y).astype(int)
    n_pos = max(int(y.sum()), 1)
    n_neg = max(int((1 - y).sum()), 1)
    return np.where(y == 1, CORPUS_FRAUD / n_pos, CORPUS_LEGIT / n_neg).astype(float)


# -- the real ads ---------------------------------------------------------------------------

_REAL_RELATIVE = Path("data") / "realads" / "realads.jsonl"
REAL_REQUIRED = ("text", "label", "language", "cv_group")
REAL_LANGUAGES = frozenset({"en", "id"})


def default_real_path() -> Path:
    """Where the real labelled ads are looked for: ``$JOBSCAM_REAL_DATA`` or ``../shared/data``."""
    env = os.environ.get("JOBSCAM_REAL_DATA")
    if env:
        return Path(env)
    return SHARED_DIR / _REAL_RELATIVE


def load_real(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load and validate the real labelled ads (JSON lines: ``text``, ``label`` = scam | legit,
    ``language`` = en | id, ``cv_group``; ``source_group`` and ``id`` when present).

    Returns a frame with ``text``, ``fraudulent`` (0/1), ``language``, ``cv_group``,
    ``source_group``, ``id``; exact duplicate texts dropped (the first kept).
    """
    import json

    p = Path(path) if path is not None else default_real_path()
    if not p.exists():
        raise DataError(
            f"real labelled ads not found at {p}. Pass them with --real or set "
            "JOBSCAM_REAL_DATA (see README, 'Retraining')."
        )
    rows = []
    with open(p, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{p}, line {n}: not JSON ({exc.msg})") from exc
            if not isinstance(r, dict):
                raise DataError(f"{p}, line {n}: expected a JSON object")
            missing = [k for k in REAL_REQUIRED if not isinstance(r.get(k), str) or not r[k]]
            if missing:
                raise DataError(f"{p}, line {n}: missing or empty {', '.join(missing)}")
            if r["label"] not in ("scam", "legit"):
                raise DataError(f"{p}, line {n}: label must be 'scam' or 'legit'")
            if r["language"] not in REAL_LANGUAGES:
                raise DataError(f"{p}, line {n}: language must be one of {sorted(REAL_LANGUAGES)}")
            rows.append(
                {
                    "text": r["text"],
                    "fraudulent": int(r["label"] == "scam"),
                    "language": r["language"],
                    "cv_group": r["cv_group"],
                    "source_group": str(r.get("source_group") or r["cv_group"]),
                    "id": str(r.get("id") or n),
                }
            )
    out = pd.DataFrame(rows).drop_duplicates(subset=["text"]).reset_index(drop=True)
    if out.empty or out["fraudulent"].nunique() < 2:
        raise DataError(f"{p}: needs both scam and legitimate ads")
    return out


def load_training(
    emscad: str | os.PathLike[str] | None = None, real: str | os.PathLike[str] | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Both corpora in one frame, and the groups that must never straddle folds.

    Columns: the text fields and metadata (a real ad's text is its ``description``), ``text``
    (the ad as the Detector sees it), ``fraudulent``, ``corpus`` (``emscad`` | ``real``),
    ``language`` (EMSCAD: ``en``), ``source_group``, ``cv_group``. Groups: EMSCAD's
    near-duplicate templates, the real ads' ``cv_group``.
    """
    from .frames import frame_texts, template_groups

    e = load_labelled(emscad)
    e_text = frame_texts(e)
    e_groups = template_groups(e_text)
    e = e.assign(
        text=e_text,
        corpus="emscad",
        language="en",
        source_group="emscad",
        cv_group=[f"t{g}" for g in e_groups],
    )
    r = load_real(real)
    rf = pd.DataFrame({c: "" for c in (*TEXT_FIELDS, *META_FIELDS)}, index=r.index)
    rf["description"] = r["text"]
    rf = rf.assign(
        text=r["text"],
        fraudulent=r["fraudulent"],
        corpus="real",
        language=r["language"],
        source_group=r["source_group"],
        cv_group=r["cv_group"],
        real_id=r["id"],
    )
    frame = pd.concat([e, rf], ignore_index=True)
    groups = (frame["corpus"] + ":" + frame["cv_group"].astype(str)).to_numpy()
    return frame, groups
