"""Per-build analytics (kg.read.analytics) and the dashboard snapshot (kg.read.snapshot)."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.read import analytics as metrics
from kg.read import snapshot
from kg.read.leaderboard import all_results, filter_results, results
from kg.read.paper import papers
from kg.read.projection import paper_entity_graph
from kg.read.search import search_entities
from kg.read.stats import confidence_counts
from kg.store.generations import fork_generation, open_current, open_current_generation
from kg.vocab import sparql_prefixes

E = "https://w3id.org/abstracta/entity/"
P = "https://w3id.org/abstracta/paper/"


def execute(store, text: str) -> list[list[str]]:
    sols = store.query(sparql_prefixes() + text)
    names = [v.value for v in sols.variables]
    return [[row[n].value for n in names] for row in sols]


def _graph(links: dict[str, list[str]], kinds: dict[str, str] | None = None) -> nx.DiGraph:
    g = nx.DiGraph()
    for paper, entities in links.items():
        g.add_node(P + paper, label=paper, kind="Paper", papers=1)
        for e in entities:
            g.add_node(E + e, label=e, kind=(kinds or {}).get(e, "Method"))
            g.add_edge(P + paper, E + e, predicate="uses")
    for node, d in g.nodes(data=True):
        if d["kind"] != "Paper":
            d["papers"] = g.in_degree(node)
    return g


# two groups of methods that never share a paper, and one paper bridging nothing
TWO_GROUPS = {"p1": ["a", "b", "c"], "p2": ["a", "b", "c"], "p3": ["a", "b"],
              "p4": ["x", "y", "z"], "p5": ["x", "y", "z"], "p6": ["lonely"]}


def test_projection_counts_shared_papers():
    entities, shared = metrics.projection(_graph(TWO_GROUPS))
    idx = {e.rsplit("/", 1)[-1]: i for i, e in enumerate(entities)}
    assert shared[idx["a"], idx["b"]] == 3
    assert shared[idx["a"], idx["c"]] == 2
    assert shared[idx["a"], idx["x"]] == 0
    assert shared[idx["a"], idx["a"]] == 0  # no self-loops


def test_compute_degree_rank_partners_communities():
    result = metrics.compute(_graph(TWO_GROUPS), top_k=1)
    m = {e.rsplit("/", 1)[-1]: v for e, v in result.entities.items()}
    assert m["a"].degree == 2 and m["lonely"].degree == 0
    assert m["a"].partners == ((E + "b", 3),)  # top_k=1 keeps the strongest partner only
    assert m["lonely"].partners == () and m["lonely"].community is None
    assert m["a"].rank == 1 and m["lonely"].rank == 7  # ties broken by label: a, b (3 papers), then c, x, y, z
    groups = {frozenset(x.rsplit("/", 1)[-1] for x in c.members) for c in result.communities}
    assert groups == {frozenset("abc"), frozenset("xyz")}
    assert m["a"].community == m["b"].community != m["x"].community
    assert abs(sum(v.pagerank for v in m.values()) - 1.0) < 1e-6
    assert m["a"].pagerank > m["c"].pagerank  # a has the heavier links


def test_compute_is_deterministic_and_ranks_per_type():
    kinds = {"a": "Method", "b": "Dataset", "c": "Method", "x": "Task", "y": "Task", "z": "Task", "lonely": "Method"}
    g = _graph(TWO_GROUPS, kinds)
    first, second = metrics.compute(g), metrics.compute(g.copy())
    assert first == second
    ranks = {e.rsplit("/", 1)[-1]: v.rank for e, v in first.entities.items()}
    assert (ranks["a"], ranks["c"], ranks["lonely"], ranks["b"]) == (1, 2, 3, 1)


def test_years_give_trends_and_first_year():
    g = _graph(TWO_GROUPS)
    result = metrics.compute(g, {P + "p1": 2021, P + "p2": 2019, P + "p3": 2021})
    a = result.entities[E + "a"]
    assert a.years == ((2019, 1), (2021, 2)) and a.first_year == 2019
    assert result.entities[E + "x"].first_year is None


def test_empty_graph():
    result = metrics.compute(nx.DiGraph())
    assert result.entities == {} and result.communities == ()


# ------------------------------------------------------------- on the seed store


@pytest.fixture(scope="module")
def snap(seed_settings):
    gen = open_current_generation(seed_settings.store_dir)
    found = snapshot.find(gen.path)
    assert found is not None, "the build wrote no snapshot"
    return found


def test_snapshot_graph_equals_the_store(seed_store, snap):
    live, stored = paper_entity_graph(seed_store), snapshot.load_graph(snap)
    assert set(live.nodes) == set(stored.nodes) and set(live.edges) == set(stored.edges)
    for node, d in live.nodes(data=True):
        assert {k: stored.nodes[node][k] for k in d} == d, node
    for u, v, d in live.edges(data=True):
        assert stored.edges[u, v] == d, (u, v)


def test_snapshot_counts_equal_the_store(seed_store, snap):
    for t in (0.0, 0.3, 0.55, 0.8, 1.0):
        assert snapshot.confidence_counts(snap, t) == confidence_counts(seed_store, t), t
    assert snapshot.confidence_counts(snap, 0.555) is None  # not a step: callers fall back to the store


def test_snapshot_papers_equal_the_store(seed_store, snap):
    assert snapshot.papers(snap) == papers(seed_store)


def test_search_index_finds_alt_labels_and_ranks_exact_first(snap):
    hits = snapshot.search(snap, "MRL")
    assert hits[0]["label"] == "Matryoshka Representation Learning"
    assert snapshot.search(snap, "matryoshka representation learning")[0]["label"] == \
        "Matryoshka Representation Learning"
    assert len(snapshot.search(snap, "", limit=5)) == 5
    assert snapshot.search(snap, "no such entity anywhere") == []


def test_search_index_agrees_with_a_scan(seed_store, snap):
    for text in ("vit", "ImageNet", "lm", "a"):
        scanned = {h["iri"] for h in search_entities(seed_store, text, limit=10_000)}
        indexed = {h["iri"] for h in snapshot.search(snap, text, limit=10_000)}
        assert indexed == scanned, text


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=12))
def test_search_never_fails_on_odd_text(snap, text):
    for hit in snapshot.search(snap, text, limit=5):
        assert hit["iri"].startswith(E)


def test_analytics_in_the_store(seed_store):
    rows = execute(seed_store, """SELECT ?l ?n WHERE { ?m a abx:Method ; abx:rankInType ?r ; abx:paperCount ?n ;
        skos:prefLabel ?l FILTER(?r <= 5) } ORDER BY ?r""")
    counts = execute(seed_store, "SELECT ?n WHERE { ?m a abx:Method ; abx:paperCount ?n } ORDER BY DESC(?n) LIMIT 5")
    assert [int(r[1]) for r in rows] == [int(r[0]) for r in counts]
    # a co-occurrence record says what the two-hop aggregate says
    pair = execute(seed_store, """SELECT ?e ?o ?n WHERE { ?e abx:cooccurrence ?c . ?c abx:cooccursWith ?o ;
        abx:sharedPapers ?n } ORDER BY DESC(?n) ?e ?o LIMIT 1""")[0]
    e, o, n = pair[0], pair[1], int(pair[2])
    live = execute(seed_store, f"""SELECT (COUNT(DISTINCT ?p) AS ?k) WHERE {{ ?p a abx:Paper ; ?r <{e}> ; ?r2 <{o}> .
        FILTER(?r IN (abx:proposes, abx:uses, abx:evaluatesOn, abx:addresses, abx:reportsMetric, abx:mentions))
        FILTER(?r2 IN (abx:proposes, abx:uses, abx:evaluatesOn, abx:addresses, abx:reportsMetric, abx:mentions)) }}""")
    assert n >= 2 and int(live[0][0]) == n
    communities = execute(seed_store, "SELECT (COUNT(?c) AS ?k) WHERE { ?c a abx:Community ; abx:memberCount ?m }")
    assert int(communities[0][0]) > 0


def test_an_update_drops_the_snapshot(tmp_path, seed_settings):
    import shutil

    root = tmp_path / "store"
    shutil.copytree(seed_settings.store_dir, root)
    assert snapshot.find(open_current_generation(root).path) is not None
    with fork_generation(root):
        pass
    gen, _ = open_current(root)
    assert snapshot.find(gen.path) is None  # readers fall back to the store


def test_snapshot_results_equal_the_store(seed_store, snap):
    rows = snapshot.results(snap)
    assert rows == all_results(seed_store) and rows
    for t in (0.0, 0.5, 0.9):
        assert filter_results(rows, t) == results(seed_store, t)
    dataset = next(d for r in rows for d in r["datasets"])
    assert all(dataset in r["datasets"] for r in filter_results(rows, dataset=dataset))


def test_the_store_knows_the_snapshot_is_derived():
    from kg.store import generations as store

    assert snapshot.FILE in store._DERIVED  # forks must not copy a snapshot of another graph
