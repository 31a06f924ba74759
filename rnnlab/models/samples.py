"""A tiny model of each kind, and what it computes on a small fixed input.

The registry (:mod:`rnnlab.models.registry`) names these for every kind, so that a test
or an export check can take each kind in turn without knowing how to build it: save and
reopen it, export it, compare outputs. The models are built from a few words with rnnlab's
generator seeded for the build and restored afterwards; their weights are untrained.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from rnnlab import random as rnd
from rnnlab.data.vocab import Vocab
from rnnlab.engine.tensor import no_grad
from rnnlab.models.classifier import ClassifierConfig, SentenceClassifier
from rnnlab.models.conditional_generator import (
    ConditionalGenerator,
    ConditionalGeneratorConfig,
    generator_vocab,
)
from rnnlab.models.language_model import LanguageModel, LanguageModelConfig, build_vocab
from rnnlab.models.lemmatizer import Lemmatizer, LemmatizerConfig
from rnnlab.models.multiword import MultiwordExpander
from rnnlab.models.segmentation_lexicon import SegmentationLexicon
from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig, build_vocabularies, make_batch
from rnnlab.models.tagger import Tagger, TaggerConfig
from rnnlab.models.tokenizer import Tokenizer, TokenizerConfig

SENTENCES = [["The", "cat", "sat", "on", "a", "mat", "."], ["Dogs", "ran", "!"]]
PAIRS = [("the cat sat .", "die katze sass ."), ("a dog ran !", "ein hund lief !")]
TEXTS = ["The cat sat. Dogs don't!", "A mat\nthere."]
LEMMA_WORDS = [("The", "DET", "_", "the"), ("cats", "NOUN", "Number=Plur", "cat"),
               ("sat", "VERB", "Tense=Past", "sit"), ("Dogs", "NOUN", "Number=Plur", "dog")]


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """rnnlab's generator seeded with ``seed`` inside, as it was before outside."""
    state = rnd.get_state()
    rnd.seed(seed)
    try:
        yield
    finally:
        rnd.set_state(state)


class _Sentence:
    def __init__(self, words: list[str], upos: list[str], xpos: list[str]) -> None:
        self.words, self.upos, self.xpos = words, upos, xpos


def tagger() -> Tagger:
    """A CRF tagger with an XPOS head."""
    tags = [["DET", "NOUN", "VERB", "ADP", "DET", "NOUN", "PUNCT"], ["NOUN", "VERB", "PUNCT"]]
    xpos = [["DT", "NN", "VBD", "IN", "DT", "NN", "."], ["NNS", "VBD", "."]]
    sentences = [_Sentence(w, u, x) for w, u, x in zip(SENTENCES, tags, xpos, strict=True)]
    config = TaggerConfig(word_dim=4, char_dim=3, char_hidden=2, hidden=3, layers=2,
                          min_word_freq=1, crf=True)
    with _seeded(1):
        return Tagger.build(sentences, config)


def tagger_output(model: Tagger) -> np.ndarray:
    """The UPOS scores (T, B, tags) of :data:`SENTENCES`."""
    model.eval()
    with no_grad():
        return model.scores(model.encode(SENTENCES))[0].data


def classifier() -> SentenceClassifier:
    """A GRU classifier with attention pooling and a character encoder."""
    forms = [[w.lower() for w in s] for s in SENTENCES]
    vocab = Vocab.build(forms)
    config = ClassifierConfig(vocab_size=len(vocab), num_classes=3, embed_dim=4, hidden_size=3,
                              cell="gru", pooling="attention", attention_dim=3, char_dim=3,
                              char_hidden=2)
    return SentenceClassifier(config, vocab, ["negative", "neutral", "positive"],
                              metadata={"data": "rnnlab.models.samples"},
                              rng=np.random.default_rng(2),
                              chars=SentenceClassifier.char_vocab(forms))


def classifier_output(model: SentenceClassifier) -> np.ndarray:
    """The class probabilities (B, C) of :data:`SENTENCES` and an unseen word."""
    return model.predict_proba([*SENTENCES, ["Zebras"]])


def language_model() -> LanguageModel:
    """A two-layer word-level LSTM language model."""
    words = [w.lower() for s in SENTENCES for w in s]
    vocab = build_vocab(words, "word")
    config = LanguageModelConfig(vocab_size=len(vocab), level="word", embedding_dim=4,
                                 hidden_size=3, num_layers=2)
    with _seeded(3):
        return LanguageModel(config, vocab)


def language_model_output(model: LanguageModel) -> np.ndarray:
    """The logits (T, B, V) of two streams of ids."""
    model.eval()
    ids = np.arange(10).reshape(5, 2) % model.config.vocab_size
    with no_grad():
        return model(ids)[0].data


def conditional_generator() -> ConditionalGenerator:
    """A character-level GRU generator conditioned on two named labels."""
    names = ["anna", "bob", "cleo"]
    vocab = generator_vocab([list(n) for n in names])
    config = ConditionalGeneratorConfig(vocab_size=len(vocab), condition_dim=2, level="char",
                                        cell="gru", embedding_dim=3, hidden_size=4,
                                        condition_mode="init+input", labels=["A", "B"])
    with _seeded(4):
        return ConditionalGenerator(config, vocab)


def conditional_generator_output(model: ConditionalGenerator) -> np.ndarray:
    """The teacher-forced logits (T, B, V) of two texts under the two conditions."""
    model.eval()
    batch = model.make_batch(np.eye(2, dtype=np.float32), ["ann", "cleo"])
    with no_grad():
        return model(batch).data


def seq2seq() -> Seq2Seq:
    """An LSTM translator with attention."""
    source, target = build_vocabularies(PAIRS, "source", min_freq=1)
    config = Seq2SeqConfig(source_vocab_size=len(source), target_vocab_size=len(target),
                           embedding_size=3, hidden_size=2, cell="lstm")
    return Seq2Seq(config, source, target, rng=np.random.default_rng(5))


def seq2seq_output(model: Seq2Seq) -> np.ndarray:
    """The teacher-forced scores (B, T, V) of :data:`PAIRS`."""
    model.eval()
    batch = make_batch([model.encode_pair(s, t) for s, t in PAIRS], model.bos_id, model.eos_id)
    with no_grad():
        return model(batch)[0].data


def tokenizer() -> Tokenizer:
    """A one-layer character tokenizer with one multiword form and a small segmentation
    lexicon."""
    config = TokenizerConfig(char_dim=3, class_dim=2, hidden=3, layers=1, min_char_freq=1,
                             window=8, overlap=2)
    lexicon = SegmentationLexicon(["paired\t-", "before\t-\tnon\tjoined", "form\tSat.",
                                   "form\t#1\t#\t1"])
    with _seeded(6):
        return Tokenizer.build(TEXTS, MultiwordExpander(["don't\tdo\tn't"], ["don't"]), config,
                               lexicon)


def tokenizer_output(model: Tokenizer) -> np.ndarray:
    """The label scores (T, B, labels) of :data:`TEXTS`."""
    model.eval()
    with no_grad():
        return model.scores(model.encode(TEXTS)).data


def lemmatizer() -> Lemmatizer:
    """A lemmatizer reading FEATS, from :data:`LEMMA_WORDS`."""
    config = LemmatizerConfig(char_dim=3, hidden=2, min_char_freq=1, use_feats=True)
    with _seeded(7):
        return Lemmatizer.build(LEMMA_WORDS, config)


def lemmatizer_output(model: Lemmatizer) -> np.ndarray:
    """Per word of :data:`LEMMA_WORDS`, its teacher-forced lemma-character scores (T · V,
    flattened) followed by its edit scores (3)."""
    model.eval()
    with no_grad():
        chars, edits = model.scores(model.encode(LEMMA_WORDS))
    return np.concatenate([chars.data.reshape(len(LEMMA_WORDS), -1), edits.data], axis=1)
