"""``rnnlab.LSTM(proj_size=P)`` is PyTorch's LSTMP: the same parameters, state shapes and
numbers — outputs and every gradient against ``torch.nn.LSTM(proj_size=P)`` with packed,
unsorted lengths, both directions, two layers — on every compute path and with one or two
threads; ``state_dict`` moves both ways; float64 finite differences agree with BPTT."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnnlab
from rnnlab.engine import kernels
from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import GRU, LSTM, compute_path, numpy_blas, step_product

torch.set_num_threads(1)
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

T, B, I, H, P = 6, 5, 4, 7, 3
LENGTHS = [3, 6, 1, 6, 2]  # unsorted, with ties, T and 1
TOLERANCE = {np.float64: 1e-9, np.float32: 1e-4}  # as the plain layers' parity tests
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}
OPTIONS = [
    pytest.param(dict(num_layers=1), None, id="1layer"),
    pytest.param(dict(num_layers=2, bidirectional=True), LENGTHS, id="2layers-bi-lengths"),
    pytest.param(dict(num_layers=2, batch_first=True), LENGTHS, id="2layers-lengths-batch_first"),
    pytest.param(dict(bidirectional=True, bias=False), [5, 5, 2, 4, 5], id="bi-nobias-below-T"),
]


@pytest.fixture(params=compute_path.PATHS)
def path(request, monkeypatch) -> str:
    """Run the test on one compute path (the environment switches choose it)."""
    if request.param == compute_path.NUMPY:
        monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    elif request.param in (compute_path.NUMBA, compute_path.NUMBA_BLAS):
        monkeypatch.setenv(step_product.DISABLE_ENV, "1")
        if request.param == compute_path.NUMBA:
            monkeypatch.setenv(numpy_blas.DISABLE_ENV, "1")
    if compute_path.current() != request.param:
        pytest.skip(f"the {request.param} path is not available here")
    return request.param


def _pair(options: dict, dtype) -> tuple[LSTM, torch.nn.LSTM]:
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(I, H, proj_size=P, **options).to(TORCH_DTYPE[dtype])
    ours = LSTM(I, H, proj_size=P, dtype=dtype, **options)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _data(options: dict, dtype, batch: int = B, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    L, D = options.get("num_layers", 1), 2 if options.get("bidirectional") else 1
    shape = (batch, T, I) if options.get("batch_first") else (T, batch, I)
    out_shape = (*shape[:2], D * P)
    return {name: rng.standard_normal(s).astype(dtype) for name, s in (
        ("x", shape), ("h0", (L * D, batch, P)), ("c0", (L * D, batch, H)),
        ("w_out", out_shape), ("w_h", (L * D, batch, P)), ("w_c", (L * D, batch, H)))}


def _ours(layer: LSTM, data: dict, lengths) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    leaves = {name: Tensor(data[name].copy(), requires_grad=True) for name in ("x", "h0", "c0")}
    for p in layer.parameters():
        p.grad = None
    output, (h_n, c_n) = layer(leaves["x"], (leaves["h0"], leaves["c0"]), lengths)
    loss = (output * data["w_out"]).sum() + (h_n * data["w_h"]).sum() + (c_n * data["w_c"]).sum()
    loss.backward()
    grads = {name: t.grad for name, t in leaves.items()}
    grads.update({name: p.grad for name, p in layer.named_parameters()})
    return [output.data, h_n.data, c_n.data], grads


def _theirs(module: torch.nn.LSTM, data: dict, lengths):
    leaves = {name: torch.tensor(data[name], requires_grad=True) for name in ("x", "h0", "c0")}
    x, hx = leaves["x"], (leaves["h0"], leaves["c0"])
    if lengths is None:
        output, (h_n, c_n) = module(x, hx)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=module.batch_first,
                                      enforce_sorted=False)
        output, (h_n, c_n) = module(packed, hx)
        output, _ = pad_packed_sequence(output, batch_first=module.batch_first, total_length=T)
    w = {name: torch.from_numpy(data[name]) for name in ("w_out", "w_h", "w_c")}
    ((output * w["w_out"]).sum() + (h_n * w["w_h"]).sum() + (c_n * w["w_c"]).sum()).backward()
    grads = {name: t.grad.numpy() for name, t in leaves.items()}
    grads.update({name: p.grad.numpy() for name, p in module.named_parameters()})
    return [t.detach().numpy() for t in (output, h_n, c_n)], grads


def _assert_same(ours, theirs, tol, relative_error):
    for name, a, b in zip(("output", "h_n", "c_n"), ours[0], theirs[0], strict=True):
        assert a.shape == b.shape and relative_error(a, b) < tol, name
    assert ours[1].keys() == theirs[1].keys()
    for name, expected in theirs[1].items():
        assert relative_error(ours[1][name], expected) < tol, f"gradient of {name}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("options", "lengths"), OPTIONS)
def test_proj_size_matches_torch(path, options, lengths, dtype, relative_error):
    ours, theirs = _pair(options, dtype)
    data = _data(options, dtype)
    _assert_same(_ours(ours, data, lengths), _theirs(theirs, data, lengths), TOLERANCE[dtype],
                 relative_error)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_proj_size_on_one_or_two_threads(path, threads, bidirectional, relative_error):
    """A batch of 11 splits into two row groups on two threads (one direction), or runs its
    directions at once (bidirectional)."""
    options = dict(num_layers=2, bidirectional=bidirectional)
    lengths = [3, 6, 1, 6, 2, 5, 4, 6, 1, 2, 3]
    ours, theirs = _pair(options, np.float64)
    data = _data(options, np.float64, batch=len(lengths))
    rnnlab.set_num_threads(threads)
    try:
        result = _ours(ours, data, lengths)
    finally:
        rnnlab.set_num_threads(None)
    _assert_same(result, _theirs(theirs, data, lengths), 1e-9, relative_error)


def test_state_dict_moves_both_ways(relative_error):
    options = dict(num_layers=2, bidirectional=True)
    ours, theirs = _pair(options, np.float32)  # torch → rnnlab
    mine = LSTM(I, H, proj_size=P, rng=np.random.default_rng(3), **options)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert {k: v.shape for k, v in mine.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in mine.state_dict().items()})
    data = _data(options, np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(data["x"]))
    output, (h_n, c_n) = mine(data["x"])
    assert output.shape == (T, B, 2 * P) and h_n.shape == (4, B, P) and c_n.shape == (4, B, H)
    assert relative_error(output.data, expected[0].numpy()) < 1e-5
    assert relative_error(h_n.data, expected[1][0].numpy()) < 1e-5
    assert relative_error(c_n.data, expected[1][1].numpy()) < 1e-5


@pytest.mark.parametrize(("options", "lengths"), OPTIONS)
def test_proj_size_gradients_match_finite_differences(path, options, lengths, gradcheck):
    layer = LSTM(I, H, proj_size=P, dtype=np.float64, rng=np.random.default_rng(2), **options)
    data = _data(options, np.float64, batch=3, seed=4)
    lengths = None if lengths is None else lengths[:3]
    x, h0, c0 = (Tensor(data[name], requires_grad=True) for name in ("x", "h0", "c0"))

    def loss():
        output, (h_n, c_n) = layer(x, (h0, c0), lengths)
        return ((output * data["w_out"]).sum() + (h_n * data["w_h"]).sum()
                + (c_n * data["w_c"]).sum())

    errors = gradcheck(loss, {"x": x, "h0": h0, "c0": c0, **dict(layer.named_parameters())})
    assert {name for name in errors if name.startswith("weight_hr")} == \
        {name for name in layer.state_dict() if name.startswith("weight_hr")}


def test_proj_size_is_checked():
    with pytest.raises(ValueError, match="proj_size must be smaller than hidden_size"):
        LSTM(I, H, proj_size=H)
    with pytest.raises(ValueError, match="proj_size must be a non-negative integer"):
        LSTM(I, H, proj_size=-1)
    with pytest.raises(ValueError, match="proj_size is an LSTM option"):
        GRU(I, H, proj_size=2)
    layer = LSTM(I, H, proj_size=P, num_layers=2)
    assert "proj_size=3" in repr(layer) and layer.weight_hh_l1.shape == (4 * H, P)
    assert layer.weight_ih_l1.shape == (4 * H, P) and layer.weight_hr_l1.shape == (P, H)
    x = np.zeros((T, 2, I), np.float32)
    with pytest.raises(ValueError, match=r"h0 must have shape .*proj_size\) = \(2, 2, 3\)"):
        layer(x, (np.zeros((2, 2, H), np.float32), np.zeros((2, 2, H), np.float32)))
    with pytest.raises(ValueError, match=r"c0 must have shape .*hidden_size\) = \(2, 2, 7\)"):
        layer(x, (np.zeros((2, 2, P), np.float32), np.zeros((2, 2, P), np.float32)))


@pytest.mark.parametrize("noise", [dict(recurrent_dropout=0.3), dict(zoneout=0.3),
                                   dict(recurrent_dropout=0.3, zoneout=0.4)],
                         ids=["recurrent_dropout", "zoneout", "both"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_proj_size_with_recurrent_noise_matches_finite_differences(path, noise, bidirectional,
                                                                     gradcheck):
    """Recurrent dropout (P-wide mask on h(t−1)) and zoneout (on the projected h and on c)
    inside the projected loop, with the masks of one fixed draw (train mode)."""
    options = dict(num_layers=2, bidirectional=bidirectional)
    layer = LSTM(I, H, proj_size=P, dtype=np.float64, rng=np.random.default_rng(2), **options,
                 **noise)
    data = _data(options, np.float64, batch=3, seed=5)
    x, h0, c0 = (Tensor(data[name], requires_grad=True) for name in ("x", "h0", "c0"))

    def loss():
        layer._rng = np.random.default_rng(9)  # the same masks at every evaluation
        output, (h_n, c_n) = layer(x, (h0, c0), [6, 2, 4])
        return ((output * data["w_out"]).sum() + (h_n * data["w_h"]).sum()
                + (c_n * data["w_c"]).sum())

    gradcheck(loss, {"x": x, "h0": h0, "c0": c0, **dict(layer.named_parameters())})
    layer.eval()
    plain = LSTM(I, H, proj_size=P, dtype=np.float64, **options)
    plain.load_state_dict(layer.state_dict())
    if "zoneout" not in noise:  # recurrent dropout is off in evaluation
        np.testing.assert_array_equal(layer(x.data)[0].data, plain(x.data)[0].data)
