"""One row per network: its risk, what links it, its companies, places, dates and members;
and the columns each member row gets (``cluster_id``, ``network_risk``, ``network_note``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..schema import RISK_ORDER, RISKS

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


def iso(seconds: float) -> str:
    return pd.Timestamp(seconds, unit="s", tz="UTC").isoformat()


def clean_value(v: Any) -> str | None:
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
