"""Train and evaluate our spaCy NER models on the annotated benchmarks.

Data flow: :mod:`extract.corpora` readers -> spaCy ``Doc`` objects built from
the gold tokens (:func:`corpus_to_docs`) -> ``DocBin`` files under the
git-ignored ``build/corpus/`` (:func:`prepare_corpora`) -> spaCy's own
training loop (``spacy.cli.train.train``) driven by a committed config in
``extract/configs/`` (:func:`train_main`) -> :func:`evaluate_ner`, which scores
the predictions against the *full* gold annotation read by the corpora readers
(exact span + type, micro-averaged, as the benchmark papers do; gold entities
that nest inside others, which a spaCy ``doc.ents`` cannot hold, still count
as misses).

Run ``python -m extract.training --help`` (commands: prepare, train, evaluate, speed).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

from extract.corpora import (
    TDMSCI_TO_SCIER,
    AnnotatedDoc,
    Corpus,
    data_dir,
    map_labels,
    read_split,
)
from extract.scoring import PRF
from kg.errors import ExtractionError

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
BUILD_DIR = REPO_ROOT / "build"
CORPUS_DIR = BUILD_DIR / "corpus"
CONFIG_DIR = REPO_ROOT / "extract" / "configs"
MODELS_DIR = REPO_ROOT / "extract" / "models"

# Long full-text documents (SciER papers) are cut into chunks of this many
# sentences, about one abstract's worth, so batches shuffle and stay small.
DEFAULT_MAX_SENTS = 10

# name of a DocBin under build/corpus/ -> (split key, label mapping or None, sentences per doc, spans key).
# Spans key None: entities are doc.ents (a plain spaCy "ner"); otherwise all gold entities (nested ones
# included) go to doc.spans[key] for the abx_keyed_ner head of that scheme (extract.keyed_ner).
DATASETS: dict[str, tuple[str, dict[str, str | None] | None, int | None, str | None]] = {
    "scierc_train": ("scierc:train", None, None, None),
    "scierc_dev": ("scierc:dev", None, None, None),
    "scier_train": ("scier:train", None, DEFAULT_MAX_SENTS, None),
    "scier_dev": ("scier:dev", None, DEFAULT_MAX_SENTS, None),
    "tdmsci_train_scier": ("tdmsci:train", dict(TDMSCI_TO_SCIER), None, None),
    "k_scierc_train": ("scierc:train", None, None, "scierc"),
    "k_scierc_dev": ("scierc:dev", None, None, "scierc"),
    "k_scier_train": ("scier:train", None, DEFAULT_MAX_SENTS, "scier"),
    "k_scier_dev": ("scier:dev", None, DEFAULT_MAX_SENTS, "scier"),
    "k_tdmsci_train": ("tdmsci:train", dict(TDMSCI_TO_SCIER), None, "scier"),
}


# ------------------------------------------------------------------ conversion


def _chunks(doc: AnnotatedDoc, max_sents: int | None) -> list[AnnotatedDoc]:
    """Split a document into pieces of at most ``max_sents`` sentences (entities re-indexed)."""
    if max_sents is None or len(doc.sentences) <= max_sents:
        return [doc]
    out = []
    for k, first in enumerate(range(0, len(doc.sentences), max_sents)):
        last = first + max_sents
        ents = tuple(e._replace(sent=e.sent - first) for e in doc.entities if first <= e.sent < last)
        rels = tuple(r._replace(sent=r.sent - first) for r in doc.relations if first <= r.sent < last)
        out.append(AnnotatedDoc(f"{doc.doc_id}#{k}", doc.sentences[first:last], ents, rels))
    return out


def tokens_doc(vocab: Vocab, sentences: Sequence[Sequence[str]]) -> Doc:
    """A ``Doc`` of the gold tokens, one space between tokens, sentence starts set."""
    words = [w for s in sentences for w in s]
    spaces = [True] * len(words)
    if spaces:
        spaces[-1] = False
    sent_starts: list[bool] = []
    for s in sentences:
        sent_starts.extend([True] + [False] * (len(s) - 1))
    return Doc(vocab, words=words, spaces=spaces, sent_starts=sent_starts)


def _offsets(doc: AnnotatedDoc) -> list[int]:
    out, n = [], 0
    for s in doc.sentences:
        out.append(n)
        n += len(s)
    return out


def gold_spans(doc: AnnotatedDoc) -> set[tuple[int, int, str]]:
    """The document's entities as ``(doc_token_start, doc_token_end_exclusive, label)``."""
    base = _offsets(doc)
    return {(base[e.sent] + e.start, base[e.sent] + e.end, e.label) for e in doc.entities}


def annotated_to_doc(vocab: Vocab, doc: AnnotatedDoc, spans_key: str | None = None) -> tuple[Doc, int]:
    """A spaCy ``Doc`` of the gold tokens with the gold entities; also how many nested ones were dropped.

    Without ``spans_key`` the entities are ``doc.ents``, which cannot overlap: the
    longest (then first) are kept. With it, all of them go to ``doc.spans[spans_key]``
    (an empty group still marks the doc as annotated in that scheme) and none is dropped.
    """
    sdoc = tokens_doc(vocab, doc.sentences)
    spans = [Span(sdoc, s, e, label=lab) for s, e, lab in sorted(gold_spans(doc))]
    sdoc.user_data["doc_id"] = doc.doc_id
    if spans_key is not None:
        sdoc.spans[spans_key] = spans
        return sdoc, 0
    kept = filter_spans(spans)
    sdoc.ents = kept
    return sdoc, len(spans) - len(kept)


def corpus_to_docs(
    vocab: Vocab,
    corpus: Corpus | Iterable[AnnotatedDoc],
    *,
    max_sents: int | None = None,
    spans_key: str | None = None,
) -> list[Doc]:
    docs, dropped = [], 0
    for ad in corpus:
        for piece in _chunks(ad, max_sents):
            sdoc, n = annotated_to_doc(vocab, piece, spans_key)
            docs.append(sdoc)
            dropped += n
    if dropped:
        log.info("%s: %d nested entities not representable as doc.ents", getattr(corpus, "name", "corpus"), dropped)
    return docs


def load_dataset(name: str, data: Path | None = None) -> tuple[Corpus, int | None, str | None]:
    key, mapping, max_sents, spans_key = DATASETS[name]
    corpus = read_split(key, data)
    if mapping is not None:
        corpus = map_labels(corpus, mapping)
    return corpus, max_sents, spans_key


def prepare_corpora(out_dir: Path = CORPUS_DIR, data: Path | None = None, names: Iterable[str] = DATASETS) -> dict:
    """Write one ``DocBin`` per dataset to ``out_dir``; return a summary per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = spacy.blank("en").vocab
    summary = {}
    for name in names:
        corpus, max_sents, spans_key = load_dataset(name, data)
        docs = corpus_to_docs(vocab, corpus, max_sents=max_sents, spans_key=spans_key)
        DocBin(docs=docs, store_user_data=False).to_disk(out_dir / f"{name}.spacy")
        summary[name] = {
            "source": corpus.summary(),
            "docs": len(docs),
            "ents_in_docbin": sum(len(d.ents) if spans_key is None else len(d.spans[spans_key]) for d in docs),
        }
        log.info("%s: %s", name, summary[name])
    return summary


def merge_docbins(names: Sequence[str], out_path: Path, corpus_dir: Path = CORPUS_DIR) -> Path:
    """Concatenate prepared DocBins (e.g. SciER train + mapped TDMSci) into one file."""
    merged = DocBin()
    for name in names:
        merged.merge(DocBin().from_disk(corpus_dir / f"{name}.spacy"))
    merged.to_disk(out_path)
    return out_path


# ------------------------------------------------------------------ training


def train_main(argv: Sequence[str] | None = None) -> int:
    """``train CONFIG OUTPUT --train NAME[+NAME] --dev NAME [--set section.key=value ...]``.

    ``NAME`` is a DocBin prepared by :func:`prepare_corpora`; ``a+b`` merges them.
    Training runs spaCy's own loop; the config's ``[system] seed`` fixes the run.
    """
    p = argparse.ArgumentParser(prog="extract.training train")
    p.add_argument("config", type=Path)
    p.add_argument("output", type=Path)
    p.add_argument("--train", required=True, help="prepared dataset name(s), joined by +")
    p.add_argument("--dev", required=True)
    p.add_argument("--init-tok2vec", type=Path, default=None)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override (JSON value)")
    p.add_argument("--corpus-dir", type=Path, default=CORPUS_DIR)
    args = p.parse_args(argv)

    from spacy.cli.train import train as spacy_train

    import extract.keyed_ner  # noqa: F401  (registers abx_keyed_ner for the configs)

    def resolve(spec: str) -> Path:
        names = spec.split("+")
        missing = [n for n in names if not (args.corpus_dir / f"{n}.spacy").is_file()]
        if missing:
            prepare_corpora(args.corpus_dir, names=[n for n in missing if n in DATASETS])
        if len(names) == 1:
            return args.corpus_dir / f"{names[0]}.spacy"
        return merge_docbins(names, args.corpus_dir / f"{'+'.join(names)}.spacy", args.corpus_dir)

    overrides: dict[str, object] = {"paths.train": str(resolve(args.train)), "paths.dev": str(resolve(args.dev))}
    if args.init_tok2vec is not None:
        overrides["paths.init_tok2vec"] = str(args.init_tok2vec)
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    t0 = time.perf_counter()
    spacy_train(args.config, args.output, overrides=overrides, use_gpu=-1)
    log.info("trained in %.0f s", time.perf_counter() - t0)
    (Path(args.output) / "train_info.json").write_text(
        json.dumps(
            {"config": str(args.config), "overrides": overrides, "seconds": round(time.perf_counter() - t0, 1)},
            indent=2,
        )
    )
    return 0


# ------------------------------------------------------------------ evaluation


def load_pipeline(path: str | Path) -> Language:
    """``spacy.load`` with our custom factories registered (``abx_keyed_ner``)."""
    import extract.keyed_ner  # noqa: F401

    return spacy.load(path)


@dataclass(frozen=True, slots=True)
class NerScores:
    corpus: str
    micro: PRF
    per_label: dict[str, PRF]
    n_docs: int
    n_words: int
    seconds: float

    def as_dict(self) -> dict:
        def row(x: PRF) -> dict:
            return x.as_dict()

        return {
            "corpus": self.corpus,
            "micro": row(self.micro),
            "per_label": {k: row(v) for k, v in sorted(self.per_label.items())},
            "docs": self.n_docs,
            "words": self.n_words,
            "words_per_s": round(self.n_words / self.seconds) if self.seconds else None,
        }

    def table(self) -> str:
        m = self.micro
        lines = [f"{self.corpus}: micro P {100 * m.p:.1f} R {100 * m.r:.1f} F {100 * m.f:.2f}"]
        for k, v in sorted(self.per_label.items()):
            lines.append(f"  {k:<20} P {100 * v.p:5.1f} R {100 * v.r:5.1f} F {100 * v.f:5.1f}  (gold {v.tp + v.fn})")
        return "\n".join(lines)


def score_spans(gold: Iterable[set[tuple]], pred: Iterable[set[tuple]]) -> tuple[PRF, dict[str, PRF]]:
    """Exact-match micro P/R/F over per-document sets of ``(start, end, label)``.

    >>> micro, per = score_spans([{(0, 2, "A"), (3, 4, "B")}], [{(0, 2, "A"), (3, 4, "A")}])
    >>> (micro.tp, micro.fp, micro.fn), (per["A"].tp, per["A"].fp, per["B"].fn)
    ((1, 1, 1), (1, 1, 1))
    """
    c: Counter[tuple[str, str]] = Counter()
    for g, p in zip(gold, pred, strict=True):
        for s in p & g:
            c[("tp", s[-1])] += 1
        for s in p - g:
            c[("fp", s[-1])] += 1
        for s in g - p:
            c[("fn", s[-1])] += 1
    labels = sorted({lab for _, lab in c})
    per = {lab: PRF(c[("tp", lab)], c[("fp", lab)], c[("fn", lab)]) for lab in labels}
    micro = PRF(sum(x.tp for x in per.values()), sum(x.fp for x in per.values()), sum(x.fn for x in per.values()))
    return micro, per


def predicted_spans(doc: Doc, spans_key: str | None = None) -> set[tuple[int, int, str]]:
    spans = doc.ents if spans_key is None else doc.spans.get(spans_key, [])
    return {(s.start, s.end, s.label_) for s in spans}


def evaluate_ner(
    nlp: Language | str | Path,
    corpus: Corpus,
    *,
    spans_key: str | None = None,
    label_map: dict[str, str | None] | None = None,
    batch_size: int = 64,
    gold_tokens: bool = False,
) -> NerScores:
    """Score a pipeline's entities on a corpus read by :mod:`extract.corpora`.

    Each document's text is its gold tokens joined by single spaces. By default
    the pipeline's own tokenizer splits it again, as in training (spaCy's corpus
    reader with ``gold_preproc = false``) and in production; predicted spans are
    mapped back to gold tokens by character offsets, and a span whose edges fall
    inside a gold token cannot match. ``gold_tokens=True`` feeds the gold tokens
    instead. Documents run whole (SciER papers are long, but the CNN NER only
    sees a small window). Predictions come from ``doc.ents``, or
    ``doc.spans[spans_key]``; ``label_map`` renames or drops predicted labels.
    """
    if not isinstance(nlp, Language):
        nlp = load_pipeline(nlp)
    gold_docs = [tokens_doc(nlp.vocab, d.sentences) for d in corpus]
    docs = gold_docs if gold_tokens else [d.text for d in gold_docs]
    t0 = time.perf_counter()
    out = list(nlp.pipe(docs, batch_size=batch_size))
    seconds = time.perf_counter() - t0
    gold = [gold_spans(d) for d in corpus]
    pred = []
    for gdoc, doc in zip(gold_docs, out, strict=True):
        spans = predicted_spans(doc, spans_key)
        if not gold_tokens:
            starts = {t.idx: t.i for t in gdoc}
            ends = {t.idx + len(t): t.i + 1 for t in gdoc}
            spans = {
                (starts.get(doc[s].idx, -1), ends.get(doc[e - 1].idx + len(doc[e - 1]), -1), lab)
                for s, e, lab in spans
            }
        if label_map is not None:
            spans = {(s, e, label_map.get(lab, lab)) for s, e, lab in spans if label_map.get(lab, lab) is not None}
        pred.append(spans)
    micro, per = score_spans(gold, pred)
    return NerScores(corpus.name, micro, per, len(out), sum(len(d) for d in out), seconds)


# ------------------------------------------------------------------ throughput


def seed_texts(path: Path | None = None) -> list[str]:
    """Title + abstract texts of the seed papers (``kg.ingest.readers.read_file``)."""
    from kg.ingest.readers import read_file

    path = path or REPO_ROOT / "seeds" / "000_1ff9c41d867ee307.txt"
    return [f"{p.title}\n\n{p.abstract}" for p in read_file(path).papers]


def measure_throughput(nlp: Language, texts: Sequence[str], *, repeats: int = 5, batch_size: int = 64) -> dict:
    """Abstracts/s and words/s of ``nlp.pipe`` over ``texts``, best of ``repeats`` passes (after a warm-up)."""
    list(nlp.pipe(texts[:8]))
    best = float("inf")
    n_words = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        docs = list(nlp.pipe(texts, batch_size=batch_size))
        best = min(best, time.perf_counter() - t0)
        n_words = sum(len(d) for d in docs)
    return {
        "texts": len(texts),
        "tokens": n_words,
        "seconds": round(best, 4),
        "abstracts_per_s": round(len(texts) / best, 1),
        "tokens_per_s": round(n_words / best),
    }


# ------------------------------------------------------------------ unlabelled text for `spacy pretrain`

ABSTRACTS_FILE = Path("abstracts") / "ml_conference_abstracts.jsonl.gz"
EVAL_SPLITS = ("scierc:dev", "scierc:test", "scier:dev", "scier:test", "scier:test_ood")


def prepare_pretrain_text(out_path: Path = BUILD_DIR / "pretrain" / "raw.jsonl", *, probe_chars: int = 40) -> dict:
    """Write the unlabelled abstracts as ``{"text": title + abstract}`` lines for ``spacy pretrain``.

    Shuffled with a fixed seed; an abstract sharing any ``probe_chars``-long normalised
    (lower-case alphanumeric) string with a dev/test sentence of SciERC or SciER is left
    out, so no evaluation text is seen, even unlabelled. The output stays under the
    git-ignored ``build/``: the abstracts must not be redistributed.
    """
    import gzip
    import random
    import re

    def norm(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    probes = set()
    for key in EVAL_SPLITS:
        for doc in read_split(key):
            for sent in doc.sentences:
                n = norm("".join(sent))
                if len(n) >= probe_chars:
                    probes.add(n[:probe_chars])
    with gzip.open(data_dir() / ABSTRACTS_FILE, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    random.Random(0).shuffle(records)
    kept = dropped = 0
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as out:
        for rec in records:
            text = rec["title"].strip() + "\n\n" + rec["abstract"].strip()
            n = norm(text)
            if any(n[i : i + probe_chars] in probes for i in range(max(1, len(n) - probe_chars + 1))):
                dropped += 1
                continue
            out.write(json.dumps({"text": text}) + "\n")
            kept += 1
    return {"abstracts": len(records), "kept": kept, "dropped_overlapping_eval": dropped, "path": str(out_path)}


# ------------------------------------------------------------------ command line


def add_trained_components(nlp: Language, *trained: Language) -> Language:
    """Append every component of the trained pipelines to ``nlp`` (sourced: weights, labels and strings copied).

    This is how the rule pipeline gets the NER heads: sourcing the shared ``tok2vec``
    together with its listeners keeps them connected.
    """
    for other in trained:
        for name in other.pipe_names:
            nlp.add_pipe(name, source=other)
    return nlp


# ------------------------------------------------------------------ shipping a trained pipeline


def clear_corpus_paths(config_path: Path) -> None:
    """Blank the training and dev corpus paths a trained config remembers: they name folders of the
    machine it was trained on, and loading the model never reads them."""
    from spacy.util import load_config

    config = load_config(config_path, interpolate=False)
    for key in ("train", "dev"):
        config["paths"][key] = None
    config.to_disk(config_path)


def export_model(src: Path, dst: Path, check_texts: Sequence[str]) -> dict:
    """Copy a trained pipeline to ``dst`` with its string store cut down to the component labels.

    spaCy saves every string seen in training (``vocab/strings.json``), here the word types of
    the benchmarks and of the unlabelled abstracts behind the silver data, which must not be
    shipped. The CNN reads hashed features, so no prediction needs those strings: the copy is
    checked to predict exactly what ``src`` predicts on ``check_texts`` (raises otherwise).
    """
    import shutil

    src_nlp = load_pipeline(src)
    labels = sorted({lab for name in src_nlp.pipe_names for lab in getattr(src_nlp.get_pipe(name), "labels", ())})
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("train_info.json"))
    (dst / "vocab" / "strings.json").write_text(json.dumps(labels), encoding="utf-8")
    clear_corpus_paths(dst / "config.cfg")
    dst_nlp = load_pipeline(dst)

    def spans(nlp: Language) -> list:
        return [
            sorted((key, s.start, s.end, s.label_) for key, group in d.spans.items() for s in group)
            for d in nlp.pipe(check_texts, batch_size=64)
        ]

    if spans(src_nlp) != spans(dst_nlp):
        raise ExtractionError(f"{dst}: predictions changed once the string store was cut down; ship {src} unchanged")
    return {"labels": labels, "strings_before": len(src_nlp.vocab.strings), "checked_texts": len(check_texts)}
