"""The error-tolerant CSV reader: one malformed record becomes one error row, with the
physical lines it spanned, and never takes the rest of the file with it.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from typing import IO

import pandas as pd

from ..columns import ScanError
from .chunks import MAX_FIELD_CHARS, Chunk, unique_header

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


def read_csv(
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
        header = unique_header(rec)
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
