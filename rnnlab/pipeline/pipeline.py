"""Raw text in, a :class:`~rnnlab.pipeline.document.Document` out: tokenizer, tagger,
lemmatizer in order.

::

    nlp = rnnlab.Pipeline()                 # the shipped English models
    doc = nlp("Raw text. More of it.")      # sentences → tokens → words
    doc.to_conllu()

1. **Tokenizer and sentence splitter** (:class:`~rnnlab.models.tokenizer.Tokenizer`, read by
   :func:`~rnnlab.models.segmentation.tokenize_text`): paragraphs at blank lines, sentences,
   tokens with their character offsets and ``SpaceAfter``, multiword tokens expanded into
   words. Pre-tokenized input — a list of sentences, each a list of words — skips it: each
   list is one sentence of plain tokens, and the document's text is the sentences' words
   joined by single spaces (so the offsets still index it).
2. **Tagger** (:meth:`Tagger.tag_many <rnnlab.models.tagger.Tagger.tag_many>`): UPOS, XPOS
   and FEATS of each word, where the model predicts them.
3. **Lemmatizer**: any object with the method of :class:`Lemmatizer`.

Each step is read in bounded pieces, so that no input grows a step's memory past a fixed
amount: the tokenizer reads windows of a paragraph (:func:`rnnlab.models.tokenizer.windows`),
and the tagger and the lemmatizer see a sentence longer than ``MAX_WORDS`` words (a long text
without punctuation is one sentence) as consecutive pieces of at most that many words.

``Pipeline(tokenizer=, tagger=, lemmatizer=)``: each is None for the shipped English model
(the shipped lemmatizer where the package has one, else no lemmas), False to leave that
step out (its columns stay ``_``), a model folder or training run folder, or a loaded model.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rnnlab.pipeline.document import NO_VALUE, Document, Sentence, Token, Word

if TYPE_CHECKING:
    from rnnlab.models import segmentation
    from rnnlab.models.tokenizer import Tokenizer

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained"
SHIPPED_TOKENIZER = PRETRAINED / "en_ewt_tokenizer"
SHIPPED_LEMMATIZER = PRETRAINED / "en_ewt_lemmatizer"
MAX_WORDS = 250
"""The longest piece of a sentence the tagger and the lemmatizer read at once."""
_LINE_BREAKS = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")  # tab, str.splitlines


@runtime_checkable
class Lemmatizer(Protocol):
    """What the pipeline asks of a lemmatizer: one lemma per word, given the words'
    UPOS and FEATS (``"_"`` where not predicted; ``feats`` may be None)."""

    def lemmatize_many(self, sentences: Sequence[Sequence[str]],
                       upos: Sequence[Sequence[str]],
                       feats: Sequence[Sequence[str]] | None = None) -> list[list[str]]: ...


@runtime_checkable
class TaggerLike(Protocol):
    """What the pipeline asks of a tagger (:class:`rnnlab.models.tagger.Tagger` fits): a
    list per sentence of objects with ``upos``, ``xpos`` and ``feats`` (None: not
    predicted)."""

    def tag_many(self, sentences: Sequence[Sequence[str]], batch_size: int = 64,
                 progress: bool | None = None) -> list[list[Any]]: ...


Step = Any  # None (the shipped model), False (no such step), a folder, or a loaded model


def _folder(value: object) -> bool:
    return isinstance(value, str | PathLike)


def load_tokenizer(value: Step) -> Tokenizer | None:
    """The tokenizer of ``value`` (module docstring), or None for False."""
    from rnnlab.models import open_model_dir
    from rnnlab.models.tokenizer import Tokenizer

    if value is False:
        return None
    if value is None or _folder(value):
        return open_model_dir(SHIPPED_TOKENIZER if value is None else value, kind="tokenizer")
    if not isinstance(value, Tokenizer):
        raise TypeError(f"tokenizer= takes a model folder or a rnnlab Tokenizer, got a "
                        f"{type(value).__name__}")
    return value


def load_tagger(value: Step) -> TaggerLike | None:
    """The tagger of ``value`` (module docstring), or None for False."""
    if value is False:
        return None
    if value is None or _folder(value):
        from rnnlab.models.tagger import Tagger

        return Tagger.load(value)
    if not isinstance(value, TaggerLike):
        raise TypeError(f"tagger= takes a model folder or an object with tag_many(), got a "
                        f"{type(value).__name__}")
    return value


def load_lemmatizer(value: Step) -> Lemmatizer | None:
    """The lemmatizer of ``value`` (module docstring), or None for False or when None asks
    for a shipped lemmatizer the package does not have."""
    if value is False or (value is None and not SHIPPED_LEMMATIZER.is_dir()):
        return None
    if value is None or _folder(value):
        from rnnlab.models import open_model_dir

        return open_model_dir(SHIPPED_LEMMATIZER if value is None else value,
                              kind="lemmatizer")
    if not isinstance(value, Lemmatizer):
        raise TypeError(f"lemmatizer= takes a model folder or an object with "
                        f"lemmatize_many(), got a {type(value).__name__}")
    return value


def pretokenized(sentences: Sequence[Sequence[str]]) -> tuple[str, list[segmentation.Sentence]]:
    """The text and the sentences of pre-tokenized input (module docstring).

    Raises:
        TypeError: not a list of lists of strings.
        ValueError: an empty sentence, an empty word, or a word with a tab or a line break
            (CoNLL-U cannot hold it).
    """
    from rnnlab.models.segmentation import Sentence as Cut
    from rnnlab.models.segmentation import Token as Piece

    if isinstance(sentences, str | bytes) or not isinstance(sentences, Sequence):
        raise TypeError(f"the pipeline takes a string or a list of sentences (lists of "
                        f"words), got a {type(sentences).__name__}")
    cuts: list[Cut] = []
    position = 0
    for i, words in enumerate(sentences):
        if isinstance(words, str) or not isinstance(words, Sequence):
            raise TypeError(f"pre-tokenized input is a list of sentences, each a list of "
                            f"words; item {i} is a {type(words).__name__} (one sentence: "
                            "put its list of words in a list)")
        if not words:
            raise ValueError(f"sentence {i} has no words")
        tokens = []
        for j, word in enumerate(words):
            if not isinstance(word, str) or not word:
                raise ValueError(f"sentence {i}, word {j}: words must be non-empty strings")
            if _LINE_BREAKS.intersection(word):
                raise ValueError(f"sentence {i}, word {j}: a word cannot hold a tab or a "
                                 f"line break ({word!r})")
            tokens.append(Piece(word, position, position + len(word), True, (word,)))
            position += len(word) + 1
        cuts.append(Cut(tuple(tokens), new_paragraph=not cuts))
    return " ".join(w for words in sentences for w in words), cuts


def pieces(sentences: Sequence[Sequence[str]], size: int = MAX_WORDS
           ) -> tuple[list[Sequence[str]], list[int]]:
    """``sentences`` cut into pieces of at most ``size`` words, and how many pieces each
    sentence became."""
    out: list[Sequence[str]] = []
    counts = []
    for words in sentences:
        parts = [words[k:k + size] for k in range(0, len(words), size)]
        out += parts
        counts.append(len(parts))
    return out, counts


def joined(values: Sequence[list[Any]], counts: Sequence[int]) -> list[list[Any]]:
    """The per-piece lists of :func:`pieces` put back together, one list per sentence."""
    out, k = [], 0
    for n in counts:
        out.append([v for part in values[k:k + n] for v in part])
        k += n
    return out


class Pipeline:
    """Tokenizer, tagger and lemmatizer in order (module docstring).

    ``batch_size``: sentences the tagger reads at once; ``tokenizer_batch_size``: text
    windows the tokenizer reads at once.
    """

    def __init__(self, tokenizer: Step = None, tagger: Step = None, lemmatizer: Step = None,
                 *, batch_size: int = 64, tokenizer_batch_size: int = 64) -> None:
        if batch_size < 1 or tokenizer_batch_size < 1:
            raise ValueError("batch sizes must be >= 1")
        self.tokenizer = load_tokenizer(tokenizer)
        self.tagger = load_tagger(tagger)
        self.lemmatizer = load_lemmatizer(lemmatizer)
        self.batch_size = batch_size
        self.tokenizer_batch_size = tokenizer_batch_size

    def __call__(self, text: str | Sequence[Sequence[str]]) -> Document:
        """The :class:`Document` of raw ``text``, or of pre-tokenized sentences.

        Raises:
            TypeError: neither a string nor a list of lists of words.
            ValueError: raw text for a pipeline without a tokenizer, or pre-tokenized input
                with an empty sentence or word, or a word with a tab or a line break.
        """
        if isinstance(text, str):
            if self.tokenizer is None:
                raise ValueError("this pipeline has no tokenizer: give it pre-tokenized "
                                 "input (a list of sentences, each a list of words)")
            from rnnlab.models.segmentation import tokenize_text

            cuts = tokenize_text(self.tokenizer, text, self.tokenizer_batch_size)
        else:
            text, cuts = pretokenized(text)
        forms = [[w for token in cut.tokens for w in token.words] for cut in cuts]
        columns = self.annotate(forms)
        sentences = []
        for number, (cut, rows) in enumerate(zip(cuts, columns, strict=True)):
            tokens, word_id = [], 1
            for token in cut.tokens:
                words = tuple(Word(word_id + k, *rows[word_id - 1 + k])
                              for k in range(len(token.words)))
                tokens.append(Token(token.form, token.start, token.end, token.space_after,
                                    words))
                word_id += len(words)
            sentences.append(Sentence(tuple(tokens), cut.new_paragraph, number == 0))
        return Document(text, tuple(sentences))

    def annotate(self, sentences: Sequence[Sequence[str]]
                 ) -> list[list[tuple[str, str, str, str, str]]]:
        """``(form, lemma, upos, xpos, feats)`` of every word of tokenized ``sentences``
        (``"_"`` where a step is missing or predicts nothing)."""
        parts, counts = pieces(sentences, MAX_WORDS)
        upos = xpos = feats = [[NO_VALUE] * len(part) for part in parts]
        if self.tagger is not None and parts:
            tagged = self.tagger.tag_many(parts, self.batch_size, progress=False)
            upos = [[w.upos for w in row] for row in tagged]
            xpos = [[w.xpos or NO_VALUE for w in row] for row in tagged]
            feats = [[getattr(w, "feats", None) or NO_VALUE for w in row] for row in tagged]
        lemmas = [[NO_VALUE] * len(part) for part in parts]
        if self.lemmatizer is not None and parts:
            lemmas = self.lemmatizer.lemmatize_many(parts, upos, feats)
            if [len(row) for row in lemmas] != [len(part) for part in parts]:
                raise ValueError("the lemmatizer gave back a number of lemmas other than "
                                 "the number of words")
        return [list(zip(*row, strict=True)) for row in zip(
            joined(parts, counts), joined(lemmas, counts), joined(upos, counts),
            joined(xpos, counts), joined(feats, counts), strict=True)]
