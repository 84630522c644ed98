"""Safe HTML for an ad with every red flag highlighted where it occurs.

Ad text is untrusted: it may hold ``<script>``, ``onerror=`` attributes, ``javascript:`` links
or Markdown that a renderer would turn into links, images, LaTeX or coloured text. Everything
taken from the ad (and from the findings) is HTML-escaped here, and the characters Markdown or
Streamlit give a meaning (``* _ [ ] ( ) ` # ~ | $ : ! \\ { } + - = >``) are written as numeric
character references, which renderers show as the character and never parse as markup. Line
breaks become ``<br>``, so the output is one line: no blank line can end the HTML block and
hand the rest back to a Markdown parser.

Overlapping findings are handled by cutting the text at every span boundary: each piece is
wrapped once, coloured by the strongest finding covering it, and its tooltip lists all of
them. Pure functions: no Streamlit, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import i18n
from ..schema import Finding

#: Characters Markdown (or Streamlit's extensions: LaTeX, emoji/colour directives) interprets.
_MARKDOWN_CHARS = "*_[]()`#~|$:!\\{}+-=>.<&\"'"
_ENTITY = {ord(c): f"&#{ord(c)};" for c in _MARKDOWN_CHARS}

#: Background colours per category (light, readable with dark text). Unknown -> default.
CATEGORY_COLOURS: dict[str, str] = {
    "fees": "#ffb3b3",
    "debt": "#ffc9a3",
    "documents": "#ffd59e",
    "visa": "#ffe08a",
    "unrealistic_pay": "#fff09e",
    "low_bar": "#e6f2a0",
    "vague_employer": "#d2ecb0",
    "chat_only": "#b8e6c9",
    "personal_data": "#ffb8d9",
    "all_paid": "#b8e3e6",
    "risky_destination": "#f5a6a6",
    "scam_compound_role": "#f0b3ff",
    "targets_vulnerable": "#e0b8ff",
    "sexual_exploitation_role": "#d9a3ff",
    "isolation_control": "#c7c7ff",
    "excessive_hours": "#b8d4ff",
    "urgency": "#ffd1b3",
    "task_scam": "#ffc2e0",
    "no_contract": "#d9d9d9",
}
DEFAULT_COLOUR = "#ffe08a"


#: Bidirectional controls: an override (U+202E) makes a browser show the text after it
#: reversed, so a reviewer would read something other than what the ad says.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_SHOW_BIDI = {ord(c): f"⟨U+{ord(c):04X}⟩" for c in BIDI_CONTROLS}


def show_controls(text: str) -> str:
    """``text`` with each bidi control written visibly, e.g. ``⟨U+202E⟩``, so it has no
    effect on the display and a reader sees it is there. For display only."""
    return text.translate(_SHOW_BIDI)


def escape_text(text: str) -> str:
    """Escape untrusted text for HTML that may also pass through a Markdown renderer.

    Every character with meaning in HTML or Markdown becomes a numeric character reference;
    bidi controls are shown as ``⟨U+202E⟩``; newlines become ``<br>``; carriage returns and
    NUL are dropped.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    out = show_controls(text).translate(_ENTITY)
    return out.replace("\n", "<br>")


def _attr(text: str) -> str:
    """Escape for a double-quoted attribute value (newlines as the &#10; entity)."""
    return escape_text(text).replace("<br>", "&#10;")


def colour_for(category: str) -> str:
    return CATEGORY_COLOURS.get(category, DEFAULT_COLOUR)


def _valid(f: Finding, n: int) -> bool:
    return isinstance(f.start, int) and isinstance(f.end, int) and 0 <= f.start < f.end <= n


def numbered(findings: Sequence[Finding]) -> dict[str, int]:
    """Legend numbers: one per distinct rule, in order of first appearance in the text."""
    order: dict[str, int] = {}
    for f in sorted(findings, key=lambda f: (f.start, f.end)):
        order.setdefault(f.rule_id, len(order) + 1)
    return order


def category_title(category: str, lang: str) -> str:
    """A category's readable title in ``lang`` (the code only if the catalogue lacks it)."""
    return i18n.section(lang, "category").get(category, category)


def _tooltip(f: Finding, lang: str) -> str:
    lab = i18n.section(lang, "flag")
    return (
        f"{f.title(lang)}\n{lab['category']}: {category_title(f.category, lang)}\n"
        f"{lab['why']}: {f.why(lang)}\n{lab['source']}: {f.source}"
    )


#: A tap (or a keyboard Tab) focuses a highlight and shows its explanation below it: a
#: ``title`` tooltip alone needs a mouse, which a phone does not have. Constant CSS that a
#: page includes once beside :func:`highlight_html` (each ``<mark>`` has ``tabindex``).
TAP_CSS = (
    "<style>.jobscam-flag{position:relative;cursor:help}"
    ".jobscam-flag:focus{outline:2px solid #333}"
    ".jobscam-flag:focus::after{content:attr(data-tip);white-space:pre-line;position:absolute;"
    "left:0;top:1.7em;z-index:20;width:max-content;max-width:min(28em,80vw);background:#fff;"
    "color:#111;border:1px solid #888;border-radius:4px;padding:0.4em 0.6em;font-size:0.85em;"
    "line-height:1.4;box-shadow:0 2px 6px rgba(0,0,0,.25)}"
    # On a phone a tip anchored to a mark near the right edge would be cut off: show it as a
    # sheet across the bottom of the screen instead.
    "@media (max-width:640px){.jobscam-flag:focus::after{position:fixed;left:0.5em;"
    "right:0.5em;top:auto;bottom:0.5em;width:auto;max-width:none}}</style>"
)


def highlight_html(text: str, findings: Sequence[Finding], lang: str = "en") -> str:
    """The ad as safe one-line HTML, each finding wrapped in ``<mark>`` where it occurs.

    Parameters
    ----------
    text
        The ad text the findings' ``start``/``end`` index (``verdict.text``).
    findings
        The verdict's findings; spans outside the text or empty are ignored, overlaps allowed.
    lang
        ``"en"`` or ``"id"``: the language of tooltips.

    Returns
    -------
    str
        ``<div class="jobscam-ad">...</div>``; each highlighted piece is
        ``<mark class="jobscam-flag" data-category=... title=...>`` followed by the legend
        numbers of the findings covering it.
    """
    n = len(text)
    valid = [f for f in findings if _valid(f, n)]
    numbers = numbered(valid)
    cuts = sorted({0, n, *(f.start for f in valid), *(f.end for f in valid)})
    parts: list[str] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = escape_text(text[a:b])
        covering = [f for f in valid if f.start <= a and b <= f.end]
        if not covering:
            parts.append(piece)
            continue
        top = max(covering, key=lambda f: (f.weight, f.end - f.start))
        # One tooltip line block per distinct rule covering this piece.
        seen: dict[str, Finding] = {}
        for f in sorted(covering, key=lambda f: numbers[f.rule_id]):
            seen.setdefault(f.rule_id, f)
        title = "\n\n".join(_tooltip(f, lang) for f in seen.values())
        cats = " ".join(dict.fromkeys(f.category for f in seen.values()))
        parts.append(
            f'<mark class="jobscam-flag" data-category="{_attr(cats)}" '
            f'style="background:{colour_for(top.category)};padding:0 2px;border-radius:3px" '
            f'tabindex="0" title="{_attr(title)}" data-tip="{_attr(title)}">{piece}</mark>'
        )
        # Legend numbers after the last piece of each finding.
        ends = [numbers[f.rule_id] for f in seen.values() if f.end == b]
        if ends:
            parts.append(f"<sup>{','.join(str(k) for k in sorted(set(ends)))}</sup>")
    return (
        '<div class="jobscam-ad" style="white-space:normal;line-height:1.7;'
        "border:1px solid #ccc;border-radius:6px;padding:0.8em;font-family:inherit;"
        'overflow-wrap:anywhere">' + "".join(parts) + "</div>"
    )


def legend_html(findings: Sequence[Finding], lang: str = "en") -> str:
    """Safe one-line HTML list: number, colour, category, title, quoted text, why and source."""
    lab = i18n.section(lang, "flag")
    numbers = numbered(findings)
    first: dict[str, Finding] = {}
    texts: dict[str, list[str]] = {}
    for f in sorted(findings, key=lambda f: (f.start, f.end)):
        first.setdefault(f.rule_id, f)
        texts.setdefault(f.rule_id, [])
        if f.text not in texts[f.rule_id]:
            texts[f.rule_id].append(f.text)
    items = []
    for rule_id, f in sorted(first.items(), key=lambda kv: numbers[kv[0]]):
        quoted = ", ".join(f"“{escape_text(t)}”" for t in texts[rule_id][:5])
        items.append(
            f'<li class="jobscam-legend-item" data-rule="{_attr(rule_id)}">'
            f"<b>{numbers[rule_id]}</b> "
            f'<span style="background:{colour_for(f.category)};padding:0 4px;'
            f'border-radius:3px">{escape_text(category_title(f.category, lang))}</span> '
            f"<b>{escape_text(f.title(lang))}</b> — {lab['found']}: {quoted}<br>"
            f"{escape_text(f.why(lang))}<br>"
            f"<small>{lab['source']}: {escape_text(f.source)}</small></li>"
        )
    return (
        '<ol class="jobscam-legend" style="list-style:none;padding-left:0">'
        + "".join(items)
        + "</ol>"
    )
