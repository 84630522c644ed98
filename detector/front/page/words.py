"""The page's words: one language's catalogue sections, and escaping for Markdown.

Every string the page shows comes from :mod:`detector.i18n` (``en.toml`` / ``id.toml``);
this module only picks the sections and fills gaps with a readable fallback for a code the
catalogue does not know (a new category or contact kind shows its code, never nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from ... import i18n
from ..highlight import show_controls

#: Page languages, in the order of the language switch.
PAGE_LANGUAGES: tuple[str, ...] = i18n.LANGUAGES
#: The language switch shows each language in its own name.
LANGUAGE_SWITCH = {"en": "English", "id": "Bahasa Indonesia"}


def ui(lang: str) -> dict[str, str]:
    """The page's sentences (catalogue section ``ui``) in ``lang``."""
    return i18n.section(lang, "ui")


def word(lang: str, section: str, code: object) -> str:
    """``code`` translated through catalogue ``section``, or the code itself if unknown."""
    if code is None or (isinstance(code, float) and code != code):
        return ""
    return i18n.section(lang, section).get(str(code), str(code))


def risk_word(lang: str, risk: object) -> str:
    """One word for a risk level (``"tinggi"``); an error row reads ``"galat"``."""
    return word(lang, "risk_word", risk if isinstance(risk, str) else "error")


def category_titles(lang: str, codes: Iterable[str]) -> str:
    """Readable category titles, comma-separated (``"Visa, Tujuan berisiko"``)."""
    return ", ".join(word(lang, "category", c) for c in codes if c)


def language_name(lang: str, code: object) -> str:
    """The ad language's name in the page's language (unknown codes: ``"lain (xx)"``)."""
    if not isinstance(code, str) or not code:
        return ""
    names = i18n.section(lang, "language")
    return names[code] if code in names and code != "other" else names["other"].format(code=code)


def column(lang: str, name: str) -> str:
    """A table header or chart axis."""
    return word(lang, "column", name)


#: Every ASCII punctuation character: CommonMark lets each be backslash-escaped, and one of
#: them starts every construct that could act (links, images, HTML, autolinks ``https:``,
#: ``www.``, Streamlit's ``:colour[...]`` and ``:emoji:`` directives, LaTeX ``$``).
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
#: GFM turns bare URLs and e-mail addresses into links after parsing, escapes or not; an
#: invisible word joiner (U+2060) after the scheme, ``www`` or ``@`` stops it.
_AUTOLINK = re.compile(r"(?i)(\b(?:https?|ftp|mailto|www)(?=[:.])|@)")


def escape_own(text: str) -> str:
    """Our own advice strings, Markdown-safe anyway (no accidental formatting); readable
    source, so hotline numbers and addresses stay searchable."""
    return re.sub(r"([\\`*_\[\]()#+!|~$<>])", r"\\\1", text)


def escape_md(text: str) -> str:
    """Any string for a Markdown-rendering element (``st.error``, ``st.caption`` ...), shown
    as plain text: every punctuation character escaped, autolinks broken, bidi controls made
    visible, line breaks kept as spaces (a new line could start a block)."""
    text = show_controls(" ".join(str(text).split()))
    return _MD_PUNCT.sub(r"\\\1", _AUTOLINK.sub("\\1\u2060", text))


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for a table on the page: bidi controls in text cells made visible
    (a right-to-left override would show an ad reversed), missing values as empty cells
    (never ``None``). Downloads keep the real values."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_object_dtype(out[c]) or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(
                lambda v: show_controls(v) if isinstance(v, str) else ("" if v is None else v)
            )
    out.columns = [show_controls(str(c)) for c in out.columns]
    return out


def first_words(text: object, limit: int = 80) -> str:
    """One line of at most ``limit`` characters (whitespace collapsed)."""
    s = " ".join(str(text).split()) if isinstance(text, str) else ""
    return s if len(s) <= limit else s[: limit - 1] + "…"
