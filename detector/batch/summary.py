"""The scan's accounting: every row in is a row scored or an error, and a row out or filtered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..network.keys import contact_ids
from ..schema import RISKS
from .chunks import Chunk


@dataclass
class ScanSummary:
    """What a scan did, in numbers that add up.

    * ``rows_in``: input records read (a CSV record may span several physical lines; blank
      lines are not records; a Parquet row is a record);
    * ``rows_error``: records that could not be read or scored, each written as an error row;
      ``rows_scored = rows_in - rows_error``;
    * ``rows_out``: rows written (every error row, and the scored rows ``--min-risk`` keeps);
      ``rows_filtered = rows_in - rows_out``.

    So ``rows_in == rows_scored + rows_error`` and ``rows_in == rows_out + rows_filtered``,
    always. ``error_rows`` lists every error row: source file and its first and last physical
    line (CSV, JSONL) or row (Parquet).
    """

    rows_in: int = 0
    rows_out: int = 0
    rows_filtered: int = 0
    rows_error: int = 0
    risk: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RISKS, 0))
    categories: Counter[str] = field(default_factory=Counter)
    contacts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    interrupted: bool = False
    #: "complete", "interrupted" or "failed" (the output is then partial and resumable).
    status: str = "complete"
    last_position: str = ""
    output: str | None = None
    #: Networks written by ``clusters_out=`` (None: not asked).
    clusters: int | None = None
    #: [source, first line, last line] of every error row.
    error_rows: list[list[Any]] = field(default_factory=list)
    number_column: str = "line"

    #: Distinct contacts kept for "top repeated"; past this, ones seen once are dropped, so
    #: memory stays bounded on huge boards (counts of frequent contacts stay exact-ish).
    MAX_CONTACTS = 200_000

    @property
    def rows_scored(self) -> int:
        return self.rows_in - self.rows_error

    def add(self, frame: pd.DataFrame, kept: int, chunk: Chunk | None = None) -> None:
        self.rows_in += len(frame)
        self.rows_out += kept
        self.rows_filtered += len(frame) - kept
        bad = frame["error"].notna().to_numpy()
        self.rows_error += int(bad.sum())
        if chunk is not None and bad.any():
            lasts = chunk.lasts or chunk.numbers
            for i in np.flatnonzero(bad).tolist():
                self.error_rows.append([chunk.source, chunk.numbers[i], lasts[i]])
        for r, n in frame["risk"].value_counts().items():
            self.risk[str(r)] = self.risk.get(str(r), 0) + int(n)
        for cell in frame["categories"].dropna():
            if cell:
                self.categories.update(cell.split(";"))
        for cell in frame["contacts"].dropna():
            if cell:
                self.contacts.update(contact_ids(cell))
        if len(self.contacts) > self.MAX_CONTACTS:
            self.contacts = Counter({k: v for k, v in self.contacts.items() if v > 1})

    def max_risk(self) -> str | None:
        present = [r for r in RISKS if self.risk.get(r)]
        return present[-1] if present else None

    def to_dict(self, top: int = 10, error_rows: bool = False) -> dict[str, Any]:
        d = {
            "status": self.status,
            "rows_in": self.rows_in,
            "rows_scored": self.rows_scored,
            "rows_error": self.rows_error,
            "rows_out": self.rows_out,
            "rows_filtered": self.rows_filtered,
            "risk": dict(self.risk),
            "top_categories": self.categories.most_common(top),
            "top_contacts": [(c, n) for c, n in self.contacts.most_common(top) if n > 1],
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_in / self.seconds, 1) if self.seconds else None,
            "interrupted": self.interrupted,
            "last_position": self.last_position,
            "output": self.output,
        }
        if error_rows:
            d["error_rows"] = [
                {"source": src, self.number_column + "s": [a, b]} for src, a, b in self.error_rows
            ]
        return d

    def _state(self) -> dict[str, Any]:
        d = self.to_dict(top=0)
        d["categories"] = dict(self.categories)
        d["contacts"] = dict(self.contacts)
        d["error_rows"] = self.error_rows
        return d

    @classmethod
    def _from_state(cls, d: Mapping[str, Any]) -> ScanSummary:
        s = cls()
        s.rows_in, s.rows_out = int(d["rows_in"]), int(d["rows_out"])
        s.rows_filtered, s.rows_error = int(d["rows_filtered"]), int(d["rows_error"])
        s.risk = {str(k): int(v) for k, v in d["risk"].items()}
        s.categories = Counter(d.get("categories", {}))
        s.contacts = Counter(d.get("contacts", {}))
        s.seconds = float(d.get("seconds") or 0.0)
        s.error_rows = [list(x) for x in d.get("error_rows", [])]
        return s

    def format(self) -> str:
        d = self.to_dict()
        lines = [
            f"rows in: {d['rows_in']:,} = scored {d['rows_scored']:,} + with errors "
            f"{d['rows_error']:,}   rows out: {d['rows_out']:,}   filtered: "
            f"{d['rows_filtered']:,}",
            "risk: " + "  ".join(f"{r} {n:,}" for r, n in d["risk"].items()),
        ]
        if self.error_rows:
            unit = self.number_column + "s"
            shown = ", ".join(
                f"{Path(src).name if src != '-' else '-'}:{a}" + (f"-{b}" if b != a else "")
                for src, a, b in self.error_rows[:10]
            )
            more = f" and {len(self.error_rows) - 10:,} more" if len(self.error_rows) > 10 else ""
            lines.append(f"error rows ({unit}): {shown}{more}")
        if d["rows_per_second"]:
            lines.append(f"time: {d['seconds']:.1f} s ({d['rows_per_second']:,.0f} rows/s)")
        if d["top_categories"]:
            lines.append(
                "top categories: " + ", ".join(f"{c} ({n:,})" for c, n in d["top_categories"])
            )
        if d["top_contacts"]:
            lines.append(
                "top repeated contacts: " + ", ".join(f"{c} ({n:,})" for c, n in d["top_contacts"])
            )
        if self.interrupted:
            lines.append(
                f"INTERRUPTED after {self.rows_in:,} rows ({self.last_position}); the output "
                "holds every row up to there. Run the same command with --resume to continue."
            )
        elif self.status == "failed":
            lines.append(
                f"FAILED after {self.rows_in:,} rows ({self.last_position or 'before the first'}"
                "); the output is partial: its progress file is kept, see --resume."
            )
        return "\n".join(lines)
