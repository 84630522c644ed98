"""The page speaks the reader's language: the catalogues agree, and the Indonesian page shows
no English words of its own.

The check is built from the English catalogue: every word of its values that the Indonesian
catalogue does not use too (``WhatsApp``, ``admin``, ``online`` are both), plus common
English words. Allowed are what the reader or the data brought: the ads' text, the uploaded
file's name, contacts, the rules' source citations (references to English-language documents)
and the model card, which the page says is in English.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from model_check import needs_model
from streamlit.testing.v1 import AppTest

from detector import Detector, i18n
from detector.front.report import advice_for, format_verdict
from detector.model.persistence import model_dir
from detector.rules import load_registry

APP = str(Path(__file__).parent.parent / "app.py")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")

# -- the catalogues ---------------------------------------------------------------------


def test_both_catalogues_have_the_same_keys() -> None:
    en, idn = i18n.catalog("en"), i18n.catalog("id")
    assert sorted(set(en) - set(idn)) == [], "keys missing from id.toml"
    assert sorted(set(idn) - set(en)) == [], "keys missing from en.toml"


@pytest.mark.parametrize("key", sorted(i18n.catalog("en")))
def test_each_key_has_the_same_placeholders(key: str) -> None:
    en, idn = i18n.catalog("en")[key], i18n.catalog("id")[key]
    assert i18n.placeholders(en) == i18n.placeholders(idn)


def test_every_category_has_a_title_in_both_languages() -> None:
    from detector.rules import CATEGORIES

    for lang in i18n.LANGUAGES:
        titles = i18n.section(lang, "category")
        assert set(CATEGORIES) <= set(titles), lang
        assert all(titles[c] and titles[c] != c for c in CATEGORIES)


# -- the Indonesian page ------------------------------------------------------------------
#: English words a translation might leave behind although no catalogue value has them.
COMMON_ENGLISH = set(
    [
        "the",
        "and",
        "with",
        "for",
        "from",
        "this",
        "that",
        "your",
        "you",
        "are",
        "not",
        "was",
        "were",
        "have",
        "has",
        "will",
        "none",
        "error",
        "high",
        "low",
        "medium",
        "risk",
        "line",
        "row",
        "probability",
        "category",
        "categories",
        "source",
        "title",
        "text",
        "why",
        "found",
        "contacts",
        "contact",
        "kind",
        "value",
        "flags",
        "place",
        "country",
        "risky",
        "term",
        "weight",
        "yes",
        "no",
        "cluster",
        "network",
        "size",
        "shared",
        "linked",
        "ads",
        "ad",
        "results",
        "download",
        "scan",
        "model",
        "card",
        "indicators",
        "loading",
        "hover",
        "click",
        "upload",
        "file",
        "files",
        "rows",
        "words",
        "score",
        "scores",
    ]
)
#: Names, codes and loan words the Indonesian page uses as they are.
NAMES = set(
    [
        "jobscam",
        "whatsapp",
        "telegram",
        "line",
        "e-mail",
        "email",
        "csv",
        "jsonl",
        "parquet",
        "tsv",
        "usd",
        "idr",
        "rm",
        "myr",
        "sha",
        "kemnaker",
        "kemlu",
        "kp2mi",
        "bp2mi",
        "siskop2mi",
        "p3mi",
        "ojk",
        "iasc",
        "polaris",
        "safe",
        "travel",
        "portal",
        "peduli",
        "wni",
        "cekrekening",
        "hotline",
        "online",
        "admin",
        "cs",
        "customer",
        "service",
        "link",
        "bio",
        "visa",
        "model",
        "id",
        "en",
        "levy",
        "streamlit",
    ]
)


def english_words() -> set[str]:
    def words(values: list[str]) -> set[str]:
        return {w.lower() for v in values for w in WORD.findall(v)}

    idn = words(list(i18n.catalog("id").values()))
    ours = words(list(i18n.catalog("en").values())) | COMMON_ENGLISH
    return {w for w in ours - idn - NAMES if len(w) > 2}


EN_AD = (
    "URGENT hiring! Customer service for an online company in Cambodia. Salary $1,200/month, "
    "no experience needed. Free flight and free visa, leave within 7 days. Pay a registration "
    "fee of $150 first. Send your passport photo. WhatsApp only: +62 812-0000-2001"
)
ID_AD = (
    "DICARI ADMIN ONLINE ke Kamboja, gaji 15jt/bln, tiket & mes ditanggung, tanpa pengalaman. "
    "Berangkat pakai visa turis dulu. Biaya administrasi Rp 2.500.000 transfer ke BCA "
    "1234567890 a.n. Rina. Minat hub WA 0812 3456 7801"
)
UPLOAD = pd.DataFrame(
    {
        "title": ["Admin online Kamboja", "CS online Phnom Penh", "Operator pabrik", "Kasir"],
        "company": ["PT Bintang Emas", "Mekong Jaya", "PT Mitra Tenaga", "Toko Sumber Rejeki"],
        "description": [
            "Admin di Kamboja gaji 15jt, tiket ditanggung, visa turis. WA 0812 7777 0001",
            "CS online ke Kamboja gaji 18jt, tanpa pengalaman, WA 0812 7777 0001",
            "Operator pabrik elektronik di Penang, kontrak 2 tahun, paspor dipegang sendiri.",
            "",
        ],
    }
)


def _visible(at: AppTest) -> list[str]:
    """Every string the page shows, table headers and cells included."""
    out: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error",
                 "success", "text"):  # fmt: skip
        for e in at.get(kind):
            if 'class="jobscam-ad"' in str(e.value):  # the ad itself: check its explanations
                out += re.findall(r'title="([^"]*)"', str(e.value))
            else:
                out.append(str(e.value))
    out += [str(b.label) for b in at.button] + [str(t.label) for t in at.tabs]
    out += [str(e.label) for e in at.expander] + [str(m.label) for m in at.metric]
    out += [str(m.label) for m in at.get("download_button")]
    for w in (*at.selectbox, *at.multiselect, *at.radio):
        out.append(str(w.label))
        out += [str(o) for o in w.options]
    # The manifest's JSON is data (its keys are the file's field names): its labels only.
    out += [str(j.proto.body) for j in at.json if "sha256" not in j.proto.body]
    for d in at.dataframe:
        out += [str(c) for c in d.value.columns]
        out += [str(v) for v in d.value.to_numpy().ravel().tolist()]
    for g in at.get("graphviz_chart"):  # the labels drawn, not the DOT syntax
        out += re.findall(r'label="((?:[^"\\\\]|\\\\.)*)"', g.proto.spec)
    return out


def _allowed_text() -> list[str]:
    """Text the reader or the data brought, removed before the check."""
    # "money mule": the rules' Indonesian title keeps the English term, as the press does.
    allowed = [EN_AD, ID_AD, "ads.csv", "(money mule)"]
    for col in UPLOAD.columns:
        allowed += [x for x in UPLOAD[col] if x]
    rules = load_registry().rules
    allowed += sorted({r.source for r in rules}, key=len, reverse=True)
    allowed += [r.id for r in rules]  # codes, shown beside their titles
    card = model_dir() / "MODEL_CARD.md"
    if card.is_file():
        allowed.append(card.read_text(encoding="utf-8"))
    return allowed


def _leftover_english(at: AppTest) -> dict[str, str]:
    english = english_words()
    allowed = _allowed_text()
    found: dict[str, str] = {}
    for s in _visible(at):
        s = re.sub(r"<style>.*?</style>|<[^>]+>", " ", s, flags=re.S)
        s = html.unescape(s).replace("\\", "")
        s = re.sub(r"“[^”]*”", " ", s)  # words quoted from the ad
        if any(s.strip() and s.strip() in a for a in allowed):  # a piece of an ad, a source
            continue
        for a in allowed:
            s = s.replace(a, " ")
        s = re.sub(r"\b\w+:\+?\d+\b|https?://\S+|\S+@\S+", " ", s)
        for w in WORD.findall(s):
            if w.lower() in english:
                found.setdefault(w.lower(), s[:160])
    return found


@needs_model
@pytest.mark.parametrize("ad", [ID_AD, EN_AD], ids=["indonesian_ad", "english_ad"])
def test_every_tab_of_the_indonesian_page_is_indonesian(ad: str) -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.radio(key="ui_lang").set_value("id").run()
    at.text_area(key="ad_text").input(ad)
    at.button(key="score_btn").click().run()
    at.file_uploader(key="upload").set_value(
        ("ads.csv", UPLOAD.to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not at.exception
    assert at.get("graphviz_chart"), "the networks tab drew the shared-WhatsApp network"
    assert any("tinggi" in str(v) for d in at.dataframe for v in d.value.to_numpy().ravel())
    leftovers = _leftover_english(at)
    assert leftovers == {}, f"English on the Indonesian page: {leftovers}"


@needs_model
def test_the_check_finds_english_left_on_the_page() -> None:
    """The check itself works: the English page is full of English."""
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.text_area(key="ad_text").input(ID_AD)
    at.button(key="score_btn").click().run()
    assert len(_leftover_english(at)) > 20


@needs_model
def test_terminal_report_and_advice_follow_the_readers_language() -> None:
    v = Detector.load().score(ID_AD)
    en_advice = " ".join(advice_for(v, "en"))
    assert "Do not pay" in en_advice and "SISKOP2MI" in en_advice and "1500 630" in en_advice
    assert "Jangan" not in en_advice
    assert "Jangan membayar" in " ".join(advice_for(v, "id"))
    report = format_verdict(v, "en")
    assert report.startswith("HIGH risk") and "What to do next:" in report
    assert "Langkah selanjutnya:" in format_verdict(v, "id")
