"""A small, fast relation classifier: entity pairs of a sentence -> relation type or none.

Design (see ``docs/relations.md``; the experiment log is ``docs/notes/relations-experiments.md``):

* **Candidates.** Every *unordered* pair of non-overlapping entities of one
  sentence, taken in text order ``(a, b)`` with ``a`` first, with at most
  ``max_between`` other entities between them. In SciERC and SciER no gold
  relation links overlapping spans, and (bar 8 of 8,743 SciER train relations)
  no pair is linked in both directions, so one decision per unordered pair loses
  nothing and halves the work.
* **Classes.** ``NONE`` plus every relation label in both directions:
  ``"USED-FOR>"`` means ``a`` is the head (``a -> b``), ``"USED-FOR<"`` means
  ``b -> a``. Symmetric labels (COMPARE, CONJUNCTION; Compare-With, Synonym-Of)
  are learned with the direction the annotators wrote them in (mostly the first
  mention as head), so the output follows the gold convention and is scored by
  the standard *directed* exact match.
* **Features.** Sparse binary string features (types of both arguments, their
  head/first words and surfaces, the words between them: bag, first, last,
  bigrams, the whole span when short and a version with inner entities replaced
  by their type, distance and inner-entity counts, words around the pair,
  parentheses, cue phrases), mostly also conjoined with the type pair. The
  feature vocabulary is the set seen ``min_count`` times in training (sorted, so
  the model is a deterministic function of the data).
* **Classifier.** Multinomial logistic regression with L2, trained full-batch
  by L-BFGS (scipy), zero start: deterministic, no seeds needed. Or, with
  ``output`` set, one hidden layer over the same features: the sum of the
  present features' rows of ``weights``, a ReLU, then ``output`` (trained with
  torch by :mod:`extract.training.relation_student`; run here with numpy only).
* **Fitting** (training time only) lives in :mod:`extract.training.relations.fit`.
* **Distillation.** :func:`extract.training.relations.fit.train_relations` can add a teacher's silver file
  (:func:`extract.training.relations.fit.silver_examples`): pairs among predicted entities of unlabelled text,
  each with the teacher's class probabilities as its target.
* **Decision.** Output the best non-``NONE`` class when its probability is at
  least ``threshold`` (tuned on dev by :func:`extract.training.relations.evaluate.tune_threshold`).
* **Artefacts.** A directory with ``model.json`` (settings, classes, feature
  strings) and ``weights.npz`` (float16 matrices; a hidden layer's input rows
  as int8 codes with a power-of-two step per row); nothing pickled.

Index convention: token spans ``(start, end)`` within
a sentence, ``end`` exclusive.

Modules: :mod:`extract.relations.features` (candidate pairs and their features),
:mod:`extract.relations.model` (the classifier: prediction, its files, loading the shipped ones).
Training and evaluation: :mod:`extract.training.relations`
(``python -m extract.training relations train|eval|speed --help``).

Run-time code: may import numpy and kg's core, never ``extract.training``.
"""
