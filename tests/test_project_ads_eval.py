"""The project's own written ads (data/project_ads.jsonl) as a check of rules and verdicts.

They are a **development set**: the red-flag rules were written against them, and one
setting of the decision (the real ads' scam share in its fit) was chosen on them. So these
are regression floors, not test figures (those come from `jobscam evaluate` on the labelled
corpora): rule precision/recall against what a reader marked, evasion robustness on
realistic scam ads, and verdicts on both sides, scams caught and legitimate ads left alone,
in each language.
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


def _risks(detector: Detector, language: str, label: str) -> list[str]:
    ads = [a for a in ADS if a["language"] == language and a["label"] == label]
    return [v.risk for v in detector.score_many([a["text"] for a in ads])]


@pytest.mark.parametrize(
    ("language", "scam_high", "legit_low", "legit_high"),
    [
        # Measured with the shipped model: id scams 36/37 high, legit 26/37 low, 8/37 high;
        # en scams 26/26 high, legit 8/26 low, 10/26 high (short written vacancies with no
        # red flag read as scams to a word model that saw few such legitimate ads: see the
        # model card's failure modes).
        ("id", 0.80, 0.60, 0.25),
        ("en", 0.90, 0.25, 0.45),
    ],
)
def test_verdicts_on_both_sides(
    detector: Detector, language: str, scam_high: float, legit_low: float, legit_high: float
) -> None:
    scam = _risks(detector, language, "scam")
    legit = _risks(detector, language, "legit")
    assert sum(r != "low" for r in scam) / len(scam) >= 0.9
    assert scam.count("high") / len(scam) >= scam_high
    assert legit.count("low") / len(legit) >= legit_low
    assert legit.count("high") / len(legit) <= legit_high
