"""The public scoring API: ``Detector.load().score(ad) -> Verdict``.

Flow for each ad: build an :class:`~detector.schema.Ad` (clear error if it cannot be
scored) -> red-flag analysis (findings, contacts, amounts, destinations, language) ->
indicator features -> model parts -> one calibrated probability -> risk band -> Verdict.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .explain import term_contributions
from .features import indicator_vector
from .model import MODEL_FORMAT, JobScamModel, Thresholds
from .persistence import ModelError, load_model
from .rules import Analysis, load_registry
from .schema import META_FIELDS, TEXT_FIELDS, Ad, AdError, Verdict

#: Languages the lexical model was trained on.
LEXICAL_LANGUAGES = frozenset({"en"})
#: Languages the red-flag rules are written for.
RULE_LANGUAGES = frozenset({"en", "id"})
#: Expert prior over red-flag combinations: P = sigmoid(SLOPE * (sum of per-category weights -
#: CENTER)). One or two weak indicators stay far below any band; four or five moderate ones
#: (fees + tourist visa + Cambodia + chat-only) reach "high". It covers trafficking patterns
#: the English training ads (2012-14 scams, mostly not trafficking) never show, so the model
#: cannot learn them; evaluation measures what it costs on the labelled ads.
EXPERT_CENTER = 1.6
EXPERT_SLOPE = 3.0

CAVEAT_LANGUAGE = (
    "The word-level model was trained on English job ads (2012-14); this ad is in {lang}, so "
    "its score rests on the bilingual red-flag indicators only."
)
CAVEAT_UNREADABLE = (
    "This ad's language ({lang}) is neither English nor Indonesian: neither the model nor the "
    "red-flag rules can read it well, so it is never rated low. Have a person check it."
)
CAVEAT_SHORT = "The ad is very short; the score is less reliable than for a full ad."


def expert_probability(analysis: Analysis) -> float:
    """The expert prior from the findings' weights (strongest finding per category)."""
    best: dict[str, float] = {}
    for f in analysis.findings:
        best[f.category] = max(best.get(f.category, 0.0), f.weight)
    total = sum(best.values())
    return 1.0 / (1.0 + math.exp(-EXPERT_SLOPE * (total - EXPERT_CENTER)))


def combine(p_model: float, p_expert: float, language: str) -> tuple[float, list[str]]:
    """The final probability and caveats from the parts, by language. Used by scoring AND
    evaluation, so the reported figures are those of what users get."""
    if language in LEXICAL_LANGUAGES or language == "und":
        return max(p_model, p_expert), []
    # The indicator-only model, fitted on English 2012-14 ads, barely separates them (see the
    # model card): on text the lexical model cannot read, the expert prior decides and the
    # indicator model's figure is reported alongside, not mixed in.
    if language in RULE_LANGUAGES:
        return p_expert, [CAVEAT_LANGUAGE.format(lang=_lang_name(language))]
    return p_expert, [CAVEAT_UNREADABLE.format(lang=language)]


def _lang_name(code: str) -> str:
    return {"id": "Indonesian", "en": "English"}.get(code, code)


def risk_band(p: float, thresholds: Thresholds, language: str) -> str:
    risk = thresholds.risk_of(p)
    if risk == "low" and language not in RULE_LANGUAGES and language != "und":
        return "medium"  # never a confident "low" for text nothing here can read
    return risk


def _row_ad(record: Mapping[str, Any], col: str | None) -> Ad:
    """The ad of one frame row: the text column's cell, or the row's field columns."""
    if col is None:
        return Ad.from_input(record)
    value = record[col]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise AdError(f"no text in column {col!r} (the ad is empty)")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # a number in a text column is still text to score
    return Ad.from_input(value)


class Detector:
    """Scores job ads for scam and trafficking-recruitment risk.

    Examples
    --------
    >>> det = Detector.load()
    >>> v = det.score("URGENT! Customer service in Cambodia, USD 1,200/month, no experience")
    >>> v.risk in ("low", "medium", "high")
    True
    """

    def __init__(self, model: JobScamModel, manifest: Mapping[str, Any] | None = None) -> None:
        self.model = model
        self.manifest = dict(manifest or {})
        self.registry = load_registry()
        self.version = str(self.manifest.get("version", self.manifest.get("created", "")))
        if manifest is not None and self.manifest.get("model_format", 1) != MODEL_FORMAT:
            raise ModelError(
                f"this model was saved in format {self.manifest.get('model_format', 1)}; this "
                f"jobscam scores format {MODEL_FORMAT}. Retrain with `jobscam train`."
            )
        want = self.manifest.get("rules_fingerprint")
        if want and want != self.registry.fingerprint:
            raise ModelError(
                "the red-flag registry changed since this model was trained (its features "
                "depend on it). Retrain with `jobscam train`."
            )

    @classmethod
    def load(cls, path: str | Path | None = None) -> Detector:
        """Load the shipped model (or the one in ``path``) after checking its sha256."""
        model, manifest = load_model(path)
        if not isinstance(model, JobScamModel):
            raise ModelError(f"{path or 'models/'} does not hold a jobscam model")
        return cls(model, manifest)

    # -- one ad --------------------------------------------------------------------------
    def score(self, ad: str | Mapping[str, Any]) -> Verdict:
        """Score one ad (pasted text or a mapping of fields). Raises ``AdError`` if it can't."""
        return self._score_ads([Ad.from_input(ad)], with_terms=True)[0]

    def score_many(self, ads: Iterable[str | Mapping[str, Any]]) -> list[Verdict]:
        """Score many ads at once (faster than one by one); raises on the first bad ad."""
        return self._score_ads([Ad.from_input(a) for a in ads], with_terms=False)

    # -- a frame -------------------------------------------------------------------------
    def score_frame(self, frame: pd.DataFrame, text_column: str | None = None) -> pd.DataFrame:
        """Score every row; same rows, same order, plus result columns.

        Uses ``text_column`` (default ``text`` if present) or else the field columns
        (``title``, ``description``, ...). A row that cannot be scored gets ``error`` set and
        empty results; it is never dropped.
        """
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"score_frame takes a pandas DataFrame, got {type(frame).__name__}")
        col = text_column or ("text" if "text" in frame.columns else None)
        if col is not None and col not in frame.columns:
            raise KeyError(f"text column {col!r} not in the frame; columns: {list(frame.columns)}")
        field_cols = [c for c in (*TEXT_FIELDS, *META_FIELDS) if c in frame.columns]
        if col is None and not any(c in frame.columns for c in TEXT_FIELDS):
            raise KeyError(
                "the frame needs a 'text' column or field columns ("
                + ", ".join(TEXT_FIELDS)
                + f"); it has {list(frame.columns)}"
            )
        ads: list[Ad | None] = []
        errors: list[str | None] = []
        records = (
            frame[[col]].to_dict("records")
            if col is not None
            else frame[field_cols].to_dict("records")
        )
        for rec in records:
            try:
                ads.append(_row_ad(rec, col))
                errors.append(None)
            except AdError as exc:
                ads.append(None)
                errors.append(str(exc))
        good = [i for i, a in enumerate(ads) if a is not None]
        verdicts = self._score_ads([ads[i] for i in good], with_terms=False) if good else []
        out = frame.copy()
        n = len(frame)
        prob = np.full(n, np.nan)
        risk: list[str | None] = [None] * n
        findings: list[str | None] = [None] * n
        cats: list[str | None] = [None] * n
        contacts: list[str | None] = [None] * n
        lang: list[str | None] = [None] * n
        for i, v in zip(good, verdicts, strict=True):
            prob[i] = v.probability
            risk[i] = v.risk
            findings[i] = json.dumps(
                [
                    {
                        "rule_id": f.rule_id,
                        "category": f.category,
                        "text": f.text,
                        "start": f.start,
                        "end": f.end,
                    }
                    for f in v.findings
                ],
                ensure_ascii=False,
            )
            cats[i] = ";".join(v.categories)
            contacts[i] = ";".join(dict.fromkeys(f"{c.kind}:{c.value}" for c in v.contacts))
            lang[i] = v.language
        out["scam_probability"] = prob
        out["risk"] = risk
        out["findings"] = findings
        out["categories"] = cats
        out["contacts"] = contacts
        out["language"] = lang
        out["error"] = errors
        return out

    # -- internals -----------------------------------------------------------------------
    def _score_ads(self, ads: Sequence[Ad], with_terms: bool) -> list[Verdict]:
        if not ads:
            return []
        analyses = [self.registry.analyze(a.text) for a in ads]
        cats = self.registry.categories
        ind = np.vstack([indicator_vector(a, cats) for a in analyses])
        texts = [a.text for a in ads]
        p_model = np.zeros(len(ads))
        p_ind = np.zeros(len(ads))
        modes = np.array([a.mode for a in ads])
        matrices: dict[str, Any] = {}
        for mode in ("paste", "fields"):
            idx = np.flatnonzero(modes == mode)
            if idx.size == 0:
                continue
            rows = [{**ads[i].fields, **ads[i].meta} for i in idx] if mode == "fields" else None
            X = self.model.lexical_matrix(mode, [texts[i] for i in idx], rows)
            matrices[mode] = X
            parts = self.model.parts_from_matrix(mode, X, ind[idx], rows)
            p_model[idx] = parts["model"]
            p_ind[idx] = parts["indicators"]
        out = []
        row_in_mode = {m: 0 for m in matrices}
        for i, (ad, an) in enumerate(zip(ads, analyses, strict=True)):
            lang = an.language
            p_exp = expert_probability(an)
            p, caveats = combine(float(p_model[i]), p_exp, lang)
            if len(ad.text.split()) < 15:
                caveats.append(CAVEAT_SHORT)
            th = self.model.thresholds_[ad.mode]
            terms = []
            if with_terms and lang not in RULE_LANGUAGES - LEXICAL_LANGUAGES:
                pipe = getattr(self.model, f"{ad.mode}_")
                comb = getattr(self.model, f"combiner_{ad.mode}_")
                r = row_in_mode[ad.mode]
                terms = term_contributions(
                    pipe,
                    matrices[ad.mode][r : r + 1],
                    scales=(float(comb.coef_[0, 0]), float(comb.coef_[0, 1])),
                )
            row_in_mode[ad.mode] += 1
            out.append(
                Verdict(
                    probability=round(p, 6),
                    risk=risk_band(p, th, lang),  # type: ignore[arg-type]
                    findings=an.findings,
                    terms=terms,
                    language=lang,
                    caveats=caveats,
                    text=ad.text,
                    mode=ad.mode,
                    contacts=an.contacts,
                    amounts=an.amounts,
                    destinations=an.destinations,
                    model_probability=round(float(p_model[i]), 6),
                    indicator_probability=round(float(p_ind[i]), 6),
                    model_version=self.version,
                )
            )
        return out
