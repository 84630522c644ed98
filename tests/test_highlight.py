"""The highlighted ad is safe HTML that shows the ad exactly, with every finding marked in place."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from detector.front.highlight import TAP_CSS, escape_text, highlight_html, legend_html
from detector.rules import load_registry
from detector.schema import Finding

ADS = [
    json.loads(line)
    for line in (Path(__file__).parent.parent / "data" / "project_ads.jsonl").open(encoding="utf-8")
]
XSS = (
    "<img src=x onerror=alert(1)> <script>alert('x')</script> "
    '<a href="javascript:alert(2)">apply</a> [apply here](javascript:alert(3)) '
    "![pic](http://evil.example/x.png) **bold** $x^2$ :red[red] <!-- c --> &amp; </div>"
)


def finding(start: int, end: int, text: str, rule_id: str = "r1", category: str = "fees",
            weight: float = 0.5, why: str = "because") -> Finding:  # fmt: skip
    return Finding(
        rule_id=rule_id,
        category=category,
        title_en=f"Title {rule_id}",
        title_id=f"Judul {rule_id}",
        why_en=why,
        why_id=f"alasan {why}",
        source="ILO <test>",
        weight=weight,
        start=start,
        end=end,
        text=text[start:end],
    )


class Reader(HTMLParser):
    """Collects what a browser would show as text, the marks, and every tag/attribute seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.marks: list[dict[str, str]] = []
        self.mark_text: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self._in_mark = False
        self._in_sup = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((k, v or "") for k, v in attrs)
        if tag == "br":
            self.text.append("\n")
            if self._in_mark:
                self.mark_text[-1] += "\n"
        elif tag == "mark":
            self._in_mark = True
            self.marks.append({k: v or "" for k, v in attrs})
            self.mark_text.append("")
        elif tag == "sup":
            self._in_sup = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self._in_mark = False
        elif tag == "sup":
            self._in_sup = False

    def handle_data(self, data: str) -> None:
        if self._in_sup:
            return
        self.text.append(data)
        if self._in_mark:
            self.mark_text[-1] += data


def read(html_text: str) -> Reader:
    r = Reader()
    r.feed(html_text)
    r.close()
    return r


@pytest.mark.parametrize("ad", ADS, ids=[a["id"] for a in ADS])
def test_project_ads_show_exactly_their_text_with_every_finding_marked(ad: dict) -> None:
    text = ad["text"]
    findings = load_registry().analyze(text).findings
    out = highlight_html(text, findings, ad["language"])
    r = read(out)
    assert "".join(r.text) == text.replace("\r\n", "\n")
    assert set(r.tags) <= {"div", "mark", "br", "sup"}
    # The marked characters are exactly the union of the finding spans.
    covered = sorted({i for f in findings for i in range(f.start, f.end)})
    assert "".join(r.mark_text) == "".join(text[i] for i in covered)
    for f in findings:
        assert f.category in " ".join(m["data-category"] for m in r.marks)


def test_scam_ad_has_marks() -> None:
    text = next(a["text"] for a in ADS if a["id"] == "id-001")
    findings = load_registry().analyze(text).findings
    assert len(findings) >= 5
    assert len(read(highlight_html(text, findings)).marks) >= len({f.rule_id for f in findings})


@pytest.mark.parametrize(
    "needle",
    ["<img", "<script", "<a ", "javascript:", "onerror=", "](", "![", "**", "$x", ":red[", "<!--",
     "</div><"],
)  # fmt: skip
def test_hostile_text_is_escaped(needle: str) -> None:
    text = XSS + " registration fee required"
    f = finding(text.index("registration"), len(text), text)
    out = highlight_html(text, [f])
    assert needle not in out.replace('<div class="jobscam-ad"', "").rsplit("</div>", 1)[0]
    r = read(out)
    assert "".join(r.text) == text
    assert set(r.tags) <= {"div", "mark", "br", "sup"}
    assert not any(k.startswith("on") or k == "href" or k == "src" for k, _ in r.attrs)


def test_output_is_one_line_so_markdown_cannot_take_over() -> None:
    text = "line one\n\n\n# heading\n\n* item\r\n> quote"
    out = highlight_html(text, [finding(0, 4, text)])
    assert "\n" not in out and "\r" not in out
    assert "".join(read(out).text) == text.replace("\r\n", "\n")


def test_overlapping_findings_are_cut_into_pieces_with_all_titles() -> None:
    text = "pay the registration fee now"
    a = finding(4, 24, text, rule_id="a", category="fees", weight=0.4)
    b = finding(8, 28, text, rule_id="b", category="urgency", weight=0.9)
    r = read(highlight_html(text, [a, b]))
    assert r.mark_text == [text[4:8], text[8:24], text[24:28]]
    assert "Title a" in r.marks[0]["title"] and "Title b" not in r.marks[0]["title"]
    assert "Title a" in r.marks[1]["title"] and "Title b" in r.marks[1]["title"]
    assert r.marks[1]["data-category"] == "fees urgency"
    # The strongest finding colours the shared piece.
    assert "background:#ffd1b3" in r.marks[1]["style"]
    assert "".join(r.text) == text


def test_nested_and_duplicate_findings() -> None:
    text = "visa turis dan tiket ditanggung"
    outer = finding(0, len(text), text, rule_id="outer", category="all_paid")
    inner = finding(5, 10, text, rule_id="inner", category="visa")
    r = read(highlight_html(text, [outer, inner, inner]))
    assert r.mark_text == [text[:5], text[5:10], text[10:]]
    assert "".join(r.text) == text


@pytest.mark.parametrize("span", [(-1, 3), (3, 3), (5, 2), (0, 999)])
def test_invalid_spans_are_ignored_not_fatal(span: tuple[int, int]) -> None:
    text = "short ad"
    bad = Finding("x", "fees", "t", "t", "w", "w", "s", 0.5, span[0], span[1], "")
    r = read(highlight_html(text, [bad]))
    assert r.marks == [] and "".join(r.text) == text


def test_tooltip_has_category_why_and_source_in_the_chosen_language() -> None:
    text = "registration fee"
    f = finding(0, len(text), text, why='a "quoted" <why>')
    en = read(highlight_html(text, [f], "en")).marks[0]["title"]
    assert "Title r1" in en and "category: Fees" in en and 'why: a "quoted" <why>' in en
    assert "source: ILO <test>" in en
    idn = read(highlight_html(text, [f], "id")).marks[0]["title"]
    assert "Judul r1" in idn and "kategori: Biaya" in idn and "sumber: ILO <test>" in idn
    assert "fees" not in idn  # a category is shown by its title, never by its code


def test_a_tap_shows_the_explanation_too() -> None:
    """Phones have no hover: each highlight takes focus (tabindex) and carries the
    explanation in data-tip, which TAP_CSS shows on focus."""
    text = "registration fee"
    f = finding(0, len(text), text)
    mark = read(highlight_html(text, [f], "id")).marks[0]
    assert mark["tabindex"] == "0" and mark["data-tip"] == mark["title"]
    assert ":focus::after" in TAP_CSS and "attr(data-tip)" in TAP_CSS


def test_legend_lists_each_rule_once_escaped() -> None:
    text = "<b>fee</b> and fee"
    f1 = finding(3, 6, text, rule_id="fee", why="<script>x</script>")
    f2 = finding(15, 18, text, rule_id="fee", why="<script>x</script>")
    out = legend_html([f1, f2])
    assert "<script" not in out
    r = read(out)
    assert r.tags.count("li") == 1
    shown = "".join(r.text)
    assert "Fees" in shown and "Title fee" in shown and "<script>x</script>" in shown
    assert "ILO <test>" in shown


def test_escape_text_keeps_unicode() -> None:
    assert escape_text("🔥 Gaji 15jt ✅") == "🔥 Gaji 15jt ✅"
    assert escape_text("a<b") == "a&#60;b"
