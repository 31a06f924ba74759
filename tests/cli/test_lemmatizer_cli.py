"""``rnnlab train lemmatizer``, ``rnnlab lemmatize`` and ``rnnlab eval lemmatizer`` end to
end: the LEMMA column filled with every other byte kept, scores printed, bad input
refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared_data import ewt_blocks, pick_blocks, word_lines, write_conllu_blocks

from rnnlab.cli import main


def _has_range(block) -> bool:
    return any("-" in line.split("\t")[0] for line in block if line[:1].isdigit())


def _blank(line: str, column: int) -> str:
    columns = line.split("\t")
    if columns[0].isdigit():
        columns[column] = "_"
    return "\t".join(columns)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, Path]:
    """A one-epoch lemmatizer run on 40 EWT training sentences (dev: the next 10)."""
    folder = tmp_path_factory.mktemp("lemma_cli")
    blocks = ewt_blocks("train")
    train = write_conllu_blocks(folder / "train.conllu", blocks[:40])
    dev = write_conllu_blocks(folder / "dev.conllu", blocks[40:50])
    out = folder / "run"
    assert main(["train", "lemmatizer", "--train", str(train), "--dev", str(dev), "--out",
                 str(out), "--epochs", "1", "--hidden-size", "8", "--char-dim", "8",
                 "--no-progress"]) == 0
    return out, train


def test_train_writes_a_lemmatization_run(run):
    out, _ = run
    assert (out / "model" / "dictionary.json").is_file()
    assert json.loads((out / "run.json").read_text())["task"] == "lemmatization"


def test_lemmatize_fills_lemmas_and_keeps_every_other_byte(run, tmp_path):
    """A byte-order mark, a multiword token, CRLF line ends and extra blank lines survive;
    the training sentences' lemmas come back from the dictionary."""
    out, _ = run
    blocks = ewt_blocks("train")[:40]
    multiword = pick_blocks(blocks, 1, _has_range)[0]
    plain = [b for b in blocks if b is not multiword][:2]
    gold = ("\ufeff" + "\n".join(multiword) + "\n\n\n" + "\r\n".join(plain[0]) + "\r\n\r\n"
            + "\n".join(plain[1]) + "\n\n")
    blanked = gold
    for block in (multiword, *plain):
        for line in word_lines(block):
            blanked = blanked.replace(line, _blank(line, 2), 1)
    assert blanked != gold
    source, target = tmp_path / "in.conllu", tmp_path / "out.conllu"
    source.write_bytes(blanked.encode("utf-8"))
    assert main(["lemmatize", "--model", str(out), "--input", str(source), "--output",
                 str(target)]) == 0
    assert target.read_bytes() == gold.encode("utf-8")


def test_eval_prints_the_seen_unseen_split(run, capsys):
    out, train = run
    dev = ewt_blocks("train")[40:50]
    dev_file = write_conllu_blocks(train.parent / "dev_eval.conllu", dev)
    assert main(["eval", "lemmatizer", "--model", str(out), "--data", str(dev_file)]) == 0
    text = capsys.readouterr().out
    assert "lemma accuracy" in text and "unseen forms" in text and "UPOS: gold" in text
    assert main(["eval", "lemmatizer", "--model", str(out / "model"), "--data",
                 str(train), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["unseen_words"] == 0 and result["lemma_accuracy"] > 0.97


def test_lemmatize_refuses_untagged_input(run, tmp_path, capsys):
    out, _ = run
    block = ewt_blocks("train")[0]
    source = tmp_path / "untagged.conllu"
    write_conllu_blocks(source, [[_blank(line, 3) for line in block]])
    assert main(["lemmatize", "--model", str(out), "--input", str(source)]) == 1
    error = capsys.readouterr().err
    assert "no UPOS" in error and error.count("\n") == 1


def test_lemmatize_refuses_another_kind_of_model(tmp_path, capsys):
    tagger = Path(__file__).resolve().parents[2] / "rnnlab" / "pretrained" / "en_ewt_tagger"
    source = write_conllu_blocks(tmp_path / "in.conllu", [ewt_blocks("train")[0]])
    assert main(["lemmatize", "--model", str(tagger), "--input", str(source)]) == 1
    assert "not a lemmatizer" in capsys.readouterr().err


def test_train_refuses_a_file_without_lemmas(tmp_path, capsys):
    block = [_blank(line, 2) for line in ewt_blocks("train")[0]]
    bare = write_conllu_blocks(tmp_path / "bare.conllu", [block])
    assert main(["train", "lemmatizer", "--train", str(bare), "--dev", str(bare), "--out",
                 str(tmp_path / "run"), "--no-progress"]) == 1
    assert "no word has a lemma" in capsys.readouterr().err
