"""The only place a spaCy ``Language`` is created.

``build_pipeline`` assembles ``spacy.blank("en")`` with our registered
components, each configured with the rule files under ``seeds/``.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import spacy
from spacy.language import Language

import extract.components  # noqa: F401 - registers the factories, the trained models' abx_keyed_ner too
from extract.components.model_mentions import MODEL_LABEL_MAP
from kg.config import PROJECT_ROOT, SEEDS_DIR
from kg.errors import ExtractionError

logger = logging.getLogger(__name__)

EXTRACTOR_NAME = "abstracta"
# 1.2: relations between mentions; 1.3: a head's names repeated across the document; 1.4: sentences may start
# with a coined name ("SynMirror", "KinyaBERT"), and a closing quote or bracket after a full stop stays in its sentence;
# 2.0: candidates from the NER head trained on our own annotations, then trained decisions (extract.decisions) with
# calibrated confidences; claim kinds are the guide's (result, theory, finding)
EXTRACTOR_VERSION = "2.0"
# The benchmark NER (shared encoder, SciERC and SciER heads): what `extract.training evaluate-pipeline` scores
# on SciERC/SciER/TDMSci.
NER_JOINT: Path = PROJECT_ROOT / "extract" / "models" / "ner_joint"
# The graph's NER: the same encoder, fine-tuned with one head on our own annotations (docs/annotation-guide.md).
NER_ABSTRACTA: Path = PROJECT_ROOT / "extract" / "models" / "ner_abstracta"
NER_MODEL: Path = NER_ABSTRACTA

_RULE_FILES = {
    "sentences": "patterns/sentences.json",
    "heads": "patterns/heads.json",
    "proposals": "patterns/proposals.json",
    "claims": "patterns/claims.json",
    "stop_names": "patterns/stop_names.txt",
    "span_edges": "patterns/span_edges.json",
    "scores": "patterns/scores.json",
    "settings": "patterns/settings.json",
    "terms": "gazetteer/terms.tsv",
    "stoplist": "gazetteer/stoplist.txt",
}


def rule_paths(seeds_dir: Path = SEEDS_DIR) -> dict[str, Path]:
    paths = {k: seeds_dir / v for k, v in _RULE_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise ExtractionError(
            f"rule files missing: {', '.join(missing)}; restore seeds/ from git "
            f"or pass the seeds directory that holds them"
        )
    return paths


def rules_fingerprint(seeds_dir: Path = SEEDS_DIR) -> str:
    """A short hash of every rule file, so provenance changes when rules do."""
    h = hashlib.blake2b(digest_size=4)
    for _, path in sorted(rule_paths(seeds_dir).items()):
        h.update(path.read_bytes())
    return h.hexdigest()


def keep_coined_names_whole(nlp: Language) -> None:
    """Stop the tokenizer splitting unit letters off numbers ("ImageNet-1K" -> "ImageNet-1", "K").

    spaCy's default suffix rule for measurement units (km, MB, K, M, ...)
    serves prose about quantities; in ML names the letter belongs to the name.
    Only the per-cent sign is still split off a number.
    """
    suffixes = [s for s in nlp.Defaults.suffixes if "km" not in str(s)] + [r"(?<=[0-9])%"]
    nlp.tokenizer.suffix_search = spacy.util.compile_suffix_regex(suffixes).search


def files_fingerprint(folder: Path | None, pattern: str) -> str:
    """A short hash of the files of ``folder`` matching ``pattern`` ("none" without a folder)."""
    if folder is None:
        return "none"
    h = hashlib.blake2b(digest_size=4)
    for path in sorted(folder.glob(pattern)):
        h.update(path.read_bytes())
    return h.hexdigest()


def model_fingerprint(model_dir: Path | None = NER_MODEL) -> str:
    """A short hash of a trained model's weights ("none" without a model)."""
    return files_fingerprint(model_dir, "*/model")


# The graph takes its entity candidates from our own head (ner_abstracta); a model without it gives
# SciER's (ner_scier). The SciERC head costs a third of the model's time, so it runs only where
# SciERC's own labels are needed: `python -m extract.training evaluate-pipeline --format scierc|tdmsci`.
GRAPH_HEADS: tuple[str, ...] = ("ner_abstracta", "ner_scier")
ALL_HEADS: tuple[str, ...] = ("ner_scier", "ner_scierc")

# The relation model the graph runs (see docs/relations.md, "Relations in the graph"): SciER's, on the
# Method/Dataset/Task mentions of each sentence. Its own threshold (0.20) is tuned for F1 on gold entities; on
# our pipeline's entities (SciER dev) F1 is flat from 0.2 to 0.4 (37.0, 37.3, 36.8) while precision rises from
# 35.9 to 46.4, and a graph wants precision.
RELATION_MODEL = "scier"
RELATION_THRESHOLD = 0.4


def relations_fingerprint(model: str | None = RELATION_MODEL) -> str:
    """A short hash of a relation model's artefacts and the threshold the graph uses ("none" without one)."""
    if model is None:
        return "none"
    from extract.relations.model import MODELS_DIR, SCHEMES

    path = MODELS_DIR / f"relations-{model}" if model in SCHEMES else Path(model)
    h = hashlib.blake2b(repr(RELATION_THRESHOLD).encode(), digest_size=4)
    for name in ("model.json", "weights.npz"):
        try:
            h.update((path / name).read_bytes())
        except OSError as e:
            raise ExtractionError(f"cannot read the relation model {path}: {e}; restore it from git") from e
    return h.hexdigest()


def _add_model(nlp: Language, model_dir: Path, heads: tuple[str, ...], span_edges: str) -> None:
    try:
        trained = spacy.load(model_dir)
    except (OSError, ValueError) as e:
        raise ExtractionError(f"cannot load the trained model {model_dir}: {e}; restore it from git "
                              f"or build without it (Extractor(model_dir=None))") from e
    added = []
    for name in trained.pipe_names:  # sourced together, the heads stay wired to their shared encoder
        if name == "tok2vec" or name in heads:
            nlp.add_pipe(name, source=trained, before="abx_entities")
            added.append(name)
    schemes = {h.removeprefix("ner_") for h in added if h != "tok2vec"}
    nlp.add_pipe("abx_span_edges", before="abx_entities",
                 config={"rules_path": span_edges, "span_keys": sorted(schemes)})
    nlp.add_pipe("abx_span_repeats", before="abx_entities", config={"span_keys": sorted(schemes)})
    label_map = {k: v for k, v in MODEL_LABEL_MAP.items() if k in schemes}
    nlp.add_pipe("abx_model_mentions", after="abx_entities", config={"label_map": label_map})


def build_pipeline(seeds_dir: Path = SEEDS_DIR, *, model_dir: Path | None = NER_MODEL,
                   heads: tuple[str, ...] = GRAPH_HEADS, relations: str | None = RELATION_MODEL,
                   rule_claims: bool = True) -> Language:
    """spaCy pipeline: sentences, abbreviations, trained NER heads (unless ``model_dir`` is None) with
    their spans' edge words stripped and their names repeated across the document, rule entities,
    model mentions, proposals, claims (the cue rule; left out with ``rule_claims=False`` where trained
    decisions choose the claims), URLs, and relations between the final entities by the relation model
    ``relations`` (a scheme name or directory; None: no relations)."""
    p = {k: str(v) for k, v in rule_paths(seeds_dir).items()}
    nlp = spacy.blank("en")
    keep_coined_names_whole(nlp)
    nlp.add_pipe("abx_sentencizer", config={"rules_path": p["sentences"]})
    nlp.add_pipe("abx_abbreviations")
    nlp.add_pipe("abx_entities", config={
        "terms_path": p["terms"], "stoplist_path": p["stoplist"],
        "heads_path": p["heads"], "stop_names_path": p["stop_names"],
    })
    if model_dir is not None:
        _add_model(nlp, model_dir, heads, p["span_edges"])
    nlp.add_pipe("abx_proposals", config={"rules_path": p["proposals"]})
    if rule_claims:
        nlp.add_pipe("abx_claims", config={"rules_path": p["claims"]})
    nlp.add_pipe("abx_urls")
    if relations is not None:
        nlp.add_pipe("abx_relations", config={"model": relations, "threshold": RELATION_THRESHOLD})
    logger.info("built extraction pipeline: %s", ", ".join(nlp.pipe_names))
    return nlp
