"""The encoder–decoder: gradients, padding invariance, decoding consistency, save/load, and a
model that must learn to reverse random sequences perfectly."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import rnnlab
from rnnlab.data.batching import pad_sequences
from rnnlab.data.vocab import Vocab
from rnnlab.decoding import beam_search, greedy_search
from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig, build_vocabularies, make_batch
from rnnlab.optim import Adam, clip_grad_norm

PAIRS = [
    ("Ein Mann läuft im Park.", "A man runs in the park."),
    ("Eine Frau schläft.", "A woman sleeps."),
    ("Ein Hund spielt am Strand mit einem Ball.", "A dog plays with a ball on the beach."),
    ("Zwei Kinder springen.", "Two children jump."),
]


def _model(cell="lstm", attention=True, layers=1, dtype=np.float32, seed=0, **sizes):
    source_vocab, target_vocab = build_vocabularies(PAIRS, "source", min_freq=1)
    config = Seq2SeqConfig(
        len(source_vocab), len(target_vocab), cell=cell, attention=attention,
        num_layers=layers, dropout=0.0,
        **{"embedding_size": 8, "hidden_size": 6, "decoder_hidden_size": 10, **sizes},
    )
    model = Seq2Seq(config, source_vocab, target_vocab, dtype=dtype,
                    rng=np.random.default_rng(seed))
    return model.eval()


def _batch(model, pairs=PAIRS):
    examples = [model.encode_pair(s, t) for s, t in pairs]
    return make_batch(examples, model.bos_id, model.eos_id)


@pytest.mark.parametrize(
    ("cell", "attention", "layers"),
    [("lstm", True, 2), ("lstm", False, 1), ("gru", True, 1), ("rnn", True, 2)],
)
def test_loss_gradients_match_finite_differences_in_float64(cell, attention, layers,
                                                            spot_gradcheck):
    model = _model(cell, attention, layers, dtype=np.float64, embedding_size=3, hidden_size=3,
                   decoder_hidden_size=4)
    batch = _batch(model)
    spot_gradcheck(lambda: model.loss(batch), dict(model.named_parameters()), count=4,
                   seed=1)


@pytest.mark.parametrize("beam", [1, 3])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_source_padding_never_changes_a_translation(cell, beam):
    model = _model(cell, seed=2)
    sentence = PAIRS[1][0]
    alone = model.translate([sentence], beam_size=beam)[0]
    in_batch = model.translate([PAIRS[2][0], sentence, PAIRS[0][0]], beam_size=beam)[1]
    assert alone.tokens == in_batch.tokens
    assert alone.score == pytest.approx(in_batch.score, abs=1e-5)
    np.testing.assert_allclose(alone.attention, in_batch.attention, atol=1e-6)

    # the same through the decoding API, with extra padding columns and garbage ids there
    ids = model.source_vocab.encode(model.source_vocab.tokens[2:6])
    source, lengths = pad_sequences([ids, ids[:2], ids + ids], 0)
    padded = np.concatenate([source, np.full((3, 4), 5)], axis=1)
    short = greedy_search(model, model.start_decoding(source[1:2, :2], lengths[1:2]), [8])[0]
    batched = greedy_search(model, model.start_decoding(padded, lengths), [8, 8, 8])[1]
    assert short.tokens == batched.tokens
    assert short.score == pytest.approx(batched.score, abs=1e-5)


def test_beam_of_one_is_greedy_and_scores_match_teacher_forcing():
    model = _model(seed=3)
    model.output.bias.data[model.eos_id] += 3.0  # so that some outputs end before the limit
    batch = _batch(model)
    limits = np.full(len(PAIRS), 12)
    state = model.start_decoding(batch.source.ids.T, batch.source.lengths)
    greedy = greedy_search(model, state, limits)
    beam1 = beam_search(model, state, limits, beam_size=1)
    beam4 = beam_search(model, state, limits, beam_size=4, length_penalty=0.0)
    for g, b in zip(greedy, beam1, strict=True):
        assert g.tokens == b.tokens and g.score == pytest.approx(b.score, abs=1e-6)

    # an output that ended with <eos> scores what teacher forcing gives for it
    ended = [(i, h) for i, h in enumerate(beam4) if h.length == len(h.tokens) + 1]
    assert ended
    examples = [(list(batch.source.ids[: batch.source.lengths[i], i]), h.tokens)
                for i, h in ended]
    forced = model.sentence_scores(make_batch(examples, model.bos_id, model.eos_id))
    np.testing.assert_allclose(forced, [h.score for _, h in ended], atol=1e-4)


def test_save_and_load_give_the_same_translations(tmp_path):
    model = _model(seed=4)
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json", "source_vocab.json", "target_vocab.json", "weights.safetensors",
    ]
    loaded = Seq2Seq.load(tmp_path / "m")
    sentences = [s for s, _ in PAIRS]
    assert [t.text for t in loaded.translate(sentences)] == [
        t.text for t in model.translate(sentences)
    ]
    with pytest.raises(FileNotFoundError):
        Seq2Seq.load(tmp_path / "missing")


def test_unknown_outputs_copy_the_attended_source_word_and_empty_lines_stay_empty():
    model = _model(seed=5)
    unk = model.target_vocab.unk_id
    model.output.bias.data[:] = -30.0
    model.output.bias.data[unk] = 30.0  # always <unk> ...
    model.output.bias.data[model.eos_id] = 29.0  # ... until <eos> wins over a short source
    [copied, empty] = model.translate(["Anna", ""], beam_size=2, max_length_extra=0)
    assert copied.tokens == ["Anna"] and copied.text == "Anna"
    assert empty.text == "" and empty.tokens == []
    kept = model.translate(["Anna"], beam_size=2, max_length_extra=0, replace_unk=False)[0]
    assert kept.tokens == ["<unk>"]
    np.testing.assert_allclose(copied.attention.sum(axis=1), 1.0, rtol=1e-5)


def test_the_no_attention_variant_decodes_without_attention_weights():
    model = _model(attention=False, seed=6)
    assert not any("attention" in name for name, _ in model.named_parameters())
    translation = model.translate([PAIRS[0][0]], beam_size=3)[0]
    assert translation.attention is None


def test_learns_to_reverse_random_sequences_perfectly():
    """Attention lets output step t look straight at source position |x| − t."""
    rnnlab.seed(2)
    symbols = [str(i) for i in range(10)]
    source_vocab = Vocab(["<pad>", "<unk>", *symbols])
    target_vocab = Vocab(["<pad>", "<unk>", "<bos>", "<eos>", *symbols], bos="<bos>",
                         eos="<eos>")
    config = Seq2SeqConfig(len(source_vocab), len(target_vocab), embedding_size=32,
                           hidden_size=64, dropout=0.0)
    model = Seq2Seq(config, source_vocab, target_vocab)
    rng = np.random.default_rng(2)

    def sample(n):  # 3 to 8 distinct symbols in random order
        sequences = [rng.choice(10, rng.integers(3, 9), replace=False) for _ in range(n)]
        return [([int(x) + 2 for x in s], [int(x) + 4 for x in s[::-1]]) for s in sequences]

    steps = 300
    optimizer = Adam(model.parameters(), lr=5e-3)
    with threadpool_limits(1):  # one BLAS thread is far faster for these small products
        for step in range(steps):
            optimizer.lr = 5e-3 if step < 0.7 * steps else 5e-4
            optimizer.zero_grad()
            model.loss(make_batch(sample(64), model.bos_id, model.eos_id)).backward()
            clip_grad_norm(model.parameters(), 5.0)
            optimizer.step()
        model.eval()
        test = sample(200)
        source, lengths = pad_sequences([s for s, _ in test], 0)
        outputs = greedy_search(model, model.start_decoding(source, lengths), lengths + 3)
    assert [h.tokens for h in outputs] == [t for _, t in test]
