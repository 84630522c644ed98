"""Money: amounts in rupiah (``15jt``, ``Rp 15.000.000``), dollars, ringgit and the rest, the pay
period if stated, and an approximate US-dollar monthly figure from fixed, documented rates.
"""

from __future__ import annotations

import re

import re2

from detector.schema import Amount
from detector.text.normalize import Normalized
from detector.text.patterns import hits, search

from .textbytes import MAX_ITEMS, as_text

USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0,
    "IDR": 1 / 16_000,
    "MYR": 1 / 4.5,
    "SGD": 1 / 1.35,
    "THB": 1 / 35.0,
    "TWD": 1 / 32.0,
    "HKD": 1 / 7.8,
    "JPY": 1 / 150.0,
    "KRW": 1 / 1_350.0,
    "SAR": 1 / 3.75,
    "AED": 1 / 3.67,
    "QAR": 1 / 3.64,
    "KWD": 3.25,
    "EUR": 1.08,
    "GBP": 1.27,
    "PHP": 1 / 57.0,
    "AUD": 0.66,
    "CAD": 0.73,
    "CNY": 1 / 7.2,
    "VND": 1 / 25_000.0,
    "KHR": 1 / 4_100.0,
    "INR": 1 / 83.0,
}
#: Multiply an amount per period by this to get an amount per month.
_PER_MONTH: dict[str, float] = {
    "hour": 173.0,
    "day": 22.0,
    "week": 4.33,
    "month": 1.0,
    "year": 1 / 12,
}


# ---------------------------------------------------------------------------------------------
# money

_CUR_PREFIX = {
    "rp": "IDR", "rp.": "IDR", "idr": "IDR", "usd": "USD", "usdt": "USD", "us$": "USD", "$": "USD",
    "rm": "MYR", "myr": "MYR", "sgd": "SGD", "s$": "SGD", "thb": "THB", "฿": "THB",
    "nt$": "TWD", "ntd": "TWD", "twd": "TWD", "hk$": "HKD", "hkd": "HKD", "¥": "JPY",
    "jpy": "JPY", "yen": "JPY", "krw": "KRW", "₩": "KRW", "sar": "SAR", "aed": "AED",
    "qar": "QAR", "kwd": "KWD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
    "php": "PHP", "₱": "PHP", "aud": "AUD", "a$": "AUD", "cad": "CAD", "c$": "CAD",
    "cny": "CNY", "rmb": "CNY", "vnd": "VND", "khr": "KHR", "inr": "INR", "₹": "INR",
}  # fmt: skip
_CUR_SUFFIX = {
    "usd": "USD", "usdt": "USD", "$": "USD", "dollar": "USD", "dollars": "USD", "dolar": "USD", "rupiah": "IDR",
    "idr": "IDR", "ringgit": "MYR", "rm": "MYR", "myr": "MYR", "sgd": "SGD", "baht": "THB",
    "thb": "THB", "ntd": "TWD", "twd": "TWD", "hkd": "HKD", "yen": "JPY", "won": "KRW",
    "riyal": "SAR", "real": "SAR", "sar": "SAR", "dirham": "AED", "aed": "AED", "euro": "EUR",
    "euros": "EUR", "eur": "EUR", "pounds": "GBP", "gbp": "GBP", "peso": "PHP", "pesos": "PHP",
    "yuan": "CNY", "rmb": "CNY", "dong": "VND", "riel": "KHR",
}  # fmt: skip
_MULT = {
    "jt": 1e6, "juta": 1e6, "jeti": 1e6, "million": 1e6, "mil": 1e6, "mio": 1e6, "m": 1e6,
    "rb": 1e3, "ribu": 1e3, "rbu": 1e3, "k": 1e3, "thousand": 1e3, "miliar": 1e9, "m2": 1e6,
}  # fmt: skip
_VAGUE = {"belasan": 11e6, "puluhan": 20e6, "ratusan": 100e6}

_NUM = rb"(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d{1,9}(?:[.,]\d{1,2})?)"
_PREFIX_ALT = (
    r"(rp\.?|idr|usdt|usd|us\$|nt\$|ntd|twd|hk\$|hkd|s\$|sgd|rm|myr|thb|\$|฿|¥|jpy|krw|₩|sar|aed|qar|"
    r"kwd|€|eur|£|gbp|php|₱|aud|a\$|cad|c\$|cny|rmb|vnd|khr|inr|₹)"
).encode()
_MULT_ALT = rb"(juta|jt|jeti|million|mio|mil|miliar|ribu|rbu|rb|thousand|k|m)"
_SUFFIX_ALT = (
    rb"(usdt|usd|\$|dollars?|dolar|rupiah|idr|ringgit|rm|myr|sgd|baht|thb|ntd|twd|hkd|yen|won|riyal|"
    rb"sar|dirham|aed|euros?|eur|pounds|gbp|pesos?|yuan|rmb|dong|riel)"
)
_RANGE = rb"(?:\s?(?:-|~|to|sd|s/d|s\.d\.?|sampai|hingga)\s?"
_PREFIX_RE = re2.compile(
    rb"(?:^|[^a-z0-9$])"
    + _PREFIX_ALT
    + rb"\s?"
    + _NUM
    + rb"(?:\s?"
    + _MULT_ALT
    + rb"\b)?"
    + rb"(?:"
    + _RANGE
    + rb"(?:"
    + _PREFIX_ALT[1:-1]
    + rb")?\s?"
    + _NUM
    + rb"(?:\s?"
    + _MULT_ALT
    + rb"\b)?))?"
)
_SUFFIX_RE = re2.compile(
    rb"(?:^|[^a-z0-9.,])"
    + _NUM
    + rb"(?:"
    + _RANGE
    + _NUM
    + rb"))?\s?"
    + _MULT_ALT
    + rb"?\s?"
    + _SUFFIX_ALT
    + rb"(?:[^a-z0-9]|$)"
)
_IDR_BARE_RE = re2.compile(
    rb"(?:^|[^a-z0-9.,$])" + _NUM + rb"(?:" + _RANGE + _NUM + rb"))?\s?(juta|jt|jeti|ribu|rb)\b"
    rb"|\b(belasan|puluhan|ratusan)\s(juta|jt)\b"
)
# One cheap pass first: a text with no currency word or symbol and no rupiah unit word has
# no amount, so the three scans above are skipped (most ads).
_AMOUNT_HINT = re2.compile(
    "[$€£¥฿₩₱₹]".encode()
    + rb"|\b"
    + _PREFIX_ALT
    + rb"\s?\d|\b"
    + _SUFFIX_ALT
    + rb"\b|(?:juta|jt|jeti|ribu|rb|belasan|puluhan|ratusan)\b"
)
_PERIOD_RE = re2.compile(
    rb"^\s?(?:[/]|per|a|an|each|every|setiap|tiap|se|/\s?)?\s?"
    rb"(hour|hr|jam|day|hari|daily|week|minggu|pekan|month|bulan|bln|bl|mo|mth|year|tahun|thn|"
    rb"annum|yr|annual|annually|monthly|weekly|hourly|perbulan|perhari|perjam|perminggu|sebulan|"
    rb"sehari|seminggu|setahun)\b"
)
_PERIOD_WORDS = {
    "hour": "hour", "hr": "hour", "jam": "hour", "hourly": "hour", "perjam": "hour",
    "day": "day", "hari": "day", "daily": "day", "perhari": "day", "sehari": "day",
    "week": "week", "minggu": "week", "pekan": "week", "weekly": "week", "perminggu": "week",
    "seminggu": "week", "month": "month", "bulan": "month", "bln": "month", "bl": "month",
    "mo": "month", "mth": "month", "monthly": "month", "perbulan": "month", "sebulan": "month",
    "year": "year", "tahun": "year", "thn": "year", "annum": "year", "yr": "year",
    "annual": "year", "annually": "year", "setahun": "year",
}  # fmt: skip


def _parse_number(raw: str) -> float | None:
    """'15.000.000' -> 15e6, '1,200' -> 1200, '1.200' -> 1200, '3.5' -> 3.5, '1,5' -> 1.5."""
    seps = [i for i, c in enumerate(raw) if c in ".,"]
    if not seps:
        return float(raw)
    groups = re.split(r"[.,]", raw)
    if len(groups) > 2 or all(len(g) == 3 for g in groups[1:]):
        # thousands separators, possibly with a 1-2 digit decimal part at the end
        if len(groups[-1]) in (1, 2) and len(groups) > 2:
            return float("".join(groups[:-1]) + "." + groups[-1])
        return float("".join(groups))
    return float(groups[0] + "." + groups[1])


def _monthly_usd(value: float, currency: str, period: str | None) -> float | None:
    rate = USD_PER_UNIT.get(currency)
    if rate is None:
        return None
    usd = value * rate
    if period is None:
        # Unstated period: salaries of USD 15k+ are yearly figures; smaller ones monthly.
        return round(usd / 12 if usd >= 15_000 else usd, 2)
    return round(usd * _PER_MONTH[period], 2)


def _period_after(data: bytes, end: int) -> tuple[str | None, int]:
    m = search(_PERIOD_RE, data[end : end + 24])
    if m is None:
        return None, end
    return _PERIOD_WORDS[m.group(1).decode()], end + m.end()


def _mult(raw: bytes | None) -> float:
    return _MULT.get(raw.decode(), 1.0) if raw else 1.0


def extract_amounts(text: str | Normalized) -> list[Amount]:
    """Find money amounts with currency, pay period and an approximate USD/month value.

    Parameters
    ----------
    text : str or Normalized
        The ad or its normalisation.

    Returns
    -------
    list of Amount
        In order of appearance. A range ("gaji 8-12 jt", "$500 - $1,000") is one amount whose
        ``value`` is the upper end (the figure that lures). "belasan/puluhan juta" count as
        11 / 20 million rupiah. Bare "15 juta" / "15jt" is rupiah. ``monthly_usd`` uses
        :data:`USD_PER_UNIT`; with no stated period, amounts of USD 15,000 or more are taken
        as yearly and smaller ones as monthly.
    """
    t = as_text(text)
    data = t.data
    if search(_AMOUNT_HINT, data) is None:
        return []
    found: list[tuple[int, int, float, str, str | None]] = []
    taken: list[tuple[int, int]] = []

    def add(bs: int, be: int, value: float, currency: str) -> None:
        for s, e in taken:
            if bs < e and s < be:
                return
        period, pe = _period_after(data, be)
        taken.append((bs, pe))
        found.append((bs, pe, value, currency, period))

    for m in hits(_PREFIX_RE, data, 4 * MAX_ITEMS):
        if len(found) >= MAX_ITEMS:
            break
        cur = _CUR_PREFIX.get(m.group(1).decode().rstrip("."))
        if cur is None:
            cur = _CUR_PREFIX.get(m.group(1).decode())
        if cur is None:
            continue
        try:
            if m.group(4) is not None:
                value = _parse_number(m.group(4).decode()) * _mult(m.group(5) or m.group(3))
            else:
                value = _parse_number(m.group(2).decode()) * _mult(m.group(3))
        except ValueError:
            continue
        add(m.start(1), m.end(), value, cur)
    for m in hits(_SUFFIX_RE, data, 4 * MAX_ITEMS):
        if len(found) >= MAX_ITEMS:
            break
        cur = _CUR_SUFFIX.get(m.group(4).decode())
        if cur is None:
            continue
        try:
            raw = m.group(2) if m.group(2) is not None else m.group(1)
            value = _parse_number(raw.decode()) * _mult(m.group(3))
        except ValueError:
            continue
        add(m.start(1), m.end(4), value, cur)
    for m in hits(_IDR_BARE_RE, data, 4 * MAX_ITEMS):
        if len(found) >= MAX_ITEMS:
            break
        if m.group(4) is not None:
            add(m.start(4), m.end(), _VAGUE[m.group(4).decode()], "IDR")
            continue
        try:
            raw = m.group(2) if m.group(2) is not None else m.group(1)
            value = _parse_number(raw.decode()) * _mult(m.group(3))
        except ValueError:
            continue
        add(m.start(1), m.end(), value, "IDR")
    found.sort()
    out = []
    for bs, be, value, cur, period in found:
        os_, oe, orig = t.span(bs, be)
        out.append(Amount(value, cur, period, orig, os_, oe, _monthly_usd(value, cur, period)))
    return out
