"""What a red-flag rule is, and how one TOML table is validated into one.

:class:`Rule` is plain data (as written in ``red_flags.toml``); :class:`Condition` is one
parsed ``requires`` / ``anchor`` condition. Everything here is checked when a registry is
loaded, so a bad rule fails at load time with a message naming its id. Compiling and matching
live in :mod:`detector.rules.matcher`; reading the file in :mod:`detector.rules.loader`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

__all__ = [
    "CATEGORIES",
    "RE2_OPTIONS",
    "Condition",
    "Rule",
    "RuleError",
    "build_rule",
    "keyword_regex",
    "parse_condition",
]

#: The indicator categories of INDICATORS.md, in a fixed order (feature columns use it): the
#: 19 trafficking/scam indicators, then the ones real Indonesian scam ads showed (impersonated
#: employers, fake selection letters, the mass-vacancy lure).
CATEGORIES: tuple[str, ...] = (
    "fees",
    "debt",
    "documents",
    "visa",
    "unrealistic_pay",
    "low_bar",
    "vague_employer",
    "chat_only",
    "personal_data",
    "all_paid",
    "risky_destination",
    "scam_compound_role",
    "targets_vulnerable",
    "sexual_exploitation_role",
    "isolation_control",
    "excessive_hours",
    "urgency",
    "task_scam",
    "no_contract",
    "impersonation",
    "fake_selection",
    "mass_vacancy",
)


_REQUIRED = ("id", "category", "title_en", "title_id", "why_en", "why_id", "languages",
             "source", "weight", "keywords", "examples")  # fmt: skip
_OPTIONAL = ("patterns", "unless_before", "unless_after", "requires", "anchor")
_CONDITION_KINDS = (
    "category", "rule", "destination", "contact", "no_contact", "amount", "absent", "present",
    "organisation",
)  # fmt: skip
_AMOUNT_KEYS = ("monthly_usd", "value", "currency", "period")


class RuleError(ValueError):
    """The registry is invalid; the message names the offending rule id."""


@dataclass(frozen=True)
class Rule:
    """One red-flag rule as written in the TOML (plain data; compiled forms live in Registry)."""

    id: str
    category: str
    title_en: str
    title_id: str
    why_en: str
    why_id: str
    languages: tuple[str, ...]
    source: str
    weight: float
    keywords: tuple[str, ...]
    patterns: tuple[str, ...] = ()
    unless_before: tuple[str, ...] = ()
    unless_after: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    anchor: str | None = None
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()

    @property
    def is_composite(self) -> bool:
        """True when the rule depends on extraction results or on other findings."""
        return bool(self.requires) or self.anchor is not None


@dataclass(frozen=True)
class Condition:
    """One parsed condition: ``kind`` (``category``, ``rule``, ``contact``, ...), its values,
    the predicates of an ``amount:`` condition, the compiled regex of ``absent``/``present``."""

    kind: str
    values: tuple[str, ...]
    amount_preds: tuple[tuple[str, str, str], ...] = ()
    regex: Any = None


def keyword_regex(keyword: str) -> str:
    """The RE2 pattern of a keyword: a whole word or phrase, or a word prefix with ``*``.

    "fee" matches "fee" and "fee," but not "coffee" or "feedback"; "deduct*" matches
    "deducted" and "deduction"; "24/7" and "$"-phrases get word boundaries only on the sides
    that are word characters.
    """
    prefix = keyword.endswith("*")
    lit = keyword[:-1] if prefix else keyword
    left = r"\b" if lit[:1].isalnum() or lit[:1] == "_" else ""
    right = r"\b" if not prefix and (lit[-1:].isalnum() or lit[-1:] == "_") else ""
    return left + re2.escape(lit) + right


def re2_options() -> Any:
    """RE2 options for rule patterns: bounded memory per compiled regex."""
    opts = re2.Options()
    opts.max_mem = 32 << 20
    return opts


#: The RE2 options every rule pattern is compiled with (bounded memory).
RE2_OPTIONS = re2_options()


def parse_condition(rule_id: str, cond: str) -> Condition:
    """One ``requires`` / ``anchor`` condition of rule ``rule_id``, validated."""
    kind, sep, arg = cond.partition(":")
    if not sep or kind not in _CONDITION_KINDS or not arg:
        raise RuleError(
            f"rule {rule_id!r}: condition {cond!r} must be one of "
            + ", ".join(f"'{k}:...'" for k in _CONDITION_KINDS)
        )
    if kind == "amount":
        preds = []
        for part in arg.split(","):
            for op in (">=", "<=", "="):
                key, found, value = part.partition(op)
                if found:
                    break
            else:
                raise RuleError(f"rule {rule_id!r}: amount predicate {part!r} needs >=, <= or =")
            key = key.strip()
            if key not in _AMOUNT_KEYS:
                raise RuleError(f"rule {rule_id!r}: amount key {key!r} not in {_AMOUNT_KEYS}")
            if op != "=" or key in ("monthly_usd", "value"):
                try:
                    float(value)
                except ValueError:
                    raise RuleError(f"rule {rule_id!r}: {part!r} needs a number") from None
            preds.append((key, op, value.strip()))
        return Condition(kind, (), tuple(preds))
    if kind == "organisation":
        if arg not in ("unofficial", "unverified"):
            raise RuleError(
                f"rule {rule_id!r}: organisation conditions are 'unofficial' and 'unverified'"
            )
        return Condition(kind, (arg,))
    if kind in ("absent", "present"):
        try:
            return Condition(kind, (), (), re2.compile(arg.encode("utf-8"), RE2_OPTIONS))
        except re2.error as exc:
            raise RuleError(
                f"rule {rule_id!r}: {kind} regex {arg!r} does not compile: {exc}"
            ) from None
    values = tuple(v.strip() for v in arg.split("|"))
    if kind == "destination" and not all(
        v in ("risky", "foreign") or (len(v) == 2 and v.isupper()) for v in values
    ):
        raise RuleError(
            f"rule {rule_id!r}: destination condition takes 'risky', 'foreign' or ISO codes"
        )
    if kind == "category" and not set(values) <= set(CATEGORIES):
        raise RuleError(f"rule {rule_id!r}: unknown category in condition {cond!r}")
    return Condition(kind, values)


def _as_str_tuple(
    rule_id: str, key: str, value: Any, *, allow_empty: bool = True
) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RuleError(f"rule {rule_id!r}: {key!r} must be a list of non-empty strings")
    if not allow_empty and not value:
        raise RuleError(f"rule {rule_id!r}: {key!r} must not be empty")
    return tuple(value)


def build_rule(table: Any, position: int) -> Rule:
    """The :class:`Rule` of one ``[[rule]]`` table (``position``: 1-based, for messages)."""
    if not isinstance(table, dict):
        raise RuleError(f"rule #{position}: each [[rule]] must be a table")
    rule_id = table.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise RuleError(f"rule #{position}: missing or empty 'id'")
    missing = [k for k in _REQUIRED if k not in table]
    if missing:
        raise RuleError(f"rule {rule_id!r}: missing required key(s) {', '.join(missing)}")
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise RuleError(f"rule {rule_id!r}: unknown key(s) {', '.join(unknown)}")
    for key in ("category", "title_en", "title_id", "why_en", "why_id", "source"):
        if not isinstance(table[key], str) or not table[key].strip():
            raise RuleError(f"rule {rule_id!r}: {key!r} must be a non-empty string")
    if table["category"] not in CATEGORIES:
        raise RuleError(f"rule {rule_id!r}: unknown category {table['category']!r}")
    weight = table["weight"]
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1:
        raise RuleError(f"rule {rule_id!r}: weight must be a number in (0, 1], got {weight!r}")
    examples = table["examples"]
    if not isinstance(examples, dict) or set(examples) - {"match", "no_match"}:
        raise RuleError(f"rule {rule_id!r}: 'examples' must have only 'match' and 'no_match'")
    ex_match = _as_str_tuple(
        rule_id, "examples.match", examples.get("match", []), allow_empty=False
    )
    ex_no = _as_str_tuple(
        rule_id, "examples.no_match", examples.get("no_match", []), allow_empty=False
    )
    patterns = _as_str_tuple(rule_id, "patterns", table.get("patterns", []))
    keywords = _as_str_tuple(rule_id, "keywords", table["keywords"])
    if any(k != k.lower() or k.strip("* ") != k.rstrip("*") or "*" in k[:-1] for k in keywords):
        raise RuleError(
            f"rule {rule_id!r}: keywords must be lower-case words or phrases, optionally "
            "ending in '*' (they match the normalised text)"
        )
    anchor = table.get("anchor")
    if anchor is not None and not isinstance(anchor, str):
        raise RuleError(f"rule {rule_id!r}: 'anchor' must be a string")
    if not patterns and anchor is None:
        raise RuleError(f"rule {rule_id!r}: needs 'patterns' or an 'anchor'")
    if patterns and anchor is not None:
        raise RuleError(f"rule {rule_id!r}: give either 'patterns' or an 'anchor', not both")
    if patterns and not keywords and not table.get("requires"):
        raise RuleError(f"rule {rule_id!r}: pattern rules need 'keywords' (the pre-filter)")
    if anchor is not None and anchor.partition(":")[0] not in (
        "destination",
        "contact",
        "amount",
        "organisation",
    ):
        raise RuleError(
            f"rule {rule_id!r}: anchor must be a destination, contact, amount or "
            "organisation condition"
        )
    languages = _as_str_tuple(rule_id, "languages", table["languages"], allow_empty=False)
    return Rule(
        id=rule_id,
        category=table["category"],
        title_en=table["title_en"].strip(),
        title_id=table["title_id"].strip(),
        why_en=table["why_en"].strip(),
        why_id=table["why_id"].strip(),
        languages=languages,
        source=table["source"].strip(),
        weight=float(weight),
        keywords=keywords,
        patterns=patterns,
        unless_before=_as_str_tuple(rule_id, "unless_before", table.get("unless_before", [])),
        unless_after=_as_str_tuple(rule_id, "unless_after", table.get("unless_after", [])),
        requires=_as_str_tuple(rule_id, "requires", table.get("requires", [])),
        anchor=anchor,
        examples_match=ex_match,
        examples_no_match=ex_no,
    )
