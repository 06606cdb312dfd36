"""Entity-entity relations: extracted per sentence, mapped onto graph predicates, with evidence and confidence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, SKOS

from kg import iri
from kg.config import PROJECT_ROOT
from kg.export.files import export
from kg.graph import codec
from kg.graph.canon import EntityTable
from kg.graph.relations import PREDICATES, statements
from kg.model import (
    Claim,
    EntityType,
    Extraction,
    Mention,
    Paper,
    Quantity,
    Relation,
    RelationLabel,
    Result,
    Role,
    Section,
    TextSpan,
    noisy_or,
)
from kg.read.relations import entity_relations, paper_relations
from kg.store.validate import validate_graph
from kg.vocab import ABX, PREFIXES

RELATION_PREDICATES = sorted({ABX[p] for p in PREDICATES.values()})
MODEL = "model:relations-scier"


# ------------------------------------------------------------------ crafted extractions


def _span(text: str, start: int, section: Section = Section.ABSTRACT) -> TextSpan:
    return TextSpan(section, start, start + len(text), text)


SENTENCE = "FooNet is used for parsing and beats BarNet on TreeBank."
SENT = _span(SENTENCE, 0)


def _mention(text: str, label: EntityType) -> Mention:
    return Mention(_span(text, SENTENCE.index(text)), label, Role.USES, SENT, "gazetteer")


FOO = _mention("FooNet", EntityType.METHOD)
PARSING = _mention("parsing", EntityType.TASK)
BAR = _mention("BarNet", EntityType.METHOD)
BANK = _mention("TreeBank", EntityType.DATASET)


def _rel(head: Mention, tail: Mention, label: RelationLabel, score: float = 0.6, extractor: str = MODEL,
         source: str = "Used-For") -> Relation:
    return Relation(head.span, tail.span, label, source, SENT, extractor, score)


def _ex(key: str, relations: tuple[Relation, ...], mentions=(FOO, PARSING, BAR, BANK)) -> Extraction:
    paper = Paper(key=key, title=f"Title {key}", abstract=SENTENCE, source="t", line=1)
    return Extraction(paper, "abstracta", "1", tuple(mentions), relations=relations)


def _statements(*exs: Extraction, support: float = 0.1):
    exs = list(exs)
    return {(s.subject, s.predicate, s.object): s for s in statements(exs, EntityTable(exs), support)}


def test_labels_map_onto_predicates_by_entity_type():
    found = _statements(_ex("p1", (
        _rel(FOO, PARSING, RelationLabel.USED_FOR),
        _rel(FOO, BANK, RelationLabel.EVALUATED_WITH, source="Evaluated-With"),
        _rel(FOO, BAR, RelationLabel.COMPARE, source="Compare-With"),
        _rel(BANK, PARSING, RelationLabel.BENCHMARK_FOR, source="Benchmark-For"),
        _rel(FOO, BAR, RelationLabel.SYNONYM_OF, source="Synonym-Of"),  # identity is kg.graph.canon's call: not stated
        _rel(FOO, PARSING, RelationLabel.PART_OF, source="Part-Of"),  # a method is no part of a task: not stated
        _rel(PARSING, BANK, RelationLabel.TRAINED_WITH, source="Trained-With"),  # only methods are trained
    )))
    assert set(found) == {("foonet", "usedFor", "parsing"), ("foonet", "evaluatedOn", "treebank"),
                          ("barnet", "comparedWith", "foonet"),  # symmetric: from the smaller key
                          ("treebank", "benchmarkFor", "parsing")}
    (ev,) = found[("barnet", "comparedWith", "foonet")].evidence
    assert (ev.subject_forms, ev.object_forms) == (("BarNet",), ("FooNet",))


def test_model_and_rule_agreeing_in_a_sentence_make_a_stronger_fact():
    model = _rel(FOO, BANK, RelationLabel.EVALUATED_WITH, 0.6, source="Evaluated-With")
    rule = _rel(FOO, BANK, RelationLabel.EVALUATED_WITH, 0.5, "rule:results", "result-dataset")
    alone = _statements(_ex("p1", (model,)))[("foonet", "evaluatedOn", "treebank")]
    both = _statements(_ex("p1", (model, rule)))[("foonet", "evaluatedOn", "treebank")]
    (ev,) = both.evidence
    assert ev.extractors == ("model:relations-scier", "rule:results")
    assert ev.source_labels == ("Evaluated-With", "result-dataset")
    assert both.confidence == pytest.approx(noisy_or([0.6, 0.5])) and both.confidence > alone.confidence == 0.6


def test_support_from_other_papers_raises_confidence_like_entity_links():
    r = _rel(FOO, PARSING, RelationLabel.USED_FOR, 0.6)
    one = _statements(_ex("p1", (r,)))[("foonet", "usedFor", "parsing")]
    three = _statements(_ex("p1", (r,)), _ex("p2", (r,)), _ex("p3", (r,)))[("foonet", "usedFor", "parsing")]
    assert one.confidence == pytest.approx(0.6)
    assert three.confidence == pytest.approx(noisy_or([0.6, 0.1, 0.1]))
    assert [ev.paper_key for ev in three.evidence] == ["p1", "p2", "p3"]


def test_mentions_of_one_entity_and_unknown_spans_give_no_statement():
    abbrev = Mention(_span("FooNet", SENTENCE.index("BarNet")), EntityType.METHOD, Role.USES, SENT, "gazetteer")
    same = _ex("p1", (_rel(FOO, abbrev, RelationLabel.COMPARE),), mentions=(FOO, abbrev))
    dangling = _ex("p2", (Relation(FOO.span, _span("nothing", 3), RelationLabel.USED_FOR, "Used-For", SENT, MODEL,
                                   0.9),))
    assert _statements(same) == {} and _statements(dangling) == {}


def test_opposite_kind_of_statements_keep_the_surer_one():
    surer = _rel(FOO, BAR, RelationLabel.HYPONYM_OF, 0.8, source="SubClass-Of")
    weaker = _rel(BAR, FOO, RelationLabel.HYPONYM_OF, 0.5, source="SubClass-Of")
    assert set(_statements(_ex("p1", (surer, weaker)))) == {("foonet", "kindOf", "barnet")}
    tie = _rel(BAR, FOO, RelationLabel.HYPONYM_OF, 0.8, source="SubClass-Of")
    assert _statements(_ex("p1", (surer, tie))) == {}


def test_claim_results_give_rule_relations():
    from extract.results import result_relations

    q = Quantity(2.0, "%", "2%", 0, 2)
    claim = Claim(SENT, "outperforms", "beats", (q,), (Result(q, method="FooNet", dataset="TreeBank",
                                                                baseline="BarNet"),), score=0.8)
    found = {(r.head.text, r.label, r.tail.text, r.source_label): r.score
             for r in result_relations(claim, [FOO, PARSING, BAR, BANK])}
    assert found == {("FooNet", RelationLabel.EVALUATED_WITH, "TreeBank", "result-dataset"): 0.64,
                     ("FooNet", RelationLabel.COMPARE, "BarNet", "result-baseline"): 0.64}
    elsewhere = Claim(SENT, "outperforms", "beats", (q,), (Result(q, method="OurNet", dataset="TreeBank"),))
    assert result_relations(elsewhere, [FOO, BANK]) == ()  # the method is not named in the sentence


# ------------------------------------------------------------------ codec

_spans = st.builds(TextSpan, st.sampled_from(list(Section)), st.integers(0, 10_000), st.integers(0, 10_000),
                   st.text(max_size=30))
_relations = st.builds(Relation, _spans, _spans, st.sampled_from(list(RelationLabel)), st.text(max_size=20), _spans,
                       st.text(max_size=30), st.floats(0, 1))


@given(st.lists(_relations, max_size=5))
def test_codec_round_trips_relations(rels):
    ex = Extraction(Paper("k", "t", "a"), "abstracta", "1", relations=tuple(rels))
    record = json.loads(json.dumps(codec.to_dict(ex), ensure_ascii=False))
    assert codec.from_dict(record) == ex


def test_cache_records_from_before_relations_decode_with_none():
    record = codec.to_dict(_ex("p1", (_rel(FOO, PARSING, RelationLabel.USED_FOR),)))
    del record["relations"]
    assert codec.from_dict(record).relations == ()


# ------------------------------------------------------------------ extraction


def test_relations_join_mentions_of_one_sentence(extractor):
    from kg.ingest.readers import read_inputs
    from tests.conftest import SEED_FILE

    exs = list(extractor.extract_many(read_inputs([SEED_FILE]).papers[:20]))
    rels = [(ex, r) for ex in exs for r in ex.relations]
    assert rels and {r.extractor for _, r in rels} == {MODEL, "rule:results"}
    for ex, r in rels:
        spans = {m.span for m in ex.mentions}
        assert r.head in spans and r.tail in spans and r.head != r.tail
        s = r.sentence
        assert s.start <= min(r.head.start, r.tail.start) and max(r.head.end, r.tail.end) <= s.end
        assert 0 <= r.score <= 1
    assert all(r.score >= 0.4 for _, r in rels if r.extractor == MODEL)  # the graph's threshold


def test_the_threshold_can_be_overridden(extractor):
    text = ("Our previously proposed MossFormer has achieved promising performance in monaural speech separation. "
            "We use BERT and GPT-2 for question answering on SQuAD.")
    paper = Paper(key="p", title="A Study", abstract=text)
    finder = extractor.nlp.get_pipe("abx_relations")
    default = {(r.head.text, r.tail.text) for r in extractor.extract(paper).relations if r.extractor == MODEL}
    try:
        finder.threshold = 0.95
        strict = [r for r in extractor.extract(paper).relations if r.extractor == MODEL]
    finally:
        finder.threshold = 0.4
    assert ("MossFormer", "monaural speech separation") in default
    assert {(r.head.text, r.tail.text) for r in strict} < default and all(r.score >= 0.95 for r in strict)


# ------------------------------------------------------------------ the seed graph


def _e(settings, name: str) -> str:
    return iri.entity_iri(settings.base_iri, iri.entity_key(name))


def _ask(store, query: str) -> list[dict]:
    result = store.query(query, prefixes=PREFIXES)
    names = [v.value for v in result.variables]
    return [{n: (sol[n].value if sol[n] is not None else None) for n in names} for sol in result]


def _statement(store, settings, head: str, predicate: str, tail: str) -> dict:
    h, t = _e(settings, head), _e(settings, tail)
    rows = _ask(store, f"""SELECT ?s ?conf ?sentence ?score ?paper ?rule WHERE {{
        <{h}> abx:{predicate} <{t}> .
        ?s a abx:RelationStatement ; rdf:subject <{h}> ; rdf:predicate abx:{predicate} ; rdf:object <{t}> ;
           abx:confidence ?conf ; abx:supportedBy ?ev .
        ?ev abx:sentenceText ?sentence ; abx:score ?score ; prov:wasDerivedFrom ?paper ; abx:rule ?rule }}""")
    assert rows, f"no statement {head} {predicate} {tail}"
    return {"iri": rows[0]["s"], "confidence": float(rows[0]["conf"]), "papers": {r["paper"] for r in rows},
            "sentences": {r["sentence"]: float(r["score"]) for r in rows}, "rules": {r["rule"] for r in rows}}


def test_seed_graph_states_method_used_for_task_with_its_sentence(seed_store, seed_settings):
    s = _statement(seed_store, seed_settings, "MossFormer", "usedFor", "monaural speech separation")
    assert s["sentences"].keys() == {
        "Our previously proposed MossFormer has achieved promising performance in monaural speech separation."}
    assert s["rules"] == {MODEL} and 0.4 <= s["confidence"] <= 1


def test_seed_graph_sentences_of_one_paper_add_up(seed_store, seed_settings):
    s = _statement(seed_store, seed_settings, "SimMIM", "usedFor", "masked image modeling")
    assert set(s["sentences"]) == {"SimMIM: A Simple Framework for Masked Image Modeling",
                                   "This paper presents SimMIM, a simple framework for masked image modeling."}
    assert s["confidence"] == pytest.approx(noisy_or(s["sentences"].values()), abs=1e-3)
    assert s["confidence"] > max(s["sentences"].values())


def test_seed_graph_model_and_claim_rule_agree_on_evaluation(seed_store, seed_settings):
    s = _statement(seed_store, seed_settings, "NoisyQuant", "evaluatedOn", "ImageNet")
    assert s["rules"] == {MODEL, "rule:results"}
    (sentence,) = s["sentences"]
    assert sentence.startswith("For instance, on linear uniform 6-bit activation quantization, NoisyQuant improves")
    metric = _statement(seed_store, seed_settings, "NoisyQuant", "measuredBy", "top-1 accuracy")
    assert metric["rules"] == {"rule:results"}
    assert s["confidence"] > metric["confidence"]
    compared = _statement(seed_store, seed_settings, "MobileNetV3", "comparedWith", "Skipnet-M")
    assert compared["rules"] == {MODEL, "rule:results"}


def test_seed_graph_kind_of_is_also_skos_broader(seed_store):
    kinds = _ask(seed_store, "SELECT ?h ?t WHERE { ?h abx:kindOf ?t }")
    assert kinds  # the relation model finds "X such as Y" hierarchies in the seed papers
    for r in kinds:
        assert bool(seed_store.query(f"ASK {{ <{r['h']}> <{SKOS.broader}> <{r['t']}> }}"))


def test_seed_graph_every_relation_triple_has_one_statement_with_evidence(seed_store, seed_settings):
    values = " ".join(f"<{p}>" for p in RELATION_PREDICATES)
    direct = {(r["h"], r["p"], r["t"]) for r in _ask(seed_store, f"""SELECT ?h ?p ?t WHERE {{ VALUES ?p {{ {values} }}
        ?h ?p ?t }}""")}
    reified = _ask(seed_store, """SELECT ?s ?h ?hk ?p ?t ?tk (COUNT(?ev) AS ?n) WHERE { ?s a abx:RelationStatement ;
        rdf:subject ?h ; rdf:predicate ?p ; rdf:object ?t ; abx:supportedBy ?ev .
        ?h abx:canonicalKey ?hk . ?t abx:canonicalKey ?tk } GROUP BY ?s ?h ?hk ?p ?t ?tk""")
    assert len(direct) >= 50
    assert {(r["h"], r["p"], r["t"]) for r in reified} == direct and len(reified) == len(direct)
    assert all(r["h"] != r["t"] and int(r["n"]) >= 1 for r in reified)
    for r in reified:  # statement IRIs come from the canonical keys
        assert r["s"] == iri.relation_iri(seed_settings.base_iri, r["hk"], r["p"].rsplit("#", 1)[-1], r["tk"])


def test_seed_graph_relation_queries_for_the_dashboard(seed_store, seed_settings):
    rows = entity_relations(seed_store, _e(seed_settings, "NoisyQuant"))
    by = {(r["subject_label"], r["predicate"], r["object_label"]): r for r in rows}
    row = by[("NoisyQuant", "evaluatedOn", "ImageNet")]
    assert row["evidence"][0]["rules"] == (MODEL, "rule:results") and row["evidence"][0]["sentence"]
    assert [r["confidence"] for r in rows] == sorted((r["confidence"] for r in rows), reverse=True)
    paper = row["evidence"][0]["paper"]
    assert ("NoisyQuant", "evaluatedOn", "ImageNet") in {
        (r["subject_label"], r["predicate"], r["object_label"]) for r in paper_relations(seed_store, paper)}
    assert all(r["confidence"] >= 0.9 for r in entity_relations(seed_store, _e(seed_settings, "NoisyQuant"),
                                                                       0.9))


@pytest.fixture(scope="module")
def seed_graph(seed_store, tmp_path_factory) -> Graph:
    return Graph().parse(export(seed_store, "ntriples", tmp_path_factory.mktemp("g") / "g.nt"), format="nt")


def _broken(g: Graph, add=(), remove=()) -> Graph:
    out = Graph()
    for t in g:
        out.add(t)
    for pattern in remove:
        out.remove(pattern)
    for t in add:
        out.add(t)
    return out


@pytest.mark.slow  # six SHACL validations of the seed graph: about 8 s on 2 cores
def test_relation_shapes_catch_broken_statements(seed_graph):
    statement = next(seed_graph.subjects(RDF.type, ABX.RelationStatement))
    evidence = next(seed_graph.subjects(RDF.type, ABX.RelationEvidence))
    task = next(seed_graph.subjects(RDF.type, ABX.Task))
    method = next(seed_graph.subjects(RDF.type, ABX.Method))
    cases = {
        "statement without evidence": _broken(seed_graph, remove=[(statement, ABX.supportedBy, None)]),
        "evidence without paper": _broken(seed_graph, remove=[(evidence, PROV.wasDerivedFrom, None)]),
        "score above 1": _broken(seed_graph, add=[(evidence, ABX.score, Literal(1.5))],
                                 remove=[(evidence, ABX.score, None)]),
        "a task trained on something": _broken(seed_graph, add=[(task, ABX.trainedOn, method)]),
        "a relation to itself": _broken(seed_graph, add=[(statement, RDF.object, next(seed_graph.objects(
            statement, RDF.subject)))], remove=[(statement, RDF.object, None)]),
        "unknown predicate": _broken(seed_graph, add=[(statement, RDF.predicate, URIRef(str(ABX.mentions)))],
                                     remove=[(statement, RDF.predicate, None)]),
    }
    for name, g in cases.items():
        result = validate_graph(g)
        assert not result.conforms and result.violations >= 1, name


def test_a_pipeline_without_relations_works_in_a_fresh_process():
    """Nothing else may have registered the relation component's Doc extension."""
    import subprocess
    import sys

    code = ("from extract import Extractor; from kg.model import Paper; "
            "e = Extractor(model_dir=None, relations=None); "
            "ex = e.extract(Paper('p', 'FooNet for parsing', 'We use BERT for question answering.')); "
            "assert ex.relations == () and ex.mentions and '+rel.none.none' in e.version, e.version")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
