"""Issue 13: property-based tests. Random Unicode (lone surrogates, controls, bidi overrides,
CSV and JSON metacharacters, mixed with real red-flag wording so findings occur) through
``Detector.score``, ``score_frame``, ``scan`` (CSV/JSONL/Parquet in and out) and the HTTP API.

Properties: nothing crashes; every finding, contact, amount and destination span indexes the
text the verdict returns (``text[start:end] == item.text``); rows in = rows out (each row
scored or an error row, never both, never lost).

Budget: ``JOBSCAM_FUZZ`` unset (CI) runs 30 examples per test; ``JOBSCAM_FUZZ=nightly`` runs
2,000; ``JOBSCAM_FUZZ=<n>`` runs n. Median, p99 and worst time per input of each test go to
tests/artifacts/fuzz_timings.json.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detector import AdError, Detector
from detector.batch import scan
from detector.front.server import create_app
from detector.schema import clean_text

_MODE = os.environ.get("JOBSCAM_FUZZ", "")
EXAMPLES = 2_000 if _MODE == "nightly" else int(_MODE) if _MODE.isdigit() else 30
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=_MODE == "",  # CI: the same inputs on every run, so a failure reproduces
)
ARTIFACTS = Path(__file__).parent / "artifacts"

#: Wording the red-flag rules, contact and money extractors react to, so spans get checked.
WORDS = [
    "WhatsApp +62 812 3456 7890", "Telegram @fastjob", "gaji 15jt", "USD 1,200/month",
    "Kamboja", "Cambodia", "visa turis", "biaya pendaftaran Rp 1.500.000", "no experience",
    "customer service", "hrd@contoh.co.id", "bit.ly/abc", "paspor ditahan", "free flight",
    "Senior accountant", "Jakarta", " ", "\n", "\r\n", ". ",
]  # fmt: skip
#: Characters that have broken parsers before: surrogates, controls, zero-width, bidi.
SPECIAL = [
    "\ud800", "\udfff", "\udc80", "\x00", "\x1b", "\x7f", "\r", "\t", "\u200b", "\u200d",
    "\ufeff", "\u202e", "\u202c", "\u2066", "\u2028", "\ufffd", '"', ",", "\\", "{", "[",
    "é", "\u0301", "ﬁ", "Ⅻ", "𝔸", "🔥", "٣", "ß", "İ",
]  # fmt: skip
ANY_CHAR = st.characters(codec=None, categories=None)  # every code point, surrogates too
PIECE = st.one_of(st.sampled_from(WORDS), st.sampled_from(SPECIAL), st.text(ANY_CHAR, max_size=12))
TEXT = st.lists(PIECE, max_size=24).map("".join)

TIMES: dict[str, list[tuple[float, int]]] = {}


def timed(name: str, seconds: float, size: int) -> None:
    TIMES.setdefault(name, []).append((seconds, size))


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    ARTIFACTS.mkdir(exist_ok=True)
    report: dict[str, Any] = {"examples_per_test": EXAMPLES}
    for name, runs in TIMES.items():
        secs = sorted(t for t, _ in runs)
        worst = max(runs)
        report[name] = {
            "inputs": len(runs),
            "median_s": round(secs[len(secs) // 2], 4),
            "p99_s": round(secs[min(len(secs) - 1, int(len(secs) * 0.99))], 4),
            "worst_s": round(worst[0], 4),
            "worst_input_chars": worst[1],
        }
    (ARTIFACTS / "fuzz_timings.json").write_text(json.dumps(report, indent=1))


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector.load()


def assert_spans(v: dict[str, Any]) -> None:
    text = v["text"]
    for kind in ("findings", "contacts", "amounts", "destinations"):
        for item in v[kind]:
            assert text[item["start"] : item["end"]] == item["text"], (kind, item)


# -- Detector.score ---------------------------------------------------------------------------
@FUZZ
@given(text=TEXT)
def test_score_never_crashes_and_spans_index_the_returned_text(det: Detector, text: str) -> None:
    t0 = time.perf_counter()
    try:
        v = det.score(text)
    except AdError:
        return  # refused with a message (empty, too long): a documented outcome
    finally:
        timed("score", time.perf_counter() - t0, len(text))
    assert v.text == clean_text(text) and len(v.text) == len(text)
    assert 0.0 <= v.probability <= 1.0 and v.risk in ("low", "medium", "high")
    assert_spans(v.to_dict())


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["title", "description", "contact", "location"]),
                              TEXT, min_size=1, max_size=4))  # fmt: skip
def test_score_fields_never_crashes(det: Detector, fields: dict[str, str]) -> None:
    t0 = time.perf_counter()
    try:
        v = det.score(fields)
    except AdError:
        return
    finally:
        timed("score_fields", time.perf_counter() - t0, sum(map(len, fields.values())))
    assert_spans(v.to_dict())


# -- score_frame ------------------------------------------------------------------------------
CELL = st.one_of(TEXT, st.none(), st.just(math.nan), st.integers(-(10**6), 10**6))


@FUZZ
@given(cells=st.lists(CELL, min_size=1, max_size=12))
def test_score_frame_keeps_every_row(det: Detector, cells: list[Any]) -> None:
    frame = pd.DataFrame({"text": pd.Series(cells, dtype=object), "id": range(len(cells))})
    t0 = time.perf_counter()
    out = det.score_frame(frame)
    timed("score_frame", time.perf_counter() - t0, len(cells))
    assert len(out) == len(cells) and out["id"].tolist() == list(range(len(cells)))
    scored = out["risk"].notna()
    errored = out["error"].map(lambda e: isinstance(e, str))
    assert (scored ^ errored).all()  # each row is scored or an error row, never both
    for cell, (_, row) in zip(cells, out.iterrows(), strict=True):
        if isinstance(row["findings"], str):
            text = clean_text(str(cell))
            for f in json.loads(row["findings"]):
                assert text[f["start"] : f["end"]] == f["text"]


# -- scan: every format in and out -----------------------------------------------------------
def write_input(path: Path, fmt: str, texts: list[str]) -> None:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, quoting=csv.QUOTE_ALL)
        w.writerow(["id", "text"])
        for i, t in enumerate(texts):
            w.writerow([str(i), t])
        # Surrogates become bytes that are not UTF-8 (error rows), as in a broken export.
        path.write_bytes(buf.getvalue().encode("utf-8", errors="surrogatepass"))
    elif fmt == "jsonl":  # \\udXXX escapes for surrogates
        path.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                                for i, t in enumerate(texts)))  # fmt: skip
    else:  # Arrow strings are valid UTF-8: surrogates cannot be stored
        pq.write_table(
            pa.table(
                {"id": [str(i) for i in range(len(texts))], "text": [clean_text(t) for t in texts]}
            ),  # fmt: skip
            path,
        )


def read_output(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_parquet(path)


@FUZZ
@given(
    texts=st.lists(TEXT, min_size=1, max_size=8),
    in_fmt=st.sampled_from(["csv", "jsonl", "parquet"]),
    out_fmt=st.sampled_from(["csv", "jsonl", "parquet"]),
)
def test_scan_accounts_for_every_row_in_every_format(
    det: Detector, tmp_path_factory: pytest.TempPathFactory, texts: list[str], in_fmt: str,
    out_fmt: str,
) -> None:  # fmt: skip
    d = tmp_path_factory.mktemp("fuzz")
    src, out = d / f"in.{in_fmt}", d / f"out.{out_fmt}"
    write_input(src, in_fmt, texts)
    t0 = time.perf_counter()
    s = scan(str(src), str(out), detector=det, chunk_size=3)
    timed("scan", time.perf_counter() - t0, sum(map(len, texts)))
    assert s.rows_in == len(texts)
    assert s.rows_in == s.rows_scored + s.rows_error == s.rows_out + s.rows_filtered
    got = read_output(out)
    assert len(got) == s.rows_out == len(texts)
    assert got["id"].astype(str).tolist() == [str(i) for i in range(len(texts))]
    assert int(got["error"].notna().sum()) == s.rows_error == len(s.error_rows)
    if out_fmt != "csv":  # JSONL and Parquet give strings back exactly
        for _, row in got.iterrows():
            if isinstance(row["findings"], str):
                for f in json.loads(row["findings"]):
                    assert row["text"][f["start"] : f["end"]] == f["text"]


# -- HTTP -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(det: Detector) -> Iterator[TestClient]:
    with TestClient(create_app(det), raise_server_exceptions=False) as c:
        yield c


JSON = {"content-type": "application/json"}


@FUZZ
@given(text=TEXT)
def test_http_score_never_fails_and_spans_hold(client: TestClient, text: str) -> None:
    body = json.dumps({"text": text}).encode()  # ASCII JSON: surrogates as \\udXXX escapes
    t0 = time.perf_counter()
    r = client.post("/v1/score", content=body, headers=JSON)
    timed("http_score", time.perf_counter() - t0, len(text))
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        v = r.json()
        # What the JSON says: an escaped surrogate pair is one character (U+10000 and up)
        # there, two lone surrogates in a Python string.
        assert v["text"] == clean_text(json.loads(body)["text"])
        assert_spans(v)
    else:
        assert all(e["loc"][:3] != ["body", "text", "text"] for e in r.json()["detail"])


@FUZZ
@given(texts=st.lists(TEXT, min_size=1, max_size=6))
def test_http_batch_answers_every_item(client: TestClient, texts: list[str]) -> None:
    body = json.dumps({"ads": [{"text": t} for t in texts]}).encode()
    t0 = time.perf_counter()
    r = client.post("/v1/score/batch", content=body, headers=JSON)
    timed("http_batch", time.perf_counter() - t0, sum(map(len, texts)))
    assert r.status_code == 200, r.text
    d = r.json()
    assert len(d["verdicts"]) == len(texts)
    bad = {e["index"] for e in d["errors"]}
    for i, v in enumerate(d["verdicts"]):
        assert (v is None) == (i in bad)
        if v is not None:
            assert_spans(v)
