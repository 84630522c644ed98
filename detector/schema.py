"""The value types every front end shares: the ad record and the verdict.

All are frozen dataclasses with ``to_dict()`` returning JSON-ready data, so the CLI, the web
page, the HTTP API and the tests render the same values and never re-derive them.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

from . import i18n

Risk = Literal["low", "medium", "high"]
RISKS: tuple[Risk, ...] = ("low", "medium", "high")
#: Risk levels in order, for comparing and sorting (``RISK_ORDER["high"] == 2``).
RISK_ORDER: dict[str, int] = {r: i for i, r in enumerate(RISKS)}

#: Free-text fields of an ad, in the order they are joined into one text.
TEXT_FIELDS: tuple[str, ...] = (
    "title",
    "company_profile",
    "description",
    "requirements",
    "benefits",
    "location",
    "salary_range",
    "department",
    "contact",
)
#: Short descriptive fields whose presence and value the fields-mode model may use.
META_FIELDS: tuple[str, ...] = (
    "telecommuting",
    "has_company_logo",
    "has_questions",
    "employment_type",
    "required_experience",
    "required_education",
    "industry",
    "function",
)
#: Labels used when fields are joined, so a pasted ad and a fields ad read alike.
FIELD_LABELS: dict[str, str] = {
    "title": "",
    "company_profile": "",
    "description": "",
    "requirements": "",
    "benefits": "",
    "location": "Location:",
    "salary_range": "Salary:",
    "department": "Department:",
    "contact": "Contact:",
}

#: Largest ad (in characters) scored; longer ads are refused with a clear error.
MAX_AD_CHARS = 1_000_000


class AdError(ValueError):
    """An ad that cannot be scored (empty, too long, wrong type); the message says why."""


#: A letter or a digit in any script: an ad without one (only whitespace, punctuation,
#: zero-width characters, NULs) has nothing to score.
_HAS_CONTENT = re.compile(r"[^\W_]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (one character for one).

    Lone surrogates come from JSON ``\\udXXX`` escapes, Windows file names or bytes that are not
    UTF-8 in a shell argument; they cannot be encoded, so every later step would fail on them.
    The replacement keeps the length, so spans found in the clean text index it exactly, and
    the clean text is what a verdict returns.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as_text(name: str, value: Any) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AdError(f"field {name!r} is bytes that are not valid UTF-8") from exc
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise AdError(f"field {name!r} must be text, got {type(value).__name__}")


@dataclass(frozen=True)
class Ad:
    """One job ad: the text to score and, when known, the structured fields.

    ``text`` is what spans point into: the pasted text itself, or the fields joined in
    ``TEXT_FIELDS`` order (each non-empty field on its own line, short fields labelled).
    ``meta`` holds the metadata columns when known. The ad is scored in "fields" mode when it
    came as separate fields (the per-field model then reads each), else in "paste" mode.
    """

    text: str
    fields: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    #: Characters of leading whitespace stripped from each field as given (only fields that
    #: had some), so spans into ``fields[name]`` map back to the value as the caller has it.
    field_leads: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def mode(self) -> Literal["fields", "paste"]:
        return "fields" if self.fields else "paste"

    @classmethod
    def from_input(cls, ad: str | Mapping[str, Any] | Ad) -> Ad:
        """Build an ``Ad`` from a pasted string or a mapping of fields; raise ``AdError``."""
        if isinstance(ad, Ad):
            return ad
        if isinstance(ad, (str, bytes)):
            text = _as_text("text", ad)
            _check_text(text)
            return cls(text=text)
        if isinstance(ad, Mapping):
            return cls._from_mapping(ad)
        raise AdError(f"an ad must be a string or a mapping of fields, got {type(ad).__name__}")

    @classmethod
    def _from_mapping(cls, ad: Mapping[str, Any]) -> Ad:
        known = set(TEXT_FIELDS) | set(META_FIELDS) | {"text"}
        fields: dict[str, str] = {}
        leads: dict[str, int] = {}
        for name in TEXT_FIELDS:
            value = ad.get(name)
            if not _is_missing(value):
                raw = _as_text(name, value)
                fields[name] = raw.strip()
                if lead := len(raw) - len(raw.lstrip()):
                    leads[name] = lead
        meta = {
            k: clean_text(ad[k]) if isinstance(ad[k], str) else ad[k]
            for k in META_FIELDS
            if k in ad and not _is_missing(ad[k])
        }
        given_text = ad.get("text")
        text = _as_text("text", given_text) if not _is_missing(given_text) else join_fields(fields)
        if not fields and _is_missing(given_text):
            present = sorted(k for k in ad if k in known)
            raise AdError(
                "the ad has no text: give 'text' or at least one of "
                + ", ".join(TEXT_FIELDS)
                + (f" (got only {', '.join(present)})" if present else "")
            )
        _check_text(text)
        return cls(text=text, fields=fields, meta=meta, field_leads=leads)


def join_fields(fields: Mapping[str, str]) -> str:
    """Join text fields into the one text a person would paste."""
    return field_layout(fields)[0]


def field_layout(fields: Mapping[str, str]) -> tuple[str, list[tuple[str, int, int]]]:
    """The joined text (:func:`join_fields`) and where each field's value sits in it:
    ``(field, start, end)`` for every non-empty field, in order."""
    parts: list[str] = []
    spans: list[tuple[str, int, int]] = []
    pos = 0
    for name in TEXT_FIELDS:
        value = fields.get(name)
        if not value:
            continue
        label = FIELD_LABELS.get(name, "")
        part = f"{label} {value}".strip() if label else value
        start = pos + (len(label) + 1 if label else 0)
        spans.append((name, start, pos + len(part)))
        parts.append(part)
        pos += len(part) + 1  # the "\n" between fields
    return "\n".join(parts), spans


def _check_text(text: str) -> None:
    if not text.strip():
        raise AdError("the ad is empty (only whitespace)")
    if _HAS_CONTENT.search(text) is None:
        raise AdError(
            "the ad is empty (no letter or digit: only punctuation, symbols or invisible "
            "characters such as zero-width spaces or NULs)"
        )
    if len(text) > MAX_AD_CHARS:
        raise AdError(f"the ad is {len(text):,} characters long; the limit is {MAX_AD_CHARS:,}")


@dataclass(frozen=True)
class Finding:
    """One red flag found in an ad, with the exact characters that triggered it.

    ``start``/``end`` index the ORIGINAL text: ``ad_text[start:end] == text``.

    ``field`` names where the finding is in the ad as given, and ``field_start``/``field_end``
    index that value: ``"text"`` with the same span for a pasted ad (or a fields ad that came
    with its own ``text``); in fields mode the field (``"description"``, ...) whose value
    holds the finding, so ``fields[field][field_start:field_end]`` is what was matched (a
    match that crosses into the next field, or starts in a label such as ``Salary:``, is
    clipped to the field's value). ``None`` when the finding was not made by
    :class:`detector.Detector` (e.g. ``registry.analyze`` on a bare text).
    """

    rule_id: str
    category: str
    title_en: str
    title_id: str
    why_en: str
    why_id: str
    source: str
    weight: float
    start: int = field(metadata={"doc": "Offset of the first character in `text` (0-based)."})
    end: int = field(metadata={"doc": "Offset just past the last character: text[start:end]."})
    text: str
    field: str | None = dataclasses.field(
        default=None,
        metadata={"doc": "`text` (pasted ad) or the ad field the finding is in (fields mode)."},
    )
    field_start: int | None = dataclasses.field(
        default=None, metadata={"doc": "Offset of the first character in that field's value."}
    )
    field_end: int | None = dataclasses.field(
        default=None, metadata={"doc": "Offset just past the last character in that field."}
    )

    def title(self, lang: str = "en") -> str:
        return self.title_id if lang == "id" else self.title_en

    def why(self, lang: str = "en") -> str:
        return self.why_id if lang == "id" else self.why_en

    def to_dict(self) -> dict[str, Any]:
        # Every field is a plain value: a copy of the attributes equals ``asdict`` at a
        # fraction of the cost (a batch scan encodes every finding of every row).
        return dict(self.__dict__)


@dataclass(frozen=True)
class TermContribution:
    """A word or phrase of the ad and how far it pushed the score (log-odds, + is riskier)."""

    term: str
    weight: float = field(metadata={"doc": "Push on the score in log-odds; positive is riskier."})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Contact:
    """A way to reach the poster: phone, whatsapp, telegram, line, email, url, bank_account, ewallet.

    ``value`` is the normalised identifier (e.g. ``+6281234567890``, a lower-cased email) so
    the same contact written differently compares equal; ``text`` and the span are as written.
    ``flags`` note things like ``free_mail`` or ``url_shortener``.
    """

    kind: str
    value: str
    text: str
    start: int
    end: int
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["flags"] = list(self.flags)
        return d


@dataclass(frozen=True)
class Amount:
    """A money amount: value in its currency, the pay period if stated, and a USD/month estimate."""

    value: float
    currency: str
    period: str | None
    text: str
    start: int
    end: int
    monthly_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Destination:
    """A country or city named in the ad; ``risky`` marks known trafficking routes."""

    name: str
    country: str
    text: str
    start: int
    end: int
    risky: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Caveat:
    """A limit on how far a verdict can be trusted: a stable code plus its parameters.

    The sentences come from the language catalogues (:mod:`detector.i18n`, section
    ``caveat``), so every front end can show it in its reader's language.
    """

    #: ``to_dict`` gives the sentence in every catalogue language instead of the parameters.
    DICT_OMIT: ClassVar[tuple[str, ...]] = ("params",)
    DICT_EXTRA: ClassVar[dict[str, tuple[type, str]]] = {
        lang: (str, f"The caveat in {name}.")
        for lang, name in (("en", "English"), ("id", "Indonesian"))
    }

    code: str = field(metadata={"doc": "Stable identifier, e.g. `short_ad`."})
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return i18n.text(lang, f"caveat.{self.code}", **self.params)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code}
        out.update({lang: self.text(lang) for lang in i18n.LANGUAGES})
        return out


@dataclass(frozen=True)
class Verdict:
    """The result of scoring one ad. Every front end shows these same values."""

    #: Keys of ``to_dict`` that are computed, not stored.
    DICT_EXTRA: ClassVar[dict[str, tuple[Any, str]]] = {
        "categories": (list[str], "Distinct finding categories, in order of first appearance."),
    }

    probability: float = field(metadata={"ge": 0.0, "le": 1.0})
    risk: Risk
    findings: list[Finding]
    terms: list[TermContribution] = field(
        metadata={"doc": "Empty in batch results (as in `score_many`)."}
    )
    language: str
    caveats: list[Caveat]
    text: str = field(metadata={"doc": "The text that finding spans index into."})
    mode: Literal["paste", "fields"] = "paste"
    contacts: list[Contact] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    destinations: list[Destination] = field(default_factory=list)
    model_probability: float | None = None
    indicator_probability: float | None = None
    model_version: str = ""

    @property
    def categories(self) -> list[str]:
        """Distinct finding categories, in order of first appearance."""
        return list(dict.fromkeys(f.category for f in self.findings))

    def to_dict(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "risk": self.risk,
            "language": self.language,
            "mode": self.mode,
            "categories": self.categories,
            "findings": [f.to_dict() for f in self.findings],
            "terms": [t.to_dict() for t in self.terms],
            "contacts": [c.to_dict() for c in self.contacts],
            "amounts": [a.to_dict() for a in self.amounts],
            "destinations": [d.to_dict() for d in self.destinations],
            "caveats": [c.to_dict() for c in self.caveats],
            "model_probability": self.model_probability,
            "indicator_probability": self.indicator_probability,
            "model_version": self.model_version,
            "text": self.text,
        }
