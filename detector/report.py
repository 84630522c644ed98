"""Human-readable rendering of a verdict for the terminal, and the "what to do next" advice."""

from __future__ import annotations

from .schema import Verdict

ADVICE = {
    "id": [
        "Jangan membayar biaya apa pun dan jangan mengirim foto KTP/KK, paspor atau nomor rekening.",
        "Cek apakah perusahaan penempatan (P3MI) berizin dan negara tujuan resmi di SISKOP2MI (KP2MI).",
        "Laporkan lowongan palsu ke Kemnaker: hotline 1500 630.",
        "Bila sudah di luar negeri dan butuh bantuan: aplikasi Safe Travel / Portal Peduli WNI (Kemlu).",
        "Cek nomor rekening yang diminta di cekrekening.id.",
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


def advice_for(v: Verdict) -> list[str]:
    """What to do next, in the ad's language (Indonesian for Indonesian ads, else English)."""
    return ADVICE["id" if v.language == "id" else "en"]


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
        lines.append("Contacts: " + ", ".join(f"{c.kind} {c.value}" for c in v.contacts))
    for c in v.caveats:
        lines.append(f"Note: {c}")
    if v.risk != "low":
        lines.append("")
        lines.append("What to do next:" if lang == "en" else "Langkah selanjutnya:")
        lines.extend(f"  * {a}" for a in advice_for(v))
    return "\n".join(lines)
