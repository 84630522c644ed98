"""RE2 helpers shared by the text layer, the red-flag rules and the vectoriser.

Every pattern of the project is RE2 (linear-time on hostile input) run over UTF-8 bytes. These
helpers use only the ``re2`` module's public API (``compile``, a compiled pattern's
``finditer`` / ``search`` and the match objects they return), so a new ``google-re2`` release
that reorganises its internals cannot break them.

Owns: :func:`match_spans`, :func:`hits`, :func:`search`.
Imports nothing from the rest of ``detector``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Pattern", "hits", "match_spans", "search"]

#: A compiled RE2 pattern (what :func:`re2.compile` returns; its class is not public).
Pattern = Any


def match_spans(regex: Pattern, data: bytes, limit: int = 1 << 62) -> list[tuple[int, int]]:
    """The byte spans of the first ``limit`` non-overlapping matches of ``regex`` in ``data``.

    Group 0 only: asking a match object for every group's span costs more than the matching
    when a pattern has many groups, so callers that need only where a match is use this.
    """
    out: list[tuple[int, int]] = []
    if limit <= 0:
        return out
    for m in regex.finditer(data):
        out.append(m.span())
        if len(out) >= limit:
            break
    return out


def search(regex: Pattern, data: bytes) -> Any | None:
    """First match of a compiled RE2 ``regex`` in ``data`` (bytes), or None.

    The match has ``group``, ``groups``, ``start``, ``end`` and ``span`` like ``re``'s.
    """
    return regex.search(data)


def hits(regex: Pattern, data: bytes, limit: int = 1 << 62) -> list[Any]:
    """The first ``limit`` matches of ``regex`` in ``data``, as match objects."""
    out: list[Any] = []
    if limit <= 0:
        return out
    for m in regex.finditer(data):
        out.append(m)
        if len(out) >= limit:
            break
    return out
