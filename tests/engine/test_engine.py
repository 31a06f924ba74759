"""The autograd engine (LECTURE §4's chain rule, mechanised): every op in ops.py against
central finite differences in float64, gradient accumulation over shared subgraphs,
``no_grad`` and the errors of ``backward``."""

from __future__ import annotations

import weakref

import numpy as np
import pytest
import torch

from rnnlab.engine import is_grad_enabled, no_grad, ops
from rnnlab.engine.tensor import Function, Tensor

torch.set_num_threads(1)


def _leaves(*shapes, seed=0, positive=False) -> list[Tensor]:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    if positive:
        arrays = [np.abs(a) + 0.5 for a in arrays]
    return [Tensor(a, requires_grad=True) for a in arrays]


def _check_op(fn, leaves, gradcheck, seed=1):
    """Finite-difference check of fn(*leaves) under a random projection of its output."""
    with no_grad():
        shape = fn(*leaves).shape
    projection = np.random.default_rng(seed).standard_normal(shape)
    names = {f"input{i}": leaf for i, leaf in enumerate(leaves)}
    return gradcheck(lambda: ops.sum(ops.mul(fn(*leaves), projection)), names)


BROADCAST_SHAPES = [
    pytest.param((3, 4), (3, 4), id="same"),
    pytest.param((2, 3, 4), (4,), id="trailing"),
    pytest.param((2, 1, 4), (3, 1), id="both-stretch"),
    pytest.param((3, 4), (), id="scalar"),
    pytest.param((1, 4), (2, 3, 1), id="rank-up"),
]


@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_SHAPES)
@pytest.mark.parametrize(
    "op", [ops.add, ops.sub, ops.mul, ops.div], ids=["add", "sub", "mul", "div"]
)
def test_broadcasting_arithmetic(op, shape_a, shape_b, gradcheck):
    a, b = _leaves(shape_a, shape_b)
    if op is ops.div:
        b.data = np.asarray(np.abs(b.data) + 0.5)
    _check_op(op, [a, b], gradcheck)


def test_operators_record_the_same_ops(gradcheck):
    a, b = _leaves((2, 3), (3,))
    _check_op(lambda a, b: (a + b) * a - b / (a * a + 1.0) - 2.0 * (-a) + 1.0 - b, [a, b],
              gradcheck)


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [
        pytest.param((3, 4), (4, 5), id="2-D"),
        pytest.param((2, 3, 4), (2, 4, 5), id="batched"),
        pytest.param((2, 3, 4), (4, 5), id="batched-by-matrix"),
        pytest.param((4,), (4, 5), id="vector-by-matrix"),
        pytest.param((3, 4), (4,), id="matrix-by-vector"),
        pytest.param((4,), (4,), id="vector-by-vector"),
        pytest.param((4,), (2, 4, 5), id="vector-by-batch"),
        pytest.param((2, 3, 4), (4,), id="batch-by-vector"),
        pytest.param((2, 1, 3, 4), (5, 4, 2), id="broadcast-batches"),
    ],
)
def test_matmul(shape_a, shape_b, gradcheck):
    _check_op(ops.matmul, _leaves(shape_a, shape_b), gradcheck)


@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias, gradcheck):
    leaves = _leaves((2, 3, 4), (5, 4), (5,))
    _check_op(ops.linear, leaves if bias else leaves[:2], gradcheck)


@pytest.mark.parametrize(
    "op",
    [ops.tanh, ops.sigmoid, ops.relu, ops.exp, ops.log],
    ids=["tanh", "sigmoid", "relu", "exp", "log"],
)
def test_elementwise(op, gradcheck):
    (x,) = _leaves((3, 4), positive=op is ops.log)
    if op is ops.relu:  # keep away from the kink at 0
        x.data = np.where(np.abs(x.data) < 0.1, 0.5, x.data)
    _check_op(op, [x], gradcheck)


def test_sigmoid_does_not_overflow():
    y = ops.sigmoid(Tensor(np.array([-1000.0, 0.0, 1000.0])))
    assert np.array_equal(y.data, [0.0, 0.5, 1.0])


def test_where(gradcheck):
    a, b = _leaves((3, 4), (4,))
    condition = np.random.default_rng(3).random((3, 4)) > 0.5
    _check_op(lambda a, b: ops.where(condition, a, b), [a, b], gradcheck)


@pytest.mark.parametrize(
    "index",
    [
        pytest.param((slice(1, None), slice(None, None, 2)), id="slices"),
        pytest.param(np.array([0, 2, 0, 0]), id="repeated-int-array"),
        pytest.param((slice(None), np.array([3, 1, 3])), id="slice-and-repeated-ints"),
        pytest.param((np.array([0, 1, 1]), np.array([2, 2, 0])), id="paired-int-arrays"),
        pytest.param(1, id="int"),
        pytest.param((Ellipsis, -1), id="ellipsis"),
    ],
)
def test_getitem(index, gradcheck):
    (x,) = _leaves((3, 4))
    _check_op(lambda x: x[index], [x], gradcheck)


def test_getitem_accumulates_repeated_indices():
    x = Tensor(np.zeros(3), requires_grad=True)
    ops.sum(x[np.array([0, 2, 0, 0])]).backward()
    assert np.array_equal(x.grad, [3.0, 0.0, 1.0])


def test_getitem_with_a_tensor_index(gradcheck):
    (x,) = _leaves((4, 2))
    _check_op(lambda x: ops.getitem(x, Tensor(np.array([3, 3, 0]))), [x], gradcheck)


def test_reshape_and_transpose(gradcheck):
    (x,) = _leaves((2, 3, 4))
    _check_op(lambda x: x.reshape(4, 6), [x], gradcheck)
    _check_op(lambda x: x.reshape((3, -1)), [x], gradcheck)
    _check_op(lambda x: ops.transpose(x, (2, 0, 1)), [x], gradcheck)
    _check_op(lambda x: x.T, [x], gradcheck)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_and_stack(axis, gradcheck):
    a, b, c = _leaves((2, 3), (2, 3), (2, 3))
    _check_op(lambda a, b, c: ops.concat([a, b, c], axis=axis), [a, b, c], gradcheck)
    _check_op(lambda a, b, c: ops.stack([a, b, c], axis=axis), [a, b, c], gradcheck)


def test_concat_of_unequal_sizes(gradcheck):
    a, b = _leaves((2, 1, 4), (2, 3, 4))
    _check_op(lambda a, b: ops.concat([a, b], axis=1), [a, b], gradcheck)


@pytest.mark.parametrize(
    ("axis", "keepdims"),
    [(None, False), (0, False), (-1, True), ((0, 2), False), ((0, -1), True), (1, False)],
)
@pytest.mark.parametrize("op", [ops.sum, ops.mean], ids=["sum", "mean"])
def test_reductions(op, axis, keepdims, gradcheck):
    (x,) = _leaves((2, 3, 4))
    _check_op(lambda x: op(x, axis=axis, keepdims=keepdims), [x], gradcheck)
    assert np.allclose(op(x, axis=axis, keepdims=keepdims).data,
                       getattr(np, op.__name__)(x.data, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_max(axis, gradcheck):
    (x,) = _leaves((3, 4, 5))
    _check_op(lambda x: ops.max(x, axis=axis), [x], gradcheck)
    assert np.array_equal(ops.max(x, axis=axis).data, x.data.max(axis=axis))


def test_max_sends_the_gradient_to_the_first_maximum():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]]), requires_grad=True)
    ops.sum(ops.max(x, axis=1)).backward()
    assert np.array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("op", [ops.log_softmax, ops.softmax], ids=["log_softmax", "softmax"])
def test_softmaxes(op, axis, gradcheck):
    (x,) = _leaves((3, 5))
    _check_op(lambda x: op(x, axis=axis), [x], gradcheck)
    expected = getattr(torch, op.__name__)(torch.from_numpy(x.data), dim=axis).numpy()
    assert np.allclose(op(x, axis=axis).data, expected, rtol=1e-12, atol=1e-15)


def test_log_softmax_of_large_scores_is_finite():
    y = ops.log_softmax(Tensor(np.array([[1000.0, 0.0, -1000.0]])))
    assert np.allclose(y.data, [[0.0, -1000.0, -2000.0]])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_with_ignore_index(reduction, gradcheck, relative_error):
    (logits,) = _leaves((2, 3, 5))
    targets = np.array([[1, -100, 4], [0, 2, -100]])
    loss = lambda: ops.cross_entropy(logits, targets, reduction=reduction)  # noqa: E731
    gradcheck(loss, {"logits": logits})

    logits.grad = None
    loss().backward()
    expected_logits = torch.tensor(logits.data, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(
        expected_logits.reshape(-1, 5), torch.from_numpy(targets).reshape(-1),
        ignore_index=-100, reduction=reduction,
    )
    expected.backward()
    assert relative_error(loss().data, expected.detach().numpy()) < 1e-12
    assert relative_error(logits.grad, expected_logits.grad.numpy()) < 1e-12
    assert not logits.grad[0, 1].any() and not logits.grad[1, 2].any()


def test_cross_entropy_other_ignore_index_and_all_ignored():
    (logits,) = _leaves((3, 4))
    kept = ops.cross_entropy(logits, np.array([0, 2, 0]), ignore_index=0)
    expected = -ops.log_softmax(logits).data[1, 2]
    assert np.isclose(kept.item(), expected)
    none_kept = ops.cross_entropy(logits, np.array([0, 0, 0]), ignore_index=0)
    none_kept.backward()
    assert none_kept.item() == 0.0 and not logits.grad.any()


def test_cross_entropy_rejects_bad_targets():
    (logits,) = _leaves((3, 4))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 4\) or equal ignore_index"):
        ops.cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"3 score rows but 2 targets"):
        ops.cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"reduction must be 'mean' or 'sum', not 'max'"):
        ops.cross_entropy(logits, np.array([0, 1, 2]), reduction="max")


@pytest.mark.parametrize("numba", ["compiled", "numpy"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding(padding_idx, gradcheck, numba, monkeypatch):
    """Both gradient paths: the compiled row scatter and np.add.at (RNNLAB_DISABLE_NUMBA)."""
    monkeypatch.setenv("RNNLAB_DISABLE_NUMBA", "1" if numba == "numpy" else "0")
    (weight,) = _leaves((5, 3))
    ids = np.array([[1, 2, 1], [4, 1, 2]])
    projection = np.random.default_rng(2).standard_normal((2, 3, 3))
    weight.grad = None
    ops.sum(ops.mul(ops.embedding(weight, ids, padding_idx), projection)).backward()
    expected = np.zeros((5, 3))
    np.add.at(expected, ids, projection)  # row i gets the projections of every id == i
    if padding_idx is not None:
        expected[padding_idx] = 0.0
        assert not weight.grad[padding_idx].any()
    assert np.allclose(weight.grad, expected, rtol=0, atol=1e-15)
    if padding_idx is None:
        _check_op(lambda w: ops.embedding(w, ids), [weight], gradcheck)


def test_dropout_scales_kept_values_and_their_gradients():
    rng = np.random.default_rng(0)
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    y = ops.dropout(x, 0.3, rng, training=True)
    kept = y.data != 0
    assert np.allclose(y.data[kept], 1.0 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02
    ops.sum(y).backward()
    assert np.array_equal(x.grad, np.where(kept, 1.0 / 0.7, 0.0))
    assert ops.dropout(x, 0.3, rng, training=False) is x
    assert ops.dropout(x, 0.0, rng, training=True) is x


# ------------------------------------------------------------------- graph
def test_diamond_graph_accumulates_both_paths():
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    y = ops.tanh(x)
    out = ops.sum(y * 3.0 + y * y)  # y feeds two branches that meet again
    out.backward()
    t = np.tanh(x.data)
    assert np.allclose(x.grad, (3.0 + 2.0 * t) * (1.0 - t * t), rtol=1e-14)


def test_leaf_used_twice_and_backward_twice_accumulate():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    ops.sum(x * x).backward()
    assert np.array_equal(x.grad, [2.0, -4.0])
    ops.sum(x * x).backward()
    assert np.array_equal(x.grad, [4.0, -8.0])


def test_a_deep_chain_backpropagates_without_recursion_limits():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    ops.sum(y).backward()
    assert x.grad[0] == 1.0


def test_multi_output_function_gets_zero_for_unused_outputs(gradcheck):
    (x,) = _leaves((4, 3))
    # only the second half of a split reaches the loss
    _check_op(lambda x: ops.concat([x, x * 2.0], axis=0)[4:], [x], gradcheck)


def test_no_grad_records_nothing():
    (x,) = _leaves((2, 2))
    with no_grad():
        assert not is_grad_enabled()
        y = ops.tanh(x) * x
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert not y.requires_grad and y._creator is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        ops.sum(y).backward()
    z = ops.tanh(x)
    assert z.requires_grad and z._creator is not None


def test_no_grad_restores_recording_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert is_grad_enabled()


def test_constants_are_not_recorded():
    y = ops.tanh(Tensor(np.ones(3))) + np.ones(3)
    assert not y.requires_grad and y._creator is None


def test_backward_on_a_non_scalar_without_grad_raises():
    (x,) = _leaves((2, 3))
    y = ops.tanh(x)
    with pytest.raises(RuntimeError, match="grad must be given for a non-scalar tensor"):
        y.backward()
    seed = np.random.default_rng(1).standard_normal((2, 3))
    y.backward(seed)
    assert np.allclose(x.grad, seed * (1 - np.tanh(x.data) ** 2))


class _ReturnsGradient(Function):
    """Test helper: backward returns ``make(g)``, remembering what it returned."""

    returned: list = []
    kept: list = []

    def forward(self, x, *, make, keep):
        self.make, self.keep = make, keep
        return x * 1.0

    def backward(self, g):
        grad = self.make(g)
        _ReturnsGradient.returned.append(weakref.ref(grad))
        if self.keep:
            _ReturnsGradient.kept.append(grad)  # someone else holds it: the leaf must copy
        return grad


def test_leaf_takes_a_fresh_unshared_gradient_without_copying():
    x = Tensor(np.ones(3), requires_grad=True)
    _ReturnsGradient.apply(x, make=lambda g: g * 2.0, keep=False).sum().backward()
    assert _ReturnsGradient.returned[-1]() is x.grad  # the very array backward made
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_leaf_copies_a_gradient_someone_else_holds():
    x = Tensor(np.ones(3), requires_grad=True)
    _ReturnsGradient.apply(x, make=lambda g: g * 2.0, keep=True).sum().backward()
    assert x.grad is not _ReturnsGradient.kept[-1]
    x.grad *= 10  # an in-place change (clipping, an optimizer) reaches only this .grad
    np.testing.assert_array_equal(_ReturnsGradient.kept[-1], [2.0, 2.0, 2.0])


def test_two_leaves_never_share_one_gradient_array():
    a = Tensor(np.ones(4), requires_grad=True)
    b = Tensor(np.ones(4), requires_grad=True)
    c = Tensor(np.ones((2, 2)), requires_grad=True)
    ((a + b) * 3.0 + c.reshape(4)).sum().backward()  # add hands one array to both inputs
    grads = [a.grad, b.grad, c.grad]
    for i, first in enumerate(grads):
        for second in grads[i + 1 :]:
            assert not np.shares_memory(first, second)
    a.grad *= 0
    np.testing.assert_array_equal(b.grad, np.full(4, 3.0))
