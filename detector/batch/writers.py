"""Writing scan output (CSV, JSONL, Parquet) chunk by chunk, and reading it back."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..columns import ScanError
from ..rows import NESTED_COLUMNS, NUMBER_COLUMNS
from ..schema import clean_text

_NESTED = frozenset(NESTED_COLUMNS)


def jsonl_text(frame: pd.DataFrame) -> str:
    """The rows as JSON lines; nested result columns (JSON text) are embedded as JSON.

    Missing values (None, NaN) are ``null``; numbers and booleans are JSON numbers and
    booleans; anything else is its text.
    """
    if not len(frame):
        return ""
    names = [str(c) for c in frame.columns]
    keys = [json.dumps(c, ensure_ascii=False) + ":" for c in names]
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    columns = []
    for name, c in zip(names, frame.columns, strict=True):
        values = frame[c].tolist()
        if name in _NESTED:
            columns.append([v if isinstance(v, str) else "null" for v in values])
        else:
            columns.append([_json_cell(v, dumps) for v in values])
    lines = [
        "{" + ",".join(k + v for k, v in zip(keys, row, strict=True)) + "}"
        for row in zip(*columns, strict=True)
    ]
    return "\n".join(lines) + "\n"


def _json_cell(v: Any, dumps: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, float):
        return "null" if v != v or v in (float("inf"), float("-inf")) else repr(v)
    if isinstance(v, (str, bool, int)):
        return dumps(v)
    if isinstance(v, (list, dict)):
        return dumps(v)
    if isinstance(v, pd.Timestamp):
        return dumps(v.isoformat())
    if v is pd.NA or v is pd.NaT:
        return "null"
    if isinstance(v, np.generic):
        return _json_cell(v.item(), dumps)
    return dumps(str(v))


class Writer:
    """Appends frames to a CSV/JSONL/Parquet output; tracks what a resume may keep."""

    def __init__(
        self,
        path: str,
        fmt: str,
        keep: dict[str, Any] | None = None,
        stdout: IO[bytes] | None = None,
    ) -> None:
        self.path, self.fmt = path, fmt
        self.sep = "\t" if path.lower().endswith(".tsv") else ","
        self.columns: list[str] | None = None
        self.schema: pa.Schema | None = None
        self.row_groups = 0
        self._keep_pq = 0
        self._pq: pq.ParquetWriter | None = None
        self._tmp: str | None = None
        self._fh: IO[bytes] | None = None
        if path == "-":
            self._fh = stdout or sys.stdout.buffer
            return
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            self._keep_pq = int(keep.get("row_groups", 0)) if keep else 0
            if self._keep_pq:
                groups = pq.ParquetFile(path).num_row_groups if os.path.exists(path) else 0
                if groups < self._keep_pq:
                    raise ScanError(
                        f"--resume: {path} holds {groups} row groups, its progress file says "
                        f"{self._keep_pq}; it was changed or lost: scan again without --resume"
                    )
        else:
            keep_bytes = int(keep.get("output_bytes", 0)) if keep else 0
            if keep_bytes and (not os.path.exists(path) or os.path.getsize(path) < keep_bytes):
                raise ScanError(
                    f"--resume: {path} is shorter than its progress file says; it was "
                    "changed or lost: scan again without --resume"
                )
            self._fh = open(path, "r+b" if keep and os.path.exists(path) else "wb")  # noqa: SIM115
            self._fh.truncate(keep_bytes)
            self._fh.seek(keep_bytes)
            if keep and keep_bytes:
                self.columns = keep.get("columns")

    def write(self, frame: pd.DataFrame) -> None:
        if self.fmt == "parquet":
            self._write_parquet(frame)
            return
        assert self._fh is not None
        if self.columns is None:
            self.columns = list(frame.columns)
            header = True
        else:
            header = False
            frame = _conform(frame, self.columns)
        if self.fmt == "csv":
            data = frame.to_csv(index=False, header=header, lineterminator="\n", sep=self.sep)
            if "\r" in data:
                # The csv module quotes a field holding a character of the line terminator,
                # and with "\n" a lone CR is not one: readers would split the row there.
                # Such a chunk is written with every field quoted (rare; still LF lines).
                data = frame.to_csv(
                    index=False, header=header, lineterminator="\n", sep=self.sep,
                    quoting=csv.QUOTE_ALL,
                )  # fmt: skip
        else:
            data = jsonl_text(frame)
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate got past the readers: never crash on it
            raw = clean_text(data).encode("utf-8")
        self._fh.write(raw)

    def _write_parquet(self, frame: pd.DataFrame) -> None:
        if self._pq is None:
            self._open_parquet(frame)
        assert self._pq is not None and self.schema is not None and self.columns is not None
        frame = _conform(frame, self.columns)
        if len(frame):
            self._pq.write_table(_to_table(frame, self.schema))
            self.row_groups += 1

    def _open_parquet(self, frame: pd.DataFrame) -> None:
        old = pq.ParquetFile(self.path) if self._keep_pq and os.path.exists(self.path) else None
        if old is not None:
            self.schema = old.schema_arrow
        else:
            self.schema = schema_for(frame)
        self.columns = list(self.schema.names)
        self._tmp = f"{self.path}.partial"
        self._pq = pq.ParquetWriter(self._tmp, self.schema)
        if old is not None:
            for i in range(self._keep_pq):
                self._pq.write_table(old.read_row_group(i))
                self.row_groups += 1

    def checkpoint(self) -> dict[str, Any]:
        """Flush; return what a resume may keep."""
        if self._fh is not None:
            self._fh.flush()
            pos = self._fh.tell() if self.path != "-" else 0
            return {"output_bytes": pos, "columns": self.columns}
        # Not reopened yet on a resume: what the last run kept is still all there is.
        return {"row_groups": self.row_groups if self._pq is not None else self._keep_pq}

    def close(self) -> None:
        if self.fmt == "parquet" and self.path != "-":
            if self._pq is None and not self._keep_pq:
                # Nothing written: still leave a valid (empty) file.
                pq.write_table(pa.table({}), self.path)
                return
            if self._pq is not None:
                self._pq.close()
                assert self._tmp is not None
                os.replace(self._tmp, self.path)
            return
        if self._fh is not None and self.path != "-":
            self._fh.close()
        elif self._fh is not None:
            self._fh.flush()

    def discard(self) -> None:
        """Remove what this writer wrote (a scan that failed before its first row)."""
        if self.path == "-":
            return
        if self._fh is not None:
            self._fh.close()
        if self._pq is not None:
            self._pq.close()
        for p in (self.path, self._tmp):
            if p and os.path.exists(p):
                os.remove(p)


def _conform(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    if list(frame.columns) == columns:
        return frame
    extra = [c for c in frame.columns if c not in columns]
    out = frame.reindex(columns=columns)
    if extra and "extra_fields" in columns:
        packed = frame[extra].to_dict("records")
        out["extra_fields"] = [
            json.dumps({k: v for k, v in r.items() if v is not None and v == v}, ensure_ascii=False)
            or None
            for r in packed
        ]
    return out


def schema_for(frame: pd.DataFrame) -> pa.Schema:
    fields = []
    for c in frame.columns:
        if c in NUMBER_COLUMNS:
            t = pa.float64()
        elif c in ("line", "row", "cluster_id"):
            t = pa.int64()
        elif frame[c].dtype == object:
            t = pa.string()
        else:
            t = pa.Schema.from_pandas(frame[[c]], preserve_index=False).field(0).type
            if pa.types.is_null(t):
                t = pa.string()
        fields.append(pa.field(str(c), t))
    return pa.schema(fields)


def _to_table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    arrays = []
    for f in schema:
        col = frame[f.name]
        if pa.types.is_string(f.type) and col.dtype == object:
            col = col.map(lambda v: v if v is None or isinstance(v, str) else _stringify(v))
            try:
                arrays.append(pa.array(col, type=f.type, from_pandas=True))
            except UnicodeEncodeError:  # a lone surrogate: U+FFFD, never a crash
                col = col.map(lambda v: v if v is None else clean_text(v))
                arrays.append(pa.array(col, type=f.type, from_pandas=True))
            continue
        arrays.append(pa.array(col, type=f.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def _stringify(v: Any) -> str | None:
    if isinstance(v, float) and np.isnan(v):
        return None
    return json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v)


def read_output(path: str, fmt: str, rows: int | None = None) -> Iterator[pd.DataFrame]:
    """A finished scan output read back: whole (``rows=None``) or ``rows`` rows at a time."""
    if fmt == "parquet":
        if rows is None:
            yield pd.read_parquet(path)
        else:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
                yield batch.to_pandas()
    elif fmt == "csv":
        opts: dict[str, Any] = {"dtype": str, "keep_default_na": False, "na_values": [""]}
        if rows is None:
            yield pd.read_csv(path, **opts)
        else:
            yield from pd.read_csv(path, chunksize=rows, **opts)
    elif rows is None:
        yield _nested_as_text(pd.read_json(path, lines=True, dtype=False))
    else:
        for part in pd.read_json(path, lines=True, dtype=False, chunksize=rows):
            yield _nested_as_text(part)


def _nested_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    # JSONL holds the nested columns as JSON; in memory they are JSON text, as in CSV.
    for c in NESTED_COLUMNS:
        if c in frame.columns:
            frame[c] = [
                json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else None
                for v in frame[c].tolist()
            ]
    return frame


def sort_output(path: str, fmt: str) -> None:
    """Rewrite ``path`` sorted by scam_probability, highest first (errors last)."""
    frame = next(read_output(path, fmt))
    key = pd.to_numeric(frame["scam_probability"], errors="coerce")
    order = np.argsort(-key.fillna(-1.0).to_numpy(), kind="stable")
    frame = frame.iloc[order]
    tmp = f"{path}.sorting"
    w = Writer(tmp, fmt)
    w.write(frame)
    w.close()
    os.replace(tmp, path)
