"""The examples of docs/onnx.md run as written (only the file names changed) against models
exported here, and give rnnlab's numbers: a classifier's probabilities, a language model's
logits after the prime and 20 sampled tokens fed back one at a time, the shipped tagger's
tags, and a translator's greedy search."""

from __future__ import annotations

import numpy as np
import pytest
from doc_examples import examples, run_example

import rnnlab
from rnnlab.data.batching import pad_sequences
from rnnlab.data.vocab import Vocab
from rnnlab.export import onnx as onnx_export
from rnnlab.models.classifier import ClassifierConfig, SentenceClassifier
from rnnlab.models.language_model import LanguageModel, LanguageModelConfig, build_vocab

STREAM = "the company said it would sell the unit . the company did not say ."
PRIME = "the company said"  # as in the example


def _examples() -> list[str]:
    return examples("onnx.md", 4)


def _run(code: str) -> tuple[dict, str]:
    return run_example(code, "onnx.md")


def test_the_classify_example(tmp_path):
    rnnlab.seed(0)
    train = [["a", "gripping", "film", "."], ["not", "good", "."], ["beautiful", "film"]]
    vocab = Vocab.build(train)
    config = ClassifierConfig(vocab_size=len(vocab), num_classes=2, embed_dim=4, hidden_size=3,
                              pooling="max")
    model = SentenceClassifier(config, vocab, ["negative", "positive"])
    onnx_export.save(onnx_export.classifier_to_onnx(model), tmp_path / "c.onnx")
    namespace, printed = _run(_examples()[0].replace("sst2.onnx", str(tmp_path / "c.onnx")))
    want = model.predict_proba(namespace["sentences"])  # "," and "it" are unknown words here
    np.testing.assert_allclose(namespace["probabilities"], want, rtol=1e-5, atol=1e-6)
    assert len(printed.splitlines()) == 2 and "gripping" in printed


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_generate_example(tmp_path, cell):
    rnnlab.seed(0)
    vocab = build_vocab(STREAM.split(), "word")
    config = LanguageModelConfig(vocab_size=len(vocab), cell=cell, embedding_dim=5,
                                 hidden_size=5, num_layers=2)
    model = LanguageModel(config, vocab)
    model.eval()
    onnx_export.save(onnx_export.language_model_to_onnx(model), tmp_path / "lm.onnx")
    namespace, printed = _run(_examples()[1].replace("lm.onnx", str(tmp_path / "lm.onnx")))
    generated = namespace["generated"]
    assert len(generated) == 20 and set(generated) <= set(vocab.to_dict()["tokens"])
    assert printed.startswith("the company said ")
    stream = [*PRIME.split(), *generated]  # all fed, one call at a time
    with rnnlab.no_grad():
        logits, _ = model(np.array(vocab.encode(stream))[:, None])
    np.testing.assert_allclose(namespace["logits"], logits.data[-1, 0], rtol=1e-4, atol=1e-5)


def test_the_tag_example(tmp_path):
    from rnnlab.models.tagger import Tagger

    model = Tagger.load()  # the shipped English tagger
    onnx_export.save(onnx_export.tagger_to_onnx(model), tmp_path / "t.onnx")
    namespace, printed = _run(_examples()[2].replace("tagger.onnx", str(tmp_path / "t.onnx")))
    sentences = namespace["sentences"]
    upos, _ = model.predict(sentences)
    want = [" ".join(f"{w}/{tag}" for w, tag in zip(s, tags, strict=True))
            for s, tags in zip(sentences, upos, strict=True)]
    assert printed.splitlines() == want


@pytest.mark.parametrize("cell, attention", [("lstm", True), ("gru", False)])
def test_the_translate_example(tmp_path, cell, attention):
    from rnnlab.decoding.base import max_output_lengths
    from rnnlab.decoding.greedy import greedy_search
    from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig, build_vocabularies

    rnnlab.seed(4)
    pairs = [("ein hund läuft im park .", "a dog runs in the park ."),
             ("zwei männer spielen .", "two men play .")]
    source_vocab, target_vocab = build_vocabularies(pairs, "source", min_freq=1)
    config = Seq2SeqConfig(len(source_vocab), len(target_vocab), embedding_size=4,
                           hidden_size=3, cell=cell, attention=attention)
    model = Seq2Seq(config, source_vocab, target_vocab)
    model.eval()
    encoder, decoder = onnx_export.seq2seq_to_onnx(model)
    onnx_export.save(encoder, tmp_path / "e.onnx")
    onnx_export.save(decoder, tmp_path / "d.onnx")
    code = _examples()[3].replace("de-en.encoder.onnx", str(tmp_path / "e.onnx"))
    namespace, printed = _run(code.replace("de-en.decoder.onnx", str(tmp_path / "d.onnx")))
    sentences = namespace["sentences"]
    ids = [source_vocab.encode([w.lower() for w in s]) for s in sentences]
    source, lengths = pad_sequences(ids, source_vocab.pad_id)
    with rnnlab.no_grad():
        state = model.start_decoding(source, lengths)
        hypotheses = greedy_search(model, state, max_output_lengths(lengths))
    want = [target_vocab.decode(h.tokens) for h in hypotheses]
    assert namespace["translations"] == want
    assert printed.splitlines() == [" ".join(words) for words in want]
