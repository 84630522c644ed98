"""Structured facts pulled out of an ad: contacts, money amounts, destinations, language.

Every extractor reads the NORMALISED text (see :mod:`detector.text.normalize`), so disguised
contacts ("wh4tsapp ０８１２…") are found too, and reports spans in the ORIGINAL text through
the offset map. Pass either a plain string or a :class:`~detector.text.normalize.Normalized`.

All patterns are RE2 (linear-time, no backtracking) run over the UTF-8 bytes of the
normalised text; the only Python ``re`` pattern is a flat letter-run tokenizer. Each extractor
stops after :data:`MAX_ITEMS` items so hostile input (a megabyte of "wa 0812 ") stays fast.

Money is converted to an approximate US-dollar monthly figure with the fixed rates in
:data:`USD_PER_UNIT` (rounded mid-2024/2025 market rates; no network). They are for ranking
"how far above normal pay" only, never for accounting.

Length: over 400 lines because four extractors share one byte view (:class:`TextBytes`) and
the cache of the last one; splitting them into ``contacts``/``money``/``places``/``language``
modules beside this one is the next step (not done yet).
"""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache

import numpy as np
import phonenumbers
import re2

from detector.schema import Amount, Contact, Destination
from detector.text.normalize import Normalized, normalize
from detector.text.patterns import Pattern, hits, search

__all__ = [
    "contact_placeholders",
    "placeholder",
    "TextBytes",
    "MAX_ITEMS",
    "USD_PER_UNIT",
    "FREE_MAIL_DOMAINS",
    "URL_SHORTENERS",
    "FREE_HOSTS",
    "extract_contacts",
    "extract_amounts",
    "extract_destinations",
    "detect_language",
]


def _words(text: str) -> frozenset[str]:
    """A set of whitespace-separated words (keeps long word lists readable)."""
    return frozenset(text.split())


#: Most items each extractor returns for one text (hostile input guard).
MAX_ITEMS = 200

#: US dollars per one unit of each currency (approximate, fixed, documented; 2024–2025).
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

FREE_MAIL_DOMAINS: frozenset[str] = _words(
    "gmail.com googlemail.com yahoo.com yahoo.co.id yahoo.co.uk ymail.com rocketmail.com "
    "hotmail.com hotmail.co.uk outlook.com outlook.co.id live.com msn.com aol.com icloud.com "
    "me.com mail.com gmx.com gmx.net proton.me protonmail.com yandex.com yandex.ru mail.ru "
    "zoho.com qq.com 163.com 126.com tutanota.com inbox.com"
)
URL_SHORTENERS: frozenset[str] = _words(
    "bit.ly s.id tinyurl.com t.co goo.gl ow.ly is.gd buff.ly cutt.ly rebrand.ly shorturl.at "
    "rb.gy tiny.cc lnkd.in t.ly v.gd bitly.com linktr.ee heylink.me shorturl.asia "
    "urlshortener.id linkr.bio wa.link msha.ke"
)
#: Free website builders, blogs and forms, and cheap throwaway top-level domains: where fake
#: recruitment pages live (an official employer has its own domain). A URL on one is flagged
#: ``free_host``; Google/Microsoft forms also ``form``.
FREE_HOSTS: frozenset[str] = _words(
    "blogspot.com blogger.com wordpress.com wixsite.com weebly.com webnode.com sites.google.com "
    "carrd.co godaddysites.com mystrikingly.com jimdosite.com site123.me webflow.io "
    "000webhostapp.com netlify.app vercel.app github.io glitch.me my.id web.id biz.id "
    "docs.google.com forms.gle forms.office.com typeform.com jotform.com"
)
_FREE_TLDS = (".click", ".site", ".online", ".xyz", ".top", ".win", ".icu", ".buzz", ".live",
              ".vip", ".shop", ".fun", ".space", ".website", ".cc", ".tk", ".ml", ".ga", ".cf",
              ".gq", ".cyou", ".sbs", ".cfd", ".rest", ".monster")  # fmt: skip
_FORM_HOSTS = ("docs.google.com", "forms.gle", "forms.office.com", "typeform.com", "jotform.com")


def _host_flags(host: str, path: str) -> tuple[str, ...]:
    flags: list[str] = []
    if host in URL_SHORTENERS:
        flags.append("url_shortener")
    if host.endswith(_FREE_TLDS) or any(host == h or host.endswith("." + h) for h in FREE_HOSTS):
        flags.append("free_host")
    if host in _FORM_HOSTS and (host != "docs.google.com" or path.startswith("forms")):
        flags.append("form")
    return tuple(flags)


# ---------------------------------------------------------------------------------------------
# byte offsets <-> character offsets


class TextBytes:
    """The normalised text, its UTF-8 bytes, and byte -> normalised-char offsets.

    Every RE2 pattern runs over ``data``; :meth:`span` maps a byte span back to the ORIGINAL
    text. The rules read an ad through the same view as the extractors.
    """

    __slots__ = ("norm", "text", "data", "_b2c")

    def __init__(self, norm: Normalized) -> None:
        self.norm = norm
        self.text = norm.text
        self.data = norm.text.encode("utf-8")
        self._b2c: np.ndarray | None = None

    def char(self, b: int) -> int:
        if len(self.data) == len(self.text):
            return b
        if self._b2c is None:
            arr = np.frombuffer(self.data, dtype=np.uint8)
            lead = (arr & 0xC0) != 0x80
            b2c = np.empty(len(arr) + 1, dtype=np.int64)
            b2c[:-1] = np.cumsum(lead) - 1
            b2c[-1] = len(self.text)
            self._b2c = b2c
        return int(self._b2c[b])

    def span(self, bs: int, be: int) -> tuple[int, int, str]:
        """Byte span of the normalised text -> (orig_start, orig_end, original text)."""
        s, e = self.char(bs), self.char(be)
        os_, oe = self.norm.to_original(s, e)
        return os_, oe, self.norm.original[os_:oe]


_last: tuple[Normalized | None, TextBytes | None] = (None, None)


def _as_text(text: str | Normalized) -> TextBytes:
    """The byte view of a normalisation; the last one is reused (analyze calls 4 extractors)."""
    global _last
    if isinstance(text, Normalized):
        norm, cached = _last
        if norm is text and cached is not None:
            return cached
        t = TextBytes(text)
        _last = (text, t)
        return t
    return TextBytes(normalize(text))


# ---------------------------------------------------------------------------------------------
# contacts

_WA_WORDS = (
    rb"(?:what'?s\s?app|whatsap|watsap|watsapp|wasap|w\.?a|wa\.?me/|hub(?:ungi)?\s+wa|chat\s+wa)"
)
# Unbounded quantifiers are fine here: RE2 is linear whatever the pattern, and large counted
# repetitions would only blow up its program size (and push it off the fast DFA path).
_PHONE = (  # at least three digit groups, or one run of 6+ digits; checked in _phone_value
    rb"(\+?\(?\+?\d{1,5}\)?[ .\-]{0,2}\(?\d{2,5}\)?[ .\-]{0,2}\d{2,5}(?:[ .\-]{0,2}\d{2,5})*)"
)
_CONTACT_RE = re2.compile(
    # 1 url with scheme or www; 2 bare link on a known messaging/shortener host
    rb"((?:https?://|www\.)[a-z0-9][^\s<>\"'`]+)"
    rb"|((?:wa\.me|api\.whatsapp\.com|chat\.whatsapp\.com|t\.me|telegram\.me|line\.me|"
    rb"bit\.ly|s\.id|tinyurl\.com|cutt\.ly|rb\.gy|shorturl\.at|wa\.link|linktr\.ee|"
    rb"heylink\.me|lnkd\.in|is\.gd|ow\.ly|goo\.gl|tiny\.cc|forms\.gle)/[^\s<>\"'`]*)"
    # 3 email
    rb"|([a-z0-9][a-z0-9._%+\-]*@[a-z0-9][a-z0-9.\-]*\.[a-z]{2,24})"
    # 4 telegram handle after the word; 5 the handle
    rb"|((?:telegram|telegr|tele|tg)\s*(?:id|username|user)?\s*[:=\-]?\s*@([a-z][a-z0-9_]{3,31}))"
    # 6 line id; 7 the id (a bare "line:" needs an id that looks like one)
    rb"|(\b(?:line\s*id|id\s*line|line\s*@|line\s*:\s*@)\s*[:=]?\s*([a-z0-9][a-z0-9._\-]{2,30})"
    rb"|\bline\s*:\s*([a-z]*[0-9._][a-z0-9._\-]*))"
    # 9 bank / e-wallet mention; 10 its name; 11 number
    rb"|((bca|bri|bni|mandiri|btn|cimb(?:\s?niaga)?|danamon|permata|bsi|btpn|jenius|seabank|"
    rb"dana|ovo|gopay|go-pay|shopeepay|linkaja|no\.?\s?rek(?:ening)?|norek|rekening|rek\.?|"
    rb"account\s?(?:no|number)\.?|a/c)\b[^0-9\n]{0,25}?(\d(?:[ \-.]?\d){6,}))"
    # 12 phone (the word before it, e.g. "WA", is looked at in Python)
    rb"|" + _PHONE + rb""
    # 13 a bare web address ("pln-karir.my.id", "daftar.online57.my.id/a2")
    rb"|(\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9][a-z0-9\-]*)*\.(?:com|net|org|co\.id|my\.id|"
    rb"web\.id|biz\.id|or\.id|go\.id|ac\.id|id|info|xyz|site|online|click|top|win|shop|"
    rb"store|live|cc|icu|vip|club|space|website|fun|buzz|asia|link|cyou|sbs|io|app)"
    rb"(?:/[^\s<>\"'`]*)?)(?:[^a-z0-9.@\-]|\.(?:[^a-z0-9]|$)|$)"
)
# "WA 0812…", "WhatsApp only: +62…", "wa admin: 08…" are WhatsApp numbers.
_WA_BEFORE = re2.compile(
    _WA_WORDS
    + rb"(?:\s(?:only|saja|aja|admin|kami|hrd?|cs|number|no|nomor|kak|resmi|me|us))?"
    + rb"[\s:.\-/()]{0,6}(?:\+?62|0)?[\s\-.]{0,3}$"
)
_WA_AFTER = re2.compile(rb"^[\s:.\-/()]{0,4}(?:\(?(?:wa|whatsapp)\)?)")
_PHONE_CTX = re2.compile(
    rb"(?:tel|telp|tlp|telepon|phone|ph|hp|handphone|mobile|call|contact|hub|hubungi|kontak|"
    rb"sms|wa|whatsapp|cp|no)\b[\s:.\-/()]{0,6}$"
)
_EWALLETS = frozenset(["dana", "ovo", "gopay", "go-pay", "shopeepay", "linkaja"])
_BANKS = frozenset(["bca", "bri", "bni", "mandiri", "btn", "cimb", "cimb niaga", "cimbniaga",
                    "danamon", "permata", "bsi", "btpn", "jenius", "seabank"])  # fmt: skip
_AMOUNT_NUMBER = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")


def _account_number(raw: str) -> tuple[str, int]:
    """Digits of an account number and how many characters of ``raw`` it uses.

    A long first group is the whole number ("081234567890 2012" is a number and a year);
    short groups ("1234 5678 90") are joined until ten digits.
    """
    digits = ""
    used = 0
    for g in re.finditer(r"\d+", raw):
        # Dashed or dotted groups belong together (BRI writes 15 digits as 0000-01-000000-50-1);
        # after ten digits a space starts something else.
        spaced = " " in raw[used : g.start()]
        if digits and ((len(digits) >= 10 and spaced) or len(digits) + len(g.group()) > 16):
            break
        digits += g.group()
        used = g.end()
        if len(digits) >= 8 and g.start() == 0:
            break
    return digits, used


def _phone_value(raw: str, context: bytes) -> str | None:
    """E.164 form of a phone candidate, or None when it is not a phone number."""
    digits = "".join(c for c in raw if c.isdigit())
    if _AMOUNT_NUMBER.fullmatch(raw.strip()):
        return None  # 15.000.000 is money, not a phone
    plus = raw.lstrip("( ").startswith("+")
    if plus:
        if digits.startswith("62"):
            rest = digits[2:].lstrip("0")
            return "+62" + rest if 8 <= len(rest) <= 13 else None
        return "+" + digits if 8 <= len(digits) <= 15 else None
    if digits.startswith("00") and 10 <= len(digits) <= 17:
        return "+" + digits[2:]
    if (
        digits.startswith("628")
        and 11 <= len(digits) <= 15
        and (len(digits) != len(raw) or search(_PHONE_CTX, context))
    ):
        return "+" + digits  # a bare run of digits needs a "call/WA/hub" word before it
    if digits.startswith("08") and 10 <= len(digits) <= 13:
        return "+62" + digits[1:]
    if (
        digits.startswith("0")
        and 9 <= len(digits) <= 12
        and (raw.lstrip().startswith("(0") or search(_PHONE_CTX, context))
    ):
        return "+62" + digits[1:]  # Indonesian landline, e.g. (021) 555-1234
    if 9 <= len(digits) <= 15 and search(_PHONE_CTX, context) and not raw.count(".") > 1:
        return "+" + digits  # international number written without "+", after "call"/"wa"
    return None


#: phonenumbers' type for a mobile line (what WhatsApp numbers are). North American numbers
#: are "fixed line or mobile" (the plan cannot tell): not flagged, as before.
_MOBILE_TYPES = frozenset([phonenumbers.PhoneNumberType.MOBILE])


@lru_cache(maxsize=4096)
def _checked_phone(value: str) -> tuple[str, tuple[str, ...]] | None:
    """Check an E.164 candidate against the numbering plans ``phonenumbers`` ships (offline).

    Returns the E.164 form and ``("mobile",)`` for a mobile number of any country (a
    Cambodian or Malaysian WhatsApp number too); the candidate unchanged with no flag when the
    plan does not know it but its length is possible (a new range); None when no plan allows
    a number of that length (a misread: "(386) 320-3924" is no Slovenian number).
    """
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        mobile = phonenumbers.number_type(number) in _MOBILE_TYPES
        return e164, ("mobile",) if mobile else ()
    if phonenumbers.is_possible_number(number):
        return value, ()
    return None


def _strip_trailing(raw: str) -> str:
    return raw.rstrip(".,;:!?)]}'\"")


def _url_contact(t: TextBytes, bs: int, raw: bytes) -> Contact | None:
    text = _strip_trailing(raw.decode("utf-8", "replace"))
    be = bs + len(text.encode("utf-8"))
    os_, oe, orig = t.span(bs, be)
    body = re.sub(r"^(?:https?://)?(?:www\.)?", "", text, count=1)
    host, _, path = body.partition("/")
    host = host.split(":")[0]
    if host in ("wa.me", "api.whatsapp.com", "wa.link"):
        digits = "".join(c for c in path if c.isdigit())
        if digits.startswith("0"):
            digits = "62" + digits[1:]
        checked = _checked_phone("+" + digits) if 8 <= len(digits) <= 15 else None
        value = checked[0] if checked is not None else text
        return Contact("whatsapp", value, orig, os_, oe, ("link",))
    if host == "chat.whatsapp.com":
        return Contact("whatsapp", text, orig, os_, oe, ("link", "group"))
    if host in ("t.me", "telegram.me"):
        handle = path.split("/")[0].split("?")[0].lstrip("@+")
        value = "@" + handle if handle else text
        return Contact("telegram", value, orig, os_, oe, ("link",))
    if host == "line.me":
        handle = path.rstrip("/").split("/")[-1].lstrip("~@")
        return Contact("line", handle or text, orig, os_, oe, ("link",))
    return Contact("url", text, orig, os_, oe, _host_flags(host, path))


# Technology names written like domains ("ASP.NET", "VB.net", "Node.js"): not addresses.
_NOT_ADDRESSES = frozenset(["asp.net", "vb.net", "ado.net", "dot.net", "etc.com"])


def _looks_like_address(written: str) -> bool:
    """A bare "name.tld" is an address when written in lower case (a sentence run together,
    "schedules.Top", or "ASP.NET" is not) and is not a technology name."""
    host = written.split("/")[0]
    return host.lower() not in _NOT_ADDRESSES and (host == host.lower() or "/" in written)


def _email_contact(t: TextBytes, bs: int, be: int, raw: bytes) -> Contact:
    os_, oe, orig = t.span(bs, be)
    addr = raw.decode("utf-8", "replace")
    local, _, domain = addr.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.split("+")[0].replace(".", "")
        domain = "gmail.com"
    flags: tuple[str, ...] = ("free_mail",) if domain in FREE_MAIL_DOMAINS else ()
    return Contact("email", f"{local}@{domain}", orig, os_, oe, flags)


def extract_contacts(text: str | Normalized) -> list[Contact]:
    """Find phone numbers, WhatsApp/Telegram/Line contacts, e-mails, URLs and bank accounts.

    Parameters
    ----------
    text : str or Normalized
        The ad (or its normalisation, to avoid normalising twice).

    Returns
    -------
    list of Contact
        In order of appearance. Phones are E.164 (``+6281234567890``); a phone written next to
        "WA"/"WhatsApp" has kind ``whatsapp``; e-mails are lower-cased (gmail dots folded) and
        flagged ``free_mail``; URLs on shorteners are flagged ``url_shortener``; bank and
        e-wallet numbers have kind ``bank_account`` / ``ewallet`` and value ``"BCA:123…"``.
    """
    key = text if isinstance(text, str) else text.original
    cached = _RECENT_CONTACTS.get(key)
    if cached is not None:
        return list(cached)
    found = _extract_contacts(text)
    _RECENT_CONTACTS[key] = tuple(found)
    if len(_RECENT_CONTACTS) > RECENT_CONTACTS:
        # The oldest goes; the server's threads may race for it, and losing is harmless.
        with contextlib.suppress(KeyError, RuntimeError, StopIteration):
            del _RECENT_CONTACTS[next(iter(_RECENT_CONTACTS))]
    return found


#: Texts whose contacts are remembered: scoring asks twice for one ad's (the red-flag rules,
#: then the model's placeholder tokens), and a chunk of a scan is at most this many ads.
RECENT_CONTACTS = 2048
_RECENT_CONTACTS: dict[str, tuple[Contact, ...]] = {}


def _extract_contacts(text: str | Normalized) -> list[Contact]:
    t = _as_text(text)
    data = t.data
    out: list[Contact] = []
    for m in hits(_CONTACT_RE, data, 4 * MAX_ITEMS):
        if len(out) >= MAX_ITEMS:
            break
        g = m.groups()
        if g[0] is not None or g[1] is not None:
            c = _url_contact(t, m.start(), g[0] if g[0] is not None else g[1])
            if c is not None:
                out.append(c)
        elif g[2] is not None:
            out.append(_email_contact(t, m.start(3), m.end(3), g[2]))
        elif g[3] is not None:
            os_, oe, orig = t.span(m.start(4), m.end(4))
            out.append(Contact("telegram", "@" + g[4].decode(), orig, os_, oe))
        elif g[5] is not None:
            gi = 7 if g[6] is not None else 8
            os_, oe, orig = t.span(m.start(6), m.end(6))
            out.append(Contact("line", m.group(gi).decode().rstrip("."), orig, os_, oe))
        elif g[8] is not None:
            name = g[9].decode()
            if _AMOUNT_NUMBER.fullmatch(g[10].decode()):
                continue
            number, used = _account_number(g[10].decode())
            if len(number) < 8:
                continue
            if name in _EWALLETS:
                kind, label = "ewallet", name.replace("-", "").upper()
            elif name.replace(" ", "") in _BANKS or name in _BANKS:
                kind, label = "bank_account", name.split()[0].upper()
            else:
                kind, label = "bank_account", "ACCOUNT"
            os_, oe, orig = t.span(m.start(9), m.start(11) + used)
            out.append(Contact(kind, f"{label}:{number}", orig, os_, oe))
        elif len(g) > 12 and g[12] is not None:
            c = _url_contact(t, m.start(13), g[12])
            if c is not None and _looks_like_address(c.text):
                out.append(c)
        elif g[11] is not None:
            bs, be = m.start(12), m.end(12)
            raw = g[11].decode()
            stripped = raw.rstrip(" .-(")
            be -= len(raw) - len(stripped)
            before = data[max(0, bs - 24) : bs]
            value = _phone_value(stripped, before)
            if value is None:
                continue
            kind = "phone"
            if search(_WA_BEFORE, before) or search(_WA_AFTER, data[be : be + 16]):
                kind = "whatsapp"
            checked = _checked_phone(value)
            if checked is None:
                continue
            value, flags = checked
            os_, oe, orig = t.span(bs, be)
            out.append(Contact(kind, value, orig, os_, oe, flags))
    return out


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
    t = _as_text(text)
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


#: The word the model's vocabulary has for each kind of contact (see
#: :func:`contact_placeholders`). A link of any kind (wa.me, t.me, line.me) is a URL.
PLACEHOLDERS: dict[str, str] = {
    "url": "urltoken",
    "email": "emailtoken",
    "phone": "phonetoken",
    "whatsapp": "phonetoken",
}


def placeholder(contact: Contact) -> str | None:
    """The placeholder word for ``contact`` in the model's text, or None to keep it as written
    (a Telegram or Line handle, a bank or e-wallet number: its words stay, its digits fold)."""
    if "link" in contact.flags:
        return "urltoken"
    return PLACEHOLDERS.get(contact.kind)


def contact_placeholders(text: str) -> str:
    """``text`` with each contact :func:`extract_contacts` finds replaced by its placeholder
    word (`` urltoken ``, `` emailtoken ``, `` phonetoken ``), so the model reads contacts
    exactly where the red-flag rules and the network keys see them.

    Spans are the original text's; everything outside a replaced contact is unchanged.
    """
    if not text:
        return text
    out: list[str] = []
    pos = 0
    for c in sorted(extract_contacts(text), key=lambda c: c.start):
        word = placeholder(c)
        if word is None or c.start < pos:
            continue
        out.append(text[pos : c.start])
        out.append(f" {word} ")
        pos = c.end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# destinations

#: name as written (normalised) -> (canonical English name, ISO 3166 alpha-2, risky)
_PLACES: dict[str, tuple[str, str, bool]] = {}


def _place(names: str, canonical: str, country: str, risky: bool = False) -> None:
    for name in names.split("|"):
        _PLACES[name] = (canonical, country, risky)


# Risky: not official placement countries for Indonesian workers / scam-compound hubs.
_place("cambodia|kamboja|kampuchea", "Cambodia", "KH", True)
_place("myanmar|burma|birma", "Myanmar", "MM", True)
_place("laos|lao pdr", "Laos", "LA", True)
_place("sihanoukville|sihanouk|preah sihanouk|kampong som", "Sihanoukville", "KH", True)
_place("phnom penh|pnom penh|phnompenh", "Phnom Penh", "KH", True)
_place("poipet|poi pet", "Poipet", "KH", True)
_place("bavet", "Bavet", "KH", True)
_place("siem reap", "Siem Reap", "KH", True)
_place("myawaddy|myawadi|myawaddi", "Myawaddy", "MM", True)
_place("shwe kokko|shwekokko|kk park", "Shwe Kokko", "MM", True)
_place("tachileik|tachilek", "Tachileik", "MM", True)
_place("golden triangle|segitiga emas", "Golden Triangle", "LA", True)
_place("bokeo|boten", "Bokeo", "LA", True)
_place("mae sot|maesot", "Mae Sot", "TH", True)
_place("yangon|rangoon", "Yangon", "MM", True)
_place("vientiane", "Vientiane", "LA", True)
# Other destinations (not risky by themselves).
_place("thailand|thailan|muangthai|siam", "Thailand", "TH")
_place("bangkok", "Bangkok", "TH")
_place("malaysia|malaysa|negeri jiran", "Malaysia", "MY")
_place("kuala lumpur|johor|penang|sabah|sarawak|selangor", "Malaysia", "MY")
_place("singapore|singapura", "Singapore", "SG")
_place("taiwan|taipei|taichung|kaohsiung", "Taiwan", "TW")
_place("hong kong|hongkong", "Hong Kong", "HK")
_place("macau|macao|makau", "Macau", "MO")
_place("japan|jepang|tokyo|osaka", "Japan", "JP")
_place("south korea|korea selatan|korsel|korea|seoul|busan", "South Korea", "KR")
_place(
    "saudi arabia|arab saudi|saudi|riyadh|jeddah|jedah|mekkah|makkah|madinah", "Saudi Arabia", "SA"
)
_place(
    "dubai|abu dhabi|united arab emirates|uni emirat arab|uea|uae|emirates",
    "United Arab Emirates",
    "AE",
)
_place("qatar|doha", "Qatar", "QA")
_place("kuwait", "Kuwait", "KW")
_place("oman|bahrain|yordania", "Middle East", "XM")
_place("timur tengah|middle east|persian gulf|arabian gulf", "Middle East", "XM")
_place("turkey|turki|turkiye|istanbul", "Turkey", "TR")
_place("vietnam|viet nam|ho chi minh|hanoi|da nang|danang", "Vietnam", "VN")
_place("philippines|filipina|manila|cebu|makati|pasay|pampanga|paranaque", "Philippines", "PH")
_place("china|tiongkok|cina|shenzhen|guangzhou", "China", "CN")
_place("brunei", "Brunei", "BN")
_place("australia|australi", "Australia", "AU")
_place("new zealand|selandia baru", "New Zealand", "NZ")
_place("poland|polandia", "Poland", "PL")
_place("germany|jerman", "Germany", "DE")
_place("united kingdom|inggris|london", "United Kingdom", "GB")
_place("canada|kanada", "Canada", "CA")
_place("united states|amerika serikat|usa", "United States", "US")
_place("indonesia", "Indonesia", "ID")
_place("jakarta|surabaya|bandung|medan|batam|semarang|yogyakarta|bali|makassar", "Indonesia", "ID")

#: ISO country names that are also words or given names an ad uses for something else
#: ("chad", "jordan", "jersey", "niger", Malay "cuba" = try, "chili" on a menu).
_NOT_PLACES = _words(
    "chad jordan georgia jersey guinea niger chili chile mali cuba kuba samoa dominica "
    "grenada guernsey iran israel monaco togo niue sudan"
)


def _iso_countries() -> dict[str, tuple[str, str, bool]]:
    """Every ISO 3166 country by its English names and its Indonesian name (pycountry's
    database and its ``id`` translations ship in the wheel; nothing is downloaded).

    A country the hand list above knows keeps that list's canonical name and risk; the hand
    list's Indonesian spellings, cities and regions stay as they are.
    """
    import gettext

    import pycountry

    own: dict[str, tuple[str, bool]] = {}
    for canonical, country, risky in _PLACES.values():
        own.setdefault(country, (canonical, risky))
    indonesian = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["id"])
    out: dict[str, tuple[str, str, bool]] = {}
    for c in pycountry.countries:
        english = [c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name)]
        canonical, risky = own.get(c.alpha_2, (english[1], False))
        for written in (*english, *(indonesian.gettext(e) for e in english)):
            if "," in written or "(" in written:  # "Korea, Republic of": an index form
                continue
            name = normalize(written).text.strip()
            if name and name not in _PLACES and name not in _NOT_PLACES:
                out.setdefault(name, (canonical, c.alpha_2, risky))
    return out


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict[str, tuple[str, str, bool]], Pattern]:
    """The hand list plus the ISO countries, and one RE2 pattern over all their names (built
    on first use: reading pycountry costs ~60 ms)."""
    places = {**_iso_countries(), **_PLACES}
    pattern = re2.compile(
        rb"\b("
        + b"|".join(re2.escape(k.encode()) for k in sorted(places, key=len, reverse=True))
        + rb")\b"
    )
    return places, pattern


def place_names() -> frozenset[str]:
    """Every place name the destination finder knows, as written (normalised, lower case)."""
    return frozenset(_gazetteer()[0])


def extract_destinations(text: str | Normalized) -> list[Destination]:
    """Find countries and cities, with canonical English name and ISO country code.

    Parameters
    ----------
    text : str or Normalized
        The ad or its normalisation.

    Returns
    -------
    list of Destination
        In order of appearance; ``risky=True`` for Cambodia, Myanmar, Laos and known
        scam-compound areas (Sihanoukville, Poipet, Bavet, Myawaddy, Shwe Kokko, Golden
        Triangle, Mae Sot on the Thai side of the Myawaddy crossing, ...). City names give
        the city as ``name``; regions give the country.
    """
    t = _as_text(text)
    places, pattern = _gazetteer()
    out: list[Destination] = []
    for m in hits(pattern, t.data, MAX_ITEMS):
        if len(out) >= MAX_ITEMS:
            break
        canonical, country, risky = places[m.group(1).decode()]
        os_, oe, orig = t.span(m.start(1), m.end(1))
        out.append(Destination(canonical, country, orig, os_, oe, risky))
    return out


# ---------------------------------------------------------------------------------------------
# language

_EN_WORDS = _words(
    "the and of to in for with you your is are we our will be on as this that have from an "
    "or at by it not can all who job work experience must able team please apply if their "
    "has more which they us skills company"
)
_ID_WORDS = _words(
    "yang dan di ke untuk dengan dari ini itu tidak ada kami kamu anda bisa akan atau juga "
    "sudah saja gaji kerja lowongan dicari syarat hubungi segera tanpa pengalaman bulan minimal "
    "usia pria wanita lulusan sma smk langsung berangkat dapat hari jam bagi yg dgn utk tdk "
    "sdh aja gak nggak mau cari butuh loker pt perusahaan karyawan tenaga lamaran kirim "
    "berminat silahkan silakan info mohon sebagai kerjanya banyak buat sama jadi lagi dong "
    "kak gan bro sis"
)
# Words that tell Malay from Indonesian (shared words like "untuk", "kerja" do not).
_MS_WORDS = _words(
    "sila syarikat jawatan kosong percuma boleh sahaja kerana wang tak nak ialah pekerja "
    "memohon permohonan ringgit bulanan elaun kelayakan berminat temuduga"
)
_ID_ONLY = _words(
    "tidak bisa gak nggak sudah sdh saja aja yg dgn utk tdk silahkan silakan lowongan loker "
    "karyawan lamaran dicari kak gan"
)
_LANG_SLICE = 700


@lru_cache(maxsize=1)
def _langid():  # type: ignore[no-untyped-def]
    # py3langid 0.4's documented way to get probabilities (its README, "Usage"): the
    # package-level classify() gives raw scores; LanguageIdentifier and MODEL_FILE are the
    # public names the README imports for normalised ones. The model ships in the wheel.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


_PUNCT = b".,;:!?()[]{}\"'*/"
_STRIP = bytes.maketrans(_PUNCT, b" " * len(_PUNCT))
_EN_B = frozenset(w.encode() for w in _EN_WORDS)
_ID_B = frozenset(w.encode() for w in _ID_WORDS)
_MS_B = frozenset(w.encode() for w in _MS_WORDS)
_ID_ONLY_B = frozenset(w.encode() for w in _ID_ONLY)


def _count(data: bytes) -> tuple[int, int, int, int, int]:
    """Words, and DISTINCT English / Indonesian / Malay / Indonesian-only function words."""
    words = data.translate(_STRIP).split()
    distinct = set(words)
    return (
        len(words),
        len(_EN_B.intersection(distinct)),
        len(_ID_B.intersection(distinct)),
        len(_MS_B.intersection(distinct)),
        len(_ID_ONLY_B.intersection(distinct)),
    )


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NOT_ASCII_LETTER = bytes(c for c in range(128) if not chr(c).isalpha())


def _other_script(text: str) -> bool:
    """Whether over 5% of the letters are not ASCII (without a Python loop over every
    character: this runs for every ad of a scan)."""
    if text.isascii():
        return False
    foreign = sum(1 for c in _NON_ASCII.findall(text) if c.isalpha())
    ascii_letters = len(text.encode("ascii", "ignore").translate(None, _NOT_ASCII_LETTER))
    return foreign > 0.05 * (foreign + ascii_letters)


def detect_language(text: str | Normalized) -> str:
    """Guess the language of an ad: "en", "id", another ISO 639-1 code, or "und".

    A function-word count decides clear English or Indonesian quickly (and handles short,
    chatty WhatsApp-style posts that statistical models call Malay or Javanese); otherwise
    py3langid (offline) decides, re-ranked so that Indonesian wins over Malay/Javanese/Sundanese
    when Indonesian function words are present. Too little text, or low confidence, gives "und".

    Parameters
    ----------
    text : str or Normalized
        The ad or its normalisation.

    Returns
    -------
    str
        A language code.
    """
    t = _as_text(text)
    norm = t.norm
    n, en, id_, ms, id_only = _count(t.data[:_LANG_SLICE])
    if n < 2:
        return "und"
    original = norm.original[:600]
    # English and Indonesian are written in plain Latin letters. Text with many other letters
    # (Vietnamese diacritics, Thai, Arabic, ...) goes to the statistical model: once folded
    # to ASCII, Vietnamese "hấp dẫn" reads as Indonesian "hap dan".
    other_script = _other_script(original)
    if not other_script:
        if ms >= 2 and ms > id_only and ms + id_ >= 3 and ms + id_ > en:
            return "ms"
        if id_ >= 2 and id_ >= 1.5 * en:
            return "id"
        if en >= 3 and en >= 2 * id_:
            return "en"
        if n < 3 and en + id_ == 0:
            return "und"
    lang, prob = _langid().classify(original)
    if lang in ("ms", "jv", "su", "tl", "ace", "min") and id_ > 0 and id_ >= ms:
        return "id"
    if lang in ("en", "id"):
        return lang
    if not other_script:
        if id_ > en and id_ >= 1:
            return "id"
        if en > id_ and en >= 2:
            return "en"
    if prob < 0.6 or (n < 4 and not other_script):  # scripts without spaces have few "words"
        return "und"
    return lang
