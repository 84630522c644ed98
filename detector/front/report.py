"""Human-readable rendering of a verdict for the terminal, and the "what to do next" advice."""

from __future__ import annotations

from ..rules.organisations import load_organisations
from ..schema import Verdict

ADVICE = {
    "id": [
        "Jangan membayar biaya apa pun dan jangan mengirim foto KTP/KK, paspor atau nomor rekening.",
        "Cek apakah perusahaan penempatan (P3MI) berizin dan negara tujuan resmi di SISKOP2MI (KP2MI).",
        "Laporkan lowongan palsu ke Kemnaker: hotline 1500 630.",
        "Bila sudah di luar negeri dan butuh bantuan: aplikasi Safe Travel / Portal Peduli WNI (Kemlu).",
        "Bila diminta transfer, cek dulu nomor rekeningnya di cekrekening.id.",
    ],
    "en": [
        "Do not pay any fee and do not send ID, passport or bank details.",
        "Verify the employer independently (official website, registered address, licensed agency).",
        "In Indonesia: Kemnaker hotline 1500 630; check placement agencies on KP2MI's SISKOP2MI.",
        "Elsewhere: your national anti-trafficking hotline (US: Polaris, 1-888-373-7888).",
    ],
}
RISK_WORDS = {
    "en": {"low": "LOW risk", "medium": "MEDIUM risk", "high": "HIGH risk"},
    "id": {"low": "Risiko RENDAH", "medium": "Risiko SEDANG", "high": "Risiko TINGGI"},
}


def _official_channel_advice(v: Verdict, lang: str) -> list[str]:
    """For each impersonated organisation: where its real vacancies are."""
    orgs = load_organisations()
    out: list[str] = []
    seen: set[str] = set()
    for f in v.findings:
        if f.category != "impersonation":
            continue
        org = orgs.lookup(f.text)
        if org is None or org.id in seen:
            continue
        seen.add(org.id)
        where = " / ".join(org.official_channels)
        if lang == "id":
            out.append(
                f"Cek lowongan {org.name} hanya di {where}; organisasi ini tidak merekrut "
                "lewat link di bio, formulir online, Telegram atau WhatsApp pribadi."
            )
        else:
            out.append(
                f"Check any {org.name} vacancy only on {where}; it does not recruit through "
                "links in bios, online forms, Telegram or personal WhatsApp numbers."
            )
    return out


def _money_advice(v: Verdict, lang: str) -> list[str]:
    """When the ad asks for money: the account to report, and the law (Indonesian ads)."""
    if "fees" not in v.categories:
        return []
    out: list[str] = []
    accounts = [c.text for c in v.contacts if c.kind in ("bank_account", "ewallet")]
    if accounts:
        listed = ", ".join(dict.fromkeys(accounts[:3]))
        out.append(
            f"Jangan transfer. Laporkan rekening/e-wallet ({listed}) di cekrekening.id dan ke "
            "Indonesia Anti-Scam Centre (IASC) OJK."
            if lang == "id"
            else f"Do not transfer. Report the account ({listed}) to your bank and, in "
            "Indonesia, at cekrekening.id and OJK's Indonesia Anti-Scam Centre."
        )
    if lang == "id":
        out.append(
            "Pekerja migran tidak boleh dibebani biaya penempatan (UU 18/2017 Pasal 30; "
            "Peraturan BP2MI 9/2020)."
        )
    return out


def advice_for(v: Verdict) -> list[str]:
    """What to do next, in the ad's language (Indonesian for Indonesian ads, else English).

    The official channel of an impersonated organisation and the account an ad asks money
    for come first, then the general advice and hotlines.
    """
    lang = "id" if v.language == "id" else "en"
    return [*_official_channel_advice(v, lang), *_money_advice(v, lang), *ADVICE[lang]]


def format_verdict(v: Verdict) -> str:
    lang = "id" if v.language == "id" else "en"
    lines = [
        f"{RISK_WORDS[lang][v.risk]}  (probability {v.probability:.2f}, language {v.language})"
    ]
    if v.findings:
        lines.append("")
        lines.append("Red flags:" if lang == "en" else "Tanda bahaya:")
        for f in v.findings:
            lines.append(f'  - [{f.category}] {f.title(lang)}: "{f.text}"')
            lines.append(f"      {f.why(lang)} ({f.source})")
    if v.terms:
        lines.append("")
        lines.append("Words that moved the score:")
        lines.append(
            "  "
            + ", ".join(f"{t.term} ({'+' if t.weight > 0 else ''}{t.weight:.2f})" for t in v.terms)
        )
    if v.contacts:
        lines.append("")
        # E-mail addresses as written (the normalised value folds gmail dots and case).
        lines.append(
            "Contacts: "
            + ", ".join(f"{c.kind} {c.text if c.kind == 'email' else c.value}" for c in v.contacts)
        )
    for c in v.caveats:
        lines.append(f"Note: {c.text(lang)}" if lang == "en" else f"Catatan: {c.text(lang)}")
    if v.risk != "low":
        lines.append("")
        lines.append("What to do next:" if lang == "en" else "Langkah selanjutnya:")
        lines.extend(f"  * {a}" for a in advice_for(v))
    return "\n".join(lines)
