"""Feature extraction shared by training and scoring.

``lexical_text`` / ``lexical_array`` (from :mod:`detector.model.vectorize`) prepare text for the
word TF-IDF: contacts become placeholder tokens (EMSCAD already replaced them by ``#URL_…#``
style tokens; pasted ads carry real ones, and the model must see both the same way) and
digits are folded. Punctuation and encoding residue, which only say how a row was recovered,
never become tokens (tokens are runs of word characters). The indicator features here are the
language-independent half of the model's input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..rules import Analysis
from .prepare import lexical_array, lexical_text

__all__ = [
    "CONTACT_FEATURES",
    "indicator_feature_names",
    "indicator_vector",
    "lexical_array",
    "lexical_text",
]


#: Contact kinds and flags that become features (presence, 0/1).
CONTACT_FEATURES: tuple[str, ...] = (
    "phone",
    "whatsapp",
    "telegram",
    "line",
    "email",
    "url",
    "bank_account",
    "ewallet",
    "free_mail",
    "url_shortener",
)


def indicator_vector(analysis: Analysis, categories: Sequence[str]) -> np.ndarray:
    """The language-independent features of one analysed ad.

    Per category the strongest finding's weight (how much evidence, not how often it is
    repeated: a spammy ad repeating "WA" ten times is no more a scam for it); then how many
    categories fired and their summed weight (combinations are the strong evidence); contact
    kinds present; the highest monthly pay in USD (log-scaled); risky and foreign destinations.
    """
    cat_index = {c: i for i, c in enumerate(categories)}
    n_cat = len(categories)
    v = np.zeros(n_cat + 2 + len(CONTACT_FEATURES) + 3, dtype=float)
    for f in analysis.findings:
        i = cat_index.get(f.category)
        if i is not None and f.weight > v[i]:
            v[i] = f.weight
    fired = v[:n_cat] > 0
    v[n_cat] = fired.sum() / 5.0
    v[n_cat + 1] = v[:n_cat].sum()
    base = n_cat + 2
    present = set()
    for c in analysis.contacts:
        present.add(c.kind)
        present.update(c.flags)
    for j, name in enumerate(CONTACT_FEATURES):
        v[base + j] = 1.0 if name in present else 0.0
    base += len(CONTACT_FEATURES)
    usd = [a.monthly_usd for a in analysis.amounts if a.monthly_usd]
    v[base] = np.log10(1.0 + max(usd)) / 4.0 if usd else 0.0
    v[base + 1] = 1.0 if any(d.risky for d in analysis.destinations) else 0.0
    v[base + 2] = 1.0 if any(d.country != "ID" for d in analysis.destinations) else 0.0
    return v


def indicator_feature_names(categories: Sequence[str]) -> list[str]:
    return (
        [f"cat:{c}" for c in categories]
        + ["n_categories/5", "sum_weights"]
        + [f"contact:{c}" for c in CONTACT_FEATURES]
        + ["log10_max_monthly_usd/4", "risky_destination", "foreign_destination"]
    )
