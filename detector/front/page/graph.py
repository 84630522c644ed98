"""A network's graph as Graphviz DOT: ads (ovals, coloured by risk) and the contacts they
use (boxes), dashed lines for near-identical text. Labels in the reader's language.

Node names are generated (``a0``, ``i0``); untrusted text only appears in quoted labels and
tooltips, through :func:`dot_str`. Ads come first, then contacts shared by several ads, then
the rest, up to :data:`MAX_GRAPH_NODES`.
"""

from __future__ import annotations

import pandas as pd

from . import data
from .tables import RISK_COLOURS, row_numbers
from .words import column, word

#: Most nodes drawn in a cluster's graph (ads first, then identifiers).
MAX_GRAPH_NODES = 60
#: Longest label in the graph, in characters.
MAX_LABEL = 40


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
    lang: str,
) -> tuple[str, int, int]:
    """DOT source of a cluster's graph; returns (dot, nodes drawn, nodes in the cluster)."""
    num, nums = row_numbers(members)
    num_word = column(lang, num)
    ids_of = [[x for x in data.contact_ids(c) if x not in hubs] for c in members["contacts"]]
    uses: dict[str, int] = {}
    for ids in ids_of:
        for i in ids:
            uses[i] = uses.get(i, 0) + 1
    total = len(members) + len(uses)
    n_ads = min(len(members), MAX_GRAPH_NODES if not uses else MAX_GRAPH_NODES * 2 // 3)
    seen: dict[str, int] = {}
    for r in range(n_ads):
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
    for r in range(n_ads):
        risk = risks[r] if isinstance(risks[r], str) else ""
        colour = RISK_COLOURS.get(risk, "#777777")
        p = "" if probs[r] != probs[r] else f" {probs[r]:.0%}"
        label = dot_str(f"{num_word} {nums[r]}{p}: {titles[r]}")
        tip = dot_str(titles[r] if companies is None else f"{titles[r]} ({companies[r]})", 200)
        lines.append(
            f"  a{r} [label={label}, tooltip={tip}, shape=ellipse, style=filled, "
            f'fillcolor="{colour}", fontcolor="white"];'
        )
    for i, node in id_node.items():
        pen = ", penwidth=2" if seen[i] > 1 else ""
        lines.append(f"  {node} [label={dot_str(i)}, tooltip={dot_str(i, 200)}, shape=box{pen}];")
    for r in range(n_ads):
        for i in ids_of[r]:
            if i in id_node:
                lines.append(f"  a{r} -- {id_node[i]};")
    similar = dot_str(word(lang, "ui", "similar"))
    for a, b in links:
        if a < n_ads and b < n_ads:
            lines.append(f"  a{a} -- a{b} [style=dashed, label={similar}, fontsize=8];")
    lines.append("}")
    return "\n".join(lines), n_ads + len(id_node), total
