"""Every sentence a person reads, per language, as data a translator can edit.

One TOML file per language (``en.toml``, ``id.toml``) beside this module. Keys are
``section.name`` (``caveat.short_ad``, ``ui.title``); values are text with ``{field}``
placeholders filled by :func:`text`. English is the fallback for a key a translation lacks,
so a missing translation shows English rather than a code; ``tests`` check that both files
have the same keys and the same placeholders.

Owns: the catalogues and their loading. Imports nothing from the rest of ``detector``, so
every layer may use it.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path

#: Languages the catalogues are written in, the fallback first.
LANGUAGES: tuple[str, ...] = ("en", "id")
FALLBACK = "en"
_HERE = Path(__file__).resolve().parent


class CatalogError(ValueError):
    """A catalogue file is missing, unreadable or not a table of strings."""


def _flatten(table: dict, prefix: str, out: dict[str, str], path: Path) -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, f"{name}.", out, path)
        elif isinstance(value, str):
            out[name] = value
        else:
            raise CatalogError(f"{path.name}: {name} is {type(value).__name__}, not text")


@cache
def catalog(lang: str) -> dict[str, str]:
    """All keys of one language's catalogue (``section.name`` -> text)."""
    if lang not in LANGUAGES:
        raise CatalogError(f"no catalogue for language {lang!r}; have {', '.join(LANGUAGES)}")
    path = _HERE / f"{lang}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path.name}: {exc}") from exc
    out: dict[str, str] = {}
    _flatten(data, "", out, path)
    return out


def placeholders(template: str) -> set[str]:
    """The ``{field}`` names a text uses."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def text(lang: str, key: str, /, **fields: object) -> str:
    """The text for ``key`` in ``lang`` (English when the language lacks it), filled in.

    Unknown languages read English. An unknown key is a programming error: ``KeyError``.
    """
    cat = catalog(lang) if lang in LANGUAGES else catalog(FALLBACK)
    template = cat.get(key)
    if template is None:
        template = catalog(FALLBACK)[key]
    return template.format(**fields) if fields else template


def section(lang: str, name: str) -> dict[str, str]:
    """Every key of one section (``name.*``), without the prefix, English filling gaps."""
    prefix = f"{name}."
    out = {k[len(prefix) :]: v for k, v in catalog(FALLBACK).items() if k.startswith(prefix)}
    if lang in LANGUAGES and lang != FALLBACK:
        out.update({k[len(prefix) :]: v for k, v in catalog(lang).items() if k.startswith(prefix)})
    return out
