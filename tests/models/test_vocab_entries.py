"""Input vocabularies whose entries no input can ever match are damaged and refused on
load, naming the file and the entry: an empty entry, one with a line break, a word with
whitespace where the readers split at whitespace, several characters in a character
vocabulary. A CoNLL-U word form may hold a space (some treebanks have them), so the
tagger's word vocabulary keeps accepting one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnlab.models import KINDS, open_model_dir

# (kind, file, kind of entries)
INPUT_VOCABULARIES = [
    ("pos_tagger", "words.json", "form"), ("pos_tagger", "chars.json", "char"),
    ("language_model", "vocab.json", "level"), ("conditional_generator", "vocab.json", "level"),
    ("seq2seq", "source_vocab.json", "token"), ("tokenizer", "chars.json", "char"),
]
BAD = {"empty": "", "newline": "A\nB", "tab": "A\tB", "space": "BAD TAG",
       "two characters": "ab"}


def _with_last_entry(tmp_path: Path, kind: str, name: str, entry: str) -> Path:
    folder = KINDS[kind].sample().save(tmp_path / kind)
    path = folder / name
    saved = json.loads(path.read_text())
    specials = {saved.get(key) for key in ("pad", "unk", "bos", "eos")}
    last = max(i for i, token in enumerate(saved["tokens"]) if token not in specials)
    saved["tokens"][last] = entry
    path.write_text(json.dumps(saved))
    return folder


def _level(kind: str) -> str:
    return getattr(KINDS[kind].sample().config, "level", "word")


@pytest.mark.parametrize(("kind", "name", "entries"), INPUT_VOCABULARIES)
@pytest.mark.parametrize("bad", sorted(BAD))
def test_an_entry_no_input_can_match_is_refused(tmp_path, kind, name, entries, bad):
    if entries == "level":
        entries = "char" if _level(kind) == "char" else "token"
    accepted = {"form": {"space", "two characters"}, "token": {"two characters"},
                "char": set()}[entries]
    folder = _with_last_entry(tmp_path, kind, name, BAD[bad])
    if bad in accepted:
        open_model_dir(folder)
        return
    with pytest.raises(ValueError, match="no input can ever match it") as error:
        open_model_dir(folder)
    message = str(error.value)
    assert str(folder / name) in message and "\n" not in message


def test_the_classifiers_word_and_character_vocabularies(tmp_path):
    from rnnlab.models import save_model_dir

    model = KINDS["sentence_classifier"].sample()
    folder = save_model_dir(model, tmp_path / "c")
    saved = json.loads((folder / "vocab.json").read_text())
    saved["tokens"][-1] = "two words"
    (folder / "vocab.json").write_text(json.dumps(saved))
    with pytest.raises(ValueError, match=r"vocab\.json: entry .* holds whitespace"):
        open_model_dir(folder)


def test_special_entries_are_not_held_to_it(tmp_path):
    folder = KINDS["pos_tagger"].sample().save(tmp_path / "t")
    chars = json.loads((folder / "chars.json").read_text())
    assert len(chars["pad"]) > 1 and len(chars["unk"]) > 1  # "<pad>", "<unk>"
    open_model_dir(folder)
