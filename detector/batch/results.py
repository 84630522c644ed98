"""From read rows to result rows: canonical fields, scoring a chunk, the result columns."""

from __future__ import annotations

import signal
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..columns import SCORED_FIELDS, ScanError, map_columns
from ..rows import NUMBER_COLUMNS, RESULT_COLUMNS
from ..schema import META_FIELDS
from .chunks import Chunk

DETECTORS: dict[str | None, Any] = {}


def get_detector(model_dir: str | None = None) -> Any:
    """The detector for ``model_dir``, loaded once per process (per worker)."""
    if model_dir not in DETECTORS:
        from ..core import Detector

        DETECTORS[model_dir] = Detector.load(model_dir)
    return DETECTORS[model_dir]


def canonical(frame: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    cols = {f: c for f, c in mapping.items() if f in SCORED_FIELDS or f in META_FIELDS}
    out = pd.DataFrame({f: frame[c] if c in frame.columns else None for f, c in cols.items()})
    out.index = range(len(frame))
    return out


def canonical_per_record(
    chunk: Chunk,
    text_column: str | None,
    column_map: Mapping[str, str] | None,
    cache: dict[tuple[str, ...], dict[str, str] | str],
) -> tuple[np.ndarray, pd.DataFrame | None, list[str | None]]:
    """JSONL: each record's columns mapped on its own keys (records of one chunk may differ:
    a ``text``-only record beside one with ``title`` and ``description``).

    Returns the rows to score, their canonical frame and the chunk's errors with a row error
    for each record that has no column to score.
    """
    assert chunk.keys is not None
    errors = list(chunk.errors)
    rows: list[int] = []
    records: list[dict[str, Any]] = []
    for i, keys in enumerate(chunk.keys):
        if errors[i] is not None:
            continue
        m = cache.get(keys)
        if m is None:
            try:
                m = map_columns(list(keys), text_column, column_map)
            except ScanError as exc:
                m = str(exc)
            cache[keys] = m
        if isinstance(m, str):
            errors[i] = m
            continue
        rows.append(i)
        records.append(
            {
                f: chunk.frame.iat[i, chunk.frame.columns.get_loc(c)]
                for f, c in m.items()
                if f in SCORED_FIELDS or f in META_FIELDS
            }
        )
    ok = np.array(rows, dtype=int)
    canon = pd.DataFrame(records, index=range(len(records)), dtype=object) if records else None
    return ok, canon, errors


def score_canonical(det: Any, canon: pd.DataFrame) -> pd.DataFrame:
    """Result columns for a frame of ad fields (``text`` or field columns), same rows.

    Rows may differ in kind (JSONL records are mapped one by one): rows with ``text`` are
    scored as pasted text, the others by their fields.
    """
    field_cols = [c for c in canon.columns if c != "text"]
    if "text" in canon.columns and field_cols:
        is_text = canon["text"].notna().to_numpy()
        if is_text.all():
            canon = canon[["text"]]
        elif not is_text.any():
            canon = canon[field_cols]
        else:
            parts = [
                score_canonical(det, canon.loc[is_text, ["text"]]),
                score_canonical(det, canon.loc[~is_text, field_cols]),
            ]
            order = np.concatenate([np.flatnonzero(is_text), np.flatnonzero(~is_text)])
            res = pd.concat(parts, ignore_index=True)
            return res.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    text_column = "text" if "text" in canon.columns else None
    res = det.score_frame(canon, text_column=text_column)
    # The TF-IDF's Arrow buffers are freed, but the allocator keeps the pages for reuse:
    # hand them back, or every worker holds its largest chunk's peak (~60 MB) for good.
    pa.default_memory_pool().release_unused()
    return res[list(RESULT_COLUMNS)].reset_index(drop=True)


def score_job(model_dir: str | None, canon: pd.DataFrame) -> pd.DataFrame:
    return score_canonical(get_detector(model_dir), canon)


def init_worker(model_dir: str | None) -> None:
    # Ctrl-C is handled by the parent, which finishes the output cleanly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    get_detector(model_dir)


def combine_results(
    chunk: Chunk, ok_rows: np.ndarray, scored: pd.DataFrame | None, number_column: str
) -> pd.DataFrame:
    """The chunk's original columns + line number + result columns, in input order."""
    n = len(chunk.frame)
    cols: dict[str, list[Any]] = {c: [None] * n for c in RESULT_COLUMNS}
    for c in NUMBER_COLUMNS:
        cols[c] = [np.nan] * n
    if scored is not None and len(ok_rows):
        at = ok_rows.tolist()
        for c in RESULT_COLUMNS:
            dst = cols[c]
            for i, v in zip(at, scored[c].tolist(), strict=True):
                dst[i] = v
    errs = cols["error"]
    for i, e in enumerate(chunk.errors):
        if e is not None:
            errs[i] = e
    out = chunk.frame.reset_index(drop=True).copy()
    for c in (number_column, *RESULT_COLUMNS):
        if c in out.columns:  # an input column with our name: keep it, renamed
            out = out.rename(columns={c: f"input_{c}"})
    out[number_column] = chunk.numbers
    for c in RESULT_COLUMNS:
        if c in NUMBER_COLUMNS:
            out[c] = np.array([np.nan if v is None else v for v in cols[c]], dtype=float)
        else:
            # Missing values are None in text columns, whatever the pandas version's NA.
            out[c] = pd.Series([v if isinstance(v, str) else None for v in cols[c]], dtype=object)
    return out
