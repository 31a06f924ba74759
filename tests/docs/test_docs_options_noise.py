"""The recurrent-regulariser example of docs/options.md (the page's last ```python block)
runs as written and prints what the page says: a passing train-mode gradient check with the
masks fixed by a seed, and deterministic evaluation."""

from __future__ import annotations

from doc_examples import examples, run_example

PAGE = "options.md"
OPTIONS_EXAMPLES = 3  # python blocks on the page; the regularisers' is the last


def test_train_mode_gradcheck_and_deterministic_eval():
    namespace, printed = run_example(examples(PAGE, OPTIONS_EXAMPLES)[-1], PAGE)
    errors = namespace["errors"]
    assert len(errors) == 1 + 2 * 2 * 4 and max(errors.values()) < 1e-6
    checked, agree = printed.splitlines()
    assert checked.startswith("17 tensors checked in train mode, largest relative error")
    assert agree == "eval calls agree: True"
