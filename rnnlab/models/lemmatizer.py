"""Lemmatization: a dictionary for the words training has seen, a character-level
encoder–decoder with attention (LECTURE §3.4) for the rest — the recipe Stanza published
(Qi et al. 2020), built here from rnnlab's own pieces.

**Dictionary.** From the training data, for every seen (form, UPOS) pair the lemma it
carried most often. A word whose pair training saw takes that lemma; every other word goes
to the network, which reads the UPOS too — also a form seen only with other tags. Stanza
gives such a form the lemma it carried most often over all tags instead; on UD English
EWT test that scores 98.27 % where asking the network scores 98.70 % with gold UPOS, and
97.28 % against 97.26 % with the shipped tagger's UPOS (benchmarks/RESULTS.md, "Raw text
to CoNLL-U").

**Network.** The word's characters w = c₁ … c_n, preceded by a token for its UPOS (and,
with ``use_feats``, one token per feature of its FEATS, ``Number=Plur`` …), are read by
the encoder of :class:`~rnnlab.models.seq2seq.Seq2Seq`: a bidirectional LSTM whose final
states the bridge maps to the decoder's initial state h₀. A character LSTM decoder with
Luong attention over the encoder outputs then writes the lemma one character at a time,
exactly as Seq2Seq writes a translation word by word::

    P(l_t | l_<t, w) = softmax(W_s h̃_t + b_s),   h̃_t = tanh(W_c [c_t; h_t])

**The learned choice to copy** is Stanza's *edit classifier*: a linear layer on h₀ (the
encoder's summary of the whole word) predicts one of three edits, ``identity``
(lemma = form), ``lower`` (lemma = the lower-cased form) or ``generate`` (the decoder
writes it)::

    P(e | w) = softmax(W_e h₀ + b_e),   L = CE(decoder) + CE(edit)

both cross-entropies means (over lemma characters and over words). Why this and not a
pointer-generator copy distribution: most words the dictionary has not seen are names,
numbers, URLs and foreign words whose lemma is the form itself (or its lower case), and the
classifier returns those whole — no character can be misspelt, and the decoder never runs
for them, so lemmatizing is as fast as one encoder pass. A pointer-generator would copy
character by character at every step of every word, and needs a mixture of two
distributions with its own backward; the edit classifier needs only layers rnnlab has. The
decoder still copies where it generates: a lemma character outside its vocabulary
(``<unk>``) becomes the source character it attended to most.

Decoding is greedy, at most ``len(form) + max_extra_chars`` characters. Two kinds of word
the dictionary has not seen keep their form as lemma without the network: words longer
than ``max_word_chars`` characters (the attention matrix of a 100,000-character "word"
would not fit in memory) and words most of whose characters the encoder does not know (a
script training never showed: the network cannot read them, and would write a lemma from
the tag alone). A lemma is never empty: an empty decoder output gives the form.

A saved model folder holds ``weights.safetensors``, ``config.json``, the vocabularies
``source.json`` (characters and tag tokens) and ``target.json`` (lemma characters), and
``dictionary.json``: one ``form<TAB>upos<TAB>lemma<TAB>count`` line per seen triple.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.data.batching import pad_sequences
from rnnlab.data.vocab import BOS, EOS, PAD, UNK, Vocab
from rnnlab.decoding import greedy_search
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.models.folder import FolderIO
from rnnlab.models.seq2seq import ParallelBatch, Seq2Seq, Seq2SeqConfig, make_batch
from rnnlab.nn.layers import Linear

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "pretrained" / "en_ewt_lemmatizer"
EDITS = ("identity", "lower", "generate")
IDENTITY, LOWER, GENERATE = range(len(EDITS))
NO_VALUE = "_"  # CoNLL-U's "no value"

WordRecord = tuple[str, str, str, str]
"""One training word: (form, UPOS, FEATS, lemma), FEATS as written (``_`` for none)."""


@dataclass
class LemmatizerConfig:
    """Sizes of a :class:`Lemmatizer` (module docstring); saved as ``config.json``."""

    char_dim: int = 64
    hidden: int = 128
    layers: int = 1
    dropout: float = 0.3
    min_char_freq: int = 2
    max_word_chars: int = 50
    max_extra_chars: int = 10
    use_feats: bool = False

    def __post_init__(self) -> None:
        for name in ("char_dim", "hidden", "layers", "min_char_freq", "max_word_chars",
                     "max_extra_chars"):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True, eq=False)
class LemmaBatch:
    """Training words: the encoder–decoder's ``pairs`` (source tokens, lemma characters)
    and each word's gold edit id (B,)."""

    pairs: ParallelBatch
    edits: np.ndarray

    @property
    def num_tokens(self) -> int:
        """Lemma characters (with each word's end) the decoder is trained on."""
        return self.pairs.num_tokens


def edit_of(form: str, lemma: str) -> int:
    """The edit that makes ``lemma`` from ``form``: IDENTITY, LOWER or GENERATE."""
    if lemma == form:
        return IDENTITY
    if lemma == form.lower():
        return LOWER
    return GENERATE


def feature_tokens(feats: str) -> list[str]:
    """The features of a FEATS value (``Number=Plur|Person=3`` → two tokens; ``_`` → none)."""
    return [] if feats in (NO_VALUE, "") else feats.split("|")


def dictionary_entries(words: Iterable[WordRecord]) -> list[str]:
    """``form<TAB>upos<TAB>lemma<TAB>count`` for every (form, UPOS, lemma) of ``words``,
    sorted (the ``dictionary.json`` of a saved model)."""
    counts = Counter((form, upos, lemma) for form, upos, _, lemma in words)
    return [f"{f}\t{u}\t{lemma}\t{n}" for (f, u, lemma), n in sorted(counts.items())]


def _lookup_table(entries: Sequence[str]) -> dict[tuple[str, str], str]:
    """The most frequent lemma of each (form, UPOS); ties go to the entry that comes first
    (entries are sorted, so the alphabetically first lemma)."""
    pair_counts: dict[tuple[str, str], Counter[str]] = {}
    for number, entry in enumerate(entries):
        parts = entry.split("\t") if isinstance(entry, str) else []
        if len(parts) != 4 or not all(parts[:3]) or not parts[3].isdigit():
            raise ValueError(f"dictionary entry {number} is not form<TAB>upos<TAB>lemma<TAB>"
                             f"count: {entry!r}")
        form, upos, lemma, count = parts
        pair_counts.setdefault((form, upos), Counter())[lemma] += int(count)
    return {key: c.most_common(1)[0][0] for key, c in pair_counts.items()}


def _check_sentences(sentences: Any, upos: Any, feats: Any) -> None:
    """One UPOS (and FEATS) string per word, words non-empty strings; else ValueError."""
    if isinstance(sentences, str):
        raise ValueError("lemmatize_many takes sentences as lists of words, not a string")
    columns = {"upos": upos} if feats is None else {"upos": upos, "feats": feats}
    for name, column in columns.items():
        if isinstance(column, str) or len(column) != len(sentences):
            raise ValueError(f"{name} must hold one list per sentence ({len(sentences)})")
    for i, words in enumerate(sentences):
        if isinstance(words, str):
            raise ValueError(f"sentence {i} is a string; give a list of words")
        for name, column in columns.items():
            if isinstance(column[i], str) or len(column[i]) != len(words):
                raise ValueError(f"sentence {i}: {len(words)} words but {name} "
                                 f"{column[i]!r}")
        for j, word in enumerate(words):
            if not isinstance(word, str) or not word:
                raise ValueError(f"sentence {i}, word {j}: words must be non-empty strings")
            for name, column in columns.items():
                if not isinstance(column[i][j], str):
                    raise ValueError(f"sentence {i}, word {j}: {name} must be a string")


class Lemmatizer(FolderIO, Module):
    """Dictionary + character encoder–decoder lemmatizer (module docstring).

    Build one for training with :meth:`build`, load a trained one with :meth:`load` (the
    shipped English model when no directory is given), lemmatize with :meth:`lemmatize`
    / :meth:`lemmatize_many`.
    """

    def __init__(
        self,
        config: LemmatizerConfig,
        source: Vocab,
        target: Vocab,
        dictionary: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.config, self.source, self.target = config, source, target
        self.dictionary = tuple(dictionary)
        self.by_pair = _lookup_table(self.dictionary)
        self.train_forms = frozenset(form for form, _ in self.by_pair)
        self.seq2seq = Seq2Seq(
            Seq2SeqConfig(len(source), len(target), embedding_size=config.char_dim,
                          hidden_size=config.hidden, num_layers=config.layers, cell="lstm",
                          dropout=config.dropout, attention=True, lowercase="none"),
            source, target)
        self.edit_head = Linear(self.seq2seq.config.decoder_hidden_size, len(EDITS))

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, words: Sequence[WordRecord], config: LemmatizerConfig | None = None
              ) -> Lemmatizer:
        """A fresh model whose vocabularies and dictionary come from the training ``words``
        ((form, UPOS, FEATS, lemma) each)."""
        config = config or LemmatizerConfig()
        if not words:
            raise ValueError("cannot build a lemmatizer from zero training words")
        tags = Counter(f"UPOS={upos}" for _, upos, _, _ in words)
        if config.use_feats:
            tags.update(t for _, _, feats, _ in words for t in feature_tokens(feats))
        chars = Vocab.build((form for form, _, _, _ in words), min_freq=config.min_char_freq)
        source = Vocab([*chars.tokens, *sorted(tags)], pad=PAD, unk=UNK)
        target = Vocab.build((lemma for *_, lemma in words), pad=PAD, unk=UNK, bos=BOS, eos=EOS)
        return cls(config, source, target, dictionary_entries(words))

    # ------------------------------------------------------------------ encoding
    def source_ids(self, form: str, upos: str, feats: str = NO_VALUE) -> list[int]:
        """Encoder input of a word: its UPOS token, its feature tokens (``use_feats``), its
        characters."""
        tokens = [f"UPOS={upos}"]
        if self.config.use_feats:
            tokens += feature_tokens(feats)
        return self.source.encode([*tokens, *form])

    def _prefix_length(self, feats: str) -> int:
        return 1 + (len(feature_tokens(feats)) if self.config.use_feats else 0)

    def encode(self, words: Sequence[WordRecord]) -> LemmaBatch:
        """A training batch of (form, UPOS, FEATS, lemma) words."""
        if not words:
            raise ValueError("cannot encode an empty batch of words")
        examples = [(self.source_ids(form, upos, feats), self.target.encode(list(lemma)))
                    for form, upos, feats, lemma in words]
        pairs = make_batch(examples, self.target.bos_id, self.target.eos_id)
        edits = np.array([edit_of(form, lemma) for form, _, _, lemma in words], np.int64)
        return LemmaBatch(pairs, edits)

    # ------------------------------------------------------------------- training
    def scores(self, batch: LemmaBatch) -> tuple[Tensor, Tensor]:
        """Teacher-forced lemma-character scores (B, T, V) and edit scores (B, 3)."""
        s2s = self.seq2seq
        pairs = batch.pairs
        memory, initial = s2s.encode(pairs.source)
        embedded = s2s.embedding_dropout(s2s.target_embedding(pairs.ids))
        outputs, _ = s2s.decoder(embedded, initial, lengths=pairs.padding)
        outputs = ops.transpose(outputs, (1, 0, 2))
        outputs, _ = s2s.attention(outputs, s2s.attention.keys(memory), memory,
                                   pairs.source.mask.T)
        summary = ops.getitem(initial[0], -1)  # h₀ of the decoder's top layer (B, H)
        return (s2s.output(s2s.output_dropout(outputs)),
                self.edit_head(s2s.output_dropout(summary)))

    def loss(self, batch: LemmaBatch) -> Tensor:
        """Mean cross-entropy per lemma character plus mean cross-entropy of the edit."""
        char_scores, edit_scores = self.scores(batch)
        chars = ops.cross_entropy(char_scores, batch.pairs.targets.T,
                                  ignore_index=self.target.pad_id)
        return chars + ops.cross_entropy(edit_scores, batch.edits)

    # ----------------------------------------------------------------- predicting
    @contextmanager
    def _evaluating(self) -> Iterator[None]:
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                yield
        finally:
            self.train(was_training)

    def lookup(self, form: str, upos: str) -> str | None:
        """The dictionary's lemma of ``form`` tagged ``upos``, or None for a pair training
        never saw."""
        return self.by_pair.get((form, upos))

    def readable(self, form: str) -> bool:
        """Whether the network reads ``form``: at most ``max_word_chars`` characters, at
        least half of them known to the encoder."""
        if len(form) > self.config.max_word_chars:
            return False
        unknown = sum(char not in self.source for char in form)
        return 2 * unknown <= len(form)

    def predict_unseen(self, words: Sequence[tuple[str, str, str]], batch_size: int = 256
                       ) -> list[str]:
        """The network's lemma of each (form, UPOS, FEATS), the dictionary left aside
        (batched by length; greedy decoding for the words whose edit is ``generate``)."""
        lemmas = [form for form, _, _ in words]
        fits = [i for i, (form, _, _) in enumerate(words) if self.readable(form)]
        order = sorted(fits, key=lambda i: len(words[i][0]))
        with self._evaluating():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                for i, lemma in zip(chunk, self._predict_batch([words[i] for i in chunk]),
                                    strict=True):
                    lemmas[i] = lemma
        return lemmas

    def _predict_batch(self, words: Sequence[tuple[str, str, str]]) -> list[str]:
        s2s = self.seq2seq
        source, lengths = pad_sequences([self.source_ids(*w) for w in words], 0)
        state = s2s.start_decoding(source, lengths)
        edits = self.edit_head(state.hidden[0][-1]).data.argmax(axis=1)
        out = [form if edit == IDENTITY else form.lower()
               for (form, _, _), edit in zip(words, edits, strict=True)]
        rows = np.flatnonzero(edits == GENERATE)
        if not len(rows):
            return out
        limits = [len(words[i][0]) + self.config.max_extra_chars for i in rows]
        hypotheses = greedy_search(s2s, s2s.reorder_state(state, rows, rows), limits)
        tokens = self.target.tokens
        for i, hypothesis in zip(rows, hypotheses, strict=True):
            form, _, feats = words[i]
            prefix = self._prefix_length(feats)
            chars = []
            for k, token_id in enumerate(hypothesis.tokens):
                if token_id != self.target.unk_id:
                    chars.append(tokens[token_id])
                elif hypothesis.attention is not None:  # copy the most attended character
                    weights = hypothesis.attention[k][prefix : prefix + len(form)]
                    chars.append(form[int(weights.argmax())])
            lemma = "".join(chars)
            out[i] = lemma if lemma.strip() and "\t" not in lemma else form
        return out

    def lemmatize_many(
        self,
        sentences: Sequence[Sequence[str]],
        upos: Sequence[Sequence[str]],
        feats: Sequence[Sequence[str]] | None = None,
    ) -> list[list[str]]:
        """The lemma of every word of tokenised, tagged sentences.

        Dictionary hits never touch the network; the distinct unseen (form, UPOS, FEATS)
        go through it together in one pass of length-sorted batches.

        Raises:
            ValueError: a sentence given as a string, a word that is not a non-empty
                string, or a UPOS/FEATS list whose length differs from its sentence's.
        """
        _check_sentences(sentences, upos, feats)
        if not self.config.use_feats:
            feats = None  # one network pass per (form, UPOS)
        lemmas: list[list[str | None]] = []
        unseen: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
        for i, words in enumerate(sentences):
            row: list[str | None] = []
            for j, form in enumerate(words):
                lemma = self.lookup(form, upos[i][j])
                if lemma is None:
                    word_feats = NO_VALUE if feats is None else feats[i][j]
                    unseen.setdefault((form, upos[i][j], word_feats), []).append((i, j))
                row.append(lemma)
            lemmas.append(row)
        if unseen:
            keys = list(unseen)
            for key, lemma in zip(keys, self.predict_unseen(keys), strict=True):
                for i, j in unseen[key]:
                    lemmas[i][j] = lemma
        return lemmas  # type: ignore[return-value]

    def lemmatize(self, words: Sequence[str], upos: Sequence[str],
                  feats: Sequence[str] | None = None) -> list[str]:
        """The lemmas of one tagged sentence: ``lemmatize(["cats", "ran"], ["NOUN", "VERB"])``."""
        if isinstance(words, str):
            raise ValueError("lemmatize takes a list of words, not a string")
        return self.lemmatize_many([words], [upos], None if feats is None else [feats])[0]

    # ------------------------------------------------------------- saving, loading
    def to_files(self) -> dict[str, Any]:
        """The JSON files of a saved lemmatizer (:mod:`rnnlab.models.registry`)."""
        return {"source": self.source, "target": self.target,
                "dictionary": list(self.dictionary)}

    @classmethod
    def from_files(cls, config: LemmatizerConfig, files: dict[str, Any]) -> Lemmatizer:
        """A lemmatizer with fresh weights around the files of :meth:`to_files`."""
        return cls(config, files["source"], files["target"], files["dictionary"])

    @classmethod
    def load(cls, directory: str | Path | None = None) -> Lemmatizer:
        """Load a model folder (or a training run's); without one, the shipped English (UD
        EWT) model."""
        return super().load(DEFAULT_MODEL_DIR if directory is None else directory)
