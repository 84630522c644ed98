"""Linking ads into networks: star edges per shared key, hubs left out, connected components;
:class:`ClusterCollector` gathers keys chunk by chunk, :func:`cluster` is the in-memory door.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..columns import ScanError, map_columns
from .keys import NUM_BANDS, band_matrix, contact_ids, link_key
from .table import CLUSTER_COLUMNS, clean_value, iso, network_risk, posting_times, row_columns

_TEXT_FIELDS = ("text", "title", "description", "requirements")
_KIND = ("identifier", "text")


# -- linking (shared by the local collector and the Dask path) ---------------------------
def mapping_for(
    columns: Sequence[str], text_column: str | None, column_map: Mapping[str, str] | None
) -> dict[str, str]:
    try:
        return map_columns(
            [c for c in columns if c not in ("contacts", "error")], text_column, column_map
        )
    except ScanError:
        return {}


def row_texts(frame: pd.DataFrame, mapping: Mapping[str, str]) -> list[str]:
    cols = [
        [v if isinstance(v, str) else "" for v in frame[mapping[f]].tolist()]
        for f in _TEXT_FIELDS
        if f in mapping and mapping[f] in frame.columns
    ]
    if not cols:
        return [""] * len(frame)
    return ["\n".join(parts) for parts in zip(*cols, strict=True)]


def id_pairs(contacts: Iterable[Any], offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(row, link key) pairs from ``contacts`` cells (see ``contact_ids``), each key once
    per row."""
    rows: list[int] = []
    ids: list[str] = []
    for r, c in enumerate(contacts, start=offset):
        for i in dict.fromkeys(link_key(x) for x in contact_ids(c)):
            rows.append(r)
            ids.append(i)
    return np.asarray(rows, dtype=np.int64), np.asarray(ids, dtype=object)


def star(rows: np.ndarray, *groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges from each row to the smallest row of its group (rows equal on all ``groups``)."""
    if len(rows) == 0:
        return rows[:0], rows[:0]
    order = np.lexsort((rows, *groups[::-1]))
    r = rows[order]
    start = np.zeros(len(r), dtype=bool)
    start[0] = True
    for g in groups:
        gs = g[order]
        start[1:] |= gs[1:] != gs[:-1]
    first = r[start][np.cumsum(start) - 1]
    keep = r != first
    return first[keep], r[keep]


def id_edges(
    rows: np.ndarray, ids: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Identifier links (star per identifier) and the hubs: identifiers on > limit rows."""
    codes, uniques = pd.factorize(ids)
    counts = np.bincount(codes, minlength=len(uniques))
    hub = counts > limit
    hubs = {str(uniques[c]): int(counts[c]) for c in np.flatnonzero(hub)}
    use = ~hub[codes]
    src, dst = star(rows[use], codes[use])
    return src, dst, hubs


def components(
    src: np.ndarray, dst: np.ndarray, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[int, set[str]]]:
    """Connected components of the linked rows, numbered largest first (ties: first row).

    Returns the linked rows (sorted), their cluster ids, and each cluster's link kinds.
    Only rows with a link enter the graph, so its size follows the links, not the rows.
    """
    how: dict[int, set[str]] = defaultdict(set)
    if len(src) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), how
    nodes, inv = np.unique(np.concatenate([src, dst]), return_inverse=True)
    m, e = len(nodes), len(src)
    g = coo_matrix((np.ones(e, dtype=np.int32), (inv[:e], inv[e:])), shape=(m, m)).tocsr()
    n_comp, comp = connected_components(g, directed=False)
    sizes = np.bincount(comp, minlength=n_comp)
    _, first = np.unique(comp, return_index=True)  # nodes are sorted: the first row
    renum = np.empty(n_comp, dtype=np.int64)
    renum[np.lexsort((first, -sizes))] = np.arange(n_comp)
    labels = renum[comp]
    for x in np.unique(labels[inv[:e]] * 2 + kind.astype(np.int64)).tolist():
        how[x // 2].add(_KIND[x % 2])
    return nodes, labels, how


def hub_limit(n: int, hub_share: float, min_hub_rows: int) -> int:
    return max(min_hub_rows, int(hub_share * n))


@dataclass
class ClusterCollector:
    """Collects per-row keys chunk by chunk (as a scan writes), then clusters them.

    Memory per row: the 16 band keys (128 bytes), the contact identifiers, and small codes for
    the summary columns (repeated names, risks and categories are stored once).
    """

    text_column: str | None = None
    column_map: Mapping[str, str] | None = None
    hub_share: float = 0.01
    min_hub_rows: int = 20
    #: The column mapping (found from the first chunk unless given).
    mapping: dict[str, str] | None = None
    _n: int = 0
    _contacts: list[np.ndarray] = field(default_factory=list)
    _bands: list[np.ndarray] = field(default_factory=list)
    _has_text: list[np.ndarray] = field(default_factory=list)
    _prob: list[np.ndarray] = field(default_factory=list)
    _num: list[np.ndarray] = field(default_factory=list)
    _posted: list[np.ndarray] = field(default_factory=list)
    _coded: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    _vocab: dict[str, int] = field(default_factory=dict)
    _words: list[str] = field(default_factory=list)
    _cols: dict[str, np.ndarray] | None = None
    hubs: dict[str, int] = field(default_factory=dict)

    def _code(self, values: Iterable[Any]) -> np.ndarray:
        v, w = self._vocab, self._words

        def one(x: Any) -> int:
            if x is None:
                return -1
            c = v.get(x)
            if c is None:
                c = v[x] = len(w)
                w.append(x)
            return c

        return np.fromiter(map(one, values), dtype=np.int32)

    def add(self, frame: pd.DataFrame, *, link_keys: bool = True) -> None:
        """Take a chunk of scored rows (scan output: input columns + result columns).

        ``link_keys=False`` keeps only what the clusters table needs (the Dask path links
        rows on the workers and gives the collector the clustered rows only).
        """
        if "contacts" not in frame.columns:
            raise ScanError("cluster() needs scored rows (a 'contacts' column): scan first")
        if self.mapping is None:
            self.mapping = mapping_for(list(frame.columns), self.text_column, self.column_map)
        m = self.mapping
        n = len(frame)

        def col(name: str) -> list[Any]:
            c = m.get(name)
            return frame[c].tolist() if c and c in frame.columns else [None] * n

        if link_keys:
            keys, ok = band_matrix(row_texts(frame, m))
            self._bands.append(keys[ok])
            self._has_text.append(ok)
        ids = np.empty(n, dtype=object)
        ids[:] = [contact_ids(c) for c in frame["contacts"].tolist()]
        self._contacts.append(ids)
        self._prob.append(pd.to_numeric(frame["scam_probability"], errors="coerce").to_numpy(float))
        coded = self._coded
        coded["risk"].append(self._code(r if isinstance(r, str) else None for r in frame["risk"]))
        coded["cats"].append(
            self._code(c if isinstance(c, str) else "" for c in frame["categories"])
        )
        for name, fld in (
            ("company", "company_profile"),
            ("location", "location"),
            ("title", "title"),
        ):
            coded[name].append(self._code(clean_value(v) for v in col(fld)))
        posted = m.get("posted_at")
        self._posted.append(
            posting_times(frame[posted]) if posted in frame.columns else np.full(n, np.nan)
        )
        num = "line" if "line" in frame.columns else "row" if "row" in frame.columns else None
        nums = frame[num].tolist() if num else range(self._n, self._n + n)
        self._num.append(np.array([str(x) for x in nums], dtype=object))
        srcs = frame["source_file"].tolist() if "source_file" in frame.columns else [None] * n
        coded["source"].append(
            self._code(Path(s).name if isinstance(s, str) else None for s in srcs)
        )
        self._n += n
        self._cols = None

    def __len__(self) -> int:
        return self._n

    def row_keys(self) -> list[tuple[str | None, str]]:
        """(source file name, line or row number) of each collected row, in order: how a
        finished output's rows are matched back to their networks."""
        cols, words = self._columns(), self._words
        return [
            (words[s] if s >= 0 else None, str(n))
            for s, n in zip(cols["source"].tolist(), cols["num"].tolist(), strict=True)
        ]

    def _columns(self) -> dict[str, np.ndarray]:
        if self._cols is None:
            cat = np.concatenate
            cols = {k: cat(v) for k, v in self._coded.items()}
            cols["contacts"] = cat(self._contacts) if self._contacts else np.zeros(0, object)
            cols["prob"] = cat(self._prob) if self._prob else np.zeros(0)
            cols["num"] = cat(self._num) if self._num else np.zeros(0, object)
            cols["posted"] = cat(self._posted) if self._posted else np.zeros(0)
            self._cols = cols
        return self._cols

    def _edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self._n
        rows, ids = id_pairs(self._columns()["contacts"])
        src_i, dst_i, self.hubs = id_edges(
            rows, ids, hub_limit(n, self.hub_share, self.min_hub_rows)
        )
        text_rows = np.flatnonzero(np.concatenate(self._has_text)) if self._has_text else rows[:0]
        bands = np.concatenate(self._bands) if self._bands else np.zeros((0, NUM_BANDS), np.int64)
        src_t: list[np.ndarray] = []
        dst_t: list[np.ndarray] = []
        for b in range(NUM_BANDS):  # one band at a time keeps the sort small
            s, d = star(text_rows, bands[:, b])
            src_t.append(s)
            dst_t.append(d)
        src = np.concatenate([src_i, *src_t])
        dst = np.concatenate([dst_i, *dst_t])
        kind = np.concatenate(
            [np.zeros(len(src_i), np.int8), np.ones(len(src) - len(src_i), np.int8)]
        )
        return src, dst, kind

    # -- clustering ----------------------------------------------------------------------
    def labels(self) -> tuple[np.ndarray, dict[int, set[str]]]:
        """Component label per row (-1 = in no cluster) and each label's linking kinds."""
        nodes, comp, how = components(*self._edges())
        labels = np.full(self._n, -1, dtype=np.int64)
        labels[nodes] = comp
        return labels, how

    def table(self, labels: np.ndarray, how: Mapping[int, set[str]]) -> pd.DataFrame:
        """The clusters table for per-row ``labels`` (one row per cluster, by id)."""
        cols = self._columns()
        words = self._words

        def word(c: int) -> str | None:
            return words[c] if c >= 0 else None

        def where(r: int) -> str:
            s = cols["source"][r]
            return f"{words[s]}:{cols['num'][r]}" if s >= 0 else str(cols["num"][r])

        members: dict[int, list[int]] = defaultdict(list)
        for r in np.flatnonzero(labels >= 0).tolist():
            members[int(labels[r])].append(r)
        rows = []
        for c in sorted(members):
            idx = members[c]
            # Count by link key (a number shared as WhatsApp in one ad and as a phone in
            # another is shared); show it as first written.
            ids: Counter[str] = Counter()
            spelling: dict[str, str] = {}
            for r in idx:
                keys: dict[str, str] = {}
                for i in cols["contacts"][r]:
                    keys.setdefault(link_key(i), i)
                for key, i in keys.items():
                    if key not in self.hubs:
                        ids[key] += 1
                        spelling.setdefault(key, i)
            shared = [spelling[i] for i, k in ids.most_common() if k > 1]
            probs = cols["prob"][idx].astype(float)
            companies = set(cols["company"][idx].tolist()) - {-1}
            cats = Counter(x for r in idx for x in words[cols["cats"][r]].split(";") if x)
            risks = [w for r in idx if (w := word(cols["risk"][r]))]
            titles = [word(t) for t in cols["title"][idx].tolist()]
            risk = network_risk(
                risks, probs, len(idx), len(companies), bool(shared), "text" in how[c]
            )
            finite = bool(np.isfinite(probs).any())
            posted = cols["posted"][idx]
            dated = bool(np.isfinite(posted).any())
            rows.append(
                {
                    "cluster_id": c,
                    "size": len(idx),
                    "network_risk": risk,
                    "linked_by": ";".join(sorted(how[c])),
                    "shared_identifiers": ";".join(shared[:20]),
                    "n_companies": len(companies),
                    "n_locations": len(set(cols["location"][idx].tolist()) - {-1}),
                    "n_titles": len({t for t in titles if t}),
                    "first_posted": iso(np.nanmin(posted)) if dated else None,
                    "last_posted": iso(np.nanmax(posted)) if dated else None,
                    "max_probability": float(np.nanmax(probs)) if finite else None,
                    "mean_probability": float(np.nanmean(probs)) if finite else None,
                    "categories": ";".join(k for k, _ in cats.most_common(8)),
                    "example_title": next((t for t in titles if t), None),
                    "members": ";".join(where(r) for r in idx[:1000])
                    + (";..." if len(idx) > 1000 else ""),
                }
            )
        return pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS))

    def result(self) -> tuple[np.ndarray, pd.DataFrame]:
        """Per-row cluster ids and the clusters table (one row per cluster, largest first)."""
        labels, how = self.labels()
        return labels, self.table(labels, how)


def cluster(
    frame: pd.DataFrame,
    *,
    text_column: str | None = None,
    column_map: Mapping[str, str] | None = None,
    hub_share: float = 0.01,
    min_hub_rows: int = 20,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster scored ads (``Detector.score_frame`` or scan output).

    Returns ``(rows, clusters)``: ``rows`` is ``frame`` plus ``cluster_id`` (-1 when the
    ad is linked to no other) and ``network_risk`` (the cluster's risk, None for -1);
    ``clusters`` has one row per cluster (see ``CLUSTER_COLUMNS``). Identifiers held by
    more than ``max(min_hub_rows, hub_share * len(frame))`` rows are not used to link; they
    are listed in ``clusters.attrs["hubs"]``.
    """
    col = ClusterCollector(
        text_column=text_column,
        column_map=column_map,
        hub_share=hub_share,
        min_hub_rows=min_hub_rows,
    )
    col.add(frame)
    labels, table = col.result()
    out = frame.copy()
    for name, values in row_columns(labels, table).items():
        out[name] = values
    table.attrs["hubs"] = dict(col.hubs)
    return out, table


def text_links(
    frame: pd.DataFrame,
    *,
    text_column: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> list[tuple[int, int]]:
    """Near-duplicate text links among ``frame``'s rows, as pairs of row positions.

    The links ``cluster`` makes by text (each row to the first row sharing one of its LSH
    band keys), for drawing a cluster's graph; identifier links come from ``contacts``.
    """
    mapping = mapping_for(list(frame.columns), text_column, column_map)
    keys, ok = band_matrix(row_texts(frame, mapping))
    rows = np.flatnonzero(ok)
    pairs: set[tuple[int, int]] = set()
    for b in range(NUM_BANDS):
        src, dst = star(rows, keys[ok, b])
        pairs.update(zip(src.tolist(), dst.tolist(), strict=True))
    return sorted(pairs)
