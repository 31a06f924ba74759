"""``rnnlab tag`` on raw text: the whole pipeline, its flags, and input that tries to break
it (issue 18: valid CoNLL-U or a clear error, never a traceback)."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest

from rnnlab.cli import main
from rnnlab.data.ud_document import parse_ud, read_ud
from rnnlab.pipeline import Pipeline

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))
from conllu_checks import check_conllu, check_document  # noqa: E402

TEXT = "The river rose overnight. We didn't expect it!\n\nBy noon the road was closed.\n"
WORDS = ("river", "road", "noon", "school", "closed", "rose", "the", "and", "we")
BAD = {
    "control characters": "Tab\there.\x00 Null\x07bell \x1b[31mred\x1b[0m. Form\x0cfeed"
                          "\x0bvt\u2028line sep\x85nel \u200bzero width.",
    "mixed scripts": "Москва is 莫斯科 in Chinese; مرحبا means hello. Ελληνικά! नमस्ते दुनिया.",
    "emoji": "I love it 😀😀! 👍🏽 Family: 👨\u200d👩\u200d👧. Flags 🇬🇧🇫🇷.\n\n🙂",
    "one long paragraph": " ".join(WORDS[i % 7] + WORDS[i % 9] for i in range(9000))[:100_000],
    "one long token": "x" * 100_000,
}


def tag(argv, text: str, monkeypatch, capsysbinary) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    assert main(["tag", *argv]) == 0
    return capsysbinary.readouterr().out.decode("utf-8")


def test_raw_text_goes_through_the_pipeline(tmp_path):
    source, out = tmp_path / "text.txt", tmp_path / "out.conllu"
    source.write_text(TEXT, encoding="utf-8")
    assert main(["tag", "--input", str(source), "--output", str(out)]) == 0
    conllu = out.read_text(encoding="utf-8")
    check_conllu(conllu)
    assert conllu == Pipeline()(TEXT).to_conllu()
    sentences = read_ud(out)
    assert [s.text for s in sentences] == ["The river rose overnight.", "We didn't expect it!",
                                           "By noon the road was closed."]
    assert [s.new_paragraph for s in sentences] == [True, False, True]
    assert sentences[1].tokens[1].multiword and not sentences[0].tokens[3].space_after


def test_format_text_reads_any_file_as_raw_text(tmp_path, monkeypatch, capsysbinary):
    source = tmp_path / "text.conllu"
    source.write_text(TEXT, encoding="utf-8")
    assert main(["tag", "--input", str(source), "--format", "text"]) == 0
    assert capsysbinary.readouterr().out.decode() == Pipeline()(TEXT).to_conllu()
    assert tag(["--format", "text"], "\ufeff" + TEXT, monkeypatch, capsysbinary) \
        == Pipeline()(TEXT).to_conllu()  # a byte-order mark is not text


def test_tokenizer_lines_keeps_one_sentence_per_line(monkeypatch, capsysbinary):
    conllu = tag(["--tokenizer", "lines"], TEXT, monkeypatch, capsysbinary)
    assert conllu.startswith("# sent_id = 1\n# text = The river rose overnight. We didn't "
                             "expect it!\n1\tThe\t_\tDET\t")
    assert [s.text for s in parse_ud(conllu)] == [
        "The river rose overnight. We didn't expect it!", "By noon the road was closed."]


def test_tokenizer_folders_and_misplaced_flags(tmp_path, monkeypatch, capsysbinary):
    from rnnlab.pipeline.pipeline import SHIPPED_TOKENIZER

    assert tag(["--tokenizer", str(SHIPPED_TOKENIZER)], TEXT, monkeypatch, capsysbinary) \
        == Pipeline()(TEXT).to_conllu()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode())))
    assert main(["tag", "--tokenizer", str(tmp_path / "none")]) == 1
    assert str(tmp_path / "none") in capsysbinary.readouterr().err.decode()
    conllu = tmp_path / "in.conllu"
    conllu.write_text("1\tHi\t_\t_\t_\t_\t_\t_\t_\t_\n\n", encoding="utf-8")
    assert main(["tag", "--input", str(conllu), "--tokenizer", "lines"]) == 1
    assert "CoNLL-U input keeps its tokens" in capsysbinary.readouterr().err.decode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode())))
    assert main(["tag", "--tokenizer", "lines", "--lemmatizer", str(tmp_path)]) == 1
    assert "not --tokenizer lines" in capsysbinary.readouterr().err.decode()


@pytest.mark.parametrize("content", ["", " \n\t\n\n  "])
def test_empty_and_blank_text_is_a_clear_error(content, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(content.encode())))
    assert main(["tag", "--format", "text"]) == 1
    assert capsys.readouterr().err.strip().endswith(
        "<stdin>: no sentences to tag (the input is empty)")
    assert Pipeline()(content).sentences == ()


@pytest.mark.parametrize("name", sorted(BAD))
def test_hostile_text_gives_valid_conllu(name, monkeypatch, capsysbinary):
    text = BAD[name]
    start = time.perf_counter()
    document = Pipeline()(text)
    assert time.perf_counter() - start < 60
    check_document(document)
    forms = "".join(t.form for t in document.tokens)
    assert forms == "".join(text.split())  # every non-space character is in a token
    if len(text) < 1000:  # the command writes the same (the long texts: once is enough)
        assert tag([], text, monkeypatch, capsysbinary) == document.to_conllu()


def test_windows_line_ends_and_lines_inside_a_paragraph():
    document = Pipeline(tagger=False, lemmatizer=False)(
        "One line,\r\nthe same paragraph.\r\n\r\nA new one.\r\n")
    assert [(s.new_paragraph, s.text) for s in document.sentences] == [
        (True, "One line, the same paragraph."), (True, "A new one.")]
    check_document(document)
