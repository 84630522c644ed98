"""Rewrite ad text with the evasion tricks scam posters use, to test the normaliser.

``evade(text, seed)`` changes a random share of the words with one trick each: look-alike
letters from Cyrillic/Greek, zero-width characters inside words, leetspeak, spaced or dotted
letters, and full-width digits. The rewrite is deterministic for a seed, so a failing case
can be replayed.

The tricks are the ones a poster uses to keep a word readable to people while hiding it from
keyword filters; they stay within what :mod:`detector.text.normalize` promises to undo: leetspeak
replaces inner letters only (a poster keeps the first and last letter so the word stays
readable), spacing applies to whole words of four or more letters.
"""

from __future__ import annotations

import random
import re

__all__ = ["TRICKS", "evade"]

HOMOGLYPHS = {
    "a": "\u0430",  # Cyrillic a
    "e": "\u0435",  # Cyrillic ie
    "o": "\u043e",  # Cyrillic o
    "p": "\u0440",  # Cyrillic er
    "c": "\u0441",  # Cyrillic es
    "x": "\u0445",  # Cyrillic ha
    "i": "\u0456",  # Cyrillic i
    "s": "\u0455",  # Cyrillic dze
    "y": "\u0443",  # Cyrillic u
    "k": "\u03ba",  # Greek kappa
    "v": "\u03bd",  # Greek nu
    "t": "\u03c4",  # Greek tau
}
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
LEET = {"a": "4", "e": "3", "o": "0", "i": "1", "s": "5", "t": "7", "b": "8"}
FULL_WIDTH_OFFSET = 0xFF10 - ord("0")

TRICKS = ("homoglyph", "zero_width", "leet", "spaced", "dotted", "full_width_digits")

_WORD = re.compile(r"[A-Za-z]+|[0-9]+")
# E-mail addresses and URLs are left alone: a disguised address no longer reaches the poster.
_ADDRESS = re.compile(r"\S*(?:@|://|www\.|\.com|\.id\b|\.me/|\.ly/)\S*")


def _homoglyph(word: str, rnd: random.Random) -> str:
    chars = list(word)
    idx = [i for i, c in enumerate(chars) if c.lower() in HOMOGLYPHS]
    for i in rnd.sample(idx, k=min(len(idx), max(1, len(idx) // 2))):
        glyph = HOMOGLYPHS[chars[i].lower()]
        chars[i] = glyph.upper() if chars[i].isupper() else glyph
    return "".join(chars)


def _zero_width(word: str, rnd: random.Random) -> str:
    if len(word) < 2:
        return word
    pos = rnd.randrange(1, len(word))
    return word[:pos] + rnd.choice(ZERO_WIDTH) + word[pos:]


def _leet(word: str, rnd: random.Random) -> str:
    if len(word) < 3:
        return word
    chars = list(word)
    inner = [i for i in range(1, len(chars) - 1) if chars[i].lower() in LEET]
    for i in rnd.sample(inner, k=min(len(inner), 2)):
        chars[i] = LEET[chars[i].lower()]
    return "".join(chars)


def _spaced(word: str, sep: str) -> str:
    return sep.join(word)


def _full_width(word: str) -> str:
    return "".join(chr(ord(c) + FULL_WIDTH_OFFSET) for c in word)


def evade(text: str, seed: int, rate: float = 0.35, tricks: tuple[str, ...] = TRICKS) -> str:
    """Rewrite ``text`` with evasion tricks.

    Parameters
    ----------
    text : str
        The ad.
    seed : int
        Random seed; the same seed gives the same rewrite.
    rate : float
        Share of words changed (each changed word gets one trick).
    tricks : tuple of str
        Which tricks to use, from :data:`TRICKS`.

    Returns
    -------
    str
        The rewritten ad.
    """
    rnd = random.Random(seed)
    protected = [m.span() for m in _ADDRESS.finditer(text)]
    words = list(_WORD.finditer(text))
    out: list[str] = []
    pos = 0
    previous_spaced = False
    for k, m in enumerate(words):
        out.append(text[pos : m.start()])
        word = m.group()
        pos = m.end()
        if any(a <= m.start() < b for a, b in protected) or rnd.random() >= rate:
            out.append(word)
            previous_spaced = False
            continue
        if word.isdigit():
            out.append(_full_width(word) if "full_width_digits" in tricks else word)
            continue
        options = [t for t in tricks if t != "full_width_digits"]
        next_short = k + 1 < len(words) and len(words[k + 1].group()) == 1
        prev_short = k > 0 and len(words[k - 1].group()) == 1
        if len(word) < 4 or previous_spaced or next_short or prev_short:
            # Spacing a short word, or next to a one-letter word or another spaced word,
            # would merge words ("a t o u r i s t"); a poster cannot do that either.
            options = [t for t in options if t not in ("spaced", "dotted")]
        if not options:
            out.append(word)
            continue
        trick = rnd.choice(options)
        previous_spaced = trick in ("spaced", "dotted")
        if trick == "homoglyph":
            out.append(_homoglyph(word, rnd))
        elif trick == "zero_width":
            out.append(_zero_width(word, rnd))
        elif trick == "leet":
            out.append(_leet(word, rnd))
        elif trick == "spaced":
            out.append(_spaced(word, " "))
        else:
            out.append(_spaced(word, "."))
    out.append(text[pos:])
    return "".join(out)
