"""FEATS through the command line: ``rnnlab train tagger`` learns it, ``rnnlab tag`` writes
it (and nothing else changes), ``rnnlab eval tagger`` scores it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared_data import ewt_blocks, pick_blocks, tagger_corpus, word_lines

from rnnlab.cli import main
from rnnlab.data.conllu_io import read_conllu
from rnnlab.models import Tagger

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tagger"
SMALL = ["--epochs", "3", "--batch-size", "4", "--word-dim", "8", "--char-dim", "4",
         "--char-hidden", "8", "--hidden", "8", "--layers", "1", "--min-freq", "1",
         "--no-progress"]


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    return tagger_corpus(tmp_path_factory.mktemp("corpus") / "tiny.conllu")


@pytest.fixture(scope="module")
def feats_run(tmp_path_factory, corpus_file) -> Path:
    out = tmp_path_factory.mktemp("feats_cli")
    assert main(["train", "tagger", "--train", str(corpus_file), "--dev", str(corpus_file),
                 "--out", str(out), *SMALL]) == 0
    return out


def test_train_learns_feats_by_default_and_no_feats_turns_it_off(feats_run, corpus_file,
                                                                  tmp_path):
    assert Tagger.load(feats_run).feats_head is not None
    assert main(["train", "tagger", "--train", str(corpus_file), "--dev", str(corpus_file),
                 "--out", str(tmp_path), *SMALL, "--epochs", "1", "--no-feats"]) == 0
    model = Tagger.load(tmp_path)
    assert model.feats_head is None and not (tmp_path / "model" / "feats.json").exists()


def test_conllu_round_trip_replaces_only_upos_xpos_and_feats(feats_run, tmp_path):
    """A byte-order mark, a multiword token, an empty node, CRLF line ends and extra blank
    lines come back byte for byte; word lines change in columns 4–6 only."""
    blocks = ewt_blocks("dev")
    multiword = pick_blocks(blocks, 1, lambda b: any("-" in line.split("\t")[0]
                                                     for line in b if line[:1].isdigit()))[0]
    empty_node = pick_blocks(blocks, 1, lambda b: any("." in line.split("\t")[0]
                                                      for line in b if line[:1].isdigit()))[0]
    short = pick_blocks(blocks, 1, lambda b: 2 <= len(word_lines(b)) <= 5)[0]
    text = ("\ufeff" + "\n".join(multiword) + "\n\n\n" + "\r\n".join(empty_node) + "\r\n\r\n"
            + "\n".join(short) + "\n\n")
    source, out = tmp_path / "in.conllu", tmp_path / "out.conllu"
    source.write_bytes(text.encode("utf-8"))
    assert main(["tag", "--model", str(feats_run), "--input", str(source),
                 "--output", str(out)]) == 0
    model = Tagger.load(feats_run)
    before, after = source.read_bytes().split(b"\n"), out.read_bytes().split(b"\n")
    assert len(before) == len(after)
    words = 0
    for old, new in zip(before, after, strict=True):
        old_cols, new_cols = old.split(b"\t"), new.split(b"\t")
        if len(old_cols) == 10 and old_cols[0].lstrip(b"\xef\xbb\xbf").isdigit():
            assert old_cols[:3] + old_cols[6:] == new_cols[:3] + new_cols[6:]
            assert new_cols[5].decode() in model.feats_vocab
            words += 1
        else:
            assert old == new
    assert words == sum(len(word_lines(b)) for b in (multiword, empty_node, short))
    tagged = read_conllu(out)
    want = model.predict_tags([s.words for s in tagged]).feats
    assert [list(s.feats) for s in tagged] == want


def test_plain_text_gets_feats(feats_run, tmp_path):
    out = tmp_path / "out.conllu"
    assert main(["tag", "--model", str(feats_run), "--input",
                 str(FIXTURES / "sentences.txt"), "--output", str(out)]) == 0
    sentences = read_conllu(out)
    model = Tagger.load(feats_run)
    assert [list(s.feats) for s in sentences] == [
        [w.feats for w in model.tag(s.words)] for s in sentences]


def test_eval_reports_ufeats(feats_run, corpus_file, capsys):
    assert main(["eval", "tagger", "--model", str(feats_run), "--data",
                 str(corpus_file), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"ufeats_accuracy", "alltags_accuracy", "unseen_ufeats_accuracy"} <= set(result)
    assert main(["eval", "tagger", "--model", str(feats_run), "--data", str(corpus_file)]) == 0
    report = capsys.readouterr().out
    assert "UFeats accuracy" in report and "AllTags accuracy" in report
