"""The tokenizer's array paths give what a loop over the characters gives."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.models import open_model_dir
from rnnlab.models.segmentation import space_mask
from rnnlab.pipeline.pipeline import SHIPPED_TOKENIZER

TEXTS = ["", "a", "Hello wörld!\n\n\tx", "\x00\x07\x1b[31m\x0c\x0b\u2028\x85\u200b",
         "Москва 莫斯科 مرحبا 😀👍🏽 👨\u200d👩\u200d👧 🇬🇧", "\ud800 lone surrogate"]


@pytest.mark.parametrize("text", TEXTS)
def test_space_mask_is_str_isspace(text):
    assert space_mask(text).tolist() == [c.isspace() for c in text]


def test_char_ids_look_up_every_character():
    model = open_model_dir(SHIPPED_TOKENIZER, kind="tokenizer")
    for text in TEXTS:
        ids, classes = model.char_ids(text)
        assert ids.dtype == classes.dtype == np.int64
        assert ids.tolist() == [model.chars.token_to_id(c) for c in text]
        assert classes.tolist() == [model._classes[c] for c in text]
