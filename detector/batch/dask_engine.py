"""The Dask engine: the same reading and scoring over a directory of partitions with
``dask.dataframe``, written as partitioned Parquet.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..columns import ScanError, map_columns
from ..rows import NUMBER_COLUMNS
from .clusters import cluster_output, partition_files
from .readers import detect_format, expand_inputs, read_chunks
from .results import RESULT_COLUMNS, canonical, combine_results, get_detector, score_canonical
from .summary import ScanSummary
from .writers import schema_for


def _read_file_frame(
    path: str, fmt: str | None, number_column: str, columns: list[str]
) -> pd.DataFrame:
    parts = [
        combine_results(c, np.array([], dtype=int), None, number_column)
        for c in read_chunks([path], fmt, 1 << 30)
    ]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    frame["source_file"] = path
    # Partitions share the first file's columns (as the local engine's output does).
    return frame.reindex(columns=columns)


def _score_partition(
    frame: pd.DataFrame, mapping: Mapping[str, str], model_dir: str | None
) -> pd.DataFrame:
    """Score one partition (rows with read errors keep them); model cached per worker."""
    frame = frame.reset_index(drop=True)
    ok_rows = np.flatnonzero(frame["error"].isna().to_numpy())
    if len(ok_rows):
        canon = canonical(frame.iloc[ok_rows], mapping)
        scored = score_canonical(get_detector(model_dir), canon)
        for c in RESULT_COLUMNS:
            col = np.array(frame[c].tolist(), dtype=float if c in NUMBER_COLUMNS else object)
            col[ok_rows] = (
                [np.nan if v is None else v for v in scored[c].tolist()]
                if (c in NUMBER_COLUMNS)
                else scored[c].tolist()
            )
            frame[c] = col
    for c in NUMBER_COLUMNS:
        frame[c] = frame[c].astype(float)
    return frame


def scan_dask(
    input_dir: str,
    output_dir: str,
    *,
    input_format: str | None = None,
    text_column: str | None = None,
    column_map: Mapping[str, str] | None = None,
    scheduler: Any = None,
    model_dir: str | None = None,
    clusters_out: str | None = None,
) -> ScanSummary:
    """Score a directory (or glob) of partitions with dask.dataframe into partitioned Parquet.

    One input file is one partition, read with the same error-tolerant readers as
    :func:`scan`, so the rows, line numbers and results equal the local engine's.
    ``scheduler`` is a ``dask.distributed.Client``, a scheduler address, or ``None`` for
    the local processes scheduler. The model loads once per worker process.
    ``clusters_out``: also cluster the scored rows on the same scheduler
    (:func:`~detector.batch.clusters.cluster_output`, reading the written Parquet back, so
    nothing is scored twice), write the clusters table there, and give every output row
    ``cluster_id``, ``network_risk`` and ``network_note`` as the local engine does.
    """
    import dask
    import dask.dataframe as dd

    t0 = time.perf_counter()
    files = expand_inputs(input_dir)
    fmts = {detect_format(f, input_format) for f in files}
    number_column = "row" if fmts == {"parquet"} else "line"
    first = next(iter(read_chunks(files[:1], input_format, 50)), None)
    if first is None:
        raise ScanError(f"{files[0]} holds no rows")
    mapping = map_columns(list(first.frame.columns), text_column, column_map)
    meta = combine_results(first, np.array([], dtype=int), None, number_column).iloc[:0]
    meta["source_file"] = pd.Series(dtype=object)
    for c in NUMBER_COLUMNS:
        meta[c] = meta[c].astype(float)
    parts = [
        dask.delayed(_read_file_frame)(f, input_format, number_column, list(meta.columns))  # type: ignore[attr-defined]
        for f in files
    ]
    ddf = dd.from_delayed(parts, meta=meta, verify_meta=False)
    scored = ddf.map_partitions(_score_partition, mapping, model_dir, meta=meta)
    schema = schema_for(meta)
    client = None
    n_clusters: int | None = None
    if isinstance(scheduler, str):
        from distributed import Client

        client = Client(scheduler)
        scheduler = client
    try:
        kw: dict[str, Any] = {}
        if scheduler is None:
            kw["scheduler"] = "processes"
        scored.to_parquet(
            output_dir, write_index=False, schema=schema, overwrite=True, compute_kwargs=kw
        )
        if clusters_out:
            n_clusters = cluster_output(
                output_dir,
                clusters_out,
                text_column=text_column,
                column_map=column_map,
                scheduler=kw.get("scheduler"),
            )
    finally:
        if client is not None:
            client.close()
    summary = ScanSummary(output=output_dir)
    summary.clusters = n_clusters
    summary.number_column = number_column
    for part in partition_files(output_dir):
        frame = pd.read_parquet(
            part, columns=["risk", "error", "categories", "contacts", "source_file", number_column]
        )
        summary.add(frame, len(frame))
        bad = frame[frame["error"].notna()]
        # Each error row with its file and first line (or row); the Dask engine does not
        # carry a multi-line CSV record's last line into the output, so both ends are the first.
        summary.error_rows.extend(
            [src, int(n), int(n)]
            for src, n in zip(bad["source_file"].tolist(), bad[number_column].tolist(), strict=True)
        )
    summary.seconds = time.perf_counter() - t0
    return summary
