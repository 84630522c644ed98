"""Networks in scan output files: the clusters table, and the member columns added to a
finished output (CSV, JSONL, Parquet) chunk by chunk.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..network.dask import cluster_dask
from ..network.graph import ClusterCollector
from ..network.table import row_columns
from .readers import detect_format
from .writers import Writer, read_output


def write_clusters(table: pd.DataFrame, hubs: Mapping[str, int], path: str) -> int:
    """Write a clusters table (format from the name) and ``PATH.hubs.json``; return its rows."""
    w = Writer(path, detect_format(path))
    w.write(table)
    w.close()
    if hubs:
        Path(f"{path}.hubs.json").write_text(
            json.dumps(dict(Counter(hubs).most_common(100)), ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    return len(table)


def annotate_output(
    path: str, collector: ClusterCollector, labels: np.ndarray, table: pd.DataFrame
) -> int:
    """Add :data:`ROW_COLUMNS` to a finished scan output (CSV, JSONL or Parquet), in place.

    ``labels, table`` are ``collector.result()`` (computed once by the caller, who also
    writes the table). A scan writes rows as they are scored, before the networks are known;
    this rewrites the output chunk by chunk (bounded memory), matching rows by source file
    and line (or row) number, so ``--min-risk`` and ``--sort`` outputs work too. Returns the
    rows written.
    """
    rows = zip(collector.row_keys(), labels.tolist(), strict=True)
    key_of = {key: int(c) for key, c in rows if c >= 0}
    fmt = detect_format(path)
    tmp = f"{path}.clustering"
    w = Writer(tmp, fmt)
    done = 0
    for part in read_output(path, fmt, rows=50_000):
        num = "line" if "line" in part.columns else "row"
        srcs = part["source_file"].tolist() if "source_file" in part.columns else [None] * len(part)
        keys = zip(
            (Path(x).name if isinstance(x, str) else None for x in srcs),
            (str(n) for n in part[num].tolist()),
            strict=True,
        )
        found = np.array([key_of.get(k, -1) for k in keys], dtype=np.int64)
        for name, values in row_columns(found, table).items():
            part[name] = values
        w.write(part)
        done += len(part)
    w.close()
    os.replace(tmp, path)
    return done


def _natural(path: Path) -> list[Any]:
    """``part.2`` before ``part.10``: the order the Dask engine wrote its partitions."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def partition_files(output_dir: str) -> list[Path]:
    """A Dask scan's Parquet partitions, in the order their rows are numbered."""
    return sorted(Path(output_dir).glob("*.parquet"), key=_natural)


def _annotate_partitions(files: list[Path], assignments: pd.DataFrame, table: pd.DataFrame) -> None:
    """Add the member columns to each partition, in place (rows numbered across the files)."""
    found = dict(zip(assignments["row"].tolist(), assignments["cluster_id"].tolist(), strict=True))
    offset = 0
    for f in files:
        frame = pd.read_parquet(f)
        rows = np.arange(offset, offset + len(frame))
        offset += len(frame)
        labels = np.array([found.get(int(r), -1) for r in rows], dtype=np.int64)
        cols = row_columns(labels, table)
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        for name, typ in (("cluster_id", pa.int64()), ("network_risk", pa.string()),
                          ("network_note", pa.string())):  # fmt: skip
            values = pa.array(cols[name], type=typ)
            if name in arrow.column_names:
                arrow = arrow.set_column(arrow.column_names.index(name), name, values)
            else:
                arrow = arrow.append_column(name, values)
        tmp = f.with_name(f.name + ".clustering")
        pq.write_table(arrow, tmp)
        os.replace(tmp, f)


def cluster_output(
    output: str | None,
    clusters_out: str,
    *,
    collector: ClusterCollector | None = None,
    text_column: str | None = None,
    column_map: Mapping[str, str] | None = None,
    scheduler: Any = None,
) -> int:
    """The networks of a finished scan: write the clusters table to ``clusters_out`` and give
    every output row ``cluster_id``, ``network_risk`` and ``network_note``. Returns the
    number of networks.

    The one way scans are clustered, for both engines. A local scan passes the
    ``collector`` that gathered each chunk's keys as it was written (no second read of the
    text); a Dask scan's partitioned Parquet (``output`` a directory, no collector) is
    clustered on the same ``scheduler`` by :func:`detector.network.cluster_dask`, and its
    partitions get the member columns too. ``output`` ``None`` or ``"-"``: only the table.
    """
    if collector is not None:
        labels, table = collector.result()  # clustered once, for the table and the rows
        n = write_clusters(table, collector.hubs, clusters_out)
        if output and output != "-":
            annotate_output(output, collector, labels, table)
        return n
    if not output or not Path(output).is_dir():
        raise ValueError("cluster_output() needs a collector, or a Dask scan's output folder")
    import dask.dataframe as dd

    files = partition_files(output)
    assignments, table = cluster_dask(
        dd.read_parquet([str(f) for f in files]),
        text_column=text_column,
        column_map=column_map,
        scheduler=scheduler,
    )
    n = write_clusters(table, table.attrs.get("hubs", {}), clusters_out)
    _annotate_partitions(files, assignments, table)
    return n
