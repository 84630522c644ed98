"""How often the red-flag rules fire on labelled ads: a development figure, not a model metric.

:func:`findings_report` takes labelled rows (``text``, ``label`` = ``scam`` | ``legit``,
``language``) and reports, per language and label, the share of ads with at least one finding
and with a finding of weight >= 0.3 (:data:`STRONG_WEIGHT`), and per category how many ads it
fires on and which share of those are scams (its precision on that set). ``jobscam evaluate``
puts it into the model card; ``python -m detector.rules.measure PATH.jsonl`` prints a table
(``PATH`` may also be a CSV with a ``fraudulent`` column, such as EMSCAD's, whose text fields
are joined as the model sees them).
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from detector.rules import CATEGORIES, Registry, load_registry

__all__ = ["STRONG_WEIGHT", "findings_report", "format_report", "read_rows", "main"]

#: A finding at least this strong counts as real evidence in the legitimate-ads figure.
STRONG_WEIGHT = 0.3
_EMSCAD_FIELDS = ("title", "company_profile", "description", "requirements", "benefits")


def findings_report(
    rows: Iterable[Mapping[str, Any]], registry: Registry | None = None
) -> dict[str, Any]:
    """Share of ads with findings per language x label, and per-category precision.

    Parameters
    ----------
    rows : iterable of mapping
        Each with ``text``, ``label`` (``"scam"`` or ``"legit"``) and optionally ``language``
        (default ``"und"``).
    registry : Registry, optional
        Default: the shipped registry.

    Returns
    -------
    dict
        ``groups``: ``{"id/scam": {"n", "with_finding", "with_strong", "share_any",
        "share_strong"}, ...}`` (plus ``"all/scam"`` and ``"all/legit"``);
        ``categories``: ``{category: {"ads", "scam_ads", "legit_ads", "precision"}}`` (only
        categories that fired); ``strong_weight``.
    """
    reg = registry or load_registry()
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    cats: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        text = row.get("text")
        label = row.get("label")
        if not isinstance(text, str) or not text.strip() or label not in ("scam", "legit"):
            continue
        lang = str(row.get("language") or "und")
        findings = reg.analyze(text).findings
        strong = any(f.weight >= STRONG_WEIGHT for f in findings)
        for key in (f"{lang}/{label}", f"all/{label}"):
            g = groups[key]
            g["n"] += 1
            g["with_finding"] += bool(findings)
            g["with_strong"] += strong
        for c in {f.category for f in findings}:
            cats[c]["ads"] += 1
            cats[c][f"{label}_ads"] += 1
    out_groups = {
        k: {
            "n": g["n"],
            "with_finding": g["with_finding"],
            "with_strong": g["with_strong"],
            "share_any": round(g["with_finding"] / g["n"], 4) if g["n"] else 0.0,
            "share_strong": round(g["with_strong"] / g["n"], 4) if g["n"] else 0.0,
        }
        for k, g in sorted(groups.items())
    }
    order = {c: i for i, c in enumerate(CATEGORIES)}
    out_cats = {
        c: {
            "ads": v["ads"],
            "scam_ads": v["scam_ads"],
            "legit_ads": v["legit_ads"],
            "precision": round(v["scam_ads"] / v["ads"], 4) if v["ads"] else 0.0,
        }
        for c, v in sorted(cats.items(), key=lambda kv: order.get(kv[0], len(order)))
    }
    return {"groups": out_groups, "categories": out_cats, "strong_weight": STRONG_WEIGHT}


def format_report(report: Mapping[str, Any]) -> str:
    """The report as a plain-text table."""
    w = report["strong_weight"]
    lines = [f"{'group':<12} {'n':>6} {'>=1 finding':>14} {f'>=1 weight>={w}':>18}"]
    for k, g in report["groups"].items():
        lines.append(
            f"{k:<12} {g['n']:>6} {g['with_finding']:>6} {g['share_any']:>6.1%} "
            f"{g['with_strong']:>10} {g['share_strong']:>6.1%}"
        )
    lines.append("")
    lines.append(f"{'category':<26} {'ads':>5} {'scam':>5} {'legit':>6} {'precision':>10}")
    for c, v in report["categories"].items():
        lines.append(
            f"{c:<26} {v['ads']:>5} {v['scam_ads']:>5} {v['legit_ads']:>6} {v['precision']:>10.1%}"
        )
    return "\n".join(lines)


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """Labelled rows from a JSONL file (text/label/language) or a CSV with ``fraudulent``."""
    p = Path(path)
    if p.suffix == ".csv":
        import pandas as pd

        frame = pd.read_csv(p)
        cols = [c for c in _EMSCAD_FIELDS if c in frame.columns]
        texts = frame[cols].fillna("").astype(str).agg("\n".join, axis=1)
        labels = frame["fraudulent"].map({0: "legit", 1: "scam"})
        return [
            {"text": t, "label": lab, "language": "en"}
            for t, lab in zip(texts.tolist(), labels.tolist(), strict=True)
        ]
    with p.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv: list[str] | None = None) -> int:
    """``python -m detector.rules.measure PATH [PATH ...]``: print the table for each file."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m detector.rules.measure PATH.jsonl|PATH.csv ...", file=sys.stderr)
        return 2
    for path in args:
        print(f"== {path}")
        print(format_report(findings_report(read_rows(path))))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
