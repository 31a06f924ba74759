"""``rnnlab.tasks.tagging`` from Python: training from CoNLL-U files in a run folder, a time
budget inside the first epoch leaving a loadable, evaluated tagger, and resuming on."""

from __future__ import annotations

import json

import pytest
from shared_data import tagger_corpus
from threadpoolctl import threadpool_limits

from rnnlab.models.tagger import Tagger, TaggerConfig
from rnnlab.tasks.tagging import (
    TaggingConfig,
    TaggingData,
    evaluate,
    prepare,
    read_gold_conllu,
    train,
)
from rnnlab.training import TrainerConfig
from rnnlab.training.run_folder import LoopOverrides

TINY = TaggerConfig(word_dim=8, char_dim=4, char_hidden=8, hidden=8, layers=1, dropout=0.0,
                    word_dropout=0.0, min_word_freq=1)


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> str:
    return str(tagger_corpus(tmp_path_factory.mktemp("corpus") / "tiny.conllu"))


def config(corpus: str, **loop) -> TaggingConfig:
    settings = {"epochs": 2, "lr": 0.02, "monitor": "upos_accuracy", "monitor_mode": "max",
                "checkpoint_every": 0, "progress": False, **loop}
    return TaggingConfig(TaggingData(corpus, corpus), TINY, TrainerConfig(**settings),
                         batch_size=4)


def test_a_budget_inside_the_first_epoch_leaves_a_tagger_and_resume_goes_on(tmp_path, corpus):
    stopped = train(tmp_path, config(corpus, time_budget_minutes=1e-9), verbose=False)
    assert stopped.outcome.best_epoch == 0
    assert stopped.outcome.budget_stop["dev_upos_accuracy"] == stopped.dev["upos_accuracy"]
    tagger = Tagger.load(tmp_path / "model")
    report = evaluate(tagger, read_gold_conllu(corpus))
    assert report["upos_accuracy"] == stopped.dev["upos_accuracy"]
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["task"] == "tagging" and record["data"]["train"] == corpus

    done = train(tmp_path, resume=True, overrides=LoopOverrides(time_budget_minutes=60),
                 verbose=False)
    assert [row["epoch"] for row in done.outcome.history] == [1, 2]
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


def test_prepare_reads_the_files_and_limits_the_training_sentences(corpus):
    data = prepare(TaggingData(corpus, corpus, train_limit=3))
    assert len(data.train) == 3 and len(data.dev) == 16
    with pytest.raises(ValueError, match="--train-limit must be >= 1"):
        prepare(TaggingData(corpus, corpus, train_limit=0))
    with pytest.raises(ValueError, match="needs a training and a dev file"):
        prepare(TaggingData())
