"""The sentence splitter against the rule it states, and the gazetteer's private tokenizer."""

from __future__ import annotations

import functools

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc

from extract.components.common import pattern_tokenizer
from extract.components.sentences import SentenceSplitter
from extract.pipeline import keep_coined_names_whole, rule_paths

NO_SPLIT = ["al", "e.g", "Fig", "etc"]
CLOSERS = {'"', "'", "\u201d", "\u2019", ")", "]"}
# Words that exercise each branch: stops, abbreviations with and without their dot, numbers,
# title/upper/lower case, opening and closing quotes and brackets, a word with two dots.
WORDS = [".", "!", "?", "al.", "al", "Fig.", "e.g.", "etc.", "3.5", "3.", "No.", "U.S.", "end.", "x.y.",
         "Mr.", "10.", "\u201d", "\u2019", ")", "]",
         "The", "the", "BERT", "ResNet", "iPhone", "model", "42", "(", "[", '"', "'", "-", "results", "We", "a"]


@functools.cache
def _shared_nlp():
    return _nlp()


def _nlp():
    nlp = spacy.blank("en")
    keep_coined_names_whole(nlp)
    return nlp


def _reference_starts(doc, no_split: set[str]) -> list[bool]:
    """The splitting rule, stated one token at a time."""
    starts = [i == 0 for i in range(len(doc))]
    for i, tok in enumerate(doc[:-1]):
        text = tok.text
        if text in {".", "!", "?"}:
            ends = not (text == "." and i > 0 and doc[i - 1].text.lower().rstrip(".") in no_split)
        else:
            ends = (text.endswith(".") and len(text) > 1 and text[:-1].lower() not in no_split
                    and not tok.like_num and text.count(".") == 1)
        k = i + 1  # closing quotes and brackets written right after the stop stay in its sentence
        while k < len(doc) and doc[k].text in CLOSERS and not doc[k - 1].whitespace_:
            k += 1
        if ends and k < len(doc):
            nxt = doc[k]
            if nxt.is_title or nxt.is_upper or nxt.like_num or nxt.text[:1].isupper() or nxt.text[:1] in "\"'([":
                starts[k] = True
    return starts


def test_worked_examples():
    nlp = _nlp()
    splitter = SentenceSplitter(NO_SPLIT)
    doc = splitter(nlp("We follow Smith et al. in this work. See Fig. 3 for details. It ends! 4 more. "
                       "\"Quoted\" words. (Aside.) see e.g. Smith. Fig. 2 too."))
    assert [s.text for s in doc.sents] == [
        "We follow Smith et al. in this work.", "See Fig. 3 for details.", "It ends!", "4 more.",
        "\"Quoted\" words.", "(Aside.) see e.g. Smith.", "Fig. 2 too.",
    ]
    quoted = splitter(nlp('A representation termed "Object Images." This works. Half hear \u201cyanny.\u201d How (see '
                          'below.) Then'))
    assert [s.text for s in quoted.sents] == [
        'A representation termed "Object Images."', "This works.", "Half hear \u201cyanny.\u201d", "How (see below.)",
        "Then"]
    named = splitter(nlp("We build SynMirror. SynMirror holds 198k samples. KinyaBERT wins."))
    assert [s.text for s in named.sents] == ["We build SynMirror.", "SynMirror holds 198k samples.", "KinyaBERT wins."]
    assert len(splitter(nlp(""))) == 0
    one = splitter(nlp("Word"))
    assert [t.is_sent_start for t in one] == [True]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.booleans()), min_size=1, max_size=30))
def test_the_splitter_follows_its_rule(words_spaces):
    # Words as given, not as the tokenizer would split them: "3." and "end." stay one token; a word
    # is followed by a space or not, so a closing quote is sometimes attached to the stop before it.
    splitter = SentenceSplitter(NO_SPLIT)
    words, spaces = zip(*words_spaces, strict=True)
    doc = splitter(Doc(_shared_nlp().vocab, words=list(words), spaces=list(spaces)))
    assert [bool(t.is_sent_start) for t in doc] == _reference_starts(doc, splitter.no_split)
    assert all(t.is_sent_start is not None for t in doc)  # every token decided: True or False


class _CountingTokenizer:
    """Stands in for a pipeline's tokenizer and counts the texts it is asked to tokenize."""

    def __init__(self, real) -> None:
        self.real, self.calls = real, 0

    def __call__(self, text):
        self.calls += 1
        return self.real(text)

    def pipe(self, texts, batch_size=1000):
        for text in texts:
            yield self(text)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_the_gazetteer_never_runs_the_shared_tokenizer():
    """Its 16k names would fill the shared tokenizer's 10,000-chunk cache and slow every document."""
    nlp = _nlp()
    counting = _CountingTokenizer(nlp.tokenizer)
    nlp.tokenizer = counting
    p = {k: str(v) for k, v in rule_paths().items()}
    nlp.add_pipe("abx_abbreviations")
    entities = nlp.add_pipe("abx_entities", config={
        "terms_path": p["terms"], "stoplist_path": p["stoplist"],
        "heads_path": p["heads"], "stop_names_path": p["stop_names"],
    })
    assert counting.calls == 0
    assert len(entities.known) > 10_000  # the names were still read and turned into patterns
    doc = nlp("We train ResNet-50 on ImageNet and CIFAR-10.")
    found = {s.text for s in doc.spans["abx_candidates"]}
    assert {"ImageNet", "CIFAR-10"} <= found


@functools.cache
def _shared_copy():
    return pattern_tokenizer(_shared_nlp())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="aB3-_./%() K\u00e9\u2013'", max_size=40))
def test_the_private_tokenizer_splits_like_the_pipeline(text):
    nlp = _shared_nlp()
    copy = _shared_copy()
    assert copy is not nlp.tokenizer and copy.vocab is nlp.vocab
    assert [t.text for t in copy(text)] == [t.text for t in nlp.tokenizer(text)]


def test_components_read_the_text_the_extractor_kept_and_else_the_docs_own():
    import spacy

    from extract.components.common import TEXT, doc_text

    nlp = spacy.blank("en")
    doc = nlp.make_doc("Code at https://github.com/x/y .")
    assert doc_text(doc) == doc.text
    doc.user_data[TEXT] = "kept"
    assert doc_text(doc) == "kept"  # the extractor's string, not rebuilt from the tokens


def test_the_extractor_keeps_each_docs_text_for_its_components(extractor, monkeypatch):
    from extract.components.common import TEXT
    from kg.model import Paper

    seen = []
    pipe = extractor.nlp.pipe

    def watched(docs, *args, **kwargs):
        for doc in pipe(docs, *args, **kwargs):
            seen.append(doc)
            yield doc

    monkeypatch.setattr(extractor.nlp, "pipe", watched)
    abstract = "We release FooNet at https://github.com/foo/foonet ."
    ex = extractor.extract(Paper(key="p1", title="FooNet", abstract=abstract))
    assert [doc.user_data[TEXT] for doc in seen] == ["FooNet", abstract] == [doc.text for doc in seen]
    assert [c.url for c in ex.code_links] == ["https://github.com/foo/foonet"]
