"""``rnnlab.tasks.lemmatization`` from Python: a lemmatizer trained from CoNLL-U in a run
folder, resumed, scored with the seen/unseen split; the LEMMA column filled in place."""

from __future__ import annotations

import json

import pytest
from shared_data import ewt_blocks, word_lines, write_conllu_blocks
from threadpoolctl import threadpool_limits

from rnnlab.data.conllu_io import parse_conllu
from rnnlab.data.errors import DataFormatError
from rnnlab.models.lemmatizer import Lemmatizer, LemmatizerConfig
from rnnlab.tasks.lemmatization import (
    LemmatizationConfig,
    LemmatizationData,
    evaluate,
    lemmatize_conllu,
    network_examples,
    prepare,
    read_lemmatized,
    train,
    with_lemmas,
    word_records,
)
from rnnlab.training import TrainerConfig
from rnnlab.training.run_folder import LoopOverrides

TINY = LemmatizerConfig(char_dim=8, hidden=8, dropout=0.0, min_char_freq=1)


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[str, str]:
    """30 EWT training sentences to train on, the next 10 as dev."""
    folder = tmp_path_factory.mktemp("lemma")
    blocks = ewt_blocks("train")
    return (str(write_conllu_blocks(folder / "train.conllu", blocks[:30])),
            str(write_conllu_blocks(folder / "dev.conllu", blocks[30:40])))


def config(files, **loop) -> LemmatizationConfig:
    settings = {"epochs": 2, "lr": 0.01, "monitor": "lemma_accuracy", "monitor_mode": "max",
                "checkpoint_every": 0, "progress": False, **loop}
    return LemmatizationConfig(LemmatizationData(*files), TINY, TrainerConfig(**settings),
                               batch_size=16)


def test_prepare_reads_words_with_lemmas(files):
    data = prepare(LemmatizationData(*files))
    assert len(data.dev) == 10
    assert ("the", "DET", "Definite=Def|PronType=Art", "the") in data.train
    assert all(lemma != "_" or form == "_" for form, _, _, lemma in data.train)


def test_network_examples_are_distinct_words_without_feats(files):
    words = prepare(LemmatizationData(*files)).train
    model = Lemmatizer.build(words, TINY)
    examples = network_examples(model, words)
    assert examples == sorted(set(examples))
    assert {feats for _, _, feats, _ in examples} == {"_"}
    assert len(examples) < len(words)


def test_train_resume_and_evaluate(files, tmp_path):
    run = tmp_path / "run"
    first = train(run, config(files), verbose=False)
    assert first.outcome.best_epoch >= 1
    history = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(history) == 2 and "dev_lemma_accuracy" in history[-1]
    resumed = train(run, None, resume=True, overrides=LoopOverrides(epochs=3), verbose=False)
    assert [h["epoch"] for h in resumed.outcome.history] == [1, 2, 3]
    dev = read_lemmatized(files[1])
    result = evaluate(resumed.model, dev)
    assert result["words"] == result["seen_words"] + result["unseen_words"]
    assert result["seen_words"] > 0 and result["unseen_words"] > 0
    assert result["seen_accuracy"] > 0.9  # the dictionary
    train_result = evaluate(resumed.model, read_lemmatized(files[0]))
    assert train_result["unseen_words"] == 0 and train_result["lemma_accuracy"] > 0.97


def test_evaluate_with_other_tags(files):
    sentences = read_lemmatized(files[0])
    model = Lemmatizer.build(word_records(sentences), TINY)
    wrong = [["X"] * len(s.words) for s in sentences]  # tags training never paired
    gold = evaluate(model, sentences)
    other = evaluate(model, sentences, upos=wrong)
    assert gold["words"] == other["words"] and other["unseen_words"] == 0
    assert other["lemma_accuracy"] <= gold["lemma_accuracy"]


def test_with_lemmas_changes_the_lemma_column_only():
    text = ("\ufeff# text = Cats ran\r\n1\tCats\t_\tNOUN\tNNS\t_\t2\tnsubj\t_\t_\r\n"
            "2\tran\t_\tVERB\tVBD\t_\t0\troot\t_\tSpaceAfter=No\r\n\r\n")
    (sentence,) = parse_conllu(text)
    written = with_lemmas(sentence, ["cat", "run"]).text
    assert written == text.replace("Cats\t_", "Cats\tcat").replace("ran\t_", "ran\trun")
    for lemmas, message in ((["cat"], "2 words"), (["cat", ""], "invalid lemma"),
                            (["cat", "r\tn"], "invalid lemma")):
        with pytest.raises(ValueError, match=message):
            with_lemmas(sentence, lemmas)


def test_lemmatize_conllu_keeps_every_other_byte(files):
    blocks = ewt_blocks("train")[:30]
    sentences = read_lemmatized(files[0])
    model = Lemmatizer.build(word_records(sentences), TINY)
    gold = "".join("\n".join(block) + "\n\n" for block in blocks)
    blanked = []
    for block in blocks:
        lines = []
        for line in block:
            cols = line.split("\t")
            if line in word_lines(block):
                cols[2] = "_"
            lines.append("\t".join(cols))
        blanked.append("\n".join(lines) + "\n\n")
    assert lemmatize_conllu(model, "".join(blanked)) == gold  # all seen: the dictionary


def test_lemmatize_conllu_needs_upos():
    text = "1\tCats\t_\t_\t_\t_\t_\t_\t_\t_\n\n"
    model = Lemmatizer.build([("Cats", "NOUN", "_", "cat")], TINY)
    with pytest.raises(DataFormatError, match="no UPOS"):
        lemmatize_conllu(model, text, "in.conllu")


def test_a_file_without_lemmas_is_refused(tmp_path):
    path = tmp_path / "bare.conllu"
    path.write_text("1\tCats\t_\tNOUN\t_\t_\t_\t_\t_\t_\n\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="no word has a lemma"):
        read_lemmatized(path)


def test_prepare_needs_both_files():
    with pytest.raises(ValueError, match="--train, --dev"):
        prepare(LemmatizationData(train="a.conllu"))
