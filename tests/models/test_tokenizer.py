"""The character-level tokenizer (rnnlab.models.tokenizer, segmentation, multiword): label
decoding worked out by hand, multiword expansion, a tiny synthetic text learnt to
perfection, saving and loading, and bad input that never crashes."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab import random as rnd
from rnnlab.data.tokenizer_labels import (
    INSIDE,
    LABELS,
    MULTIWORD_END,
    SENTENCE_END,
    TOKEN_END,
    labelled_paragraphs,
)
from rnnlab.data.ud_document import parse_ud
from rnnlab.models import KINDS, open_model_dir
from rnnlab.models.multiword import MultiwordExpander
from rnnlab.models.segmentation import decode, paragraph_spans, to_conllu, tokenize_text
from rnnlab.models.tokenizer import Tokenizer, TokenizerConfig, char_class, windows
from rnnlab.optim import Adam


def one_hot(labels: list[int]) -> np.ndarray:
    return np.eye(len(LABELS), dtype=np.float32)[labels]


# ------------------------------------------------------------------- decoding
def test_paragraphs_are_cut_at_blank_lines():
    text = "  One two.\nthree\n \t \n\nFour\n"
    assert [text[a:b] for a, b in paragraph_spans(text)] == ["One two.\nthree", "Four"]
    assert paragraph_spans("") == [] and paragraph_spans(" \n\t\n") == []


def test_labels_become_tokens_sentences_and_multiword_tokens():
    text = "I don't.Ok"
    labels = [TOKEN_END, INSIDE, INSIDE, INSIDE, INSIDE, INSIDE, MULTIWORD_END, SENTENCE_END,
              INSIDE, INSIDE]
    expander = MultiwordExpander(["don't\tdo\tn't"])
    first, second = decode(text, 0, len(text), one_hot(labels), expander)
    assert [t.form for t in first.tokens] == ["I", "don't", "."]
    assert first.tokens[1].words == ("do", "n't") and first.tokens[1].multiword
    assert [(t.start, t.end, t.space_after) for t in first.tokens] == [
        (0, 1, True), (2, 7, False), (7, 8, False)]
    assert first.new_paragraph and not second.new_paragraph
    assert [t.form for t in second.tokens] == ["Ok"]  # the paragraph's end ends it
    assert first.text == "I don't." and second.text == "Ok"


def test_whitespace_always_separates_tokens():
    text = "ab cd"
    (sentence,) = decode(text, 0, 5, one_hot([INSIDE] * 5), MultiwordExpander())
    assert [t.form for t in sentence.tokens] == ["ab", "cd"]


def test_conllu_output_has_ranges_space_after_and_paragraph_marks():
    text = "I don't.Ok"
    labels = [TOKEN_END, 0, 0, 0, 0, 0, MULTIWORD_END, SENTENCE_END, 0, SENTENCE_END]
    sentences = decode(text, 0, len(text), one_hot(labels),
                       MultiwordExpander(["don't\tdo\tn't"]))
    out = to_conllu(sentences, upos=[["PRON", "AUX", "PART", "PUNCT"], ["INTJ"]])
    assert out.splitlines() == [
        "# newpar", "# sent_id = 1", "# text = I don't.",
        "1\tI\t_\tPRON\t_\t_\t_\t_\t_\t_",
        "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No",
        "2\tdo\t_\tAUX\t_\t_\t_\t_\t_\t_",
        "3\tn't\t_\tPART\t_\t_\t_\t_\t_\t_",
        "4\t.\t_\tPUNCT\t_\t_\t_\t_\t_\tSpaceAfter=No", "",
        "# sent_id = 2", "# text = Ok", "1\tOk\t_\tINTJ\t_\t_\t_\t_\t_\t_", ""]
    assert [len(s.words) for s in parse_ud(out)] == [4, 1]
    with pytest.raises(ValueError, match="sentence 2: 2 UPOS tags for 1 words"):
        to_conllu(sentences, upos=[["A"] * 4, ["A", "B"]])


def test_windows_tile_the_text():
    assert windows(5, 10, 2) == [(0, 5, 0, 5)]
    spans = windows(25, 10, 2)
    assert spans[0] == (0, 8, 0, 6) and spans[-1] == (22, 25, 24, 25)
    assert [k for _, _, a, b in spans for k in range(a, b)] == list(range(25))
    assert all(end - start <= 10 for start, end, _, _ in spans)


def test_character_classes():
    names = ["space", "newline", "upper", "lower", "letter", "digit", "punctuation", "symbol",
             "other"]
    chars = [" ", "\n", "A", "a", "日", "7", ".", "😀", "\x00"]
    assert [char_class(c) for c in chars] == [Tokenizer.class_id(n) for n in names]


# ------------------------------------------------------------------ multiword
def test_multiword_dictionary_casing_and_suffix_rule():
    expander = MultiwordExpander(["don't\tdo\tn't", "Bush's\tBush\t's", "John's\tJohn\t's",
                                  "del\tde\tel", "its\tit\ts"])
    assert expander.expand("don't") == ("do", "n't")
    assert expander.expand("DON'T") == ("DO", "N'T")  # the form cut where the words are
    assert expander.expand("Del") == ("De", "el")  # the words take the capital
    assert expander.expand("Obama's") == ("Obama", "'s")  # 's ends two forms: a rule
    assert expander.expand("cats") == ("cats",)  # "s" ends only one: no rule
    assert expander.expand("xyz") == ("xyz",)
    with pytest.raises(ValueError, match="multiword entry 1 'bad' is not FORM"):
        MultiwordExpander(["bad"])


def test_multiword_dictionary_from_a_treebank_keeps_the_most_frequent_words():
    def sentence(words: str) -> str:
        return ("1-2\tcannot\t_\t_\t_\t_\t_\t_\t_\t_\n"
                + "".join(f"{i}\t{w}\t_\t_\t_\t_\t_\t_\t_\t_\n"
                          for i, w in enumerate(words.split(), start=1)) + "\n")

    treebank = parse_ud(sentence("can not") * 2 + sentence("ca nnot"))
    expander = MultiwordExpander.build(treebank)
    assert expander.entries == ["cannot\tcan\tnot", "cannot\tca\tnnot"]
    assert expander.expand("cannot") == ("can", "not")
    assert expander.usual == ["cannot"] and expander.usually_multiword("CANNOT")


def test_usual_multiword_forms_are_those_split_at_least_half_the_time():
    plain = "1\tits\t_\t_\t_\t_\t_\t_\t_\t_\n\n"
    split = ("1-2\tits\t_\t_\t_\t_\t_\t_\t_\t_\n1\tit\t_\t_\t_\t_\t_\t_\t_\t_\n"
             "2\ts\t_\t_\t_\t_\t_\t_\t_\t_\n\n")
    assert MultiwordExpander.build(parse_ud(plain * 3 + split)).usual == []
    assert MultiwordExpander.build(parse_ud(plain + split)).usual == ["its"]


def test_a_usual_multiword_form_is_split_whatever_the_labels_say():
    expander = MultiwordExpander(["wont\two\tnt"], ["wont"])
    (sentence,) = decode("I wont", 0, 6, one_hot([TOKEN_END, 0, 0, 0, 0, SENTENCE_END]),
                         expander)
    assert sentence.tokens[1].words == ("wo", "nt")


# ------------------------------------------------------------ a learnt model
def synthetic_treebank(rng: np.random.Generator, paragraphs: int) -> str:
    """Paragraphs of 2–3 short sentences with SpaceAfter=No before punctuation and a
    multiword token ``don't``."""
    words = ["the", "cat", "dog", "sat", "ran", "mat", "big"]
    out = []
    for _ in range(paragraphs):
        for k in range(int(rng.integers(2, 4))):
            tokens = [str(rng.choice(words)) for _ in range(int(rng.integers(2, 5)))]
            tokens[0] = tokens[0].capitalize()
            has_mwt = rng.random() < 0.5
            lines, word, text = [], 1, []
            for i, form in enumerate(tokens):
                if has_mwt and i == 1:
                    lines += [f"{word}-{word + 1}\tdon't\t_\t_\t_\t_\t_\t_\t_\t_",
                              f"{word}\tdo\t_\t_\t_\t_\t_\t_\t_\t_",
                              f"{word + 1}\tn't\t_\t_\t_\t_\t_\t_\t_\t_"]
                    word += 2
                    text.append("don't ")
                last = i == len(tokens) - 1
                lines.append(f"{word}\t{form}\t_\t_\t_\t_\t_\t_\t_\t"
                             + ("SpaceAfter=No" if last else "_"))
                word += 1
                text.append(form + ("" if last else " "))
            mark = str(rng.choice([".", "!"]))
            lines.append(f"{word}\t{mark}\t_\t_\t_\t_\t_\t_\t_\t_")
            head = "# newpar\n" if k == 0 else ""
            out.append(f"{head}# text = {''.join(text)}{mark}\n" + "\n".join(lines) + "\n\n")
    return "".join(out)


@pytest.fixture(scope="module")
def learnt() -> tuple[Tokenizer, str, list]:
    rng = np.random.default_rng(0)
    train = parse_ud(synthetic_treebank(rng, 40))
    paragraphs = labelled_paragraphs(train)
    rnd.seed(0)
    config = TokenizerConfig(char_dim=8, class_dim=4, hidden=16, layers=2, dropout=0.0,
                             char_dropout=0.0, min_char_freq=1, window=60, overlap=10)
    model = Tokenizer.build([p.text for p in paragraphs], MultiwordExpander.build(train), config)
    optimizer = Adam(model.parameters(), lr=0.02)
    texts, labels = [p.text for p in paragraphs], [p.labels for p in paragraphs]
    for step in range(120):
        chosen = [(step * 8 + i) % len(texts) for i in range(8)]
        optimizer.zero_grad()
        model.loss(model.encode([texts[i] for i in chosen], [labels[i] for i in chosen])
                   ).backward()
        optimizer.step()
    test = parse_ud(synthetic_treebank(np.random.default_rng(1), 5))
    return model, test


def test_the_model_learns_a_tiny_text_to_perfection(learnt):
    from rnnlab.data.running_text import running_text
    from rnnlab.evaluation import evaluate

    model, gold = learnt
    text = running_text(gold)
    system = parse_ud(to_conllu(tokenize_text(model, text)))
    scores = evaluate(gold, system)
    assert scores["Tokens"].f1 == scores["Sentences"].f1 == scores["Words"].f1 == 1.0
    # the same with the paragraphs' lines broken where the spaces were
    wrapped = running_text(gold, width=20)
    assert evaluate(gold, parse_ud(to_conllu(tokenize_text(model, wrapped))))["Words"].f1 > 0.95


def test_saved_and_loaded_through_the_registry(learnt, tmp_path):
    model, gold = learnt
    model.save(tmp_path / "run" / "model")
    loaded = Tokenizer.load(tmp_path / "run")
    assert isinstance(open_model_dir(tmp_path / "run", kind="tokenizer"), Tokenizer)
    text = "The cat don't sat. Big dog!\n\nA mat."
    assert tokenize_text(loaded, text) == tokenize_text(model, text)
    assert loaded.expander.entries == model.expander.entries == ["don't\tdo\tn't"]
    assert loaded.expander.usual == ["don't"]


# ------------------------------------------------------------------ bad input
@pytest.fixture(scope="module")
def sample() -> Tokenizer:
    model = KINDS["tokenizer"].sample()
    model.config.window, model.config.overlap = 400, 50
    return model


@pytest.mark.parametrize("text", [
    "", " ", "\n\n\t \n", "\x00\x01 a\x7f b\x1b", "Hello мир 世界 مرحبا!", "😀😀 👍🏽 ok\u200d",
    "a\r\nb\r\n\r\nc", "\ufeffBOM\u2028line\u00a0nbsp",
])
def test_bad_input_gives_valid_conllu(sample, text):
    sentences = tokenize_text(sample, text)
    out = to_conllu(sentences)
    parsed = parse_ud(out)
    assert len(parsed) == len(sentences)
    assert "".join(t.form for s in parsed for t in s.tokens) == "".join(text.split())
    for sentence in sentences:
        for token in sentence.tokens:
            assert text[token.start:token.end] == token.form


def test_a_long_paragraph_without_punctuation_is_read_in_windows(sample):
    rng = np.random.default_rng(0)
    text = "".join(rng.choice(list("abcdefgh     ")) for _ in range(100_000))
    sentences = tokenize_text(sample, text)
    assert "".join(t.form for s in sentences for t in s.tokens) == "".join(text.split())
    parse_ud(to_conllu(sentences))


def test_not_a_string_is_a_clear_error(sample):
    with pytest.raises(TypeError, match="tokenize_text needs a string, got a list"):
        tokenize_text(sample, ["a", "b"])
    with pytest.raises(TypeError, match="got a bytes"):
        tokenize_text(sample, b"abc")
