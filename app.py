"""jobscam's web page: check one job ad, scan a file of ads, read about the model.

UI only: every result comes from the ``detector`` package. Run with ``jobscam app`` (or
``streamlit run app.py``). Ad text is untrusted: the only HTML passed with
``unsafe_allow_html`` is built by :mod:`detector.highlight` (everything escaped) or is a
constant of this file.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import streamlit as st

from detector import AdError, Detector, ModelError, network
from detector import batch as scanmod
from detector.highlight import highlight_html, legend_html, show_controls
from detector.model.persistence import model_dir, read_manifest
from detector.report import RISK_WORDS, advice_for
from detector.rules import RuleError, load_registry
from detector.schema import Verdict

#: Longest ad accepted on the page (the library allows more; a pasted ad is never this long).
MAX_PASTE_CHARS = 100_000
#: Upload limits, stated on the page.
MAX_UPLOAD_MB = 50
MAX_ROWS = 20_000
SCAN_CHUNK = 500
#: Most nodes drawn in a cluster's graph (ads first, then identifiers).
MAX_GRAPH_NODES = 60
#: Longest label in the graph, in characters.
MAX_LABEL = 40
RISK_COLOURS = {"low": "#1b7f3b", "medium": "#b36b00", "high": "#b3001b"}

S: dict[str, dict[str, str]] = {
    "en": {
        "title": "jobscam: is this job ad a scam or a trafficking lure?",
        "intro": "Paste a job ad (a Facebook or WhatsApp post, a job-board listing). The page "
        "shows how risky it looks, the exact words behind that, and what to do next.",
        "lang": "Language / Bahasa",
        "tab_check": "Check an ad",
        "tab_scan": "Scan a file",
        "tab_net": "Networks",
        "tab_model": "Model",
        "examples": "Try an example:",
        "ex_en_scam": "English: overseas 'customer service'",
        "ex_id_scam": "Indonesian: admin in Cambodia",
        "ex_en_ok": "English: dental receptionist",
        "ex_id_ok": "Indonesian: licensed agency",
        "ad_text": "The job ad",
        "ad_help": "Paste the whole ad. It is only scored here, not stored.",
        "fields": "Optional details (if the ad has them separately)",
        "f_title": "Job title",
        "f_company": "Company",
        "f_location": "Location",
        "f_salary": "Salary",
        "f_contact": "Contact",
        "score": "Check this ad",
        "empty": "Paste a job ad first (or pick an example above).",
        "huge": "This text is {n:,} characters long; the page checks ads of up to {max:,} "
        "characters. Paste one ad at a time, or use 'Scan a file' for many ads.",
        "cant": "This ad cannot be checked: {msg}",
        "model_missing": "The model could not be loaded, so ads cannot be scored: {msg}",
        "probability": "Estimated probability of a scam",
        "prob_help": "Calibrated on labelled ads: of ads scored around this figure, about this "
        "share were scams.",
        "findings": "Red flags in the ad",
        "findings_help": "Hover over a highlight for the indicator, why it matters and its source.",
        "no_findings": "No red-flag wording was found. That is not a guarantee: check the "
        "employer independently.",
        "legend": "What each highlight means",
        "extracted": "Contacts, amounts and places found",
        "contacts": "Contacts",
        "amounts": "Money amounts",
        "destinations": "Places",
        "none": "none found",
        "terms": "Words that moved the score",
        "terms_help": "Positive pushed the score up, negative down (word-level model).",
        "no_terms": "No word-level explanation for this ad: the word models read English and "
        "Indonesian only, so its score rests on the red-flag indicators.",
        "language": "Language of the ad",
        "next": "What to do next",
        "next_low": "If you are still unsure",
        "details": "Technical details",
        "scan_intro": "Upload a CSV, JSONL or Parquet file with a `text` column (or the fields "
        "`title`, `company_profile`, `description`, ...). Limit: {mb} MB and {rows:,} rows; "
        "for larger files use the command line.",
        "upload": "File of job ads",
        "too_big": "The file is {mb:.1f} MB; the limit here is {max} MB.",
        "too_many": "The file has {n:,} rows; the limit here is {max:,}. Split it, or use the "
        "command line for large scans.",
        "bad_file": "The file could not be read: {msg}",
        "no_rows": "it holds no rows",
        "scoring": "Scoring {done:,} of {n:,} ads…",
        "scanned": "{n:,} rows read; {bad:,} could not be scored (listed below, never dropped).",
        "filter_risk": "Show risk levels",
        "min_prob": "Minimum probability",
        "histogram": "How the scores are spread",
        "results": "Results ({n:,} rows shown)",
        "errors": "Rows that could not be scored",
        "download": "Download results as {fmt}",
        "error_level": "error",
        "clusters": "Networks found: {n:,} cluster(s) of linked ads",
        "clusters_help": "Ads linked by a shared phone, WhatsApp, e-mail or link, or by "
        "near-identical text. One contact behind several company names is a warning sign. "
        "Open the 'Networks' tab to see each cluster.",
        "no_clusters": "No networks: no two ads share a contact or near-identical text.",
        "hubs": "Contacts on very many ads (not used to link, e.g. a job board's footer): {ids}",
        "net_none": "No file has been scanned yet. Upload a file in the 'Scan a file' tab; "
        "the networks of linked ads found in it are shown here.",
        "net_intro": "{file}: {n:,} cluster(s) among its {rows:,} ads. Click a column header "
        "to sort.",
        "net_pick": "Cluster to look at",
        "net_option": "#{id}: {size} ads, {risk}, {ids}",
        "net_ads": "Ads in this cluster ({n:,})",
        "net_graph": "How the ads are linked",
        "net_graph_help": "Ovals are ads (colour = risk), boxes are contacts; a line means the "
        "ad uses that contact, a dashed line means near-identical text.",
        "net_truncated": "The graph shows {shown} of {total} nodes (limit {max}); every ad is "
        "in the table above.",
        "similar": "similar text",
        "card": "Model card",
        "no_card": "No model card yet: {path} does not exist. It is written by `jobscam evaluate`.",
        "manifest": "Model in use",
        "indicators": "The red-flag indicators ({n})",
        "indicators_help": "Each indicator is evidence, not a verdict: the model weighs them "
        "together.",
        "disclaimer": "jobscam is an automated screening aid. Its results are evidence for a "
        "person to weigh, not a legal finding that an ad is a scam or trafficking, and not "
        "proof that an ad is safe.",
    },
    "id": {
        "title": "jobscam: lowongan ini penipuan atau jebakan perdagangan orang?",
        "intro": "Tempel teks lowongan kerja (postingan Facebook atau WhatsApp, iklan situs "
        "lowongan). Halaman ini menunjukkan seberapa berisiko, kata-kata penyebabnya, dan "
        "langkah selanjutnya.",
        "lang": "Language / Bahasa",
        "tab_check": "Periksa lowongan",
        "tab_scan": "Pindai berkas",
        "tab_net": "Jaringan",
        "tab_model": "Model",
        "examples": "Coba contoh:",
        "ex_en_scam": "Inggris: 'customer service' luar negeri",
        "ex_id_scam": "Indonesia: admin di Kamboja",
        "ex_en_ok": "Inggris: resepsionis dokter gigi",
        "ex_id_ok": "Indonesia: P3MI berizin",
        "ad_text": "Teks lowongan",
        "ad_help": "Tempel seluruh lowongan. Teks hanya dinilai di sini, tidak disimpan.",
        "fields": "Rincian tambahan (bila lowongan mencantumkannya terpisah)",
        "f_title": "Jabatan",
        "f_company": "Perusahaan",
        "f_location": "Lokasi",
        "f_salary": "Gaji",
        "f_contact": "Kontak",
        "score": "Periksa lowongan ini",
        "empty": "Tempel teks lowongan dulu (atau pilih contoh di atas).",
        "huge": "Teks ini {n:,} karakter; halaman ini memeriksa lowongan hingga {max:,} "
        "karakter. Tempel satu lowongan saja, atau gunakan 'Pindai berkas' untuk banyak lowongan.",
        "cant": "Lowongan ini tidak dapat diperiksa: {msg}",
        "model_missing": "Model tidak dapat dimuat, jadi lowongan tidak dapat dinilai: {msg}",
        "probability": "Perkiraan peluang penipuan",
        "prob_help": "Dikalibrasi pada lowongan berlabel: dari lowongan dengan angka sekitar ini, "
        "kira-kira sebesar ini yang penipuan.",
        "findings": "Tanda bahaya dalam lowongan",
        "findings_help": "Arahkan kursor ke sorotan untuk melihat indikator, alasannya, dan "
        "sumbernya.",
        "no_findings": "Tidak ditemukan kata-kata tanda bahaya. Itu bukan jaminan: periksa "
        "pemberi kerja secara mandiri.",
        "legend": "Arti setiap sorotan",
        "extracted": "Kontak, jumlah uang, dan tempat yang ditemukan",
        "contacts": "Kontak",
        "amounts": "Jumlah uang",
        "destinations": "Tempat",
        "none": "tidak ada",
        "terms": "Kata yang memengaruhi skor",
        "terms_help": "Positif menaikkan skor, negatif menurunkan (model kata).",
        "no_terms": "Tidak ada penjelasan tingkat kata untuk lowongan ini: model kata hanya "
        "membaca bahasa Inggris dan Indonesia, jadi skornya bertumpu pada indikator tanda bahaya.",
        "language": "Bahasa lowongan",
        "next": "Langkah selanjutnya",
        "next_low": "Bila masih ragu",
        "details": "Rincian teknis",
        "scan_intro": "Unggah berkas CSV, JSONL atau Parquet dengan kolom `text` (atau kolom "
        "`title`, `company_profile`, `description`, ...). Batas: {mb} MB dan {rows:,} baris; "
        "untuk berkas lebih besar gunakan baris perintah.",
        "upload": "Berkas lowongan",
        "too_big": "Berkas ini {mb:.1f} MB; batas di sini {max} MB.",
        "too_many": "Berkas ini {n:,} baris; batas di sini {max:,}. Pecah berkasnya, atau "
        "gunakan baris perintah untuk pemindaian besar.",
        "bad_file": "Berkas tidak dapat dibaca: {msg}",
        "no_rows": "berkas tidak berisi baris",
        "scoring": "Menilai {done:,} dari {n:,} lowongan…",
        "scanned": "{n:,} baris dibaca; {bad:,} tidak dapat dinilai (tercantum di bawah, tidak "
        "dibuang).",
        "filter_risk": "Tampilkan tingkat risiko",
        "min_prob": "Peluang minimum",
        "histogram": "Sebaran skor",
        "results": "Hasil ({n:,} baris ditampilkan)",
        "errors": "Baris yang tidak dapat dinilai",
        "download": "Unduh hasil sebagai {fmt}",
        "error_level": "galat",
        "clusters": "Jaringan ditemukan: {n:,} kelompok lowongan yang saling terkait",
        "clusters_help": "Lowongan yang terhubung karena nomor telepon, WhatsApp, e-mail atau "
        "tautan yang sama, atau teks yang nyaris sama. Satu kontak di balik beberapa nama "
        "perusahaan adalah tanda bahaya. Buka tab 'Jaringan' untuk melihat tiap kelompok.",
        "no_clusters": "Tidak ada jaringan: tidak ada dua lowongan dengan kontak yang sama atau "
        "teks yang nyaris sama.",
        "hubs": "Kontak yang muncul di sangat banyak lowongan (tidak dipakai untuk menghubungkan, "
        "mis. footer situs lowongan): {ids}",
        "net_none": "Belum ada berkas yang dipindai. Unggah berkas di tab 'Pindai berkas'; "
        "jaringan lowongan yang saling terkait di dalamnya ditampilkan di sini.",
        "net_intro": "{file}: {n:,} kelompok di antara {rows:,} lowongannya. Klik judul kolom "
        "untuk mengurutkan.",
        "net_pick": "Kelompok yang dilihat",
        "net_option": "#{id}: {size} lowongan, {risk}, {ids}",
        "net_ads": "Lowongan dalam kelompok ini ({n:,})",
        "net_graph": "Bagaimana lowongan saling terhubung",
        "net_graph_help": "Oval adalah lowongan (warna = risiko), kotak adalah kontak; garis "
        "berarti lowongan memakai kontak itu, garis putus-putus berarti teksnya nyaris sama.",
        "net_truncated": "Grafik menampilkan {shown} dari {total} simpul (batas {max}); semua "
        "lowongan ada di tabel di atas.",
        "similar": "teks mirip",
        "card": "Kartu model",
        "no_card": "Belum ada kartu model: {path} tidak ada. Kartu ini ditulis oleh "
        "`jobscam evaluate`.",
        "manifest": "Model yang dipakai",
        "indicators": "Indikator tanda bahaya ({n})",
        "indicators_help": "Setiap indikator adalah petunjuk, bukan putusan: model "
        "menimbangnya bersama-sama.",
        "disclaimer": "jobscam adalah alat bantu penyaringan otomatis. Hasilnya adalah petunjuk "
        "untuk ditimbang oleh manusia, bukan putusan hukum bahwa sebuah lowongan adalah penipuan "
        "atau perdagangan orang, dan bukan bukti bahwa lowongan itu aman.",
    },
}

#: Extra advice for particular findings, in the ad's language.
CATEGORY_ADVICE: dict[str, dict[str, str]] = {
    "en": {
        "fees": "This ad asks for money: a real employer does not charge you to be hired.",
        "personal_data": "Do not send photos of your ID, family card, passport or a selfie "
        "before you have verified the employer.",
        "documents": "Your passport is yours: never hand it over to an agent or employer.",
        "visa": "Working on a tourist or visit visa is illegal and leaves you unprotected.",
        "risky_destination": "Online-scam compounds recruit for jobs in Cambodia, Myanmar and "
        "Laos; Indonesia has no official placement there.",
        "task_scam": "Never deposit money to 'unlock' earnings or tasks.",
        "sexual_exploitation_role": "If someone is being forced to work, call the anti-"
        "trafficking hotline or the police.",
    },
    "id": {
        "fees": "Lowongan ini meminta uang: pemberi kerja resmi tidak memungut biaya.",
        "personal_data": "Jangan kirim foto KTP, KK, paspor atau selfie sebelum pemberi kerja "
        "terbukti resmi.",
        "documents": "Paspor adalah milik Anda: jangan serahkan kepada agen atau majikan.",
        "visa": "Bekerja dengan visa turis/kunjungan/ziarah itu ilegal dan tanpa perlindungan.",
        "risky_destination": "Kamboja, Myanmar dan Laos bukan negara penempatan resmi PMI; "
        "sindikat penipuan online merekrut untuk ke sana.",
        "task_scam": "Jangan pernah isi saldo/deposit untuk 'membuka' komisi atau tugas.",
        "sexual_exploitation_role": "Bila ada yang dipaksa bekerja, hubungi hotline Kemnaker "
        "1500 630 atau polisi (110).",
    },
}

EXAMPLES: dict[str, str] = {
    "ex_en_scam": "Hiring now!! Customer service reps for an online company in Cambodia 🇰🇭\n"
    "Salary $1,200/month + bonus\nFree flight, free visa, free accommodation and meals\n"
    "No experience needed, basic English and typing only\nLeave within 7 days\n"
    "WhatsApp only: +62 812-0000-2001",
    "ex_id_scam": "🔥LOWONGAN KERJA LUAR NEGRI🔥\nPosisi: ADMIN / CS ONLINE\n"
    "Lokasi: Kamboja (Phnom Penh)\nGaji 15jt - 20jt/bln + bonus\n✅ Tiket pesawat ditanggung\n"
    "✅ Mes + makan gratis\n✅ Tanpa pengalaman, yg penting bisa ketik cepat\n"
    "Syarat: usia 18-35, bisa komputer dasar\nBerangkat pake visa turis dulu, nanti diurus di "
    "sana\nMinat hub WA 0812 3456 7801 (Bu Rina)",
    "ex_en_ok": "Riverside Family Dental – Dental Receptionist (full-time)\n1420 Oak Street, "
    "Springfield\nGreet patients, schedule appointments in our practice software, verify "
    "insurance and handle billing questions. 1+ year front-desk experience preferred.\n"
    "$18–$21/hr, health insurance, 401(k) match, paid holidays.\nApply at "
    "riversidedental.example.com/careers. No phone calls, please.",
    "ex_id_ok": "PT Mitra Tenaga Nusantara (P3MI berizin, cek di SISKOP2MI) membuka lowongan "
    "Operator Pabrik Elektronik di Penang, Malaysia.\nGaji RM 1.700 + lembur sesuai "
    "undang-undang Malaysia. Kontrak 2 tahun ditandatangani sebelum berangkat. Paspor dipegang "
    "pekerja sendiri. Biaya visa kerja, tiket, dan levy ditanggung majikan.\nPendaftaran: "
    "kantor cabang Jl. Pahlawan No. 9 Kendal atau melalui Disnaker setempat.",
}
FIELD_KEYS = {
    "f_title": "title",
    "f_company": "company_profile",
    "f_location": "location",
    "f_salary": "salary_range",
    "f_contact": "contact",
}
LANG_NAMES = {"en": "English", "id": "Bahasa Indonesia", "und": "?"}


@st.cache_resource(show_spinner="Loading the model…")
def get_detector() -> Detector:
    """The model, loaded once per server process (sha256-checked by the package)."""
    return Detector.load()


def detector_or_error(t: dict[str, str]) -> Detector | None:
    try:
        return get_detector()
    except (ModelError, RuleError) as exc:
        st.error(t["model_missing"].format(msg=escape_md(str(exc))))
        return None


# ----------------------------------------------------------------------------- check tab
def use_example(key: str) -> None:
    st.session_state["ad_text"] = EXAMPLES[key]
    for k in FIELD_KEYS:
        st.session_state[k] = ""
    st.session_state["score_now"] = True


def build_ad(text: str) -> str | dict[str, str]:
    """The pasted text alone, or a mapping of fields when any optional field is filled."""
    fields = {
        FIELD_KEYS[k]: st.session_state.get(k, "").strip()
        for k in FIELD_KEYS
        if st.session_state.get(k, "").strip()
    }
    if not fields:
        return text
    return {"description": text, **fields}


def risk_badge(v: Verdict, lang: str) -> str:
    """Constant HTML (no ad text): coloured badge with the risk in words."""
    return (
        f'<div class="jobscam-badge" data-risk="{v.risk}" style="display:inline-block;'
        f"background:{RISK_COLOURS[v.risk]};color:white;font-size:1.6em;font-weight:700;"
        f'padding:0.3em 0.8em;border-radius:0.4em">{RISK_WORDS[lang][v.risk]}</div>'
    )


def show_advice(v: Verdict, t: dict[str, str]) -> None:
    ad_lang = "id" if v.language == "id" else "en"
    with st.container(border=True, key="advice_box"):
        st.subheader(t["next"] if v.risk != "low" else t["next_low"])
        lines = [CATEGORY_ADVICE[ad_lang][c] for c in v.categories if c in CATEGORY_ADVICE[ad_lang]]
        lines += advice_for(v)
        st.markdown("\n".join(f"- {escape_own(line)}" for line in lines))


#: Every ASCII punctuation character: CommonMark lets each be backslash-escaped, and one of
#: them starts every construct that could act (links, images, HTML, autolinks ``https:``,
#: ``www.``, Streamlit's ``:colour[...]`` and ``:emoji:`` directives, LaTeX ``$``).
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")


def escape_own(text: str) -> str:
    """Our own advice strings, Markdown-safe anyway (no accidental formatting); readable
    source, so hotline numbers and addresses stay searchable."""
    return re.sub(r"([\\`*_\[\]()#+!|~$<>])", r"\\\1", text)


#: GFM turns bare URLs and e-mail addresses into links after parsing, escapes or not; an
#: invisible word joiner (U+2060) after the scheme, ``www`` or ``@`` stops it.
_AUTOLINK = re.compile(r"(?i)(\b(?:https?|ftp|mailto|www)(?=[:.])|@)")


def escape_md(text: str) -> str:
    """Any string for a Markdown-rendering element (``st.error``, ``st.caption`` ...), shown
    as plain text: every punctuation character escaped, autolinks broken, bidi controls made
    visible, line breaks kept as spaces (a new line could start a block)."""
    text = show_controls(" ".join(str(text).split()))
    return _MD_PUNCT.sub(r"\\\1", _AUTOLINK.sub("\\1\u2060", text))


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for a table on the page: bidi controls in text cells made visible
    (a right-to-left override would show an ad reversed). Downloads keep the real values."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: show_controls(v) if isinstance(v, str) else v)
    out.columns = [show_controls(str(c)) for c in out.columns]
    return out


def show_verdict(v: Verdict, t: dict[str, str], lang: str) -> None:
    c1, c2 = st.columns([2, 1])
    with c1:
        st.markdown(risk_badge(v, lang), unsafe_allow_html=True)
    with c2:
        st.metric(t["probability"], f"{v.probability:.0%}", help=t["prob_help"])
    st.caption(f"{t['language']}: {LANG_NAMES.get(v.language, v.language)}")
    for c in v.caveats:
        st.info(c.text(lang))

    st.subheader(t["findings"])
    st.caption(t["findings_help"])
    st.markdown(highlight_html(v.text, v.findings, lang), unsafe_allow_html=True)
    if v.findings:
        with st.expander(t["legend"], expanded=True):
            st.markdown(legend_html(v.findings, lang), unsafe_allow_html=True)
    else:
        st.success(t["no_findings"])

    show_advice(v, t)

    st.subheader(t["extracted"])
    cols = st.columns(3)
    tables = [
        (
            t["contacts"],
            [{"kind": c.kind, "value": c.value, "flags": ", ".join(c.flags)} for c in v.contacts],
        ),
        (
            t["amounts"],
            [
                {
                    "text": a.text,
                    "value": a.value,
                    "currency": a.currency,
                    "period": a.period or "",
                    "USD/month": None if a.monthly_usd is None else round(a.monthly_usd),
                }
                for a in v.amounts
            ],
        ),
        (
            t["destinations"],
            [{"place": d.name, "country": d.country, "risky": d.risky} for d in v.destinations],
        ),
    ]
    for col, (name, rows) in zip(cols, tables, strict=True):
        with col:
            st.markdown(f"**{name}**")
            if rows:
                st.dataframe(for_display(pd.DataFrame(rows)), hide_index=True, width="stretch")
            else:
                st.caption(t["none"])

    st.subheader(t["terms"])
    if v.terms:
        st.caption(t["terms_help"])
        terms = pd.DataFrame([{"term": x.term, "weight": x.weight} for x in v.terms])
        st.bar_chart(terms, x="term", y="weight", horizontal=True, sort="-weight")
    else:
        st.caption(t["no_terms"])
    with st.expander(t["details"]):
        details = {
            "model_probability": v.model_probability,
            "indicator_probability": v.indicator_probability,
            "mode": v.mode,
            "model_version": v.model_version,
            "categories": v.categories,
        }
        if v.model_probability is None:  # no word model played a part
            del details["model_probability"]
        st.json(details)


def check_tab(t: dict[str, str], lang: str) -> None:
    st.write(t["intro"])
    st.caption(t["examples"])
    cols = st.columns(len(EXAMPLES))
    for col, key in zip(cols, EXAMPLES, strict=True):
        col.button(t[key], key=f"btn_{key}", on_click=use_example, args=(key,), width="stretch")
    text = st.text_area(t["ad_text"], key="ad_text", height=220, help=t["ad_help"])
    with st.expander(t["fields"]):
        c = st.columns(5)
        for col, k in zip(c, FIELD_KEYS, strict=True):
            col.text_input(t[k], key=k)
    clicked = st.button(t["score"], type="primary", key="score_btn")
    if st.session_state.pop("score_now", False):
        clicked = True
    if clicked:
        st.session_state.pop("verdict", None)
        if not text.strip() and not any(st.session_state.get(k, "").strip() for k in FIELD_KEYS):
            st.warning(t["empty"])
            return
        total = len(text) + sum(len(st.session_state.get(k, "")) for k in FIELD_KEYS)
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


def estimate_rows(name: str, data: bytes) -> int:
    """Rows to expect, for the progress bar (lines for text formats, metadata for Parquet)."""
    if name.lower().endswith((".parquet", ".pq")):
        try:
            return int(pq.ParquetFile(io.BytesIO(data)).metadata.num_rows)
        except Exception:  # an unreadable file: the scan reports it properly
            return 1
    return max(1, data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1)


def scan_upload(det: Detector, name: str, data: bytes, t: dict[str, str]) -> pd.DataFrame:
    """Score every row with the package's scanner; malformed rows come back with ``error``."""
    fmt = "tsv" if name.lower().endswith(".tsv") else scanmod.detect_format(name)
    expected = estimate_rows(name, data)
    bar = st.progress(0.0, text=t["scoring"].format(done=0, n=expected))
    parts: list[pd.DataFrame] = []

    def on_chunk(rows: pd.DataFrame) -> None:
        parts.append(rows)
        done = sum(len(p) for p in parts)
        if done > MAX_ROWS:
            raise TooManyRows(done)
        bar.progress(min(1.0, done / expected), text=t["scoring"].format(done=done, n=expected))

    try:
        scanmod.scan(
            "-",
            None,
            input_format=fmt,
            chunk_size=SCAN_CHUNK,
            workers=1,
            detector=det,
            stdin=io.BytesIO(data),
            on_chunk=on_chunk,
        )
    finally:
        bar.empty()
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def to_download(frame: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "CSV":
        return frame.to_csv(index=False).encode("utf-8")
    if fmt == "JSONL":
        return frame.to_json(orient="records", lines=True, force_ascii=False).encode("utf-8")
    safe = frame.copy()
    for c in safe.columns:
        if safe[c].dtype == object:
            safe[c] = safe[c].map(lambda x: None if x is None or x != x else str(x))
    buf = io.BytesIO()
    safe.to_parquet(buf, index=False)
    return buf.getvalue()


def scan_tab(t: dict[str, str], lang: str) -> None:
    st.markdown(t["scan_intro"].format(mb=MAX_UPLOAD_MB, rows=MAX_ROWS))
    up = st.file_uploader(
        t["upload"], type=["csv", "tsv", "jsonl", "ndjson", "json", "parquet", "pq"], key="upload"
    )
    if up is None:
        st.session_state.pop("scan", None)  # the Networks tab shows the current file only
        return
    data = up.getvalue()
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(t["too_big"].format(mb=len(data) / 1024 / 1024, max=MAX_UPLOAD_MB))
        return
    key = (up.name, len(data), hash(data))
    cached = st.session_state.get("scan")
    if cached is None or cached["key"] != key:
        det = detector_or_error(t)
        if det is None:
            return
        try:
            out = scan_upload(det, up.name, data, t)
        except TooManyRows as exc:
            st.error(t["too_many"].format(n=exc.args[0], max=MAX_ROWS))
            return
        except scanmod.ScanError as exc:
            st.error(t["bad_file"].format(msg=escape_md(str(exc))))
            return
        except Exception as exc:  # e.g. a corrupt Parquet file: pyarrow raises several types
            st.error(t["bad_file"].format(msg=escape_md(f"{type(exc).__name__}: {exc}")))
            return
        if out.empty:
            st.error(t["bad_file"].format(msg=t["no_rows"]))
            return
        out, clusters = network.cluster(out)
        st.session_state["scan"] = {"key": key, "file": up.name, "rows": out, "clusters": clusters}
    else:
        out, clusters = cached["rows"], cached["clusters"]

    n_bad = int(out["error"].notna().sum())
    (st.warning if n_bad else st.success)(t["scanned"].format(n=len(out), bad=n_bad))
    levels = ["high", "medium", "low", t["error_level"]]
    c1, c2 = st.columns(2)
    chosen = c1.multiselect(t["filter_risk"], levels, default=levels, key="risk_filter")
    min_p = c2.slider(t["min_prob"], 0.0, 1.0, 0.0, 0.05, key="min_prob")
    risk_or_err = out["risk"].fillna(t["error_level"])
    mask = risk_or_err.isin(chosen) & ((out["scam_probability"].fillna(1.0)) >= min_p)
    shown = out[mask].sort_values("scam_probability", ascending=False, na_position="first")

    st.markdown(f"**{t['histogram']}**")
    bins = pd.cut(
        out["scam_probability"].dropna(), bins=[i / 10 for i in range(11)], include_lowest=True
    )
    hist = bins.value_counts(sort=False).rename_axis("probability").reset_index(name="ads")
    hist["probability"] = hist["probability"].astype(str)
    st.bar_chart(hist, x="probability", y="ads")

    st.markdown(f"**{t['results'].format(n=len(shown))}**")
    # The scanner numbers rows by input line (CSV, JSONL) or by row (Parquet).
    num = "line" if "line" in out.columns else "row"
    inputs = [c for c in out.columns if c not in (*scanmod.RESULT_COLUMNS, *NET_COLUMNS, num)]
    view_cols = [
        num,
        "risk",
        "scam_probability",
        "categories",
        "contacts",
        "language",
        "error",
        *NET_COLUMNS,
        *inputs[:4],
    ]
    view = shown[[c for c in dict.fromkeys(view_cols) if c in shown.columns]]
    st.dataframe(
        for_display(view),
        hide_index=True,
        width="stretch",
        column_config={
            "scam_probability": st.column_config.ProgressColumn(
                "scam_probability", min_value=0.0, max_value=1.0, format="%.2f"
            ),
        },
        key="results_table",
    )
    show_clusters_summary(clusters, t)
    if n_bad:
        st.markdown(f"**{t['errors']}**")
        st.dataframe(
            for_display(out.loc[out["error"].notna(), [num, "error"]]),
            hide_index=True,
            width="stretch",
        )
    stem = Path(up.name).stem or "ads"
    cols = st.columns(3)
    for col, (fmt, ext, mime) in zip(
        cols,
        [
            ("CSV", "csv", "text/csv"),
            ("JSONL", "jsonl", "application/jsonl"),
            ("Parquet", "parquet", "application/octet-stream"),
        ],
        strict=True,
    ):
        col.download_button(
            t["download"].format(fmt=fmt),
            data=to_download(out, fmt),
            file_name=f"{stem}.scored.{ext}",
            mime=mime,
            key=f"dl_{ext}",
        )


# -------------------------------------------------------------------------- networks tab
#: Columns ``network.cluster`` adds to each scored row.
NET_COLUMNS = ("cluster_id", "network_risk")
PROB_COLUMN = st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f")


def show_clusters_summary(clusters: pd.DataFrame, t: dict[str, str]) -> None:
    """The scan tab's short clusters table (the Networks tab has the details)."""
    if clusters.empty:
        st.caption(t["no_clusters"])
        return
    st.markdown(f"**{t['clusters'].format(n=len(clusters))}**")
    st.caption(t["clusters_help"])
    cols = [
        "cluster_id",
        "size",
        "shared_identifiers",
        "n_companies",
        "max_probability",
        "network_risk",
    ]
    st.dataframe(
        for_display(clusters[cols].head(20)),
        hide_index=True,
        width="stretch",
        column_config={"max_probability": PROB_COLUMN},
        key="scan_clusters",
    )
    show_hubs(clusters, t)


def show_hubs(clusters: pd.DataFrame, t: dict[str, str]) -> None:
    hubs = clusters.attrs.get("hubs") or {}
    if hubs:
        top = sorted(hubs, key=lambda h: -hubs[h])[:5]
        st.caption(t["hubs"].format(ids=", ".join(escape_md(h) for h in top)))


def first_words(text: object, limit: int = 80) -> str:
    """One line of at most ``limit`` characters (whitespace collapsed)."""
    s = " ".join(str(text).split()) if isinstance(text, str) else ""
    return s if len(s) <= limit else s[: limit - 1] + "…"


def ad_titles(rows: pd.DataFrame) -> tuple[list[str], list[str] | None]:
    """Each row's title (or the first words of its text) and company (None: no such column)."""
    cols = [c for c in rows.columns if c not in (*scanmod.RESULT_COLUMNS, *NET_COLUMNS)]
    try:
        m = scanmod.map_columns(cols)
    except scanmod.ScanError:
        m = {}
    sources = [m[f] for f in ("title", "text", "description") if f in m]
    titles = [
        next((first_words(row[c]) for c in sources if first_words(row[c])), "")
        for _, row in rows.iterrows()
    ]
    company = m.get("company_profile")
    companies = None if company is None else [first_words(x, 60) for x in rows[company]]
    return titles, companies


def dot_str(text: object, limit: int = MAX_LABEL) -> str:
    """A quoted DOT string for untrusted text: one line, printable, truncated, escaped."""
    s = "".join(ch for ch in " ".join(str(text).split()) if ch.isprintable())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cluster_dot(
    members: pd.DataFrame,
    titles: list[str],
    companies: list[str] | None,
    links: list[tuple[int, int]],
    hubs: set[str],
    t: dict[str, str],
) -> tuple[str, int, int]:
    """DOT source of a cluster's graph; returns (dot, nodes drawn, nodes in the cluster).

    Ads (ovals, coloured by risk) and the contacts they use (boxes), plus dashed links for
    near-identical text. Node names are generated (a0, i0); untrusted text only appears in
    quoted labels and tooltips, through ``dot_str``. Ads come first, then contacts shared
    by several ads, then the rest, up to ``MAX_GRAPH_NODES``.
    """
    num = "line" if "line" in members.columns else "row"
    ids_of = [[x for x in network.contact_ids(c) if x not in hubs] for c in members["contacts"]]
    uses: dict[str, int] = {}
    for ids in ids_of:
        for i in ids:
            uses[i] = uses.get(i, 0) + 1
    total = len(members) + len(uses)
    n_ads = min(len(members), MAX_GRAPH_NODES if not uses else MAX_GRAPH_NODES * 2 // 3)
    shown_ads = range(n_ads)
    seen: dict[str, int] = {}
    for r in shown_ads:
        for i in ids_of[r]:
            seen[i] = seen.get(i, 0) + 1
    ranked = sorted(seen, key=lambda i: (-seen[i], i))[: MAX_GRAPH_NODES - n_ads]
    id_node = {i: f"i{k}" for k, i in enumerate(ranked)}
    lines = [
        "graph cluster {",
        '  graph [rankdir=LR, overlap=false, fontname="Helvetica"];',
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [color="#555555"];',
    ]
    probs = pd.to_numeric(members["scam_probability"], errors="coerce").tolist()
    risks = members["risk"].tolist()
    nums = members[num].tolist() if num in members.columns else list(range(1, len(members) + 1))
    for r in shown_ads:
        risk = risks[r] if isinstance(risks[r], str) else None
        colour = RISK_COLOURS.get(risk or "", "#777777")
        p = "" if probs[r] != probs[r] else f" {probs[r]:.0%}"
        label = dot_str(f"{num} {nums[r]}{p}: {titles[r]}")
        tip = dot_str(titles[r] if companies is None else f"{titles[r]} ({companies[r]})", 200)
        lines.append(
            f"  a{r} [label={label}, tooltip={tip}, shape=ellipse, style=filled, "
            f'fillcolor="{colour}", fontcolor="white"];'
        )
    for i, node in id_node.items():
        pen = ", penwidth=2" if seen[i] > 1 else ""
        lines.append(f"  {node} [label={dot_str(i)}, tooltip={dot_str(i, 200)}, shape=box{pen}];")
    for r in shown_ads:
        for i in ids_of[r]:
            if i in id_node:
                lines.append(f"  a{r} -- {id_node[i]};")
    for a, b in links:
        if a < n_ads and b < n_ads:
            lines.append(
                f"  a{a} -- a{b} [style=dashed, label={dot_str(t['similar'])}, fontsize=8];"
            )
    lines.append("}")
    return "\n".join(lines), n_ads + len(id_node), total


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
    view = clusters.drop(columns=["members"])
    st.dataframe(
        for_display(view),
        hide_index=True,
        width="stretch",
        column_config={"max_probability": PROB_COLUMN, "mean_probability": PROB_COLUMN},
        key="net_clusters",
    )
    show_hubs(clusters, t)
    by_id = clusters.set_index("cluster_id")

    def option(cid: int) -> str:
        c = by_id.loc[cid]
        ids = first_words(c["shared_identifiers"] or c["linked_by"], 60)
        risk = RISK_WORDS[lang].get(c["network_risk"], c["network_risk"])
        return t["net_option"].format(id=cid, size=c["size"], risk=risk, ids=ids)

    cid = st.selectbox(
        t["net_pick"], clusters["cluster_id"].tolist(), format_func=option, key="net_cluster"
    )
    if cid is None:
        return
    members = (
        rows[rows["cluster_id"] == cid]
        .sort_values("scam_probability", ascending=False, na_position="last")
        .reset_index(drop=True)
    )
    titles, companies = ad_titles(members)
    num = "line" if "line" in members.columns else "row"
    table = pd.DataFrame(
        {
            num: members[num] if num in members.columns else range(1, len(members) + 1),
            "title": titles,
            "company": companies if companies is not None else [""] * len(members),
            "risk": members["risk"],
            "scam_probability": members["scam_probability"],
            "categories": members["categories"],
            "contacts": [";".join(network.contact_ids(c)) for c in members["contacts"]],
        }
    )
    if companies is None:
        table = table.drop(columns=["company"])
    st.markdown(f"**{t['net_ads'].format(n=len(members))}**")
    st.dataframe(
        for_display(table),
        hide_index=True,
        width="stretch",
        column_config={"scam_probability": PROB_COLUMN},
        key="net_ads",
    )
    st.markdown(f"**{t['net_graph']}**")
    st.caption(t["net_graph_help"])
    hubs = set(clusters.attrs.get("hubs") or {})
    dot, shown, total = cluster_dot(
        members, titles, companies, network.text_links(members), hubs, t
    )
    if shown < total:
        st.caption(t["net_truncated"].format(shown=shown, total=total, max=MAX_GRAPH_NODES))
    st.graphviz_chart(dot, width="stretch")


# ----------------------------------------------------------------------------- model tab
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def model_tab(t: dict[str, str], lang: str) -> None:
    folder = model_dir()
    card = folder / "MODEL_CARD.md"
    st.subheader(t["card"])
    shown_images: set[Path] = set()
    if card.is_file():
        body = card.read_text(encoding="utf-8", errors="replace")
        pos = 0
        for m in _IMAGE.finditer(body):
            st.markdown(body[pos : m.start()])
            img = (folder / m.group(2)).resolve()
            if img.parent == folder.resolve() and img.suffix.lower() == ".png" and img.is_file():
                st.image(str(img), caption=m.group(1) or img.name)
                shown_images.add(img)
            pos = m.end()
        st.markdown(body[pos:])
        for img in sorted(folder.glob("*.png")):
            if img.resolve() not in shown_images:
                st.image(str(img), caption=img.name)
    else:
        st.warning(t["no_card"].format(path=card))
    try:
        man = read_manifest()
    except ModelError as exc:
        st.error(t["model_missing"].format(msg=escape_md(str(exc))))
    else:
        with st.expander(t["manifest"]):
            st.json(
                {
                    k: man.get(k)
                    for k in (
                        "version",
                        "created",
                        "training_data",
                        "thresholds",
                        "libraries",
                        "sha256",
                    )
                    if k in man
                }
            )
    try:
        rules = load_registry().rules
    except RuleError as exc:
        st.error(escape_md(str(exc)))
        return
    st.subheader(t["indicators"].format(n=len(rules)))
    st.caption(t["indicators_help"])
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "id": r.id,
                    "category": r.category,
                    "title": r.title_id if lang == "id" else r.title_en,
                    "why": r.why_id if lang == "id" else r.why_en,
                    "source": r.source,
                    "weight": r.weight,
                }
                for r in rules
            ]
        ),
        hide_index=True,
        width="stretch",
        key="indicator_table",
    )


# ---------------------------------------------------------------------------------- page
def main() -> None:
    st.set_page_config(page_title="jobscam", page_icon="🔎", layout="wide")
    lang = st.radio(
        S["en"]["lang"],
        ["en", "id"],
        format_func=lambda x: {"en": "English", "id": "Bahasa Indonesia"}[x],
        horizontal=True,
        key="ui_lang",
    )
    t = S[lang]
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
