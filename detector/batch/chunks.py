"""What a reader yields: a chunk of rows with their line numbers and read errors.

Shared by the readers (:mod:`detector.batch.readers`, :mod:`detector.batch.csv_reader`)
and the engines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from ..schema import MAX_AD_CHARS

#: Largest single field read from CSV/JSONL; longer ones make an error row (not a crash,
#: not a memory blow-up).
MAX_FIELD_CHARS = MAX_AD_CHARS


@dataclass
class Chunk:
    """Rows read from one source: original values, their line/row numbers, read errors.

    ``lasts`` is the last physical line of each row (a CSV record can span several lines);
    ``keys`` the keys each JSONL record had (columns are mapped per record, not per chunk).
    """

    frame: pd.DataFrame
    numbers: list[int]
    errors: list[str | None]
    source: str
    lasts: list[int] | None = None
    keys: list[tuple[str, ...]] | None = None

    def cut(self, start: int) -> Chunk:
        """The rows from ``start`` on (a resume skips the rows already written)."""
        return Chunk(
            self.frame.iloc[start:].reset_index(drop=True),
            self.numbers[start:],
            self.errors[start:],
            self.source,
            None if self.lasts is None else self.lasts[start:],
            None if self.keys is None else self.keys[start:],
        )


def one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    return msg[:300] or type(exc).__name__


def unique_header(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for i, n in enumerate(names):
        n = n.strip() or f"column_{i + 1}"
        seen[n] += 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out
