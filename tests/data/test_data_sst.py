from pathlib import Path

import pytest

from rnnlab.data import DataFormatError, map_label, parse_sst_tree, read_sst, read_sst_trees

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "data"
SAMPLE = FIXTURES / "sst_sample.txt"


def test_parse_tree_labels_and_tokens():
    tree = parse_sst_tree("(3 (2 It) (4 (3 (2 's) (4 (3 a) (4 gem))) (2 .)))")
    assert tree.label == 3
    assert tree.leaves() == ["It", "'s", "a", "gem", "."]
    assert [n.label for n in tree.nodes()] == [3, 2, 4, 3, 2, 4, 3, 4, 2]
    assert [n.word for n in tree.nodes() if n.is_leaf] == tree.leaves()
    assert tree.children[1].leaves() == ["'s", "a", "gem", "."]


def test_brackets_are_unescaped():
    trees = read_sst_trees(SAMPLE)
    assert trees[1].leaves() == ["(", "The", "plot", ")", "drags"]


def test_fine_mode_uses_root_labels():
    examples = read_sst(SAMPLE)
    assert [e.label for e in examples] == [3, 1, 2]
    assert examples[0].tokens == ["It", "'s", "a", "gem", "."]


def test_binary_mode_drops_neutral_and_maps_labels():
    assert [map_label(label, "binary") for label in range(5)] == [0, 0, None, 1, 1]
    assert [map_label(label, "fine") for label in range(5)] == [0, 1, 2, 3, 4]
    examples = read_sst(SAMPLE, mode="binary")
    assert [(e.tokens[0], e.label) for e in examples] == [("It", 1), ("(", 0)]
    with pytest.raises(ValueError):
        map_label(1, "ternary")


def test_phrases_give_every_labelled_node():
    fine = read_sst(SAMPLE, phrases=True)
    assert len(fine) == 9 + 9 + 5
    assert fine[0].tokens == ["It", "'s", "a", "gem", "."]
    assert (fine[1].tokens, fine[1].label) == (["It"], 2)
    assert (fine[2].tokens, fine[2].label) == (["'s", "a", "gem", "."], 4)
    binary = read_sst(SAMPLE, mode="binary", phrases=True)
    # tree 1: labels 3,4,3,4,3,4 kept; tree 2: 1,1,1,0,1 kept; tree 3: all neutral
    assert [e.label for e in binary] == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    assert (binary[6].tokens, binary[9].tokens) == (["(", "The", "plot", ")", "drags"], ["plot"])


def test_words_may_contain_non_ascii_spaces():
    tree = parse_sst_tree("(2 (2 8\u00a01\\/2) (2 .))")
    assert tree.leaves() == ["8\u00a01/2", "."]


@pytest.mark.parametrize(
    ("tree", "reason"),
    [
        ("(3 (2 It) (4 gem)", "missing ')'"),
        ("(3 (2 It)) (2 x)", "after the end of the tree"),
        ("(7 (2 It))", "invalid label '7'"),
        ("(x (2 It))", "invalid label 'x'"),
        ("(3 (2 It again))", "expected ')' after the word 'It'"),
        ("(3)", "neither a word nor children"),
        ("2 It", "expected '('"),
    ],
)
def test_malformed_trees_raise_with_file_and_line(tmp_path, tree, reason):
    path = tmp_path / "trees.txt"
    path.write_text("(2 (2 ok) (2 .))\n\n" + tree + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        read_sst_trees(path)
    assert str(info.value).startswith(f"{path}:3: malformed tree")
    assert reason in str(info.value)


def test_backslash_escapes_are_undone():
    from rnnlab.data.sst import parse_sst_tree

    tree = parse_sst_tree(r"(2 (2 9\/11) (2 (2 and\/or) (2 a\*b)))")
    assert tree.leaves() == ["9/11", "and/or", "a*b"]
