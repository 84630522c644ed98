"""The red-flag registry: every rule's examples, loader validation, spans, hostile input."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path

import pytest
from evasion import TRICKS, evade

from detector.rules import (
    CATEGORIES,
    DEFAULT_PATH,
    Analysis,
    RuleError,
    analyze,
    analyze_many,
    combined_fingerprint,
    keyword_regex,
    load_registry,
)
from detector.rules.organisations import DEFAULT_ORG_PATH
from detector.schema import Finding

REGISTRY = load_registry()
EXAMPLES = [
    pytest.param(rule.id, text, want, id=f"{rule.id}-{kind}{i}")
    for rule in REGISTRY.rules
    for kind, want, texts in (
        ("match", True, rule.examples_match),
        ("no_match", False, rule.examples_no_match),
    )
    for i, text in enumerate(texts)
]


@pytest.mark.parametrize(("rule_id", "text", "should_match"), EXAMPLES)
def test_rule_examples(rule_id: str, text: str, should_match: bool) -> None:
    fired = [f for f in analyze(text).findings if f.rule_id == rule_id]
    assert bool(fired) == should_match, (rule_id, text, fired)
    for f in fired:
        assert text[f.start : f.end] == f.text


def test_every_category_is_covered_in_english_and_indonesian() -> None:
    assert REGISTRY.categories == CATEGORIES
    assert len(CATEGORIES) == 22 and len(set(CATEGORIES)) == 22
    for category in CATEGORIES:
        rules = [r for r in REGISTRY.rules if r.category == category]
        langs = {lang for r in rules for lang in r.languages}
        assert {"en", "id"} <= langs, category
        # and the examples really exercise both languages' wording
        assert sum(len(r.examples_match) for r in rules) >= 2, category


def test_rules_are_complete_for_caseworkers() -> None:
    for r in REGISTRY.rules:
        assert r.title_en and r.title_id and r.why_en and r.why_id and r.source
        assert r.why_en.endswith(".") and r.why_id.endswith(".")
        assert 0 < r.weight <= 0.6, "single indicators are weak evidence"
        assert len(r.examples_match) >= 2 and len(r.examples_no_match) >= 2


def test_fingerprint_and_cache() -> None:
    rules_sha = hashlib.sha256(DEFAULT_PATH.read_bytes()).hexdigest()
    orgs_sha = hashlib.sha256(DEFAULT_ORG_PATH.read_bytes()).hexdigest()
    assert REGISTRY.rules_fingerprint == rules_sha
    assert REGISTRY.fingerprint == combined_fingerprint(rules_sha, orgs_sha)
    assert load_registry() is REGISTRY
    other = load_registry(DEFAULT_PATH)
    assert other is not REGISTRY and other.fingerprint == REGISTRY.fingerprint


def test_finding_carries_the_rule() -> None:
    text = "Dicari admin, gaji 15jt. Biaya pendaftaran Rp 500.000. Hub WA 0812-3456-7890"
    a = analyze(text)
    assert isinstance(a, Analysis)
    fee = next(f for f in a.findings if f.rule_id == "fees_upfront_id")
    rule = next(r for r in REGISTRY.rules if r.id == "fees_upfront_id")
    assert isinstance(fee, Finding)
    assert (fee.category, fee.weight, fee.source) == (rule.category, rule.weight, rule.source)
    assert fee.text == "Biaya pendaftaran"
    assert fee.title("id") == rule.title_id and fee.why("en") == rule.why_en
    assert [f.start for f in a.findings] == sorted(f.start for f in a.findings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.language = "xx"  # type: ignore[misc]


def test_composite_rules_use_extraction() -> None:
    text = (
        "Lowongan CS dan admin di Sihanoukville, Kamboja. Tanpa pengalaman, gaji 15jt per "
        "bulan. Hub WA 0812-3456-7890."
    )
    a = analyze(text)
    ids = {f.rule_id for f in a.findings}
    assert {
        "scam_role_risky_destination",
        "risky_destination",
        "unrealistic_pay_amount_idr",
        "chat_only_contact",
        "low_bar_id",
    } <= ids
    assert a.language == "id"
    assert [d.name for d in a.destinations] == ["Sihanoukville", "Cambodia"]
    assert a.amounts[0].currency == "IDR" and a.contacts[0].kind == "whatsapp"
    for f in a.findings:
        assert text[f.start : f.end] == f.text


def test_composite_built_on_a_composite_and_absence_of_a_company() -> None:
    text = "Dicari operator komputer di Thailand, gaji 1.200 USD. wa 081234567802"
    a = analyze(text)
    ids = {f.rule_id for f in a.findings}
    # scam_role_transit_country is itself composite; unrealistic_pay_amount_role needs it
    assert {"scam_role_transit_country", "unrealistic_pay_amount_role"} <= ids
    assert "vague_employer_personal_contact" in ids
    named = analyze("PT Maju Jaya Abadi: operator komputer di Thailand. wa 081234567802")
    assert "vague_employer_personal_contact" not in {f.rule_id for f in named.findings}
    assert a.contacts[0].flags == ("mobile",)


def test_same_role_in_a_safe_place_is_not_a_scam_compound_role() -> None:
    a = analyze("Lowongan CS dan admin di Jakarta, gaji 6jt, kirim CV ke hr@acme.co.id")
    assert "scam_compound_role" not in a.categories


def test_findings_of_one_rule_never_overlap() -> None:
    text = "URGENT HIRING urgent hiring, limited slots, only 3 spots left"
    findings = [f for f in analyze(text).findings if f.rule_id == "urgency_en"]
    assert [f.text for f in findings] == [
        "URGENT HIRING",
        "urgent hiring",
        "limited slots",
        "only 3 spots",
    ]


def test_overlapping_spans_of_one_rule_are_merged() -> None:
    from detector.rules import merge_findings

    rule, other = REGISTRY.rules[0], REGISTRY.rules[1]
    text = "0123456789"
    raw = [(5, 8, rule, None), (0, 3, rule, None), (2, 6, rule, None), (1, 2, other, None)]
    merged = merge_findings(raw, text)
    assert [(f.rule_id, f.start, f.end, f.text) for f in merged] == [
        (rule.id, 0, 8, "01234567"),
        (other.id, 1, 2, "1"),
    ]


def test_one_finding_per_span_and_category() -> None:
    # "15 juta per bulan" is pay far above normal for an unskilled job AND for a scam-compound
    # role; the phone is "chat only" from two rules: each is shown once.
    text = "Dicari admin di Kamboja, tanpa pengalaman, gaji 15 juta per bulan. WA 0812 3456 7890"
    findings = analyze(text).findings
    keys = [(f.start, f.end, f.category) for f in findings]
    assert len(keys) == len(set(keys))
    pay = [f for f in findings if f.category == "unrealistic_pay"]
    assert [f.text for f in pay] == ["15 juta per bulan"]
    assert pay[0].weight == max(
        r.weight for r in REGISTRY.rules if r.id.startswith("unrealistic_pay_amount")
    )


@pytest.mark.parametrize("seed", range(6))
def test_spans_equal_original_text_through_evasion(seed: int) -> None:
    for rule in REGISTRY.rules:
        for text in rule.examples_match:
            evaded = evade(text, seed)
            for f in analyze(evaded).findings:
                assert evaded[f.start : f.end] == f.text, (rule.id, evaded, f)


def _recall(transform) -> float:  # type: ignore[no-untyped-def]
    hits = total = 0
    for rule in REGISTRY.rules:
        for text in rule.examples_match:
            total += 1
            hits += any(f.rule_id == rule.id for f in analyze(transform(text)).findings)
    return hits / total


BASE_RECALL = _recall(lambda t: t)


def test_base_recall_on_examples_is_perfect() -> None:
    assert BASE_RECALL == 1.0


@pytest.mark.parametrize("trick", TRICKS)
def test_recall_drops_at_most_5_points_per_evasion(trick: str) -> None:
    recalls = [
        _recall(lambda t, s=seed: evade(t, s, rate=0.5, tricks=(trick,))) for seed in range(4)
    ]
    assert BASE_RECALL - min(recalls) <= 0.05, (trick, recalls)


def test_recall_drops_at_most_5_points_with_all_tricks_mixed() -> None:
    recalls = [_recall(lambda t, s=seed: evade(t, s, rate=0.5)) for seed in range(8)]
    assert BASE_RECALL - sum(recalls) / len(recalls) <= 0.05, recalls


def test_legitimate_ad_raises_nothing() -> None:
    text = (
        "Marketing Intern, Food52, New York. We're a cooking site that supports home cooks. "
        "You will help with social media, write copy and analyse campaigns. Requirements: "
        "studying marketing, 2 years of experience with social media. We offer a paid "
        "internship, $18 per hour, and free lunch. Apply on our careers page."
    )
    assert analyze(text).findings == []


def test_analyze_many_and_type_errors() -> None:
    texts = ["Gaji fantastis! Hub WA 0812 3456 7890", "Nothing to see here."]
    many = analyze_many(texts)
    assert [a.findings for a in many] == [analyze(t).findings for t in texts]
    with pytest.raises(TypeError):
        analyze(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("keyword", "hits", "misses"),
    [
        ("fee", ["a fee.", "fee"], ["coffee", "feedback"]),
        ("deduct*", ["deducted", "deduction"], ["undeducted"]),
        ("24/7", ["work 24/7 now"], ["1124/75"]),
        ("pay $", ["pay $50"], ["repay $5"]),
    ],
)
def test_keyword_semantics(keyword: str, hits: list[str], misses: list[str]) -> None:
    import re2

    rx = re2.compile(keyword_regex(keyword))
    assert all(rx.search(h) for h in hits)
    assert not any(rx.search(m) for m in misses)


# ----------------------------------------------------------------------------- validation

GOOD = """
[[rule]]
id = "test_rule"
category = "fees"
languages = ["en"]
title_en = "Fee"
title_id = "Biaya"
why_en = "Fees are bad."
why_id = "Biaya buruk."
source = "ILO"
weight = 0.3
keywords = ["fee"]
patterns = ['\\bfee\\b']
examples.match = ["pay a fee"]
examples.no_match = ["coffee"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_registry_loads(tmp_path: Path) -> None:
    reg = load_registry(_write(tmp_path, GOOD))
    assert [r.id for r in reg.rules] == ["test_rule"]
    assert [f.rule_id for f in reg.analyze("a fee").findings] == ["test_rule"]


BROKEN = [
    ("missing why", GOOD.replace('why_en = "Fees are bad."\n', ""), "missing required"),
    ("unknown category", GOOD.replace('"fees"', '"money"'), "unknown category"),
    ("weight too big", GOOD.replace("0.3", "1.5"), "weight"),
    ("weight not number", GOOD.replace("0.3", '"high"'), "weight"),
    ("lookbehind", GOOD.replace("\\bfee\\b", "(?<=a )fee"), "RE2"),
    ("unknown key", GOOD.replace("weight = 0.3", "weight = 0.3\nscore = 1"), "unknown key"),
    ("example fails", GOOD.replace('["pay a fee"]', '["pay a charge"]'), "match example"),
    ("no_match fires", GOOD.replace('["coffee"]', '["a fee"]'), "no_match example"),
    ("no examples", GOOD.replace('["coffee"]', "[]"), "must not be empty"),
    ("upper keyword", GOOD.replace('["fee"]', '["Fee"]'), "lower-case"),
    ("no keywords", GOOD.replace('["fee"]', "[]"), "keywords"),
    ("bad condition", GOOD.replace("weight = 0.3", 'weight = 0.3\nrequires = ["moon:full"]'), "condition"),
    ("bad category cond", GOOD.replace("weight = 0.3", 'weight = 0.3\nrequires = ["category:nope"]'), "unknown category"),
    ("bad amount key", GOOD.replace("weight = 0.3", 'weight = 0.3\nrequires = ["amount:size>=3"]'), "amount key"),
    ("bad destination", GOOD.replace("weight = 0.3", 'weight = 0.3\nrequires = ["destination:mars"]'), "ISO"),
    ("bad absent regex", GOOD.replace("weight = 0.3", 'weight = 0.3\nrequires = ["absent:(?<=x)y"]'), "absent regex"),
    ("anchor and patterns", GOOD.replace("weight = 0.3", 'weight = 0.3\nanchor = "destination:risky"'), "either"),
    ("unknown rule cond", GOOD.replace("weight = 0.3", 'weight = 0.3\nrequires = ["rule:nope"]'), "unknown rule"),
    ("bad organisation", GOOD.replace("weight = 0.3", 'weight = 0.3\nrequires = ["organisation:any"]'), "organisation conditions"),
    ("bad present regex", GOOD.replace("weight = 0.3", 'weight = 0.3\nrequires = ["present:(?<=x)y"]'), "regex"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_validation_errors_name_the_rule(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(RuleError) as info:
        load_registry(_write(tmp_path, text))
    assert "test_rule" in str(info.value)
    assert message in str(info.value)


def test_duplicate_id_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="test_rule.*duplicate"):
        load_registry(_write(tmp_path, GOOD + GOOD))
    with pytest.raises(RuleError, match="not valid TOML"):
        load_registry(_write(tmp_path, "[[rule]\nid ="))
    with pytest.raises(RuleError, match="no \\[\\[rule\\]\\]"):
        load_registry(_write(tmp_path, "title = 'x'\n"))


# ----------------------------------------------------------------------------- hostile input

MB = 1_000_000
HOSTILE = {
    "a * 1M": "a" * MB,
    "wa 0812": ("wa 0812 " * (MB // 8))[:MB],
    "full matches": ("No experience needed, earn $500/day. Biaya pendaftaran! " * (MB // 56))[:MB],
    "near misses": (("deducted " + "x " * 40 + ". ") * (MB // 92))[:MB],
    "spaced letters": ("a b c d " * (MB // 8))[:MB],
    "zero-width homoglyphs": ("w\u200bh\u0430ts\u0430pp " * (MB // 10))[:MB],
    "keycaps": ("1\ufe0f\u20e3" * (MB // 3))[:MB],
    "kamboja cs": ("kamboja cs admin " * (MB // 17))[:MB],
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_megabyte_under_one_second(name: str) -> None:
    analyze("xq zv")  # loads the language model once; that is not per-ad time
    text = HOSTILE[name]
    t0 = time.perf_counter()
    a = analyze(text)
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0, f"{name}: {elapsed:.2f} s"
    for f in a.findings:
        assert text[f.start : f.end] == f.text
