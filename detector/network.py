"""Networks of ads: clusters linked by shared identifiers or near-duplicate text.

Organised recruiters post the same ad many times, under different company names, from the
same WhatsApp number or e-mail. ``cluster(scored_frame)`` links rows that share a
normalised identifier (the ``contacts`` column of a scan) or whose texts are near
duplicates (MinHash over word shingles, banded LSH), takes connected components, and
returns the rows with ``cluster_id`` and ``network_risk`` plus one summary row per cluster.

Near-linear: every link goes from a row to the first row holding the same identifier or
LSH band key (a star, never all pairs), then one sparse connected-components pass.

Very common identifiers (a big employer's hotline, a job board's footer e-mail) would chain
unrelated ads into one giant cluster; an identifier held by more than
``max(min_hub_rows, hub_share * rows)`` rows is a *hub*: it is reported, not used to link.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .scan import RISK_ORDER, ScanError, _Writer, detect_format, map_columns
from .schema import RISKS

#: MinHash: NUM_BANDS bands of ROWS_PER_BAND hashes. Two texts share a band with probability
#: 1 - (1 - J**4)**16 for word-shingle Jaccard J: 0.95 at J=0.64, 0.5 at 0.42, 0.0016 at 0.1.
#: Reposts of a template with a changed phone, salary or city stay well above 0.6.
NUM_BANDS = 16
ROWS_PER_BAND = 4
SHINGLE = 4
_MIX = np.uint64(0x9E3779B97F4A7C15)
_rng = np.random.default_rng(20240605)
_A = _rng.integers(1, 2**63, NUM_BANDS * ROWS_PER_BAND, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, NUM_BANDS * ROWS_PER_BAND, dtype=np.uint64)
#: Only the first this many characters are compared (reposts share their beginnings).
MAX_CHARS = 5000
_WORD = re.compile(r"\w+")
#: Texts shorter than this many words are not linked by text (too little to compare).
MIN_WORDS = 8

CLUSTER_COLUMNS: tuple[str, ...] = (
    "cluster_id",
    "size",
    "network_risk",
    "linked_by",
    "shared_identifiers",
    "n_companies",
    "n_locations",
    "n_titles",
    "max_probability",
    "mean_probability",
    "categories",
    "example_title",
    "members",
)


def band_keys(text: str) -> np.ndarray | None:
    """NUM_BANDS 64-bit keys of the text's MinHash signature (None if too short).

    Keys are comparable within one process (Python's string hash is salted per process),
    which is where clustering happens.
    """
    words = _WORD.findall(text.lower()[:MAX_CHARS])
    if len(words) < MIN_WORDS:
        return None
    # Digits vary between reposts (phone, salary); fold them so templates still match.
    w = np.fromiter(
        (hash("0" if x.isdigit() else x) for x in words), dtype=np.int64, count=len(words)
    ).view(np.uint64)
    k = len(words) - SHINGLE + 1
    sh = w[:k].copy()
    for j in range(1, SHINGLE):  # shingle hash: a polynomial of its word hashes (wrapping)
        sh = sh * _MIX + w[j : j + k]
    sh = np.unique(sh)
    # Universal hashing a*x+b (wrapping mod 2**64), min per hash function = the signature.
    sig = (_A[:, None] * sh[None, :] + _B[:, None]).min(axis=1)
    bands = sig.reshape(NUM_BANDS, ROWS_PER_BAND)
    mixed = bands[:, 0]
    for j in range(1, ROWS_PER_BAND):
        mixed = mixed * _MIX + bands[:, j]
    return mixed.view(np.int64)


@dataclass
class ClusterCollector:
    """Collects per-row keys chunk by chunk (as a scan writes), then clusters them."""

    text_column: str | None = None
    column_map: Mapping[str, str] | None = None
    hub_share: float = 0.01
    min_hub_rows: int = 20
    _mapping: dict[str, str] | None = None
    _ids: list[list[str]] = field(default_factory=list)
    _bands: list[np.ndarray | None] = field(default_factory=list)
    _prob: list[float] = field(default_factory=list)
    _risk: list[str | None] = field(default_factory=list)
    _cats: list[str] = field(default_factory=list)
    _company: list[str | None] = field(default_factory=list)
    _location: list[str | None] = field(default_factory=list)
    _title: list[str | None] = field(default_factory=list)
    _where: list[str] = field(default_factory=list)
    hubs: dict[str, int] = field(default_factory=dict)

    def add(self, frame: pd.DataFrame) -> None:
        """Take a chunk of scored rows (scan output: input columns + result columns)."""
        if "contacts" not in frame.columns:
            raise ScanError("cluster() needs scored rows (a 'contacts' column): scan first")
        if self._mapping is None:
            try:
                self._mapping = map_columns(
                    [c for c in frame.columns if c not in ("contacts", "error")],
                    self.text_column,
                    self.column_map,
                )
            except ScanError:
                self._mapping = {}
        m = self._mapping
        n = len(frame)

        def col(name: str) -> list[Any]:
            c = m.get(name)
            return frame[c].tolist() if c and c in frame.columns else [None] * n

        text_cols = [m[f] for f in ("text", "title", "description", "requirements") if f in m]
        cols = [[v if isinstance(v, str) else "" for v in frame[c].tolist()] for c in text_cols]
        texts = ["\n".join(parts) for parts in zip(*cols, strict=True)] if cols else [""] * n
        self._ids.extend(
            [x for x in str(c).split(";") if x] if isinstance(c, str) else []
            for c in frame["contacts"]
        )
        self._bands.extend(band_keys(t) for t in texts)
        self._prob.extend(pd.to_numeric(frame["scam_probability"], errors="coerce").tolist())
        self._risk.extend(r if isinstance(r, str) else None for r in frame["risk"])
        self._cats.extend(c if isinstance(c, str) else "" for c in frame["categories"])
        self._company.extend(_clean(v) for v in col("company_profile"))
        self._location.extend(_clean(v) for v in col("location"))
        self._title.extend(_clean(v) for v in col("title"))
        num = "line" if "line" in frame.columns else "row" if "row" in frame.columns else None
        nums = frame[num].tolist() if num else range(len(self._where), len(self._where) + n)
        srcs = frame["source_file"].tolist() if "source_file" in frame.columns else [None] * n
        self._where.extend(
            f"{Path(s).name}:{x}" if isinstance(s, str) else str(x)
            for s, x in zip(srcs, nums, strict=True)
        )

    # -- clustering ----------------------------------------------------------------------
    def labels(self) -> tuple[np.ndarray, dict[int, set[str]]]:
        """Component label per row (-1 = in no cluster) and each label's linking kinds."""
        n = len(self._ids)
        limit = max(self.min_hub_rows, int(self.hub_share * n))
        freq: Counter[str] = Counter(i for ids in self._ids for i in set(ids))
        self.hubs = {k: v for k, v in freq.items() if v > limit}
        src: list[int] = []
        dst: list[int] = []
        kind: list[int] = []  # 0 identifier, 1 text
        first: dict[Any, int] = {}
        for r, ids in enumerate(self._ids):
            for i in ids:
                if i in self.hubs or freq[i] < 2:
                    continue
                a = first.setdefault(("id", i), r)
                if a != r:
                    src.append(a)
                    dst.append(r)
                    kind.append(0)
        for r, keys in enumerate(self._bands):
            if keys is None:
                continue
            for b, k in enumerate(keys.tolist()):
                a = first.setdefault((b, k), r)
                if a != r:
                    src.append(a)
                    dst.append(r)
                    kind.append(1)
        labels = np.full(n, -1, dtype=np.int64)
        how: dict[int, set[str]] = defaultdict(set)
        if not src or n == 0:
            return labels, how
        g = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)).tocsr()
        _, comp = connected_components(g, directed=False)
        sizes = np.bincount(comp)
        in_cluster = sizes[comp] > 1
        # Number clusters by size (largest first), so ids are stable for the same input.
        order = sorted(np.unique(comp[in_cluster]), key=lambda c: (-sizes[c], c))
        renum = {c: i for i, c in enumerate(order)}
        labels[in_cluster] = [renum[c] for c in comp[in_cluster]]
        for s, k in zip(src, kind, strict=True):
            how[int(labels[s])].add("identifier" if k == 0 else "text")
        return labels, how

    def result(self) -> tuple[np.ndarray, pd.DataFrame]:
        """Per-row cluster ids and the clusters table (one row per cluster, largest first)."""
        labels, how = self.labels()
        members: dict[int, list[int]] = defaultdict(list)
        for r, c in enumerate(labels.tolist()):
            if c >= 0:
                members[c].append(r)
        rows = []
        for c in sorted(members):
            idx = members[c]
            ids = Counter(i for r in idx for i in set(self._ids[r]) if i not in self.hubs)
            shared = [i for i, k in ids.most_common() if k > 1]
            probs = np.array([self._prob[r] for r in idx], dtype=float)
            companies = {self._company[r] for r in idx} - {None}
            cats = Counter(x for r in idx for x in self._cats[r].split(";") if x)
            risks = [self._risk[r] for r in idx if self._risk[r]]
            risk = network_risk(
                risks, probs, len(idx), len(companies), bool(shared), "text" in how[c]
            )
            rows.append(
                {
                    "cluster_id": c,
                    "size": len(idx),
                    "network_risk": risk,
                    "linked_by": ";".join(sorted(how[c])),
                    "shared_identifiers": ";".join(shared[:20]),
                    "n_companies": len(companies),
                    "n_locations": len({self._location[r] for r in idx} - {None}),
                    "n_titles": len({self._title[r] for r in idx} - {None}),
                    "max_probability": float(np.nanmax(probs))
                    if np.isfinite(probs).any()
                    else None,
                    "mean_probability": float(np.nanmean(probs))
                    if np.isfinite(probs).any()
                    else None,
                    "categories": ";".join(k for k, _ in cats.most_common(8)),
                    "example_title": next((self._title[r] for r in idx if self._title[r]), None),
                    "members": ";".join(self._where[r] for r in idx[:1000])
                    + (";..." if len(idx) > 1000 else ""),
                }
            )
        table = pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS))
        return labels, table

    def write(self, path: str) -> int:
        """Write the clusters table (format from the name); return the number of clusters."""
        _, table = self.result()
        fmt = detect_format(path)
        w = _Writer(path, fmt)
        w.write(table)
        w.close()
        if self.hubs:
            Path(f"{path}.hubs.json").write_text(
                json.dumps(dict(Counter(self.hubs).most_common(100)), ensure_ascii=False, indent=1),
                encoding="utf-8",
            )
        return len(table)


def _clean(v: Any) -> str | None:
    if not isinstance(v, str):
        return None
    v = " ".join(v.lower().split())
    return v or None


def network_risk(
    risks: Sequence[str],
    probs: np.ndarray,
    size: int,
    n_companies: int,
    shared_identifier: bool,
    shared_text: bool,
) -> str:
    """A cluster's risk: its riskiest ad's band, raised one level for network patterns.

    Raised when one identifier fronts three or more company names (a recruiter posing as
    several employers), or when five or more copies of a template average a probability of
    at least 0.5 (mass reposting of a likely scam).
    """
    base = max((RISK_ORDER[r] for r in risks if r in RISK_ORDER), default=0)
    mean = float(np.nanmean(probs)) if np.isfinite(probs).any() else 0.0
    if (shared_identifier and n_companies >= 3) or (size >= 5 and mean >= 0.5):
        base = min(base + 1, len(RISKS) - 1)
    return RISKS[base]


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
    out["cluster_id"] = labels
    risk_of = dict(zip(table["cluster_id"], table["network_risk"], strict=True))
    out["network_risk"] = [risk_of.get(int(c)) for c in labels]
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
    col = ClusterCollector(text_column=text_column, column_map=column_map)
    col.add(frame)
    first: dict[tuple[int, int], int] = {}
    pairs: set[tuple[int, int]] = set()
    for r, keys in enumerate(col._bands):
        if keys is None:
            continue
        for b, k in enumerate(keys.tolist()):
            a = first.setdefault((b, k), r)
            if a != r:
                pairs.add((a, r))
    return sorted(pairs)
