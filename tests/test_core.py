"""The public API contract: Detector.load().score(...) and score_frame(...)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from detector import AdError, Detector, Finding, TermContribution, Verdict
from detector.schema import MAX_AD_CHARS

SCAM_EN = (
    "URGENT! Customer service staff needed in Cambodia, USD 1,200/month, no experience "
    "needed, free flight and visa, leave next week. WhatsApp only +62 812 3456 7890"
)
SCAM_ID = (
    "DICARI ADMIN kerja di Kamboja, gaji 15jt/bulan, tanpa pengalaman, cukup KTP. Berangkat "
    "pakai visa turis, tiket ditanggung nanti potong gaji. Biaya pendaftaran Rp 2.500.000 "
    "transfer ke rekening pribadi. Hub WA 0812-3456-7890"
)
LEGIT_ID = (
    "PT Sinar Abadi Jaya (Surabaya) membuka lowongan Staf Akuntansi. Tanggung jawab: "
    "menyusun laporan keuangan bulanan dan rekonsiliasi bank. Kualifikasi: S1 Akuntansi, "
    "pengalaman minimal 2 tahun, menguasai Excel. Kirim CV dan surat lamaran melalui "
    "karir.sinarabadi.example.id paling lambat 30 Desember. Proses seleksi tidak dipungut biaya."
)
LEGIT_EN = (
    "Acme Analytics is hiring a Senior Data Engineer for our Austin, TX office. You will "
    "design and maintain data pipelines in Python and SQL, work with product teams and "
    "mentor junior engineers. Requirements: 5+ years of experience, strong SQL, cloud data "
    "warehouses. Benefits: health insurance, 401(k) match, paid parental leave. Apply "
    "through our careers page; interviews are held at our office."
)


def test_score_returns_verdict_with_all_parts(detector: Detector) -> None:
    v = detector.score(SCAM_EN)
    assert isinstance(v, Verdict)
    assert 0.0 <= v.probability <= 1.0
    assert v.risk in ("low", "medium", "high")
    assert isinstance(v.findings, list) and all(isinstance(f, Finding) for f in v.findings)
    assert isinstance(v.terms, list) and all(isinstance(t, TermContribution) for t in v.terms)
    assert v.terms, "an English ad gets term contributions"
    assert v.language == "en"
    assert isinstance(v.caveats, list)


def test_to_dict_round_trips_through_json(detector: Detector) -> None:
    d = detector.score(SCAM_ID).to_dict()
    back = json.loads(json.dumps(d, ensure_ascii=False))
    assert back == d
    assert back["risk"] == "high"
    assert {f["category"] for f in back["findings"]} >= {"fees", "visa", "risky_destination"}


def test_spans_point_into_the_original_text(detector: Detector) -> None:
    v = detector.score(SCAM_ID)
    assert v.findings
    for f in v.findings:
        assert SCAM_ID[f.start : f.end] == f.text


@pytest.mark.parametrize(
    ("ad", "expected"),
    [
        (SCAM_EN, "high"),
        (SCAM_ID, "high"),
        (LEGIT_ID, "low"),
    ],
)
def test_clear_cases(detector: Detector, ad: str, expected: str) -> None:
    assert detector.score(ad).risk == expected


def test_legit_english_ad_is_not_high(detector: Detector) -> None:
    assert detector.score(LEGIT_EN).risk != "high"


def test_indonesian_ads_are_read_by_the_word_model(detector: Detector) -> None:
    """The real-ads expert reads Indonesian: its words move the score and are shown."""
    v = detector.score(LEGIT_ID)
    assert v.language == "id"
    assert v.terms, "an Indonesian ad gets term contributions"
    assert v.model_probability is not None
    assert not any("English" in c.text("en") for c in v.caveats)


def test_unreadable_language_is_never_low(detector: Detector) -> None:
    ad = (
        "Nhân viên văn phòng làm việc tại công ty chúng tôi, lương hấp dẫn, môi trường "
        "chuyên nghiệp, liên hệ phòng nhân sự để biết thêm chi tiết về vị trí này."
    )
    v = detector.score(ad)
    assert v.language not in ("en", "id")
    assert v.risk != "low"
    assert v.caveats
    # Its caveat names the language in both catalogues, and the verdict serialises.
    (caveat,) = [c for c in v.to_dict()["caveats"] if c["code"] == "unreadable"]
    assert v.language in caveat["en"] and v.language in caveat["id"]
    # No word model read it, so none is shown as having moved the score.
    assert v.terms == [] and v.model_probability is None


@pytest.mark.parametrize("ad", ["Admin", "Admin wanted", "Dicari admin", "Data entry clerk"])
def test_a_few_words_alone_are_never_high(detector: Detector, ad: str) -> None:
    v = detector.score(ad)
    assert v.risk != "high", (ad, v.probability)
    assert [c.code for c in v.caveats] == ["short_ad"]
    assert "short" in v.caveats[0].text("en") and "pendek" in v.caveats[0].text("id")


def test_a_short_ad_with_red_flags_can_be_high(detector: Detector) -> None:
    v = detector.score(
        "Admin Kamboja, gaji 15jt, visa turis, tiket ditanggung, hub WA 0812 3456 7890"
    )
    assert v.categories and v.risk == "high", (v.probability, v.categories)


def test_fields_input_and_text_input_give_the_same_type(detector: Detector) -> None:
    a = detector.score(SCAM_EN)
    b = detector.score(
        {"title": "Customer service", "description": SCAM_EN, "location": "Phnom Penh"}
    )
    assert type(a) is type(b)
    assert b.mode == "fields" and a.mode == "paste"
    assert b.text.startswith("Customer service")


@pytest.mark.parametrize(
    "bad",
    ["", "   \n\t ", None, 42.5j, ["a list"], {"salary_range": None}, {"unknown": "x"}],
)
def test_unscorable_ads_raise_a_clear_error(detector: Detector, bad: object) -> None:
    with pytest.raises(AdError) as exc:
        detector.score(bad)  # type: ignore[arg-type]
    assert str(exc.value)


def test_too_long_ad_is_refused_with_the_limit(detector: Detector) -> None:
    with pytest.raises(AdError, match="limit"):
        detector.score("a" * (MAX_AD_CHARS + 1))


def test_a_one_megabyte_ad_is_scored(detector: Detector) -> None:
    ad = ("Earn $500 per day from home, no experience. WhatsApp 0812 3456 7890. " * 15000)[
        :MAX_AD_CHARS
    ]
    v = detector.score(ad)
    assert v.risk in ("medium", "high")


def test_hostile_text_is_data(detector: Detector) -> None:
    ad = "<script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1)) " * 3
    v = detector.score(ad + SCAM_EN)
    assert v.text.startswith("<script>")
    json.dumps(v.to_dict())


def test_score_frame_keeps_rows_in_order_and_reports_errors(detector: Detector) -> None:
    df = pd.DataFrame(
        {
            "id": [10, 11, 12, 13, 14, 15],
            "text": [SCAM_EN, "", LEGIT_ID, None, 123, "x" * (MAX_AD_CHARS + 5)],
        }
    )
    out = detector.score_frame(df)
    assert list(out["id"]) == [10, 11, 12, 13, 14, 15]
    assert len(out) == len(df)
    for col in ("scam_probability", "risk", "findings", "language", "error", "categories"):
        assert col in out.columns
    assert out.loc[0, "risk"] == "high" and pd.isna(out.loc[0, "error"])
    assert "empty" in out.loc[1, "error"]
    assert out.loc[2, "risk"] == "low"
    assert "no text" in out.loc[3, "error"] or "empty" in out.loc[3, "error"]
    assert pd.isna(out.loc[4, "error"])  # a number is text "123": scored, not crashed
    assert "limit" in out.loc[5, "error"]
    assert math.isnan(out.loc[1, "scam_probability"])
    findings = json.loads(out.loc[0, "findings"])
    assert all(SCAM_EN[f["start"] : f["end"]] == f["text"] for f in findings)


def test_score_frame_reads_field_columns(detector: Detector) -> None:
    df = pd.DataFrame(
        {
            "title": ["Data Engineer", "Admin online"],
            "description": [LEGIT_EN, SCAM_ID],
            "company_profile": ["Acme Analytics builds dashboards.", np.nan],
        }
    )
    out = detector.score_frame(df)
    assert list(out["risk"])[1] == "high"
    assert out["error"].isna().all()


def test_score_frame_needs_text_columns(detector: Detector) -> None:
    with pytest.raises(KeyError, match="text"):
        detector.score_frame(pd.DataFrame({"foo": [1, 2]}))


def test_score_frame_on_empty_frame(detector: Detector) -> None:
    out = detector.score_frame(pd.DataFrame({"text": pd.Series([], dtype=object)}))
    assert len(out) == 0 and "risk" in out.columns


def test_score_many_matches_score(detector: Detector) -> None:
    many = detector.score_many([SCAM_EN, LEGIT_ID])
    assert [v.risk for v in many] == [detector.score(SCAM_EN).risk, detector.score(LEGIT_ID).risk]
    assert many[0].probability == pytest.approx(detector.score(SCAM_EN).probability)
