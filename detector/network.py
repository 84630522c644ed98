"""Networks of ads: clusters linked by shared identifiers or near-duplicate text.

Organised recruiters post the same ad many times, under different company names, from the
same WhatsApp number or e-mail. ``cluster(scored_frame)`` links rows that share a
normalised identifier (the ``contacts`` column of a scan) or whose texts are near
duplicates (datasketch MinHash over word shingles, banded LSH), takes connected
components, and returns the rows with ``cluster_id`` and ``network_risk`` plus one summary
row per cluster. ``cluster_dask`` does the same over a ``dask.dataframe`` (see
docs/scan.md, "Networks").

Near-linear: every link goes from a row to the first row holding the same identifier or
LSH band key (a star, never all pairs), then one sparse connected-components pass over
the rows that have a link.

Very common identifiers (a big employer's hotline, a job board's footer e-mail) would chain
unrelated ads into one giant cluster; an identifier held by more than
``max(min_hub_rows, hub_share * rows)`` rows is a *hub*: it is reported, not used to link.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from datasketch import MinHash
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .scan import RISK_ORDER, ScanError, _Writer, detect_format, map_columns, read_output
from .schema import RISKS

#: MinHash: NUM_BANDS bands of ROWS_PER_BAND hashes. Two texts share a band with probability
#: 1 - (1 - J**4)**16 for word-shingle Jaccard J: 0.95 at J=0.64, 0.5 at 0.42, 0.0016 at 0.1.
#: Reposts of a template with a changed phone, salary or city stay well above 0.6.
NUM_BANDS = 16
ROWS_PER_BAND = 4
SHINGLE = 4
#: datasketch MinHash parameters. The seed fixes the permutations, and the shingle hash is
#: zlib's CRC-32 (deterministic, C speed; datasketch's "affine32" scheme pre-mixes it with
#: the MurmurHash3 finalizer), so keys are equal across processes and machines (the Dask
#: path compares keys made on different workers). Never Python's salted ``hash()``.
NUM_PERM = NUM_BANDS * ROWS_PER_BAND
MINHASH_SEED = 20240605
_BASE = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=zlib.crc32, scheme="affine32")
_MIX = np.uint64(0x9E3779B97F4A7C15)
#: Only the first this many characters are compared (reposts share their beginnings).
MAX_CHARS = 5000
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\b\d+\b")
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
    "first_posted",
    "last_posted",
    "max_probability",
    "mean_probability",
    "categories",
    "example_title",
    "members",
)
_TEXT_FIELDS = ("text", "title", "description", "requirements")
_KIND = ("identifier", "text")


def shingles(text: str) -> list[bytes] | None:
    """The text's distinct 4-word shingles, UTF-8 (None if fewer than MIN_WORDS words).

    Lower-cased, numbers folded to ``0`` (phone, salary and dates vary between reposts).
    """
    words = _WORD.findall(_NUMBER.sub("0", text[:MAX_CHARS].lower()))
    if len(words) < MIN_WORDS:
        return None
    grams = set(map(" ".join, zip(*(words[j:] for j in range(SHINGLE)), strict=False)))
    return [g.encode("utf-8") for g in grams]


def band_keys(text: str) -> np.ndarray | None:
    """NUM_BANDS 64-bit keys of the text's MinHash signature (None if too short).

    Key ``b`` of two texts is equal when their signatures agree on all ROWS_PER_BAND
    values of band ``b``. Deterministic: equal in every process.
    """
    grams = shingles(text)
    if grams is None:
        return None
    m = _BASE.copy()
    m.update_batch(grams)
    return _band(m.hashvalues)


def _band(hashvalues: np.ndarray) -> np.ndarray:
    # Four 32-bit values -> two 64-bit words -> one 64-bit key (explicit, endian-free).
    h = hashvalues.astype(np.uint64).reshape(NUM_BANDS, 2, 2)
    words = (h[:, :, 0] << np.uint64(32)) | h[:, :, 1]
    return (words[:, 0] * _MIX + words[:, 1]).view(np.int64)


def band_matrix(texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """Band keys of many texts: an ``(n, NUM_BANDS)`` int64 matrix and a has-keys mask."""
    rows = [band_keys(t) for t in texts]
    ok = np.fromiter((r is not None for r in rows), dtype=bool, count=len(rows))
    keys = np.zeros((len(rows), NUM_BANDS), dtype=np.int64)
    if ok.any():
        keys[ok] = np.stack([r for r in rows if r is not None])
    return keys, ok


# -- linking (shared by the local collector and the Dask path) ---------------------------
def _mapping_for(
    columns: Sequence[str], text_column: str | None, column_map: Mapping[str, str] | None
) -> dict[str, str]:
    try:
        return map_columns(
            [c for c in columns if c not in ("contacts", "error")], text_column, column_map
        )
    except ScanError:
        return {}


def _texts(frame: pd.DataFrame, mapping: Mapping[str, str]) -> list[str]:
    cols = [
        [v if isinstance(v, str) else "" for v in frame[mapping[f]].tolist()]
        for f in _TEXT_FIELDS
        if f in mapping and mapping[f] in frame.columns
    ]
    if not cols:
        return [""] * len(frame)
    return ["\n".join(parts) for parts in zip(*cols, strict=True)]


#: Contact kinds that are one telephone number however the ad wrote it ("WA 0812…",
#: "call +62 812…", "wa.me/62812…" are the same person).
_NUMBER_KINDS = ("whatsapp:", "phone:")


def link_key(identifier: str) -> str:
    """The key an identifier links ads by: ``whatsapp:+62…`` and ``phone:+62…`` are one
    number (``phone:+62…``); every other identifier is its own key."""
    for kind in _NUMBER_KINDS:
        if identifier.startswith(kind) and identifier[len(kind) : len(kind) + 1] == "+":
            return "phone:" + identifier[len(kind) :]
    return identifier


def _id_pairs(contacts: Iterable[Any], offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(row, link key) pairs from ``contacts`` strings, each key once per row."""
    rows: list[int] = []
    ids: list[str] = []
    for r, c in enumerate(contacts, start=offset):
        if isinstance(c, str) and c:
            for i in dict.fromkeys(link_key(x) for x in c.split(";") if x):
                rows.append(r)
                ids.append(i)
    return np.asarray(rows, dtype=np.int64), np.asarray(ids, dtype=object)


def _star(rows: np.ndarray, *groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _id_edges(
    rows: np.ndarray, ids: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Identifier links (star per identifier) and the hubs: identifiers on > limit rows."""
    codes, uniques = pd.factorize(ids)
    counts = np.bincount(codes, minlength=len(uniques))
    hub = counts > limit
    hubs = {str(uniques[c]): int(counts[c]) for c in np.flatnonzero(hub)}
    use = ~hub[codes]
    src, dst = _star(rows[use], codes[use])
    return src, dst, hubs


def _components(
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


def _hub_limit(n: int, hub_share: float, min_hub_rows: int) -> int:
    return max(min_hub_rows, int(hub_share * n))


@dataclass
class ClusterCollector:
    """Collects per-row keys chunk by chunk (as a scan writes), then clusters them.

    Memory per row: the 16 band keys (128 bytes), the contacts string, and small codes for
    the summary columns (repeated names, risks and categories are stored once).
    """

    text_column: str | None = None
    column_map: Mapping[str, str] | None = None
    hub_share: float = 0.01
    min_hub_rows: int = 20
    _mapping: dict[str, str] | None = None
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
        if self._mapping is None:
            self._mapping = _mapping_for(list(frame.columns), self.text_column, self.column_map)
        m = self._mapping
        n = len(frame)

        def col(name: str) -> list[Any]:
            c = m.get(name)
            return frame[c].tolist() if c and c in frame.columns else [None] * n

        if link_keys:
            keys, ok = band_matrix(_texts(frame, m))
            self._bands.append(keys[ok])
            self._has_text.append(ok)
        self._contacts.append(
            np.array([c if isinstance(c, str) else None for c in frame["contacts"]], dtype=object)
        )
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
            coded[name].append(self._code(_clean(v) for v in col(fld)))
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
        rows, ids = _id_pairs(self._columns()["contacts"])
        src_i, dst_i, self.hubs = _id_edges(
            rows, ids, _hub_limit(n, self.hub_share, self.min_hub_rows)
        )
        text_rows = np.flatnonzero(np.concatenate(self._has_text)) if self._has_text else rows[:0]
        bands = np.concatenate(self._bands) if self._bands else np.zeros((0, NUM_BANDS), np.int64)
        src_t: list[np.ndarray] = []
        dst_t: list[np.ndarray] = []
        for b in range(NUM_BANDS):  # one band at a time keeps the sort small
            s, d = _star(text_rows, bands[:, b])
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
        nodes, comp, how = _components(*self._edges())
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
                if not cols["contacts"][r]:
                    continue
                keys: dict[str, str] = {}
                for i in cols["contacts"][r].split(";"):
                    if i:
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
                    "first_posted": _iso(np.nanmin(posted)) if dated else None,
                    "last_posted": _iso(np.nanmax(posted)) if dated else None,
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

    def write(self, path: str) -> int:
        """Write the clusters table (format from the name); return the number of clusters."""
        _, table = self.result()
        return write_clusters(table, self.hubs, path)


def write_clusters(table: pd.DataFrame, hubs: Mapping[str, int], path: str) -> int:
    """Write a clusters table (format from the name) and ``PATH.hubs.json``; return its rows."""
    w = _Writer(path, detect_format(path))
    w.write(table)
    w.close()
    if hubs:
        Path(f"{path}.hubs.json").write_text(
            json.dumps(dict(Counter(hubs).most_common(100)), ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    return len(table)


def posting_times(values: pd.Series) -> np.ndarray:
    """Posting times as seconds since 1970 (UTC; NaN where missing or unreadable).

    Dates and date-times in any common written form ("2024-03-05", "2024-03-05T10:00:00+07:00",
    "5 Mar 2024"); naive times count as UTC; numbers are not guessed at (seconds? days?).
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        when = pd.to_datetime(values, utc=True)
    else:
        text = values.map(lambda v: v if isinstance(v, str) and v.strip() else None)
        when = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    out = np.full(len(values), np.nan)
    ok = when.notna().to_numpy()
    out[ok] = when[ok].map(lambda t: t.timestamp()).to_numpy(float)
    return out


def _iso(seconds: float) -> str:
    return pd.Timestamp(seconds, unit="s", tz="UTC").isoformat()


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
    for name, values in row_columns(labels, table).items():
        out[name] = values
    table.attrs["hubs"] = dict(col.hubs)
    return out, table


#: Columns a clustered scan adds to every row.
ROW_COLUMNS: tuple[str, ...] = ("cluster_id", "network_risk", "network_note")


def network_note(cluster: Mapping[str, Any]) -> str:
    """One line for a member ad's verdict, e.g. "whatsapp:+62899... is shared by ads in a
    network of 14 ads under 9 company names (linked by identifier;text)"."""
    shared = str(cluster.get("shared_identifiers") or "").split(";")[0]
    head = f"{shared} is shared by ads in a network" if shared else "Part of a network"
    return (
        f"{head} of {int(cluster['size'])} ads under {int(cluster['n_companies'])} company "
        f"names (linked by {cluster['linked_by']}; network risk {cluster['network_risk']})"
    )


def row_columns(labels: np.ndarray, table: pd.DataFrame) -> dict[str, list[Any]]:
    """``cluster_id``, ``network_risk`` and ``network_note`` for rows with these labels."""
    by_id = {int(r["cluster_id"]): r for r in table.to_dict("records")}
    ids = [int(c) for c in np.asarray(labels).tolist()]
    return {
        "cluster_id": ids,
        "network_risk": [by_id[c]["network_risk"] if c in by_id else None for c in ids],
        "network_note": [network_note(by_id[c]) if c in by_id else None for c in ids],
    }


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
    cols = collector._columns()
    words = collector._words
    rows = zip(cols["source"].tolist(), cols["num"].tolist(), labels.tolist(), strict=True)
    key_of = {(words[s] if s >= 0 else None, str(n)): int(c) for s, n, c in rows if c >= 0}
    fmt = detect_format(path)
    tmp = f"{path}.clustering"
    w = _Writer(tmp, fmt)
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
    mapping = _mapping_for(list(frame.columns), text_column, column_map)
    keys, ok = band_matrix(_texts(frame, mapping))
    rows = np.flatnonzero(ok)
    pairs: set[tuple[int, int]] = set()
    for b in range(NUM_BANDS):
        src, dst = _star(rows, keys[ok, b])
        pairs.update(zip(src.tolist(), dst.tolist(), strict=True))
    return sorted(pairs)


# -- the Dask path -----------------------------------------------------------------------
def _partition_keys(
    frame: pd.DataFrame, offset: int, mapping: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One partition's link keys, rows numbered globally from ``offset``:
    ``(row, ident)`` pairs and ``(row, slot, key)`` band keys (one per band)."""
    rows, ids = _id_pairs(frame["contacts"].tolist(), offset)
    idf = pd.DataFrame({"row": rows, "ident": pd.Series(ids, dtype=object)})
    keys, ok = band_matrix(_texts(frame, mapping))
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
    src, dst, _ = _id_edges(part["row"].to_numpy(np.int64), part["ident"].to_numpy(object), limit)
    return _edge_frame(src, dst, 0)


def _id_partition_hubs(part: pd.DataFrame, limit: int) -> pd.DataFrame:
    _, _, hubs = _id_edges(part["row"].to_numpy(np.int64), part["ident"].to_numpy(object), limit)
    return pd.DataFrame(
        {
            "ident": pd.Series(list(hubs), dtype=object),
            "rows": np.array(list(hubs.values()), np.int64),
        }
    )


def _band_partition_edges(part: pd.DataFrame) -> pd.DataFrame:
    src, dst = _star(
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
    mapping = _mapping_for(list(scored.columns), text_column, column_map)
    lengths = scored.map_partitions(len).compute(**kw)
    offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))])
    limit = _hub_limit(int(offsets[-1]), hub_share, min_hub_rows)
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
    nodes, labels, how = _components(
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
    col._mapping = mapping
    for f in frames:
        col.add(f, link_keys=False)
    col.hubs = dict(zip(hb["ident"].astype(str), hb["rows"].astype(int).tolist(), strict=True))
    table = col.table(labels, how) if len(col) else pd.DataFrame(columns=list(CLUSTER_COLUMNS))
    table.attrs["hubs"] = dict(col.hubs)
    return pd.DataFrame({"row": nodes, "cluster_id": labels}), table
