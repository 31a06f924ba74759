"""``rnnlab.tasks.tokenization`` from Python: a tokenizer trained from CoNLL-U in a run
folder, scored on the dev file's running text, stopped by a time budget and resumed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from shared_data import ewt_blocks, write_conllu_blocks
from threadpoolctl import threadpool_limits

from rnnlab.data.errors import DataFormatError
from rnnlab.models.tokenizer import Tokenizer, TokenizerConfig
from rnnlab.tasks.tokenization import (
    TokenizationConfig,
    TokenizationData,
    cut,
    evaluate,
    prepare,
    read_treebank,
    train,
)
from rnnlab.training import TrainerConfig
from rnnlab.training.run_folder import LoopOverrides

TINY = TokenizerConfig(char_dim=4, class_dim=2, hidden=8, layers=1, dropout=0.0,
                       char_dropout=0.0, min_char_freq=1, window=200, overlap=20)


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def treebank(tmp_path_factory) -> str:
    """The first 40 EWT training sentences (10 paragraphs, multiword tokens among them)."""
    return str(write_conllu_blocks(tmp_path_factory.mktemp("tb") / "ewt40.conllu",
                                   ewt_blocks("train")[:40]))


def config(treebank: str, **loop) -> TokenizationConfig:
    settings = {"epochs": 2, "lr": 0.01, "monitor": "mean_f1", "monitor_mode": "max",
                "checkpoint_every": 0, "progress": False, **loop}
    return TokenizationConfig(TokenizationData(treebank, treebank), TINY,
                              TrainerConfig(**settings), batch_size=8, train_window=120)


def test_training_pieces_cover_each_paragraph():
    rng = np.random.default_rng(0)
    assert cut(50, 100, rng) == [(0, 50)]
    pieces = cut(250, 100, rng)
    assert pieces[0][0] == 0 and pieces[-1][1] == 250
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
    assert all(0 < end - start <= 100 for start, end in pieces)


def test_prepare_reads_paragraphs_and_the_dev_text(treebank):
    data = prepare(TokenizationData(treebank, treebank, train_limit=10))
    assert len(data.train_sentences) == 10 and len(data.dev) == 40
    assert data.dev_text.endswith("\n") and "\n\n" in data.dev_text
    with pytest.raises(ValueError, match="--train, --dev"):
        prepare(TokenizationData(treebank, None))
    with pytest.raises(ValueError, match="--train-limit must be >= 1"):
        prepare(TokenizationData(treebank, treebank, train_limit=0))


def test_an_empty_treebank_is_refused(tmp_path):
    empty = tmp_path / "empty.conllu"
    empty.write_text("")
    with pytest.raises(DataFormatError, match="no sentences found"):
        read_treebank(empty)


def test_a_budget_inside_the_first_epoch_leaves_a_tokenizer_and_resume_goes_on(
        tmp_path, treebank):
    stopped = train(tmp_path, config(treebank, time_budget_minutes=1e-9), verbose=False)
    assert stopped.outcome.best_epoch == 0
    assert stopped.outcome.budget_stop["dev_mean_f1"] == stopped.dev["mean_f1"]
    model = Tokenizer.load(tmp_path)
    assert model.expander.entries  # the multiword forms of the 40 sentences
    assert model.config.lexicon and len(model.lexicon)  # the training text's lexicon
    scores = evaluate(model, read_treebank(treebank))
    assert scores["Tokens"].f1 == stopped.dev["tokens_f1"]
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["task"] == "tokenization" and record["data"]["train"] == treebank

    done = train(tmp_path, resume=True, overrides=LoopOverrides(time_budget_minutes=60),
                 verbose=False)
    assert [row["epoch"] for row in done.outcome.history] == [1, 2]
    assert {"dev_tokens_f1", "dev_sentences_f1", "dev_words_f1"} <= set(
        done.outcome.history[-1])
