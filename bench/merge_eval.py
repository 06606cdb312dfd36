"""Evaluation: does our entity identity merge what is the same and keep apart what is not?

Usage: python bench/merge_eval.py [SCIERC_JSON] (default: ../shared/data/scierc/train.json)

Labelled name pairs come from SciERC's coreference clusters (Luan et al., 2018):
 - same-entity pairs: two different surface forms in one cluster;
 - different-entity pairs: two surface forms from different clusters of one abstract.
Mentions typed Generic ("this method") and pronouns are left out: the graph
never makes nodes of them. Brackets are unescaped (-LRB- -> "(") and a
trailing parenthetical is cut from a gold mention ("belief propagation ( BP )").
Each pair is predicted "same" when our canonical keys agree, with the abbreviations our pipeline
detects in that abstract.
Prints precision and recall of "same", against a lower-casing baseline.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract import Extractor
from extract.rules import is_short_form
from kg.graph.canon import EntityTable
from kg.iri import paper_key
from kg.model import Paper

DEFAULT = ROOT.parent / "shared" / "data" / "scierc" / "train.json"
# SciERC writes brackets as Penn Treebank escapes.
PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}
PRONOUNS = {"it", "they", "this", "these", "that", "those", "its", "their", "them", "which", "we", "our"}


def _pairs(doc: dict) -> tuple[list[tuple[str, str, bool]], str]:
    tokens = [PTB.get(t, t) for s in doc["sentences"] for t in s]
    generic = {(a, b) for sent in doc["ner"] for a, b, label in sent if label == "Generic"}
    clusters = []
    for cluster in doc["clusters"]:
        # "belief propagation ( BP )" is one gold mention; our mentions never span
        # the parenthesis, so it is scored as "belief propagation".
        names = {re.sub(r"\s*\(.*$", "", " ".join(tokens[a:b + 1])).strip()
                 for a, b in cluster if (a, b) not in generic}
        names = {n for n in names if n}
        names = {n for n in names if n.lower() not in PRONOUNS}
        if names:
            clusters.append(names)
    pairs = []
    for names in clusters:
        pairs += [(a, b, True) for a, b in itertools.combinations(sorted(names), 2)]
    for c1, c2 in itertools.combinations(clusters, 2):
        pairs += [(a, b, False) for a in sorted(c1) for b in sorted(c2) if a != b]
    return pairs, " ".join(tokens)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    extractor = Extractor()
    counts = {"ours": [0, 0, 0], "lowercase": [0, 0, 0],
              "ours, abbreviation pairs": [0, 0, 0]}  # tp, fp, fn
    n_same = n_diff = 0
    totals: dict[str, int] = {}
    for doc in docs:
        pairs, text = _pairs(doc)
        if not pairs:
            continue
        paper = Paper(key=paper_key(doc["doc_key"]), title="", abstract=text)
        ex = extractor.extract(paper)
        table = EntityTable([ex])
        for a, b, same in pairs:
            n_same += same
            n_diff += not same
            ours = table.key_for_text(paper.key, a) == table.key_for_text(paper.key, b)
            checks = [("ours", ours), ("lowercase", a.lower() == b.lower())]
            if is_short_form(a) != is_short_form(b):  # one side an acronym, the other not
                checks.append(("ours, abbreviation pairs", ours))
            for name, predicted in checks:
                c = counts[name]
                totals[name] = totals.get(name, 0) + 1
                if predicted and same:
                    c[0] += 1
                elif predicted:
                    c[1] += 1
                elif same:
                    c[2] += 1
    print(f"{path.name}: {len(docs)} abstracts, {n_same} same-entity pairs, {n_diff} different-entity pairs\n")
    print("| identity | merge precision | merge recall | merged pairs | pairs |\n|---|---|---|---|---|")
    for name, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        print(f"| {name} | {p:.3f} | {r:.3f} | {tp + fp} | {totals[name]} |")


if __name__ == "__main__":
    main()
