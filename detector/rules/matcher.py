"""Matching: the compiled red-flag registry turns one ad into an :class:`Analysis`.

Findings are :class:`~detector.schema.Finding` values whose spans index the ORIGINAL text.
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

One finding is kept per span and category (the strongest rule's). What a rule is and how it is
validated: :mod:`detector.rules.rule`; reading the file: :mod:`detector.rules.loader`.

Long because :class:`Registry` compiles its sets and patterns and matches with them: the two
halves share the compiled state, and splitting them would pass it across modules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

from detector.rules.organisations import OrganisationRegistry
from detector.rules.organisations_file import load_organisations
from detector.rules.rule import (
    CATEGORIES,
    RE2_OPTIONS,
    Condition,
    Rule,
    RuleError,
    keyword_regex,
    parse_condition,
)
from detector.schema import Amount, Contact, Destination, Finding
from detector.text.extract import (
    TextBytes,
    detect_language,
    extract_amounts,
    extract_contacts,
    extract_destinations,
)
from detector.text.normalize import normalize
from detector.text.patterns import match_spans, search

__all__ = [
    "MAX_MATCHES_PER_RULE",
    "Analysis",
    "Registry",
    "combined_fingerprint",
    "merge_findings",
]

#: Most matches kept per rule and text (hostile-input guard; overlapping ones merge anyway).
MAX_MATCHES_PER_RULE = 50
_BEFORE_WINDOW = 40
_AFTER_WINDOW = 60
_MAX_ANCHOR_ITEMS = 20


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


@dataclass
class _Compiled:
    rule: Rule
    regex: Any | None
    unless_before: tuple[Any, ...]
    unless_after: tuple[Any, ...]
    requires: tuple[Condition, ...]
    anchor: Condition | None


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
                return re2.compile(pattern.encode("utf-8"), RE2_OPTIONS)
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
            requires=tuple(parse_condition(rule.id, c) for c in rule.requires),
            anchor=parse_condition(rule.id, rule.anchor) if rule.anchor else None,
        )

    # -- matching ------------------------------------------------------------------------------

    def _candidates(self, data: bytes) -> list[_Compiled]:
        hit = self._kw_set.Match(data)
        if not hit:
            return list(self._always)
        out = {c.rule.id: c for c in self._always}
        kw_rules = self._kw_rules
        for idx in hit:
            for comp in kw_rules[idx]:
                out.setdefault(comp.rule.id, comp)
        return list(out.values())

    def _pattern_spans(self, comp: _Compiled, t: TextBytes) -> list[tuple[int, int]]:
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
        t = TextBytes(norm)
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
        findings = merge_findings(raw, text, language)
        return Analysis(
            findings=findings,
            contacts=facts.contacts,
            amounts=facts.amounts,
            destinations=facts.destinations,
            language=language,
            normalized_text=norm.text,
        )

    def _composites(
        self, t: TextBytes, facts: _Facts, candidates: set[str]
    ) -> list[tuple[int, int, Rule, _Item | None]]:
        out: list[tuple[int, int, Rule, _Item | None]] = []
        # Composites that need no other category go first, so that e.g. "unrealistic pay for
        # a scam-compound role" can build on "scam-compound role", itself a composite.
        for comp in self._composite_order:
            if comp.anchor is None and comp.rule.id not in candidates:
                continue  # a pattern composite whose keywords are absent cannot match
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
            elif comp.regex is not None:
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


def merge_findings(
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


def _anchor_items(cond: Condition, facts: _Facts) -> list[Any]:
    # Many rules ask the same question ("a WhatsApp contact?"): answer it once per text.
    key = (cond.kind, cond.values, cond.amount_preds)
    found = facts.memo.get(key)
    if found is None:
        found = facts.memo[key] = _anchor_items_uncached(cond, facts)
    return found


def _anchor_items_uncached(cond: Condition, facts: _Facts) -> list[Any]:
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


def _holds(cond: Condition, facts: _Facts) -> bool:
    if cond.kind == "category":
        return not facts.categories.isdisjoint(cond.values)
    if cond.kind == "rule":
        return not facts.rule_ids.isdisjoint(cond.values)
    if cond.kind == "no_contact":
        return not _anchor_items(Condition("contact", cond.values), facts)
    if cond.kind == "absent":
        return search(cond.regex, facts.data) is None
    if cond.kind == "present":
        return search(cond.regex, facts.data) is not None
    return bool(_anchor_items(cond, facts))
