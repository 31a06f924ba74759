"""Every ``rnnlab train …`` command that cannot read its data (a malformed file, a missing
one) says so in one line, with exit status 1, and leaves ``--out`` as it found it: a folder
the command created is gone again, an empty one stays empty. So the same command, once the
file is fixed, runs without ``--overwrite``."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from shared_data import ewt_blocks, write_conllu_blocks
from threadpoolctl import threadpool_limits

from rnnlab.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BAD_CONLLU = b"1\tword\n\n"  # two columns of ten
LOOP = ["--epochs", "1", "--checkpoint-every", "0", "--no-progress"]


@pytest.fixture(autouse=True)
def _single_thread():
    with threadpool_limits(limits=1):
        yield


def _treebank(folder: Path) -> tuple[Path, Path]:
    blocks = ewt_blocks("train")
    return (write_conllu_blocks(folder / "train.conllu", blocks[:20]),
            write_conllu_blocks(folder / "dev.conllu", blocks[20:25]))


def _tagger(folder: Path) -> tuple[list[str], Path]:
    train, dev = _treebank(folder)
    return ["--train", str(train), "--dev", str(dev), "--batch-size", "4", "--embed-dim", "8",
            "--char-dim", "4", "--char-hidden-size", "8", "--hidden-size", "8",
            "--layers", "1", *LOOP], train


def _tokenizer(folder: Path) -> tuple[list[str], Path]:
    train, dev = _treebank(folder)
    return ["--train", str(train), "--dev", str(dev), "--hidden-size", "4", "--layers", "1",
            "--char-dim", "3", "--class-dim", "2", "--train-window", "100", *LOOP], dev


def _lemmatizer(folder: Path) -> tuple[list[str], Path]:
    train, dev = _treebank(folder)
    return ["--train", str(train), "--dev", str(dev), "--hidden-size", "8", "--char-dim", "8",
            *LOOP], train


def _pipeline(folder: Path) -> tuple[list[str], Path]:
    train, dev = _treebank(folder)
    budgets = [f"--{part}-time-budget" for part in ("tokenizer", "tagger", "lemmatizer")]
    return ["--train", str(train), "--dev", str(dev), "--epochs", "1", "--no-progress",
            *[flag for budget in budgets for flag in (budget, "1e-6")]], train


def _classifier(folder: Path) -> tuple[list[str], Path]:
    train = Path(shutil.copy(FIXTURES / "classifier" / "reviews.tsv", folder / "train.tsv"))
    return ["--train", str(train), "--dev", str(FIXTURES / "classifier" / "reviews.tsv"),
            "--hidden-size", "8", "--embed-dim", "8", "--batch-size", "8", *LOOP], train


def _lm(folder: Path) -> tuple[list[str], Path]:
    train = Path(shutil.copy(FIXTURES / "lm" / "tiny.txt", folder / "tiny.txt"))
    return ["--train", str(train), "--level", "char", "--hidden-size", "8", "--layers", "1",
            "--batch-size", "4", "--bptt", "8", "--eval-batch-size", "1", *LOOP], train


def _generator(folder: Path) -> tuple[list[str], Path]:
    shutil.copytree(FIXTURES / "lm" / "captions", folder / "captions")
    captions = folder / "captions" / "captions.txt"
    return ["--train", str(folder / "captions" / "features.npy"), str(captions),
            "--hidden-size", "8", "--batch-size", "4", *LOOP], captions


def _seq2seq(folder: Path) -> tuple[list[str], Path]:
    for name, text in (("train.de", "ein hund\neine katze\nein mann\n"),
                       ("train.en", "a dog\na cat\na man\n"),
                       ("dev.de", "ein hund\n"), ("dev.en", "a dog\n")):
        (folder / name).write_text(text, encoding="utf-8")
    return ["--src-train", str(folder / "train.de"), "--tgt-train", str(folder / "train.en"),
            "--src-dev", str(folder / "dev.de"), "--tgt-dev", str(folder / "dev.en"),
            "--embed-dim", "8", "--hidden-size", "8", "--min-freq", "1", "--batch-size", "4",
            "--monitor", "loss", *LOOP], folder / "train.en"


@dataclass(frozen=True)
class Command:
    """A train command: ``flags(folder)`` writes good data into ``folder`` and returns the
    flags but ``--out`` and the data file the test breaks; ``bad`` is a malformed version
    of that file."""

    name: str
    flags: Callable[[Path], tuple[list[str], Path]]
    bad: bytes


COMMANDS = [
    Command("tagger", _tagger, BAD_CONLLU),
    Command("tokenizer", _tokenizer, BAD_CONLLU),
    Command("lemmatizer", _lemmatizer, BAD_CONLLU),
    Command("pipeline", _pipeline, BAD_CONLLU),
    Command("classifier", _classifier, (FIXTURES / "classifier" / "bad_columns.tsv").read_bytes()),
    Command("lm", _lm, b"the cat \xff sat\n"),  # not UTF-8
    Command("generator", _generator, b"a caption\n\nanother\nthe last\n"),  # an empty caption
    Command("seq2seq", _seq2seq, b"a dog\n"),  # fewer lines than its source side
]


def _one_line_naming(err: str, path: Path) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnlab: error:"), err
    assert path.name in lines[0], err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_a_run_that_cannot_read_its_data_leaves_out_reusable(command, tmp_path, capsys):
    flags, victim = command.flags(tmp_path)
    good = victim.read_bytes()
    out = tmp_path / "runs" / "run"  # neither folder exists: the command creates both
    train = ["train", command.name, *flags, "--out", str(out)]

    victim.write_bytes(command.bad)
    assert main(train) == 1
    _one_line_naming(capsys.readouterr().err, victim)
    assert not (tmp_path / "runs").exists()

    out.mkdir(parents=True)
    victim.unlink()
    assert main(train) == 1
    _one_line_naming(capsys.readouterr().err, victim)
    assert list(out.iterdir()) == []  # the empty folder stays empty

    victim.write_bytes(good)
    assert main(train) == 0  # the same command, no --overwrite
    model = out / "tokenizer" / "model" if command.name == "pipeline" else out / "model"
    assert model.is_dir()


def test_overwrite_keeps_the_old_run_when_the_new_data_is_bad(tmp_path, capsys):
    flags, victim = _classifier(tmp_path)
    out = tmp_path / "run"
    assert main(["train", "classifier", *flags, "--out", str(out)]) == 0
    before = sorted(p.name for p in out.iterdir())
    record = (out / "run.json").read_bytes()
    victim.write_bytes(b"text\tlabel\nno label here\n")
    assert main(["train", "classifier", *flags, "--out", str(out), "--overwrite"]) == 1
    assert "train.tsv" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before
    assert (out / "run.json").read_bytes() == record


def test_the_pipeline_reads_the_files_as_every_part_does_before_any_trains(tmp_path, capsys):
    flags, train = _pipeline(tmp_path)
    lines = train.read_text(encoding="utf-8").split("\n")
    word = next(i for i, line in enumerate(lines) if line[:1].isdigit()
                and line.split("\t")[0].isdigit())
    columns = lines[word].split("\t")
    columns[3] = "_"  # no gold UPOS: the tokenizer could train on it, the tagger cannot
    lines[word] = "\t".join(columns)
    train.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "pipe"
    assert main(["train", "pipeline", *flags, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    _one_line_naming(err, train)
    assert "gold UPOS" in err
    assert not out.exists()  # the tokenizer did not train first
