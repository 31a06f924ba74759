"""The CoNLL 2018 metrics on small cases worked out by hand: identical files, disagreeing
tokenisation, disagreeing sentence boundaries, multiword tokens whose words differ, the
attribute metrics on aligned words, and the text-mismatch error."""

from __future__ import annotations

import pytest

from rnnlab.data.ud_document import parse_ud
from rnnlab.evaluation import METRICS, TextMismatchError, evaluate, format_table


def conllu(*sentences: list[str]) -> str:
    """CoNLL-U of sentences given as tokens: ``"form"``, ``"form/UPOS/lemma/feats"`` or a
    multiword token ``"don't~do+n't"`` (words may carry ``/UPOS`` too)."""
    out = []
    for tokens in sentences:
        word = 1
        for token in tokens:
            form, _, words = token.partition("~")
            if words:
                parts = words.split("+")
                out.append(f"{word}-{word + len(parts) - 1}\t{form}\t_\t_\t_\t_\t_\t_\t_\t_")
            else:
                parts = [form]
            for part in parts:
                f, upos, lemma, feats = (part.split("/") + ["_", "_", "_"])[:4]
                out.append(f"{word}\t{f}\t{lemma}\t{upos}\t_\t{feats}\t_\t_\t_\t_")
                word += 1
        out.append("")
    return "\n".join(out) + "\n"


def scores(gold: str, system: str) -> dict[str, tuple[int, int, int]]:
    result = evaluate(parse_ud(gold), parse_ud(system))
    return {name: (s.correct, s.gold, s.system) for name, s in result.items()}


def test_identical_files_score_one_everywhere():
    text = conllu(["The/DET/the", "cats/NOUN/cat/Number=Plur", "can't~ca/AUX+n't/PART"],
                  ["Run/VERB/run", "!/PUNCT/!"])
    result = evaluate(parse_ud(text), parse_ud(text))
    assert set(result) == set(METRICS)
    for score in result.values():
        assert score.precision == score.recall == score.f1 == 1.0
    assert (result["Tokens"].gold, result["Words"].gold, result["Sentences"].gold) == (5, 6, 2)


def test_disagreeing_tokenisation():
    # gold: New York | is | big .   system: New | York | is | big | .
    gold = conllu(["NewYork", "is", "big."])
    system = conllu(["New", "York", "is", "big", "."])
    got = scores(gold, system)
    assert got["Tokens"] == (1, 3, 5)  # only "is" has the same span
    assert got["Words"] == (1, 3, 5)
    result = evaluate(parse_ud(gold), parse_ud(system))
    assert result["Tokens"].precision == pytest.approx(1 / 5)
    assert result["Tokens"].recall == pytest.approx(1 / 3)
    assert result["Tokens"].f1 == pytest.approx(2 / 8)


def test_disagreeing_sentence_boundaries():
    # gold: [a b c] [d e] [f]   system: [a b] [c d e] [f]
    gold = conllu(["a", "b", "c"], ["d", "e"], ["f"])
    system = conllu(["a", "b"], ["c", "d", "e"], ["f"])
    got = scores(gold, system)
    assert got["Sentences"] == (1, 3, 3)  # only [f] starts and ends together
    assert got["Tokens"] == (6, 6, 6)
    assert got["Words"] == (6, 6, 6)


def test_multiword_token_against_two_plain_tokens():
    # gold: don't = do + n't (one token, two words); system: two tokens "do" "n't"
    gold = conllu(["I", "don't~do+n't", "know"])
    system = conllu(["I", "do", "n't", "know"])
    got = scores(gold, system)
    assert got["Tokens"] == (2, 3, 4)  # "I", "know"
    assert got["Words"] == (4, 4, 4)  # do, n't aligned by LCS inside the token's span


def test_multiword_tokens_with_words_that_differ():
    # del = de + el in gold; the system splits it into de + l: only "de" aligns
    gold = conllu(["del~de/ADP+el/DET", "mar/NOUN"])
    system = conllu(["del~de/ADP+l/DET", "mar/NOUN"])
    got = scores(gold, system)
    assert got["Tokens"] == (2, 2, 2)
    assert got["Words"] == (2, 3, 3)
    assert got["UPOS"] == (2, 3, 3)
    # a system that does not split it: one word "del" against de + el, no LCS match
    unsplit = scores(gold, conllu(["del/ADP", "mar/NOUN"]))
    assert unsplit["Tokens"] == (2, 2, 2)
    assert unsplit["Words"] == (1, 3, 2)


def test_multiword_span_grows_over_overlapping_tokens():
    # gold "abc" = a+b+c and "de" = d+e; system a | "bcd" = b+c+d | e: one span a..e,
    # every word aligned by LCS (the shared task's own worked case)
    gold = conllu(["abc~a+b+c", "de~d+e"])
    system = conllu(["a", "bcd~b+c+d", "e"])
    assert scores(gold, system)["Words"] == (5, 5, 5)
    # case-insensitive forms; words whose forms differ stay unaligned
    gold = conllu(["abc~a+BX+c", "def~d+EX+f"])
    system = conllu(["ab~a+b", "cd~c+d", "ef~e+f"])
    assert scores(gold, system)["Words"] == (4, 6, 6)


def test_attributes_are_scored_on_aligned_words():
    gold = conllu(["Dogs/NOUN/dog/Number=Plur", "bark/VERB/bark/Mood=Ind|Typo=Yes"])
    system = conllu(["Dogs/NOUN/dogs/Number=Plur", "bark/NOUN/bark/Mood=Ind"])
    got = scores(gold, system)
    assert got["UPOS"] == (1, 2, 2)
    assert got["Lemmas"] == (1, 2, 2)
    assert got["UFeats"] == (2, 2, 2)  # Typo is not a universal feature: not compared
    assert got["AllTags"] == (1, 2, 2)
    result = evaluate(parse_ud(gold), parse_ud(system))
    assert result["UPOS"].aligned == 2 and result["UPOS"].aligned_accuracy == 0.5
    assert result["Words"].aligned_accuracy is None


def test_a_gold_lemma_underscore_accepts_any_lemma():
    assert scores(conllu(["x/X/_"]), conllu(["x/X/whatever"]))["Lemmas"] == (1, 1, 1)


def test_unaligned_words_count_against_precision_and_recall():
    gold = conllu(["NewYork/PROPN"])
    system = conllu(["New/PROPN", "York/PROPN"])
    result = evaluate(parse_ud(gold), parse_ud(system))
    assert (result["UPOS"].correct, result["UPOS"].aligned) == (0, 0)
    assert result["UPOS"].aligned_accuracy == 0.0 and result["UPOS"].f1 == 0.0


def test_whitespace_inside_forms_is_set_aside():
    gold = conllu(["New York", "!"]).replace("New York", "New\u00a0York")
    system = conllu(["NewYork", "!"])
    assert scores(gold, system)["Tokens"] == (2, 2, 2)


def test_a_different_text_is_a_clear_error():
    gold = conllu(["The", "cat"], ["sat", "."])
    system = conllu(["The", "cat"], ["sits", "."])
    with pytest.raises(TextMismatchError, match=r"the text differs.*character 8.*line 4.*"
                                                r"gold 'at\.'.*system 'its\.'"):
        evaluate(parse_ud(gold), parse_ud(system))
    with pytest.raises(TextMismatchError, match="the text differs"):
        evaluate(parse_ud(gold), parse_ud(conllu(["The", "cat"])))


def test_the_table_lists_every_metric():
    text = conllu(["a/X"])
    table = format_table(evaluate(parse_ud(text), parse_ud(text)))
    lines = table.splitlines()
    assert lines[0].startswith("Metric") and len(lines) == 2 + len(METRICS)
    assert lines[2] == "Tokens     |    100.00 |    100.00 |    100.00 |"
    assert lines[5].endswith("|    100.00")  # UPOS shows the aligned accuracy
