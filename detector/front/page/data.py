"""The page's only door to the batch scanner and the network clustering.

The page reaches the scanner (:mod:`detector.batch`) and the clustering
(:mod:`detector.network`) ONLY through the functions here, so a change of either, or of the
output columns, is met in this one file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pandas as pd
import pyarrow.parquet as pq

from ... import batch as scanmod
from ... import network
from ...core import Detector

ScanError = scanmod.ScanError
#: Columns the scanner adds to each input row.
RESULT_COLUMNS: tuple[str, ...] = scanmod.RESULT_COLUMNS
#: Columns the clustering adds to each scored row.
NET_COLUMNS: tuple[str, ...] = network.ROW_COLUMNS
SCAN_CHUNK = 500


def estimate_rows(name: str, data: bytes) -> int:
    """Rows to expect, for the progress bar (lines for text formats, metadata for Parquet)."""
    if name.lower().endswith((".parquet", ".pq")):
        try:
            return int(pq.ParquetFile(io.BytesIO(data)).metadata.num_rows)
        except Exception:  # an unreadable file: the scan reports it properly
            return 1
    return max(1, data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1)


def scan_bytes(
    det: Detector, name: str, data: bytes, on_chunk: Callable[[pd.DataFrame], None]
) -> pd.DataFrame:
    """Score every row of an uploaded file; malformed rows come back with ``error`` set."""
    fmt = "tsv" if name.lower().endswith(".tsv") else scanmod.detect_format(name)
    parts: list[pd.DataFrame] = []

    def chunk(rows: pd.DataFrame) -> None:
        parts.append(rows)
        on_chunk(rows)

    scanmod.scan(
        "-",
        None,
        input_format=fmt,
        chunk_size=SCAN_CHUNK,
        workers=1,
        detector=det,
        stdin=io.BytesIO(data),
        on_chunk=chunk,
    )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def cluster(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scored rows with cluster columns, and one row per cluster (``attrs["hubs"]`` set)."""
    return network.cluster(rows)


def text_links(members: pd.DataFrame) -> list[tuple[int, int]]:
    """Pairs of member positions whose texts are near-identical."""
    return network.text_links(members)


def input_columns(rows: pd.DataFrame) -> list[str]:
    """The columns that came from the uploaded file (not added by scanning or clustering)."""
    return [c for c in rows.columns if c not in (*RESULT_COLUMNS, *NET_COLUMNS, "line", "row")]


def field_columns(rows: pd.DataFrame) -> dict[str, str]:
    """Ad field (``title``, ``text``, ``description``, ``company_profile`` ...) -> input column."""
    try:
        return dict(scanmod.map_columns(input_columns(rows)))
    except ScanError:
        return {}


def _items(cell: object) -> list:
    """A JSON list cell (the new output shape), or [] when the cell is not one."""
    if isinstance(cell, list):
        return cell
    if isinstance(cell, str) and cell.startswith("["):
        try:
            value = json.loads(cell)
        except ValueError:
            return []
        return value if isinstance(value, list) else []
    return []


#: A row's contacts cell as ``kind:value`` identifiers: the one reader networks use too.
contact_ids = network.contact_ids


def categories_of(cell: object) -> list[str]:
    """A row's finding categories (``visa``, ``fees`` ...), in order, unique."""
    items = _items(cell)
    if items:
        cats = [str(x) for x in items]
    elif isinstance(cell, str):
        cats = cell.split(";")
    else:
        cats = []
    return [c for c in dict.fromkeys(cats) if c]


def to_download(frame: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "CSV":
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == "JSONL":
        return frame.to_json(orient="records", lines=True, force_ascii=False).encode("utf-8")
    safe = frame.copy()
    for c in safe.columns:
        if safe[c].dtype == object:
            safe[c] = safe[c].map(lambda x: None if x is None or x != x else str(x))
    buf = io.BytesIO()
    safe.to_parquet(buf, index=False)
    return buf.getvalue()
