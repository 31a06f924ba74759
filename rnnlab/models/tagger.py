"""Part-of-speech tagging, the many-to-many same-length shape of LECTURE §3.1 and §11.

For each word w_t of a sentence::

    x_t = [ e(key(w_t)) ; r(w_t) ]           word embedding ; character BiLSTM (nn.char_encoder)
    h_1 … h_T = BiLSTM²(x_1 … x_T)           deep bidirectional LSTM, LECTURE §10
    ŷ_t^UPOS = softmax(U_u h_t + c_u)        y_t = g(U [→h_t; ←h_t] + c), LECTURE §10
    ŷ_t^XPOS = softmax(U_x h_t + c_x)
    ŷ_t^FEATS = softmax(U_f h_t + c_f)       over whole FEATS strings ("Number=Plur|Person=3")

trained with the summed token cross-entropies of the heads (LECTURE §4); with
``crf=True`` the UPOS head is a linear-chain CRF over U_u h_t + c_u instead (nn.crf) and
is decoded with Viterbi. Unknown words: the embedding key is the lower-cased form with
digits mapped to 0; keys seen fewer than ``min_word_freq`` times in training share
``<unk>``, and in training each word is replaced by ``<unk>`` with probability
``word_dropout`` so the ``<unk>`` vector and the character encoder learn to carry the
prediction alone. Word vectors start small, N(0, ``word_init_std``²): Adam moves each
weight by about the learning rate per update, so a rare word's vector would otherwise stay
the random N(0, 1) draw it started as — noise as loud as the signal. Every word still gets
its character vector, which sees the original case and spelling.

The FEATS head (``feats=True``, kept by :meth:`Tagger.build` when the training data has
features) classifies the whole FEATS string of a word as one label, not one classifier per
feature. The CoNLL 2018 UFeats metric counts a word right only when all its features are
right, which is exactly what one softmax over whole strings optimises; each prediction is
a combination seen in training, so a word's features never contradict one another; and
English has few combinations (UD English EWT train: 230, of 21 feature names), most with
many examples. A per-feature model could build combinations never seen, which
helps languages with rich morphology and many rare combinations — not English.
Its loss is weighted by ``feats_weight`` (0.3): with weight 1 the shared layers learned
UPOS markedly slower. On the first 4,000 EWT training sentences, dev UPOS after 4 epochs
was 90.3 without the head, 86.9 with it at weight 1 and 89.3 at 0.3; after 6 epochs
UPOS / UFeats were 89.6 / 87.7 at weight 1 and 91.0 / 86.7 at 0.3.

A saved model directory holds ``weights.safetensors``, ``config.json``, the vocabularies
(``words.json``, ``chars.json``, ``upos.json``, ``xpos.json``; ``feats.json`` with a FEATS
head) and ``train_forms.json`` (every word form of the training data, to score unseen
words) — no pickle.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rnnlab import random as rnd
from rnnlab.data.batch import PaddedBatch
from rnnlab.data.vocab import Vocab
from rnnlab.engine import ops
from rnnlab.engine.module import Module
from rnnlab.engine.padding import Padding
from rnnlab.engine.tensor import Tensor, no_grad
from rnnlab.models.folder import FolderIO
from rnnlab.nn.char_encoder import CharBatch, CharEncoder, char_id_matrix, distinct_forms
from rnnlab.nn.crf import LinearChainCRF
from rnnlab.nn.layers import Dropout, Embedding, Linear
from rnnlab.progress import progress_bar
from rnnlab.recurrent.layers import LSTM
from rnnlab.recurrent.parallel import predicting

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "pretrained" / "en_ewt_tagger"
IGNORE = -100  # target id of padding and of words without a gold tag
NO_TAG = "_"  # CoNLL-U's "no value"
_DIGIT = re.compile(r"\d")


def gold_feats(sentence: object) -> Sequence[str] | None:
    """The gold FEATS of a training sentence (its ``feats``), or None when it has none."""
    feats = getattr(sentence, "feats", None)
    return None if feats is None else tuple(feats)


def word_key(form: str) -> str:
    """The word-embedding key of a form: lower-cased, every digit replaced by 0."""
    return _DIGIT.sub("0", form.lower())


class TaggedSentenceLike(Protocol):
    """What training needs from a sentence (``rnnlab.data.conllu_io.ConlluSentence`` fits)."""

    words: Sequence[str]
    upos: Sequence[str]
    xpos: Sequence[str]
    # and optionally ``feats``: the FEATS string of each word ("_" for none)


@dataclass
class TaggerConfig:
    """Architecture of a :class:`Tagger` (see the module docstring)."""

    word_dim: int = 100
    char_dim: int = 50
    char_hidden: int = 64
    hidden: int = 128
    layers: int = 2
    dropout: float = 0.33
    word_dropout: float = 0.1
    min_word_freq: int = 2
    max_word_chars: int = 20
    word_init_std: float = 0.1
    crf: bool = False
    feats: bool = False
    feats_weight: float = 0.3

    def __post_init__(self) -> None:
        for name in ("word_dim", "char_dim", "char_hidden", "hidden", "layers",
                     "min_word_freq", "max_word_chars"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.feats_weight <= 0:
            raise ValueError(f"feats_weight must be positive, got {self.feats_weight}")
        if self.word_init_std <= 0:
            raise ValueError(f"word_init_std must be positive, got {self.word_init_std}")
        for name in ("dropout", "word_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")


@dataclass(frozen=True)
class TaggedWord:
    """One word with its predicted tags (``xpos``/``feats`` are None for a model without an
    XPOS/FEATS head)."""

    word: str
    upos: str
    xpos: str | None
    feats: str | None = None


@dataclass(frozen=True, eq=False)
class TaggerBatch(PaddedBatch):
    """Padded sentences: ``ids`` (T, B) the words' embedding ids; ``chars`` the characters
    of the batch's distinct forms and each word's row among them (:class:`CharBatch`);
    ``upos``/``xpos``/``feats`` (T, B) gold ids, ``IGNORE`` on padding (None when not given).
    """

    chars: CharBatch
    upos: np.ndarray | None = None
    xpos: np.ndarray | None = None
    feats: np.ndarray | None = None


@dataclass(frozen=True)
class TagScores:
    """Scores (T, B, tags) of each head; ``xpos``/``feats`` None without that head."""

    upos: Tensor
    xpos: Tensor | None
    feats: Tensor | None


@dataclass(frozen=True)
class PredictedTags:
    """Predicted tag lists, one per sentence; ``xpos``/``feats`` None without that head."""

    upos: list[list[str]]
    xpos: list[list[str]] | None
    feats: list[list[str]] | None


def _as_lists(ids: np.ndarray | Sequence[Sequence[int]]) -> list[list[int]]:
    """Rows of tag ids as lists of Python ints (one ``tolist`` for an array)."""
    return ids.tolist() if isinstance(ids, np.ndarray) else [list(map(int, r)) for r in ids]


def _tag_ids(
    tag_seqs: Sequence[Sequence[str]], vocab: Vocab, width: int, missing: str | None = NO_TAG
) -> np.ndarray:
    """(T, B) ids of gold tags, IGNORE on padding and on ``missing`` ("_", no gold tag; None
    for FEATS, where "_" is the label "no features")."""
    ids = np.full((len(tag_seqs), width), IGNORE, np.int64)
    for row, tags in enumerate(tag_seqs):
        ids[row, : len(tags)] = [IGNORE if t == missing else vocab.token_to_id(t) for t in tags]
    return ids.T.copy()


def _check_sentences(sentences: object) -> None:
    """Sentences must be lists of words: a string is refused rather than tagged as characters."""
    if isinstance(sentences, str):
        raise TypeError("expected a list of tokenised sentences (lists of words), got a "
                        "string; split the text into words first")
    for i, sentence in enumerate(sentences):  # type: ignore[attr-defined]
        if isinstance(sentence, str):
            raise TypeError(f"sentence {i} is a string, not a list of words; split it into "
                            "words first")


class Tagger(FolderIO, Module):
    """Word + character BiLSTM tagger with UPOS and (optional) XPOS and FEATS heads.

    Build one for training with :meth:`build`, load a trained one with :meth:`load` (the
    shipped English model when no directory is given), tag with :meth:`tag` /
    :meth:`tag_many`.
    """

    def __init__(
        self,
        config: TaggerConfig,
        words: Vocab,
        chars: Vocab,
        upos: Vocab,
        xpos: Vocab | None = None,
        train_forms: Sequence[str] = (),
        feats: Vocab | None = None,
    ) -> None:
        super().__init__()
        if config.feats != (feats is not None):
            raise ValueError("a tagger with config.feats needs a FEATS vocabulary, and only then")
        self.config = config
        self.words, self.chars, self.upos_vocab, self.xpos_vocab = words, chars, upos, xpos
        self.feats_vocab = feats
        self.train_forms = frozenset(train_forms)
        self.word_embedding = Embedding(len(words), config.word_dim, padding_idx=words.pad_id)
        self.word_embedding.weight.data *= np.float32(config.word_init_std)
        self.char_encoder = CharEncoder(
            len(chars), config.char_dim, config.char_hidden, padding_idx=chars.pad_id
        )
        self.input_dropout = Dropout(config.dropout)
        self.lstm = LSTM(
            config.word_dim + self.char_encoder.output_size,
            config.hidden,
            num_layers=config.layers,
            bidirectional=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.output_dropout = Dropout(config.dropout)
        self.upos_head = Linear(2 * config.hidden, len(upos))
        self.xpos_head = Linear(2 * config.hidden, len(xpos)) if xpos is not None else None
        self.feats_head = Linear(2 * config.hidden, len(feats)) if feats is not None else None
        self.crf = LinearChainCRF(len(upos)) if config.crf else None

    # ------------------------------------------------------------------ building
    @classmethod
    def build(
        cls, sentences: Sequence[TaggedSentenceLike], config: TaggerConfig | None = None
    ) -> Tagger:
        """A fresh model whose vocabularies come from the training ``sentences``.

        The XPOS head exists when some word has an XPOS other than ``_``; the FEATS head when
        ``config.feats`` and some word has a FEATS other than ``_`` (the sentences'
        ``feats``; the model's config then says whether it has one).
        """
        config = config or TaggerConfig()
        if not sentences:
            raise ValueError("cannot build a tagger from zero training sentences")
        forms = {w for s in sentences for w in s.words}
        words = Vocab.build(
            ([word_key(w) for w in s.words] for s in sentences), min_freq=config.min_word_freq
        )
        chars = Vocab.build("".join(s.words) for s in sentences)
        upos = Vocab.build((s.upos for s in sentences), pad=None, unk=None)
        xpos_tags = [[t for t in s.xpos if t != NO_TAG] for s in sentences]
        has_xpos = any(xpos_tags)
        xpos = Vocab.build(xpos_tags, pad=None, unk=None) if has_xpos else None
        feats = None
        if config.feats:
            feats_seqs = [gold_feats(s) for s in sentences]
            if any(f != NO_TAG for seq in feats_seqs if seq is not None for f in seq):
                feats = Vocab.build((seq for seq in feats_seqs if seq is not None),
                                    pad=None, unk=None)
            else:
                config = replace(config, feats=False)
        return cls(config, words, chars, upos, xpos, train_forms=sorted(forms), feats=feats)

    # ------------------------------------------------------------------ encoding
    def encode(
        self,
        sentences: Sequence[Sequence[str]],
        upos: Sequence[Sequence[str]] | None = None,
        xpos: Sequence[Sequence[str]] | None = None,
        feats: Sequence[Sequence[str]] | None = None,
    ) -> TaggerBatch:
        """Pad a batch of tokenised sentences (and gold tags, for training)."""
        if any(len(s) == 0 for s in sentences):
            raise ValueError("cannot tag an empty sentence")
        max_chars = self.config.max_word_chars
        forms, form_index = distinct_forms(sentences, max_chars)
        chars = CharBatch(*char_id_matrix(forms, self.chars.token_to_id, max_chars,
                                          self.chars.pad_id), form_index)
        ids, padding = self._word_ids(sentences, self._form_ids(forms), form_index)
        return TaggerBatch(
            ids, padding, chars=chars,
            upos=None if upos is None else _tag_ids(upos, self.upos_vocab, ids.shape[0]),
            xpos=None if xpos is None or self.xpos_vocab is None
            else _tag_ids(xpos, self.xpos_vocab, ids.shape[0]),
            feats=None if feats is None or self.feats_vocab is None
            else _tag_ids(feats, self.feats_vocab, ids.shape[0], missing=None),
        )

    def _form_ids(self, forms: Sequence[str]) -> np.ndarray:
        """The embedding id of each of ``forms`` (distinct: each looked up once)."""
        return np.fromiter((self.words.token_to_id(word_key(f)) for f in forms), np.int64,
                           len(forms))

    def _word_ids(self, sentences: Sequence[Sequence[str]], form_ids: np.ndarray,
                  form_index: np.ndarray) -> tuple[np.ndarray, Padding]:
        """The (T, B) embedding ids of ``sentences`` (pad id on padding) and their
        :class:`Padding`, from the embedding ids of their distinct forms and each token's
        row among those (``form_index``, time-major)."""
        width = max(map(len, sentences), default=0)
        padding = Padding.of(np.fromiter(map(len, sentences), np.int64, len(sentences)),
                             width, len(sentences))
        return np.where(padding.mask, form_ids[form_index], self.words.pad_id), padding

    # ------------------------------------------------------------------- forward
    def scores(self, batch: TaggerBatch) -> tuple[Tensor, Tensor | None]:
        """UPOS and XPOS scores, each (T, B, tags); XPOS is None without that head."""
        all_scores = self.head_scores(batch)
        return all_scores.upos, all_scores.xpos

    def head_scores(self, batch: TaggerBatch) -> TagScores:
        """The scores of every head (:class:`TagScores`)."""
        return self._scores(batch.ids, batch.padding,
                            self.char_encoder.token_vectors(batch.chars))

    def _scores(self, word_ids: np.ndarray, padding: Padding, char_vectors: Tensor
                ) -> TagScores:
        """:meth:`head_scores` from the word ids and each token's character vector
        (T, B, ·)."""
        if self.training and self.config.word_dropout > 0.0:
            dropped = rnd.generator().random(word_ids.shape) < self.config.word_dropout
            word_ids = np.where(dropped & (word_ids != self.words.pad_id),
                                self.words.unk_id, word_ids)
        word_vectors = self.word_embedding(word_ids)
        x = self.input_dropout(ops.concat([word_vectors, char_vectors], axis=2))
        h, _ = self.lstm(x, lengths=padding)
        h = self.output_dropout(h)
        return TagScores(self.upos_head(h),
                         None if self.xpos_head is None else self.xpos_head(h),
                         None if self.feats_head is None else self.feats_head(h))

    def loss(self, batch: TaggerBatch) -> Tensor:
        """Mean per-token loss of the UPOS head plus those of the XPOS and FEATS heads.

        UPOS: cross-entropy −log ŷ_t[y_t], or with the CRF (log Z − s(y)) / #tokens.
        """
        if batch.upos is None:
            raise ValueError("loss() needs a batch with gold UPOS tags")
        scores = self.head_scores(batch)
        upos_scores = scores.upos
        if self.crf is not None:
            upos_total = self.crf.neg_log_likelihood(upos_scores, batch.upos, batch.padding)
        else:
            upos_total = ops.cross_entropy(
                upos_scores, batch.upos, ignore_index=IGNORE, reduction="sum"
            )
        loss = upos_total * (1.0 / max(int((batch.upos != IGNORE).sum()), 1))
        for head_scores, gold, weight in ((scores.xpos, batch.xpos, 1.0),
                                          (scores.feats, batch.feats, self.config.feats_weight)):
            n_gold = 0 if gold is None else int((gold != IGNORE).sum())
            if head_scores is not None and n_gold:
                total = ops.cross_entropy(head_scores, gold, ignore_index=IGNORE, reduction="sum")
                loss = loss + total * (weight / n_gold)
        return loss

    # ----------------------------------------------------------------- predicting
    @contextmanager
    def _evaluating(self) -> Iterator[None]:
        was_training = self.training
        self.eval()
        try:
            with no_grad(), predicting():
                yield
        finally:
            self.train(was_training)

    def predict(
        self, sentences: Sequence[Sequence[str]], batch_size: int = 64,
        progress: bool | None = None,
    ) -> tuple[list[list[str]], list[list[str]] | None]:
        """Predicted UPOS (and XPOS, or None) tag lists, one per sentence, in input order
        (:meth:`predict_tags` gives FEATS too)."""
        tags = self.predict_tags(sentences, batch_size, progress)
        return tags.upos, tags.xpos

    def predict_tags(
        self, sentences: Sequence[Sequence[str]], batch_size: int = 64,
        progress: bool | None = None,
    ) -> PredictedTags:
        """Predicted UPOS, XPOS and FEATS tag lists (:class:`PredictedTags`), one per
        sentence, in input order.

        Sentences are grouped by length into batches of ``batch_size``, longest first —
        padding is cheap when lengths are close, and the recurrent layers need not sort a
        batch that comes sorted — and the tags are given back in input order; empty
        sentences get empty tag lists. The character vectors r(w) are computed once per
        distinct form of the whole input (:meth:`CharEncoder.form_vectors`), not once per
        batch: the 25,094 words of UD EWT test have 5,629 distinct forms, against 12,729
        summed over the batches of 64 (``predict`` 25% less CPU on one thread).
        ``progress``: a bar in words (:func:`rnnlab.progress.progress_bar`; None: on a
        terminal, after 2 s).

        Raises:
            TypeError: a string where a list of sentences or a sentence (a list of words)
                is expected.
            ValueError: a word that is not a non-empty string; ``batch_size`` < 1.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        _check_sentences(sentences)
        for i, sentence in enumerate(sentences):
            for j, word in enumerate(sentence):
                if not isinstance(word, str) or not word:
                    raise ValueError(f"sentence {i}, word {j}: words must be non-empty strings")
        heads = [("upos", self.upos_vocab), ("xpos", self.xpos_vocab),
                 ("feats", self.feats_vocab)]
        out: dict[str, list[list[str]] | None] = {
            name: None if vocab is None else [[] for _ in sentences] for name, vocab in heads}
        order = [i for i in np.argsort([-len(s) for s in sentences], kind="stable")
                 if len(sentences[i])]
        total = sum(len(s) for s in sentences)
        rows: dict[str, int] = {}  # every distinct form of the input → its row
        for i in order:
            for word in sentences[i]:
                rows.setdefault(word, len(rows))
        forms = list(rows)
        form_ids = self._form_ids(forms)
        with self._evaluating(), progress_bar(total, "tagging", "word", progress) as bar:
            vectors = self.char_encoder.form_vectors(
                forms, self.chars.token_to_id, self.config.max_word_chars, self.chars.pad_id)
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                batch_sentences = [sentences[i] for i in chunk]
                form_index = np.zeros((len(chunk), len(batch_sentences[0])), np.int64)
                for row, sentence in enumerate(batch_sentences):  # longest first
                    form_index[row, : len(sentence)] = [rows[w] for w in sentence]
                form_index = form_index.T
                ids, padding = self._word_ids(batch_sentences, form_ids, form_index)
                scores = self._scores(ids, padding, Tensor(vectors[form_index]))
                for name, vocab in heads:
                    head = getattr(scores, name)
                    tagged = out[name]
                    if head is None or vocab is None or tagged is None:
                        continue
                    tag_ids = (_as_lists(self._decode_upos(head.data, padding))
                               if name == "upos" else head.data.argmax(axis=2).T.tolist())
                    names = vocab.tokens
                    for row, i in enumerate(chunk):
                        tagged[i] = [names[k] for k in tag_ids[row][: len(sentences[i])]]
                bar.update(padding.num_tokens)
        upos = out["upos"]
        assert upos is not None
        return PredictedTags(upos, out["xpos"], out["feats"])

    def _decode_upos(self, scores: np.ndarray, padding: Padding) -> Sequence[Sequence[int]]:
        if self.crf is not None:
            return self.crf.decode(scores, padding)
        return scores.argmax(axis=2).T

    def tag_many(
        self, sentences: Sequence[Sequence[str]], batch_size: int = 64,
        progress: bool | None = None,
    ) -> list[list[TaggedWord]]:
        """Tag many tokenised sentences (batched); one list of :class:`TaggedWord` each
        (``progress`` and errors as in :meth:`predict_tags`)."""
        tags = self.predict_tags(sentences, batch_size, progress)
        xpos, feats = tags.xpos, tags.feats
        return [
            [TaggedWord(w, u, None if xpos is None else xpos[i][j],
                        None if feats is None else feats[i][j])
             for j, (w, u) in enumerate(zip(sentence, tags.upos[i], strict=True))]
            for i, sentence in enumerate(sentences)
        ]

    def tag(self, words: Sequence[str]) -> list[TaggedWord]:
        """Tag one tokenised sentence: ``tag(["The", "cats", "were", "full", "."])``.

        Raises:
            TypeError: ``words`` is a string (raw text must be split into words first).
        """
        if isinstance(words, str):
            raise TypeError("Tagger.tag expects a list of words, got a string; split it "
                            "into words first, e.g. text.split()")
        return self.tag_many([list(words)])[0]

    # ------------------------------------------------------------- saving, loading
    def to_files(self) -> dict[str, Any]:
        """The JSON files of a saved tagger (:mod:`rnnlab.models.registry`)."""
        return {"words": self.words, "chars": self.chars, "upos": self.upos_vocab,
                "xpos": self.xpos_vocab, "feats": self.feats_vocab,
                "train_forms": sorted(self.train_forms)}

    @classmethod
    def from_files(cls, config: TaggerConfig, files: dict[str, Any]) -> Tagger:
        """A tagger with fresh weights around the files of :meth:`to_files`."""
        return cls(config, files["words"], files["chars"], files["upos"], files["xpos"],
                   train_forms=files["train_forms"], feats=files.get("feats"))

    @classmethod
    def load(cls, directory: str | Path | None = None) -> Tagger:
        """Load a model folder (or a training run's); without one, the shipped English (UD
        EWT) model."""
        return super().load(DEFAULT_MODEL_DIR if directory is None else directory)
