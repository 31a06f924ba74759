"""The character-level word encoder and the tagging metrics."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.engine.tensor import Tensor
from rnnlab.models.tagger_metrics import accuracy, tag_report
from rnnlab.nn.char_encoder import CharEncoder, char_id_matrix, clip_word


def test_clip_word_keeps_prefix_and_suffix():
    assert clip_word("cats", 20) == "cats"
    assert clip_word("abcdefghij", 5) == "abcij"
    assert clip_word("https://example.com/very/long/path", 10) == "https/path"


def test_char_id_matrix_is_time_major_and_padded():
    ids, lengths = char_id_matrix(["ab", "c", "abcdef"], lambda ch: ord(ch) - 96, max_chars=4)
    assert lengths.tolist() == [2, 1, 4]
    assert ids.shape == (4, 3)
    assert ids[:, 0].tolist() == [1, 2, 0, 0]
    assert ids[:, 2].tolist() == [1, 2, 5, 6]  # "ab" + "ef"
    with pytest.raises(ValueError, match="empty word"):
        char_id_matrix(["ok", ""], lambda ch: 1, max_chars=4)


def test_word_vectors_do_not_depend_on_batch_companions():
    rng = np.random.default_rng(0)
    encoder = CharEncoder(30, 5, 7, rng=rng).double()
    alone_ids, alone_len = char_id_matrix(["cat"], lambda c: ord(c) - 96, 10)
    many_ids, many_len = char_id_matrix(["elephants", "cat", "a"], lambda c: ord(c) - 96, 10)
    alone = encoder(alone_ids, alone_len).data
    many = encoder(many_ids, many_len).data
    assert many.shape == (3, 14)
    np.testing.assert_allclose(many[1], alone[0], rtol=1e-12)


@pytest.mark.parametrize("group", [2, 1024])
def test_form_vectors_are_the_encoder_on_each_form(group):
    """Forms encoded longest first in groups give each form the row the encoder gives it
    among any companions (in the forms' own order)."""
    encoder = CharEncoder(30, 5, 7, rng=np.random.default_rng(0)).double()
    forms = ["cat", "elephants", "a", "dogs", "averyveryverylongword", "b"]
    to_id = lambda c: ord(c) - 96  # noqa: E731
    vectors = encoder.form_vectors(forms, to_id, max_chars=10, group=group)
    assert vectors.shape == (6, 14)
    together = encoder(*char_id_matrix(forms, to_id, 10)).data
    np.testing.assert_allclose(vectors, together, rtol=1e-12)


def test_forward_and_backward_halves_read_suffix_and_prefix():
    rng = np.random.default_rng(1)
    encoder = CharEncoder(30, 5, 7, rng=rng).double()
    to_id = lambda c: ord(c) - 96  # noqa: E731
    ids, lengths = char_id_matrix(["walked", "talked", "walker"], to_id, 10)
    vectors = encoder(ids, lengths).data
    # the forward half differs whenever any character differs; the backward half ends at the
    # first character, so "walked" and "walker" differ in it too, through the suffix
    assert not np.allclose(vectors[0, :7], vectors[1, :7])
    assert not np.allclose(vectors[0, 7:], vectors[2, 7:])
    # a gradient reaches the character embeddings
    out = encoder(ids, lengths)
    (out * Tensor(rng.standard_normal(out.shape))).sum().backward()
    grad = encoder.embedding.weight.grad
    assert np.abs(grad[[to_id(c) for c in "walkedtr"]]).sum() > 0 and np.all(grad[0] == 0)


def test_tag_report_counts():
    gold = [["DET", "NOUN", "VERB"], ["NOUN", "_"]]
    predicted = [["DET", "VERB", "VERB"], ["NOUN", "ADJ"]]
    report = tag_report(gold, predicted)
    assert report["accuracy"] == pytest.approx(3 / 4)  # the "_" word is not scored
    assert report["per_tag"]["NOUN"] == {"precision": 1.0, "recall": 0.5,
                                         "f1": pytest.approx(2 / 3), "support": 2}
    assert report["per_tag"]["VERB"]["precision"] == 0.5
    assert report["confusions"] == [{"gold": "NOUN", "predicted": "VERB", "count": 1}]
    assert accuracy(gold, predicted) == report["accuracy"]
    with pytest.raises(ValueError, match="sentence 1"):
        accuracy(gold, [["DET", "NOUN", "VERB"], ["NOUN"]])


def test_char_id_matrix_spells_every_character_of_any_script():
    """All characters are looked up at once (code points through UTF-32); the matrix is the
    one spelt character by character."""
    table = {c: i + 2 for i, c in enumerate("aéßж中😀")}
    lookup = lambda c: table.get(c, 1)  # noqa: E731  (1: unknown)
    words = ["a", "éß", "жx中", "😀😀a", "\ud800", "zzzzzzzzzzzzq"]
    ids, lengths = char_id_matrix(words, lookup, max_chars=6, pad_id=0)
    clipped = [clip_word(w, 6) for w in words]
    assert lengths.tolist() == [len(w) for w in clipped]
    expected = np.zeros((6, len(words)), np.int64)
    for column, word in enumerate(clipped):
        expected[: len(word), column] = [lookup(c) for c in word]
    np.testing.assert_array_equal(ids, expected)
