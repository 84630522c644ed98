"""Issue 13: bad files lose no row and crash nothing; every row comes out or is an error row.

Each test reproduces one item of the issue (numbered as there). The figures asserted are the
ones the closing note quotes. ``assert_accounted`` checks the accounting contract of
docs/scan.md on every scan here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from detector import Detector
from detector.batch import MAX_RECORD_BYTES, ScanError, ScanSummary, progress_path, scan
from detector.front.cli import main

FINE = (
    "Senior accountant for our Jakarta office. Prepare monthly statements, reconcile accounts "
    "and support the annual audit. Five years of experience and a degree in accounting."
)
SCAM = (
    "URGENT hiring customer service in Cambodia, salary USD 1,200 per month, no experience "
    "needed, free flight and visa, contact WhatsApp +62 812 3456 7890 only."
)


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector.load()


def read(path: Path) -> pd.DataFrame:
    if path.suffix in (".csv", ".tsv"):
        sep = "\t" if path.suffix == ".tsv" else ","
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], sep=sep)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_parquet(path)


def assert_accounted(s: ScanSummary, out: Path | None = None) -> None:
    """rows in = scored + error rows = written + filtered; the file holds what is written."""
    assert s.rows_in == s.rows_scored + s.rows_error
    assert s.rows_in == s.rows_out + s.rows_filtered
    assert len(s.error_rows) == s.rows_error
    if out is not None:
        got = read(out)
        assert len(got) == s.rows_out
        assert int(got["error"].notna().sum()) == s.rows_error


def csv_lines(n: int) -> list[bytes]:
    """A header and n well-formed rows: line k (1-based) is row id k-1."""
    return [b"id,title,description\n"] + [
        f'{i},Job {i},"{FINE if i % 2 else SCAM}"\n'.encode() for i in range(1, n + 1)
    ]


# -- 2: an unclosed quote no longer swallows the rest of the file -----------------------------
def test_unclosed_quote_is_one_error_row_and_the_rest_is_read(
    det: Detector, tmp_path: Path
) -> None:
    lines = csv_lines(999)  # 1,000 physical lines
    lines[11] = b'11,Job 11,"Admin in Cambodia, WhatsApp only\n'  # line 12: quote never closes
    src = tmp_path / "unclosed.csv"
    src.write_bytes(b"".join(lines))
    out = tmp_path / "out.csv"
    s = scan(str(src), str(out), detector=det)
    assert_accounted(s, out)
    assert (s.rows_in, s.rows_scored, s.rows_error) == (999, 998, 1)
    got = read(out)
    assert got["line"].astype(int).tolist() == list(range(2, 1001))
    err = got.loc[got["line"] == "12", "error"].item()
    assert "line 12" in err and "quote opened here" in err
    assert s.error_rows == [[str(src), 12, 12]]
    assert got["description"].str.len().max() < 1_000  # no cell swallowed the file


def test_stray_quote_closed_by_a_later_one_is_found_too(det: Detector, tmp_path: Path) -> None:
    lines = csv_lines(30)
    lines[5] = b'5,"Job 5,stray quote\n'  # line 6: pairs with the quote on line 7
    src = tmp_path / "stray.csv"
    src.write_bytes(b"".join(lines))
    s = scan(str(src), str(tmp_path / "out.jsonl"), detector=det)
    assert_accounted(s, tmp_path / "out.jsonl")
    assert (s.rows_in, s.rows_error) == (30, 1)
    assert s.error_rows == [[str(src), 6, 6]]


def test_unclosed_quote_on_stdin_is_accounted(det: Detector, tmp_path: Path) -> None:
    import io

    lines = csv_lines(50)
    lines[20] = b'20,Job 20,"never closed\n'
    s = scan("-", str(tmp_path / "o.csv"), input_format="csv", detector=det,
             stdin=io.BytesIO(b"".join(lines)))  # fmt: skip
    assert_accounted(s, tmp_path / "o.csv")
    assert (s.rows_in, s.rows_error) == (50, 1)


# -- 3: carriage-return-only line endings; a malformed header ---------------------------------
def test_cr_only_line_endings_are_read(det: Detector, tmp_path: Path) -> None:
    src = tmp_path / "mac.csv"
    src.write_bytes(b"".join(csv_lines(20)).replace(b"\n", b"\r"))
    out = tmp_path / "out.csv"
    s = scan(str(src), str(out), detector=det)
    assert_accounted(s, out)
    assert (s.rows_in, s.rows_error) == (20, 0)
    assert read(out)["id"].tolist() == [str(i) for i in range(1, 21)]


def test_crlf_and_multiline_fields_keep_their_line_numbers(det: Detector, tmp_path: Path) -> None:
    src = tmp_path / "dos.csv"
    src.write_bytes(
        b'id,text\r\n1,"two\r\nlines of an ad for an accountant"\r\n2,"' + FINE.encode() + b'"\r\n'
    )
    s = scan(str(src), str(tmp_path / "o.csv"), detector=det)
    got = read(tmp_path / "o.csv")
    assert got["line"].astype(int).tolist() == [2, 4]
    assert (s.rows_in, s.rows_error) == (2, 0)


@pytest.mark.parametrize(
    "header",
    [b'id,"title,description\n', b"id,ti\x00tle,description\n", b"id,t\xfftle,description\n"],
    ids=["unclosed-quote", "nul", "not-utf8"],
)
def test_malformed_header_is_an_input_error_not_replaced(tmp_path: Path, header: bytes) -> None:
    src = tmp_path / "bad_header.csv"
    src.write_bytes(header + b"".join(csv_lines(5)[1:]))
    out = tmp_path / "out.csv"
    r = CliRunner().invoke(main, ["scan", str(src), "-o", str(out), "--workers", "1"])
    assert r.exit_code == 2, r.output
    assert "header" in r.output and "Traceback" not in r.output
    assert not out.exists() and not Path(progress_path(str(out))).exists()


# -- 4: a huge quoted multi-line field is one error row ---------------------------------------
def test_huge_multiline_field_is_one_error_row(det: Detector, tmp_path: Path) -> None:
    # Over MAX_RECORD_BYTES (4 MB), in 100-byte lines: the old reader made each line a row.
    big = ("y" * 99 + "\n") * (MAX_RECORD_BYTES // 100 + 1000)
    lines = csv_lines(200)
    lines[100] = f'100,Job 100,"{big}"\n'.encode()  # line 101 onwards
    src = tmp_path / "huge.csv"
    src.write_bytes(b"".join(lines))
    out = tmp_path / "out.parquet"
    s = scan(str(src), str(out), detector=det)
    assert_accounted(s, out)
    assert (s.rows_in, s.rows_error) == (200, 1)
    n_big = big.count("\n")
    assert s.error_rows == [[str(src), 101, 101 + n_big]]
    got = read(out)
    assert "longer than" in got.loc[got["line"] == 101, "error"].item()
    assert got["line"].tolist()[100] == 102 + n_big  # the next record keeps its true line


# -- 5: JSONL columns are mapped per record ---------------------------------------------------
def test_jsonl_records_of_different_shapes_are_each_scored(det: Detector, tmp_path: Path) -> None:
    recs = [
        {"text": SCAM},
        {"title": "Accountant", "description": FINE},
        {"text": FINE},
        {"title": "Customer service", "text": SCAM},
        {"other": "no ad here"},
    ]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    out = tmp_path / "out.jsonl"
    s = scan(str(src), str(out), detector=det)
    assert_accounted(s, out)
    got = read(out)
    assert got["error"].isna().tolist() == [True, True, True, True, False]
    assert "no column to score" in got["error"].iloc[4]
    # Each as if scored on its own: text as text, fields as fields, text+title as both.
    assert got["scam_probability"].iloc[0] == pytest.approx(det.score(SCAM).probability, abs=1e-6)
    assert got["scam_probability"].iloc[2] == pytest.approx(det.score(FINE).probability, abs=1e-6)
    both = det.score({"title": "Customer service", "description": SCAM}).probability
    assert got["scam_probability"].iloc[3] == pytest.approx(both, abs=1e-6)


# -- 6: a lone surrogate in a JSONL escape ------------------------------------------------------
@pytest.mark.parametrize("out_ext", ["csv", "jsonl", "parquet"])
def test_lone_surrogate_escape_in_jsonl_is_scored(
    det: Detector, tmp_path: Path, out_ext: str
) -> None:
    src = tmp_path / "sur.jsonl"
    src.write_bytes(b'{"text": "Admin di Kamboja \\ud800 gaji 15jt", "k\\udc00": "v"}\n'
                    + json.dumps({"text": FINE}).encode() + b"\n")  # fmt: skip
    out = tmp_path / f"out.{out_ext}"
    s = scan(str(src), str(out), detector=det)
    assert_accounted(s, out)
    assert (s.rows_in, s.rows_error) == (2, 0)
    got = read(out)
    assert "\ufffd" in got["text"].iloc[0]


# -- 7: deep nesting -------------------------------------------------------------------------
def test_deeply_nested_jsonl_line_is_an_error_row(det: Detector, tmp_path: Path) -> None:
    deep = '{"text": "x", "n": ' + "[" * 5_000 + "]" * 5_000 + "}"
    src = tmp_path / "deep.jsonl"
    src.write_text(
        json.dumps({"text": SCAM}) + "\n" + deep + "\n" + json.dumps({"text": FINE}) + "\n"
    )
    out = tmp_path / "out.csv"
    s = scan(str(src), str(out), detector=det)
    assert_accounted(s, out)
    assert (s.rows_in, s.rows_error) == (3, 1)
    assert "nested too deeply" in read(out)["error"].iloc[1]


# -- 8: truncated or corrupt Parquet ----------------------------------------------------------
def _parquet(path: Path, n: int, groups: int = 1) -> None:
    frame = pd.DataFrame({"id": [str(i) for i in range(n)], "text": [FINE, SCAM] * (n // 2)})
    pq.write_table(pa.Table.from_pandas(frame), path, row_group_size=max(1, n // groups),
                   compression="snappy")  # fmt: skip


@pytest.mark.parametrize("out_ext", ["csv", "parquet"])
def test_truncated_parquet_is_exit_2_and_no_output(tmp_path: Path, out_ext: str) -> None:
    src = tmp_path / "in.parquet"
    _parquet(src, 40)
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 2])
    out = tmp_path / f"out.{out_ext}"
    r = CliRunner().invoke(main, ["scan", str(src), "-o", str(out), "--workers", "1"])
    assert r.exit_code == 2, r.output
    assert "cannot read" in r.output and "Parquet" in r.output and "Traceback" not in r.output
    assert not out.exists() and not Path(f"{out}.partial").exists()


def test_corrupt_parquet_row_group_becomes_error_rows(det: Detector, tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    _parquet(src, 40, groups=4)
    meta = pq.ParquetFile(src).metadata
    col = meta.row_group(1).column(1)  # row group 2's text column: garble its page header
    data = bytearray(src.read_bytes())
    at = col.data_page_offset
    data[at : at + 24] = b"\xff" * 24
    src.write_bytes(bytes(data))
    out = tmp_path / "out.jsonl"
    s = scan(str(src), str(out), detector=det, chunk_size=7)
    assert_accounted(s, out)
    assert (s.rows_in, s.rows_error) == (40, 10)
    got = read(out)
    assert got["row"].tolist() == list(range(1, 41))
    assert got["error"].iloc[10:20].str.contains("unreadable Parquet row group 2").all()
    assert got["error"].iloc[:10].isna().all() and got["error"].iloc[20:].isna().all()


# -- 9: binary columns ------------------------------------------------------------------------
@pytest.mark.parametrize("out_ext", ["csv", "jsonl", "parquet"])
def test_binary_parquet_column_is_safe_in_every_output(
    det: Detector, tmp_path: Path, out_ext: str
) -> None:
    table = pa.table(
        {
            "text": [FINE, SCAM, FINE],
            "blob": pa.array([b"\x00\xff\xfe raw", "café".encode(), None], type=pa.binary()),
            "text_bytes": pa.array([SCAM.encode(), b"\xff\xfe", FINE.encode()], type=pa.binary()),
        }
    )
    src = tmp_path / "bin.parquet"
    pq.write_table(table, src)
    out = tmp_path / f"out.{out_ext}"
    s = scan(str(src), str(out), detector=det)
    assert_accounted(s, out)
    got = read(out)
    assert got["blob"].iloc[0].startswith("base64:") and got["blob"].iloc[1] == "café"
    assert s.rows_in == 3


# -- 11: TSV --------------------------------------------------------------------------------
def test_tsv_is_split_on_tabs(det: Detector, tmp_path: Path) -> None:
    src = tmp_path / "board.tsv"
    src.write_text(f"id\ttitle\tdescription\n1\tAdmin, Jakarta\t{FINE}\n2\tCS, Cambodia\t{SCAM}\n")
    out = tmp_path / "out.tsv"
    s = scan(str(src), str(out), detector=det)
    assert_accounted(s, out)
    got = read(out)
    assert got["title"].tolist() == ["Admin, Jakarta", "CS, Cambodia"]
    assert s.rows_error == 0


# -- 13: --resume notices a changed input ---------------------------------------------------
def test_resume_refuses_a_changed_input(
    det: Detector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(b"".join(csv_lines(12)))
    out = tmp_path / "out.csv"
    monkeypatch.setenv("JOBSCAM_SCAN_INTERRUPT_AFTER", "2")
    s = scan(str(src), str(out), detector=det, chunk_size=3)
    assert s.interrupted
    monkeypatch.delenv("JOBSCAM_SCAN_INTERRUPT_AFTER")
    # Same size, same name, one byte different: only the content tells.
    data = bytearray(src.read_bytes())
    data[-5] = ord("X")
    st = os.stat(src)
    src.write_bytes(bytes(data))
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(ScanError, match="changed since the interrupted scan"):
        scan(str(src), str(out), detector=det, chunk_size=3, resume=True)


# -- accounting: --summary-json ---------------------------------------------------------------
def test_summary_json_lists_every_error_row_with_its_lines(tmp_path: Path) -> None:
    lines = csv_lines(30)
    lines[4] = b"4,only two\n"  # line 5
    lines[9] = b"9,Job 9,too,many\n"  # line 10
    lines[20] = b'20,"Job 20,stray quote\n'  # line 21
    src = tmp_path / "defects.csv"
    src.write_bytes(b"".join(lines))
    out, summ = tmp_path / "o.csv", tmp_path / "summary.json"
    r = CliRunner().invoke(main, ["scan", str(src), "-o", str(out), "--workers", "1",
                                  "--summary-json", str(summ), "--fail-on", "high"])  # fmt: skip
    assert r.exit_code in (0, 1), r.output
    d = json.loads(summ.read_text())
    assert d["status"] == "complete"
    assert d["rows_in"] == d["rows_scored"] + d["rows_error"] == d["rows_out"] + d["rows_filtered"]
    assert d["rows_in"] == 30
    ranges = [e["lines"] for e in d["error_rows"]]
    assert ranges == [[5, 5], [10, 10], [21, 21]]
    assert len(ranges) == d["rows_error"]
    assert "error rows" in r.output


def test_a_lone_carriage_return_in_a_cell_stays_in_its_row(det: Detector, tmp_path: Path) -> None:
    # Found by tests/test_fuzz.py: CSV output with "\n" endings left a cell's lone CR
    # unquoted, and readers split the row there (2 rows out for 1 in).
    src = tmp_path / "cr.jsonl"
    src.write_text(json.dumps({"id": "0", "text": "Admin\rKamboja gaji 15jt"}) + "\n")
    out = tmp_path / "out.csv"
    s = scan(str(src), str(out), detector=det)
    assert_accounted(s, out)
    assert read(out)["text"].tolist() == ["Admin\rKamboja gaji 15jt"]
