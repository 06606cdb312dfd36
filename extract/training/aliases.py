"""Derive ``seeds/gazetteer/aliases.tsv``: dataset aliases and variants from Papers with Code names.

Two patterns in the PwC dataset and benchmark names (CC BY-SA 4.0, Papers with Code):
 - "Long Name (ABBR)" or "ABBR (Long Name)" where ABBR abbreviates Long Name
   (checked with the same Schwartz-Hearst matcher the pipeline uses): the
   two are the same dataset;
 - "Base (setting)" or "Base - setting" where Base is itself a listed name:
   a variant of Base ("ImageNet (non-targeted PGD, max perturbation=4)").
Only pairs whose two names are different after normalising are written.
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

from extract.rules import is_short_form, match_long_form
from kg.iri import entity_key

logger = logging.getLogger(__name__)

_PAREN = re.compile(r"^(?P<base>[^()]+?)\s*\((?P<inner>[^()]+)\)(?P<rest>.*)$")
_DASH = re.compile(r"^(?P<base>.+?)\s+-\s+(?P<rest>.+)$")


def _names(data_dir: Path) -> set[str]:
    names = set()
    for rel in ("pwc_archive_2025/names.flat.tsv", "pwc_sota_extractor/names.flat.tsv"):
        with open(data_dir / rel, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                if row["type"] in ("Dataset", "Benchmark") and row.get("suspect", "0") == "0":
                    names.add(" ".join(row["name"].split()))
    return names


def alias_rows(names: set[str]) -> list[tuple[str, str, str]]:
    """(name, canonical, "same"|"variant") rows from a set of dataset/benchmark names.

    >>> sorted(alias_rows({"A Ball Collision Dataset (ABCD)", "ImageNet", "ImageNet (64x64)", "X (Y)"}))
    [('ABCD', 'A Ball Collision Dataset', 'same'), ('ImageNet (64x64)', 'ImageNet', 'variant')]
    """
    keys = {entity_key(n): n for n in names}
    rows = set()
    for name in names:
        m = _PAREN.match(name)
        if m:
            base, inner, rest = m["base"].strip(), m["inner"].strip(), m["rest"].strip()
            if not rest and is_short_form(inner) and match_long_form(inner, base) == 0 and " " in base:
                rows.add((inner, base, "same"))
                continue
            if not rest and is_short_form(base) and match_long_form(base, inner) == 0 and " " in inner:
                rows.add((base, inner, "same"))
                continue
            if entity_key(base) in keys and entity_key(base) != entity_key(name):
                rows.add((name, keys[entity_key(base)], "variant"))
                continue
        d = _DASH.match(name)
        if d and entity_key(d["base"]) in keys and entity_key(d["base"]) != entity_key(name):
            rows.add((name, keys[entity_key(d["base"])], "variant"))
    return sorted(rows)


def derive_aliases(data_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write ``out_dir/aliases.tsv``; return the number of rows per relation."""
    rows = alias_rows(_names(data_dir))
    lines = ["name\tcanonical\trelation", *("\t".join(r) for r in rows)]
    (out_dir / "aliases.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = {"same": sum(r[2] == "same" for r in rows), "variant": sum(r[2] == "variant" for r in rows)}
    logger.info("wrote %s aliases to %s", counts, out_dir / "aliases.tsv")
    return counts
