"""The examples of docs/custom_cells.md run as written and print what the page says: the
peephole LSTM written as NumPy steps passes its gradient check; its Numba twins, registered
by name, build a two-layer bidirectional layer with the dropout options."""

from __future__ import annotations

import numpy as np
import pytest
from doc_examples import examples, run_example

import rnnlab
from rnnlab import GradientCheckError
from rnnlab.recurrent import KINDS
from rnnlab.recurrent.user_cell import Recurrent, unregister_cell

PAGE = "custom_cells.md"


@pytest.fixture
def blocks():
    yield examples(PAGE, 2)
    if "peephole_lstm" in KINDS:
        unregister_cell("peephole_lstm")


def test_the_peephole_cell_passes_its_gradient_check(blocks):
    namespace, printed = run_example(blocks[0], PAGE)
    errors = namespace["errors"]
    assert len(errors) == 1 + 2 * 2 * 5
    assert max(errors.values()) < 1e-6
    assert printed.startswith("21 tensors checked, largest relative error")


def test_the_compiled_cell_is_registered_and_runs(blocks):
    namespace, printed = run_example(blocks[1], PAGE)
    assert printed.splitlines() == [
        "Recurrent ['weight_peephole_l0', 'weight_peephole_l0_reverse', 'weight_peephole_l1', "
        "'weight_peephole_l1_reverse']",
        "(20, 8, 128) (4, 8, 64) (4, 8, 64)",
    ]
    assert KINDS["peephole_lstm"] is namespace["fast"]


def test_a_wrong_backward_is_caught(blocks):
    """The page's claim: d_f without its c_prev fails the check by order 1."""
    wrong = blocks[0].replace("d_f = dc * c_prev * f * (1 - f)", "d_f = dc * f * (1 - f)")
    assert wrong != blocks[0]
    with pytest.raises(GradientCheckError, match="relative gradient error"):
        run_example(wrong, PAGE)


def test_the_compiled_steps_pass_the_gradient_check(blocks, gradcheck):
    """The page's Numba twins are right too: a float64 gradcheck runs them (the compiled
    loop with MKL, else a Python loop calling them)."""
    namespace, _ = run_example(blocks[1], PAGE)
    rng = np.random.default_rng(0)
    layer = Recurrent(namespace["fast"], 3, 4, bidirectional=True, dtype=np.float64,
                      zoneout=0.2, recurrent_dropout=0.2)
    for name, parameter in layer.named_parameters():
        if name.startswith("weight_peephole"):
            parameter.data[...] = rng.standard_normal(parameter.shape)
    x = rnnlab.Tensor(rng.standard_normal((5, 3, 3)), requires_grad=True)

    def loss():
        layer._rng = np.random.default_rng(1)
        output, (h_n, c_n) = layer(x, lengths=[5, 2, 4])
        return (output * output).sum() + c_n.sum()

    gradcheck(loss, {"x": x, **dict(layer.named_parameters())})
