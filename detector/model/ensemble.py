"""Building and fitting the classifier: two lexical experts, one fitted decision, risk bands.

The model learns from two corpora (see :mod:`detector.model.dataset`): EMSCAD (English ads of
2012-14, fields and metadata) and the real ads (Indonesian and modern English ads as people
receive them). A fitted :class:`JobScamModel` holds:

* ``paste_`` / ``fields_``: the **EMSCAD expert**, word TF-IDF (1-2 grams) -> a linear SVM
  and an NB-SVM (:class:`TwoLinearScores`), trained on EMSCAD only, for a pasted ad and for an
  ad given as fields. It knows 2012-14 English job-board scams.
* ``real_``: the **real-ads expert** (:class:`WordLogistic`), word TF-IDF -> logistic
  regression, trained on the real ads of both languages. It knows Indonesian and modern ads.
* ``gate_``: the **era gate** (:class:`WordLogistic`), the probability that an English ad
  reads like the modern real ads rather than like EMSCAD's 2012-14 board ads. Each expert
  only knows its own era: the gate tells the decision how far to trust which.
* ``decision_``: per mode, **one fitted decision** (:class:`BoundedLogistic`): a logistic
  regression over both experts' out-of-fold scores (gated by language, the EMSCAD expert
  speaking only for English, and for English by the era gate), the red-flag indicator features (their weights bounded at zero from below, so a
  red flag can raise a score and never lower it), and in fields mode the metadata flags.
  Neither corpus drowns the other: each weighs as much as the other in the fit.
* ``thresholds_``: risk bands per mode and language, chosen on the decision's own
  out-of-fold output (grouped folds), on exactly the score they band.

The score an ad gets is ``max(decision, trafficking floor)``, where the floor
(:func:`trafficking_floor`) covers combinations of trafficking red flags that no labelled ad
shows; it only ever raises, and thresholds are fitted on the score with the floor applied.

Long because it is one class whose fit, design matrix and scoring share its fitted state;
the stateless parts are in ``experts``, ``decision``, ``bands`` and ``frames``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedGroupKFold

from ..rules import load_registry
from .bands import Thresholds, choose_thresholds
from .dataset import natural_weights
from .decision import (
    FACT_INDICATORS,
    LEXICAL_COLUMNS,
    META_FLAGS,
    BoundedLogistic,
    Inputs,
    field_text,
    gates,
    meta_flags,
    sigmoid,
    trafficking_floor,
)
from .experts import WordLogistic, build_lexical, language_balanced_weights, real_stop_terms
from .features import indicator_feature_names, indicator_vector
from .frames import frame_rows, frame_texts, lexical_frame

#: Languages with their own bands and their own gate in the decision.
LANGUAGES = ("en", "id")
#: Changes when a model saved by an older jobscam can no longer be scored by this one
#: (3: two lexical experts and one fitted decision, bands per language).
MODEL_FORMAT = 3

#: Below this many words an ad is "short": the words alone never make it ``high``.
SHORT_AD_WORDS = 15


# -- the model ------------------------------------------------------------------------------


class JobScamModel(BaseEstimator, ClassifierMixin):
    """The whole classifier: two lexical experts and a fitted decision per mode.

    ``fit(frame, y, groups)`` takes the training frame of :func:`detector.model.dataset.load_training`
    (columns: the text fields, ``text``, ``corpus`` = ``emscad`` | ``real``, ``language``).

    Parameters
    ----------
    C : float
        Regularisation of the EMSCAD expert's linear SVMs.
    real_C : float
        Regularisation of the real-ads expert.
    decision_C : float
        Regularisation of the decision.
    n_splits : int
        Grouped folds for the out-of-fold scores the decision and the bands are fitted on.
    use_emscad, use_real, use_indicators, use_meta, use_floor : bool
        Which inputs the decision gets (all, in the shipped model; ``jobscam evaluate
        --ablate`` measures each).
    emscad_weight : float
        EMSCAD's total weight in the decision's fit relative to the real ads'.
    real_scam_share : float
        The scams' share of each language's weight among the real ads in the decision's fit.
    random_state : int
        Seed for the fold assignment.
    """

    def __init__(
        self,
        C: float = 1.0,
        real_C: float = 10.0,
        decision_C: float = 1.0,
        n_splits: int = 5,
        use_emscad: bool = True,
        use_real: bool = True,
        use_indicators: bool = True,
        use_meta: bool = True,
        use_floor: bool = True,
        emscad_weight: float = 2.0,
        real_scam_share: float = 0.2,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.real_C = real_C
        self.decision_C = decision_C
        self.n_splits = n_splits
        self.use_emscad = use_emscad
        self.use_real = use_real
        self.use_indicators = use_indicators
        self.use_meta = use_meta
        self.use_floor = use_floor
        self.emscad_weight = emscad_weight
        self.real_scam_share = real_scam_share
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, y: Sequence[int], groups: np.ndarray):
        """Fit both experts, then the decision and the bands on out-of-fold scores.

        ``groups`` must keep near-duplicates (EMSCAD templates, real-ads ``cv_group``s)
        together; the folds are stratified by corpus, language and label.
        """
        y = np.asarray(y).astype(int)
        corpus = frame["corpus"].to_numpy().astype(str)
        is_e = corpus == "emscad"
        if not is_e.any() or is_e.all():
            raise ValueError("training needs both corpora (EMSCAD and the real ads)")
        lex = lexical_frame(frame)
        rows = frame_rows(frame)
        # The text of each row as the Detector sees it in each mode: pasted (an EMSCAD ad's
        # fields joined without labels or location, as a person would paste it; a real ad's
        # own text), and as fields (joined by ``join_fields``, labels and all).
        texts = {"paste": lex["paste"]["text"].tolist(), "fields": frame_texts(frame)}
        reg = load_registry()
        self.categories_ = list(reg.categories)
        self.indicator_names_ = indicator_feature_names(reg.categories)
        ind, languages = {}, {}
        for mode, mode_texts in texts.items():
            analyses = [reg.analyze(t) for t in mode_texts]
            ind[mode] = np.vstack([indicator_vector(a, reg.categories) for a in analyses])
            languages[mode] = np.array([a.language for a in analyses], dtype=object)
        labelled_lang = frame["language"].to_numpy().astype(str)
        strata = np.char.add(np.char.add(corpus, labelled_lang), y.astype(str))
        cv = StratifiedGroupKFold(
            n_splits=self.n_splits, shuffle=True, random_state=self.random_state
        )
        keys = np.char.add(corpus, np.asarray(groups).astype(str))
        folds = list(cv.split(np.zeros(len(y)), strata, keys))
        e_idx = np.flatnonzero(is_e)

        # Out-of-fold scores of each expert for every row: a row is never scored by an expert
        # that saw its fold (real ads are outside EMSCAD's training anyway, and vice versa).
        oof_e = {m: np.zeros((len(y), 2)) for m in texts}
        oof_r = {m: np.zeros(len(y)) for m in texts}
        # The era gate learns EMSCAD (0) from the modern English real ads (1), on pasted text.
        en_idx = np.flatnonzero(labelled_lang == "en")
        stop = real_stop_terms()
        era = (~is_e).astype(int)
        oof_g = {m: np.zeros(len(y)) for m in texts}
        for tr, te in folds:
            tr_e = np.intersect1d(tr, e_idx)
            tr_en = np.intersect1d(tr, en_idx)
            r = self._real_expert(texts["paste"], y, labelled_lang, is_e, tr, stop)
            g = self._gate([texts["paste"][i] for i in tr_en], era[tr_en])
            for mode in texts:
                m = build_lexical(mode, self.C).fit(lex[mode].iloc[tr_e], y[tr_e])
                oof_e[mode][te] = m.decision_function(lex[mode].iloc[te])
                te_texts = [texts[mode][i] for i in te]
                oof_r[mode][te] = r.decision_function(te_texts)
                oof_g[mode][te] = sigmoid(g.decision_function(te_texts))
        for mode in texts:
            fitted = build_lexical(mode, self.C).fit(lex[mode].iloc[e_idx], y[e_idx])
            setattr(self, f"{mode}_", fitted)
        self.real_ = self._real_expert(
            texts["paste"], y, labelled_lang, is_e, np.arange(len(y)), stop
        )
        self.gate_ = self._gate([texts["paste"][i] for i in en_idx], era[en_idx])

        self.classes_ = np.array([0, 1])
        cache = {
            "y": y,
            "corpus": corpus,
            "labelled_language": labelled_lang,
            "folds": folds,
            "inputs": {
                mode: Inputs(
                    oof_e[mode],
                    oof_r[mode],
                    oof_g[mode],
                    ind[mode],
                    languages[mode],
                    meta_flags(rows) if mode == "fields" else None,
                )
                for mode in texts
            },
        }
        self._fit_decision(cache)
        return self

    def _fit_decision(self, cache: dict[str, Any]) -> None:
        """The decision and the bands, from the experts' out-of-fold inputs: each fitted on
        the training folds, its out-of-fold output banded per language."""
        y, corpus, folds = cache["y"], cache["corpus"], cache["folds"]
        w = self.decision_weights(y, corpus, cache["labelled_language"])
        self.decision_ = {}
        self.thresholds_ = {}
        self.oof_ = {"cache": cache}
        self.expert_reference_ = {}
        for mode, inputs in cache["inputs"].items():
            self.expert_reference_[mode] = [
                float(np.median(inputs.emscad[:, 0])),
                float(np.median(inputs.emscad[:, 1])),
                float(np.median(inputs.real)),
            ]
            Z = self.design(inputs, mode)
            lower = self.lower_bounds(mode)
            p_oof = np.zeros(len(y))
            for tr, te in folds:
                d = BoundedLogistic(C=self.decision_C, lower=lower).fit(Z[tr], y[tr], w[tr])
                p_oof[te] = d.predict_proba(Z[te])[:, 1]
            self.decision_[mode] = BoundedLogistic(C=self.decision_C, lower=lower).fit(Z, y, w)
            floor = trafficking_floor(inputs.indicators, self.categories_)
            s_oof = np.maximum(p_oof, floor) if self.use_floor else p_oof
            is_id = np.asarray(inputs.languages) == "id"
            for lang in LANGUAGES:
                sel = is_id if lang == "id" else ~is_id
                self.thresholds_[f"{mode}:{lang}"] = choose_thresholds(
                    y[sel], s_oof[sel], corpus[sel]
                )
            self.oof_[mode] = {"score": s_oof, "decision": p_oof}

    def variant(self, **inputs: bool) -> JobScamModel:
        """This model with the decision refitted on other inputs (``use_emscad=False``, ...):
        the experts are shared, so an ablation costs one decision fit, not a training run."""
        if "cache" not in getattr(self, "oof_", {}):
            raise ValueError("variant() needs a model fitted in this process (its fold traces)")
        bad = set(inputs) - {"use_emscad", "use_real", "use_indicators", "use_meta", "use_floor"}
        if bad:
            raise ValueError(f"unknown inputs {sorted(bad)}")
        other = copy.copy(self)
        other.set_params(**inputs)
        other._fit_decision(self.oof_["cache"])
        return other

    def _real_expert(
        self,
        texts: Sequence[str],
        y: np.ndarray,
        languages: np.ndarray,
        is_e: np.ndarray,
        rows: np.ndarray,
        stop: Sequence[str],
    ) -> WordLogistic:
        """The real-ads expert on the real ads among ``rows``. (Adding EMSCAD to its training
        at 30% of the real ads' weight was measured: lower on both corpora.)"""
        use = rows[~is_e[rows]]
        return WordLogistic(C=self.real_C, stop_terms=stop).fit(
            [texts[i] for i in use], y[use], languages[use]
        )

    @staticmethod
    def _gate(texts: Sequence[str], modern: np.ndarray) -> WordLogistic:
        """The era gate, each era half the weight (strongly regularised: it only routes)."""
        return WordLogistic(C=1.0).fit(texts, modern, np.zeros(len(texts)))

    def decision_weights(
        self, y: np.ndarray, corpus: np.ndarray, languages: np.ndarray
    ) -> np.ndarray:
        """EMSCAD rows at its natural scam rate; the real ads balanced per language and class;
        EMSCAD weighs ``emscad_weight`` times as much as the real ads in all."""
        w = np.zeros(len(y))
        for c in np.unique(corpus):
            m = corpus == c
            if c == "emscad":
                wc = natural_weights(y[m])
            else:
                wc = language_balanced_weights(y[m], languages[m], self.real_scam_share)
            w[m] = wc / wc.sum() * (self.emscad_weight if c == "emscad" else 1.0)
        return w * len(y) / w.sum()

    def _red_flag_columns(self) -> list[int]:
        return [i for i, n in enumerate(self.indicator_names_) if n not in FACT_INDICATORS]

    def lower_bounds(self, mode: str) -> list[float]:
        """0 for every red-flag column (a red flag may raise a score, never lower it)."""
        red_flags = set(self.indicator_names_) - FACT_INDICATORS
        return [
            0.0 if n.rsplit("*", 1)[0] in red_flags else -np.inf for n in self.design_names(mode)
        ]

    def design_names(self, mode: str) -> list[str]:
        names = list(LEXICAL_COLUMNS)
        if self.use_indicators:
            flags = [self.indicator_names_[i] for i in self._red_flag_columns()]
            names += [f"{n}*modern" for n in flags] + [f"{n}*old" for n in flags]
        if self.use_meta and mode == "fields":
            names += [f"meta:{m}" for m in (*META_FLAGS, "company_profile")]
        return names

    def design(self, x: Inputs, mode: str = "paste", lexical: bool = True) -> np.ndarray:
        """The decision's input matrix. ``lexical=False`` puts both experts at their median
        training score (an ad whose words say nothing either way), so what is left is what
        the red flags and metadata say."""
        g_en, g_id = gates(x.languages)
        e = np.asarray(x.emscad, dtype=float)
        r = np.asarray(x.real, dtype=float)
        if not lexical:
            ref = self.expert_reference_[mode]
            e = np.broadcast_to(np.asarray(ref[:2]), e.shape)
            r = np.full(r.shape, ref[2])
        e = e * float(self.use_emscad)
        r = r * float(self.use_real)
        new = np.asarray(x.modern, dtype=float)
        old = 1.0 - new
        cols = [
            e[:, 0] * g_en * old,
            e[:, 1] * g_en * old,
            e[:, 0] * g_en * new,
            r * g_en * new,
            r * g_en * old,
            new * g_en,
            r * g_id,
            g_id,
        ]
        out = [np.column_stack(cols)]
        if self.use_indicators:
            # Red flags weigh differently in the two eras (EMSCAD's scams rarely use the
            # wording of today's): one copy for modern ads (Indonesian ones, and those in a
            # language no word model reads, included), one for EMSCAD-like English ads, each
            # bounded at zero from below.
            ind = np.asarray(x.indicators, dtype=float)[:, self._red_flag_columns()]
            modern_total = 1.0 - g_en * old
            out += [ind * modern_total[:, None], ind * (g_en * old)[:, None]]
        if self.use_meta and x.meta is not None:
            out.append(x.meta)
        return np.hstack(out)

    # -- scoring -----------------------------------------------------------------------------
    # Scoring bypasses pandas: for one ad a DataFrame costs more than the vectorizers.
    def lexical_matrix(
        self, mode: str, texts: Sequence[str], rows: Sequence[Mapping[str, Any]] | None = None
    ) -> sparse.csr_matrix:
        """The TF-IDF matrix the ``mode`` EMSCAD expert's SVMs read, for texts (paste mode)
        or field rows (fields mode)."""
        feats = getattr(self, f"{mode}_").named_steps["features"]
        if feats.parts:
            if rows is None:
                raise ValueError(f"{mode} mode needs the ads' fields (rows)")
            cols = {p: [field_text(r, p) for r in rows] for p in feats.parts}
        else:
            cols = {"text": list(texts)}
        return feats.transform(cols)

    def lexical_matrices(
        self, mode: str, texts: Sequence[str], rows: Sequence[Mapping[str, Any]] | None = None
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, sparse.csr_matrix]:
        """The TF-IDF rows of the EMSCAD expert, the real-ads expert and the era gate. The
        whole-ad blocks read the same n-grams, so the text is tokenized once for all three
        (twice in fields mode, where the EMSCAD expert reads the fields)."""
        whole = self.real_.features_
        shared = whole.grams({"text": list(texts)})
        Xr = whole.transform_grams(shared)
        Xg = self.gate_.features_.transform_grams(shared)
        feats = getattr(self, f"{mode}_").named_steps["features"]
        if feats.parts or tuple(feats.ngram_range) != tuple(whole.ngram_range):
            Xe = self.lexical_matrix(mode, texts, rows)
        else:
            Xe = feats.transform_grams(shared)
        return Xe, Xr, Xg

    def inputs(
        self,
        mode: str,
        X_emscad: sparse.csr_matrix,
        X_real: sparse.csr_matrix,
        X_gate: sparse.csr_matrix,
        ind: np.ndarray,
        languages: Sequence[str],
        rows: Sequence[Mapping[str, Any]] | None = None,
    ) -> Inputs:
        return Inputs(
            emscad=getattr(self, f"{mode}_").named_steps["svm"].decision_function(X_emscad),
            real=self.real_.decision_from_matrix(X_real),
            modern=sigmoid(self.gate_.decision_from_matrix(X_gate)),
            indicators=ind,
            languages=languages,
            meta=meta_flags(rows) if (mode == "fields" and rows is not None) else None,
        )

    def decide(self, mode: str, x: Inputs) -> dict[str, np.ndarray]:
        """The fitted decision for a batch: ``score`` (what is banded: the decision with the
        trafficking floor), ``decision`` (without the floor) and ``red_flags`` (the decision
        with both lexical experts at their median training score, with the floor)."""
        d = self.decision_[mode]
        p = sigmoid(d.decision_function(self.design(x, mode)))
        flags = sigmoid(d.decision_function(self.design(x, mode, lexical=False)))
        score = p
        if self.use_floor:
            floor = trafficking_floor(x.indicators, self.categories_)
            score, flags = np.maximum(p, floor), np.maximum(flags, floor)
        return {"score": score, "decision": p, "red_flags": flags}

    def thresholds_for(self, mode: str, language: str) -> Thresholds:
        return self.thresholds_[f"{mode}:{'id' if language == 'id' else 'en'}"]

    def lexical_scales(self, mode: str, language: str, modern: float) -> dict[str, float]:
        """Log-odds per unit of each expert's score for an ad in ``language`` whose era gate
        says ``modern`` (0 where the expert plays no part)."""
        c = dict(zip(self.design_names(mode), self.decision_[mode].coef_, strict=False))
        if language == "id":
            return {"svm": 0.0, "nbsvm": 0.0, "real": c["real*id"] * self.use_real}
        if language in ("en", "und"):
            old = 1.0 - modern
            svm = c["emscad_svm*en*old"] * old + c["emscad_svm*en*modern"] * modern
            real = c["real*en*modern"] * modern + c["real*en*old"] * old
            return {
                "svm": svm * self.use_emscad,
                "nbsvm": c["emscad_nbsvm*en*old"] * old * self.use_emscad,
                "real": real * self.use_real,
            }
        return {"svm": 0.0, "nbsvm": 0.0, "real": 0.0}
