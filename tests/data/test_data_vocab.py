import json

import pytest

from rnnlab.data import EOS, PAD, UNK, Vocab

SENTENCES = [["b", "a", "c"], ["a", "c"], ["a", "d"], ["e"]]


def test_build_orders_specials_then_frequency_then_token():
    vocab = Vocab.build(SENTENCES)
    # counts: a=3, c=2, b=d=e=1 (ties broken alphabetically)
    assert vocab.tokens == [PAD, UNK, "a", "c", "b", "d", "e"]
    assert vocab.pad_id == 0
    assert vocab.unk_id == 1
    assert len(vocab) == 7


def test_build_does_not_depend_on_data_order():
    assert Vocab.build(SENTENCES) == Vocab.build(list(reversed(SENTENCES)))


def test_min_freq_and_max_size():
    assert Vocab.build(SENTENCES, min_freq=2).tokens == [PAD, UNK, "a", "c"]
    # max_size counts the special tokens
    assert Vocab.build(SENTENCES, max_size=3).tokens == [PAD, UNK, "a"]
    with pytest.raises(ValueError):
        Vocab.build(SENTENCES, max_size=1)


def test_bos_eos_specials_and_encode_decode():
    vocab = Vocab.build(SENTENCES, bos="<bos>", eos=EOS)
    assert vocab.tokens[:4] == [PAD, UNK, "<bos>", EOS]
    ids = vocab.encode(["a", "zzz", "c"], add_bos=True, add_eos=True)
    assert ids == [vocab.bos_id, vocab.token_to_id("a"), vocab.unk_id, 5, vocab.eos_id]
    assert vocab.decode(ids) == ["<bos>", "a", UNK, "c", EOS]
    assert vocab.decode(ids, skip_specials=True) == ["a", "c"]


def test_special_tokens_in_data_are_not_duplicated():
    vocab = Vocab.build([["x", UNK, EOS, UNK]], eos=EOS)
    assert vocab.tokens == [PAD, UNK, EOS, "x"]


def test_vocab_without_unk_or_pad():
    labels = Vocab.build([["pos"], ["neg"], ["pos"]], pad=None, unk=None)
    assert labels.tokens == ["pos", "neg"]
    assert labels.encode(["neg", "pos"]) == [1, 0]
    with pytest.raises(KeyError):
        labels.encode(["neutral"])
    with pytest.raises(AttributeError):
        _ = labels.pad_id


def test_char_vocab_from_strings():
    vocab = Vocab.build(["abba", "cab"])
    assert vocab.tokens == [PAD, UNK, "a", "b", "c"]
    assert vocab.decode(vocab.encode("cab")) == ["c", "a", "b"]


def test_dict_round_trip_is_json_serialisable(tmp_path):
    vocab = Vocab.build(SENTENCES, eos=EOS)
    restored = Vocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert restored == vocab
    assert restored.eos_id == vocab.eos_id
    path = tmp_path / "vocab.json"
    vocab.save(path)
    assert Vocab.load(path) == vocab


def test_invalid_vocabularies_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        Vocab(["<pad>", "<unk>", "a", "a"])
    with pytest.raises(ValueError, match="id 0"):
        Vocab(["<unk>", "<pad>"])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        Vocab(["<pad>", "a"])
    with pytest.raises(ValueError):
        Vocab.from_dict({"tokens": "abc"})
    with pytest.raises(IndexError):
        Vocab.build(SENTENCES).decode([99])
