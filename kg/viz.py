"""networkx graph -> self-contained pyvis HTML (a string; nothing is written to disk)."""

from __future__ import annotations

import html
import json
import re

import networkx as nx
from pyvis.network import Network

COLOURS: dict[str, str] = {
    "Paper": "#8c8c8c",
    "Method": "#1f77b4",
    "Dataset": "#2ca02c",
    "Task": "#ff7f0e",
    "Metric": "#d62728",
    "Concept": "#9467bd",
}
# pyvis always links Bootstrap from a CDN, even with in-line vis.js; the graph
# does not need it, and offline the requests only stall the page.
_REMOTE_TAG_RE = re.compile(
    r"<link\b[^>]*href=\"https?://[^\"]*\"[^>]*>|<script\b[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>",
    re.IGNORECASE,
)


def network_html(g: nx.DiGraph, *, centre: str | None = None, height_px: int = 620) -> str:
    """Render ``g`` (nodes with ``label``/``kind``, edges with ``predicate``) as HTML.

    The vis.js library is embedded in the page, so it works with no network.
    """
    net = Network(height=f"{height_px}px", width="100%", directed=True, cdn_resources="in_line",
                  bgcolor="#ffffff", font_color="#222222")
    # A compact layout, and labels drawn down to 2 px: with vis's defaults a
    # 100-node neighbourhood fits the view at a zoom where every label falls
    # under the 5 px draw threshold and vanishes until the user zooms in.
    net.set_options(json.dumps({
        "physics": {"barnesHut": {"gravitationalConstant": -4000, "centralGravity": 0.35,
                                  "springLength": 95, "springConstant": 0.05, "avoidOverlap": 0.2},
                    "stabilization": {"iterations": 250}},
        "nodes": {"font": {"size": 16}, "scaling": {"label": {"drawThreshold": 2}}},
        "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.4}}},
        "interaction": {"hover": True, "tooltipDelay": 120},
    }))
    for node, data in g.nodes(data=True):
        kind = data.get("kind", "Concept")
        label = data.get("label", node)
        limit = 28 if kind == "Paper" else 40  # titles are long; the tooltip has them whole
        short = label if len(label) <= limit else label[: limit - 1] + "…"
        net.add_node(
            node, label=short, title=f"{kind}: {label}", color=COLOURS.get(kind, "#444444"),
            size=28 if node == centre else 12 + min(16, 2 * g.degree(node)),
            shape="dot" if kind != "Paper" else "square",
        )
    for u, v, data in g.edges(data=True):
        net.add_edge(u, v, title=data.get("predicate", ""), color="#b0b0b0")
    page = net.generate_html(notebook=False)
    return _REMOTE_TAG_RE.sub("", page)


def legend_html() -> str:
    """A colour legend matching ``network_html``."""
    items = "".join(
        f'<span style="margin-right:14px"><span style="display:inline-block;width:11px;height:11px;'
        f'border-radius:6px;background:{c};margin-right:4px"></span>{html.escape(k)}</span>'
        for k, c in COLOURS.items()
    )
    return f'<div style="font-size:0.9em">{items}</div>'
