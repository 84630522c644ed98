"""Loading the red-flag registry: ``red_flags.toml`` (and a user's file) -> a checked Registry.

The shipped registry is read once per process and cached. A file given by path also has
each of its rules' examples run (the shipped file's examples run in the test suite instead).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from detector.rules.matcher import Analysis, Registry
from detector.rules.rule import RuleError, build_rule
from detector.rules.tables import toml_tables

__all__ = [
    "DEFAULT_PATH",
    "analyze",
    "analyze_many",
    "check_examples",
    "load_registry",
    "registry_from_toml",
]

DEFAULT_PATH = Path(__file__).with_name("red_flags.toml")


def check_examples(registry: Registry) -> None:
    """Run every rule's examples; raise :class:`RuleError` naming the first rule that fails.

    Parameters
    ----------
    registry : Registry
        The registry to check.
    """
    for rule in registry.rules:
        for ex in rule.examples_match:
            if not any(f.rule_id == rule.id for f in registry.analyze(ex).findings):
                raise RuleError(f"rule {rule.id!r}: match example does not match: {ex!r}")
        for ex in rule.examples_no_match:
            if any(f.rule_id == rule.id for f in registry.analyze(ex).findings):
                raise RuleError(f"rule {rule.id!r}: no_match example matches: {ex!r}")


def registry_from_toml(data: bytes, *, path: Path | None = None, check: bool = True) -> Registry:
    """Build a registry from TOML bytes; validate structure, patterns and (optionally) examples.

    Parameters
    ----------
    data : bytes
        The TOML document (``[[rule]]`` tables).
    path : pathlib.Path, optional
        Where it came from (for messages).
    check : bool
        Also run every rule's examples (default True).

    Returns
    -------
    Registry

    Raises
    ------
    RuleError
        Naming the offending rule.
    """
    tables = toml_tables(data, path, "rule", RuleError)
    rules = [build_rule(t, i) for i, t in enumerate(tables, 1)]
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise RuleError(f"rule {r.id!r}: duplicate id")
        seen.add(r.id)
    for r in rules:
        for cond in r.requires:
            kind, _, arg = cond.partition(":")
            unknown = [v for v in arg.split("|") if kind == "rule" and v.strip() not in seen]
            if unknown:
                raise RuleError(f"rule {r.id!r}: condition {cond!r} names unknown rule(s)")
    registry = Registry(rules, hashlib.sha256(data).hexdigest(), path)
    if check:
        check_examples(registry)
    return registry


@lru_cache(maxsize=1)
def _default_registry() -> Registry:
    # The shipped registry's examples are run by the test suite (tests/test_rules.py); running
    # them again on every start would add seconds to loading the model, the CLI and the page.
    return registry_from_toml(DEFAULT_PATH.read_bytes(), path=DEFAULT_PATH, check=False)


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and validate the red-flag registry.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A TOML file; default the shipped ``red_flags.toml`` (loaded once and cached).

    Returns
    -------
    Registry

    Raises
    ------
    RuleError
        When a rule is invalid (missing key, unknown category, weight out of range, pattern
        that does not compile under RE2, and for a file given by ``path`` an example that does
        not behave: the shipped file's examples run in the test suite); names the rule id.
    """
    if path is None:
        return _default_registry()
    p = Path(path)
    return registry_from_toml(p.read_bytes(), path=p)


def analyze(text: str, registry: Registry | None = None) -> Analysis:
    """Find the red flags in one ad and everything extracted on the way.

    Parameters
    ----------
    text : str
        The ad as the user gave it; every span indexes this string
        (``text[f.start:f.end] == f.text``), also through disguised characters.
    registry : Registry, optional
        Default: the shipped registry.

    Returns
    -------
    Analysis
        Findings (overlaps of the same rule merged, sorted by start), contacts, amounts,
        destinations, language and the normalised text.

    Examples
    --------
    >>> a = analyze("Kerja admin di Kamboja, gaji 15jt, tanpa pengalaman. Hub WA 0812 3456 7890")
    >>> sorted({f.category for f in a.findings})[:3]
    ['chat_only', 'low_bar', 'risky_destination']
    """
    return (registry or load_registry()).analyze(text)


def analyze_many(texts: Iterable[str], registry: Registry | None = None) -> list[Analysis]:
    """:func:`analyze` each text; the registry is loaded once.

    Parameters
    ----------
    texts : iterable of str
    registry : Registry, optional

    Returns
    -------
    list of Analysis
        One per text, in order.
    """
    reg = registry or load_registry()
    return [reg.analyze(t) for t in texts]
