"""Building blocks and optimizers against PyTorch: Linear and Embedding, SGD (momentum,
Nesterov, weight decay), Adam and decoupled weight decay (AdamW), optimizer state round
trips, and gradient-norm clipping (LECTURE §5)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnlab.engine import ops
from rnnlab.engine.module import Module, Parameter
from rnnlab.engine.tensor import Tensor
from rnnlab.io import load_arrays, save_arrays
from rnnlab.nn import Embedding, Linear
from rnnlab.optim import SGD, Adam, NonFiniteGradientError, clip_grad_norm, global_grad_norm

torch.set_num_threads(1)


# ------------------------------------------------------------------ modules
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(bias, relative_error):
    rng = np.random.default_rng(0)
    ours = Linear(4, 3, bias=bias, dtype=np.float64)
    theirs = torch.nn.Linear(4, 3, bias=bias).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((2, 5, 4))
    projection = rng.standard_normal((2, 5, 3))
    x_ours, x_theirs = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out = ours(x_ours)
    ops.sum(out * projection).backward()
    expected = theirs(x_theirs)
    (expected * torch.from_numpy(projection)).sum().backward()
    assert relative_error(out.data, expected.detach().numpy()) < 1e-12
    assert relative_error(x_ours.grad, x_theirs.grad.numpy()) < 1e-12
    for name, p in theirs.named_parameters():
        assert relative_error(getattr(ours, name).grad, p.grad.numpy()) < 1e-12


@pytest.mark.parametrize("padding_idx", [None, 0])
def test_embedding_matches_torch(padding_idx, relative_error):
    rng = np.random.default_rng(1)
    ours = Embedding(6, 3, padding_idx=padding_idx, dtype=np.float64)
    theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx).double()
    if padding_idx is not None:
        assert not ours.weight.data[padding_idx].any()
    ours.load_state_dict({"weight": theirs.weight.detach().numpy()})
    ids = np.array([[0, 2, 5, 2], [1, 0, 0, 3]])
    projection = rng.standard_normal((2, 4, 3))
    ops.sum(ours(ids) * projection).backward()
    expected = theirs(torch.from_numpy(ids))
    (expected * torch.from_numpy(projection)).sum().backward()
    assert np.array_equal(ours(ids).data, expected.detach().numpy())
    assert relative_error(ours.weight.grad, theirs.weight.grad.numpy()) < 1e-12


def test_embedding_rejects_ids_out_of_range():
    with pytest.raises(IndexError, match=r"ids must lie in \[0, 6\), got range \[0, 6\]"):
        Embedding(6, 3)(np.array([0, 6]))


def test_module_finds_nested_parameters_and_casts():
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.embed = Embedding(5, 2)
            self.out = Linear(2, 3)

    net = Net()
    assert [name for name, _ in net.named_parameters()] == [
        "embed.weight", "out.weight", "out.bias",
    ]
    net.double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.num_parameters() == 5 * 2 + 3 * 2 + 3


# --------------------------------------------------------------- optimizers
def _problem(seed: int = 0):
    """A least-squares problem ‖A w + b − y‖² + Σ c ⊙ w (linear term) on two parameters."""
    rng = np.random.default_rng(seed)
    A, y, c = rng.standard_normal((6, 4)), rng.standard_normal(6), rng.standard_normal(4)
    w0, b0 = rng.standard_normal(4), rng.standard_normal(6)

    def ours_loss(w, b):
        residual = ops.matmul(Tensor(A), w) + b - y
        return ops.sum(residual * residual) + ops.sum(w * c)

    def torch_loss(w, b):
        residual = torch.from_numpy(A) @ w + b - torch.from_numpy(y)
        return (residual * residual).sum() + (w * torch.from_numpy(c)).sum()

    return (w0, b0), ours_loss, torch_loss


def _run_ours(make_optimizer, steps: int, tiny_gradient: bool = False):
    (w0, b0), loss, _ = _problem()
    params = [Parameter(w0.copy()), Parameter(b0.copy())]
    optimizer = make_optimizer(params)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        value = loss(*params) * (1e-6 if tiny_gradient else 1.0)
        value.backward()
        optimizer.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory, optimizer, params


def _run_torch(make_optimizer, steps: int, tiny_gradient: bool = False):
    (w0, b0), _, loss = _problem()
    params = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    optimizer = make_optimizer(params)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        (loss(*params) * (1e-6 if tiny_gradient else 1.0)).backward()
        optimizer.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


OPTIMIZERS = [
    pytest.param(
        lambda p: SGD(p, lr=0.01), lambda p: torch.optim.SGD(p, lr=0.01), id="sgd"
    ),
    pytest.param(
        lambda p: SGD(p, lr=0.01, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
        id="sgd-momentum",
    ),
    pytest.param(
        lambda p: SGD(p, lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1),
        id="sgd-nesterov-weight_decay",
    ),
    pytest.param(lambda p: Adam(p, lr=0.05), lambda p: torch.optim.Adam(p, lr=0.05), id="adam"),
    pytest.param(
        lambda p: Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-3),
        lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-3),
        id="adam-large-eps",
    ),
    pytest.param(
        lambda p: Adam(p, lr=0.05, weight_decay=0.1),
        lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1),
        id="adam-decoupled-weight_decay",
    ),
]


@pytest.mark.parametrize("tiny_gradient", [False, True], ids=["unit", "tiny-gradients"])
@pytest.mark.parametrize(("ours", "theirs"), OPTIMIZERS)
def test_optimizer_matches_torch(ours, theirs, tiny_gradient, relative_error):
    steps = 6
    trajectory = _run_ours(ours, steps, tiny_gradient)[0]
    expected = _run_torch(theirs, steps, tiny_gradient)
    for step, (mine, reference) in enumerate(zip(trajectory, expected, strict=True)):
        for a, b in zip(mine, reference, strict=True):
            assert relative_error(a, b) < 1e-12, f"step {step + 1}"


@pytest.mark.parametrize(("ours", "_"), OPTIMIZERS)
def test_optimizer_state_round_trip_gives_the_same_next_steps(ours, _, tmp_path):
    _, first, params = _run_ours(ours, 3)
    (_, _), loss, _ = _problem()
    snapshot = [p.data.copy() for p in params]
    state = first.state_dict()
    path = tmp_path / "optimizer.safetensors"
    save_arrays(path, state)

    expected = []  # the steps that followed the snapshot
    for _ in range(2):
        first.zero_grad()
        loss(*params).backward()
        first.step()
        expected.append([p.data.copy() for p in params])

    for source in (load_arrays(path), state):  # from the file, and the dict kept in memory
        group = [Parameter(a.copy()) for a in snapshot]
        resumed = ours(group)
        resumed.load_state_dict(source)
        for step in expected:
            resumed.zero_grad()
            loss(*group).backward()
            resumed.step()
            for a, b in zip(group, step, strict=True):
                assert np.array_equal(a.data, b)


def test_optimizer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([])
    with pytest.raises(ValueError, match="learning rate must be positive, got 0"):
        Adam([Parameter(np.zeros(2))], lr=0)


# ----------------------------------------------------------------- clipping
def _gradients(scale: float) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [scale * rng.standard_normal(shape) for shape in [(3, 4), (4,), (2, 2, 2)]]


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(max_norm, relative_error):
    grads = _gradients(1.0)
    ours = [Parameter(np.zeros(g.shape)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads, strict=True):
        p.grad, q.grad = g.copy(), torch.from_numpy(g.copy())
    norm = clip_grad_norm(ours, max_norm)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert relative_error(norm, expected.numpy()) < 1e-12
    assert relative_error(global_grad_norm(ours), min(max_norm, norm)) < 1e-5
    for p, q in zip(ours, theirs, strict=True):
        assert relative_error(p.grad, q.grad.numpy()) < 1e-12


def test_clip_grad_norm_skips_parameters_without_gradients():
    params = [Parameter(np.zeros(3)), Parameter(np.zeros(2))]
    params[0].grad = np.array([3.0, 0.0, 4.0])
    assert clip_grad_norm(params, 1.0) == 5.0
    assert params[1].grad is None


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_clip_grad_norm_refuses_non_finite_gradients(bad):
    params = [Parameter(np.zeros(3)), Parameter(np.zeros(2))]
    params[0].grad = np.array([1.0, bad, 0.0])
    params[1].grad = np.ones(2)
    with pytest.raises(NonFiniteGradientError, match=r"1 parameter gradient\(s\) hold NaN or inf"):
        clip_grad_norm(params, 1.0)
    assert np.array_equal(params[1].grad, np.ones(2))  # nothing was scaled
