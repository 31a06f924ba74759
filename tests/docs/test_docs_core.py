"""The examples of docs/core.md run as written and print what the page says they show:
gradients that reach back through time, a passing finite-difference check of a deep
bidirectional LSTM over a padded batch, a user-written Function checked right and caught
wrong, and PyTorch's GRU reproduced from its state_dict."""

from __future__ import annotations

import re

from doc_examples import examples, run_example


def _examples() -> list[str]:
    return examples("core.md", 4)


def _run(code: str) -> tuple[dict, str]:
    return run_example(code, "core.md")


def test_gradients_reach_back_through_time():
    namespace, printed = _run(_examples()[0])
    per_step = namespace["per_step"]
    assert per_step.shape == (30,) and (per_step > 0).all()
    assert (per_step[[0, 10, 20]] < per_step[[10, 20, 29]] / 10).all()  # fading, as the page says
    assert printed.startswith("‖∂L/∂x(t)‖₁ for t = 0, 10, 20, 29:")


def test_the_lstm_gradient_check_passes():
    namespace, printed = _run(_examples()[1])
    errors = namespace["errors"]
    assert len(errors) == 1 + 2 * 2 * 4  # x, and 4 tensors per layer and direction
    assert max(errors.values()) < 1e-6
    assert printed.startswith("17 tensors checked, largest relative error")


def test_an_own_function_is_checked_and_a_wrong_one_caught():
    _, printed = _run(_examples()[2])
    right, wrong = printed.splitlines()
    assert right.startswith("right: {'W': ") and "'U': " in right
    assert wrong.startswith("wrong: relative gradient error ≥ 1e-06: {'W': ")
    caught = [float(v) for v in re.findall(r"'[WU]': ([0-9.e-]+)", wrong)]
    assert len(caught) == 2 and min(caught) > 0.1  # off by order 1, as the page says


def test_pytorch_gives_the_same_numbers():
    namespace, printed = _run(_examples()[3])
    difference = float(printed.split("largest difference:")[1])
    assert difference < 1e-5
