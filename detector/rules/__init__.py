"""The red-flag layer: rules as data (``red_flags.toml``, ``organisations.toml``), their
loader and validation, and the matcher that turns an ad into findings.

Owns

* :mod:`~detector.rules.rule`: what a rule is (:class:`Rule`, :data:`CATEGORIES`,
  :class:`RuleError`) and how one TOML table is validated;
* :mod:`~detector.rules.matcher`: the compiled :class:`Registry` and :class:`Analysis`;
* :mod:`~detector.rules.loader`: reading a registry file (:func:`load_registry`);
* :mod:`~detector.rules.organisations`: the impersonated organisations and their check;
* :mod:`~detector.rules.organisations_file`: reading and validating ``organisations.toml``;
* :mod:`~detector.rules.tables`: the TOML table reader both registries share;
* :mod:`~detector.rules.measure`: how often each rule fires on a labelled corpus.

May import: :mod:`detector.schema` and :mod:`detector.text` (normalise, extract, RE2
helpers), and third-party libraries; never the model, the scoring core, the batch
engines or the front ends.
"""

from detector.rules.loader import (
    DEFAULT_PATH,
    analyze,
    analyze_many,
    check_examples,
    load_registry,
    registry_from_toml,
)
from detector.rules.matcher import (
    MAX_MATCHES_PER_RULE,
    Analysis,
    Registry,
    combined_fingerprint,
    merge_findings,
)
from detector.rules.organisations_file import load_organisations
from detector.rules.rule import CATEGORIES, Rule, RuleError, keyword_regex

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
    "check_examples",
    "combined_fingerprint",
    "keyword_regex",
    "load_organisations",
    "load_registry",
    "merge_findings",
    "registry_from_toml",
]
