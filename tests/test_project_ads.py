"""Validate data/project_ads.jsonl, the project's own hand-written labelled job ads.

Standard library + pytest only; deliberately independent of the `detector` package so the
dataset can be checked on its own (and cannot be shaped by the code it is meant to test).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from detector.rules import CATEGORIES as RULE_CATEGORIES

DATA = Path(__file__).resolve().parent.parent / "data" / "project_ads.jsonl"

FIELDS = {"id", "language", "label", "kind", "text", "expected_categories", "note"}
LANGUAGES = {"id", "en"}
LABELS = {"scam", "legit"}
SCAM_KINDS = {
    "trafficking_overseas",
    "scam_compound",
    "sexual_exploitation",
    "advance_fee",
    "task_scam",
    "domestic_scam",
}
LEGIT_KINDS = {
    "legit_local",
    "legit_overseas_licensed",
    "legit_risky_looking",
    "legit_remote",
}
CATEGORIES = set(RULE_CATEGORIES)  # the registry's fixed list


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    assert DATA.is_file(), f"missing {DATA}"
    out = []
    with DATA.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            assert line.strip(), f"blank line {lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - failure path
                pytest.fail(f"line {lineno}: invalid JSON: {exc}")
            assert isinstance(obj, dict), f"line {lineno}: not an object"
            out.append(obj)
    return out


def test_file_is_utf8_without_ascii_escapes():
    raw = DATA.read_bytes()
    raw.decode("utf-8")  # raises if not UTF-8
    # Written with ensure_ascii=False: non-ASCII text (emoji, dashes) is stored literally.
    assert b"\\u" not in raw


def test_schema(rows):
    for r in rows:
        assert set(r) == FIELDS, f"{r.get('id')}: fields {sorted(r)}"
        assert isinstance(r["id"], str) and isinstance(r["text"], str)
        assert isinstance(r["note"], str) and r["note"].strip(), r["id"]
        assert r["text"].strip(), f"{r['id']}: empty text"
        assert r["language"] in LANGUAGES, r["id"]
        assert r["label"] in LABELS, r["id"]
        assert r["kind"] in SCAM_KINDS | LEGIT_KINDS, r["id"]
        assert isinstance(r["expected_categories"], list), r["id"]


def test_ids_unique_and_prefixed_by_language(rows):
    ids = [r["id"] for r in rows]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"
    for r in rows:
        assert re.fullmatch(r"(id|en)-\d{3}", r["id"]), r["id"]
        assert r["id"].startswith(r["language"] + "-"), r["id"]


def test_kind_agrees_with_label(rows):
    for r in rows:
        expected = SCAM_KINDS if r["label"] == "scam" else LEGIT_KINDS
        assert r["kind"] in expected, f"{r['id']}: kind {r['kind']} with label {r['label']}"


def test_categories_valid(rows):
    for r in rows:
        cats = r["expected_categories"]
        assert all(isinstance(c, str) for c in cats), r["id"]
        unknown = set(cats) - CATEGORIES
        assert not unknown, f"{r['id']}: unknown categories {sorted(unknown)}"
        assert len(cats) == len(set(cats)), f"{r['id']}: repeated category"


def test_scam_rows_name_at_least_one_category(rows):
    for r in rows:
        if r["label"] == "scam":
            assert r["expected_categories"], f"{r['id']}: scam row without categories"


def test_counts_and_balance(rows):
    by_lang = Counter(r["language"] for r in rows)
    assert by_lang["id"] >= 60, by_lang
    assert by_lang["en"] >= 40, by_lang
    for lang in LANGUAGES:
        labels = {r["label"] for r in rows if r["language"] == lang}
        assert labels == LABELS, f"{lang}: labels present {labels}"


def test_texts_not_duplicated(rows):
    texts = Counter(" ".join(r["text"].split()).lower() for r in rows)
    dupes = [t[:60] for t, n in texts.items() if n > 1]
    assert not dupes, f"duplicate ad texts: {dupes}"
