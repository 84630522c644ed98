"""jobscam's web page: check one job ad, scan a file of ads, read about the model.

UI only: every result comes from the ``detector`` package and every word from the language
catalogues (``detector/i18n/en.toml``, ``id.toml``) through :mod:`detector.front.page`.
Run with ``jobscam app`` (or ``streamlit run app.py --client.toolbarMode=viewer``). Ad text
is untrusted: the only HTML passed with ``unsafe_allow_html`` is built by
:mod:`detector.front.highlight` (everything escaped) or is a constant of the package.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from detector import AdError, Detector, ModelError
from detector.front.highlight import TAP_CSS, highlight_html, legend_html
from detector.front.page import data, tables
from detector.front.page.card import card_parts
from detector.front.page.examples import EXAMPLES
from detector.front.page.graph import MAX_GRAPH_NODES, cluster_dot
from detector.front.page.words import (
    LANGUAGE_SWITCH,
    PAGE_LANGUAGES,
    column,
    escape_md,
    escape_own,
    first_words,
    for_display,
    language_name,
    risk_word,
    ui,
)
from detector.front.report import advice_for, category_advice
from detector.i18n import section
from detector.model.persistence import model_dir, read_manifest
from detector.rules import RuleError, load_registry
from detector.schema import Verdict

#: Longest ad accepted on the page (the library allows more; a pasted ad is never this long).
MAX_PASTE_CHARS = 100_000
#: Upload limits, stated on the page.
MAX_UPLOAD_MB = 50
MAX_ROWS = 20_000
FIELD_KEYS = {
    "f_title": "title",
    "f_company": "company_profile",
    "f_location": "location",
    "f_salary": "salary_range",
    "f_contact": "contact",
}


@st.cache_resource(show_spinner=False)
def get_detector() -> Detector:
    """The model, loaded once per server process (sha256-checked by the package)."""
    return Detector.load()


def detector_or_error(t: dict[str, str]) -> Detector | None:
    try:
        return get_detector()
    except (ModelError, RuleError) as exc:
        st.error(t["model_missing"].format(msg=escape_md(str(exc))))
        return None


def prob_column(lang: str, name: str = "probability") -> st.column_config.Column:
    return st.column_config.ProgressColumn(
        column(lang, name), min_value=0.0, max_value=1.0, format="%.2f"
    )


# ----------------------------------------------------------------------------- check tab
def use_example(key: str) -> None:
    st.session_state["ad_text"] = EXAMPLES[key]
    for k in FIELD_KEYS:
        st.session_state[k] = ""
    st.session_state["score_now"] = True


def build_ad(text: str) -> str | dict[str, str]:
    """The pasted text alone, or a mapping of fields when any optional field is filled."""
    fields = {FIELD_KEYS[k]: st.session_state.get(k, "").strip() for k in FIELD_KEYS}
    fields = {k: v for k, v in fields.items() if v}
    return {"description": text, **fields} if fields else text


def show_table(name: str, frame: pd.DataFrame, t: dict[str, str]) -> None:
    st.markdown(f"**{name}**")
    if frame.empty:
        st.caption(t["none"])
    else:
        st.dataframe(for_display(frame), hide_index=True, width="stretch")


def show_verdict(v: Verdict, t: dict[str, str], lang: str) -> None:
    c1, c2 = st.columns([2, 1])
    c1.markdown(tables.risk_badge(v, lang), unsafe_allow_html=True)
    c2.metric(t["probability"], f"{v.probability:.0%}", help=t["prob_help"])
    st.caption(f"{t['language']}: {language_name(lang, v.language)}")
    for c in v.caveats:
        st.info(c.text(lang))

    st.subheader(t["findings"])
    st.caption(t["findings_help"])
    st.markdown(TAP_CSS + highlight_html(v.text, v.findings, lang), unsafe_allow_html=True)
    if v.findings:
        with st.expander(t["legend"], expanded=True):
            st.markdown(legend_html(v.findings, lang), unsafe_allow_html=True)
    else:
        st.success(t["no_findings"])

    with st.container(border=True, key="advice_box"):
        st.subheader(t["next"] if v.risk != "low" else t["next_low"])
        lines = [*category_advice(v, lang), *advice_for(v, lang)]
        st.markdown("\n".join(f"- {escape_own(line)}" for line in lines))

    st.subheader(t["extracted"])
    cols = st.columns(3)
    with cols[0]:
        show_table(t["contacts"], tables.contacts_table(v, lang), t)
    with cols[1]:
        show_table(t["amounts"], tables.amounts_table(v, lang), t)
    with cols[2]:
        show_table(t["destinations"], tables.destinations_table(v, lang), t)

    st.subheader(t["terms"])
    if v.terms:
        st.caption(t["terms_help"])
        terms = tables.terms_table(v, lang)
        x, y = terms.columns
        st.bar_chart(terms, x=x, y=y, horizontal=True, sort=f"-{y}")
    else:
        st.caption(t["no_terms"])
    with st.expander(t["details"]):
        st.json(tables.details(v, lang))


def check_tab(t: dict[str, str], lang: str) -> None:
    st.write(t["intro"])
    st.caption(t["examples"])
    cols = st.columns(len(EXAMPLES))
    for col, key in zip(cols, EXAMPLES, strict=True):
        col.button(t[key], key=f"btn_{key}", on_click=use_example, args=(key,), width="stretch")
    text = st.text_area(t["ad_text"], key="ad_text", height=220, help=t["ad_help"])
    with st.expander(t["fields"]):
        for col, k in zip(st.columns(5), FIELD_KEYS, strict=True):
            col.text_input(t[k], key=k)
    clicked = st.button(t["score"], type="primary", key="score_btn")
    if st.session_state.pop("score_now", False) or clicked:
        st.session_state.pop("verdict", None)
        extra = [st.session_state.get(k, "") for k in FIELD_KEYS]
        if not text.strip() and not any(x.strip() for x in extra):
            st.warning(t["empty"])
            return
        total = len(text) + sum(len(x) for x in extra)
        if total > MAX_PASTE_CHARS:
            st.warning(t["huge"].format(n=total, max=MAX_PASTE_CHARS))
            return
        det = detector_or_error(t)
        if det is None:
            return
        try:
            st.session_state["verdict"] = det.score(build_ad(text))
        except AdError as exc:
            st.warning(t["cant"].format(msg=escape_md(str(exc))))
            return
    v = st.session_state.get("verdict")
    if v is not None:
        show_verdict(v, t, lang)


# ------------------------------------------------------------------------------ scan tab
class TooManyRows(Exception):
    """Raised from the scan's chunk callback to stop a file past the row limit."""


def scan_upload(det: Detector, name: str, data_: bytes, t: dict[str, str]) -> pd.DataFrame:
    expected = data.estimate_rows(name, data_)
    bar = st.progress(0.0, text=t["scoring"].format(done=0, n=expected))
    done = [0]

    def on_chunk(rows: pd.DataFrame) -> None:
        done[0] += len(rows)
        if done[0] > MAX_ROWS:
            raise TooManyRows(done[0])
        bar.progress(
            min(1.0, done[0] / expected), text=t["scoring"].format(done=done[0], n=expected)
        )

    try:
        return data.scan_bytes(det, name, data_, on_chunk)
    finally:
        bar.empty()


def read_upload(up, t: dict[str, str]) -> dict | None:
    """The scan of the uploaded file (cached in the session), or None after an error."""
    data_ = up.getvalue()
    if len(data_) > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(t["too_big"].format(mb=len(data_) / 1024 / 1024, max=MAX_UPLOAD_MB))
        return None
    key = (up.name, len(data_), hash(data_))
    cached = st.session_state.get("scan")
    if cached is not None and cached["key"] == key:
        return cached
    det = detector_or_error(t)
    if det is None:
        return None
    try:
        out = scan_upload(det, up.name, data_, t)
    except TooManyRows as exc:
        st.error(t["too_many"].format(n=exc.args[0], max=MAX_ROWS))
        return None
    except Exception as exc:  # ScanError, or e.g. a corrupt Parquet file: pyarrow raises several
        msg = str(exc) if isinstance(exc, data.ScanError) else f"{type(exc).__name__}: {exc}"
        st.error(t["bad_file"].format(msg=escape_md(msg)))
        return None
    if out.empty:
        st.error(t["bad_file"].format(msg=t["no_rows"]))
        return None
    out, clusters = data.cluster(out)
    st.session_state["scan"] = {"key": key, "file": up.name, "rows": out, "clusters": clusters}
    return st.session_state["scan"]


def scan_tab(t: dict[str, str], lang: str) -> None:
    st.markdown(t["scan_intro"].format(mb=MAX_UPLOAD_MB, rows=MAX_ROWS))
    kinds = ["csv", "tsv", "jsonl", "ndjson", "json", "parquet", "pq"]
    up = st.file_uploader(t["upload"], type=kinds, key="upload")
    if up is None:
        st.session_state.pop("scan", None)  # the Networks tab shows the current file only
        return
    scan = read_upload(up, t)
    if scan is None:
        return
    out, clusters = scan["rows"], scan["clusters"]
    n_bad = int(out["error"].notna().sum())
    (st.warning if n_bad else st.success)(t["scanned"].format(n=len(out), bad=n_bad))
    levels = ["high", "medium", "low", "error"]
    c1, c2 = st.columns(2)
    chosen = c1.multiselect(
        t["filter_risk"], levels, default=levels, key="risk_filter",
        format_func=lambda r: risk_word(lang, r),
    )  # fmt: skip
    min_p = c2.slider(t["min_prob"], 0.0, 1.0, 0.0, 0.05, key="min_prob")
    mask = out["risk"].fillna("error").isin(chosen) & (out["scam_probability"].fillna(1.0) >= min_p)
    shown = out[mask].sort_values("scam_probability", ascending=False, na_position="first")

    st.markdown(f"**{t['histogram']}**")
    hist = tables.histogram(out["scam_probability"], lang)
    x, y = hist.columns
    st.bar_chart(hist, x=x, y=y, x_label=x, y_label=y, sort=False)

    st.markdown(f"**{t['results'].format(n=len(shown))}**")
    view = for_display(tables.results_table(shown, lang))
    st.dataframe(
        tables.risk_styles(view, lang),
        hide_index=True,
        width="stretch",
        column_config={column(lang, "probability"): prob_column(lang)},
        key="results_table",
    )
    show_clusters_summary(clusters, t, lang)
    if n_bad:
        st.markdown(f"**{t['errors']}**")
        st.dataframe(for_display(tables.errors_table(out, lang)), hide_index=True, width="stretch")
    stem = Path(up.name).stem or "ads"
    formats = [("CSV", "csv", "text/csv"), ("JSONL", "jsonl", "application/jsonl"),
               ("Parquet", "parquet", "application/octet-stream")]  # fmt: skip
    for col, (fmt, ext, mime) in zip(st.columns(3), formats, strict=True):
        col.download_button(
            t["download"].format(fmt=fmt),
            data=data.to_download(out, fmt),
            file_name=f"{stem}.scored.{ext}",
            mime=mime,
            key=f"dl_{ext}",
        )


# -------------------------------------------------------------------------- networks tab
def show_clusters(clusters: pd.DataFrame, lang: str, key: str, full: bool = False) -> None:
    view = for_display(tables.clusters_table(clusters, lang, full=full))
    config = {
        column(lang, c): prob_column(lang, c) for c in ("max_probability", "mean_probability")
    }
    st.dataframe(
        tables.risk_styles(view, lang), hide_index=True, width="stretch",
        column_config=config, key=key,
    )  # fmt: skip


def show_hubs(clusters: pd.DataFrame, t: dict[str, str]) -> None:
    hubs = clusters.attrs.get("hubs") or {}
    if hubs:
        top = sorted(hubs, key=lambda h: -hubs[h])[:5]
        st.caption(t["hubs"].format(ids=", ".join(escape_md(h) for h in top)))


def show_clusters_summary(clusters: pd.DataFrame, t: dict[str, str], lang: str) -> None:
    """The scan tab's short clusters table (the Networks tab has the details)."""
    if clusters.empty:
        st.caption(t["no_clusters"])
        return
    st.markdown(f"**{t['clusters'].format(n=len(clusters))}**")
    st.caption(t["clusters_help"])
    show_clusters(clusters.head(20), lang, "scan_clusters")
    show_hubs(clusters, t)


def networks_tab(t: dict[str, str], lang: str) -> None:
    scan = st.session_state.get("scan")
    if scan is None:
        st.info(t["net_none"])
        return
    rows, clusters = scan["rows"], scan["clusters"]
    if clusters.empty:
        st.info(t["no_clusters"])
        return
    st.caption(t["net_intro"].format(n=len(clusters), rows=len(rows), file=escape_md(scan["file"])))
    show_clusters(clusters, lang, "net_clusters", full=True)
    show_hubs(clusters, t)
    by_id = clusters.set_index("cluster_id")

    def option(cid: int) -> str:
        c = by_id.loc[cid]
        ids = first_words(c["shared_identifiers"] or tables.linked_by(lang, c["linked_by"]), 60)
        risk = risk_word(lang, c["network_risk"])
        return t["net_option"].format(id=cid, size=c["size"], risk=risk, ids=ids)

    cid = st.selectbox(
        t["net_pick"], clusters["cluster_id"].tolist(), format_func=option, key="net_cluster"
    )
    if cid is None:
        return
    members = rows[rows["cluster_id"] == cid]
    members = members.sort_values("scam_probability", ascending=False, na_position="last")
    members = members.reset_index(drop=True)
    st.markdown(f"**{t['net_ads'].format(n=len(members))}**")
    view = for_display(tables.members_table(members, lang))
    st.dataframe(
        tables.risk_styles(view, lang), hide_index=True, width="stretch",
        column_config={column(lang, "probability"): prob_column(lang)}, key="net_ads",
    )  # fmt: skip
    st.markdown(f"**{t['net_graph']}**")
    st.caption(t["net_graph_help"])
    titles, companies = tables.ad_titles(members)
    hubs = set(clusters.attrs.get("hubs") or {})
    links = data.text_links(members)
    dot, shown, total = cluster_dot(members, titles, companies, links, hubs, lang)
    if shown < total:
        st.caption(t["net_truncated"].format(shown=shown, total=total, max=MAX_GRAPH_NODES))
    st.graphviz_chart(dot, width="stretch")


# ----------------------------------------------------------------------------- model tab
MANIFEST_KEYS = ("version", "created", "training_data", "thresholds", "libraries", "sha256")


def model_tab(t: dict[str, str], lang: str) -> None:
    folder = model_dir()
    card = folder / "MODEL_CARD.md"
    words = section(lang, "model_tab")
    st.subheader(t["card"])
    if words["card_language"]:
        st.caption(words["card_language"])
    if card.is_file():
        for kind, value, caption in card_parts(
            folder, card.read_text(encoding="utf-8", errors="replace")
        ):
            if kind == "image":
                st.image(value, caption=caption)
            else:
                st.markdown(value)
    else:
        st.warning(t["no_card"].format(path=card))
    try:
        man = read_manifest()
    except ModelError as exc:
        st.error(t["model_missing"].format(msg=escape_md(str(exc))))
    else:
        with st.expander(t["manifest"]):
            st.json({words[f"manifest_{k}"]: man.get(k) for k in MANIFEST_KEYS if k in man})
    try:
        rules = load_registry().rules
    except RuleError as exc:
        st.error(escape_md(str(exc)))
        return
    st.subheader(t["indicators"].format(n=len(rules)))
    st.caption(t["indicators_help"])
    st.dataframe(
        tables.indicators_table(rules, lang), hide_index=True, width="stretch",
        key="indicator_table",
    )  # fmt: skip


# ---------------------------------------------------------------------------------- page
def main() -> None:
    st.set_page_config(page_title="jobscam", page_icon="🔎", layout="wide")
    lang = st.radio(
        ui("en")["lang"], list(PAGE_LANGUAGES), format_func=LANGUAGE_SWITCH.get,
        horizontal=True, key="ui_lang",
    )  # fmt: skip
    t = ui(lang)
    st.title(t["title"])
    check, scan, nets, model = st.tabs(
        [t["tab_check"], t["tab_scan"], t["tab_net"], t["tab_model"]]
    )
    with check:
        check_tab(t, lang)
    with scan:
        scan_tab(t, lang)
    with nets:  # after the scan tab: it shows the clusters of the file scanned there
        networks_tab(t, lang)
    with model:
        model_tab(t, lang)
    st.divider()
    st.caption(t["disclaimer"])


main()
