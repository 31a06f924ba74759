"""Translation with an encoder–decoder and attention (LECTURE §3.4, §11) on line-aligned
parallel text, one sentence per line (e.g. Multi30k).

* :func:`prepare` reads the training and dev pairs and builds both vocabularies from the
  training pairs (they are saved with the model);
* :func:`train` trains a :class:`~rnnlab.models.Seq2Seq` into a run folder
  (:class:`~rnnlab.training.run_folder.RunFolder`), keeping the model with the best dev
  BLEU (greedy decoding; or the best dev loss);
* :func:`translate` decodes sentences (greedy or beam search) and :func:`evaluate` scores
  a model with sacrebleu on detokenised output, cased and lowercased.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.data.batching import bucket_batches
from rnnlab.data.errors import DataFormatError
from rnnlab.data.parallel import read_parallel
from rnnlab.data.text_files import read_utf8, split_lines
from rnnlab.data.vocab import Vocab
from rnnlab.io.atomic import atomic_path
from rnnlab.models.seq2seq import (
    ParallelBatch,
    Seq2Seq,
    Seq2SeqConfig,
    Translation,
    build_vocabularies,
    make_batch,
)
from rnnlab.training.run_folder import DATA_PATH, LoopOverrides, RunFolder, TrainOutcome
from rnnlab.training.trainer import Trainer, TrainerConfig

TASK = "translation"
MONITORS = {"bleu": "max", "loss": "min"}  # dev metric that picks the best model → its mode
DEV_BATCH_SIZE = 100
# files of run folders written before run.json; --overwrite removes them
LEGACY_FILES = ("model_config.json", "source_vocab.json", "target_vocab.json")


@dataclass
class ParallelData:
    """The parallel files and how much of them is used."""

    src_train: str = field(metadata=DATA_PATH)
    tgt_train: str = field(metadata=DATA_PATH)
    src_dev: str = field(metadata=DATA_PATH)
    tgt_dev: str = field(metadata=DATA_PATH)
    train_limit: int = 0  # use the first N training pairs (0: all)
    dev_limit: int = 0  # use the first N dev pairs (0: all)
    max_length: int = 80  # drop training pairs with a side longer than this (tokens)
    lowercase: str = "source"  # which side is lowercased: "none", "source" or "both"
    min_freq: int = 2  # rarer words become <unk>
    max_vocab: int | None = None


@dataclass
class TranslatorOptions:
    """The network (``decoder_hidden_size`` 0 means twice ``hidden_size``)."""

    cell: str = "lstm"
    embed_dim: int = 256
    hidden_size: int = 256  # encoder size per direction
    decoder_hidden_size: int = 0
    layers: int = 1
    dropout: float = 0.3
    attention: bool = True


def default_loop() -> TrainerConfig:
    """The loop defaults: Adam at 1e-3 halved on a dev plateau, best model by dev BLEU."""
    return TrainerConfig(epochs=10, lr=1e-3, lr_schedule="plateau", checkpoint_every=100,
                         seed=1, monitor="bleu", monitor_mode="max")


@dataclass
class TranslationConfig:
    """Everything a translation run is trained with (saved in its ``run.json``).

    ``loop.monitor`` is ``"bleu"`` (dev BLEU of decoding with beam ``dev_beam``) or
    ``"loss"``; the monitor mode follows from it.
    """

    data: ParallelData
    model: TranslatorOptions = field(default_factory=TranslatorOptions)
    loop: TrainerConfig = field(default_factory=default_loop)
    batch_size: int = 64
    dev_beam: int = 1

    def __post_init__(self) -> None:
        if self.loop.monitor not in MONITORS:
            raise ValueError(f"--monitor must be bleu or loss, not {self.loop.monitor!r}")
        if self.loop.monitor_mode != MONITORS[self.loop.monitor]:
            self.loop = dataclasses.replace(self.loop, monitor_mode=MONITORS[self.loop.monitor])


@dataclass
class ParallelCorpus:
    """The prepared data: non-empty training pairs, dev pairs and both vocabularies."""

    train: list[tuple[str, str]]
    dev: list[tuple[str, str]]
    source_vocab: Vocab
    target_vocab: Vocab


@dataclass(frozen=True)
class DecodingOptions:
    """How :func:`translate` searches: ``beam`` 1 is greedy; each output has at most
    ⌊``max_length_ratio`` · source length + ``max_length_extra``⌋ tokens; hypotheses are
    ranked by score / length^``length_penalty``; with ``replace_unk`` an output <unk>
    becomes the source word it attended to most."""

    beam: int = 5
    length_penalty: float = 1.0
    max_length_ratio: float = 1.5
    max_length_extra: int = 10
    batch_size: int = 64
    replace_unk: bool = True


@dataclass
class TranslationReport:
    """BLEU of a model's translations of sentences against references."""

    bleu: float
    bleu_lc: float
    signature: str
    hypotheses: list[str]
    decode_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"bleu": self.bleu, "bleu_lc": self.bleu_lc, "signature": self.signature,
                "sentences": len(self.hypotheses), "decode_seconds": round(self.decode_seconds, 2)}


@dataclass
class TranslationResult:
    """What :func:`train` returns: the best model, the config it was trained with (the saved
    one on a resume) and how training went."""

    model: Seq2Seq
    config: TranslationConfig
    outcome: TrainOutcome


def read_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 file, surrounding whitespace stripped."""
    return [line.strip() for line in split_lines(read_utf8(path))]


def _limited(pairs: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    return pairs[:limit] if limit > 0 else pairs


def prepare(data: ParallelData) -> ParallelCorpus:
    """Read the pairs (empty training pairs dropped) and build the vocabularies.

    Raises:
        DataFormatError: two files of a pair that are not line-aligned, or no non-empty
            dev pair.
        ValueError: no non-empty training pair.
    """
    train = _limited(read_parallel(data.src_train, data.tgt_train), data.train_limit)
    dev = _limited(read_parallel(data.src_dev, data.tgt_dev), data.dev_limit)
    train = [(s, t) for s, t in train if s and t]
    if not train:
        raise ValueError(f"{data.src_train}: no non-empty training pairs")
    if not any(s and t for s, t in dev):
        raise DataFormatError(data.src_dev, None, "no non-empty dev pairs (with "
                              f"{data.tgt_dev})")
    source_vocab, target_vocab = build_vocabularies(
        train, data.lowercase, min_freq=data.min_freq, max_size=data.max_vocab)
    return ParallelCorpus(train, dev, source_vocab, target_vocab)


def build_model(config: TranslationConfig, corpus: ParallelCorpus) -> Seq2Seq:
    """A freshly initialised model (weights from rnnlab's seeded generator)."""
    o = config.model
    model_config = Seq2SeqConfig(
        source_vocab_size=len(corpus.source_vocab),
        target_vocab_size=len(corpus.target_vocab),
        embedding_size=o.embed_dim,
        hidden_size=o.hidden_size,
        decoder_hidden_size=o.decoder_hidden_size,
        num_layers=o.layers,
        cell=o.cell,
        dropout=o.dropout,
        attention=o.attention,
        lowercase=config.data.lowercase,
    )
    return Seq2Seq(model_config, corpus.source_vocab, corpus.target_vocab)


def translate(
    model: Seq2Seq, sentences: Sequence[str], options: DecodingOptions = DecodingOptions(),
    progress: bool | None = None,
) -> list[Translation]:
    """Translate raw sentences, one :class:`~rnnlab.models.seq2seq.Translation` each
    (``progress`` as in :meth:`~rnnlab.models.seq2seq.Seq2Seq.translate`)."""
    return model.translate(
        sentences, beam_size=options.beam, length_penalty=options.length_penalty,
        max_length_ratio=options.max_length_ratio, max_length_extra=options.max_length_extra,
        batch_size=options.batch_size, replace_unk=options.replace_unk, progress=progress,
    )


def bleu_scores(hypotheses: list[str], references: list[str]) -> dict[str, float | str]:
    """Corpus BLEU (sacrebleu, 13a tokenisation) on detokenised text, cased and lowercased."""
    import sacrebleu  # imported here: it costs a command that does not score BLEU 0.1 s

    cased, lowered = sacrebleu.BLEU(), sacrebleu.BLEU(lowercase=True)
    return {
        "bleu": cased.corpus_score(hypotheses, [references]).score,
        "bleu_lc": lowered.corpus_score(hypotheses, [references]).score,
        "signature": str(cased.get_signature()),
    }


def evaluate(
    model: Seq2Seq, sources: Sequence[str], references: Sequence[str],
    options: DecodingOptions = DecodingOptions(), progress: bool | None = None,
) -> TranslationReport:
    """Translate ``sources`` and score the output against ``references`` (line-aligned;
    ``progress`` as in :meth:`~rnnlab.models.seq2seq.Seq2Seq.translate`).

    Raises:
        ValueError: no sentences, or different numbers of sources and references.
    """
    if not sources:
        raise ValueError("there are no source sentences to translate and score")
    if len(sources) != len(references):
        raise ValueError(f"{len(sources)} source sentences but {len(references)} references; "
                         "the two must be line-aligned")
    start = time.perf_counter()
    hypotheses = [t.text for t in translate(model, sources, options, progress)]
    seconds = time.perf_counter() - start
    scores = bleu_scores(hypotheses, list(references))
    return TranslationReport(float(scores["bleu"]), float(scores["bleu_lc"]),
                             str(scores["signature"]), hypotheses, seconds)


def plot_attention(translation: Translation, path: str | Path) -> None:
    """A heatmap of a_t(s): one row per output word, one column per source word.

    Raises:
        ValueError: the translation has no attention weights (a model without attention).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if translation.attention is None:
        raise ValueError("--show-attention needs a model with attention")
    weights = translation.attention
    rows, cols = weights.shape
    fig = Figure(figsize=(1.0 + 0.45 * max(cols, 4), 1.0 + 0.4 * max(rows, 4)))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(cols), translation.source_tokens, rotation=60, ha="right")
    ax.set_yticks(range(rows), translation.tokens)
    ax.set_xlabel("source")
    ax.set_ylabel("translation")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)


def train(
    run_dir: str | Path,
    config: TranslationConfig | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    overrides: LoopOverrides | None = None,
) -> TranslationResult:
    """Train a translation model into ``run_dir`` (or continue the run there with
    ``resume``; ``config`` may then be None)."""
    run = RunFolder(run_dir)
    with run.session(TASK, TranslationConfig, config, lambda c: prepare(c.data), resume=resume,
                     overwrite=overwrite, overrides=overrides,
                     task_files=LEGACY_FILES) as (config, corpus):
        model = build_model(config, corpus)
        bos, eos = corpus.target_vocab.bos_id, corpus.target_vocab.eos_id
        examples = [model.encode_pair(s, t) for s, t in corpus.train]
        examples = [e for e in examples if max(len(e[0]), len(e[1])) <= config.data.max_length]
        dev_examples = [model.encode_pair(s, t) for s, t in corpus.dev if s and t]
        dev_batches = [
            make_batch([dev_examples[i] for i in batch], bos, eos)
            for batch in bucket_batches([len(s) for s, _ in dev_examples], DEV_BATCH_SIZE,
                                        shuffle=False)
        ]
        source_lengths = [len(s) for s, _ in examples]
        print(
            f"train: {len(examples)} pairs, valid: {len(corpus.dev)}, vocab: source "
            f"{len(corpus.source_vocab)} / target {len(corpus.target_vocab)}, parameters: "
            f"{model.num_parameters()}"
        )

        def batches_for_epoch(epoch: int, rng: np.random.Generator) -> list[ParallelBatch]:
            groups = bucket_batches(source_lengths, config.batch_size, shuffle=True, rng=rng)
            return [make_batch([examples[i] for i in g], bos, eos) for g in groups]

        def dev_metrics() -> dict[str, float]:
            total = sum(float(model.loss(b).data) * b.num_tokens for b in dev_batches)
            metrics = {"loss": total / max(sum(b.num_tokens for b in dev_batches), 1)}
            if config.loop.monitor == "bleu":
                report = evaluate(model, [s for s, _ in corpus.dev], [t for _, t in corpus.dev],
                                  DecodingOptions(beam=config.dev_beam, batch_size=DEV_BATCH_SIZE),
                                  progress=False)
                metrics.update(bleu=report.bleu, bleu_lc=report.bleu_lc)
            return metrics

        trainer = Trainer(model, config.loop, run.path, batches_for_epoch, dev_metrics,
                          batch_items=lambda batch: batch.num_tokens, item_name="tok")
        trainer.fit(resume=resume)
    return TranslationResult(Seq2Seq.load(run.model_dir), config, TrainOutcome.of(trainer))
