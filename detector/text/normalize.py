"""Text normalisation for matching, with an offset map back to the original text.

Scam posters dodge keyword filters with look-alike characters ("WhаtsApp" with a Cyrillic
``а``), zero-width characters, leetspeak ("wh4tsapp", "p4sp0rt"), spaced or dotted letters
("W h a t s A p p", "t.e.l.e.g.r.a.m"), full-width or keycap digits ("０８１２", "0️⃣8️⃣").
:func:`normalize` folds all of these into plain lower-case text so the red-flag rules can be
written once, and keeps a map from every normalised character back to the original
characters, so each finding still highlights exactly what the user pasted.

Steps, in order:

1. per character: NFKC, combining marks dropped (accents, zalgo, keycap ``U+20E3``), zero-width
   and bidi controls removed, homoglyphs (Cyrillic/Greek look-alikes) folded to Latin,
   dingbat digits folded, lower-cased, every whitespace becomes a plain space;
2. spaced or dotted single letters joined ("w h a t s a p p" -> "whatsapp");
3. leetspeak folded, only inside alphabetic tokens so that phone numbers, amounts ("rp15jt"),
   e-mail addresses and URLs keep their digits;
4. runs of spaces collapsed to one.

Speed: plain-ASCII text skips step 1 (a single ``str.lower``), steps 2 and 3 start with a
quick RE2 scan that finds nothing in ordinary text, and step 4 is vectorised with numpy, so
a typical ad costs a few microseconds. Every regular expression here is linear-time: the
Python ``re`` patterns have bounded quantifiers and no nested repetition.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import re2

from detector.text.patterns import hits, match_spans

from .characters import DIGITS, REMOVE, latin_twin, words

__all__ = ["Normalized", "normalize"]


#: Leetspeak substitutions, applied only between letters.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "@": "a", "$": "s", "|": "l"})  # fmt: skip
#: Letters glued to a number that mean money or a unit, not leetspeak ("rp15jt", "usd1200").
_NOT_LEET_PREFIX = words(
    "rp idr usd us rm myr sgd sg thb nt ntd twd hkd hk php aud eur gbp jpy krw sar aed "
    "myr cny rmb inr vnd khr mmk"
)
_NOT_LEET_SUFFIX = words(
    "jt juta rb ribu k m km kg cm mm gb mb tb hr h jam x th st nd rd am pm usd rp pcs "
    "tahun thn bln bulan hari"
)
_MAX_LEET = (
    5_000  # leet tokens examined per text; more means hostile input, the rest stay as written
)

# Quick RE2 scans (linear, no backtracking) that decide whether the slower steps are needed.
_RE2_SPACED = re2.compile(
    rb"(?:^|[^a-z0-9])(?:[a-z0-9](?: [a-z0-9]){3}|[a-z0-9](?:\.[a-z0-9]){2}|"
    rb"[a-z0-9](?:-[a-z0-9]){2}|[a-z0-9](?:_[a-z0-9]){2}|[a-z0-9](?:\*[a-z0-9]){2})"
    rb"(?:[^a-z0-9]|$)"
)
# A token of letters with leet characters between them ("t3l3gr4m", "wh@tsapp"); tokens
# with other digits (hashes, codes) or starting/ending in digits never match.
_RE2_LEET_TOKEN = re2.compile(rb"\b([a-z]{1,24}(?:[0134578@$|]{1,3}[a-z]{1,24}){1,8})\b")
# Python re, bounded: one char, then at most 2 more items per repetition of a disjoint class.
_SPACED = re.compile(
    r"(?<![a-z0-9])(?:[a-z0-9](?: [a-z0-9]){3,}|[a-z0-9](?:\.[a-z0-9]){2,}|"
    r"[a-z0-9](?:-[a-z0-9]){2,}|[a-z0-9](?:_[a-z0-9]){2,}|[a-z0-9](?:\*[a-z0-9]){2,})"
)
_LEET_CHARS = frozenset("0134578@$|")


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text and the way back to the original.

    Attributes
    ----------
    original : str
        The text as given.
    text : str
        The normalised text (lower-case, folded); rules and extractors read this.
    starts, ends : numpy.ndarray or None
        For normalised character ``i``, the original characters ``original[starts[i]:ends[i]]``
        produced it. ``None`` when the map is the identity (``text`` has the same length as
        ``original`` and character ``i`` comes from character ``i``).
    """

    original: str
    text: str
    starts: np.ndarray | None = None
    ends: np.ndarray | None = None

    @property
    def is_identity(self) -> bool:
        """True when every normalised character sits at the same index as its original."""
        return self.starts is None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text to the span of the original that produced it.

        Parameters
        ----------
        start, end : int
            A half-open span ``[start, end)`` of :attr:`text`.

        Returns
        -------
        tuple of int
            ``(os, oe)`` such that ``original[os:oe]`` are exactly the original characters
            behind ``text[start:end]`` (including removed characters inside the span).
        """
        n = len(self.text)
        if not 0 <= start <= end <= n:
            raise ValueError(f"span [{start}, {end}) is outside the normalised text (0..{n})")
        if self.starts is None or self.ends is None:
            return start, end
        if start == end:
            pos = int(self.starts[start]) if start < n else len(self.original)
            return pos, pos
        return int(self.starts[start]), int(self.ends[end - 1])


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> tuple[str, bool]:
    """Fold one non-ASCII character; return (replacement, attaches_to_previous)."""
    if ch in REMOVE:
        return "", False
    if ch in _ATTACH:
        return "", True
    if ch in DIGITS:
        return DIGITS[ch], False
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me"):
        return "", True
    if cat in ("Cf", "Cs"):
        return "", False
    if ch.isspace():
        return " ", False
    if cat == "Cc":
        return "", False
    folded = unicodedata.normalize("NFKC", ch)
    decomposed = unicodedata.normalize("NFD", folded)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me"))
    if stripped != decomposed:
        folded = stripped
    folded = folded.lower()
    folded = "".join(c if c.isascii() else latin_twin(c) for c in folded)
    if folded.isspace():
        folded = " "
    return folded, False


# Lookup tables over all code points, so folding is vectorised with numpy:
#   _LENS[cp]   how many characters cp folds to (0 removed, 1, 2 or 3; _UNKNOWN not seen yet)
#   _TABLE[cp]  the first character it folds to
#   _ATTACH[cp] a removed mark that belongs to the character before it (accents, keycaps)
#   _EXPAND[cp] the full folding when it is longer than one character
# The Basic Multilingual Plane is filled lazily as characters are first seen; the astral
# planes are identity except the ranges that fold (mathematical letters and digits,
# enclosed alphanumerics, tags, variation selectors), filled at import.
_UNKNOWN = 255
_MAX_EXPANSION = 3  # longer NFKC expansions (Arabic ligatures, squared words) become a space
_NCP = 0x110000
_TABLE = np.arange(_NCP, dtype=np.uint32)
_LENS = np.ones(_NCP, dtype=np.uint8)
_LENS[0x80:0x10000] = _UNKNOWN
_ATTACH = np.zeros(_NCP, dtype=bool)
_EXPAND: dict[int, str] = {}
_TABLE[ord("A") : ord("Z") + 1] += 32
for _c in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f":
    _TABLE[ord(_c)] = 32
_ASCII_TABLE = bytes(_TABLE[:0x80].astype(np.uint8).tolist() + list(range(0x80, 0x100)))


def _learn(cp: int) -> None:
    rep, attach = _fold_char(chr(cp))
    if len(rep) > _MAX_EXPANSION:
        rep = " "
    _ATTACH[cp] = attach
    if rep:
        _TABLE[cp] = ord(rep[0])
    if len(rep) > 1:
        _EXPAND[cp] = rep
    _LENS[cp] = len(rep)


for _lo, _hi in ((0x1D400, 0x1D800), (0x1F100, 0x1F200), (0x1FBF0, 0x1FBFA), (0xE0000, 0xE01F0)):
    for _cp in range(_lo, _hi):
        _learn(_cp)
for _cp in (0x1F51F,):  # keycap ten
    _learn(_cp)


def _fold_chars(text: str) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """Step 1: per-character folding, vectorised through the lookup tables."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE).decode("ascii"), None, None
    arr = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = len(arr)
    lens = _LENS[arr]
    unknown = lens == _UNKNOWN
    if unknown.any():
        for cp in np.unique(arr[unknown]).tolist():
            _learn(cp)
        lens = _LENS[arr]
    if bool((lens == 1).all()):
        return _TABLE[arr].tobytes().decode("utf-32-le"), None, None
    # Some characters are removed or expand: build the output and the offset map.
    src = np.repeat(np.arange(n, dtype=np.int64), lens)
    out = _TABLE[arr][src]
    wide = lens > 1
    if wide.any():
        first = np.cumsum(lens, dtype=np.int64) - lens  # output index of each char's first
        for cp in np.unique(arr[wide]).tolist():
            rep = _EXPAND[cp]
            at = first[arr == cp]
            for j in range(1, len(rep)):
                out[at + j] = ord(rep[j])
    # A kept character's span runs up to the next character that is not an attached mark,
    # so "e" + U+0301 or "1" + VS16 + keycap map back whole.
    attach = _ATTACH[arr] & (lens == 0)
    if attach.any():
        breaks = np.append(np.flatnonzero(~attach), n)
        end_of = breaks[np.searchsorted(breaks, np.arange(n), side="right")]
    else:
        end_of = np.arange(1, n + 1, dtype=np.int64)
    return out.tobytes().decode("utf-32-le"), src, end_of[src]


def _delete(
    text: str,
    keep: np.ndarray,
    starts: np.ndarray | None,
    ends: np.ndarray | None,
) -> tuple[str, np.ndarray, np.ndarray]:
    """Drop the characters where ``keep`` is False and carry the offset map along."""
    idx = np.flatnonzero(keep)
    if text.isascii():
        arr = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
        new_text = arr[idx].tobytes().decode("ascii")
    else:
        arr32 = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        new_text = arr32[idx].tobytes().decode("utf-32-le")
    if starts is None or ends is None:
        return new_text, idx, idx + 1
    return new_text, starts[idx], ends[idx]


def _join_spaced(
    text: str, starts: np.ndarray | None, ends: np.ndarray | None
) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """Step 2: join runs of single letters separated by one space, dot, dash, '_' or '*'."""
    if not match_spans(_RE2_SPACED, text.encode("utf-8"), 1):
        return text, starts, ends
    keep: np.ndarray | None = None
    n = len(text)
    for m in _SPACED.finditer(text):
        s, e = m.span()
        # The last item may be the first letter of a word ("a b c dd"): leave it out.
        if e < n and (text[e].isalnum()):
            e -= 2
        sep = text[s + 1]
        items = (e - s + 1) // 2
        if items < (4 if sep == " " else 3):
            continue
        letters = sum(1 for c in text[s:e:2] if c.isalpha())
        if letters < 2:
            continue
        if keep is None:
            keep = np.ones(n, dtype=bool)
        keep[s + 1 : e : 2] = False
    if keep is None:
        return text, starts, ends
    return _delete(text, keep, starts, ends)


def _letters_head(token: str) -> str:
    i = 0
    while i < len(token) and token[i] not in _LEET_CHARS:
        i += 1
    return token[:i]


def _fold_leet(text: str) -> str:
    """Step 3: fold leetspeak inside letter tokens; 1:1, so the offset map is unchanged."""
    data = text.encode("utf-8")
    ascii_only = len(data) == len(text)
    out: bytearray | list[str] | None = None
    b2c: np.ndarray | None = None
    for m in hits(_RE2_LEET_TOKEN, data, _MAX_LEET):
        bs, be = m.span(1)
        token = data[bs:be].decode("ascii")
        before = data[bs - 1 : bs]
        after = data[be : be + 1]
        if before in (b".", b"@", b":", b"#", b"=") or after == b"/":
            continue  # part of a URL, an e-mail domain, a hashtag or a parameter
        if before == b"/":
            lo = max(0, bs - 200)  # bounded look-back keeps hostile input linear
            chunk = data[max(lo, data.rfind(b" ", lo, bs) + 1) : bs]
            if b"." in chunk or b":" in chunk:
                continue  # a URL path ("t.me/j0hn"), but "$300/d4y" is a disguised word
        if after in (b".", b"@", b"_", b"-", b"+") or before in (b"_", b"-", b"+"):
            lo, hi = max(0, bs - 100), be + 100  # bounded look-around keeps this linear
            left = data.rfind(b" ", lo, bs) + 1
            right = data.find(b" ", be, hi)
            chunk = data[max(lo, left) : right if right >= 0 else hi]
            if b"@" in chunk[chunk.find(b"@") + 1 :] or (b"@" in chunk and b"." in chunk):
                continue  # an e-mail address: its digits are real
        head = _letters_head(token)
        rest = token[len(head) :]
        run = rest[: len(rest) - len(rest.lstrip("0134578@$|"))]
        tail_all = rest[len(run) :]
        if head in _NOT_LEET_PREFIX and (
            len(run) > 1 or tail_all in _NOT_LEET_SUFFIX or not tail_all
        ):
            continue  # "rp15jt", "rp5rb": money, not a disguised word (but "us1a" is "usia")
        folded = token.translate(_LEET)
        if ascii_only:
            if out is None:
                out = bytearray(data)
            assert isinstance(out, bytearray)
            out[bs:be] = folded.encode("ascii")
        else:
            if b2c is None:
                arr = np.frombuffer(data, dtype=np.uint8)
                b2c = np.cumsum((arr & 0xC0) != 0x80) - 1
            if out is None:
                out = list(text)
            assert isinstance(out, list)
            cs = int(b2c[bs])
            out[cs : cs + len(folded)] = list(folded)
    if out is None:
        return text
    if isinstance(out, bytearray):
        return out.decode("ascii")
    return "".join(out)


def _collapse_spaces(
    text: str, starts: np.ndarray | None, ends: np.ndarray | None
) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """Step 4: collapse runs of spaces (all whitespace is a space by now) to one."""
    if "  " not in text:
        return text, starts, ends
    if text.isascii():
        arr = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    else:
        arr = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    sp = arr == 32
    keep = np.ones(len(arr), dtype=bool)
    keep[1:] = ~(sp[1:] & sp[:-1])
    return _delete(text, keep, starts, ends)


def normalize(text: str) -> Normalized:
    """Normalise an ad for matching and keep the map back to the original.

    Parameters
    ----------
    text : str
        The ad as the user gave it.

    Returns
    -------
    Normalized
        ``.text`` is lower-case, folded text; ``.to_original(s, e)`` maps spans back.

    Examples
    --------
    >>> n = normalize("Hub W\\u200bh\\u0430ts4pp: ０８１２")
    >>> n.text
    'hub whatsapp: 0812'
    >>> s = n.text.index("whatsapp"); n.to_original(s, s + 8)
    (4, 13)
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() needs a str, got {type(text).__name__}")
    folded, starts, ends = _fold_chars(text)
    folded, starts, ends = _join_spaced(folded, starts, ends)
    folded = _fold_leet(folded)
    folded, starts, ends = _collapse_spaces(folded, starts, ends)
    return Normalized(original=text, text=folded, starts=starts, ends=ends)
