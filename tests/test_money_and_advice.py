"""Money from the worker (and the employer-pays principle), and the advice the verdict gives.

Every text here was written for these tests.
"""

from __future__ import annotations

import pytest

from detector.front.report import advice_for, format_verdict
from detector.rules import analyze
from detector.schema import Verdict


def _fees(text: str) -> list[str]:
    return [f.text for f in analyze(text).findings if f.category == "fees"]


@pytest.mark.parametrize(
    "text",
    [
        "Bayar DP 10 juta ke rekening BRI 0000-01-000555-50-3 a.n. pribadi sebelum berangkat.",
        "Setelah lolos, wajib membayar biaya seragam dan medical Rp 750.000.",
        "Biaya pelatihan 3 juta dibayar dulu sebelum penempatan.",
        "Agency fee 5 million rupiah, pay now via transfer.",
        "We mail you a cheque; deposit the cheque and send back the difference to our vendor.",
        "A refundable security deposit of $200 is needed to reserve your slot.",
        "Top up DANA 150rb dulu untuk aktivasi akun kerja.",
    ],
)
def test_money_asked_up_front_is_a_fee_finding(text: str) -> None:
    assert _fees(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Biaya visa dan tiket ditanggung majikan.",
        "Biaya paspor, visa kerja, tiket dan medical seluruhnya ditanggung oleh perusahaan.",
        "Pendaftaran gratis, tidak dipungut biaya apapun.",
        "Tidak dipungut biaya (apapun) selama proses seleksi.",
        "No fees at any stage of the recruitment.",
        "The employer pays all recruitment fees and related costs, as the ILO principles say.",
        "Gaji ditransfer ke rekening BRI setiap tanggal 1.",
    ],
)
def test_employer_pays_and_free_registration_are_not_fees(text: str) -> None:
    assert _fees(text) == [], text


def test_the_fee_quote_keeps_the_whole_amount() -> None:
    assert "Pay a USD 50" in _fees("Pay a USD 50 registration fee")


def test_the_account_becomes_part_of_the_money_finding() -> None:
    text = "Biaya admin Rp 250.000, transfer ke BCA 000 000 1299 a.n. Rina."
    a = analyze(text)
    account = next(c for c in a.contacts if c.kind == "bank_account")
    fee_spans = {(f.start, f.end) for f in a.findings if f.category == "fees"}
    assert (account.start, account.end) in fee_spans
    # without a request for money the same account is no fee evidence
    assert not _fees("Rekening gaji BCA 000 000 1299 dibuka di kantor.")


def _verdict(text: str, risk: str = "high") -> Verdict:
    a = analyze(text)
    return Verdict(
        probability=0.9 if risk == "high" else 0.1,
        risk=risk,  # type: ignore[arg-type]
        findings=a.findings,
        terms=[],
        language=a.language,
        caveats=[],
        text=text,
        contacts=a.contacts,
    )


def test_advice_gives_the_official_channel_of_an_impersonated_employer() -> None:
    v = _verdict("LOWONGAN PT PLN (Persero) 2026 untuk lulusan SMA, daftar di pln-karir.my.id")
    advice = " ".join(advice_for(v))
    assert "rekrutmenbersama.fhcibumn.id" in advice and "pln.co.id" in advice
    assert "pln.co.id" in format_verdict(v)


def test_advice_for_money_names_the_account_and_the_law() -> None:
    v = _verdict("Wajib transfer biaya pelatihan ke rekening BRI 0000-01-000777-50-1 a.n. Dedi.")
    advice = " ".join(advice_for(v))
    assert "0000-01-000777-50-1" in advice and "cekrekening.id" in advice
    assert "UU 18/2017 Pasal 30" in advice


def test_employer_pays_advice_does_not_say_the_ad_asks_for_money() -> None:
    v = _verdict("Lowongan operator pabrik di Taiwan. Biaya visa dan tiket ditanggung majikan.")
    assert "fees" not in v.categories
    advice = " ".join(advice_for(v))
    assert "meminta uang" not in advice and "UU 18/2017" not in advice
    assert "yang diminta" not in advice


def test_report_shows_free_mail_as_written() -> None:
    v = _verdict("Kirim lamaran ke Rekrut.Kerja2026@Gmail.com segera")
    assert "Rekrut.Kerja2026@Gmail.com" in format_verdict(v)
