"""The batch scanner: formats, column mapping, every-row accounting, resume, CLI, Dask."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from detector import Detector
from detector.batch import (
    MAX_FIELD_CHARS,
    RESULT_COLUMNS,
    ScanError,
    map_columns,
    scan,
)
from detector.front.cli import main

SCAM = (
    "URGENT hiring customer service in Cambodia, salary USD 1,200 per month, no experience "
    "needed, free flight and visa, contact WhatsApp +62 812 3456 7890 only. Pay a small "
    "processing fee first."
)
SCAM_ID = (
    "Dicari admin online di Kamboja, gaji 15 juta per bulan, tanpa pengalaman, tiket pesawat "
    "gratis, hubungi WA 0812-3456-7890 segera. Biaya administrasi Rp 2.000.000 di awal."
)
FINE = (
    "Senior accountant for our Jakarta office. Prepare monthly statements, reconcile accounts "
    "and support the annual audit. Five years of experience and a degree in accounting."
)


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector.load()


def _rows(n: int) -> list[dict[str, str]]:
    texts = [SCAM, FINE, SCAM_ID]
    return [
        {"Job Title": f"Job {i}", "Description": texts[i % 3], "Company": "PT Contoh", "id": str(i)}
        for i in range(n)
    ]


# -- column mapping -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["Title", "Description"], {"title": "Title", "description": "Description"}),
        (["judul", "deskripsi", "perusahaan", "lokasi", "gaji"],
         {"title": "judul", "description": "deskripsi", "company_profile": "perusahaan",
          "location": "lokasi", "salary_range": "gaji"}),
        (["job_title", "BODY", "url", "posted_at"],
         {"title": "job_title", "description": "BODY", "url": "url", "posted_at": "posted_at"}),
        (["TEXT", "id"], {"text": "TEXT"}),
    ],
)  # fmt: skip
def test_automatic_column_mapping(columns: list[str], expected: dict[str, str]) -> None:
    assert map_columns(columns) == expected


def test_mapping_overrides_and_errors() -> None:
    assert map_columns(["a", "b"], text_column="b") == {"text": "b"}
    assert map_columns(["a", "b"], overrides={"description": "a"}) == {"description": "a"}
    with pytest.raises(ScanError, match="no column to score"):
        map_columns(["id", "price"])
    with pytest.raises(ScanError, match="no column 'zzz'"):
        map_columns(["a"], overrides={"title": "zzz"})


# -- formats --------------------------------------------------------------------------------
@pytest.mark.parametrize("out_ext", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("in_ext", ["csv", "jsonl", "parquet"])
def test_formats_round_trip(det: Detector, tmp_path: Path, in_ext: str, out_ext: str) -> None:
    frame = pd.DataFrame(_rows(7))
    src = tmp_path / f"in.{in_ext}"
    if in_ext == "csv":
        frame.to_csv(src, index=False)
    elif in_ext == "jsonl":
        frame.to_json(src, orient="records", lines=True)
    else:
        frame.to_parquet(src)
    out = tmp_path / f"out.{out_ext}"
    s = scan(str(src), str(out), detector=det, chunk_size=3)
    got = _read(out)
    assert s.rows_in == s.rows_out == len(got) == 7
    assert list(got["id"].astype(str)) == [str(i) for i in range(7)]
    for c in (*frame.columns, *RESULT_COLUMNS):
        assert c in got.columns
    assert got["error"].isna().all()
    # The same ads score the same whatever the format.
    probs = got["scam_probability"].astype(float).round(6).tolist()
    assert probs[0] == probs[3] == probs[6] and probs[0] > probs[1]
    assert ("line" if in_ext != "parquet" else "row") in got.columns


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_parquet(path)


# -- every row accounted for ------------------------------------------------------------------
def test_csv_with_every_defect_keeps_every_row(det: Detector, tmp_path: Path) -> None:
    long_field = "x" * (MAX_FIELD_CHARS + 10)
    lines = [
        b"title,description,id\n",
        b'Job A,"' + SCAM.encode() + b'",1\n',  # line 2: fine
        b"Job B,only two\n",  # line 3: too few fields
        b"Job C,too,many,fields\n",  # line 4: too many fields
        b"Job D,caf\xe9 \xff bytes,4\n",  # line 5: not UTF-8
        b",,5\n",  # line 6: no text
        b'Job F,"' + long_field.encode() + b'",6\n',  # line 7: absurdly long field
        b'Job G,"multi\nline ' + FINE.encode() + b'",7\n',  # lines 8-9: fine, two lines
        b"\n",  # blank line: not a row
        b'Job H,"' + FINE.encode() + b'",8\n',  # line 11
    ]
    src = tmp_path / "defects.csv"
    src.write_bytes(b"".join(lines))
    out = tmp_path / "out.csv"
    s = scan(str(src), str(out), detector=det)
    got = _read(out)
    assert s.rows_in == s.rows_out == len(got) == 8
    assert got["line"].astype(int).tolist() == [2, 3, 4, 5, 6, 7, 8, 11]
    errors = dict(zip(got["line"].astype(int), got["error"], strict=True))
    assert pd.isna(errors[2]) and pd.isna(errors[8]) and pd.isna(errors[11])
    assert "expected 3 fields, found 2" in errors[3]
    assert "expected 3 fields, found 4" in errors[4]
    assert "not UTF-8 on line 5" in errors[5]
    assert "no text" in errors[6]
    assert "longer than" in errors[7]
    assert s.rows_error == 5
    assert sum(s.risk.values()) == 3  # the three scored rows have a risk band
    assert got.loc[got["line"] == "2", "risk"].item() in ("medium", "high")


def test_jsonl_with_every_defect_keeps_every_row(det: Detector, tmp_path: Path) -> None:
    lines = [
        json.dumps({"judul": "Admin", "deskripsi": SCAM_ID}).encode(),
        b'{"judul": "broken", ',
        b"[1, 2, 3]",
        b'{"judul": "caf\xe9"}',
        b"",
        json.dumps({"judul": None, "deskripsi": ""}).encode(),
        json.dumps({"judul": "x", "deskripsi": "y" * (MAX_FIELD_CHARS + 5)}).encode(),
        json.dumps({"judul": "Accountant", "deskripsi": FINE, "extra": {"a": 1}}).encode(),
    ]
    src = tmp_path / "defects.ndjson"
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.parquet"
    s = scan(str(src), str(out), detector=det, chunk_size=2)
    got = _read(out)
    assert s.rows_in == s.rows_out == len(got) == 7
    assert got["line"].tolist() == [1, 2, 3, 4, 6, 7, 8]
    err = dict(zip(got["line"], got["error"], strict=True))
    assert pd.isna(err[1]) and pd.isna(err[8])
    assert "invalid JSON" in err[2]
    assert "not an object" in err[3]
    assert "not UTF-8" in err[4]
    assert "no text" in err[6]
    assert "limit" in err[7]
    assert s.rows_error == 5
    # A key first seen after the first chunk is kept, not dropped.
    assert json.loads(got.loc[got["line"] == 8, "extra_fields"].item()) == {"extra": '{"a": 1}'}


def test_min_risk_and_sort(det: Detector, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame(_rows(9)).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    s = scan(str(src), str(out), detector=det, min_risk="medium", sort=True, chunk_size=4)
    got = _read(out)
    assert s.rows_in == 9 and s.rows_out == len(got) and s.rows_filtered == 9 - len(got)
    assert set(got["risk"]) <= {"medium", "high"} and len(got) >= 3
    probs = got["scam_probability"].astype(float).tolist()
    assert probs == sorted(probs, reverse=True)
    assert sum(s.risk.values()) == 9  # the summary still counts every row


def test_directory_of_partitions_and_process_pool(det: Detector, tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    rows = _rows(12)
    pd.DataFrame(rows[:5]).to_csv(parts / "a.csv", index=False)
    pd.DataFrame(rows[5:]).to_json(parts / "b.jsonl", orient="records", lines=True)
    out = tmp_path / "out.jsonl"
    s = scan(str(parts), str(out), workers=2, chunk_size=2)
    got = _read(out)
    assert s.rows_in == s.rows_out == 12
    assert got["id"].astype(str).tolist() == [str(i) for i in range(12)]
    assert (
        got["source_file"].map(lambda p: Path(p).name).tolist() == ["a.csv"] * 5 + ["b.jsonl"] * 7
    )
    single = scan(str(parts), str(tmp_path / "one.jsonl"), detector=det, chunk_size=5)
    assert single.risk == s.risk
    pd.testing.assert_series_equal(
        got["scam_probability"], _read(tmp_path / "one.jsonl")["scam_probability"]
    )


def test_interrupt_leaves_valid_output_and_resume_finishes(
    det: Detector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import detector.batch.engine as scan_mod

    src = tmp_path / "in.csv"
    pd.DataFrame(_rows(10)).to_csv(src, index=False)
    for ext in ("csv", "parquet"):
        out = tmp_path / f"out.{ext}"
        calls = {"n": 0}
        real = scan_mod.score_canonical

        def flaky(d, canon, real=real, calls=calls):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
            return real(d, canon)

        monkeypatch.setattr(scan_mod, "score_canonical", flaky)
        s = scan(str(src), str(out), detector=det, chunk_size=3)
        assert s.interrupted and s.rows_in == 6
        assert "line 7" in s.last_position
        partial = _read(out)
        assert partial["id"].astype(str).tolist() == [str(i) for i in range(6)]
        monkeypatch.setattr(scan_mod, "score_canonical", real)
        s2 = scan(str(src), str(out), detector=det, chunk_size=3, resume=True)
        assert not s2.interrupted and s2.rows_in == s2.rows_out == 10
        full = _read(out)
        assert full["id"].astype(str).tolist() == [str(i) for i in range(10)]
        assert not Path(f"{out}.scan-progress.json").exists()


# -- CLI --------------------------------------------------------------------------------------
def test_cli_exit_codes_and_summary(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame(_rows(3)).to_csv(src, index=False)
    runner = CliRunner()
    r = runner.invoke(main, ["scan", str(src), "-o", str(tmp_path / "o.csv"), "--workers", "1"])
    assert r.exit_code == 1, r.output  # the scam ads are high risk
    assert "rows in: 3" in r.output and "rows out: 3" in r.output
    r = runner.invoke(
        main, ["scan", str(src), "--fail-on", "high", "--min-risk", "high", "--workers", "1",
               "--json", "--text-column", "id"]
    )  # fmt: skip
    assert r.exit_code == 0, r.output  # ids are not ads: nothing high
    assert json.loads(r.output.strip().splitlines()[-1])["rows_in"] == 3
    r = runner.invoke(main, ["scan", str(tmp_path / "missing.csv")])
    assert r.exit_code == 2 and "no such file" in r.output
    r = runner.invoke(main, ["scan", str(src), "--map", "nonsense"])
    assert r.exit_code == 2
    r = runner.invoke(main, ["scan", "-", "--workers", "1", "-o", "-", "--format", "jsonl"],
                      input=json.dumps({"text": FINE}) + "\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "scam_probability" in r.output.splitlines()[0]
    assert "--text-column" in runner.invoke(main, ["scan", "--help"]).output


# -- Dask ---------------------------------------------------------------------------------------
def test_dask_engine_matches_local_engine(det: Detector, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    from detector.batch import scan_dask

    parts = tmp_path / "parts"
    parts.mkdir()
    rows = _rows(9)
    pd.DataFrame(rows[:4]).to_csv(parts / "p1.csv", index=False)
    pd.DataFrame(rows[4:]).to_csv(parts / "p2.csv", index=False)
    (parts / "p3.csv").write_bytes(b"Job Title,Description\nbad,row,extra\n,\n")
    local = tmp_path / "local.parquet"
    scan(str(parts), str(local), detector=det)
    out = tmp_path / "dask_out"
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cl,
        Client(cl) as client,
    ):
        s = scan_dask(str(parts), str(out), scheduler=client)
    got = pd.read_parquet(out).reset_index(drop=True)
    want = pd.read_parquet(local)
    assert s.rows_in == len(got) == len(want) == 11
    got = got[want.columns]
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    # The summary lists the error rows as the local engine's does (first lines; single-line
    # records here, so the last lines agree too).
    local_summary = scan(str(parts), str(tmp_path / "again.parquet"), detector=det)
    assert s.rows_error == local_summary.rows_error >= 2
    assert sorted(map(tuple, s.error_rows)) == sorted(map(tuple, local_summary.error_rows))


def test_dask_clusters_match_local_clusters(det: Detector, tmp_path: Path) -> None:
    """`jobscam scan --engine dask --clusters` writes the local engine's clusters table."""
    from distributed import Client, LocalCluster

    from detector.batch import scan_dask

    numbers = ["+62 812 3456 7890", "0812-3456-7890", "wa.me/6281234567890"]
    template = (
        "Dibutuhkan admin online untuk perusahaan di luar negeri, gaji besar, tiket dan visa "
        "ditanggung, mess gratis, tanpa pengalaman, berangkat minggu depan, kuota terbatas. "
    )
    rows = []
    for i in range(12):
        text = [template + f"Hubungi WA {numbers[i % 3]}", SCAM, FINE, SCAM_ID][i % 4]
        rows.append({"Job Title": f"Job {i}", "Description": text, "Company": f"PT {i}"})
    parts = tmp_path / "parts"
    parts.mkdir()
    for k in range(3):
        pd.DataFrame(rows[k::3]).to_csv(parts / f"p{k}.csv", index=False)
    local = scan(
        str(parts),
        str(tmp_path / "local.csv"),
        detector=det,
        clusters_out=str(tmp_path / "local_clusters.csv"),
    )
    want = pd.read_csv(tmp_path / "local_clusters.csv")
    assert local.clusters == len(want) > 0
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cl,
        Client(cl) as client,
    ):
        s = scan_dask(
            str(parts),
            str(tmp_path / "out"),
            scheduler=client,
            clusters_out=str(tmp_path / "dask_clusters.csv"),
        )
    got = pd.read_csv(tmp_path / "dask_clusters.csv")
    assert s.clusters == len(want) >= 2
    assert want["size"].sum() == 12  # every ad has a twin: same number or same text
    pd.testing.assert_frame_equal(got, want)
    # Every output row carries its network, on both engines, and the two agree.
    local_rows = pd.read_csv(tmp_path / "local.csv")
    dask_rows = pd.concat(
        [pd.read_parquet(p) for p in sorted((tmp_path / "out").glob("*.parquet"))],
        ignore_index=True,
    )
    for frame in (local_rows, dask_rows):
        assert {"cluster_id", "network_risk", "network_note"} <= set(frame.columns)
        assert (frame["cluster_id"] >= 0).all()  # every ad here has a twin
    key = ["source_file", "line"]
    a = local_rows.assign(source_file=local_rows["source_file"].map(lambda p: Path(p).name))
    b = dask_rows.assign(source_file=dask_rows["source_file"].map(lambda p: Path(p).name))
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    assert a["network_risk"].tolist() == b["network_risk"].tolist()
    assert a["network_note"].tolist() == b["network_note"].tolist()
    # The same grouping (ids are numbered the same way: largest network first).
    assert a["cluster_id"].tolist() == b["cluster_id"].tolist()
