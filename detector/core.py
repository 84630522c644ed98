"""The public scoring API: ``Detector.load().score(ad) -> Verdict``.

Flow for each ad: build an :class:`~detector.schema.Ad` (clear error if it cannot be
scored) -> red-flag analysis (findings, contacts, amounts, destinations, language) ->
indicator features -> both lexical experts' scores -> the model's one fitted decision (with
the trafficking floor) -> the risk band of the ad's mode and language -> Verdict. Evaluation
scores its test folds through this same code.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .model.bands import Thresholds
from .model.ensemble import MODEL_FORMAT, SHORT_AD_WORDS, JobScamModel
from .model.explain import expert_terms
from .model.features import indicator_vector
from .model.persistence import ModelError, load_model
from .rows import NUMBER_COLUMNS, RESULT_COLUMNS, verdict_row
from .rules import load_registry
from .schema import (
    META_FIELDS,
    TEXT_FIELDS,
    Ad,
    AdError,
    Caveat,
    Finding,
    Verdict,
    field_layout,
)

#: Languages the lexical experts and the red-flag rules are written for.
RULE_LANGUAGES = frozenset({"en", "id"})


#: A finding at least this strong lets a short ad be ``high``.
SHORT_AD_EVIDENCE = 0.3


def risk_band(
    p: float, thresholds: Thresholds, language: str, short: bool = False, evidence: float = 1.0
) -> str:
    """The risk band of score ``p``.

    * Text nothing here can read (not English or Indonesian) is never ``low``.
    * A short ad is ``high`` only with a red flag of weight at least ``SHORT_AD_EVIDENCE``
      (``evidence``: its strongest finding's weight): the words of "Admin" alone never make
      it high; "Admin, gaji 15jt, hub WA 0812..." can be, through its red flags.
    """
    risk = thresholds.risk_of(p)
    if risk == "low" and language not in RULE_LANGUAGES and language != "und":
        return "medium"  # never a confident "low" for text nothing here can read
    if short and risk == "high" and evidence < SHORT_AD_EVIDENCE:
        return "medium"
    return risk


def is_short(text: str) -> bool:
    # maxsplit: a 3,000-character ad is not split into all of its words to count to 15.
    return len(text.split(maxsplit=SHORT_AD_WORDS)) < SHORT_AD_WORDS


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


def field_spans(ad: Ad) -> list[tuple[str, int, int]]:
    """Where each field's value sits in a fields ad's joined text: ``(field, start, end)``.

    Empty when the ad's text is not its joined fields (a pasted ad, or a mapping that gave
    its own ``text``): spans then index ``text`` itself.
    """
    if not ad.fields:
        return []
    text, spans = field_layout(ad.fields)
    return spans if ad.text == text else []


def with_fields(ad: Ad, findings: Sequence[Finding]) -> list[Finding]:
    """``findings`` with ``field``/``field_start``/``field_end`` set (see ``Finding``)."""
    spans = field_spans(ad)
    if not spans:
        return [
            dataclasses.replace(f, field="text", field_start=f.start, field_end=f.end)
            for f in findings
        ]
    out = []
    for f in findings:
        # The field holding the first character (or the next one, for a start in a label).
        name, start, end = next((s for s in spans if f.start < s[2]), spans[-1])
        fs = min(max(f.start - start, 0), end - start)
        fe = min(max(f.end - start, fs), end - start)
        # Offsets into the value as the caller gave it (the joined text has it stripped).
        lead = ad.field_leads.get(name, 0)
        fs, fe = fs + lead, fe + lead
        out.append(dataclasses.replace(f, field=name, field_start=fs, field_end=fe))
    return out


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
        cols: dict[str, list[Any]] = {c: [None] * n for c in RESULT_COLUMNS}
        for c in NUMBER_COLUMNS:
            cols[c] = [np.nan] * n
        for i, v in zip(good, verdicts, strict=True):
            for c, value in verdict_row(v).items():
                cols[c][i] = value
        cols["error"] = errors
        for c in RESULT_COLUMNS:
            if c in NUMBER_COLUMNS:
                out[c] = np.array([np.nan if x is None else x for x in cols[c]], dtype=float)
            else:
                out[c] = pd.Series(cols[c], index=frame.index, dtype=object)
        return out

    # -- internals -----------------------------------------------------------------------
    def _score_ads(self, ads: Sequence[Ad], with_terms: bool) -> list[Verdict]:
        if not ads:
            return []
        m = self.model
        analyses = [self.registry.analyze(a.text) for a in ads]
        cats = self.registry.categories
        ind = np.vstack([indicator_vector(a, cats) for a in analyses])
        langs = [a.language for a in analyses]
        texts = [a.text for a in ads]
        n = len(ads)
        score, decision, flags, modern = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
        modes = np.array([a.mode for a in ads])
        matrices: dict[str, tuple[Any, Any, np.ndarray]] = {}
        for mode in ("paste", "fields"):
            idx = np.flatnonzero(modes == mode)
            if idx.size == 0:
                continue
            rows = [{**ads[i].fields, **ads[i].meta} for i in idx] if mode == "fields" else None
            mode_texts = [texts[i] for i in idx]
            Xe, Xr, Xg = m.lexical_matrices(mode, mode_texts, rows)
            x = m.inputs(mode, Xe, Xr, Xg, ind[idx], [langs[i] for i in idx], rows)
            parts = m.decide(mode, x)
            score[idx], decision[idx], flags[idx] = (
                parts["score"],
                parts["decision"],
                parts["red_flags"],
            )
            matrices[mode] = (Xe, Xr, idx)
            modern[idx] = x.modern
        row_of = {
            int(i): (mode, k) for mode, (_, _, idx) in matrices.items() for k, i in enumerate(idx)
        }
        out = []
        for i, (ad, an) in enumerate(zip(ads, analyses, strict=True)):
            lang = an.language
            readable = lang in RULE_LANGUAGES or lang == "und"
            caveats = [] if readable else [Caveat("unreadable", {"language": lang})]
            short = is_short(ad.text)
            if short:
                caveats.append(Caveat("short_ad", {"n": SHORT_AD_WORDS}))
            p = float(score[i])
            terms = []
            if with_terms and readable:
                mode, k = row_of[i]
                Xe, Xr, _ = matrices[mode]
                terms = expert_terms(m, mode, lang, float(modern[i]), Xe[k : k + 1], Xr[k : k + 1])
            out.append(
                Verdict(
                    probability=round(p, 6),
                    risk=risk_band(  # type: ignore[arg-type]
                        p,
                        m.thresholds_for(ad.mode, lang),
                        lang,
                        short,
                        max((f.weight for f in an.findings), default=0.0),
                    ),
                    findings=with_fields(ad, an.findings),
                    terms=terms,
                    language=lang,
                    caveats=caveats,
                    text=ad.text,
                    mode=ad.mode,
                    contacts=an.contacts,
                    amounts=an.amounts,
                    destinations=an.destinations,
                    # The word models' part: none for a language they cannot read.
                    model_probability=round(float(decision[i]), 6) if readable else None,
                    indicator_probability=round(float(flags[i]), 6),
                    model_version=self.version,
                )
            )
        return out
