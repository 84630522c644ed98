"""One output contract: the same ads give the same values, field by field, through the Python
API, the CLI's ``--json``, the HTTP API, ``Detector.score_frame`` and scan outputs in CSV,
JSONL and Parquet.

Reference: ``Verdict.to_dict()`` of ``Detector.score``. Batch paths (score_frame, scans, the
HTTP batch endpoint) compute no term contributions (as ``score_many``): their ``terms`` are
empty, and table rows do not repeat ``text`` (it is the row's own columns) or ``terms``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from detector import Detector
from detector.batch import scan
from detector.core import with_fields
from detector.front.cli import main
from detector.front.server import create_app
from detector.rows import NESTED_COLUMNS, RESULT_COLUMNS
from detector.schema import TEXT_FIELDS, Ad, Finding

PASTED = [
    "Dicari admin online di Kamboja, gaji 15 juta/bulan, tiket pesawat gratis, visa turis, "
    "tanpa pengalaman. Hub WA 0812-3456-7890 atau email rekrut@gmail.com segera!",
    "URGENT hiring customer service in Cambodia, USD 1,200/month, free flight, no experience "
    "needed. Contact Telegram @fastjob only. Pay a small processing fee first.",
    "Senior accountant for our Jakarta office. Prepare monthly statements and support the "
    "annual audit. Five years of experience.",
    "Trabajo en Camboya, salario alto, sin experiencia",  # a language nothing here reads
]
FIELDS = [
    {
        "title": "Admin online",
        "company_profile": "PT Maju Jaya",
        "description": "Customer service di Kamboja, gaji 15jt, tanpa pengalaman, hubungi WA "
        "0812-3456-7890",
        "salary_range": "USD 1,200",
        "location": "Phnom Penh",
    },
    {
        "title": "Receptionist",
        "description": "Front desk for a hotel in Bali. Shifts, uniform provided.",
        "location": "Bali, Indonesia",
    },
]


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector.load()


def _batch_view(d: dict[str, Any]) -> dict[str, Any]:
    """``Verdict.to_dict()`` as a table row carries it (see the module docstring)."""
    out = {k: v for k, v in d.items() if k not in ("terms", "text", "probability")}
    out["scam_probability"] = d["probability"]
    out["categories"] = ";".join(d["categories"])
    return out


def _row_view(row: dict[str, Any]) -> dict[str, Any]:
    """One output row's result columns, nested JSON decoded, as ``_batch_view``."""
    out: dict[str, Any] = {}
    for c in RESULT_COLUMNS:
        if c == "error":
            assert row[c] is None or (isinstance(row[c], float) and math.isnan(row[c])), row[c]
            continue
        v = row[c]
        if c in NESTED_COLUMNS and isinstance(v, str):
            v = json.loads(v)
        if c in ("scam_probability", "model_probability", "indicator_probability"):
            v = None if v is None or v != v else float(v)
        out[c] = v
    return out


def test_every_result_column_is_in_the_verdict() -> None:
    batch_keys = set(_batch_view({k: [] for k in ("probability", "categories", "terms")}))
    verdict_keys = {
        "risk", "language", "mode", "findings", "contacts", "amounts", "destinations",
        "caveats", "model_probability", "indicator_probability", "model_version",
    }  # fmt: skip
    assert set(RESULT_COLUMNS) - {"error"} == verdict_keys | batch_keys


def test_python_cli_and_http_agree(det: Detector) -> None:
    with TestClient(create_app(det)) as client:
        for ad in PASTED + FIELDS:
            want = det.score(ad).to_dict()
            body = {"text": ad} if isinstance(ad, str) else {"fields": ad}
            r = client.post("/v1/score", json=body)
            assert r.status_code == 200, r.text
            assert r.json() == want
            r = client.post("/v1/score/batch", json={"ads": [body]})
            assert r.json()["verdicts"][0] == {**want, "terms": []}  # batch: no terms
    for text in PASTED:
        r = CliRunner().invoke(main, ["score", "--json", "--fail-on", "high", text])
        assert r.exit_code in (0, 1), r.output
        assert json.loads(r.output) == det.score(text).to_dict()


def test_findings_say_which_field_they_are_in(det: Detector) -> None:
    seen: set[str | None] = set()
    for ad in PASTED + FIELDS:
        v = det.score(ad)
        for f in v.findings:
            seen.add(f.field)
            assert v.text[f.start : f.end] == f.text
            if isinstance(ad, str):
                assert (f.field, f.field_start, f.field_end) == ("text", f.start, f.end)
            else:
                assert f.field in TEXT_FIELDS
                assert ad[f.field][f.field_start : f.field_end] == f.text, f
    # The fields ad's red flags are in its title, description and salary (not "text").
    assert {"text", "title", "description", "salary_range"} <= seen


def test_score_frame_rows_equal_the_verdicts(det: Detector) -> None:
    frames = [pd.DataFrame({"text": PASTED}), pd.DataFrame(FIELDS)]
    ads = [PASTED, FIELDS]
    for frame, group in zip(frames, ads, strict=True):
        out = det.score_frame(frame)
        assert list(out.columns) == [*frame.columns, *RESULT_COLUMNS]
        for ad, row in zip(group, out.to_dict("records"), strict=True):
            assert _row_view(row) == _batch_view(det.score(ad).to_dict())


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_scan_outputs_equal_the_verdicts(det: Detector, tmp_path: Path, ext: str) -> None:
    src = tmp_path / "ads.jsonl"  # records of both kinds in one file, mapped one by one
    lines = [json.dumps({"text": t}) for t in PASTED] + [json.dumps(f) for f in FIELDS]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / f"out.{ext}"
    scan(str(src), str(out), detector=det)
    if ext == "csv":
        raw = out.read_bytes()
        assert b"\r\n" not in raw  # LF lines
        got = pd.read_csv(out, dtype=str, keep_default_na=False, na_values=[""])
        rows = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in got.to_dict("records")
        ]
        for r in rows:  # CSV writes "" and None alike: no categories reads back as missing
            r["categories"] = r["categories"] or ""
    elif ext == "jsonl":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        # JSONL holds the nested values as JSON, not as text in a string
        assert all(isinstance(r["findings"], list) for r in rows)
    else:
        rows = pd.read_parquet(out).to_dict("records")
    assert len(rows) == len(PASTED) + len(FIELDS)
    for ad, row in zip(PASTED + FIELDS, rows, strict=True):
        assert _row_view(row) == _batch_view(det.score(ad).to_dict()), ad


def test_csv_cell_with_a_lone_carriage_return_stays_in_its_row(
    det: Detector, tmp_path: Path
) -> None:
    src = tmp_path / "in.jsonl"
    ads = [{"text": PASTED[0], "note": "a\rb"}, {"text": PASTED[2], "note": "plain"}]
    src.write_text("\n".join(json.dumps(a) for a in ads) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    scan(str(src), str(out), detector=det)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["note"].tolist() == ["a\rb", "plain"]
    assert b"\r\n" not in out.read_bytes()


# -- fields mode: where a finding is in the ad as given ------------------------------------
def _finding(text: str, start: int, end: int) -> Finding:
    return Finding("r", "c", "t", "t", "w", "w", "s", 0.5, start, end, text[start:end])


def _spans(ad: dict[str, Any], phrase: str, length: int | None = None) -> tuple[Any, ...]:
    a = Ad.from_input(ad)
    start = a.text.index(phrase)
    (f,) = with_fields(a, [_finding(a.text, start, start + (length or len(phrase)))])
    return f.field, f.field_start, f.field_end


@pytest.mark.parametrize(
    ("ad", "phrase", "length", "want"),
    [
        # a pasted ad, and a mapping that brings its own text: offsets into "text"
        ("Gaji 15jt tanpa pengalaman", "15jt", None, ("text", 5, 9)),
        ({"text": "Admin. Gaji 15jt", "title": "Admin"}, "15jt", None, ("text", 12, 16)),
        # the fields after the first: the joined text's offsets are not the field's
        ({"title": "Admin", "description": "Kerja di Kamboja"}, "Kamboja", None,
         ("description", 9, 16)),
        # empty and blank fields are skipped by the join, and by the mapping
        ({"title": "Admin", "company_profile": "", "requirements": "  ", "benefits": "Visa"},
         "Visa", None, ("benefits", 0, 4)),
        # a labelled field: offsets into the value, not the "Salary: " label
        ({"title": "Admin", "salary_range": "USD 1,200"}, "USD", None, ("salary_range", 0, 3)),
        # a match that starts in the label starts at the value's first character
        ({"title": "Admin", "contact": "WA 0812"}, "Contact:", len("Contact: WA"),
         ("contact", 0, 2)),
        # a match that runs on into the next field is cut at the end of its first field
        ({"title": "Admin online", "description": "di Kamboja"}, "online", len("online\ndi"),
         ("title", 6, 12)),
        # leading whitespace of a cell counts: offsets index the value as given
        ({"title": "Admin", "description": "\n  Kerja di Kamboja  "}, "Kamboja", None,
         ("description", 12, 19)),
    ],
)  # fmt: skip
def test_finding_spans_map_into_the_field(
    ad: Any, phrase: str, length: int | None, want: tuple[Any, ...]
) -> None:
    got = _spans(ad if isinstance(ad, dict) else {"text": ad}, phrase, length)
    assert got == want
    field, start, end = got
    value = ad if isinstance(ad, str) else ad.get(field, ad.get("text"))
    if length is None:  # a match inside one field: the slice of the value is the match
        assert value[start:end] == phrase


def test_scored_findings_slice_the_cells_as_given(det: Detector) -> None:
    ad = {"title": "  Admin online", "description": "\n Customer service di Kamboja, gaji 15jt"}
    frame = det.score_frame(pd.DataFrame([ad]))
    findings = json.loads(frame.loc[0, "findings"])
    assert {f["field"] for f in findings} == {"title", "description"}
    for f in findings:
        assert ad[f["field"]][f["field_start"] : f["field_end"]] == f["text"], f
