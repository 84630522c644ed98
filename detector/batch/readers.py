"""Reading job-board files in chunks: format detection, inputs, JSONL and Parquet readers.

Every row read keeps its line (or row) number and a read error instead of being dropped;
CSV has its own reader (:mod:`detector.batch.csv_reader`).
"""

from __future__ import annotations

import base64
import glob
import io
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..columns import ScanError
from ..schema import clean_text
from .chunks import MAX_FIELD_CHARS, Chunk, one_line
from .csv_reader import read_csv

FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet")


def detect_format(name: str, given: str | None = None) -> str:
    """The format from ``given`` or the file name (``.csv``/``.tsv``, ``.jsonl``/``.ndjson``/
    ``.json``, ``.parquet``/``.pq``; a trailing ``.gz`` is not supported). TSV is CSV with tabs."""
    if given:
        g = given.lower()
        g = "jsonl" if g in ("ndjson", "json") else "csv" if g == "tsv" else g
        if g not in FORMATS:
            raise ScanError(f"unknown format {given!r}; use one of {', '.join(FORMATS)}, tsv")
        return g
    low = name.lower()
    for suffixes, fmt in (
        ((".csv", ".tsv"), "csv"),
        ((".jsonl", ".ndjson", ".json"), "jsonl"),
        ((".parquet", ".pq"), "parquet"),
    ):
        if low.endswith(suffixes):
            return fmt
    raise ScanError(f"cannot tell the format of {name!r} from its name; pass --format")


def delimiter_for(name: str, given: str | None = None) -> str:
    """Tab for ``.tsv`` files (or ``--format tsv``), else comma."""
    if given:
        return "\t" if given.lower() == "tsv" else ","
    return "\t" if name.lower().endswith(".tsv") else ","


def expand_inputs(spec: str) -> list[str]:
    """A file, a directory (its csv/jsonl/parquet files) or a glob -> sorted file list."""
    if spec == "-":
        return ["-"]
    p = Path(spec)
    if p.is_dir():
        files = sorted(
            str(f)
            for f in p.rglob("*")
            if f.is_file() and not f.name.startswith((".", "_")) and _known(f.name)
        )
        if not files:
            raise ScanError(f"directory {spec!r} holds no .csv, .jsonl or .parquet files")
        return files
    if p.is_file():
        return [spec]
    files = sorted(f for f in glob.glob(spec, recursive=True) if Path(f).is_file())
    if not files:
        raise ScanError(f"no such file, directory or glob match: {spec!r}")
    return files


def _known(name: str) -> bool:
    try:
        detect_format(name)
    except ScanError:
        return False
    return True


def check_readable(path: str, fmt: str) -> None:
    """Raise ``ScanError`` (exit 2) for a file that cannot be read at all, before any output
    is written: missing, unreadable, or Parquet without a valid footer (truncated, not
    Parquet)."""
    if path == "-":
        return
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise ScanError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if fmt == "parquet":
        try:
            pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for bad files
            raise ScanError(f"cannot read {path} as Parquet: {one_line(exc)}") from exc


def _json_value(v: Any) -> Any:
    if v is None:
        return v
    if isinstance(v, str):
        return clean_text(v)
    if isinstance(v, (dict, list)):
        return clean_text(json.dumps(v, ensure_ascii=False))
    return str(v)  # numbers, booleans: text, so every chunk has the same column types


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    # An explicit index keeps rows that are all errors (empty dicts).
    return pd.DataFrame(records, index=range(len(records)), dtype=object)


def _read_jsonl(stream: IO[bytes], source: str, chunk_size: int) -> Iterator[Chunk]:
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    errors: list[str | None] = []
    keys: list[tuple[str, ...]] = []
    for line_no, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        err: str | None = None
        rec: dict[str, Any] = {}
        if len(raw) > MAX_FIELD_CHARS * 4:
            err = f"line is {len(raw):,} bytes long; the limit is {MAX_FIELD_CHARS * 4:,}"
        else:
            try:
                obj = json.loads(raw.decode("utf-8"))
                if isinstance(obj, dict):
                    rec = {clean_text(str(k)): _json_value(v) for k, v in obj.items()}
                else:
                    err = f"a JSON {type(obj).__name__}, not an object"
            except UnicodeDecodeError:
                err = "bytes that are not UTF-8"
            except json.JSONDecodeError as exc:
                err = f"invalid JSON: {exc.msg} at column {exc.colno}"
            except RecursionError:
                err = "invalid JSON: nested too deeply"
                rec = {}
        records.append(rec)
        numbers.append(line_no)
        errors.append(err)
        keys.append(tuple(k for k, v in rec.items() if v is not None))
        if len(records) >= chunk_size:
            yield Chunk(_frame(records), numbers, errors, source, None, keys)
            records, numbers, errors, keys = [], [], [], []
    if records:
        yield Chunk(_frame(records), numbers, errors, source, None, keys)


def _text_or_base64(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(b).decode("ascii")
    return v


def _parquet_frame(table: pa.Table) -> pd.DataFrame:
    """A record batch as a frame; binary columns become text (UTF-8, else ``base64:...``)
    so every output format can hold them."""
    frame = table.to_pandas()
    for name, typ in zip(table.schema.names, table.schema.types, strict=True):
        if (
            pa.types.is_binary(typ)
            or pa.types.is_large_binary(typ)
            or pa.types.is_fixed_size_binary(typ)
        ):
            frame[name] = pd.Series([_text_or_base64(v) for v in frame[name]], dtype=object)
    return frame


def _read_parquet(path: str | IO[bytes], chunk_size: int, source: str) -> Iterator[Chunk]:
    """Row group by row group: a row group that cannot be decoded (a corrupt page) becomes
    error rows, as many as its metadata says, so the count still adds up."""
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise ScanError(f"cannot read {source} as Parquet: {one_line(exc)}") from exc
    start = 1
    schema = pf.schema_arrow
    for g in range(pf.num_row_groups):
        expected = pf.metadata.row_group(g).num_rows
        got = 0
        try:
            for batch in pf.iter_batches(batch_size=chunk_size, row_groups=[g]):
                frame = _parquet_frame(pa.Table.from_batches([batch]))
                n = len(frame)
                yield Chunk(frame, list(range(start, start + n)), [None] * n, source)
                start += n
                got += n
        except Exception as exc:
            missing = expected - got
            if missing <= 0:
                raise
            msg = f"unreadable Parquet row group {g + 1}: {one_line(exc)}"
            while missing > 0:
                n = min(missing, chunk_size)
                frame = pd.DataFrame(
                    {name: [None] * n for name in schema.names}, index=range(n), dtype=object
                )
                yield Chunk(frame, list(range(start, start + n)), [msg] * n, source)
                start += n
                missing -= n


def read_chunks(
    files: Sequence[str], fmt: str | None, chunk_size: int, stdin: IO[bytes] | None = None
) -> Iterator[Chunk]:
    """Chunks of at most ``chunk_size`` rows from every file in order."""
    for path in files:
        f = detect_format(path, fmt) if path != "-" else detect_format("-", fmt or "csv")
        if f == "parquet":
            if path == "-":
                data = (stdin or sys.stdin.buffer).read()
                yield from _read_parquet(io.BytesIO(data), chunk_size, "-")
            else:
                yield from _read_parquet(path, chunk_size, path)
            continue
        if path == "-":
            fh: IO[bytes] = stdin or sys.stdin.buffer
            if f == "csv":
                yield from read_csv(fh, "-", chunk_size, delimiter_for("-", fmt))
            else:
                yield from _read_jsonl(fh, "-", chunk_size)
            continue
        with open(path, "rb") as fh:
            if f == "csv":
                yield from read_csv(fh, path, chunk_size, delimiter_for(path, fmt))
            else:
                yield from _read_jsonl(fh, path, chunk_size)
