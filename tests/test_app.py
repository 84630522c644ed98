"""The Streamlit page, run headless with ``streamlit.testing.v1.AppTest``.

Scoring needs a model that matches the current red-flag registry (``JOBSCAM_MODEL_DIR`` or
models/); tests that score are skipped, naming the reason, when there is none.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from model_check import needs_model
from streamlit.testing.v1 import AppTest

from detector import Detector
from detector.front.highlight import category_title, escape_text
from detector.i18n import section
from detector.rules import load_registry

APP = str(Path(__file__).parent.parent / "app.py")
TIMEOUT = 180

EN_SCAM = (
    "URGENT hiring! Customer service for an online company in Cambodia. Salary $1,200/month, "
    "no experience needed. Free flight and free visa, leave within 7 days. Pay a registration "
    "fee of $150 first. WhatsApp only: +62 812-0000-2001"
)
XSS_AD = (
    '<img src=x onerror=alert(1)> <script>alert("x")</script> '
    "[apply](javascript:alert(3)) " + EN_SCAM
)


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    return at


#: The page's English table headers -> the column codes (the first code of a shared header).
_HEADERS = {v: k for k, v in reversed(list(section("en", "column").items()))}


def codes(frame: pd.DataFrame) -> pd.DataFrame:
    """A table of the English page with its columns named by code; empty cells as None."""
    out = frame.rename(columns=lambda c: _HEADERS.get(c, c))
    if "error" in out.columns:
        out["error"] = out["error"].map(lambda e: e if e else None)
    return out


def html_blocks(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.proto.allow_html]


def badge(at: AppTest) -> str:
    found = [b for b in html_blocks(at) if 'class="jobscam-badge"' in b]
    assert len(found) == 1, "exactly one risk badge"
    return found[0]


def advice(at: AppTest) -> str:
    box = at.get_by_key("advice_box")
    return " ".join(m.value for m in box.markdown)


def score_text(at: AppTest, text: str) -> AppTest:
    at.text_area(key="ad_text").input(text)
    return at.button(key="score_btn").click().run()


@needs_model
def test_english_scam_gets_a_high_badge_highlights_and_hotlines() -> None:
    at = score_text(start(), EN_SCAM)
    assert not at.exception
    b = badge(at)
    assert 'data-risk="high"' in b and "HIGH risk" in b
    prob = at.metric[0].value
    assert prob.endswith("%") and 0 < int(prob[:-1]) <= 100
    ad_html = next(h for h in html_blocks(at) if 'class="jobscam-ad"' in h)
    assert ad_html.count("<mark") >= 4
    legend = next(h for h in html_blocks(at) if 'class="jobscam-legend"' in h)
    verdict = Detector.load().score(EN_SCAM)
    assert {"fees", "chat_only"} <= set(verdict.categories)
    for cat in verdict.categories:
        assert f">{escape_text(category_title(cat, 'en'))}</span>" in legend
    text = advice(at)
    # An English ad with an Indonesian (+62) WhatsApp number recruits Indonesians: the advice
    # names Indonesia's channels (the US hotline is for ads with no tie to Indonesia).
    assert "1500 630" in text and "SISKOP2MI" in text
    assert "a real employer does not charge you" in text  # matched to the fees finding
    # contacts found, shown as a table
    assert any("+62812" in str(df.value.to_dict()) for df in at.dataframe)


@needs_model
def test_indonesian_example_gets_indonesian_guidance_in_one_click() -> None:
    at = start()
    at.button(key="btn_ex_id_scam").click().run()
    assert not at.exception
    assert 'data-risk="high"' in badge(at)
    text = advice(at)
    assert "Kemnaker" in text and "1500 630" in text
    assert "SISKOP2MI" in text and "cekrekening.id" in text and "Peduli WNI" in text
    # The English page gives English advice, for an ad aimed at Indonesians: Indonesia's
    # official channels, not the US hotline.
    assert "Do not pay" in text and "Cambodia" in text  # matched to the findings
    assert "Polaris" not in text
    at.radio(key="ui_lang").set_value("id").run()
    text = advice(at)
    assert "Jangan membayar" in text and "Kamboja" in text and "SISKOP2MI" in text
    # The word models read Indonesian now: no caveat says the score rests on rules alone.
    assert not any("English job ads" in i.value for i in at.info)


@needs_model
def test_legitimate_example_scores_below_the_scam() -> None:
    at = start()
    at.button(key="btn_ex_en_ok").click().run()
    assert not at.exception
    assert 'data-risk="high"' not in badge(at)
    legit = int(at.metric[0].value.rstrip("%"))
    at.button(key="btn_ex_en_scam").click().run()
    assert int(at.metric[0].value.rstrip("%")) > legit


@needs_model
def test_hostile_ad_is_rendered_escaped() -> None:
    at = score_text(start(), XSS_AD)
    assert not at.exception
    for h in html_blocks(at):
        assert "<img" not in h and "<script" not in h and "javascript:" not in h
    ad_html = next(h for h in html_blocks(at) if 'class="jobscam-ad"' in h)
    assert "&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62;" in ad_html


@needs_model
def test_optional_fields_are_scored_with_the_text() -> None:
    at = start()
    at.text_input(key="f_title").input("Customer service (Cambodia)")
    at.text_input(key="f_contact").input("Telegram only @hr_cambodia_job")
    at = score_text(at, "Salary $1,200/month, no experience, free flight, leave within 7 days.")
    assert not at.exception
    ad_html = next(h for h in html_blocks(at) if 'class="jobscam-ad"' in h)
    assert "Cambodia" in ad_html and "hr&#95;cambodia&#95;job" in ad_html


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_input_gives_a_friendly_message(text: str) -> None:
    at = score_text(start(), text)
    assert not at.exception
    assert [w.value for w in at.tabs[0].warning] == [
        "Paste a job ad first (or pick an example above)."
    ]
    assert not [h for h in html_blocks(at) if "jobscam-badge" in h]


def test_huge_input_gives_a_friendly_message() -> None:
    at = score_text(start(), "gaji besar " * 20_000)
    assert not at.exception
    warnings = at.tabs[0].warning
    assert len(warnings) == 1 and "220,000 characters" in warnings[0].value


def test_whole_page_switches_to_indonesian() -> None:
    at = start()
    assert [t.label for t in at.tabs] == ["Check an ad", "Scan a file", "Networks", "Model"]
    at.radio(key="ui_lang").set_value("id").run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Periksa lowongan", "Pindai berkas", "Jaringan", "Model"]
    assert at.button(key="score_btn").label == "Periksa lowongan ini"
    assert "bukan putusan hukum" in at.caption[-1].value
    at = score_text(at, "")
    assert at.tabs[0].warning[0].value.startswith("Tempel teks lowongan")


def test_footer_disclaimer_in_english() -> None:
    at = start()
    assert "not a legal finding" in at.caption[-1].value
    assert "automated screening aid" in at.caption[-1].value


def test_model_tab_lists_every_indicator_and_the_card_or_its_absence() -> None:
    at = start()
    rules = load_registry().rules
    table = codes(at.tabs[3].dataframe[-1].value)
    assert list(table["rule_id"]) == [r.id for r in rules]
    assert {"title", "why", "source", "category"} <= set(table.columns)
    assert table["why"].str.len().min() > 10
    from detector.model.persistence import model_dir

    if (model_dir() / "MODEL_CARD.md").is_file():
        assert not any("No model card yet" in w.value for w in at.tabs[3].warning)
        assert at.tabs[3].markdown  # the card's text
    else:
        assert any("No model card yet" in w.value for w in at.tabs[3].warning)


def _csv(rows: list[dict[str, str]]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode()


@needs_model
def test_scan_csv_accounts_for_every_row_and_offers_downloads() -> None:
    data = (
        _csv([{"text": EN_SCAM}, {"text": "Dental receptionist, Oak Street clinic, $20/hr."}])
        + b"too,many,fields\n"
        + b'""\n'
    )
    at = start()
    at.file_uploader(key="upload").set_value(("ads.csv", data, "text/csv")).run()
    assert not at.exception
    results = codes(at.tabs[1].dataframe[0].value)
    assert sorted(results["line"]) == [2, 3, 4, 5]
    by_line = results.set_index("line")
    assert by_line.loc[2, "risk"] == "high"
    assert by_line.loc[3, "risk"] in ("low", "medium", "high") and pd.isna(by_line.loc[3, "error"])
    assert "expected 1 fields, found 3" in by_line.loc[4, "error"]
    assert by_line.loc[5, "error"]  # an empty ad: reported, not dropped
    assert any("2 could not be scored" in w.value for w in at.tabs[1].warning)
    errors_table = codes(at.tabs[1].dataframe[-1].value)
    assert sorted(errors_table["line"]) == [4, 5]
    labels = [b.label for b in at.get("download_button")]
    assert labels == [f"Download results as {f}" for f in ("CSV", "JSONL", "Parquet")]


@needs_model
def test_scan_jsonl_reports_malformed_lines_and_filters_by_risk() -> None:
    lines = [
        json.dumps({"text": EN_SCAM}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"text": "Dental receptionist at the Oak Street clinic, $20/hr", "x": 1}),
        json.dumps({"text": ""}),
    ]
    at = start()
    at.file_uploader(key="upload").set_value(("ads.jsonl", "\n".join(lines).encode(), "x")).run()
    assert not at.exception
    results = codes(at.tabs[1].dataframe[0].value)
    assert sorted(results["line"]) == [1, 2, 3, 4, 5]
    errors = dict(zip(results["line"], results["error"], strict=True))
    assert "JSON" in errors[2] and errors[3]  # a bad line; a line that is not an object
    assert "empty" in errors[5] or "no text" in errors[5]
    at.multiselect(key="risk_filter").set_value(["high"]).run()
    shown = codes(at.tabs[1].dataframe[0].value)
    assert 1 in set(shown["line"]) and set(shown["risk"]) == {"high"}
    assert not {2, 3, 5} & set(shown["line"])  # error rows are filtered out with the level


@needs_model
def test_scan_parquet_and_bad_files() -> None:
    buf = io.BytesIO()
    pd.DataFrame({"text": [EN_SCAM, "Nurse, city hospital, STR required."]}).to_parquet(buf)
    at = start()
    at.file_uploader(key="upload").set_value(("ads.parquet", buf.getvalue(), "x")).run()
    assert not at.exception
    assert len(codes(at.tabs[1].dataframe[0].value)) == 2
    at.file_uploader(key="upload").set_value(("ads.parquet", b"not parquet", "x")).run()
    assert not at.exception and "could not be read" in at.tabs[1].error[0].value
    at.file_uploader(key="upload").set_value(("ads.csv", b"name,age\nx,1\n", "text/csv")).run()
    assert not at.exception and "no column to score" in at.tabs[1].error[0].value
    bad_bytes = b'text\n\xff\xfe bad bytes\n"Dental receptionist, Oak Street, $20/hr"\n'
    at.file_uploader(key="upload").set_value(("ads.csv", bad_bytes, "text/csv")).run()
    assert not at.exception
    results = codes(at.tabs[1].dataframe[0].value)
    errors = dict(zip(results["line"], results["error"], strict=True))
    assert "not UTF-8" in errors[2] and pd.isna(errors[3])


def test_networks_tab_without_a_scan_points_to_the_scan_tab() -> None:
    at = start()
    nets = at.tabs[2]
    assert [i.value for i in nets.info] == [
        "No file has been scanned yet. Upload a file in the 'Scan a file' tab; the networks "
        "of linked ads found in it are shown here."
    ]
    assert not nets.dataframe and not nets.get("graphviz_chart")
    at.radio(key="ui_lang").set_value("id").run()
    assert not at.exception
    assert "Belum ada berkas yang dipindai" in at.tabs[2].info[0].value
    assert "'Pindai berkas'" in at.tabs[2].info[0].value


SHARED_WA = "whatsapp:+6281277770001"


def _network_csv() -> bytes:
    """Three ads fronted by one WhatsApp number under three company names, three unrelated."""
    fronts = [
        ('Admin "VIP" \\ Kamboja', "Golden Star Ltd", "Admin online di Kamboja, gaji 15jt"),
        ("Customer service Cambodia", "Mekong Bright Co", "Online CS in Phnom Penh, $1,200/month"),
        (
            "Typing job, free visa",
            "Asia Link Digital",
            "Typing staff, free flight, leave in 7 days",
        ),
    ]
    rows = [
        {
            "title": title,
            "company": company,
            "description": f"{desc}. No experience needed. Chat WA +62 812-7777-0001",
        }
        for title, company, desc in fronts
    ]
    rows += [
        {
            "title": "Dental receptionist",
            "company": "Riverside Family Dental",
            "description": "Greet patients and schedule appointments; $20/hr. Call 021 555 0101.",
        },
        {
            "title": "Staff nurse",
            "company": "City Hospital",
            "description": "ICU nurse, STR required. Apply at cityhospital.example.com/careers.",
        },
        {
            "title": "Warehouse operator",
            "company": "PT Logistik Maju",
            "description": "Shift work in Cikarang, UMR salary, BPJS. Email hr@logistikmaju.example",
        },
    ]
    return _csv(rows)


def _frame_with(at_tab, column: str) -> pd.DataFrame:
    found = [codes(d.value) for d in at_tab.dataframe if column in codes(d.value).columns]
    assert len(found) == 1, f"one table with a {column!r} column"
    return found[0]


@needs_model
def test_scan_finds_a_shared_whatsapp_network_and_the_networks_tab_draws_it() -> None:
    at = start()
    at.file_uploader(key="upload").set_value(("ads.csv", _network_csv(), "text/csv")).run()
    assert not at.exception
    # Scan tab: results carry cluster ids; a short table lists the one cluster.
    results = codes(at.tabs[1].dataframe[0].value)
    assert {"cluster_id", "network_risk"} <= set(results.columns)
    by_line = results.set_index("line")
    assert set(by_line.loc[[2, 3, 4], "cluster_id"]) == {"#0"}
    assert set(by_line.loc[[5, 6, 7], "cluster_id"]) == {""}  # in no network
    summary = _frame_with(at.tabs[1], "shared_identifiers")
    assert len(summary) == 1
    row = summary.iloc[0]
    assert row["size"] == 3 and row["n_companies"] == 3
    assert SHARED_WA in row["shared_identifiers"].split(", ")
    assert row["network_risk"] in ("medium", "high")
    # Networks tab: the clusters table, the picked cluster's ads and its graph.
    nets = at.tabs[2]
    assert not nets.info
    clusters = _frame_with(nets, "linked_by")
    assert list(clusters["size"]) == [3] and "shared contact" in clusters["linked_by"][0]
    assert nets.selectbox[0].value == 0 and len(nets.selectbox[0].options) == 1
    ads = _frame_with(nets, "company")
    assert set(ads["company"]) == {"Golden Star Ltd", "Mekong Bright Co", "Asia Link Digital"}
    assert all(SHARED_WA in c for c in ads["contacts"])
    assert set(ads["line"]) == {2, 3, 4}
    graphs = nets.get("graphviz_chart")
    assert len(graphs) == 1
    dot = graphs[0].proto.spec
    assert dot.startswith("graph cluster {") and dot.rstrip().endswith("}")
    shared_node = next(ln.split()[0] for ln in dot.splitlines() if f'label="{SHARED_WA}"' in ln)
    assert sum(ln.strip().endswith(f"-- {shared_node};") for ln in dot.splitlines()) == 3
    assert dot.count("shape=ellipse") == 3
    # Untrusted text is quoted and escaped: the title's quote and backslash survive as text.
    assert 'Admin \\"VIP\\" \\\\ Kamboja' in dot
    assert not nets.caption or not any("limit" in c.value for c in nets.caption)


@needs_model
def test_a_big_cluster_graph_is_truncated_and_says_so() -> None:
    long_title = "Admin online di Kamboja, gaji besar, tiket dan visa ditanggung perusahaan"
    rows = [
        {
            "title": f"{long_title} {i}",
            "company": f"Front company {i}",
            "description": f"Lowongan {i} untuk posisi admin, tanpa pengalaman. Chat WA "
            f"+62 812-7777-0001 atau email rekrut{i}@front{i}.example, telepon "
            f"+62 857-1000-{i:04d}",
        }
        for i in range(20)
    ]
    at = start()
    at.file_uploader(key="upload").set_value(("big.csv", _csv(rows), "text/csv")).run()
    assert not at.exception
    nets = at.tabs[2]
    assert list(_frame_with(nets, "linked_by")["size"]) == [20]
    dot = nets.get("graphviz_chart")[0].proto.spec
    nodes = [ln for ln in dot.splitlines() if "[label=" in ln]
    assert len(nodes) == 60 and dot.count("shape=ellipse") == 20
    assert any(c.value.startswith("The graph shows 60 of ") for c in nets.caption)
    labels = [ln.split('label="', 1)[1].split('"', 1)[0] for ln in nodes]
    assert max(len(x) for x in labels) <= 40 and any(x.endswith("…") for x in labels)


# -- issue 13: hostile file contents, bidi controls, lone surrogates, SIGTERM -----------------
HOSTILE_HEADER = (
    b"[Log in again](https://evil.example/login),![x](http://evil.example/p.png)\nx,y\n"
)


def test_column_names_in_an_error_are_escaped() -> None:
    # Item 17: the header of a file with no scorable column is quoted in st.error.
    at = start()
    at.file_uploader(key="upload").set_value(("ads.csv", HOSTILE_HEADER, "text/csv")).run()
    assert not at.exception
    msg = at.tabs[1].error[0].value
    assert "no column to score" in msg
    assert "[Log in again](" not in msg and "![x](" not in msg and "https://" not in msg
    assert "\\[Log in again\\]\\(https\u2060\\:" in msg  # U+2060 stops GFM's autolinks


RTL_AD = (
    "Customer service in Cambodia, salary USD 1,200. \u202egnihtyna yap ton od\u202c WhatsApp only."
)


@needs_model
def test_right_to_left_override_is_shown_not_obeyed() -> None:
    # Item 18: the override would display the ad reversed; it is written out instead.
    at = score_text(start(), RTL_AD)
    assert not at.exception
    ad_html = next(b for b in html_blocks(at) if 'class="jobscam-ad"' in b)
    assert "\u202e" not in ad_html and "\u202c" not in ad_html
    assert "⟨U&#43;202E⟩" in ad_html and "⟨U&#43;202C⟩" in ad_html
    at = start()
    data = json.dumps({"text": RTL_AD}).encode() + b"\n"
    at.file_uploader(key="upload").set_value(("ads.jsonl", data, "x")).run()
    assert not at.exception
    shown = codes(at.tabs[1].dataframe[0].value)
    cells = [str(v) for v in shown.to_numpy().ravel().tolist()]
    assert not any("\u202e" in c for c in cells)
    assert any("⟨U+202E⟩" in c for c in cells)


@needs_model
def test_upload_with_lone_surrogates_scores_every_row() -> None:
    # Item 6: the page's upload scored 0 of 61 rows (UnicodeEncodeError in vectorize).
    lines = [b'{"text": "Admin di Kamboja \\ud800 gaji 15jt nomor %d"}' % i for i in range(61)]
    at = start()
    at.file_uploader(key="upload").set_value(("ads.jsonl", b"\n".join(lines), "x")).run()
    assert not at.exception
    results = codes(at.tabs[1].dataframe[0].value)
    assert len(results) == 61 and results["error"].isna().all()


@needs_model
def test_tsv_upload_is_split_on_tabs() -> None:
    data = b"title\tdescription\nAdmin, Jakarta\tAccounting work, five years\n"
    at = start()
    at.file_uploader(key="upload").set_value(("ads.tsv", data, "text/tab-separated-values")).run()
    assert not at.exception
    results = codes(at.tabs[1].dataframe[0].value)
    assert results["title"].tolist() == ["Admin, Jakarta"] and results["error"].isna().all()


def test_jobscam_app_stops_streamlit_on_sigterm(tmp_path: Path) -> None:
    # Item 19: SIGTERM to `jobscam app` left Streamlit running.
    import contextlib
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "detector", "app", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # poll (bounded) until the page server answers
            assert proc.poll() is None and time.monotonic() < deadline, "streamlit did not start"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert kids, "jobscam app runs streamlit as a child process"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        for pid in map(int, kids):
            deadline = time.monotonic() + 10
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                try:  # a zombie that init has not reaped yet counts as gone
                    if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                        break
                except OSError:
                    break
                time.sleep(0.1)
            else:
                assert not Path(f"/proc/{pid}").exists(), f"streamlit (pid {pid}) still runs"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in locals().get("kids", []):  # only the streamlit this test started
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(pid), signal.SIGKILL)
