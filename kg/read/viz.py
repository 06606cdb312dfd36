"""networkx graph -> self-contained pyvis HTML (a string; nothing is written to disk)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable

import networkx as nx
from pyvis.network import Network

from kg.model import EntityType
from kg.read.projection import PAPER

COLOURS: dict[str, str] = {
    PAPER: "#8c8c8c",
    EntityType.METHOD: "#1f77b4",
    EntityType.DATASET: "#2ca02c",
    EntityType.TASK: "#ff7f0e",
    EntityType.METRIC: "#d62728",
    EntityType.CONCEPT: "#9467bd",
}
# pyvis always links Bootstrap from a CDN, even with in-line vis.js; the graph
# does not need it, and offline the requests only stall the page.
_REMOTE_TAG_RE = re.compile(
    r"<link\b[^>]*href=\"https?://[^\"]*\"[^>]*>|<script\b[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>",
    re.IGNORECASE,
)


# vis-network shows a string tooltip as plain text; these turn each ``title``
# (markup built from escaped text by the caller) into an element, and let the
# tooltip wrap instead of running off the canvas.
_TIP_CSS = """<style>
.vis-tooltip{white-space:normal!important;max-width:460px;font-family:system-ui,-apple-system,"Segoe UI",
  sans-serif!important;font-size:12.5px!important;line-height:1.4;color:#222!important;padding:7px 9px!important}
.abx-tip b{font-weight:600} .abx-tip .muted{color:#666}
.abx-tip mark{background:#ffe08a;padding:0 1px;border-radius:2px}
.abx-tip ul{margin:4px 0 0 0;padding-left:16px} .abx-tip li{margin-bottom:3px}
</style>
"""
_TIP_JS = """
                  function abxTip(markup) { var d = document.createElement("div"); d.className = "abx-tip";
                      d.innerHTML = markup; return d; }
                  [nodes, edges].forEach(function (set) {
                      set.update(set.get().filter(function (x) { return typeof x.title === "string"; })
                                          .map(function (x) { return {id: x.id, title: abxTip(x.title)}; }));
                  });
                  network = new vis.Network(container, data, options);"""


def network_html(g: nx.DiGraph, *, centre: str | None = None, height_px: int = 620) -> str:
    """Render ``g`` (nodes with ``label``/``kind``, edges with ``predicate``) as HTML.

    A node or edge attribute ``tip`` is its tooltip, as markup whose text the
    caller has escaped; without one the tooltip is the kind and label (nodes)
    or the predicate (edges). An edge ``confidence`` sets its width.
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
        kind = data.get("kind", EntityType.CONCEPT.value)
        label = data.get("label", node)
        limit = 28 if kind == PAPER else 40  # titles are long; the tooltip has them whole
        short = label if len(label) <= limit else label[: limit - 1] + "…"
        net.add_node(
            node, label=short, title=data.get("tip") or html.escape(f"{kind}: {label}"),
            color=COLOURS.get(kind, "#444444"),
            size=28 if node == centre else 12 + min(16, 2 * g.degree(node)),
            shape="dot" if kind != PAPER else "square",
        )
    for u, v, data in g.edges(data=True):
        confidence = data.get("confidence")
        width = 1 + 3 * max(0.0, min(1.0, confidence)) if confidence is not None else 1
        net.add_edge(u, v, title=data.get("tip") or html.escape(data.get("predicate", "")), color="#b0b0b0",
                     width=round(width, 2))
    page = _REMOTE_TAG_RE.sub("", net.generate_html(notebook=False))
    page = page.replace("</head>", _TIP_CSS + "</head>", 1)
    return page.replace("network = new vis.Network(container, data, options);", _TIP_JS.strip(), 1)


# ------------------------------------------------------------- the concept map

# Community colours, in the order communities first appear among the map's nodes (most relevant first).
PALETTE: tuple[str, ...] = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
                            "#ff9da7", "#9c755f", "#17becf", "#bcbd22", "#7f7f7f")
NO_COMMUNITY = "#c7c7c7"
# Fixed positions, no physics: the same view is drawn the same way on every rerun. The tooltip is kept
# inside the frame (vis places it above the pointer near the bottom, where its top may leave the frame),
# scrolls when taller than the frame, and a double click on a node opens the address in its ``href``.
_CONCEPT_JS = """
                  network.on("showPopup", function () {
                      var tip = container.parentNode.querySelector(".vis-tooltip"); if (!tip) { return; }
                      tip.style.maxHeight = (container.clientHeight - 12) + "px"; tip.style.overflowY = "auto";
                      var top = parseFloat(tip.style.top) || 0, left = parseFloat(tip.style.left) || 0;
                      var room = container.clientHeight - tip.offsetHeight - 4;
                      tip.style.top = Math.max(4, Math.min(top, room)) + "px";
                      tip.style.left = Math.max(4, Math.min(left, container.clientWidth - tip.offsetWidth - 4)) + "px";
                  });
                  network.on("doubleClick", function (p) {
                      if (!p.nodes.length) { return; } var href = nodes.get(p.nodes[0]).href;
                      if (href) { window.top.location.href = new URL(href, document.baseURI).href; }
                  });"""


def community_colours(nodes: Iterable[dict]) -> dict[str, str]:
    """A colour per community (its IRI), in order of first appearance; the palette repeats past its end."""
    order: dict[str, str] = {}
    for n in nodes:
        if n.get("community") and n["community"] not in order:
            order[n["community"]] = PALETTE[len(order) % len(PALETTE)]
    return order


def concept_html(nodes: Iterable[dict], edges: Iterable[dict], positions: dict[str, tuple[float, float]], *,
                 centre: str | None = None, colour_by: str = "community", height_px: int = 640) -> str:
    """Render a concept map (``kg.read.concepts.ConceptMap`` nodes and edges) at fixed ``positions``.

    Nodes are coloured by community or type (``colour_by``) and sized by papers; only ``labelled``
    nodes show their label. A node's or edge's ``tip`` (markup, text escaped by the caller) is its
    tooltip, and a node's ``href`` the address a double click opens. Relations are solid arrows
    (wider when surer), co-occurrence dashed lines (wider with more shared papers).
    """
    nodes = list(nodes)
    colours = community_colours(nodes)
    net = Network(height=f"{height_px}px", width="100%", directed=True, cdn_resources="in_line",
                  bgcolor="#ffffff", font_color="#222222")
    net.set_options(json.dumps({
        "physics": {"enabled": False},
        "nodes": {"font": {"size": 15, "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "scaling": {"label": {"drawThreshold": 3}}},
        "edges": {"smooth": False},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": True},
    }))
    for n in nodes:
        colour = (colours.get(n.get("community") or "", NO_COMMUNITY) if colour_by == "community"
                  else COLOURS.get(n.get("type", ""), "#444444"))
        label = n.get("label", n["iri"])
        short = label if len(label) <= 32 else label[:31] + "…"
        x, y = positions.get(n["iri"], (0.0, 0.0))
        net.add_node(n["iri"], label=short if n.get("labelled") or n["iri"] == centre else " ",
                     title=n.get("tip") or html.escape(f"{n.get('type', '')}: {label}"), color=colour,
                     size=round(10 + min(30.0, 4 * float(n.get("papers", 0)) ** 0.5), 1), x=x, y=y,
                     borderWidth=4 if n["iri"] == centre else 1, href=n.get("href", ""))
    for e in edges:
        relation = e.get("kind") == "relation"
        width = 1 + 3 * float(e.get("confidence") or 0.0) if relation else min(6.0, 1 + float(e.get("shared", 1)))
        net.add_edge(e["source"], e["target"], title=e.get("tip") or html.escape(e.get("predicate", "")),
                     color="#7a7a7a" if relation else "#c4c4c4", width=round(width, 2), dashes=not relation,
                     arrows={"to": {"enabled": relation, "scaleFactor": 0.5}})
    page = _REMOTE_TAG_RE.sub("", net.generate_html(notebook=False))
    page = page.replace("</head>", _TIP_CSS + "</head>", 1)
    return page.replace("network = new vis.Network(container, data, options);", _TIP_JS.strip() + _CONCEPT_JS, 1)


def concept_legend_html(nodes: Iterable[dict], colour_by: str = "community") -> str:
    """The colours of a concept map: its communities (named after their most central member) or the types."""
    if colour_by != "community":
        return legend_html()
    nodes = list(nodes)
    names = {n["community"]: n.get("community_label") or n["community"] for n in nodes if n.get("community")}
    items = [(names[c], colour) for c, colour in community_colours(nodes).items()]
    if any(not n.get("community") for n in nodes):
        items.append(("no community", NO_COMMUNITY))
    swatches = "".join(f'<span style="margin-right:14px"><span style="display:inline-block;width:11px;height:11px;'
                       f'border-radius:6px;background:{c};margin-right:4px"></span>{html.escape(k)}</span>'
                       for k, c in items)
    return f'<div style="font-size:0.9em">{swatches}</div>'


def concept_node_tip(node: dict, links: Iterable[tuple[str, str]] = ()) -> str:
    """Tooltip of a concept-map node: label, type, community, papers, PageRank, and ``links`` (text, address)."""
    lines = [f"<b>{html.escape(node['label'])}</b> <span class=\"muted\">({html.escape(node['type'])})</span>",
             f"{node['papers']} paper(s) · PageRank {node['pagerank']:.4f} · {node['degree']} edge(s) shown"]
    if node.get("community_label"):
        lines.append(f"community: {html.escape(node['community_label'])}")
    anchors = " · ".join(f'<a href="{html.escape(href)}" target="_top">{html.escape(text)}</a>' for text, href in links)
    return "<br>".join(lines + ([anchors] if anchors else []))


def concept_edge_tip(edge: dict, source: str, target: str) -> str:
    """Tooltip of a concept-map edge: the statement and its evidence sentences, or the papers shared."""
    head = f"<b>{html.escape(source)}</b> → <i>{html.escape(edge['predicate'])}</i> → <b>{html.escape(target)}</b>"
    if edge.get("kind") == "relation":
        facts = f"confidence {float(edge.get('confidence') or 0.0):.2f} · {len(edge.get('evidence', ()))} sentence(s)"
        items = "".join(f"<li>{marked(ev['sentence'], None, window=140)} "
                        f'<span class="muted">({html.escape(ev.get("title", "")[:80])})</span></li>'
                        for ev in edge.get("evidence", ())[:TIP_SENTENCES])
    else:
        facts = f"{edge.get('shared', 0)} shared paper(s)"
        items = "".join(f"<li>{html.escape(p['title'])}</li>" for p in edge.get("papers", ())[:TIP_SENTENCES + 2])
    return f"{head}<br>{facts}" + (f"<ul>{items}</ul>" if items else "")


def legend_html() -> str:
    """A colour legend matching ``network_html``."""
    items = "".join(
        f'<span style="margin-right:14px"><span style="display:inline-block;width:11px;height:11px;'
        f'border-radius:6px;background:{c};margin-right:4px"></span>{html.escape(k)}</span>'
        for k, c in COLOURS.items()
    )
    return f'<div style="font-size:0.9em">{items}</div>'


# ------------------------------------------------------------- tooltips and evidence
# Everything below returns markup built from escaped text only.

TIP_SENTENCES = 3  # evidence sentences shown in a link's tooltip


def marked(sentence: str, mark: tuple[int, int] | None, *, window: int | None = None) -> str:
    """``sentence`` escaped, with ``mark`` (offsets into it) in ``<mark>``; cut to ``window`` characters each side."""
    if not mark or not 0 <= mark[0] < mark[1] <= len(sentence):
        return html.escape(sentence if window is None or len(sentence) <= 2 * window
                           else sentence[: 2 * window].rstrip() + "…")
    a, b = mark
    before, inner, after = sentence[:a], sentence[a:b], sentence[b:]
    if window is not None:
        if len(before) > window:
            before = "…" + before[len(before) - window:].lstrip()
        if len(after) > window:
            after = after[:window].rstrip() + "…"
    return f"{html.escape(before)}<mark>{html.escape(inner)}</mark>{html.escape(after)}"


def _names(values: Iterable[str]) -> str:
    return ", ".join(html.escape(v) for v in values)


def node_tip(data: dict, links_shown: int = 0) -> str:
    """Tooltip of a node of ``paper_entity_graph``: type, confidence, papers, alt labels, variant of."""
    kind, label = data.get("kind", EntityType.CONCEPT.value), data.get("label", "")
    if kind == PAPER:
        return (f'<b>{html.escape(label)}</b><br><span class="muted">Paper · {links_shown} link(s) shown</span>')
    papers = data.get("papers", 0)
    total = data.get("papers_all", papers)
    lines = [f"<b>{html.escape(label)}</b> <span class=\"muted\">({html.escape(kind)})</span>",
             f"confidence {data.get('confidence', 0.0):.2f} · {papers} paper(s)"
             + (f" ({total} at any confidence)" if total != papers else "")]
    if data.get("alt"):
        lines.append(f"also written: {_names(data['alt'][:12])}" + (" …" if len(data["alt"]) > 12 else ""))
    if data.get("variant_of"):
        lines.append(f"variant of: {_names(data['variant_of'])}")
    return "<br>".join(lines)


def link_tip(paper: str, entity: str, data: dict, evidence: list) -> str:
    """Tooltip of a paper -> entity link: predicate, confidence, rules and a few marked evidence sentences.

    ``evidence`` holds ``kg.read.evidence.Evidence`` records of the link.
    """
    head = (f"<b>{html.escape(paper)}</b> → <i>{html.escape(data.get('predicate', ''))}</i> → "
            f"<b>{html.escape(entity)}</b>")
    facts = (f"confidence {data.get('confidence', 0.0):.2f} · rule(s): {_names(data.get('rules', ())) or '—'}"
             f" · {len(evidence)} evidence record(s)")
    items = "".join(f"<li>{marked(ev.sentence, ev.mark, window=110)} "
                    f'<span class="muted">({html.escape(ev.section)})</span></li>'
                    for ev in evidence[:TIP_SENTENCES])
    more = (f'<span class="muted">{len(evidence) - TIP_SENTENCES} more in the links table below</span>'
            if len(evidence) > TIP_SENTENCES else "")
    return f"{head}<br>{facts}" + (f"<ul>{items}</ul>" if items else "") + more


def evidence_table(evidence: list) -> str:
    """An HTML table of evidence records: sentence (span marked), section, span, rules, score, confidence."""
    cell = 'style="padding:4px 8px;border-bottom:1px solid #e6e6e6;vertical-align:top"'
    head = "".join(f'<th {cell.replace("vertical-align:top", "text-align:left")}>{h}</th>'
                   for h in ("#", "Sentence", "Section", "Span", "Rule(s)", "Score", "Confidence"))
    rows = "".join(
        f"<tr><td {cell}>{i}</td><td {cell}>{marked(ev.sentence, ev.mark)}</td>"
        f"<td {cell}>{html.escape(ev.section)}</td>"
        f"<td {cell}><code>{ev.start}–{ev.end}</code> “{html.escape(ev.surface)}”</td>"
        f"<td {cell}>{_names(ev.rules) or '—'}</td>"
        f"<td {cell}>{'' if ev.score is None else f'{ev.score:.2f}'}</td><td {cell}>{ev.confidence:.2f}</td></tr>"
        for i, ev in enumerate(evidence, start=1))
    return (f'<table class="abx-evidence" style="border-collapse:collapse;width:100%;font-size:0.92rem">'
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
