"""The row contract: a verdict as one row of a table (``score_frame``, every scan output).

A row carries what :meth:`~detector.schema.Verdict.to_dict` carries, less ``terms`` (empty
in batch paths) and ``text`` (the row's own columns): flat columns for spreadsheets and the
nested values as compact JSON text. Layer 0 beside :mod:`detector.schema`.
"""

from __future__ import annotations

import json
from typing import Any

from .schema import Verdict

#: Columns a verdict adds to a row, in order. Flat columns for spreadsheets
#: (``scam_probability``, ``risk``, ``categories`` joined by ``;``) and the rest of
#: ``Verdict.to_dict()``, lists as JSON text (``NESTED_COLUMNS``); ``error`` is set instead
#: when the row could not be read or scored. ``terms`` (empty in batch, as in
#: ``score_many``) and ``text`` (the row's own columns) are not repeated.
RESULT_COLUMNS: tuple[str, ...] = (
    "scam_probability",
    "risk",
    "categories",
    "language",
    "mode",
    "findings",
    "contacts",
    "amounts",
    "destinations",
    "caveats",
    "model_probability",
    "indicator_probability",
    "model_version",
    "error",
)
#: Result columns holding JSON text: a list of objects each, as in ``Verdict.to_dict()``.
NESTED_COLUMNS: tuple[str, ...] = ("findings", "contacts", "amounts", "destinations", "caveats")
#: Result columns holding numbers (NaN when missing); the others hold text or None.
NUMBER_COLUMNS: tuple[str, ...] = ("scam_probability", "model_probability", "indicator_probability")


#: JSON text of a nested cell: no spaces after separators (smaller cells, the same values).
_DUMP = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json_list(items: list[Any]) -> str:
    # Most rows of a board have no findings, amounts or caveats: skip the encoder for those.
    return _DUMP([x.to_dict() for x in items]) if items else "[]"


def verdict_row(v: Verdict) -> dict[str, Any]:
    """The result columns of one verdict (``error`` None), nested values as JSON text."""
    return {
        "scam_probability": v.probability,
        "risk": v.risk,
        "categories": ";".join(v.categories),
        "language": v.language,
        "mode": v.mode,
        "findings": _json_list(v.findings),
        "contacts": _json_list(v.contacts),
        "amounts": _json_list(v.amounts),
        "destinations": _json_list(v.destinations),
        "caveats": _json_list(v.caveats),
        "model_probability": v.model_probability,
        "indicator_probability": v.indicator_probability,
        "model_version": v.model_version,
        "error": None,
    }
