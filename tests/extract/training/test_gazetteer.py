"""Gazetteer derivation: the noise filters one by one, a tiny end-to-end run, and the shipped TSV."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from extract.training.gazetteer import (
    LABELS,
    build_rows,
    choose_match,
    derive_gazetteer,
    detokenize,
    is_clean_dataset,
    is_junk,
    lacks_support,
    load_stoplist,
    match_counts,
    normalize_leaderboard_name,
    resolve_label,
    split_parenthetical,
    tidy,
)
from kg.config import SEEDS_DIR
from kg.errors import InputError
from kg.iri import entity_key

GAZETTEER = SEEDS_DIR / "gazetteer"
TERMS = GAZETTEER / "terms.tsv"
STOPLIST = GAZETTEER / "stoplist.txt"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("BiRNN 100d (2018)", ["BiRNN"]),
        ("+ELMo", ["ELMo"]),
        ("ESIM + GloVe (2018)", ["ESIM", "GloVe"]),
        ("12-layer Transformer-XL", ["Transformer-XL"]),
        ("BiDAF + Self Attention + ELMo (ensemble)", ["BiDAF", "ELMo"]),
        ("Transformer", ["Transformer"]),
        ("Document Reader (single model)", []),
        ("He et al.,", []),
        ("Collobert2011", []),
    ],
)
def test_leaderboard_labels_reduce_to_method_names(label: str, expected: list[str]) -> None:
    assert normalize_leaderboard_name(label) == expected


@pytest.mark.parametrize(
    ("mention", "expected"),
    [
        ("CIFAR - 10", "CIFAR-10"),
        ("CTB 5 . 1", "CTB 5.1"),
        ("ImageNet - 1 K", "ImageNet-1K"),
        ("statistical machine translation ( SMT )", "statistical machine translation (SMT)"),
        ("CNN / Daily Mail", "CNN/Daily Mail"),
    ],
)
def test_detokenize_restores_written_form(mention: str, expected: str) -> None:
    assert detokenize(mention) == expected


def test_tidy_drops_dangling_operators_but_keeps_plus_in_names() -> None:
    assert tidy("Transformer +") == "Transformer"
    assert tidy("Fine-grained WSD:") == "Fine-grained WSD"
    assert tidy("  Penn   Treebank ") == "Penn Treebank"
    assert tidy("Cube++") == "Cube++"


@pytest.mark.parametrize(
    "name",
    [
        "How do I speak with someone at Expedia?",
        "[[Talk!!Person]]How do I get a person on Expedia?",
        "01/01/1967' AND 2*3*8=6*8 AND 'AncJ'='AncJ",
        "1",
        "520",
        "C",
        "SGD)",
        "our model",
        "the proposed method",
        "a collection of 15,099 English novels published between 1700 and 1899",
        "คลิปไวรัล",
        "https://github.com/inisis/chexper",
    ],
)
def test_junk_rows_are_rejected(name: str) -> None:
    assert is_junk(name)


@pytest.mark.parametrize("name", ["ImageNet", "CIFAR-10", "F1", "image classification", "Hits@10", "Cube++"])
def test_real_names_are_not_junk(name: str) -> None:
    assert not is_junk(name)


def test_split_parenthetical_keeps_only_abbreviations() -> None:
    assert split_parenthetical("Exact Match (EM)") == ["Exact Match", "EM"]
    assert split_parenthetical("CoQA (Conversational Question Answering Challenge)") == [
        "CoQA", "Conversational Question Answering Challenge"]
    assert split_parenthetical("Mean IoU (val)") == ["Mean IoU"]
    assert split_parenthetical("Accuracy (ViT)") == ["Accuracy"]


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("CIFAR-10", True),
        ("SemEval 2007 Task 7", True),
        ("MultiNLI Dev", False),
        ("Kinetics-600 48 frames, 64x64", False),
        ("librispeech WER testclean", False),
        ("Experimental Results", False),
    ],
)
def test_benchmark_rows_must_name_a_dataset(name: str, clean: bool) -> None:
    assert is_clean_dataset(name) is clean


@pytest.mark.parametrize(
    ("label", "spellings", "expected"),
    [
        ("Dataset", {"ImageNet": 1, "Imagenet": 1}, ("exact", ["ImageNet"])),
        ("Metric", {"MAP": 1, "mAP": 3}, ("exact", ["mAP"])),
        ("Metric", {"ACCURACY": 1, "Accuracy": 1, "accuracy": 9}, ("lower", ["accuracy"])),
        ("Method", {"Adam": 69, "ADAM": 18, "adam": 2}, ("exact", ["Adam"])),
        ("Method", {"dropout": 194, "Dropout": 38}, ("lower", ["dropout"])),
        ("Method", {"Graph Neural Networks": 12}, ("lower", ["graph neural networks"])),
        ("Task", {"Image Classification": 1, "image classification": 5}, ("lower", ["image classification"])),
        ("Dataset", {"Penn Treebank": 7}, ("exact", ["Penn Treebank"])),
        ("Dataset", {"images": 40}, ("exact", [])),
        ("Dataset", {"20 Newsgroups": 3, "1-shot": 5}, ("exact", ["20 Newsgroups"])),
        ("Method", {"Word2Vec": 13, "word2vec": 8}, ("exact", ["Word2Vec", "word2vec"])),
        ("Metric", {"top-1 accuracy": 3, "Top-1 Accuracy": 1}, ("lower", ["top-1 accuracy"])),
        ("Method", {"GAN": 310, "gan": 2}, ("exact", ["GAN"])),
        ("Method", {"BERT": 5, "Bert": 1}, ("exact", ["BERT"])),
    ],
)
def test_choose_match(label: str, spellings: dict[str, int], expected: tuple[str, list[str]]) -> None:
    assert choose_match(label, Counter(spellings)) == expected


def test_label_conflicts_go_to_more_sources_then_to_usage_then_precedence() -> None:
    assert resolve_label({"Dataset": {"pwc_archive_2025", "scirex"}, "Task": {"scirex"}}, Counter()) == "Dataset"
    assert resolve_label({"Dataset": {"pwc_archive_2025"}, "Method": {"scirex"}}, Counter(Method=149)) == "Method"
    assert resolve_label({"Metric": {"pwc_sota_extractor"}, "Dataset": {"pwc_archive_2025"}}, Counter()) == "Dataset"


def test_weakly_supported_names_need_a_second_source() -> None:
    assert lacks_support("lower", ["performance"], {"scirex"})
    assert lacks_support("lower", ["over"], {"pwc_archive_2025"})
    assert lacks_support("lower", ["feature space"], {"scirex"})
    assert lacks_support("exact", ["SP"], {"scirex"})
    assert lacks_support("exact", ["CAT"], {"pwc_archive_2025"})
    assert not lacks_support("exact", ["BiDAF"], {"scirex"})
    assert not lacks_support("lower", ["image classification"], {"pwc_archive_2025"})
    assert not lacks_support("lower", ["summarization"], {"pwc_archive_2025", "tdmsci"})


def test_build_rows_respects_stoplist_by_name_and_entity_key() -> None:
    candidates = [
        ("Method", "Networks", "scirex", 40),
        ("Method", "network", "pwc_archive_2025", 0),
        ("Task", "Image Classification", "pwc_archive_2025", 0),
        ("Task", "image classification", "scirex", 127),
        ("Dataset", "ImageNet", "pwc_archive_2025", 0),
        ("Method", "ImageNet", "scirex", 3),
        ("Dataset", "ImageNet", "scirex", 203),
        ("Task", "How do I speak with someone at Expedia?", "pwc_archive_2025", 0),
    ]
    rows = build_rows(candidates, frozenset({"network"}))
    assert rows == [("Dataset", "ImageNet", "exact"), ("Task", "image classification", "lower")]


def _write(path: Path, header: str, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


def test_derive_gazetteer_end_to_end_ships_only_licensed_sources(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    pwc = "type\tname\tn_occurrences\tsources\tsuspect"
    _write(data / "pwc_archive_2025" / "names.flat.tsv", pwc, [
        "Task\tImage Classification\t3\tcv\t0",
        "Dataset\tImageNet\t5\tcv\t0",
        "Benchmark\tMultiNLI Dev\t1\tnlp\t0",
        "Dataset\t[[Easy~refund]]How can i get a refund from expedia\t1\tcv\t1",
        "Metric\tTop-1 Accuracy\t9\tcv\t0",
    ])
    _write(data / "pwc_sota_extractor" / "names.flat.tsv", pwc, [
        "Method\tBiRNN 100d (2018)\t1\tsota-extractor:nlp-progress.json\t0",
        "Metric\tAccuracy\t173\tsota-extractor:nlp-progress.json\t0",
    ])
    _write(data / "from_train_annotations" / "entity_names.tsv", "source\ttype\tname\tcount", [
        "scirex_train_mention\tMaterial\tCIFAR - 10\t228",
        "scirex_train_mention\tMethod\tour model\t50",
        "scirex_train_mention\tMethod\tBiRNN\t1",
        "scier_train\tMethod\tGPLOnlyNet\t99",
        "scierc_train\tTask\tunlicensed parsing task\t99",
        "tdmsci_train\tTask\timage classification\t4",
    ])
    (out).mkdir()
    (out / "stoplist.txt").write_text("# test\naccuracy\n", encoding="utf-8")
    counts = derive_gazetteer(data, out)
    lines = (out / "terms.tsv").read_text(encoding="utf-8").splitlines()
    assert lines == [
        "label\tname\tmatch",
        "Dataset\tCIFAR-10\texact",
        "Dataset\tImageNet\texact",
        "Method\tBiRNN\texact",
        "Metric\ttop-1 accuracy\tlower",
        "Task\timage classification\tlower",
    ]
    assert counts == {"Dataset": 2, "Method": 1, "Metric": 1, "Task": 1}


def test_derive_gazetteer_names_the_missing_source(tmp_path: Path) -> None:
    (tmp_path / "stoplist.txt").write_text("model\n", encoding="utf-8")
    with pytest.raises(InputError, match="names.flat.tsv"):
        derive_gazetteer(tmp_path / "nowhere", tmp_path)


def test_exact_terms_match_case_sensitively_lower_terms_do_not() -> None:
    rows = [("Method", "Adam", "exact"), ("Task", "image classification", "lower")]
    per_term, total = match_counts(rows, ["We use Adam for Image Classification.", "Adam and eve; adam."])
    assert per_term == Counter({("Method", "Adam", "exact"): 2, ("Task", "image classification", "lower"): 1})
    assert total == 3


# ------------------------------------------------------------ shipped files


@pytest.fixture(scope="module")
def shipped() -> list[list[str]]:
    return [line.split("\t") for line in TERMS.read_text(encoding="utf-8").splitlines()]


def test_shipped_terms_are_well_formed(shipped: list[list[str]]) -> None:
    header, *rows = shipped
    assert header == ["label", "name", "match"]
    assert rows, "terms.tsv has no terms; regenerate it (see seeds/gazetteer/README.md)"
    assert all(len(row) == 3 for row in rows)
    assert {row[0] for row in rows} == set(LABELS)
    assert {row[2] for row in rows} == {"exact", "lower"}
    assert all(row[1] == row[1].strip() and row[1] for row in rows)
    assert all(row[1] == row[1].lower() for row in rows if row[2] == "lower")
    assert rows == sorted(rows), "terms.tsv must be sorted so regeneration diffs stay small"
    assert TERMS.stat().st_size < 2_000_000


def test_shipped_terms_have_no_duplicates_and_one_label_per_entity(shipped: list[list[str]]) -> None:
    rows = shipped[1:]
    pairs = [(label, name) for label, name, _ in rows]
    assert len(pairs) == len(set(pairs))
    labels_by_key: dict[str, set[str]] = {}
    for label, name, _ in rows:
        labels_by_key.setdefault(entity_key(name), set()).add(label)
    assert {k: v for k, v in labels_by_key.items() if len(v) > 1} == {}


def test_shipped_terms_contain_no_stoplisted_name(shipped: list[list[str]]) -> None:
    stoplist = load_stoplist(STOPLIST)
    stop_keys = {entity_key(s) for s in stoplist}
    assert "precision" in stoplist and "model" in stoplist and "accuracy" not in stoplist
    leaked = [name for _, name, _ in shipped[1:] if name.lower() in stoplist or entity_key(name) in stop_keys]
    assert leaked == []


def test_stoplist_lines_are_single_lower_case_names() -> None:
    lines = [ln for ln in STOPLIST.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    assert all(ln == ln.strip().lower() and "#" not in ln and "\t" not in ln for ln in lines)
    assert len(lines) == len(set(lines))


@pytest.mark.parametrize(
    "row",
    [
        ["Dataset", "ImageNet", "exact"],
        ["Dataset", "CIFAR-10", "exact"],
        ["Dataset", "SQuAD", "exact"],
        ["Method", "BERT", "exact"],
        ["Method", "ResNet-50", "exact"],
        ["Method", "Adam", "exact"],
        ["Metric", "BLEU", "exact"],
        ["Metric", "f1", "lower"],
        ["Metric", "top-1 accuracy", "lower"],
        ["Metric", "mean average precision", "lower"],
        ["Task", "image classification", "lower"],
        ["Task", "question answering", "lower"],
        ["Task", "machine translation", "lower"],
    ],
)
def test_shipped_terms_include_must_have_names(shipped: list[list[str]], row: list[str]) -> None:
    assert row in shipped
