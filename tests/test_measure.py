"""The rules' development figures: share of ads with findings, per-category precision."""

from __future__ import annotations

import json
from pathlib import Path

from detector.rules.measure import STRONG_WEIGHT, findings_report, format_report, main

ROWS = [
    {"text": "Lowongan PLN 2026, daftar di pln-karir.my.id, gratis!", "label": "scam",
     "language": "id"},
    {"text": "Kerja admin di Kamboja, gaji 15jt, hub WA 0812 0000 1401", "label": "scam",
     "language": "id"},
    {"text": "Dicari staf gudang di Cikarang, lamaran ke hrd@example.co.id", "label": "legit",
     "language": "id"},
    {"text": "Barista, part-time, $15 per hour. Apply at careers.example.com", "label": "legit",
     "language": "en"},
    {"text": "", "label": "legit", "language": "en"},  # skipped: no text
    {"text": "unlabelled", "label": "?", "language": "en"},  # skipped: no label
]  # fmt: skip


def test_report_counts_per_language_and_label() -> None:
    r = findings_report(ROWS)
    g = r["groups"]
    assert g["id/scam"]["n"] == 2 and g["id/scam"]["with_finding"] == 2
    assert g["id/scam"]["share_any"] == 1.0
    assert g["id/legit"]["n"] == 1 and g["en/legit"]["n"] == 1
    assert g["all/legit"]["n"] == 2 and g["all/scam"]["n"] == 2
    assert r["strong_weight"] == STRONG_WEIGHT
    for v in r["categories"].values():
        assert v["ads"] == v["scam_ads"] + v["legit_ads"]
        assert 0.0 <= v["precision"] <= 1.0
    assert r["categories"]["impersonation"]["scam_ads"] == 1
    assert "id/scam" in format_report(r)


def test_cli_entry_prints_a_table(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ads.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS[:4]), encoding="utf-8")
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "id/scam" in out and "precision" in out
    assert main([]) == 2
