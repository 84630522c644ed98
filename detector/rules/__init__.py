"""The red-flag registry: load, validate and match the rules of ``red_flags.toml``.

The rules are data (one TOML table each, see the header of ``red_flags.toml``); this module
turns them into :class:`~detector.schema.Finding` values whose spans index the ORIGINAL text.

Matching is linear-time and fast:

* the ad is normalised once (:func:`detector.text.normalize.normalize`) and encoded to UTF-8 once;
* one RE2 ``Set`` of every rule's literal ``keywords`` finds, in a single pass, which rules can
  possibly match; only those rules' patterns (one combined RE2 regex per rule) are run;
* each rule stops after :data:`MAX_MATCHES_PER_RULE` matches, so a megabyte of repeated
  near-matches cannot produce a million findings;
* composite rules (``requires`` / ``anchor``) reuse the extraction results, each question
  ("is there a WhatsApp contact?") answered once per text;
* the impersonation check (``organisation:`` conditions) matches every name of
  ``organisations.toml`` in one RE2 pass (:mod:`detector.rules.organisations`).

One finding is kept per span and category (the strongest rule's).

Public API: :func:`load_registry`, :class:`Registry`, :class:`Rule`, :func:`analyze`,
:func:`analyze_many`, :class:`Analysis`, :class:`RuleError`, :data:`CATEGORIES`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import re2

from detector.rules.organisations import OrganisationRegistry, load_organisations
from detector.rules.tables import toml_tables
from detector.schema import Amount, Contact, Destination, Finding
from detector.text.extract import TextBytes as _Text
from detector.text.extract import (
    detect_language,
    extract_amounts,
    extract_contacts,
    extract_destinations,
)
from detector.text.normalize import normalize
from detector.text.patterns import match_spans, search

__all__ = [
    "CATEGORIES",
    "DEFAULT_PATH",
    "MAX_MATCHES_PER_RULE",
    "Analysis",
    "Registry",
    "Rule",
    "RuleError",
    "analyze",
    "analyze_many",
    "combined_fingerprint",
    "load_registry",
    "load_organisations",
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

DEFAULT_PATH = Path(__file__).with_name("red_flags.toml")
#: Most matches kept per rule and text (hostile-input guard; overlapping ones merge anyway).
MAX_MATCHES_PER_RULE = 50
_BEFORE_WINDOW = 40
_AFTER_WINDOW = 60
_MAX_ANCHOR_ITEMS = 20

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
class Analysis:
    """Everything the red-flag layer learned about one text.

    ``findings`` are sorted by start; their spans index the text passed to :func:`analyze`.
    """

    findings: list[Finding]
    contacts: list[Contact]
    amounts: list[Amount]
    destinations: list[Destination]
    language: str
    normalized_text: str

    @property
    def categories(self) -> list[str]:
        """Distinct categories of the findings, in order of first appearance."""
        return list(dict.fromkeys(f.category for f in self.findings))


@dataclass(frozen=True)
class _Condition:
    kind: str
    values: tuple[str, ...]
    amount_preds: tuple[tuple[str, str, str], ...] = ()
    regex: Any = None


@dataclass
class _Compiled:
    rule: Rule
    regex: Any | None
    unless_before: tuple[Any, ...]
    unless_after: tuple[Any, ...]
    requires: tuple[_Condition, ...]
    anchor: _Condition | None


@dataclass
class _Facts:
    contacts: list[Contact]
    amounts: list[Amount]
    destinations: list[Destination]
    data: bytes = b""
    categories: set[str] = field(default_factory=set)
    rule_ids: set[str] = field(default_factory=set)
    text: Any = None
    organisations: OrganisationRegistry | None = None
    impersonations: Any = None  # (unofficial, unverified), computed once per text
    memo: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Item:
    """A highlighted span from an anchor, optionally with its own explanation."""

    start: int
    end: int
    why_en: str | None = None
    why_id: str | None = None


class Registry:
    """The loaded, validated and compiled red-flag rules.

    Attributes
    ----------
    rules : tuple of Rule
        In file order.
    categories : tuple of str
        All category names, in the fixed order of :data:`CATEGORIES`.
    fingerprint : str
        :func:`combined_fingerprint` of the rules' and the organisations' TOML bytes (goes
        into the model manifest: either file changing means "retrain").
    rules_fingerprint : str
        sha256 of the rules' TOML bytes alone.
    organisations : OrganisationRegistry
        The impersonated organisations (``organisations.toml``).
    path : pathlib.Path or None
        Where the rules came from.
    """

    categories: tuple[str, ...] = CATEGORIES

    def __init__(
        self,
        rules: Sequence[Rule],
        fingerprint: str,
        path: Path | None = None,
        organisations: OrganisationRegistry | None = None,
    ):
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.organisations = organisations or load_organisations()
        # The organisations decide impersonation findings, so they are part of the rules'
        # identity: a model trained on other organisations must be retrained.
        self.rules_fingerprint = fingerprint
        self.fingerprint = combined_fingerprint(fingerprint, self.organisations.fingerprint)
        self.path = path
        self._compiled = [self._compile(r) for r in self.rules]
        self._simple = [c for c in self._compiled if not c.rule.is_composite]
        self._composite = [c for c in self._compiled if c.rule.is_composite]
        self._composite_order = sorted(
            self._composite,
            key=lambda c: any(r.kind in ("category", "rule") for r in c.requires),
        )
        # Keyword pre-filter: one RE2 Set over every rule's keywords; keyword -> rules.
        self._kw_rules: list[list[_Compiled]] = []
        self._always: list[_Compiled] = []
        kw_index: dict[str, int] = {}
        opts = re2.Options()
        opts.max_mem = 64 << 20
        self._kw_set = re2.Set.SearchSet(opts)
        for comp in self._compiled:
            if comp.regex is None:
                continue
            if not comp.rule.keywords:
                self._always.append(comp)
                continue
            for kw in comp.rule.keywords:
                if kw not in kw_index:
                    kw_index[kw] = self._kw_set.Add(keyword_regex(kw))
                    self._kw_rules.append([])
                self._kw_rules[kw_index[kw]].append(comp)
        self._kw_set.Compile()

    # -- compilation ---------------------------------------------------------------------------

    @staticmethod
    def _compile(rule: Rule) -> _Compiled:
        def comp(pattern: str, what: str) -> Any:
            try:
                return re2.compile(pattern.encode("utf-8"), _RE2_OPTIONS)
            except re2.error as exc:
                raise RuleError(
                    f"rule {rule.id!r}: {what} {pattern!r} does not compile under RE2: {exc}"
                ) from None

        regex = None
        if rule.patterns:
            for p in rule.patterns:
                comp(p, "pattern")
            regex = comp("|".join(f"(?:{p})" for p in rule.patterns), "combined patterns")
        return _Compiled(
            rule=rule,
            regex=regex,
            unless_before=tuple(comp(p, "unless_before") for p in rule.unless_before),
            unless_after=tuple(comp(p, "unless_after") for p in rule.unless_after),
            requires=tuple(_parse_condition(rule.id, c) for c in rule.requires),
            anchor=_parse_condition(rule.id, rule.anchor) if rule.anchor else None,
        )

    # -- matching ------------------------------------------------------------------------------

    def _candidates(self, data: bytes) -> list[_Compiled]:
        hit = self._kw_set.Match(data) or ()
        seen: set[str] = set()
        out = list(self._always)
        for idx in hit:
            for comp in self._kw_rules[idx]:
                if comp.rule.id not in seen:
                    seen.add(comp.rule.id)
                    out.append(comp)
        return out

    def _pattern_spans(self, comp: _Compiled, t: _Text) -> list[tuple[int, int]]:
        """Spans (byte offsets of the normalised text) where the rule's patterns match."""
        spans: list[tuple[int, int]] = []
        data = t.data
        assert comp.regex is not None
        for bs, be in match_spans(comp.regex, data, 4 * MAX_MATCHES_PER_RULE):
            if be == bs:
                continue
            if comp.unless_before and any(
                search(u, data[max(0, bs - _BEFORE_WINDOW) : bs]) for u in comp.unless_before
            ):
                continue
            if comp.unless_after and any(
                search(u, data[be : be + _AFTER_WINDOW]) for u in comp.unless_after
            ):
                continue
            spans.append((bs, be))
            if len(spans) >= MAX_MATCHES_PER_RULE:
                break
        return spans

    def analyze(self, text: str) -> Analysis:
        """Normalise, extract and match one text; see :func:`analyze`."""
        if not isinstance(text, str):
            raise TypeError(f"analyze() needs a str, got {type(text).__name__}")
        norm = normalize(text)
        t = _Text(norm)
        facts = _Facts(
            contacts=extract_contacts(norm),
            amounts=extract_amounts(norm),
            destinations=extract_destinations(norm),
            data=t.data,
            text=t,
            organisations=self.organisations,
        )
        raw: list[tuple[int, int, Rule, _Item | None]] = []  # original-text spans
        candidates = self._candidates(t.data)
        for comp in candidates:
            if comp.rule.is_composite:
                continue  # evaluated after the pattern rules, in _composites
            for bs, be in self._pattern_spans(comp, t):
                os_, oe, _ = t.span(bs, be)
                raw.append((os_, oe, comp.rule, None))
                facts.categories.add(comp.rule.category)
                facts.rule_ids.add(comp.rule.id)
        if self._composite:
            raw.extend(self._composites(t, facts, {c.rule.id for c in candidates}))
        language = detect_language(norm)
        findings = _merge(raw, text, language)
        return Analysis(
            findings=findings,
            contacts=facts.contacts,
            amounts=facts.amounts,
            destinations=facts.destinations,
            language=language,
            normalized_text=norm.text,
        )

    def _composites(
        self, t: _Text, facts: _Facts, candidates: set[str]
    ) -> list[tuple[int, int, Rule, _Item | None]]:
        out: list[tuple[int, int, Rule, _Item | None]] = []
        # Composites that need no other category go first, so that e.g. "unrealistic pay for
        # a scam-compound role" can build on "scam-compound role", itself a composite.
        for comp in self._composite_order:
            if not all(_holds(c, facts) for c in comp.requires):
                continue
            before = len(out)
            if comp.anchor is not None:
                items = _anchor_items(comp.anchor, facts)[:_MAX_ANCHOR_ITEMS]
                out.extend(
                    (it.start, it.end, comp.rule, it if isinstance(it, _Item) else None)
                    for it in items
                    if it.end > it.start
                )
            elif comp.regex is not None and comp.rule.id in candidates:
                for bs, be in self._pattern_spans(comp, t):
                    os_, oe, _ = t.span(bs, be)
                    out.append((os_, oe, comp.rule, None))
            if len(out) > before:
                facts.categories.add(comp.rule.category)
                facts.rule_ids.add(comp.rule.id)
        return out

    def __repr__(self) -> str:
        return f"Registry({len(self.rules)} rules, fingerprint={self.fingerprint[:12]})"


def combined_fingerprint(rules_sha256: str, organisations_sha256: str) -> str:
    """sha256 over the two files' sha256 digests (rules first)."""
    return hashlib.sha256(f"{rules_sha256}\n{organisations_sha256}".encode()).hexdigest()


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


def _re2_options() -> Any:
    opts = re2.Options()
    opts.max_mem = 32 << 20
    return opts


_RE2_OPTIONS = _re2_options()


def _merge(
    raw: list[tuple[int, int, Rule, _Item | None]], text: str, language: str = "und"
) -> list[Finding]:
    """Merge overlapping spans of the same rule, then keep one finding per span and category
    (the strongest rule's; on a tie, the one written for the ad's language); sort by start."""
    raw.sort(key=lambda x: (x[2].id, x[0], x[1]))
    merged: list[tuple[int, int, Rule, _Item | None]] = []
    for s, e, rule, item in raw:
        if merged and merged[-1][2] is rule and s < merged[-1][1] and item is None:
            ps, pe, _, pitem = merged[-1]
            merged[-1] = (ps, max(pe, e), rule, pitem)
        else:
            merged.append((s, e, rule, item))
    # Two rules of one category on the same words ("15 juta per bulan" as pay for an unskilled
    # job and for a scam-compound role; the phone as "chat only") are one piece of evidence.
    best: dict[tuple[int, int, str], tuple[int, int, Rule, _Item | None]] = {}
    for m in merged:
        key = (m[0], m[1], m[2].category)
        rank = (m[2].weight, language in m[2].languages)
        if key not in best or rank > (best[key][2].weight, language in best[key][2].languages):
            best[key] = m
    kept = sorted(best.values(), key=lambda x: (x[0], x[1], x[2].id))
    return [
        Finding(
            rule_id=r.id,
            category=r.category,
            title_en=r.title_en,
            title_id=r.title_id,
            why_en=item.why_en if item is not None and item.why_en else r.why_en,
            why_id=item.why_id if item is not None and item.why_id else r.why_id,
            source=r.source,
            weight=r.weight,
            start=s,
            end=e,
            text=text[s:e],
        )
        for s, e, r, item in kept
    ]


# ---------------------------------------------------------------------------------------------
# composite conditions


def _parse_condition(rule_id: str, cond: str) -> _Condition:
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
        return _Condition(kind, (), tuple(preds))
    if kind == "organisation":
        if arg not in ("unofficial", "unverified"):
            raise RuleError(
                f"rule {rule_id!r}: organisation conditions are 'unofficial' and 'unverified'"
            )
        return _Condition(kind, (arg,))
    if kind in ("absent", "present"):
        try:
            return _Condition(kind, (), (), re2.compile(arg.encode("utf-8"), _RE2_OPTIONS))
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
    return _Condition(kind, values)


def _amount_ok(a: Amount, preds: tuple[tuple[str, str, str], ...]) -> bool:
    for key, op, value in preds:
        got = getattr(a, key)
        if got is None:
            return False
        if key in ("monthly_usd", "value"):
            num = float(value)
            if (op == ">=" and not got >= num) or (op == "<=" and not got <= num):
                return False
            if op == "=" and got != num:
                return False
        elif str(got).lower() not in value.lower().split("|"):
            return False
    return True


def _anchor_items(cond: _Condition, facts: _Facts) -> list[Any]:
    # Many rules ask the same question ("a WhatsApp contact?"): answer it once per text.
    key = (cond.kind, cond.values, cond.amount_preds)
    found = facts.memo.get(key)
    if found is None:
        found = facts.memo[key] = _anchor_items_uncached(cond, facts)
    return found


def _anchor_items_uncached(cond: _Condition, facts: _Facts) -> list[Any]:
    if cond.kind == "destination":
        return [
            d
            for d in facts.destinations
            if ("risky" in cond.values and d.risky)
            or ("foreign" in cond.values and d.country != "ID")
            or d.country in cond.values
        ]
    if cond.kind == "contact":
        return [
            c for c in facts.contacts if c.kind in cond.values or set(c.flags) & set(cond.values)
        ]
    if cond.kind == "amount":
        return [a for a in facts.amounts if _amount_ok(a, cond.amount_preds)]
    if cond.kind == "organisation" and facts.organisations is not None:
        if facts.impersonations is None:
            facts.impersonations = facts.organisations.assess(
                facts.data, facts.contacts, facts.text.span
            )
        found = facts.impersonations[1 if "unverified" in cond.values else 0]
        return [_Item(i.start, i.end, i.why_en, i.why_id) for i in found]
    return []


def _holds(cond: _Condition, facts: _Facts) -> bool:
    if cond.kind == "category":
        return bool(facts.categories & set(cond.values))
    if cond.kind == "rule":
        return bool(facts.rule_ids & set(cond.values))
    if cond.kind == "no_contact":
        return not _anchor_items(_Condition("contact", cond.values), facts)
    if cond.kind == "absent":
        return search(cond.regex, facts.data) is None
    if cond.kind == "present":
        return search(cond.regex, facts.data) is not None
    return bool(_anchor_items(cond, facts))


# ---------------------------------------------------------------------------------------------
# loading and validation


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


def _build_rule(table: Any, position: int) -> Rule:
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
    rules = [_build_rule(t, i) for i, t in enumerate(tables, 1)]
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
