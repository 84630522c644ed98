"""The verdict in words: the terminal report and the "what to do next" advice.

Every sentence comes from the language catalogues (:mod:`detector.i18n`). Advice is written
in the READER's language (the page's or the terminal's), and chosen for the ad's country: an
ad aimed at Indonesian workers names Indonesia's official channels (KP2MI/BP2MI's SISKOP2MI,
the Kemnaker hotline, cekrekening.id) whatever language it is read in.
"""

from __future__ import annotations

from .. import i18n
from ..rules.organisations_file import load_organisations
from ..schema import Verdict
from .highlight import category_title

#: Country of Indonesia's phone numbers and destinations, as the extractor writes them.
_INDONESIA = "ID"


def reader_lang(lang: str | None, v: Verdict) -> str:
    """The catalogue language to write in: ``lang`` when given, else the ad's own."""
    if lang is None:
        lang = v.language
    return "id" if lang == "id" else "en"


def aimed_at_indonesia(v: Verdict) -> bool:
    """Whether the ad addresses Indonesian workers: written in Indonesian, or an Indonesian
    (+62) contact number, or a place in Indonesia."""
    if v.language == "id":
        return True
    if any(c.value.startswith("+62") for c in v.contacts if c.kind in ("phone", "whatsapp")):
        return True
    return any(d.country == _INDONESIA for d in v.destinations)


def risk_words(lang: str) -> dict[str, str]:
    """``low``/``medium``/``high`` (and ``error``) as the badge says them, e.g. "HIGH risk"."""
    return i18n.section(lang, "risk")


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
        out.append(i18n.text(lang, "advice.other.official_channel", org=org.name, where=where))
    return out


def _money_advice(v: Verdict, lang: str, indonesia: bool) -> list[str]:
    """When the ad asks for money: the account to report, and the law (Indonesian ads)."""
    if "fees" not in v.categories:
        return []
    out: list[str] = []
    accounts = [c.text for c in v.contacts if c.kind in ("bank_account", "ewallet")]
    if accounts:
        listed = ", ".join(dict.fromkeys(accounts[:3]))
        key = "account_indonesia" if indonesia else "account_elsewhere"
        out.append(i18n.text(lang, f"advice.other.{key}", accounts=listed))
    if indonesia:
        out.append(i18n.text(lang, "advice.other.no_fees_law"))
    return out


def category_advice(v: Verdict, lang: str) -> list[str]:
    """Extra advice for particular kinds of finding (fees, passports, visas ...)."""
    extra = i18n.section(lang, "advice.category")
    return [extra[c] for c in v.categories if c in extra]


def advice_for(v: Verdict, lang: str | None = None) -> list[str]:
    """What to do next, in ``lang`` (default: the ad's language), for the ad's country.

    The official channel of an impersonated organisation and the account an ad asks money
    for come first, then the general advice and hotlines: Indonesia's for an ad aimed at
    Indonesian workers (see :func:`aimed_at_indonesia`), else the general ones.
    """
    lang = reader_lang(lang, v)
    indonesia = aimed_at_indonesia(v)
    general = i18n.section(lang, "advice.indonesia" if indonesia else "advice.elsewhere")
    return [
        *_official_channel_advice(v, lang),
        *_money_advice(v, lang, indonesia),
        *general.values(),
    ]


def format_verdict(v: Verdict, lang: str | None = None) -> str:
    """The verdict as terminal text, in ``lang`` (default: the ad's language)."""
    lang = reader_lang(lang, v)
    t = i18n.section(lang, "terminal")
    lines = [
        t["summary"].format(
            risk=risk_words(lang)[v.risk], probability=v.probability, language=v.language
        )
    ]
    if v.findings:
        lines += ["", t["red_flags"]]
        for f in v.findings:
            lines.append(f'  - [{category_title(f.category, lang)}] {f.title(lang)}: "{f.text}"')
            lines.append(f"      {f.why(lang)} ({f.source})")
    if v.terms:
        lines += ["", t["terms"]]
        lines.append(
            "  "
            + ", ".join(f"{x.term} ({'+' if x.weight > 0 else ''}{x.weight:.2f})" for x in v.terms)
        )
    if v.contacts:
        lines.append("")
        kinds = i18n.section(lang, "contact_kind")
        # E-mail addresses as written (the normalised value folds gmail dots and case).
        lines.append(
            t["contacts"]
            + " "
            + ", ".join(
                f"{kinds.get(c.kind, c.kind)} {c.text if c.kind == 'email' else c.value}"
                for c in v.contacts
            )
        )
    for c in v.caveats:
        lines.append(t["note"].format(text=c.text(lang)))
    if v.risk != "low":
        lines += ["", t["next"]]
        lines.extend(f"  * {a}" for a in [*category_advice(v, lang), *advice_for(v, lang)])
    return "\n".join(lines)
