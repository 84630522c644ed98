"""The same networks over a ``dask.dataframe``, without bringing the rows together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..columns import ScanError
from .graph import (
    ClusterCollector,
    components,
    hub_limit,
    id_edges,
    id_pairs,
    mapping_for,
    row_texts,
    star,
)
from .keys import NUM_BANDS, band_matrix
from .table import CLUSTER_COLUMNS


# -- the Dask path -----------------------------------------------------------------------
def _partition_keys(
    frame: pd.DataFrame, offset: int, mapping: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One partition's link keys, rows numbered globally from ``offset``:
    ``(row, ident)`` pairs and ``(row, slot, key)`` band keys (one per band)."""
    rows, ids = id_pairs(frame["contacts"].tolist(), offset)
    idf = pd.DataFrame({"row": rows, "ident": pd.Series(ids, dtype=object)})
    keys, ok = band_matrix(row_texts(frame, mapping))
    text_rows = np.flatnonzero(ok) + offset
    bdf = pd.DataFrame(
        {
            "row": np.repeat(text_rows, NUM_BANDS),
            "slot": np.tile(np.arange(NUM_BANDS, dtype=np.int8), len(text_rows)),
            "key": keys[ok].ravel(),
        }
    )
    return idf, bdf


_EDGE_META = pd.DataFrame(
    {"src": np.zeros(0, np.int64), "dst": np.zeros(0, np.int64), "kind": np.zeros(0, np.int8)}
)


def _edge_frame(src: np.ndarray, dst: np.ndarray, kind: int) -> pd.DataFrame:
    return pd.DataFrame({"src": src, "dst": dst, "kind": np.full(len(src), kind, np.int8)})


def _id_partition_edges(part: pd.DataFrame, limit: int) -> pd.DataFrame:
    # After the shuffle every row holding an identifier is in this partition: exact counts.
    src, dst, _ = id_edges(part["row"].to_numpy(np.int64), part["ident"].to_numpy(object), limit)
    return _edge_frame(src, dst, 0)


def _id_partition_hubs(part: pd.DataFrame, limit: int) -> pd.DataFrame:
    _, _, hubs = id_edges(part["row"].to_numpy(np.int64), part["ident"].to_numpy(object), limit)
    return pd.DataFrame(
        {
            "ident": pd.Series(list(hubs), dtype=object),
            "rows": np.array(list(hubs.values()), np.int64),
        }
    )


def _band_partition_edges(part: pd.DataFrame) -> pd.DataFrame:
    src, dst = star(
        part["row"].to_numpy(np.int64),
        part["slot"].to_numpy(np.int8),
        part["key"].to_numpy(np.int64),
    )
    return _edge_frame(src, dst, 1)


def _partition_members(frame: pd.DataFrame, positions: np.ndarray, offset: int) -> pd.DataFrame:
    """The clustered rows of one partition, numbered like the local engine when unnumbered."""
    out = frame.iloc[positions].copy()
    if "line" not in out.columns and "row" not in out.columns:
        out["row"] = positions + offset
    return out


def cluster_dask(
    scored: Any,
    *,
    text_column: str | None = None,
    column_map: Mapping[str, str] | None = None,
    hub_share: float = 0.01,
    min_hub_rows: int = 20,
    scheduler: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster a ``dask.dataframe`` of scored ads (e.g. ``jobscam scan --engine dask`` output).

    The same links and clusters as :func:`cluster` on the concatenated partitions, computed
    without bringing the rows together: each partition makes its rows' link keys
    (identifiers from ``contacts``, MinHash band keys); a shuffle by key puts every row
    holding a key into one partition, which makes that key's star edges and counts its
    hubs exactly; only the edges (far fewer than the rows) come back for the connected
    components; then only the clustered rows are fetched for the table.

    Returns ``(assignments, clusters)``: ``assignments`` has ``row`` (global position, in
    partition order) and ``cluster_id`` for every clustered row; ``clusters`` is the table
    of :func:`cluster`, with ``attrs["hubs"]``. ``scheduler`` is passed to ``dask.compute``
    (None: dask's default, e.g. the active ``distributed.Client``).
    """
    import dask
    import dask.dataframe as dd

    if "contacts" not in scored.columns:
        raise ScanError("cluster_dask() needs scored rows (a 'contacts' column): scan first")
    kw: dict[str, Any] = {} if scheduler is None else {"scheduler": scheduler}
    mapping = mapping_for(list(scored.columns), text_column, column_map)
    lengths = scored.map_partitions(len).compute(**kw)
    offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))])
    limit = hub_limit(int(offsets[-1]), hub_share, min_hub_rows)
    parts = scored.to_delayed()
    keyed = [
        dask.delayed(_partition_keys, nout=2)(p, int(offsets[i]), mapping)  # type: ignore[attr-defined]
        for i, p in enumerate(parts)
    ]
    id_meta, band_meta = _partition_keys(scored._meta, 0, mapping)
    ids = dd.from_delayed([k[0] for k in keyed], meta=id_meta, verify_meta=False)
    bands = dd.from_delayed([k[1] for k in keyed], meta=band_meta, verify_meta=False)
    by_ident = ids.shuffle(on="ident")
    id_edges = by_ident.map_partitions(_id_partition_edges, limit, meta=_EDGE_META)
    hubs_meta = pd.DataFrame({"ident": pd.Series(dtype=object), "rows": np.zeros(0, np.int64)})
    hubs = by_ident.map_partitions(_id_partition_hubs, limit, meta=hubs_meta)
    text_edges = bands.shuffle(on="key").map_partitions(_band_partition_edges, meta=_EDGE_META)
    ie, hb, te = dask.compute(id_edges, hubs, text_edges, **kw)
    edges = pd.concat([ie, te], ignore_index=True)
    nodes, labels, how = components(
        edges["src"].to_numpy(np.int64), edges["dst"].to_numpy(np.int64), edges["kind"].to_numpy()
    )
    part_of = np.searchsorted(offsets, nodes, side="right") - 1
    tasks = [
        dask.delayed(_partition_members)(
            parts[i], nodes[part_of == i] - offsets[i], int(offsets[i])
        )  # type: ignore[attr-defined]
        for i in np.unique(part_of).tolist()
    ]
    frames = dask.compute(*tasks, **kw) if tasks else ()
    col = ClusterCollector(
        text_column=text_column,
        column_map=column_map,
        hub_share=hub_share,
        min_hub_rows=min_hub_rows,
    )
    col.mapping = mapping
    for f in frames:
        col.add(f, link_keys=False)
    col.hubs = dict(zip(hb["ident"].astype(str), hb["rows"].astype(int).tolist(), strict=True))
    table = col.table(labels, how) if len(col) else pd.DataFrame(columns=list(CLUSTER_COLUMNS))
    table.attrs["hubs"] = dict(col.hubs)
    return pd.DataFrame({"row": nodes, "cluster_id": labels}), table
