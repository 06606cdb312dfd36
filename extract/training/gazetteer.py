"""Derive ``seeds/gazetteer/terms.tsv`` from the shared name lists.

The PhraseMatcher in ``extract.components`` tags every hit as an entity, so a
noisy list turns straight into wrong graph nodes. The sources (Papers with
Code tables, leaderboard labels, SciREX/TDMSci train mentions) are noisy in
known ways; each helper removes one kind of noise and is tested on its own.
This runs offline; the pipeline reads only the shipped TSV.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from extract.rules import is_short_form, match_long_form
from kg.errors import InputError
from kg.iri import entity_key

logger = logging.getLogger(__name__)

Row = tuple[str, str, str]  # label, name, match
LABELS = ("Dataset", "Method", "Metric", "Task")
# Last tie-break between labels: the specific lists (datasets, metrics) beat
# tasks, which beat the Method list (leaderboard labels and free-text mentions).
PRECEDENCE = ("Dataset", "Metric", "Task", "Method")
MAX_TOKENS = 8
MIN_TRAIN_COUNT = 2
# Train-annotation sources we may ship strings from (Apache-2.0). SciER
# (GPL-3.0) and SciERC (no licence) are left out on purpose.
TRAIN_SOURCES = {"tdmsci_train": "tdmsci", "scirex_train_mention": "scirex", "scirex_train_salient": "scirex"}
_TRAIN_TYPES = {**{lab: lab for lab in LABELS}, "Material": "Dataset"}  # SciREX calls datasets "Material"
_JUNK_RE = re.compile(r"[?~*=#\"|\\{}<>;_\[\]]|https?:|www\.|\bet al\b|\.\.", re.IGNORECASE)
_PAREN_RE = re.compile(r"\s*\(([^()]*)\)")
_YEAR_RE = re.compile(r"\b(?:19|20)\d\d\b")
# Leaderboard sizes and settings that are not part of a name: "100d", "12-layer", "hs".
_SETTING_RE = re.compile(r"^(?:\d+(?:\.\d+)?[dkmb]|\d+-layers?|hs|noop|tuned|single|ensemble|models?|code)$", re.I)
_AUTHOR_RE = re.compile(r"^[A-Z][a-z]+(?:\d\d|\d{4})$|-et-al\b")  # "Collobert2011", "Oh15", "Wang-et-al"
_COMBINE_RE = re.compile(r"\s*\+\s*|\s+w/\s+|\s+with\s+|\s*,\s*|\s+and\s+|\s+on\s+")
# Words that mark a benchmark row as a split, setting or metric column, not a dataset.
_NOT_DATASET_WORDS = frozenset(
    "dev test val validation train training split splits shot shots frames fold setting "
    "clients accuracy wer bleu f1 all per subset easy medium hard full warning".split()
)
# A generic head after a name ("CIFAR-10 dataset", "GAN model") would make a second graph node.
_GENERIC_HEAD_RE = re.compile(
    r"\s+(?:data ?sets?|corpus|corpora|benchmarks?|models?|methods?|algorithms?|systems?|frameworks?|tasks?)$", re.I
)
# Mentions that start like this are descriptions ("our model"), not names.
_DESCRIPTIVE_FIRST = frozenset(
    "a an the our this these those their its each all other proposed such existing "
    "previous standard new novel various different several".split()
)


def load_stoplist(path: Path) -> frozenset[str]:
    """Lower-cased names never to tag, read as ``extract.components`` reads them (``#`` lines are comments)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(f"cannot read stoplist {path}: {e}; restore seeds/gazetteer/stoplist.txt from git") from e
    return frozenset(ln.strip().lower() for ln in lines if ln.strip() and not ln.lstrip().startswith("#"))


def detokenize(name: str) -> str:
    """Undo the corpus tokenisation of train mentions: ``CIFAR - 10`` -> ``CIFAR-10``.

    The PhraseMatcher tokenises a pattern like the text, so a pattern must be
    written the way an abstract writes the name.
    """
    name = re.sub(r"\s+([-/])\s+", r"\1", name)
    name = re.sub(r"(?<=\d) \. (?=\d)", ".", name)
    name = re.sub(r"(?<=\d) (?=[KMB]\b)", "", name)  # "ImageNet-1 K" -> "ImageNet-1K"
    return re.sub(r"\s+\)", ")", re.sub(r"\(\s+", "(", name))


def tidy(name: str) -> str:
    """Collapse white space and drop dangling operators: ``Transformer +`` -> ``Transformer``."""
    return re.sub(r"(?:\s+[-+:*]+)+$|[:*]+$", "", " ".join(name.split()))


def strip_generic_head(name: str) -> str:
    """``CIFAR-10 dataset`` -> ``CIFAR-10``, ``GAN models`` -> ``GAN``; a plain phrase
    (``Multi-Domain Sentiment Dataset``) keeps its head, which is part of the name."""
    base = _GENERIC_HEAD_RE.sub("", name)
    return base if base != name and is_name_like(base) else name


def is_junk(name: str) -> bool:
    """True for PwC spam and injection rows, numbers, single letters, long descriptions,
    cut-off brackets, and mentions that open like a description (``our model``)."""
    words = name.split()
    return (
        len(name) < 2
        or not any(c.isalpha() for c in name)
        or not name.isascii()
        or not name[0].isalnum()
        or len(words) > MAX_TOKENS
        or name.count("(") != name.count(")")
        or bool(_JUNK_RE.search(name))
        or words[0].lower() in _DESCRIPTIVE_FIRST
        or any(w.lower().endswith(("-based", "-like")) for w in words)  # "CNN-based methods"
        or (len(words) == 1 and bool(_SETTING_RE.match(name)))  # "20-layer", "ensemble"
    )


def _has_inner_capital(word: str) -> bool:
    """``ImageNet``, ``BERT``, ``R-CNN``: yes; ``Zero-Shot``, ``Re-Identification``, ``3D``: no."""
    return any(b.isupper() and a.isalpha()
               for part in re.split(r"[-/]", word) for a, b in zip(part, part[1:], strict=False))


def is_name_like(name: str) -> bool:
    """True if a word has a digit or a capital after a letter (``ImageNet``, ``CIFAR-10``, ``BERT``):
    proper names whose case carries meaning."""
    return any(any(c.isdigit() for c in w) or _has_inner_capital(w) for w in name.split())


def split_parenthetical(name: str) -> list[str]:
    """``Exact Match (EM)`` -> ``["Exact Match", "EM"]``: a bracket that abbreviates the rest, or
    that the rest abbreviates (``CoQA (Conversational ...)``), is a second name; any other bracket
    holds a split or setting (``Mean IoU (val)``, ``Accuracy (ViT)``) and is dropped."""
    base = " ".join(_PAREN_RE.sub(" ", name).split())
    names = [base] if base else []
    for inner in (m.strip() for m in _PAREN_RE.findall(name)):
        if (is_short_form(inner) and match_long_form(inner, base) == 0) or (
            inner and is_short_form(base) and match_long_form(base, inner) == 0
        ):
            names.append(inner)
    return names


def normalize_leaderboard_name(label: str) -> list[str]:
    """Method names inside a leaderboard label: ``BiRNN 100d (2018)`` -> ``["BiRNN"]``.

    Labels combine models and settings (``+ELMo``, ``ESIM + GloVe``, ``A3C FF hs``); each part
    that still looks like a proper name is kept. Plain-word parts (``Document Reader``) are
    descriptions and author tags (``Collobert2011``) citations: dropped."""
    parts = _COMBINE_RE.split(_YEAR_RE.sub(" ", _PAREN_RE.sub(" ", label)))
    names = []
    for part in parts:
        words = [w for w in part.split() if not _SETTING_RE.match(w)]
        name = " ".join(words).strip(" -:.")
        # A lone capitalised word is a name only when it is the whole label ("Transformer").
        proper = is_name_like(name) or (len(words) == len(parts) == 1 and name[:1].isupper())
        if len(name) >= 3 and len(words) <= 4 and proper and not is_junk(name) and not _AUTHOR_RE.search(name):
            names.append(name)
    return names


def is_clean_dataset(name: str) -> bool:
    """True for a benchmark/leaderboard row naming a dataset (``CIFAR-10``), not a split
    (``MultiNLI Dev``, ``Kinetics-600 48 frames, 64x64``) or a heading (``Experimental Results``);
    plain-word dataset names come from the dataset tables instead."""
    words = re.split(r"[\s\-]+", name.lower())
    unsplit = len(words) <= 5 and not _NOT_DATASET_WORDS & {*words}
    return is_name_like(name) and unsplit and not re.search(r"[,:]", name)


def _read_tsv(path: Path) -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise InputError(f"gazetteer source {path} not found; pass the shared data/gazetteers folder")
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)


def collect_candidates(data_dir: Path) -> Iterator[tuple[str, str, str, int]]:
    """Every (label, name, source family, mentions in annotated text) the allowed sources offer."""
    for family in ("pwc_archive_2025", "pwc_sota_extractor"):
        for row in _read_tsv(data_dir / family / "names.flat.tsv"):
            if row["suspect"] != "0":
                continue
            kind, raw = row["type"], tidy(row["name"])
            if kind == "Method":
                names = normalize_leaderboard_name(raw)
            elif kind == "Benchmark" or (kind == "Dataset" and family == "pwc_sota_extractor"):
                kind, names = "Dataset", [n for n in split_parenthetical(raw) if is_clean_dataset(n)]
            else:
                names = split_parenthetical(raw)
            yield from ((kind, strip_generic_head(n), family, 0) for n in names)
    for row in _read_tsv(data_dir / "from_train_annotations" / "entity_names.tsv"):
        family, label = TRAIN_SOURCES.get(row["source"]), _TRAIN_TYPES.get(row["type"])
        if family is None or label is None or (family == "scirex" and "  " in row["name"]):
            continue  # a double space in a SciREX salient name marks lost punctuation ("SQuAD1  1")
        raw, count = tidy(detokenize(row["name"])), int(row["count"])
        if count < MIN_TRAIN_COUNT and not (family == "tdmsci" and is_name_like(raw)):
            continue
        salient_method = row["source"] == "scirex_train_salient" and label == "Method"
        names = normalize_leaderboard_name(raw) if salient_method else split_parenthetical(raw)
        yield from ((label, strip_generic_head(n), family, count) for n in names)


def choose_match(label: str, spellings: Counter[str]) -> tuple[str, list[str]]:
    """``exact`` or ``lower`` for one entity, from its spellings weighted by use; and the names to emit.

    A capital inside a word (``ImageNet``, ``mAP``), or a digit in a Method or
    Dataset word (``word2vec``), marks a proper name: exact. All-caps used less
    than another spelling is a shouted header (``MAP`` beside ``mAP``): dropped.
    Tasks, Metrics and multi-word Methods are descriptive: lower. A one-word
    Method is a name if papers mostly capitalise it (``Adam``: exact), else a
    common noun (``dropout``: lower). A plain-word Dataset is a name only as
    capitalised (``Penn Treebank``)."""
    variants = sorted(spellings)
    shouted = {v for v in variants if v.isupper() and any(
        w.lower() == v.lower() and not w.isupper() and spellings[w] >= spellings[v] for w in variants)}
    plain = [v for v in variants if v not in shouted]
    digits_name = label in ("Method", "Dataset")
    proper = [v for v in plain if any(
        _has_inner_capital(w) or (digits_name and w[:1].isalpha() and any(c.isdigit() for c in w)) for w in v.split())]
    if proper:
        return "exact", proper
    mostly_lower = 2 * sum(spellings[v] for v in plain if v.islower()) >= sum(spellings[v] for v in plain)
    if label in ("Task", "Metric") or (label == "Method" and (" " in plain[0] or mostly_lower)):
        return "lower", sorted({v.lower() for v in plain})
    return "exact", [v for v in plain if re.match(r"[A-Z]|\d+ [A-Z]", v)]  # "Penn Treebank", "20 Newsgroups"


def resolve_label(families: dict[str, set[str]], mentions: Counter[str]) -> str:
    """The label most source families give a name; on a tie, the label annotators used most
    in real text (``SGD``: Method, though PwC lists a dataset of that name), then ``PRECEDENCE``."""
    return min(families, key=lambda lab: (-len(families[lab]), -mentions[lab], PRECEDENCE.index(lab)))


def lacks_support(match: str, names: list[str], families: set[str]) -> bool:
    """True if a name needs a second source family and has none. On the sample, one-word
    names from one source (``data``, ``over``) made most matches and were nearly all generic;
    plain-word SciREX mentions were half generic (``feature space``), so SciREX alone vouches
    only for proper names (``BiDAF``); 1-3 character acronyms from one source are local (``SP``)."""
    if len(families) >= 2:
        return False
    if all(len(n) <= 3 for n in names):
        return True
    if families == {"scirex"}:
        return not all(is_name_like(n) for n in names)
    return match == "lower" and all(" " not in n for n in names)


def build_rows(candidates: Iterable[tuple[str, str, str, int]], stoplist: frozenset[str]) -> list[Row]:
    """Drop junk and stoplisted names, group the rest by entity key, give each key one label and a match mode."""
    families: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    mentions: dict[str, Counter[str]] = defaultdict(Counter)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    stop_keys = {entity_key(s) for s in stoplist}
    for label, name, family, count in candidates:
        key = entity_key(name)
        if key and key not in stop_keys and name.lower() not in stoplist and not is_junk(name):
            families[key][label].add(family)
            mentions[key][label] += count
            spellings[key][name] += max(count, 1)
    rows = set()
    for key, by_label in families.items():
        label = resolve_label(by_label, mentions[key])
        match, names = choose_match(label, spellings[key])
        if not lacks_support(match, names, set().union(*by_label.values())):
            rows.update((label, n, match) for n in names if n.lower() not in stoplist)
    logger.info("%d entity keys, %d terms kept", len(families), len(rows))
    return sorted(rows)


def derive_gazetteer(data_dir: Path, out_dir: Path, *, stoplist_path: Path | None = None) -> dict[str, int]:
    """Regenerate ``out_dir/terms.tsv`` from ``data_dir``; return the number of names per label.

    The stoplist defaults to the hand-written ``out_dir/stoplist.txt``.
    :raises InputError: if a source file or the stoplist is missing.
    """
    stoplist = load_stoplist(stoplist_path or out_dir / "stoplist.txt")
    rows = build_rows(collect_candidates(data_dir), stoplist)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = ["label\tname\tmatch", *("\t".join(row) for row in rows)]
    (out_dir / "terms.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = Counter(label for label, _, _ in rows)
    logger.info("wrote %d terms to %s: %s", len(rows), out_dir / "terms.tsv", dict(counts))
    return {label: counts[label] for label in LABELS}


def match_counts(rows: Iterable[Row], texts: Iterable[str]) -> tuple[Counter[Row], int]:
    """In how many texts each term matches, and the total number of matches; matched like the
    pipeline (ORTH for exact, LOWER for lower, longest of overlapping hits). For the README figures."""
    import spacy
    from spacy.matcher import PhraseMatcher
    from spacy.tokens import Span
    from spacy.util import filter_spans

    from extract.components.common import pattern_tokenizer

    nlp = spacy.blank("en")
    patterns = pattern_tokenizer(nlp)  # the terms must not fill the cache of the tokenizer that reads the texts
    matchers = {"exact": PhraseMatcher(nlp.vocab, attr="ORTH"), "lower": PhraseMatcher(nlp.vocab, attr="LOWER")}
    by_id: dict[str, Row] = {}
    for row in rows:
        by_id[str(len(by_id))] = row
        matchers[row[2]].add(str(len(by_id) - 1), [patterns(row[1])])
    texts_per_term: Counter[Row] = Counter()
    total = 0
    for doc in nlp.tokenizer.pipe(texts):
        spans = filter_spans([Span(doc, s, e, label=m) for pm in matchers.values() for m, s, e in pm(doc)])
        total += len(spans)
        texts_per_term.update({by_id[span.label_] for span in spans})
    return texts_per_term, total
