"""One text as the extractors read it: the normalised text's UTF-8 bytes and the way from a byte
span back to the original characters (:class:`TextBytes`), built once per text and shared.
"""

from __future__ import annotations

import numpy as np

from detector.text.normalize import Normalized, normalize


def words(text: str) -> frozenset[str]:
    """A set of whitespace-separated words (keeps long word lists readable)."""
    return frozenset(text.split())


#: Most items each extractor returns for one text (hostile input guard).
MAX_ITEMS = 200

#: US dollars per one unit of each currency (approximate, fixed, documented; 2024–2025).


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


def as_text(text: str | Normalized) -> TextBytes:
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
