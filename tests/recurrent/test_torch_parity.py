"""The recurrent core gives PyTorch's numbers: layers loaded with ``torch.nn.RNN/LSTM/GRU``'s
weights agree on outputs, final states and every gradient — uneven lengths included, against
``pack_padded_sequence(enforce_sorted=False)`` — and so do the one-step cells."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlab.engine.tensor import Tensor
from rnnlab.recurrent import GRUCell, LSTMCell, RNNCell

torch.set_num_threads(1)

TORCH_LAYERS = {
    "rnn_tanh": (torch.nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (torch.nn.LSTM, {}),
    "gru": (torch.nn.GRU, {}),
}
# measured: float64 agrees to ~1e-15 and float32 to ~5e-7; the bounds leave room for
# a different summation order
TOLERANCE = {np.float64: 1e-9, np.float32: 1e-4}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}
SIZES = dict(steps=6, batch=5, input_size=5, hidden_size=6)
LENGTHS = [3, 6, 1, 6, 2]  # unsorted, with ties, T = 6 and 1

LAYER_OPTIONS = [
    pytest.param(dict(), id="1layer"),
    pytest.param(
        dict(num_layers=2, bidirectional=True, lengths=LENGTHS, with_hx=True, batch_first=True),
        id="2layers-bi-lengths-hx-batch_first",
    ),
    pytest.param(dict(num_layers=3, lengths=LENGTHS, with_hx=True), id="3layers-lengths-hx"),
    pytest.param(dict(num_layers=2, bidirectional=True, with_hx=True), id="2layers-bi-hx"),
    pytest.param(
        dict(bidirectional=True, lengths=LENGTHS, bias=False, batch_first=True),
        id="1layer-bi-lengths-nobias-batch_first",
    ),
]
DTYPES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]


def _torch_twin(cell: str, layer, dtype) -> torch.nn.Module:
    """A PyTorch layer of the same shape; its weights are loaded into ``layer``."""
    cls, options = TORCH_LAYERS[cell]
    torch.manual_seed(0)
    module = cls(
        layer.input_size, layer.hidden_size, num_layers=layer.num_layers, bias=layer.bias,
        batch_first=layer.batch_first, bidirectional=layer.bidirectional, **options,
    ).to(TORCH_DTYPE[dtype])
    layer.load_state_dict({k: v.detach().numpy() for k, v in module.state_dict().items()})
    return module


def _torch_projection_loss(outputs, projections) -> torch.Tensor:
    pairs = zip(outputs, projections, strict=True)
    return sum((o * torch.from_numpy(w)).sum() for o, w in pairs)


def _torch_run(module, case) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """PyTorch's outputs and gradients of the same projection loss."""
    x = torch.tensor(case.x.data, requires_grad=True)
    leaves = {"x": x}
    hx = None
    if case.h0 is not None:
        leaves["h0"] = hx = torch.tensor(case.h0.data, requires_grad=True)
    if case.c0 is not None:
        leaves["c0"] = torch.tensor(case.c0.data, requires_grad=True)
        hx = (leaves["h0"], leaves["c0"])
    steps = x.shape[1] if module.batch_first else x.shape[0]
    if case.lengths is None:
        output, state = module(x, hx)
    else:
        packed = pack_padded_sequence(
            x, torch.tensor(case.lengths), batch_first=module.batch_first, enforce_sorted=False
        )
        packed_output, state = module(packed, hx)
        output, _ = pad_packed_sequence(
            packed_output, batch_first=module.batch_first, total_length=steps
        )
    outputs = [output, *(state if isinstance(state, tuple) else (state,))]
    _torch_projection_loss(outputs, case.projections).backward()
    grads = {name: t.grad.numpy() for name, t in leaves.items()}
    grads.update({name: p.grad.numpy() for name, p in module.named_parameters()})
    return [o.detach().numpy() for o in outputs], grads


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", LAYER_OPTIONS)
def test_layer_matches_torch(torch_cell, options, dtype, recurrent_case, relative_error):
    case = recurrent_case(torch_cell, dtype=dtype, seed=3, **SIZES, **options)
    module = _torch_twin(torch_cell, case.layer, dtype)
    expected_outputs, expected_grads = _torch_run(module, case)

    outputs = case.outputs()
    case.loss().backward()
    tol = TOLERANCE[dtype]
    names = ["output", "h_n", "c_n"]
    for name, ours, theirs in zip(names, outputs, expected_outputs, strict=False):
        assert ours.dtype == dtype
        assert relative_error(ours.data, theirs) < tol, name
    grads = {name: t.grad for name, t in case.inputs().items()}
    assert grads.keys() == expected_grads.keys()
    for name, theirs in expected_grads.items():
        assert grads[name].dtype == dtype
        assert relative_error(grads[name], theirs) < tol, f"gradient of {name}"


def test_dropout_between_layers_is_off_in_eval_mode(recurrent_case, relative_error):
    case = recurrent_case("lstm", num_layers=3, dropout=0.5, **SIZES)
    module = _torch_twin("lstm", case.layer, np.float64)
    expected = module(torch.tensor(case.x.data))[0].detach().numpy()
    train_output = case.outputs()[0].data
    case.layer.eval()
    assert relative_error(case.outputs()[0].data, expected) < 1e-10
    assert relative_error(train_output, expected) > 1e-3


TORCH_CELLS = {
    "rnn_tanh": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (GRUCell, torch.nn.GRUCell, {}),
}


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no_state", "state"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cell_matches_torch(torch_cell, dtype, with_state, bias, relative_error):
    ours_cls, torch_cls, options = TORCH_CELLS[torch_cell]
    rng = np.random.default_rng(5)
    batch, input_size, hidden = 5, 4, 6
    torch.manual_seed(1)
    module = torch_cls(input_size, hidden, bias=bias, **options).to(TORCH_DTYPE[dtype])
    cell = ours_cls(input_size, hidden, bias=bias, dtype=dtype, **options)
    cell.load_state_dict({k: v.detach().numpy() for k, v in module.state_dict().items()})

    is_lstm = torch_cell == "lstm"
    arrays = {"x": rng.standard_normal((batch, input_size)).astype(dtype)}
    if with_state:
        arrays["h"] = rng.standard_normal((batch, hidden)).astype(dtype)
        if is_lstm:
            arrays["c"] = rng.standard_normal((batch, hidden)).astype(dtype)
    projections = [rng.standard_normal((batch, hidden)).astype(dtype) for _ in range(1 + is_lstm)]

    ours = {name: Tensor(a.copy(), requires_grad=True) for name, a in arrays.items()}
    theirs = {name: torch.tensor(a, requires_grad=True) for name, a in arrays.items()}

    def state(leaves):
        if not with_state:
            return None
        return (leaves["h"], leaves["c"]) if is_lstm else leaves["h"]

    out = cell(ours["x"], state(ours))
    out = out if is_lstm else (out,)
    sum((o * w).sum() for o, w in zip(out, projections, strict=True)).backward()
    expected = module(theirs["x"], state(theirs))
    expected = expected if is_lstm else (expected,)
    _torch_projection_loss(expected, projections).backward()

    tol = TOLERANCE[dtype]
    for o, e in zip(out, expected, strict=True):
        assert o.dtype == dtype
        assert relative_error(o.data, e.detach().numpy()) < tol
    for name in arrays:
        assert relative_error(ours[name].grad, theirs[name].grad.numpy()) < tol, name
    own = dict(cell.named_parameters())
    assert own.keys() == dict(module.named_parameters()).keys()
    for name, p in module.named_parameters():
        assert relative_error(own[name].grad, p.grad.numpy()) < tol, name
