"""The project's own written ads (data/project_ads.jsonl) as a check of rules and verdicts.

They were written for the project and never used for training or choosing thresholds, so
these are honest floors: rule precision/recall against what a reader marked, evasion
robustness on realistic scam ads (not only on the rules' own examples), and the verdicts
the issue asks for on Indonesian ads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from evasion import TRICKS, evade

from detector import Detector
from detector.rules import analyze

ADS = [
    json.loads(line)
    for line in (Path(__file__).resolve().parent.parent / "data" / "project_ads.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]
SCAMS = [a for a in ADS if a["label"] == "scam"]


def _category_recall(transform: Callable[[str], str]) -> float:
    """Share of (scam ad, expected category) pairs the rules find."""
    hits = total = 0
    for ad in SCAMS:
        got = set(analyze(transform(ad["text"])).categories)
        want = set(ad["expected_categories"])
        hits += len(got & want)
        total += len(want)
    return hits / total


BASE = _category_recall(lambda t: t)


def test_rules_agree_with_the_readers_marks() -> None:
    tp = fp = 0
    for ad in ADS:
        got = set(analyze(ad["text"]).categories)
        want = set(ad["expected_categories"])
        tp += len(got & want)
        fp += len(got - want)
    precision = tp / (tp + fp)
    assert precision >= 0.85, precision
    assert BASE >= 0.55, BASE


@pytest.mark.parametrize("trick", TRICKS)
def test_evasion_costs_at_most_5_points_of_recall_on_scam_ads(trick: str) -> None:
    worst = min(
        _category_recall(lambda t, s=seed: evade(t, s, rate=0.5, tricks=(trick,)))
        for seed in range(2)
    )
    assert BASE - worst <= 0.05, (trick, BASE, worst)


def test_evasion_all_tricks_mixed_on_scam_ads() -> None:
    mixed = [_category_recall(lambda t, s=seed: evade(t, s, rate=0.5)) for seed in range(3)]
    assert BASE - sum(mixed) / len(mixed) <= 0.05, (BASE, mixed)


def test_indonesian_verdicts(detector: Detector) -> None:
    ind = [a for a in ADS if a["language"] == "id"]
    risks = {(a["id"], a["label"]): detector.score(a["text"]).risk for a in ind}
    legit_high = [k for k, r in risks.items() if k[1] == "legit" and r == "high"]
    assert not legit_high, legit_high
    legit = [r for k, r in risks.items() if k[1] == "legit"]
    assert legit.count("low") / len(legit) >= 0.7
    scam = [r for k, r in risks.items() if k[1] == "scam"]
    assert sum(r != "low" for r in scam) / len(scam) >= 0.9
    assert scam.count("high") / len(scam) >= 0.4


def test_english_scams_are_flagged(detector: Detector) -> None:
    risks = [
        detector.score(a["text"]).risk
        for a in ADS
        if a["language"] == "en" and a["label"] == "scam"
    ]
    assert sum(r == "high" for r in risks) / len(risks) >= 0.8
