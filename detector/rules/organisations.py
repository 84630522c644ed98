"""The registry of organisations impersonated in job scams, and the impersonation check.

``organisations.toml`` lists employers whose names scammers borrow (state companies,
ministries, big retailers, platforms, international brands) with their official domains and
recruitment portals. :meth:`OrganisationRegistry.impersonations` finds the organisations an ad
names and, when the ad sends applicants anywhere but those official channels (another
domain, a look-alike such as ``pln-karir.my.id``, a shortener, a form, Telegram, a free-mail
address, "link di bio", a personal WhatsApp number), returns one :class:`Impersonation`
each, naming the official channel. The red-flag registry turns them into findings of the
``impersonation`` category (anchor ``organisation:unofficial``).

All matching is RE2 over the normalised text (linear time); names are whole words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import re2

from detector.schema import Contact
from detector.text.normalize import normalize
from detector.text.patterns import hits, search

__all__ = [
    "DEFAULT_ORG_PATH",
    "JOB_PORTALS",
    "KINDS",
    "Impersonation",
    "Organisation",
    "OrganisationError",
    "OrganisationRegistry",
]

DEFAULT_ORG_PATH = Path(__file__).with_name("organisations.toml")
KINDS: tuple[str, ...] = ("bumn", "government", "private", "platform", "international")
#: Job boards where real employers also post: a link there is not an unofficial channel.
JOB_PORTALS: frozenset[str] = frozenset(
    [
        "linkedin.com",
        "jobstreet.co.id",
        "jobstreet.com",
        "kalibrr.com",
        "kalibrr.id",
        "glints.com",
        "indeed.com",
        "karirhub.kemnaker.go.id",
    ]
)
_JOINT_BUMN = "fhcibumn.id"
_MAX_ORGS = 3

# A recruiting word just before an ambiguous name ("lowongan BRI", "agen TikTok", "PT KAI").
_CONTEXT_BEFORE = re2.compile(
    rb"\b(?:lowongan|loker|rekrutmen|recruitment|recruiting|recruiter|karir|karier|careers?|"
    rb"bergabung|gabung|join|hrd?|agen|agent|agensi|agency|mitra|partner|pt|bank|"
    rb"kerja di|bekerja di|work at|work for|jobs? at|hiring|perwakilan|representative|"
    rb"behalf of|resmi|penerimaan|pendaftaran|petugas|pegawai|karyawan|staf|staff)\b[^.\n]{0,14}$"
    rb"|\b(?:dari|from)\s(?:pt\.?\s|the\s)?$"
)
# "izin KP2MI", "cek di SISKOP2MI", "laman resmi KP2MI": the regulator or the official site
# named as such, not an employer claim.
_REGULATOR_BEFORE = re2.compile(
    rb"\b(?:izin|ijin|licen[cs]e|licensed|terdaftar|registered|no\.?|nomor|sip3mi|diawasi|"
    rb"cek di|check on|verify on|laman resmi|situs resmi|website resmi|official site|"
    rb"official website|sesuai ketentuan)\b[^.\n]{0,12}$"
    rb"|\bsurat\s(?:\w+\s){0,2}dari\s$"
)
_CONTEXT_AFTER = re2.compile(
    rb"^[^a-z0-9\n]{0,3}(?:is hiring|are hiring|hiring|is looking|are looking|is recruiting|"
    rb"is seeking|urgently needs|recruitment|recruiting|rekrutmen|"
    rb"careers?|karir|group|indonesia|tbk|persero|membuka|buka|jobs?|lowongan|loker)\b"
)
# "transfer ke rekening BRI", "gaji via BCA": the bank as a payment method, not an employer.
_PAYMENT_BEFORE = re2.compile(
    rb"(?:rekening|rek\.?|norek|no\.? ?rek|transfer|tf|atm|via|account|a/c|pakai|e-?wallet|"
    rb"melalui|lewat|bayar|pembayaran|payment|paid)"
    rb"\s?(?:bank\s)?$"
)
_NOT_EMPLOYER_AFTER = re2.compile(
    rb"^\s?(?:forms?|maps?|meet|play|drive|docs|sheets|translate|hangouts?|classroom|lens|"
    rb"analytics|ads|adwords|cloud|workspace|office|excel|word|windows|teams|azure|dynamics|"
    rb"sql|outlook|powerpoint|certified|certification|\.net|ads manager|pages?|profile|repo|"
    rb"pay|paylater|a\.?n\.?|atas nama|no\.? ?rek|\d)\b"
)
# Wording that sends applicants to a channel without giving it ("klik link di bio").
_CHANNEL_PHRASE = re2.compile(
    rb"\b(?:link|tautan|website|web|situs)\s(?:\w+\s){0,3}(?:di|pada|dalam|ke)\s(?:kolom\s)?"
    rb"(?:bio|profil|profile|komentar|deskripsi)\b"
    rb"|\b(?:di|ke|pada)\sbio\s(?:profil|kami)\b"
    rb"|\blink\s(?:di\s)?bio\b"
    rb"|\blink in (?:my |our |the )?bio\b"
    rb"|\bkolom komentar\b"
    rb"|\bgoogle\s?forms?\b|\bforms\.gle\b"
    rb"|\b(?:klik|click|tap)\s(?:\w+\s){0,2}(?:link|tautan|tombol|daftar|di\s?bawah|below)"
    rb"|\b(?:login|masuk|daftar|register|join)\s(?:\w+\s){0,3}(?:akun\s)?telegram\b"
    rb"|\b(?:nomor|no\.?|link|tautan)\s(?:ke\s)?(?:nomor\s)?(?:wa|whats\s?app)\b"
    rb"|\b(?:send|text)\s(?:an?\s)?(?:sms|text)\b"
    rb"|\b(?:via|lewat|melalui|hubungi|hub|kontak|chat|message|contact|text)\s(?:us\s|me\s|kami\s)?"
    rb"(?:on\s)?(?:wa|whats\s?app|telegram)\b"
)


# Words that make a text a vacancy (for "names an employer, gives no channel").
_VACANCY = re2.compile(
    rb"\b(?:lowongan|loker|rekrutmen|recruitment|pendaftaran|penerimaan|dibutuhkan|dicari|"
    rb"membuka|dibuka|hiring|vacanc(?:y|ies)|job offer|open position|we are looking for|"
    rb"calon karyawan|seleksi)\b"
)


class OrganisationError(ValueError):
    """The organisation registry is invalid; the message names the offending entry."""


@dataclass(frozen=True)
class Organisation:
    """One organisation: its names, official domains and recruitment portals."""

    id: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    context_aliases: tuple[str, ...]
    domains: tuple[str, ...]
    portals: tuple[str, ...]
    source: str

    @property
    def official_channels(self) -> tuple[str, ...]:
        """What to point applicants to: the portals, else the domains (at most three)."""
        shared = ("rekrutmenbersama.fhcibumn.id", "sscasn.bkn.go.id")
        own = [p for p in self.portals if p not in shared]
        out = list(dict.fromkeys([*own[:2], self.domains[0]]))
        if self.kind == "bumn" or "rekrutmenbersama.fhcibumn.id" in self.portals:
            out.append("rekrutmenbersama.fhcibumn.id")
        if "sscasn.bkn.go.id" in self.portals:
            out.append("sscasn.bkn.go.id (civil-service posts)")
        return tuple(dict.fromkeys(out))[:3]

    def is_official_host(self, host: str) -> bool:
        """Whether a web or e-mail host belongs to the organisation (sub-domains count)."""
        host = host.lower().strip(".")
        if host.startswith("www."):
            host = host[4:]
        own = self.domains + ((_JOINT_BUMN,) if self.kind == "bumn" else ())
        if any(host == d or host.endswith("." + d) for d in own):
            return True
        return self.kind == "government" and host.endswith((".go.id", ".mil.id"))


@dataclass(frozen=True)
class Impersonation:
    """An ad names ``org`` (at ``start:end`` of the original text) but sends applicants to
    ``channel`` (as written), which is not one of its official channels."""

    org: Organisation
    start: int
    end: int
    channel: str

    @property
    def why_en(self) -> str:
        if not self.channel:
            return (
                f"The ad uses the name of {self.org.name} but gives no official way to apply; "
                f"check the vacancy on {' or '.join(self.org.official_channels)} before "
                "sending anything."
            )
        return (
            f"The ad uses the name of {self.org.name} but sends applicants to "
            f"{self.channel!s}; {self.org.name} recruits only through "
            f"{' or '.join(self.org.official_channels)}."
        )

    @property
    def why_id(self) -> str:
        if not self.channel:
            return (
                f"Iklan memakai nama {self.org.name} tetapi tidak memberi cara melamar yang "
                f"resmi; cek lowongan ini di {' atau '.join(self.org.official_channels)} "
                "sebelum mengirim apa pun."
            )
        return (
            f"Iklan memakai nama {self.org.name} tetapi mengarahkan pelamar ke "
            f"{self.channel!s}; {self.org.name} hanya merekrut melalui "
            f"{' atau '.join(self.org.official_channels)}."
        )


def _host_of(contact: Contact) -> str | None:
    if contact.kind == "email":
        return contact.value.partition("@")[2]
    if contact.kind == "url":
        body = re.sub(r"^(?:[a-z]+://)?(?:www\.)?", "", contact.value.lower(), count=1)
        return body.split("/")[0].split(":")[0].split("?")[0]
    return None


def _on_job_portal(contact: Contact, host: str) -> bool:
    return contact.kind == "url" and any(host == p or host.endswith("." + p) for p in JOB_PORTALS)


class OrganisationRegistry:
    """The loaded and validated organisations, with one RE2 regex over every name."""

    def __init__(self, orgs: Sequence[Organisation], fingerprint: str, path: Path | None = None):
        self.organisations: tuple[Organisation, ...] = tuple(orgs)
        self.fingerprint = fingerprint
        self.path = path
        self._by_alias: dict[str, tuple[Organisation, bool]] = {}
        for o in self.organisations:
            for a in o.aliases:
                self._by_alias[a] = (o, o.kind == "platform")
            for a in o.context_aliases:
                self._by_alias[a] = (o, True)
        names = sorted(self._by_alias, key=len, reverse=True)
        opts = re2.Options()
        opts.max_mem = 64 << 20
        self._regex = re2.compile(
            rb"\b(" + b"|".join(re2.escape(n.encode()) for n in names) + rb")\b",
            opts,
        )
        self._by_id = {o.id: o for o in self.organisations}
        self._domains = frozenset(d for o in self.organisations for d in o.domains)

    def __len__(self) -> int:
        return len(self.organisations)

    def __getitem__(self, org_id: str) -> Organisation:
        return self._by_id[org_id]

    def __repr__(self) -> str:
        return f"OrganisationRegistry({len(self)} organisations)"

    def mentions(self, data: bytes) -> list[tuple[int, int, Organisation]]:
        """(byte start, byte end, organisation) of the names in normalised UTF-8 ``data``."""
        out: list[tuple[int, int, Organisation]] = []
        for m in hits(self._regex, data, 200):
            bs, be = m.start(1), m.end(1)
            org, needs_context = self._by_alias[m.group(1).decode()]
            before = data[max(0, bs - 40) : bs]
            after = data[be : be + 24]
            if search(_PAYMENT_BEFORE, before) and not search(_CONTEXT_AFTER, after):
                continue
            if search(_NOT_EMPLOYER_AFTER, after) or search(_REGULATOR_BEFORE, before):
                continue
            if after[:1] == b"/":  # "No. 000/KP2MI/2024"
                continue
            context = bool(search(_CONTEXT_BEFORE, before) or search(_CONTEXT_AFTER, after))
            if (needs_context or org.kind == "international") and not context:
                continue
            out.append((bs, be, org))
        return out

    def _registered_host(self, host: str) -> bool:
        """A government site, or the official host of any registered organisation."""
        host = host.lower().removeprefix("www.")
        if host.endswith((".go.id", ".mil.id")):
            return True
        parts = host.split(".")
        return any(".".join(parts[i:]) in self._domains for i in range(len(parts) - 1))

    def lookup(self, name: str) -> Organisation | None:
        """The organisation a name (as written in an ad) refers to, if any."""
        data = normalize(name).text.encode("utf-8")
        m = search(self._regex, data)
        return self._by_alias[m.group(1).decode()][0] if m else None

    def impersonations(
        self, data: bytes, contacts: Sequence[Contact], span: Any, *, unverified: bool = False
    ) -> list[Impersonation]:
        """See :meth:`assess`; the unofficial-channel list, or with ``unverified=True`` the
        no-channel one."""
        return self.assess(data, contacts, span)[1 if unverified else 0]

    def assess(
        self, data: bytes, contacts: Sequence[Contact], span: Any
    ) -> tuple[list[Impersonation], list[Impersonation]]:
        """The organisations named in ``data``, in two lists: those whose official channels
        the ad does not use (it sends applicants elsewhere), and those named in a vacancy
        that gives no channel at all (``channel`` empty).

        ``span(bs, be) -> (start, end, text)`` maps byte offsets of ``data`` to the original
        text (see ``detector.text.extract``).
        """
        mentions = self.mentions(data)
        if not mentions:
            return [], []
        # A name inside a link or address ("pln-karir.my.id") counts only when the ad names
        # no organisation in its text.
        inside = [(c.start, c.end) for c in contacts if c.kind in ("url", "email")]

        def in_contact(bs: int, be: int) -> bool:
            os_, oe, _ = span(bs, be)
            return any(s <= os_ and oe <= e for s, e in inside)

        outside = [m for m in mentions if not in_contact(m[0], m[1])]
        mentions = outside or mentions
        phrase = search(_CHANNEL_PHRASE, data)
        out: list[Impersonation] = []
        unverified: list[Impersonation] = []
        seen: set[str] = set()
        for bs, be, org in mentions:
            if org.id in seen:
                continue
            seen.add(org.id)
            official = False
            strong: list[Contact] = []  # unofficial links, e-mails, chat handles
            phones: list[Contact] = []  # personal numbers
            for c in contacts:
                host = _host_of(c)
                if host is not None:
                    if org.is_official_host(host) or _on_job_portal(c, host):
                        official = True
                    elif not self._registered_host(host):
                        strong.append(c)
                elif c.kind in ("telegram", "line") or (
                    c.kind == "whatsapp" and "group" in c.flags
                ):
                    strong.append(c)
                elif c.kind == "whatsapp" or (c.kind == "phone" and "mobile" in c.flags):
                    phones.append(c)
            if strong:
                channel = strong[0].text
            elif phones and not official:
                channel = phones[0].text
            elif phrase is not None and not official:
                channel = span(phrase.start(), phrase.end())[2]
            else:
                channel = ""
            if channel:
                os_, oe, _ = span(bs, be)
                out.append(Impersonation(org, os_, oe, f"\u201c{channel}\u201d"))
            elif not official and search(_VACANCY, data[max(0, bs - 60) : be + 40]):
                os_, oe, _ = span(bs, be)
                unverified.append(Impersonation(org, os_, oe, ""))
            if len(out) + len(unverified) >= _MAX_ORGS:
                break
        # "Lowongan BUMN PT PLN": the named company is the one impersonated, not the portal.
        if any(i.org.kind == "bumn" and i.org.id != "bumn_joint" for i in out + unverified):
            out = [i for i in out if i.org.id != "bumn_joint"]
            unverified = [i for i in unverified if i.org.id != "bumn_joint"]
        return out, unverified
