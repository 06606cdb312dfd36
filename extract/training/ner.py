"""Train, score, time and ship our spaCy NER pipelines.

Training runs spaCy's own loop (``spacy.cli.train.train``) on a committed config in ``extract/configs/``
(:func:`train_main`); :func:`evaluate_ner` scores the predictions against the *full* gold annotation read by
the corpora readers (exact span + type, micro-averaged, as the benchmark papers do; gold entities that nest
inside others, which a spaCy ``doc.ents`` cannot hold, still count as misses).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from extract.training.corpora import Corpus
from extract.training.prepare import CORPUS_DIR, DATASETS, REPO_ROOT, merge_docbins, prepare_corpora
from extract.training.scoring import PRF
from extract.training.spans import gold_spans, predicted_spans, score_spans, tokens_doc
from kg.errors import ExtractionError

log = logging.getLogger(__name__)


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

    import extract.components  # noqa: F401 - registers abx_keyed_ner for the configs

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
    import extract.components  # noqa: F401 - registers the factories the pipeline names

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


def evaluate_ner(
    nlp: Language | str | Path,
    corpus: Corpus,
    *,
    spans_key: str | None = None,
    label_map: dict[str, str | None] | None = None,
    batch_size: int = 64,
    gold_tokens: bool = False,
) -> NerScores:
    """Score a pipeline's entities on a corpus read by :mod:`extract.training.corpora`.

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
