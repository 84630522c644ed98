"""Streaming batch scanner: score every row of CSV, JSONL or Parquet job-board dumps.

``scan(inputs, output)`` reads the input in chunks, maps its columns onto the ad fields,
scores each chunk (in a process pool, the model loaded once per worker), and appends the
rows to the output as they finish, so memory stays bounded whatever the input size.

Every input row is accounted for: a row that cannot be read (malformed CSV, bytes that
are not UTF-8, a bad JSON line, a field past the size limit) or scored (no text) is written
with ``error`` set and its original line number; ``ScanSummary.rows_in`` always equals the
rows written plus those filtered out by ``min_risk``. A progress file next to the output
makes an interrupted scan resumable (``resume=True``).

``scan_dask`` runs the same reading and scoring over a directory of partitions with
``dask.dataframe`` and writes partitioned Parquet.
"""

from __future__ import annotations

import base64
import csv
import gc
import glob
import hashlib
import io
import json
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .schema import MAX_AD_CHARS, META_FIELDS, RISKS, TEXT_FIELDS, clean_text

#: Columns the scan adds to every row (plus ``line`` or ``row``, and ``source_file``).
RESULT_COLUMNS: tuple[str, ...] = (
    "scam_probability",
    "risk",
    "findings",
    "categories",
    "contacts",
    "language",
    "error",
)
FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet")
RISK_ORDER = {r: i for i, r in enumerate(RISKS)}
#: Largest single field read from CSV/JSONL; longer ones make an error row (not a crash,
#: not a memory blow-up).
MAX_FIELD_CHARS = MAX_AD_CHARS
#: Input column names (compared lower-cased, with spaces/dashes as underscores) that map
#: onto each ad field. Includes common scraped-board names and Indonesian ones.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "ad_text", "ad", "teks", "iklan", "post", "message", "pesan", "full_text"),
    "title": ("title", "job_title", "jobtitle", "judul", "posisi", "position", "lowongan"),
    "description": (
        "description",
        "job_description",
        "desc",
        "body",
        "content",
        "details",
        "deskripsi",
        "keterangan",
        "isi",
    ),
    "company_profile": (
        "company_profile",
        "company",
        "company_name",
        "employer",
        "perusahaan",
        "nama_perusahaan",
    ),
    "requirements": ("requirements", "qualifications", "persyaratan", "syarat", "kualifikasi"),
    "benefits": ("benefits", "fasilitas", "tunjangan"),
    "location": ("location", "lokasi", "city", "kota", "penempatan", "job_location"),
    "salary_range": ("salary_range", "salary", "gaji", "pay", "wage", "upah", "compensation"),
    "department": ("department", "departemen", "divisi"),
    "contact": ("contact", "kontak", "hubungi", "phone", "telepon", "whatsapp", "email"),
    # Not scored, but used by the cluster table (detector.network).
    "url": ("url", "link", "source_url", "job_url", "tautan"),
    "posted_at": ("posted_at", "date_posted", "posted", "date", "tanggal", "created_at"),
}
SCORED_FIELDS = frozenset(TEXT_FIELDS) | {"text"}


class ScanError(ValueError):
    """A usage or input problem that stops the scan before or while it starts (exit 2)."""


# --------------------------------------------------------------------------------------
# Column mapping
# --------------------------------------------------------------------------------------
def _key(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def map_columns(
    columns: Sequence[str],
    text_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map ad fields to input columns: ``{field: column}``.

    ``text_column`` scores that one column as pasted text; ``overrides`` (``field=column``)
    win over the automatic, case-insensitive alias match. Raises ``ScanError`` naming the
    columns when nothing scorable is found.
    """
    cols = [str(c) for c in columns]
    by_key: dict[str, str] = {}
    for c in cols:
        by_key.setdefault(_key(c), c)
    mapping: dict[str, str] = {}
    for fld, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in by_key:
                mapping[fld] = by_key[alias]
                break
    for meta in META_FIELDS:
        if meta in by_key:
            mapping[meta] = by_key[meta]
    for fld, col in (overrides or {}).items():
        if fld not in COLUMN_ALIASES and fld not in META_FIELDS:
            raise ScanError(
                f"--map {fld}={col}: unknown field {fld!r}; fields: "
                + ", ".join([*COLUMN_ALIASES, *META_FIELDS])
            )
        if col not in cols:
            raise ScanError(f"--map {fld}={col}: no column {col!r}; columns: {cols}")
        mapping[fld] = col
    if text_column is not None:
        if text_column not in cols:
            raise ScanError(f"--text-column {text_column!r} is not a column; columns: {cols}")
        mapping = {"text": text_column}
    elif "text" in mapping and any(f in mapping for f in TEXT_FIELDS) and not overrides:
        # Separate fields carry more (the fields-mode model reads each); prefer them. A text
        # column beside a title and no description is the ad's body: score it as one.
        text = mapping.pop("text")
        mapping.setdefault("description", text)
    if not SCORED_FIELDS & set(mapping):
        raise ScanError(
            "no column to score: name one with --text-column or --map FIELD=COLUMN "
            f"(fields: text, {', '.join(TEXT_FIELDS)}); the input has columns {cols}"
        )
    return mapping


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------
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
            raise ScanError(f"cannot read {path} as Parquet: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    return msg[:300] or type(exc).__name__


def _unique_header(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for i, n in enumerate(names):
        n = n.strip() or f"column_{i + 1}"
        seen[n] += 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


#: Largest CSV record (all its physical lines) held in memory, in bytes; a longer record
#: is skipped to its end and becomes one error row.
MAX_RECORD_BYTES = 4 * MAX_FIELD_CHARS
_BLOCK = 1 << 16


class _Overlong(Exception):
    """Raised into the csv reader when a record passes MAX_RECORD_BYTES."""


#: (first physical line, last physical line, fields or None, error or None)
CsvRecord = tuple[int, int, list[str] | None, str | None]


class _CsvRecords:
    """Every record of a CSV byte stream with its physical line range, never raising.

    The stdlib ``csv`` module parses each record; this class feeds it one physical line at a
    time, so it knows which lines each record took, and recovers where ``csv`` alone would
    lose rows:

    * line endings are ``\\n``/``\\r\\n``, or ``\\r`` alone when the file has no ``\\n``
      (Excel's "Macintosh CSV"), detected from the first 64 KB;
    * a record that spans several lines and then hits the end of the file inside quotes, or
      has the wrong number of fields, is taken to start with a stray quote: its first line
      becomes one error row and reading starts again on the next line (instead of one
      cell swallowing the rest of the file);
    * a record over ``MAX_RECORD_BYTES`` is skipped to its end (quotes counted) without
      being held in memory: one error row for all its lines.
    """

    def __init__(self, stream: IO[bytes], delimiter: str = ",") -> None:
        self.stream = stream
        self.delimiter = delimiter
        #: Fields per record once the header is known (a mismatch on a multi-line record
        #: means a stray quote).
        self.expected: int | None = None
        head = stream.read(_BLOCK)
        self.sep = b"\n" if b"\n" in head or b"\r" not in head else b"\r"
        self.src: Iterator[tuple[int, int, bytes]] = self._numbered(head, 1, 0)
        self.pushback: deque[tuple[int, int, bytes]] = deque()
        #: The lines of the record being read (cleared in place: ``_feed`` holds them).
        self.cur: list[tuple[int, int, bytes]] = []
        self.texts: list[str] = []
        self._reset()

    def _reset(self) -> None:
        self.cur.clear()
        self.texts.clear()
        self.size = 0
        self.bad: list[int] = []
        self.nul: list[int] = []
        self.eof_open = False

    def _numbered(self, head: bytes, lineno: int, offset: int) -> Iterator[tuple[int, int, bytes]]:
        """(line number, byte offset, raw line with its terminator) from ``head`` on."""
        sep = self.sep
        pending: list[bytes] = []
        block = head
        while block:
            parts = block.split(sep)
            for i, part in enumerate(parts[:-1]):
                raw = (b"".join(pending) + part if i == 0 and pending else part) + sep
                if i == 0:
                    pending = []
                yield lineno, offset, raw
                lineno += 1
                offset += len(raw)
            if parts[-1]:
                pending.append(parts[-1])
            block = self.stream.read(_BLOCK)
        if pending:
            yield lineno, offset, b"".join(pending)

    def _next_line(self) -> tuple[int, int, bytes] | None:
        if self.pushback:
            return self.pushback.popleft()
        return next(self.src, None)

    def _feed(self) -> Iterator[str]:
        # The per-line hot path of CSV reading: locals, no helper calls.
        pushback, cur, texts = self.pushback, self.cur, self.texts
        while True:
            item = pushback.popleft() if pushback else next(self.src, None)
            if item is None:
                if cur:  # the csv reader wants more lines: a quote is still open
                    self.eof_open = True
                return
            lineno, _, raw = item
            cur.append(item)
            self.size += len(raw)
            if self.size > MAX_RECORD_BYTES:
                texts.append("")
                raise _Overlong
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad.append(lineno)
                text = raw.decode("utf-8", errors="replace")
            if lineno == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if "\x00" in text:  # the csv module refuses NUL mid-record; flag, then drop them
                self.nul.append(lineno)
                text = text.replace("\x00", "")
            texts.append(text)
            yield text

    def __iter__(self) -> Iterator[CsvRecord]:
        while True:
            self._reset()
            # Raised, never restored: a generator's ``finally`` may run at garbage
            # collection, in the middle of another scan. Sizes are checked here instead.
            if csv.field_size_limit() < MAX_RECORD_BYTES + 1:
                csv.field_size_limit(MAX_RECORD_BYTES + 1)
            reader = csv.reader(self._feed(), delimiter=self.delimiter, strict=False)
            while True:
                try:
                    rec = next(reader)
                except StopIteration:
                    if not self.pushback:
                        return
                    break  # lines given back after a stray quote: a fresh reader
                except _Overlong:
                    yield from self._skip_overlong()
                    break
                except csv.Error as exc:
                    first, last = self.cur[0][0], self.cur[-1][0]
                    yield first, last, None, f"malformed CSV record ({_lines(first, last)}): {exc}"
                    self._reset()
                    break
                lines = self.cur
                first, last = lines[0][0], lines[-1][0]
                multi = len(lines) > 1
                if multi and (
                    self.eof_open
                    or (self.expected is not None and len(rec) != self.expected)
                    or not self._strictly_valid()
                ):
                    why = (
                        "is never closed"
                        if self.eof_open
                        else f"makes a record of {len(rec)} fields over lines {first}-{last}"
                        if self.expected is not None and len(rec) != self.expected
                        else f"closes on line {last} before a character that is not a delimiter"
                    )
                    yield (
                        first,
                        first,
                        None,
                        f"malformed CSV record (line {first}): a quote opened here {why}; "
                        "the line is reported alone and reading goes on with the next one",
                    )
                    self.pushback.extendleft(reversed(lines[1:]))
                    break  # a fresh reader: the old one is inside the stray quote
                err = None
                if self.eof_open:
                    err = f"malformed CSV record (line {first}): a quote is never closed"
                elif any(len(f) > MAX_FIELD_CHARS for f in rec):
                    err = (
                        f"malformed CSV record ({_lines(first, last)}): a field is longer than "
                        f"{MAX_FIELD_CHARS:,} characters"
                    )
                    rec = None
                elif self.nul:
                    err = f"NUL bytes on line {self.nul[0]}"
                elif self.bad:
                    err = f"bytes that are not UTF-8 on line {self.bad[0]} (shown as U+FFFD)"
                if rec or err:
                    yield first, last, rec, err
                eof = self.eof_open
                self._reset()
                if eof:
                    return

    def _strictly_valid(self) -> bool:
        """Whether a multi-line record parses under RFC 4180's strict quoting: a stray quote
        that another line's opening quote "closes" leaves a quote followed by text."""
        try:
            list(csv.reader(self.texts, delimiter=self.delimiter, strict=True))
        except csv.Error:
            return False
        return True

    def _skip_overlong(self) -> Iterator[CsvRecord]:
        """Skip an over-long record to its end, counting quotes, holding no line."""
        first_line, _, _ = self.cur[0]
        after = self.cur[1] if len(self.cur) > 1 else None
        quotes = sum(raw.count(b'"') for _, _, raw in self.cur)
        last = self.cur[-1][0]
        self._reset()
        while quotes % 2:
            item = self._next_line()
            if item is None:
                break
            last = item[0]
            quotes += item[2].count(b'"')
        if quotes % 2 == 0:
            yield (
                first_line,
                last,
                None,
                f"malformed CSV record ({_lines(first_line, last)}): the record is longer than "
                f"{MAX_RECORD_BYTES:,} bytes",
            )
            return
        # The end of the file inside quotes: the first line held a stray quote. Read again
        # from the line after it when the stream can seek; else the range is one error row.
        if after is not None and self.stream.seekable():
            self.pushback.clear()
            self.stream.seek(after[1])
            self.src = self._numbered(self.stream.read(_BLOCK), after[0], after[1])
            yield (
                first_line,
                first_line,
                None,
                f"malformed CSV record (line {first_line}): a quote opened here is never "
                "closed; the line is reported alone and reading goes on with the next one",
            )
            return
        yield (
            first_line,
            last,
            None,
            f"malformed CSV record ({_lines(first_line, last)}): a quote opened on line "
            f"{first_line} is never closed",
        )


def _lines(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def _read_csv(
    stream: IO[bytes], source: str, chunk_size: int, delimiter: str = ","
) -> Iterator[Chunk]:
    records = _CsvRecords(stream, delimiter)
    it = iter(records)
    header: list[str] | None = None
    for first, last, rec, err in it:
        if rec is None or err:
            # Never replace a bad header silently by the next record.
            raise ScanError(f"{source}: the header ({_lines(first, last)}) cannot be read: {err}")
        if last != first:  # a header cell across lines: a quote left open in it
            raise ScanError(
                f"{source}: the header ({_lines(first, last)}) cannot be read: a quote "
                "opened in it is not closed on its line"
            )
        header = _unique_header(rec)
        break
    if header is None:
        return
    n = len(header)
    records.expected = n
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    lasts: list[int] = []
    errors: list[str | None] = []
    for line, last, rec, err in it:
        if rec is None:
            row: list[str | None] = [None] * n
        elif len(rec) == n:
            row = list(rec)
        else:
            err = err or f"expected {n} fields, found {len(rec)}"
            row = (list(rec) + [None] * n)[:n]
        rows.append(row)
        numbers.append(line)
        lasts.append(last)
        errors.append(err)
        if len(rows) >= chunk_size:
            frame = pd.DataFrame(rows, columns=header, dtype=object)
            yield Chunk(frame, numbers, errors, source, lasts)
            rows, numbers, lasts, errors = [], [], [], []
    if rows:
        frame = pd.DataFrame(rows, columns=header, dtype=object)
        yield Chunk(frame, numbers, errors, source, lasts)


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
        raise ScanError(f"cannot read {source} as Parquet: {_one_line(exc)}") from exc
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
            msg = f"unreadable Parquet row group {g + 1}: {_one_line(exc)}"
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
                yield from _read_csv(fh, "-", chunk_size, delimiter_for("-", fmt))
            else:
                yield from _read_jsonl(fh, "-", chunk_size)
            continue
        with open(path, "rb") as fh:
            if f == "csv":
                yield from _read_csv(fh, path, chunk_size, delimiter_for(path, fmt))
            else:
                yield from _read_jsonl(fh, path, chunk_size)


# --------------------------------------------------------------------------------------
# Scoring (shared by the local and Dask engines)
# --------------------------------------------------------------------------------------
_DETECTORS: dict[str | None, Any] = {}


def get_detector(model_dir: str | None = None) -> Any:
    """The detector for ``model_dir``, loaded once per process (per worker)."""
    if model_dir not in _DETECTORS:
        from .core import Detector

        _DETECTORS[model_dir] = Detector.load(model_dir)
    return _DETECTORS[model_dir]


def _canonical(frame: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    cols = {f: c for f, c in mapping.items() if f in SCORED_FIELDS or f in META_FIELDS}
    out = pd.DataFrame({f: frame[c] if c in frame.columns else None for f, c in cols.items()})
    out.index = range(len(frame))
    return out


def _canonical_per_record(
    chunk: Chunk,
    text_column: str | None,
    column_map: Mapping[str, str] | None,
    cache: dict[tuple[str, ...], dict[str, str] | str],
) -> tuple[np.ndarray, pd.DataFrame | None, list[str | None]]:
    """JSONL: each record's columns mapped on its own keys (records of one chunk may differ:
    a ``text``-only record beside one with ``title`` and ``description``).

    Returns the rows to score, their canonical frame and the chunk's errors with a row error
    for each record that has no column to score.
    """
    assert chunk.keys is not None
    errors = list(chunk.errors)
    rows: list[int] = []
    records: list[dict[str, Any]] = []
    for i, keys in enumerate(chunk.keys):
        if errors[i] is not None:
            continue
        m = cache.get(keys)
        if m is None:
            try:
                m = map_columns(list(keys), text_column, column_map)
            except ScanError as exc:
                m = str(exc)
            cache[keys] = m
        if isinstance(m, str):
            errors[i] = m
            continue
        rows.append(i)
        records.append(
            {
                f: chunk.frame.iat[i, chunk.frame.columns.get_loc(c)]
                for f, c in m.items()
                if f in SCORED_FIELDS or f in META_FIELDS
            }
        )
    ok = np.array(rows, dtype=int)
    canon = pd.DataFrame(records, index=range(len(records)), dtype=object) if records else None
    return ok, canon, errors


def score_canonical(det: Any, canon: pd.DataFrame) -> pd.DataFrame:
    """Result columns for a frame of ad fields (``text`` or field columns), same rows.

    Rows may differ in kind (JSONL records are mapped one by one): rows with ``text`` are
    scored as pasted text, the others by their fields.
    """
    field_cols = [c for c in canon.columns if c != "text"]
    if "text" in canon.columns and field_cols:
        is_text = canon["text"].notna().to_numpy()
        if is_text.all():
            canon = canon[["text"]]
        elif not is_text.any():
            canon = canon[field_cols]
        else:
            parts = [
                score_canonical(det, canon.loc[is_text, ["text"]]),
                score_canonical(det, canon.loc[~is_text, field_cols]),
            ]
            order = np.concatenate([np.flatnonzero(is_text), np.flatnonzero(~is_text)])
            res = pd.concat(parts, ignore_index=True)
            return res.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    text_column = "text" if "text" in canon.columns else None
    res = det.score_frame(canon, text_column=text_column)
    # The TF-IDF's Arrow buffers are freed, but the allocator keeps the pages for reuse:
    # hand them back, or every worker holds its largest chunk's peak (~60 MB) for good.
    pa.default_memory_pool().release_unused()
    return res[list(RESULT_COLUMNS)].reset_index(drop=True)


def _score_job(model_dir: str | None, canon: pd.DataFrame) -> pd.DataFrame:
    return score_canonical(get_detector(model_dir), canon)


def _init_worker(model_dir: str | None) -> None:
    # Ctrl-C is handled by the parent, which finishes the output cleanly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    get_detector(model_dir)


def combine_results(
    chunk: Chunk, ok_rows: np.ndarray, scored: pd.DataFrame | None, number_column: str
) -> pd.DataFrame:
    """The chunk's original columns + line number + result columns, in input order."""
    n = len(chunk.frame)
    cols: dict[str, list[Any]] = {c: [None] * n for c in RESULT_COLUMNS}
    cols["scam_probability"] = [np.nan] * n
    if scored is not None and len(ok_rows):
        for c in RESULT_COLUMNS:
            dst = cols[c]
            for i, v in zip(ok_rows.tolist(), scored[c].tolist(), strict=True):
                dst[i] = v
    errs = cols["error"]
    for i, e in enumerate(chunk.errors):
        if e is not None:
            errs[i] = e
    # Missing values are None in text columns, whatever the pandas version's NA.
    for c in RESULT_COLUMNS[1:]:
        cols[c] = [v if isinstance(v, str) else None for v in cols[c]]
    out = chunk.frame.reset_index(drop=True).copy()
    for c in (number_column, *RESULT_COLUMNS):
        if c in out.columns:  # an input column with our name: keep it, renamed
            out = out.rename(columns={c: f"input_{c}"})
    out[number_column] = chunk.numbers
    out["scam_probability"] = np.asarray(cols["scam_probability"], dtype=float)
    for c in RESULT_COLUMNS[1:]:
        out[c] = pd.Series(cols[c], dtype=object)
    return out


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------
class _Writer:
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
            # CRLF (RFC 4180): the csv module quotes a field holding any character of the
            # line terminator, so a lone CR in a cell is quoted too (with "\n" it was not,
            # and readers split the row there).
            data = frame.to_csv(index=False, header=header, lineterminator="\r\n", sep=self.sep)
        else:
            data = frame.to_json(orient="records", lines=True, force_ascii=False)
            if data and not data.endswith("\n"):
                data += "\n"
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
            self.schema = _schema_for(frame)
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


def _schema_for(frame: pd.DataFrame) -> pa.Schema:
    fields = []
    for c in frame.columns:
        if c == "scam_probability":
            t = pa.float64()
        elif c in ("line", "row"):
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


# --------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------
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
    #: Clusters written by ``scan_dask(clusters_out=...)`` (None: not asked).
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
                self.contacts.update(cell.split(";"))
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


# --------------------------------------------------------------------------------------
# The local engine
# --------------------------------------------------------------------------------------
class ScanFailed(RuntimeError):
    """An unexpected failure during a scan (exit 3); ``summary`` says how far it got and
    the partial output keeps its progress file."""

    def __init__(self, summary: ScanSummary, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {_one_line(cause)}")
        self.summary = summary


def progress_path(output: str) -> str:
    return f"{output}.scan-progress.json"


def _save_progress(path: str, state: Mapping[str, Any]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh, ensure_ascii=False)
    os.replace(tmp, path)


#: Bytes hashed at each end of an input to notice a changed file on --resume.
FINGERPRINT_BYTES = 1 << 20


def fingerprint(path: str) -> dict[str, Any]:
    """Size, modification time and sha256 of the first and last MiB of ``path``."""
    st = os.stat(path)
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        h.update(fh.read(FINGERPRINT_BYTES))
        if st.st_size > FINGERPRINT_BYTES:
            fh.seek(max(FINGERPRINT_BYTES, st.st_size - FINGERPRINT_BYTES))
            h.update(fh.read())
    return {"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": h.hexdigest()}


#: Test hook (fault injection): ``JOBSCAM_SCAN_INTERRUPT_AFTER=N`` sends this process SIGINT
#: after N chunks are written (0: before the first is read), ``JOBSCAM_SCAN_INTERRUPT_TWICE=1``
#: sends a second one as the interrupted scan cleans up: a real Ctrl-C, at a chosen point.
INTERRUPT_AFTER_ENV = "JOBSCAM_SCAN_INTERRUPT_AFTER"
INTERRUPT_TWICE_ENV = "JOBSCAM_SCAN_INTERRUPT_TWICE"


#: SIGINTs a scan in this process has received; the CLI ignores any that come after the
#: first (the scan is already stopping, or has stopped and is reporting).
SIGINTS_SEEN = [0]


def _sigint_self() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0)  # the handler runs at the next bytecode boundary


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now: an interrupted scan discards their chunks, and a worker blocked
    on its result queue would keep the executor (and the exit) waiting for ever."""
    procs = list(getattr(pool, "_processes", {}).values())
    # The queue's feeder thread may be blocked writing a chunk into the pipe of a worker
    # about to be terminated; joining it at exit would wait for ever.
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:
        call_queue.cancel_join_thread()
    manager = getattr(pool, "_executor_manager_thread", None)
    for p in procs:
        if p.is_alive():
            p.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
    # The executor's manager thread may be blocked putting a task into the full call queue
    # that no worker will ever read; the interpreter joins that thread at exit. Free the
    # queue's slots so the put completes, the thread sees the workers gone, and ends.
    sem = getattr(call_queue, "_sem", None)
    for _ in range(64):
        try:
            sem.release()  # type: ignore[union-attr]
        except (ValueError, AttributeError):  # bounded: all slots free (or no queue)
            break
    # Let it end now, not race the interpreter's exit hook for the wake-up pipe.
    if manager is not None:
        manager.join(5)


def scan(
    inputs: str | Sequence[str],
    output: str | None = None,
    *,
    input_format: str | None = None,
    output_format: str | None = None,
    text_column: str | None = None,
    column_map: Mapping[str, str] | None = None,
    min_risk: str | None = None,
    sort: bool = False,
    chunk_size: int = 1000,
    workers: int | None = None,
    resume: bool = False,
    progress: bool = False,
    model_dir: str | None = None,
    detector: Any = None,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
    on_chunk: Callable[[pd.DataFrame], None] | None = None,
) -> ScanSummary:
    """Score every row of ``inputs`` and write them (plus result columns) to ``output``.

    Parameters
    ----------
    inputs
        A file, directory, glob, ``"-"`` (standard input), or a list of files.
    output
        Output file (format from its name or ``output_format``), ``"-"`` for standard
        output, or ``None`` to only count (the summary).
    min_risk
        Write only rows at or above this risk (and every error row); the summary counts all.
    sort
        Sort the output by probability, highest first (re-reads the finished output: memory
        grows with the rows written, so pair it with ``min_risk`` on big boards).
    workers
        Processes scoring chunks (default: CPU count, at most 2 when the input is small).
    resume
        Continue an interrupted scan of the same, unchanged input into the same output.
    detector
        A loaded ``Detector`` to use in-process (``workers`` is then 1 unless set).
    on_chunk
        Called with each finished chunk's rows (all of them, before ``min_risk``); used by
        ``detector.network`` to collect clustering keys without a second pass.

    Raises
    ------
    ScanError
        For usage and input problems (unknown format, no scorable column, an unreadable
        file, nothing to resume, an input changed since the interrupted scan).
    ScanFailed
        For anything unexpected; the partial output keeps its progress file.
    """
    t0 = time.perf_counter()
    files = list(inputs) if isinstance(inputs, (list, tuple)) else expand_inputs(str(inputs))
    if input_format is None and "-" in files:
        raise ScanError("reading standard input needs --format csv|tsv|jsonl|parquet")
    for f in files:
        check_readable(f, detect_format(f, input_format))
    out_fmt = None
    if output is not None:
        default = "csv" if output == "-" else None
        out_fmt = detect_format(output, output_format or default)
        if output == "-" and out_fmt == "parquet":
            raise ScanError("Parquet cannot be streamed to standard output; name a file")
    if min_risk is not None and min_risk not in RISK_ORDER:
        raise ScanError(f"--min-risk must be one of {', '.join(RISKS)}")
    if resume and (output is None or output == "-"):
        raise ScanError("--resume needs an output file")
    if resume and "-" in files:
        raise ScanError("--resume cannot check that standard input is the same; name a file")
    if sort and output == "-":
        raise ScanError("--sort needs an output file")
    for fld, col in (column_map or {}).items():
        if fld not in COLUMN_ALIASES and fld not in META_FIELDS:
            raise ScanError(
                f"--map {fld}={col}: unknown field {fld!r}; fields: "
                + ", ".join([*COLUMN_ALIASES, *META_FIELDS])
            )

    multi = len(files) > 1
    in_fmts = {detect_format(f, input_format) for f in files}
    number_column = "row" if in_fmts == {"parquet"} else "line"
    jsonl_in = "jsonl" in in_fmts
    prints = [fingerprint(f) if f != "-" else {"path": "-"} for f in files]

    summary = ScanSummary(output=output, number_column=number_column)
    skip = 0
    keep: dict[str, Any] | None = None
    prog_file = progress_path(output) if output and output != "-" else None
    if resume:
        assert prog_file is not None
        if not os.path.exists(prog_file):
            raise ScanError(f"nothing to resume: {prog_file} does not exist")
        with open(prog_file, encoding="utf-8") as fh:
            state = json.load(fh)
        if state.get("inputs") != files:
            raise ScanError("--resume: the input differs from the interrupted scan's")
        before = state.get("fingerprints")
        if before is not None and before != prints:
            changed = [a["path"] for a, b in zip(before, prints, strict=False) if a != b]
            raise ScanError(
                f"--resume: {', '.join(changed) or 'the input'} changed since the interrupted "
                "scan (size, time or content): scan again without --resume"
            )
        skip = int(state["records_done"])
        keep = state["writer"]
        summary = ScanSummary._from_state(state["summary"])
        summary.output = output
        summary.number_column = number_column

    det = detector
    if det is None and model_dir not in _DETECTORS:
        get_detector(model_dir)  # fail fast (ModelError) and let forked workers inherit it
    n_workers = (
        workers if workers is not None else (1 if detector is not None else os.cpu_count() or 1)
    )
    interrupt_after = os.environ.get(INTERRUPT_AFTER_ENV)
    stop_at = int(interrupt_after) if interrupt_after not in (None, "") else None
    twice = os.environ.get(INTERRUPT_TWICE_ENV) == "1"

    chunks = read_chunks(files, input_format, chunk_size, stdin=stdin)
    mapping: dict[str, str] | None = None
    record_maps: dict[tuple[str, ...], dict[str, str] | str] = {}
    writer = _Writer(output, out_fmt, keep=keep, stdout=stdout) if output and out_fmt else None
    pool: ProcessPoolExecutor | None = None
    bar = None
    last_save = time.monotonic()
    done_records = skip
    written_chunks = 0
    base_seconds = summary.seconds
    pending: deque[tuple[Chunk, np.ndarray, Future[pd.DataFrame] | pd.DataFrame | None]] = deque()
    failure: BaseException | None = None

    def finish_one() -> None:
        nonlocal done_records, last_save, written_chunks
        chunk, ok_rows, job = pending.popleft()
        scored = job.result() if isinstance(job, Future) else job
        rows = combine_results(chunk, ok_rows, scored, number_column)
        if multi:
            rows["source_file"] = chunk.source
        if jsonl_in and writer is not None and writer.fmt != "jsonl" and "extra_fields" not in rows:
            rows["extra_fields"] = None
        if on_chunk is not None:
            on_chunk(rows)
        kept = rows
        if min_risk is not None:
            r = rows["risk"].map(lambda x: RISK_ORDER.get(x, -1))
            kept = rows[(r >= RISK_ORDER[min_risk]) | rows["error"].notna()]
        stopping["critical"] = True
        try:
            if writer is not None:
                writer.write(kept)
            summary.add(rows, len(kept), chunk)
            done_records += len(rows)
            written_chunks += 1
            summary.last_position = f"{chunk.source}, {number_column} {chunk.numbers[-1]}"
            # Parquet rows reach the file only when it is closed: a progress file written
            # now would promise rows a hard kill loses. It is written when the scan stops.
            if prog_file and out_fmt != "parquet" and time.monotonic() - last_save > 2.0:
                save()
                last_save = time.monotonic()
        finally:
            stopping["critical"] = False
        if stopping["held"]:
            stopping["yes"] = True
            raise KeyboardInterrupt
        if bar is not None:
            bar.update(len(rows))
        if stop_at is not None and written_chunks == stop_at:
            _sigint_self()

    def save(complete: bool = False) -> None:
        if not prog_file or writer is None:
            return
        summary.seconds = base_seconds + time.perf_counter() - t0
        _save_progress(
            prog_file,
            {
                "inputs": files,
                "fingerprints": prints,
                "records_done": done_records,
                "writer": writer.checkpoint(),
                "summary": summary._state(),
                "complete": complete,
            },
        )

    # Ctrl-C: the first stops the scan (KeyboardInterrupt), any later one is ignored while
    # the scan stops its workers and closes a resumable output, which takes a moment.
    # A Ctrl-C inside a chunk's write-and-count is held until the chunk is counted: a row
    # written but not counted would come out twice on --resume.
    main = threading.current_thread() is threading.main_thread()
    stopping = {"yes": False, "critical": False, "held": False}

    def on_sigint(signum: int, frame: Any) -> None:
        SIGINTS_SEEN[0] += 1
        if stopping["yes"]:
            return
        if stopping["critical"]:
            stopping["held"] = True
            return
        stopping["yes"] = True
        raise KeyboardInterrupt

    old_handler = signal.signal(signal.SIGINT, on_sigint) if main else None
    try:
        if not resume:
            save()  # from the first moment, a progress file marks the output as partial
        if stop_at == 0:
            _sigint_self()
        if progress:
            from tqdm import tqdm

            bar = tqdm(unit=" rows", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
        seen = 0
        for chunk in chunks:
            # Resume: skip the rows already written (they are read again, not scored).
            if seen + len(chunk.frame) <= skip:
                seen += len(chunk.frame)
                continue
            if seen < skip:
                chunk = chunk.cut(skip - seen)
            seen += len(chunk.frame)
            if chunk.keys is not None:
                readable = sum(e is None for e in chunk.errors)
                ok_rows, canon, errs = _canonical_per_record(
                    chunk, text_column, column_map, record_maps
                )
                if mapping is None and len(ok_rows):
                    mapping = {}  # mapped per record from here on
                elif mapping is None and readable:
                    # Not one readable record of the first chunk has a column to score: the
                    # columns need naming (--text-column, --map), as for CSV and Parquet.
                    raise ScanError(next(e for e in errs if e is not None))
                chunk.errors = errs
            else:
                if mapping is None:
                    mapping = map_columns(list(chunk.frame.columns), text_column, column_map)
                ok_rows = np.array([i for i, e in enumerate(chunk.errors) if e is None], dtype=int)
                canon = _canonical(chunk.frame.iloc[ok_rows], mapping) if len(ok_rows) else None
            if pool is None and n_workers > 1 and detector is None:
                # Forked workers share the loaded model's pages until written to; the
                # cyclic GC writes to every object it visits. Frozen objects are skipped.
                gc.freeze()
                pool = ProcessPoolExecutor(
                    max_workers=n_workers, initializer=_init_worker, initargs=(model_dir,)
                )
            if canon is None:
                pending.append((chunk, ok_rows, None))
            elif pool is not None:
                pending.append((chunk, ok_rows, pool.submit(_score_job, model_dir, canon)))
            else:
                d = det if det is not None else get_detector(model_dir)
                pending.append((chunk, ok_rows, score_canonical(d, canon)))
            while len(pending) > 2 * max(n_workers, 1) or (pool is None and pending):
                finish_one()
        while pending:
            finish_one()
    except KeyboardInterrupt:
        summary.interrupted = True
        summary.status = "interrupted"
    except BaseException as exc:
        summary.status = "failed"
        failure = exc
    finally:
        stopping["yes"] = True  # a Ctrl-C now must not break the clean-up
        try:
            if twice and summary.interrupted:
                _sigint_self()
            pending.clear()
            if pool is not None:
                if summary.status == "complete":
                    pool.shutdown(wait=True)
                else:
                    _stop_pool(pool)
            if bar is not None:
                bar.close()
            if writer is not None:
                if summary.status == "failed" and done_records == 0 and not resume:
                    writer.discard()  # nothing to keep: no output, no progress file
                    if prog_file and os.path.exists(prog_file):
                        os.remove(prog_file)
                else:
                    if summary.status != "complete":
                        save()
                    writer.close()
                    if summary.status != "complete" and writer.fmt == "parquet":
                        save()  # the row groups the closed file now really holds
        finally:
            if old_handler is not None:
                signal.signal(signal.SIGINT, old_handler)
    summary.seconds = base_seconds + time.perf_counter() - t0
    if failure is not None:
        if isinstance(failure, ScanError):
            failure.summary = summary  # type: ignore[attr-defined]
            raise failure
        if not isinstance(failure, Exception):
            raise failure  # SystemExit and the like
        raise ScanFailed(summary, failure) from failure
    if summary.interrupted:
        return summary
    if prog_file and os.path.exists(prog_file):
        os.remove(prog_file)
    if sort and output:
        sort_output(output, out_fmt or "csv")
    return summary


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
        yield pd.read_json(path, lines=True, dtype=False)
    else:
        yield from pd.read_json(path, lines=True, dtype=False, chunksize=rows)


def sort_output(path: str, fmt: str) -> None:
    """Rewrite ``path`` sorted by scam_probability, highest first (errors last)."""
    frame = next(read_output(path, fmt))
    key = pd.to_numeric(frame["scam_probability"], errors="coerce")
    order = np.argsort(-key.fillna(-1.0).to_numpy(), kind="stable")
    frame = frame.iloc[order]
    tmp = f"{path}.sorting"
    w = _Writer(tmp, fmt)
    w.write(frame)
    w.close()
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------
# The Dask engine
# --------------------------------------------------------------------------------------
def _read_file_frame(
    path: str, fmt: str | None, number_column: str, columns: list[str]
) -> pd.DataFrame:
    parts = [
        combine_results(c, np.array([], dtype=int), None, number_column)
        for c in read_chunks([path], fmt, 1 << 30)
    ]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    frame["source_file"] = path
    # Partitions share the first file's columns (as the local engine's output does).
    return frame.reindex(columns=columns)


def _score_partition(
    frame: pd.DataFrame, mapping: Mapping[str, str], model_dir: str | None
) -> pd.DataFrame:
    """Score one partition (rows with read errors keep them); model cached per worker."""
    frame = frame.reset_index(drop=True)
    ok_rows = np.flatnonzero(frame["error"].isna().to_numpy())
    if len(ok_rows):
        canon = _canonical(frame.iloc[ok_rows], mapping)
        scored = score_canonical(get_detector(model_dir), canon)
        for c in RESULT_COLUMNS:
            col = np.array(frame[c].tolist(), dtype=object if c != "scam_probability" else float)
            col[ok_rows] = scored[c].tolist()
            frame[c] = col
    frame["scam_probability"] = frame["scam_probability"].astype(float)
    return frame


def scan_dask(
    input_dir: str,
    output_dir: str,
    *,
    input_format: str | None = None,
    text_column: str | None = None,
    column_map: Mapping[str, str] | None = None,
    scheduler: Any = None,
    model_dir: str | None = None,
    clusters_out: str | None = None,
) -> ScanSummary:
    """Score a directory (or glob) of partitions with dask.dataframe into partitioned Parquet.

    One input file is one partition, read with the same error-tolerant readers as
    :func:`scan`, so the rows, line numbers and results equal the local engine's.
    ``scheduler`` is a ``dask.distributed.Client``, a scheduler address, or ``None`` for
    the local processes scheduler. The model loads once per worker process.
    ``clusters_out``: also cluster the scored rows on the same scheduler
    (:func:`detector.network.cluster_dask`, reading the written Parquet back, so nothing
    is scored twice) and write the clusters table there.
    """
    import dask
    import dask.dataframe as dd

    t0 = time.perf_counter()
    files = expand_inputs(input_dir)
    fmts = {detect_format(f, input_format) for f in files}
    number_column = "row" if fmts == {"parquet"} else "line"
    first = next(iter(read_chunks(files[:1], input_format, 50)), None)
    if first is None:
        raise ScanError(f"{files[0]} holds no rows")
    mapping = map_columns(list(first.frame.columns), text_column, column_map)
    meta = combine_results(first, np.array([], dtype=int), None, number_column).iloc[:0]
    meta["source_file"] = pd.Series(dtype=object)
    meta["scam_probability"] = meta["scam_probability"].astype(float)
    parts = [
        dask.delayed(_read_file_frame)(f, input_format, number_column, list(meta.columns))  # type: ignore[attr-defined]
        for f in files
    ]
    ddf = dd.from_delayed(parts, meta=meta, verify_meta=False)
    scored = ddf.map_partitions(_score_partition, mapping, model_dir, meta=meta)
    schema = _schema_for(meta)
    client = None
    n_clusters: int | None = None
    if isinstance(scheduler, str):
        from distributed import Client

        client = Client(scheduler)
        scheduler = client
    try:
        kw: dict[str, Any] = {}
        if scheduler is None:
            kw["scheduler"] = "processes"
        scored.to_parquet(
            output_dir, write_index=False, schema=schema, overwrite=True, compute_kwargs=kw
        )
        if clusters_out:
            from .network import cluster_dask, write_clusters

            _, table = cluster_dask(
                dd.read_parquet(output_dir),
                text_column=text_column,
                column_map=column_map,
                scheduler=kw.get("scheduler"),
            )
            n_clusters = write_clusters(table, table.attrs.get("hubs", {}), clusters_out)
    finally:
        if client is not None:
            client.close()
    summary = ScanSummary(output=output_dir)
    summary.clusters = n_clusters
    for part in sorted(Path(output_dir).glob("*.parquet")):
        frame = pd.read_parquet(part, columns=["risk", "error", "categories", "contacts"])
        summary.add(frame, len(frame))
    summary.seconds = time.perf_counter() - t0
    return summary
