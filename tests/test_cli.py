"""The jobscam command: help everywhere, exit codes as a contract, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from detector.cli import main

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
