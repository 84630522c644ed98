"""The character tables normalisation folds with: characters removed outright (zero-width,
bidi controls), Unicode's confusables (the shipped table of confusable-homoglyphs, loaded on
first need) with a short hand list, and dingbat digits NFKC leaves alone.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


def words(text: str) -> frozenset[str]:
    """A set of whitespace-separated words (keeps long word lists readable)."""
    return frozenset(text.split())


#: Characters removed outright: zero-width, bidi controls, soft hyphen, BOM, invisible math
#: operators, Mongolian vowel separator, combining grapheme joiner, tag characters.
REMOVE: frozenset[str] = frozenset(
    [chr(c) for c in range(0x200B, 0x2010)]  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    + [chr(c) for c in range(0x202A, 0x202F)]  # LRE..RLO bidi embeddings/overrides
    + [chr(c) for c in range(0x2060, 0x2070)]  # word joiner, invisible ops, LRI..PDI
    + ["\u00ad", "\ufeff", "\u180e", "\u034f", "\u061c", "\u115f", "\u1160", "\u3164"]
    + [chr(c) for c in range(0xE0000, 0xE0080)]  # tag characters
)
#: Characters that belong to the preceding character (so a span ending there includes them).
_ATTACH: frozenset[str] = frozenset(
    [chr(c) for c in range(0xFE00, 0xFE10)]  # variation selectors (emoji presentation)
    + ["\u20e3"]  # combining enclosing keycap: "1\ufe0f\u20e3" -> "1"
    + [chr(c) for c in range(0xE0100, 0xE01F0)]
)

#: Look-alike letters Unicode's confusables table (below) does not fold to the Latin letter
#: a scam writer means, after lower-casing: letters it knows no ASCII twin for (Cyrillic
#: "п", "и", "л", Greek "λ", "π"), three it folds differently ("ӏ" palochka is an "l", Greek
#: "η" an "n" and "μ" a "u" in lower-case text), transliterations ("ß", "æ", "ł") and
#: typographic quotes and dashes, so "don’t" and "8–12 jt" read like their ASCII forms.
#: Latin small capitals ("ᴀ", "ʜ") are folded by their Unicode name, not listed here.
_HOMOGLYPHS: dict[str, str] = {
    # Cyrillic
    "ё": "e", "ї": "i", "ӏ": "l", "п": "n", "и": "u", "л": "n", "ц": "u", "ш": "w",
    "щ": "w", "э": "e",
    # Greek
    "η": "n", "μ": "u", "ω": "w", "ς": "s", "δ": "d", "θ": "o", "λ": "l", "π": "n",
    # Latin extensions
    "ȷ": "j", "ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe",
    # typographic quotes and dashes
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-",
}  # fmt: skip
_SMALL_CAPITAL = "LATIN LETTER SMALL CAPITAL "
#: Scripts whose letters are passed off as Latin ones. Letters of Arabic, Thai, Han... texts
#: are real writing: the table has twins for some ("ا" looks like "l") that must stay.
_LOOKALIKE_SCRIPTS = frozenset(
    [
        "LATIN",
        "CYRILLIC",
        "GREEK",
        "ARMENIAN",
        "CHEROKEE",
        "COPTIC",
        "LISU",
        "CANADIAN",
        "GOTHIC",
        "OLD",
    ]
)


@lru_cache(maxsize=1)
def _confusables() -> dict[str, list[dict[str, str]]]:
    """Unicode's confusables (UTS #39), as the ``confusable_homoglyphs`` wheel ships them.

    Character -> the characters that look like it. Read from the installed package (no
    download), on the first character that needs it (~50 ms once), not at import.
    """
    from confusable_homoglyphs import confusables

    return confusables.confusables_data


@lru_cache(maxsize=8192)
def latin_twin(ch: str) -> str:
    """The ASCII character ``ch`` is confusable with (lower-cased), or ``ch`` itself.

    Looks at ``ch``, then at its upper-case form (Cyrillic "в" has no ASCII twin, "В" has
    "B"), one and two steps away in the table; a letter wins over a digit or a sign.
    """
    if ch in _HOMOGLYPHS:
        return _HOMOGLYPHS[ch]
    name = unicodedata.name(ch, "")
    if name.startswith(_SMALL_CAPITAL) and len(name) == len(_SMALL_CAPITAL) + 1:
        return name[-1].lower()
    if not unicodedata.category(ch).startswith("L") or name.split(" ", 1)[0] not in (
        _LOOKALIKE_SCRIPTS
    ):
        return ch
    table = _confusables()
    for form in dict.fromkeys((ch, ch.upper())):
        seen = {form}
        front = [form]
        for _step in range(2):
            found: list[str] = []
            ahead: list[str] = []
            for c in front:
                for entry in table.get(c, ()):
                    g = entry["c"]
                    if g in seen:
                        continue
                    seen.add(g)
                    ahead.append(g)
                    if len(g) == 1 and g.isascii() and g.isprintable() and not g.isspace():
                        found.append(g)
            if found:
                found.sort(key=lambda g: (not g.isalpha(), not g.islower(), g))
                return found[0].lower()
            front = ahead
    return ch


#: Dingbat digits that NFKC leaves alone (negative circled, sans-serif circled).
DIGITS: dict[str, str] = {}
for _base in (0x2776, 0x2780, 0x278A):
    for _i in range(9):
        DIGITS[chr(_base + _i)] = str(_i + 1)
    DIGITS[chr(_base + 9)] = "10"
DIGITS["⓿"] = "0"
DIGITS["🔟"] = "10"
