"""Corrections: parsed with clear errors, applied on every build, written atomically."""

from __future__ import annotations

import json

import pytest

from kg.cli import main
from kg.errors import ConfigError
from kg.graph import corrections
from kg.graph.canon import EntityTable
from kg.model import Abbreviation, EntityType, Extraction, Mention, Paper, Role, Section, TextSpan
from kg.store.generations import open_current


def _span(text, start=0):
    return TextSpan(Section.ABSTRACT, start, start + len(text), text)


def _ex(key, names, abbreviations=()):
    mentions = tuple(Mention(_span(n, i * 20), EntityType.METHOD, Role.USES, _span(n), "gazetteer")
                     for i, n in enumerate(names))
    return Extraction(Paper(key=key, title=key, abstract="a"), "rules", "1", mentions, tuple(abbreviations))


def test_parse_reports_the_line_and_the_fix():
    with pytest.raises(ConfigError, match=r"c.tsv:3: unknown correction 'glue'"):
        corrections.parse("# header\nmerge\tA\tB\nglue\tA\n", "c.tsv")
    with pytest.raises(ConfigError, match=r":1: merge takes 2"):
        corrections.parse("merge\tA\n")
    with pytest.raises(ConfigError, match="unknown type 'Gadget'"):
        corrections.parse("retype\tA\tGadget\n")
    fixes = corrections.parse("merge\tResNet50\tResNet v1\t# why\nreject\tmemorization\n")
    assert fixes.merges == (("resnet 50", "resnet v 1"),) and fixes.rejects == {"memorization"}


def test_each_correction_changes_the_entity_table():
    exs = [_ex("p1", ["ResNet50", "ResNet v1", "memorization", "COCO", "ID"],
               [Abbreviation(_span("ID", 80), _span("in-domain"))]),
           _ex("p2", ["ID"])]
    plain = EntityTable(exs)
    assert "in domain" in plain.entities and "id" not in plain.entities
    fixes = corrections.parse("merge\tResNet50\tResNet v1\nreject\tmemorization\nretype\tCOCO\tdataset\n"
                              "rename\tCOCO\tMS COCO\nsplit\tID\n")
    table = EntityTable(exs, corrections=fixes)
    assert "resnet v 1" not in table.entities and table.entities["resnet 50"].alt_labels == ("ResNet v1",)
    assert "memorization" not in table.entities
    assert (table.entities["coco"].type, table.entities["coco"].pref_label) == (EntityType.DATASET, "MS COCO")
    assert "id" in table.entities and table.entities["id"].paper_count == 2


def test_append_validates_and_survives_a_full_rebuild(tmp_path, capsys):
    src = tmp_path / "p.jsonl"
    src.write_text(json.dumps({"title": "T", "abstract": "We train ResNet50 and ResNet-v1 with BERT."}) + "\n")
    store, fixes = tmp_path / "store", tmp_path / "corrections.tsv"
    corrections.append(fixes, "merge", "ResNet50", "ResNet-v1")
    with pytest.raises(ConfigError):
        corrections.append(fixes, "merge", "only one")
    assert fixes.read_text().count("\nmerge\t") == 1  # the bad line was not written
    for _ in range(2):  # the merge holds on every rebuild
        assert main(["build", str(src), "--store", str(store)]) == 0
        _, st = open_current(store)
        labels = {r["l"].value for r in st.query(
            'SELECT ?l WHERE { ?e <http://www.w3.org/2004/02/skos/core#altLabel> ?l }')}
        assert "ResNet-v1" in labels


def test_remove_last_takes_out_only_the_last_correction(tmp_path):
    from kg.graph.corrections import HEADER, append, remove_last

    path = tmp_path / "corrections.tsv"
    assert remove_last(path) is None and not path.exists()
    append(path, "merge", "ResNet50", "ResNet-50")
    append(path, "reject", "memorization")
    with path.open("a", encoding="utf-8") as f:
        f.write("# a comment after the last correction\n\n")
    assert remove_last(path) == ("reject", "memorization")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(HEADER) and "merge\tResNet50\tResNet-50\n" in text and "reject\tmemorization" not in text
    assert "# a comment after the last correction" in text
    assert remove_last(path) == ("merge", "ResNet50", "ResNet-50")
    assert remove_last(path) is None and path.read_text(encoding="utf-8").startswith(HEADER)
