"""Reading a registry's ``[[table]]`` list from TOML bytes, with one error style for all."""

from __future__ import annotations

import tomllib
from typing import Any


def toml_tables(data: bytes, path: str | None, key: str, error: type[Exception]) -> list[Any]:
    """The ``[[key]]`` tables of a TOML document, or ``error`` naming the file and what is wrong
    (not UTF-8 or not TOML; no such tables)."""
    where = path or f"{key}s"
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{where}: not valid TOML: {exc}") from None
    tables = doc.get(key)
    if not isinstance(tables, list) or not tables:
        raise error(f"{where}: no [[{key}]] tables")
    return tables
