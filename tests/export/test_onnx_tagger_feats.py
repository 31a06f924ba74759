"""The ONNX export of a tagger with a FEATS head gives its FEATS ids and scores."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import onnxruntime as ort

import rnnlab
from rnnlab.export import onnx as onnx_export
from rnnlab.models import Tagger, TaggerConfig


def test_feats_head_is_exported():
    rnnlab.seed(3)
    rows = [("The cats sat .", "DET NOUN VERB PUNCT", "DT NNS VBD .",
             "Definite=Def|PronType=Art Number=Plur Mood=Ind|Tense=Past _"),
            ("A dog barked", "DET NOUN VERB", "DT NN VBD",
             "Definite=Ind|PronType=Art Number=Sing Mood=Ind|Tense=Past")]
    sentences = [SimpleNamespace(words=w.split(), upos=u.split(), xpos=x.split(),
                                 feats=f.split()) for w, u, x, f in rows]
    model = Tagger.build(sentences, TaggerConfig(word_dim=5, char_dim=4, char_hidden=3,
                                                 hidden=4, min_word_freq=1, feats=True))
    model.eval()
    words = [["The", "dog", "sat", "."], ["Unseen", "cats"]]
    batch = model.encode(words)
    onnx_model = onnx_export.tagger_to_onnx(model)
    names = [o.name for o in onnx_model.graph.output]
    assert names[-2:] == ["feats", "feats_scores"]
    session = ort.InferenceSession(onnx_model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    got = dict(zip(names, session.run(names, {
        "word_ids": batch.ids, "lengths": batch.lengths, "char_ids": batch.chars.char_ids,
        "char_lengths": batch.chars.char_lengths, "form_index": batch.chars.form_index}),
        strict=True))
    with rnnlab.no_grad():
        want = model.head_scores(batch).feats.data
    np.testing.assert_allclose(got["feats_scores"], want, rtol=1e-5, atol=1e-5)
    feats = model.predict_tags(words).feats
    for row, tags in enumerate(feats):
        assert model.feats_vocab.decode(got["feats"][: len(tags), row]) == tags
    metadata = {p.key: p.value for p in onnx_model.metadata_props}
    assert json.loads(metadata["rnnlab.feats"]) == model.feats_vocab.to_dict()
