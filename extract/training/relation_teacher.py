"""A transformer *teacher* for the relation model, used only at training time (never shipped, never at run time).

The shipped relation model (:mod:`extract.relations`) is a linear classifier over sparse
word features, fast enough for the pipeline but starved of data: SciERC train gives 8,360
candidate pairs. The teacher reads each pair in context: the MiniLM encoder of the NER teacher
(:mod:`extract.training.teacher`), run over the sentence with *typed entity markers* written as
punctuation (the first argument as ``@ * type * words @``, the second as ``# ^ type ^ words #``,
after Zhou & Chen, "An Improved Baseline for Sentence-level Relation Extraction", 2022), and one
linear layer over the hidden states of the two opening markers. Its classes are the linear
model's (``NONE`` plus each label in both directions), so its probabilities are targets the
linear model can learn directly.

Distillation: the teacher is fine-tuned on the gold pairs of the train split, then scores the
candidate pairs among the entities our own NER predicts in unlabelled abstracts (``label``);
``extract.training.relations.fit.train_relations(..., silver=...)`` fits the linear model to gold + those
probabilities.

Needs the training extras (``requirements-train.txt``). Commands:
``python -m extract.training rel-teacher-train OUT`` and
``python -m extract.training rel-teacher-label TEACHER RAW.jsonl OUT.jsonl.gz --limit N``.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from extract.relations.features import MAX_BETWEEN, candidate_pairs
from extract.relations.model import NONE, SCHEMES
from extract.training.corpora import read_split
from extract.training.relations.fit import LabelledPair, _classes, labelled_pairs
from extract.training.scoring import PRF
from extract.training.teacher import MAX_PIECES, SENTENCIZER
from extract.training.teacher_loop import _batches, _torch, fit_epochs, minilm_dir, optimizer, read_texts, seeded
from kg.errors import ExtractionError

if TYPE_CHECKING:  # a training extra: not installed by requirements.txt
    import torch

log = logging.getLogger(__name__)
# Pairs are found by the linear model's candidate rule (MAX_BETWEEN), so teacher and student see the same pairs.

# Entity types as words in the markers (the encoder reads them; SciERC's long label names split badly).
TYPE_WORDS = {"OtherScientificTerm": "term", "Generic": "generic", "Material": "material", "Method": "method",
              "Task": "task", "Metric": "metric", "Dataset": "dataset"}


@dataclass(frozen=True, slots=True)
class MarkedPair:
    words: tuple[str, ...]
    first: int  # word index of the marker opening the first argument
    second: int  # ... and the second
    label: int  # class index (-1: unknown, for labelling)


def mark(tokens: Sequence[str], a: tuple, b: tuple) -> MarkedPair:
    """The sentence with both arguments marked; ``a`` comes before ``b`` and they do not overlap.

    >>> m = mark(("a", "CNN", "for", "parsing"), (1, 2, "Method"), (3, 4, "Task"))
    >>> " ".join(m.words), m.words[m.first], m.words[m.second]
    ('a @ * method * CNN @ for # ^ task ^ parsing #', '@', '#')
    """
    if not (0 <= a[0] < a[1] <= b[0] < b[1] <= len(tokens)):
        raise ExtractionError(f"cannot mark spans {a[:2]} and {b[:2]} in a sentence of {len(tokens)} words: "
                              "the first must end before the second starts")
    ta = TYPE_WORDS.get(a[2], str(a[2]).lower()) if len(a) > 2 and a[2] else "entity"
    tb = TYPE_WORDS.get(b[2], str(b[2]).lower()) if len(b) > 2 and b[2] else "entity"
    words = [*tokens[: a[0]], "@", "*", ta, "*", *tokens[a[0] : a[1]], "@", *tokens[a[1] : b[0]]]
    second = len(words)
    words += ["#", "^", tb, "^", *tokens[b[0] : b[1]], "#", *tokens[b[1] :]]
    return MarkedPair(tuple(words), a[0], second, -1)


def marked_pairs(pairs: Sequence[LabelledPair]) -> list[MarkedPair]:
    return [replace(mark(p.tokens, p.a, p.b), label=p.label) for p in pairs]


class RelationTeacher:
    """MiniLM encoder + a linear layer over the two opening markers' hidden states."""

    def __init__(self, classes: Sequence[str], encoder_dir: Path | None = None, *, dropout: float = 0.1) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        src = encoder_dir or minilm_dir()
        self.classes = tuple(classes)
        self.tokenizer = AutoTokenizer.from_pretrained(src)
        self.encoder = AutoModel.from_pretrained(src)
        hidden = self.encoder.config.hidden_size
        self.head = torch.nn.Linear(2 * hidden, len(self.classes))
        self.dropout = torch.nn.Dropout(dropout)

    def modules(self) -> torch.nn.ModuleList:
        import torch

        return torch.nn.ModuleList([self.encoder, self.head])

    def logits(self, batch: Sequence[MarkedPair], *, train: bool) -> torch.Tensor:
        return self.head(self.pair_states(batch, train=train))

    def pair_states(self, batch: Sequence[MarkedPair], *, train: bool) -> torch.Tensor:
        """The two opening markers' hidden states, side by side: one row per pair."""
        import torch

        enc = self.tokenizer([list(m.words) for m in batch], is_split_into_words=True, truncation=True,
                             max_length=MAX_PIECES, padding=True, return_tensors="pt")
        rows = []
        for k, m in enumerate(batch):
            first_piece: dict[int, int] = {}
            for piece, wid in enumerate(enc.word_ids(k)):
                if wid is not None and wid not in first_piece:
                    first_piece[wid] = piece
            # a marker cut off by truncation falls back to [CLS]
            rows.append((first_piece.get(m.first, 0), first_piece.get(m.second, 0)))
        hidden = self.encoder(**enc).last_hidden_state
        if train:
            hidden = self.dropout(hidden)
        idx = torch.arange(len(batch))
        h1 = hidden[idx, torch.tensor([r[0] for r in rows])]
        h2 = hidden[idx, torch.tensor([r[1] for r in rows])]
        return torch.cat([h1, h2], dim=-1)

    def probabilities(self, batch: Sequence[MarkedPair]) -> list[list[float]]:
        import torch

        with torch.no_grad():
            return torch.softmax(self.logits(batch, train=False), dim=-1).tolist()

    def save(self, out: Path) -> None:
        import torch

        out.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(out / "encoder")
        self.tokenizer.save_pretrained(out / "encoder")
        torch.save(self.head.state_dict(), out / "head.pt")
        (out / "classes.json").write_text(json.dumps(list(self.classes)))

    @classmethod
    def load(cls, path: Path) -> RelationTeacher:
        import torch

        t = cls(json.loads((path / "classes.json").read_text()), path / "encoder")
        t.head.load_state_dict(torch.load(path / "head.pt"))
        return t


def decide(probs: Sequence[float], classes: Sequence[str], threshold: float) -> int:
    """The linear model's decision rule: the best non-``NONE`` class if its probability reaches ``threshold``.

    >>> decide([0.5, 0.3, 0.2], ("NONE", "USED-FOR>", "USED-FOR<"), 0.25)
    1
    >>> decide([0.5, 0.3, 0.2], ("NONE", "USED-FOR>", "USED-FOR<"), 0.4)
    0
    """
    none = classes.index(NONE)
    best = max((k for k in range(len(classes)) if k != none), key=lambda k: probs[k])
    return best if probs[best] >= threshold else none


def score_pairs(gold: Sequence[int], pred: Sequence[int]) -> PRF:
    """Relation P/R/F over pairs: a predicted non-none class counts once, right only if it is the gold one."""
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if p and p == g)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if p and p != g)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and p != g)
    return PRF(tp, fp, fn)


def _predict_all(teacher: RelationTeacher, pairs: Sequence[MarkedPair], batch_size: int = 64) -> list[list[float]]:
    out: dict[int, list[float]] = {}
    order = list(range(len(pairs)))
    batches = _batches(order, batch_size, None, key=lambda k: len(pairs[k].words))
    t0 = time.perf_counter()
    for n, batch in enumerate(batches):
        for k, row in zip(batch, teacher.probabilities([pairs[k] for k in batch]), strict=True):
            out[k] = row
        if n % 200 == 199:
            log.info("scored %d of %d pairs (%.0f s)", len(out), len(pairs), time.perf_counter() - t0)
    return [out[k] for k in order]


def train_relation_teacher(
    out: Path,
    scheme: str = "scierc",
    *,
    epochs: int = 4,
    batch_size: int = 16,
    lr: float = 1e-4,
    seed: int = 42,
    threads: int = 2,
    threshold: float = 0.2,
    encoder_dir: Path | None = None,
    also: str | None = None,
    also_none: int = 2000,
) -> dict:
    """Fine-tune on the gold pairs of the scheme's train split; keep the epoch with the best dev F1 (gold entities).

    ``encoder_dir`` starts from another saved encoder instead of plain MiniLM, for example an NER teacher's
    (``build/teacher/t1/encoder``), already fine-tuned on the train splits' entities.

    ``also`` names a second scheme whose train pairs are mixed in with a head of their own (shared encoder;
    the second head is not saved): all its related pairs and ``also_none`` of its unrelated ones, drawn
    with the seed. Dev and the kept epoch are the first scheme's only.
    """
    if encoder_dir is not None and not (encoder_dir / "config.json").is_file():
        raise ExtractionError(f"{encoder_dir} holds no saved encoder (no config.json); give a teacher's encoder "
                              "folder, for example build/teacher/t1/encoder")
    if also is not None and (also not in SCHEMES or also == scheme):
        raise ExtractionError(f"cannot mix in scheme {also!r}: choose another of {sorted(SCHEMES)} than {scheme!r}")
    torch = _torch()
    minilm_dir()
    rng = seeded(torch, seed, threads)
    classes = _classes(SCHEMES[scheme]["labels"])
    train = marked_pairs(list(labelled_pairs(read_split(SCHEMES[scheme]["train"]).docs, classes, MAX_BETWEEN)))
    dev = marked_pairs(list(labelled_pairs(read_split(SCHEMES[scheme]["dev"]).docs, classes, MAX_BETWEEN)))
    teacher = RelationTeacher(classes, encoder_dir)
    extra: list[MarkedPair] = []
    if also is not None:
        also_classes = _classes(SCHEMES[also]["labels"])
        pairs = list(labelled_pairs(read_split(SCHEMES[also]["train"]).docs, also_classes, MAX_BETWEEN))
        unrelated = [p for p in pairs if not p.label]
        random.Random(seed).shuffle(unrelated)
        extra = marked_pairs([p for p in pairs if p.label] + unrelated[:also_none])
        extra_head = torch.nn.Linear(teacher.head.in_features, len(also_classes))
        params = torch.nn.ModuleList([teacher.encoder, teacher.head, extra_head])
    else:
        params = teacher.modules()

    def all_batches() -> list[tuple[bool, list[MarkedPair]]]:
        out = [(False, b) for b in _batches(train, batch_size, rng, key=lambda m: len(m.words))]
        if extra:  # without a second scheme, the same draws as before it existed (rel1 reproduces)
            out += [(True, b) for b in _batches(extra, batch_size, rng, key=lambda m: len(m.words))]
            rng.shuffle(out)
        return out

    steps = (len(train) + batch_size - 1) // batch_size + (len(extra) + batch_size - 1) // batch_size
    opt, sched = optimizer(params, lr=lr, steps=epochs * steps)
    log.info("relation teacher: %d train pairs (+ %d of %s), %d dev pairs", len(train), len(extra), also, len(dev))

    def batch_loss(tagged: tuple[bool, list[MarkedPair]]) -> torch.Tensor:
        is_extra, batch = tagged
        logits = extra_head(teacher.pair_states(batch, train=True)) if is_extra else teacher.logits(batch, train=True)
        return torch.nn.functional.cross_entropy(logits, torch.tensor([m.label for m in batch]))

    def score() -> tuple[float, dict]:
        probs = _predict_all(teacher, dev)
        prf = score_pairs([m.label for m in dev], [decide(p, classes, threshold) for p in probs])
        return prf.f, {"dev": prf.as_dict()}

    history = fit_epochs(params, opt, sched, epochs=epochs,
                         batches=all_batches,
                         loss=batch_loss, score=score, save=lambda: teacher.save(out), name="relation teacher")
    info = {"scheme": scheme, "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
            "encoder": str(encoder_dir) if encoder_dir else "minilm", "also": also, "also_pairs": len(extra),
            "threshold": threshold, "train_pairs": len(train), "history": history}
    (out / "train_info.json").write_text(json.dumps(info, indent=1))
    return info


def label_relations(
    teacher_dir: Path,
    raw: Path,
    out: Path,
    *,
    limit: int,
    skip: int = 0,
    threads: int = 2,
    spans_key: str = "scierc",
) -> dict:
    """Silver relation targets: ``limit`` texts of a ``{"text": ...}`` JSONL, split into sentences by our rule
    pipeline, entities from our own NER head ``spans_key``, every candidate pair scored by the teacher.

    Writes gzipped JSON Lines: ``{"classes": [...]}``, then one sentence with at least one pair a line:
    ``{"tokens": [...], "spans": [[start, end, label], ...], "pairs": [[i, j, p_0, ..., p_k], ...]}``
    (``i``, ``j`` index ``spans``, ``i`` first in the text; ``p`` the teacher's class probabilities).
    """
    from extract.pipeline import ALL_HEADS, NER_JOINT, build_pipeline

    torch = _torch()
    torch.set_num_threads(threads)
    teacher = RelationTeacher.load(teacher_dir)
    teacher.encoder.eval()
    nlp = build_pipeline(model_dir=NER_JOINT, heads=ALL_HEADS, relations=None)
    keep = [SENTENCIZER, "tok2vec", *ALL_HEADS]
    missing = [name for name in keep if name not in nlp.pipe_names]
    if missing:
        raise ExtractionError(f"the pipeline lacks {missing} (has {nlp.pipe_names}); ship extract/models/ner_joint")
    texts = read_texts(raw, limit=limit, skip=skip)
    t0 = time.perf_counter()
    sentences: list[dict] = []
    pairs: list[MarkedPair] = []
    where: list[tuple[int, int, int]] = []
    with nlp.select_pipes(enable=keep):
        for doc in nlp.pipe(texts, batch_size=64):
            for sent in doc.sents:
                spans = sorted({(s.start - sent.start, s.end - sent.start, s.label_)
                                for s in doc.spans.get(spans_key, []) if sent.start <= s.start and s.end <= sent.end})
                tokens = [t.text for t in sent]
                cands = candidate_pairs(spans, MAX_BETWEEN)
                if not cands:
                    continue
                for i, j, _, _ in cands:
                    pairs.append(mark(tokens, spans[i], spans[j]))
                    where.append((len(sentences), i, j))
                sentences.append({"tokens": tokens, "spans": [list(s) for s in spans], "pairs": []})
    log.info("%d sentences, %d pairs to score (%.0f s)", len(sentences), len(pairs), time.perf_counter() - t0)
    probs = _predict_all(teacher, pairs)
    for (s, i, j), row in zip(where, probs, strict=True):
        sentences[s]["pairs"].append([i, j, *(round(p, 4) for p in row)])
    write_silver(out, teacher.classes, sentences)
    return {"texts": len(texts), "sentences": len(sentences), "pairs": len(pairs),
            "classes": list(teacher.classes), "seconds": round(time.perf_counter() - t0)}


def write_silver(out: Path, classes: Sequence[str], sentences: Sequence[dict]) -> None:
    """The silver format: a ``{"classes": [...]}`` line, then one JSON sentence a line, gzipped."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"classes": list(classes)}) + "\n")
        for s in sentences:
            fh.write(json.dumps(s, ensure_ascii=False) + "\n")


def rescore_silver(silver: Path, teacher_dirs: Sequence[Path], out: Path, *, threads: int = 2,
                   replace: bool = False) -> dict:
    """A silver file (written by :func:`label_relations`) with every pair's probabilities averaged over the
    file's own teacher and ``teacher_dirs``, or over ``teacher_dirs`` alone with ``replace``: the same
    sentences, spans and pairs, so a new teacher or an ensemble needs no second pass of the NER. The
    teachers must share the file's classes."""
    if not teacher_dirs:
        raise ExtractionError("rescoring needs at least one relation teacher (a rel-teacher-train output)")
    torch = _torch()
    torch.set_num_threads(threads)
    pairs: list[MarkedPair] = []
    try:
        with gzip.open(silver, "rt", encoding="utf-8") as fh:
            header = json.loads(fh.readline() or "{}")
            sentences = [json.loads(line) for line in fh]
        classes = list(header.get("classes", []))
        for s in sentences:
            spans = [tuple(x) for x in s["spans"]]
            pairs.extend(mark(s["tokens"], spans[p[0]], spans[p[1]]) for p in s["pairs"])
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, AttributeError, ExtractionError) as e:
        # a bad span pair is refused by mark(); name the file here as for any other malformed line
        raise ExtractionError(f"cannot read the silver file {silver}: {e!r}; label it again (rel-teacher-label)") from e
    t0 = time.perf_counter()
    sums = [[0.0] * len(p[2:]) if replace else list(p[2:]) for s in sentences for p in s["pairs"]]
    for path in teacher_dirs:
        teacher = RelationTeacher.load(path)
        if list(teacher.classes) != classes:
            raise ExtractionError(f"the teacher {path} has classes {list(teacher.classes)}, the silver file {silver} "
                                  f"{classes}; rescore only with a teacher of the same scheme")
        teacher.encoder.eval()
        for acc, row in zip(sums, _predict_all(teacher, pairs), strict=True):
            for c, p in enumerate(row):
                acc[c] += p
    n = len(teacher_dirs) + (0 if replace else 1)
    k = 0
    for s in sentences:
        for p in s["pairs"]:
            p[2:] = [round(x / n, 4) for x in sums[k]]
            k += 1
    write_silver(out, classes, sentences)
    return {"sentences": len(sentences), "pairs": len(pairs), "teachers": n, "seconds": round(time.perf_counter() - t0)}
