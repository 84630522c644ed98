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

This module is the door: the extractors live in :mod:`~detector.text.contacts`,
:mod:`~detector.text.money`, :mod:`~detector.text.places` and :mod:`~detector.text.language`,
over the shared byte view of :mod:`~detector.text.textbytes`.
"""

from __future__ import annotations

from detector.text.contacts import (
    FREE_HOSTS,
    FREE_MAIL_DOMAINS,
    PLACEHOLDERS,
    URL_SHORTENERS,
    contact_placeholders,
    extract_contacts,
    placeholder,
)
from detector.text.language import detect_language
from detector.text.money import USD_PER_UNIT, extract_amounts
from detector.text.places import extract_destinations, place_names
from detector.text.textbytes import MAX_ITEMS, TextBytes

__all__ = [
    "contact_placeholders",
    "placeholder",
    "PLACEHOLDERS",
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
    "place_names",
]
