"""The relation *student* with a hidden layer: trained here with torch, shipped as two numpy arrays.

The linear relation model (:func:`extract.training.relations.fit.train_relations`) fitted to the relation
teacher's silver plateaued near 33 SciERC dev F1 end to end, three points under the teacher itself
(``docs/notes/relations-experiments.md``). This student reads the *same* sparse pair features, but through one
hidden layer: the sum of a learned row per present feature (an embedding bag, exactly the linear
model's first step with ``hidden`` columns instead of one per class), a ReLU, then a linear output
layer over the classes. It can weigh conjunctions of features (this word between *and* these
types), which the linear model cannot, and it runs almost as fast (SciERC dev, gold entities, one
core: 0.70 ms per abstract against 0.59 for the linear model). At run time it is
:class:`extract.relations.model.RelationModel` with ``output`` set: numpy only, no torch.

Training: gold pairs of the scheme's train split (one-hot targets) + the teacher's silver files
(its distributions), soft cross-entropy, the teachers' loop (:func:`extract.training.teacher.fit_epochs`:
AdamW with warm-up and linear decay, clipped steps), one fixed seed, one thread: a second run gives
the same weights. After each epoch the threshold is tuned on the dev split with gold entities
(:func:`extract.training.relations.evaluate.tune_threshold`), and the epoch with the best dev F1 there is kept.

Needs ``torch`` from ``requirements-train.txt``. Command:
``python -m extract.training rel-student-train OUT --silver FILE.jsonl.gz ...``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from extract.relations.features import MAX_BETWEEN
from extract.relations.model import SCHEMES, RelationModel
from extract.training.corpora import AnnotatedDoc, read_split
from extract.training.relations.evaluate import tune_threshold
from extract.training.relations.fit import _classes, _design, examples_with_silver
from extract.training.teacher_loop import _torch as _training_torch
from extract.training.teacher_loop import fit_epochs, optimizer
from kg.errors import ExtractionError

if TYPE_CHECKING:  # a training extra: not installed by requirements.txt
    import torch

log = logging.getLogger(__name__)


def _torch() -> ModuleType:
    return _training_torch(who="the relation student", transformers=False)


def student_net(n_features: int, hidden: int, n_classes: int, dropout: float) -> torch.nn.Module:
    """Embedding bag (sum) + bias -> ReLU -> dropout -> linear; small normal start."""
    torch = _torch()

    class StudentNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bag = torch.nn.EmbeddingBag(n_features, hidden, mode="sum")
            torch.nn.init.normal_(self.bag.weight, std=0.02)
            self.bias = torch.nn.Parameter(torch.zeros(hidden))
            self.drop = torch.nn.Dropout(dropout)
            self.out = torch.nn.Linear(hidden, n_classes)

        def forward(self, indices: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
            return self.out(self.drop(torch.relu(self.bag(indices, offsets) + self.bias)))

    return StudentNet()


def to_model(net: torch.nn.Module, scheme: str, classes: Sequence[str], features: Sequence[str],
             settings: dict) -> RelationModel:
    """The numpy model of a trained net: the bag's rows + its bias as ``weights``, the output layer as ``output``."""
    bag = net.bag.weight.detach().numpy()
    weights = np.vstack([bag, net.bias.detach().numpy()[None, :]])
    output = np.vstack([net.out.weight.detach().numpy().T, net.out.bias.detach().numpy()[None, :]])
    return RelationModel(scheme, tuple(classes), tuple(features), weights, settings=dict(settings), output=output)


def train_relation_student(
    out: Path,
    scheme: str = "scierc",
    *,
    silver: Sequence[Path] = (),
    train: Sequence[AnnotatedDoc] | None = None,
    dev: Sequence[AnnotatedDoc] | None = None,
    hidden: int = 64,
    epochs: int = 5,
    batch_size: int = 256,
    lr: float = 2e-3,
    min_count: int = 50,
    dropout: float = 0.1,
    gold_weight: float = 1.0,
    seed: int = 0,
    threads: int = 1,
) -> RelationModel:
    """Train on gold + silver, keep the epoch with the best dev F1 (gold entities), save it to ``out``.

    ``train`` and ``dev`` default to the scheme's splits. ``gold_weight`` weighs each gold pair's loss
    against a silver pair's (1: the plain mean)."""
    torch = _torch()
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    classes = _classes(SCHEMES[scheme]["labels"])
    train = read_split(SCHEMES[scheme]["train"]).docs if train is None else train
    dev = read_split(SCHEMES[scheme]["dev"]).docs if dev is None else dev
    rows, targets, n_gold, features = examples_with_silver(train, classes, MAX_BETWEEN, silver, min_count)
    if not features:
        raise ExtractionError(f"no feature occurs in {min_count} training pairs; lower --min-count")
    design = _design(rows, {f: k for k, f in enumerate(features)})
    del rows
    n = design.shape[0]
    target = torch.from_numpy(np.asarray(targets, dtype=np.float32))
    weight = None  # the plain mean unless gold pairs weigh more (or less) than silver ones
    if gold_weight != 1.0:
        weight = torch.ones(n)
        weight[:n_gold] = gold_weight
    net = student_net(len(features), hidden, len(classes), dropout)
    opt, sched = optimizer(net, lr=lr, steps=epochs * ((n + batch_size - 1) // batch_size))
    settings = {"hidden": hidden, "epochs": epochs, "batch_size": batch_size, "lr": lr, "min_count": min_count,
                "dropout": dropout, "seed": seed, "train_pairs": n_gold, "silver": [Path(p).name for p in silver],
                "silver_pairs": n - n_gold}
    if gold_weight != 1.0:
        settings["gold_weight"] = gold_weight
    log.info("relation student: %d pairs (%d gold), %d features, hidden %d", n, n_gold, len(features), hidden)

    def batches() -> list[np.ndarray]:
        order = rng.permutation(n)
        return [order[k : k + batch_size] for k in range(0, n, batch_size)]

    def loss(batch: np.ndarray) -> torch.Tensor:
        starts, ends = design.indptr[batch], design.indptr[batch + 1]
        idx = np.concatenate([design.indices[s:e] for s, e in zip(starts, ends, strict=True)])
        offsets = np.concatenate([[0], np.cumsum(ends - starts)[:-1]])
        logits = net(torch.from_numpy(idx.astype(np.int64)), torch.from_numpy(offsets.astype(np.int64)))
        ce = -(torch.log_softmax(logits, dim=1) * target[batch]).sum(dim=1)
        if weight is None:
            return ce.mean()
        w = weight[batch]
        return (ce * w).sum() / w.sum()

    best: dict[str, RelationModel] = {}
    last: dict[str, RelationModel] = {}

    def score() -> tuple[float, dict]:
        model = to_model(net, scheme, classes, features, settings)
        model.threshold, grid = tune_threshold(model, dev)
        last["model"] = model
        return grid[model.threshold], {"dev_f1": round(100 * grid[model.threshold], 2),
                                       "threshold": model.threshold}

    def save() -> None:
        best["model"] = last["model"]

    history = fit_epochs(net, opt, sched, epochs=epochs, batches=batches, loss=loss, score=score, save=save,
                         name="relation student")
    model = best["model"]
    model.settings |= {"history": history, "threshold_tuned_on": "dev, gold entities",
                       "seconds": round(time.perf_counter() - t0)}
    model.save(out)
    log.info("relation student saved to %s (threshold %.2f)", out, model.threshold)
    return model
