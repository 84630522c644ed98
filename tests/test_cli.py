"""The jobscam command: help everywhere, exit codes as a contract, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from detector.front.cli import main

SCAM = (
    "Kerja admin di Kamboja gaji 15jt, tanpa pengalaman, visa turis, tiket ditanggung potong "
    "gaji, biaya pendaftaran Rp 1.500.000. Hub WA 0812 3456 7890"
)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(command: str) -> None:
    res = CliRunner().invoke(main, [command, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage:" in res.output
    assert main.commands[command].help, f"{command} has no docstring"


def test_score_flags_a_scam_with_exit_1() -> None:
    res = CliRunner().invoke(main, ["score", SCAM])
    assert res.exit_code == 1, res.output
    assert "Risiko TINGGI" in res.output
    assert "Kamboja" in res.output
    assert "1500 630" in res.output  # Indonesian guidance for an Indonesian ad


def test_score_json_from_stdin() -> None:
    res = CliRunner().invoke(main, ["score", "--json", "-"], input=SCAM)
    d = json.loads(res.stdout)
    assert d["risk"] == "high" and d["language"] == "id"
    assert res.exit_code == 1


def test_fail_on_sets_the_bar() -> None:
    legit = (
        "PT Maju Bersama membuka lowongan staf gudang di Bekasi. Tugas: menerima dan mencatat "
        "barang. Syarat: SMA/SMK, teliti. Lamaran dikirim ke hrd@majubersama.example.id."
    )
    assert CliRunner().invoke(main, ["score", legit]).exit_code == 0
    assert CliRunner().invoke(main, ["score", "--fail-on", "low", legit]).exit_code == 1


def test_empty_ad_is_a_usage_error() -> None:
    res = CliRunner().invoke(main, ["score", "   "])
    assert res.exit_code == 2
    assert "empty" in res.output


def test_non_utf8_stdin_is_a_usage_error() -> None:
    res = CliRunner().invoke(main, ["score", "-"], input=b"\xff\xfe\xfa bad")
    assert res.exit_code == 2
    assert "UTF-8" in res.output


def test_python_dash_m_detector_works() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "detector", "--help"], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0
    assert "jobscam" in res.stdout


@pytest.mark.parametrize("out_name", ["scored.csv", "scored.parquet"])
def test_scan_with_clusters_marks_every_row(tmp_path, out_name: str) -> None:
    """`jobscam scan -o OUT --clusters NETS`: the rows say which network they belong to."""
    import pandas as pd

    rows = []
    for i in range(6):  # one WhatsApp number behind six invented employers (written for this test)
        rows.append(
            {
                "title": f"Admin online {i}",
                "company": f"PT Fiktif {i}",
                "description": f"Kerja di Kamboja, gaji besar, tiket ditanggung. Lowongan nomor {i}.",
                "contact": "WA +62 812-3456-7890" if i % 2 else "wa.me/6281234567890",
            }
        )
    ordinary = [
        "Staf gudang di Bekasi, shift pagi, gaji sesuai UMR dan BPJS",
        "Kasir minimarket Bandung, pengalaman satu tahun, lulusan SMA",
        "Perawat klinik gigi Surabaya, wajib STR aktif dan sabar",
        "Guru bahasa Inggris untuk kursus sore di Medan, paruh waktu",
        "Teknisi AC berpengalaman, punya SIM C, area Jakarta Selatan",
        "Akuntan junior kantor konsultan pajak Semarang, paham Excel",
        "Barista kafe di Yogyakarta, bisa latte art, jadwal bergilir",
        "Sopir pengiriman barang Makassar, SIM B1, kenal rute kota",
    ]
    for i, text in enumerate(ordinary):  # ordinary ads, each its own company and number
        rows.append(
            {
                "title": text.split(",")[0],
                "company": f"PT Nyata {i}",
                "description": text,
                "contact": f"0813 {i:04d} {i:04d}",
            }
        )
    board = tmp_path / "board.csv"
    pd.DataFrame(rows).to_csv(board, index=False)
    out, nets = tmp_path / out_name, tmp_path / "nets.csv"
    res = CliRunner().invoke(
        main, ["scan", str(board), "-o", str(out), "--clusters", str(nets), "-q", "--workers", "1"]
    )
    assert res.exit_code in (0, 1), res.output
    scored = pd.read_parquet(out) if out_name.endswith("parquet") else pd.read_csv(out)
    assert len(scored) == 14
    ids = pd.to_numeric(scored["cluster_id"]).to_numpy()
    assert len(set(ids[:6])) == 1 and ids[0] >= 0  # the network, one cluster
    assert (ids[6:] == -1).all()  # nobody else
    note = scored["network_note"].iloc[0]
    assert "whatsapp:+6281234567890" in note and "6 ads under 6 company names" in note
    assert (
        scored["network_risk"].iloc[:6].notna().all()
        and scored["network_risk"].iloc[6:].isna().all()
    )
    table = pd.read_csv(nets)
    assert len(table) == 1 and table["size"].iloc[0] == 6


# -- issue 13: the exit-code contract --------------------------------------------------------
LEGIT = (
    "PT Maju Bersama membuka lowongan staf gudang di Bekasi. Tugas: menerima dan mencatat "
    "barang. Syarat: SMA/SMK, teliti. Lamaran dikirim ke hrd@majubersama.example.id."
)


@pytest.mark.parametrize(
    ("ad", "code"),
    [(LEGIT, 0), (SCAM, 1), ("   ", 2), ("...", 2), ("\u200b\u200b", 2), ("\x00", 2)],
    ids=["nothing-flagged", "flagged", "blank", "punctuation", "zero-width", "nul"],
)
def test_score_exit_codes(ad: str, code: int) -> None:
    res = CliRunner().invoke(main, ["score", ad])
    assert res.exit_code == code, res.output
    if code == 2:
        assert "empty" in res.output


def test_score_with_a_byte_that_is_not_utf8_in_its_argument() -> None:
    # Item 6: the shell hands Python a lone surrogate (U+DCFF); it crashed in vectorize.
    arg = b"Admin di Kamboja gaji 15jt " + b"\xff" + b" hub WA 0812 3456 7890"
    res = subprocess.run([sys.executable, "-m", "detector", "score", "--json", arg],
                         capture_output=True, check=False)  # fmt: skip
    assert res.returncode in (0, 1), res.stderr
    v = json.loads(res.stdout)
    assert "\ufffd" in v["text"]
    assert all(v["text"][f["start"] : f["end"]] == f["text"] for f in v["findings"])


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom\nsecond line")


def test_score_internal_failure_is_exit_3_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from detector import Detector

    monkeypatch.setattr(Detector, "score", _boom)
    res = CliRunner().invoke(main, ["score", LEGIT])
    assert res.exit_code == 3
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "internal failure: RuntimeError: boom second line" in lines[0]
    assert "Traceback" not in res.output
    res = CliRunner().invoke(main, ["score", "--debug", LEGIT])
    assert res.exit_code == 3 and "Traceback" in res.output


def _board(path, n: int = 9) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    pd.DataFrame(
        {"id": [str(i) for i in range(n)], "text": [LEGIT, SCAM, LEGIT] * (n // 3)}
    ).to_csv(path, index=False)


def test_scan_exit_codes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.csv"
    _board(src)
    run = CliRunner().invoke
    assert run(main, ["scan", str(src), "--workers", "1"]).exit_code == 1
    assert run(main, ["scan", str(src), "--workers", "1", "--fail-on", "high",
                      "--text-column", "id"]).exit_code == 0  # fmt: skip
    assert run(main, ["scan", str(tmp_path / "nope.csv")]).exit_code == 2
    assert run(main, ["scan", str(src), "--text-column", "nope"]).exit_code == 2
    (tmp_path / "empty.parquet").write_bytes(b"PAR1 not really")
    r = run(main, ["scan", str(tmp_path / "empty.parquet")])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_scan_internal_failure_is_exit_3_and_the_partial_is_resumable(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import detector.batch.engine as scan_mod
    from detector.batch import progress_path

    src = tmp_path / "in.csv"
    _board(src, 12)
    real = scan_mod.score_canonical
    calls = {"n": 0}

    def fails_on_third(d, canon):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise MemoryError("out of memory in a worker")
        return real(d, canon)

    monkeypatch.setattr(scan_mod, "score_canonical", fails_on_third)
    for ext in ("csv", "parquet"):
        calls["n"] = 0
        out = tmp_path / f"out.{ext}"
        summ = tmp_path / f"s.{ext}.json"
        r = CliRunner().invoke(main, ["scan", str(src), "-o", str(out), "--workers", "1",
                                      "--chunk-size", "3", "--summary-json", str(summ)])  # fmt: skip
        assert r.exit_code == 3, r.output
        assert "internal failure: MemoryError" in r.output and "Traceback" not in r.output
        assert "partial" in r.output and Path(progress_path(str(out))).exists()
        d = json.loads(summ.read_text())
        assert d["status"] == "failed" and d["rows_in"] == 6
        monkeypatch.setattr(scan_mod, "score_canonical", real)
        r = CliRunner().invoke(main, ["scan", str(src), "-o", str(out), "--workers", "1",
                                      "--chunk-size", "3", "--resume"])  # fmt: skip
        assert r.exit_code == 1, r.output
        assert "rows in: 12" in r.output
        monkeypatch.setattr(scan_mod, "score_canonical", fails_on_third)
    # A failure before the first row leaves nothing that could look like an output.
    calls["n"] = 2
    out = tmp_path / "never.csv"
    r = CliRunner().invoke(
        main, ["scan", str(src), "-o", str(out), "--workers", "1", "--chunk-size", "3"]
    )
    assert r.exit_code == 3
    assert not out.exists() and not Path(progress_path(str(out))).exists()
