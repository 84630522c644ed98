"""The page's tables and charts as data frames, headers and values in the reader's language.

Pure functions over a ``Verdict`` or the scanned rows; ``app.py`` only hands them to
Streamlit. Risk levels become words (the colour is added by :func:`risk_colour`), categories
become titles, missing values become empty cells, never ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ... import i18n
from ...schema import Verdict
from ..report import risk_words
from . import data
from .words import category_titles, column, first_words, language_name, risk_word, word

RISK_COLOURS = {"low": "#1b7f3b", "medium": "#b36b00", "high": "#b3001b"}
#: Histogram bins of the scam probability, in percent.
BIN_EDGES: tuple[int, ...] = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)


def _yes_no(lang: str, flag: bool) -> str:
    return word(lang, "value", "yes" if flag else "no")


def contacts_table(v: Verdict, lang: str) -> pd.DataFrame:
    rows = [
        {
            column(lang, "kind"): word(lang, "contact_kind", c.kind),
            column(lang, "value"): c.text if c.kind == "email" else c.value,
            column(lang, "flags"): ", ".join(word(lang, "contact_flag", f) for f in c.flags),
        }
        for c in v.contacts
    ]
    return pd.DataFrame(rows)


def amounts_table(v: Verdict, lang: str) -> pd.DataFrame:
    rows = [
        {
            column(lang, "amount_text"): a.text,
            column(lang, "currency"): a.currency,
            column(lang, "period"): word(lang, "period", a.period) if a.period else "",
            column(lang, "usd_month"): "" if a.monthly_usd is None else f"{a.monthly_usd:,.0f}",
        }
        for a in v.amounts
    ]
    return pd.DataFrame(rows)


def destinations_table(v: Verdict, lang: str) -> pd.DataFrame:
    rows = [
        {
            column(lang, "place"): d.text,
            column(lang, "country"): word(lang, "country", d.country),
            column(lang, "risky"): _yes_no(lang, d.risky),
        }
        for d in v.destinations
    ]
    return pd.DataFrame(rows)


def terms_table(v: Verdict, lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{column(lang, "term"): x.term, column(lang, "weight"): x.weight} for x in v.terms]
    )


def details(v: Verdict, lang: str) -> dict[str, object]:
    """The verdict's technical figures, labelled in ``lang``."""
    d = i18n.section(lang, "details")
    out: dict[str, object] = {}
    if v.model_probability is not None:  # None: no word model played a part
        out[d["model_probability"]] = round(v.model_probability, 4)
    if v.indicator_probability is not None:
        out[d["indicator_probability"]] = round(v.indicator_probability, 4)
    out[d["mode"]] = d["mode_fields"] if v.mode == "fields" else d["mode_paste"]
    out[d["model_version"]] = v.model_version
    out[d["categories"]] = category_titles(lang, v.categories)
    return out


def row_numbers(rows: pd.DataFrame) -> tuple[str, list[int]]:
    """``("line", numbers)`` for CSV/JSONL (input line), ``("row", numbers)`` for Parquet."""
    num = "line" if "line" in rows.columns else "row"
    if num in rows.columns:
        return num, [int(x) for x in rows[num]]
    return num, list(range(1, len(rows) + 1))


def ad_titles(rows: pd.DataFrame) -> tuple[list[str], list[str] | None]:
    """Each row's title (or the first words of its text), and its company (None: no column)."""
    m = data.field_columns(rows)
    sources = [m[f] for f in ("title", "text", "description") if f in m]
    titles = [
        next((first_words(row[c]) for c in sources if first_words(row[c])), "")
        for _, row in rows.iterrows()
    ]
    company = m.get("company_profile")
    companies = None if company is None else [first_words(x, 60) for x in rows[company]]
    return titles, companies


def ad_texts(rows: pd.DataFrame, limit: int = 160) -> list[str]:
    """Each row's text (or description), one line of at most ``limit`` characters."""
    m = data.field_columns(rows)
    col = m.get("text") or m.get("description")
    return [first_words(x, limit) for x in rows[col]] if col else [""] * len(rows)


def results_table(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The scan's results for reading: title and text first, then risk as a word, the
    probability, categories as titles, contacts, language, the network, any error."""
    num, numbers = row_numbers(rows)
    titles, companies = ad_titles(rows)
    out: dict[str, list] = {column(lang, num): numbers}
    if "title" in data.field_columns(rows):  # else the title is the text's first words
        out[column(lang, "title")] = titles
    out[column(lang, "text")] = ad_texts(rows)
    if companies is not None:
        out[column(lang, "company")] = companies
    out[column(lang, "risk")] = [risk_word(lang, r) for r in rows["risk"]]
    out[column(lang, "probability")] = rows["scam_probability"].tolist()
    out[column(lang, "categories")] = [
        category_titles(lang, data.categories_of(c)) for c in rows["categories"]
    ]
    out[column(lang, "contacts")] = [", ".join(data.contact_ids(c)) for c in rows["contacts"]]
    out[column(lang, "language")] = [language_name(lang, x) for x in rows["language"]]
    if "cluster_id" in rows.columns:
        out[column(lang, "cluster_id")] = [
            "" if x is None or x != x or int(x) < 0 else f"#{int(x)}" for x in rows["cluster_id"]
        ]
        out[column(lang, "network_risk")] = [
            "" if not isinstance(x, str) else risk_word(lang, x) for x in rows["network_risk"]
        ]
    out[column(lang, "error")] = ["" if not isinstance(e, str) else e for e in rows["error"]]
    return pd.DataFrame(out)


def risk_styles(table: pd.DataFrame, lang: str) -> pd.io.formats.style.Styler:
    """``table`` with its risk columns coloured (white on green/orange/red)."""
    colours = {risk_word(lang, r): c for r, c in RISK_COLOURS.items()}
    cols = [c for c in (column(lang, "risk"), column(lang, "network_risk")) if c in table]

    def paint(value: object) -> str:
        c = colours.get(value) if isinstance(value, str) else None
        return f"background-color:{c};color:white;font-weight:600" if c else ""

    return table.style.map(paint, subset=cols)


def histogram(probabilities: Sequence[float] | pd.Series, lang: str) -> pd.DataFrame:
    """Counts of ads per 10-point band of scam probability, labelled ``"0–10%"`` ..."""
    p = pd.to_numeric(pd.Series(probabilities), errors="coerce").dropna() * 100
    labels = [f"{a}–{b}%" for a, b in zip(BIN_EDGES, BIN_EDGES[1:], strict=False)]
    bins = pd.cut(p, bins=list(BIN_EDGES), labels=labels, include_lowest=True)
    counts = bins.value_counts(sort=False).reindex(labels, fill_value=0)
    return pd.DataFrame({column(lang, "score_range"): labels, column(lang, "ads"): counts.values})


def linked_by(lang: str, value: object) -> str:
    """How a cluster is linked (``identifier``, ``text``, both) in words."""
    if not isinstance(value, str):
        return ""
    names = {
        "identifier": word(lang, "value", "link_contact"),
        "text": word(lang, "value", "link_text"),
    }
    return ", ".join(names.get(x, x) for x in value.replace("+", ";").split(";") if x)


def clusters_table(clusters: pd.DataFrame, lang: str, full: bool = False) -> pd.DataFrame:
    """One row per network: its number, size, risk as a word, what links it, and figures."""
    out = {
        column(lang, "cluster_id"): [f"#{int(x)}" for x in clusters["cluster_id"]],
        column(lang, "size"): clusters["size"].tolist(),
        column(lang, "network_risk"): [risk_word(lang, r) for r in clusters["network_risk"]],
        column(lang, "shared_identifiers"): [
            "" if not isinstance(x, str) else ", ".join(x.split(";"))
            for x in clusters["shared_identifiers"]
        ],
        column(lang, "n_companies"): clusters["n_companies"].tolist(),
        column(lang, "max_probability"): clusters["max_probability"].tolist(),
    }
    if full:
        out[column(lang, "linked_by")] = [linked_by(lang, x) for x in clusters["linked_by"]]
        out[column(lang, "mean_probability")] = clusters["mean_probability"].tolist()
        out[column(lang, "categories")] = [
            category_titles(lang, data.categories_of(c)) for c in clusters["categories"]
        ]
    return pd.DataFrame(out)


def errors_table(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The rows that could not be scored: their number and why."""
    bad = rows[rows["error"].notna()]
    num, numbers = row_numbers(bad)
    return pd.DataFrame({column(lang, num): numbers, column(lang, "error"): bad["error"].tolist()})


def members_table(members: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ads of one network, for its table."""
    return results_table(members, lang).drop(
        columns=[column(lang, "cluster_id"), column(lang, "network_risk"), column(lang, "error")],
        errors="ignore",
    )


def indicators_table(rules: Sequence, lang: str) -> pd.DataFrame:
    """The red-flag registry: id, category title, title, why, source, weight."""
    return pd.DataFrame(
        [
            {
                column(lang, "rule_id"): r.id,
                column(lang, "category"): word(lang, "category", r.category),
                column(lang, "title"): r.title_id if lang == "id" else r.title_en,
                column(lang, "why"): r.why_id if lang == "id" else r.why_en,
                column(lang, "source"): r.source,
                column(lang, "rule_weight"): r.weight,
            }
            for r in rules
        ]
    )


def risk_badge(v: Verdict, lang: str) -> str:
    """Constant HTML (no ad text): coloured badge with the risk in words."""
    return (
        f'<div class="jobscam-badge" data-risk="{v.risk}" style="display:inline-block;'
        f"background:{RISK_COLOURS[v.risk]};color:white;font-size:1.6em;font-weight:700;"
        f'padding:0.3em 0.8em;border-radius:0.4em">{risk_words(lang)[v.risk]}</div>'
    )
