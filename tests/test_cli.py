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
