"""Contacts: phones (checked and formatted by phonenumbers, E.164), WhatsApp, Telegram,
Line, e-mails, links and bank or e-wallet accounts, and the placeholder words the model
reads in their place.

Long because one RE2 program finds every kind in a single pass, and each kind's value is
checked in its own small function beside it.
"""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache

import phonenumbers
import re2

from detector.schema import Contact
from detector.text.normalize import Normalized
from detector.text.patterns import hits, search

from .textbytes import MAX_ITEMS, TextBytes, as_text, words

FREE_MAIL_DOMAINS: frozenset[str] = words(
    "gmail.com googlemail.com yahoo.com yahoo.co.id yahoo.co.uk ymail.com rocketmail.com "
    "hotmail.com hotmail.co.uk outlook.com outlook.co.id live.com msn.com aol.com icloud.com "
    "me.com mail.com gmx.com gmx.net proton.me protonmail.com yandex.com yandex.ru mail.ru "
    "zoho.com qq.com 163.com 126.com tutanota.com inbox.com"
)
URL_SHORTENERS: frozenset[str] = words(
    "bit.ly s.id tinyurl.com t.co goo.gl ow.ly is.gd buff.ly cutt.ly rebrand.ly shorturl.at "
    "rb.gy tiny.cc lnkd.in t.ly v.gd bitly.com linktr.ee heylink.me shorturl.asia "
    "urlshortener.id linkr.bio wa.link msha.ke"
)
#: Free website builders, blogs and forms, and cheap throwaway top-level domains: where fake
#: recruitment pages live (an official employer has its own domain). A URL on one is flagged
#: ``free_host``; Google/Microsoft forms also ``form``.
FREE_HOSTS: frozenset[str] = words(
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
    t = as_text(text)
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
