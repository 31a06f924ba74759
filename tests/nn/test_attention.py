"""Masked global attention: hand-written backward against finite differences (float64) and
against PyTorch autograd; padding gets no weight, no influence and no gradient."""

import numpy as np
import pytest
import torch

from rnnlab.engine.tensor import Tensor
from rnnlab.nn.attention import LuongAttention, masked_attention

B, T, S, D, M = 3, 4, 5, 6, 7
LENGTHS = np.array([5, 2, 3])


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    query = rng.standard_normal((B, T, D))
    keys = rng.standard_normal((B, S, D))
    values = rng.standard_normal((B, S, M))
    valid = np.arange(S)[None, :] < LENGTHS[:, None]
    return query, keys, values, valid


def test_masked_attention_gradients_match_finite_differences_in_float64(gradcheck):
    query, keys, values, valid = _inputs()
    rng = np.random.default_rng(1)
    g_context, g_weights = rng.standard_normal((B, T, M)), rng.standard_normal((B, T, S))
    tensors = {name: Tensor(a, requires_grad=True)
               for name, a in zip(("query", "keys", "values"), (query, keys, values), strict=True)}

    def loss():
        context, weights = masked_attention(*tensors.values(), valid)
        return (context * g_context).sum() + (weights * g_weights).sum()

    gradcheck(loss, tensors, tol=1e-7)


def test_luong_attention_parameter_and_input_gradients_in_float64(gradcheck):
    query, _, memory, valid = _inputs(2)
    layer = LuongAttention(D, M, dtype=np.float64, rng=np.random.default_rng(3))
    upstream = np.random.default_rng(4).standard_normal((B, T, D))
    q, mem = Tensor(query, requires_grad=True), Tensor(memory, requires_grad=True)

    def loss():
        out, _ = layer(q, layer.keys(mem), mem, valid)
        return (out * upstream).sum()

    gradcheck(loss, {"query": q, "memory": mem, **dict(layer.named_parameters())}, tol=1e-7)


def test_masked_attention_matches_pytorch_forward_and_backward():
    query, keys, values, valid = _inputs(5)
    g_context = np.random.default_rng(6).standard_normal((B, T, M))
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (query, keys, values))
    scores = (tq @ tk.transpose(1, 2)).masked_fill(~torch.tensor(valid)[:, None, :], -torch.inf)
    t_weights = torch.softmax(scores, dim=2)
    t_context = t_weights @ tv
    (t_context * torch.tensor(g_context)).sum().backward()

    tensors = [Tensor(a, requires_grad=True) for a in (query, keys, values)]
    context, weights = masked_attention(*tensors, valid)
    (context * g_context).sum().backward()
    np.testing.assert_allclose(context.data, t_context.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(weights.data, t_weights.detach().numpy(), atol=1e-12)
    for ours, theirs in zip(tensors, (tq, tk, tv), strict=True):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-12)


def test_padding_gets_no_weight_no_influence_and_no_gradient():
    query, keys, values, valid = _inputs(7)
    _, weights = masked_attention(query, keys, values, valid)
    np.testing.assert_allclose(weights.data.sum(axis=2), 1.0)
    assert np.all(weights.data[~np.broadcast_to(valid[:, None, :], weights.shape)] == 0.0)

    noisy_keys, noisy_values = keys.copy(), values.copy()
    noisy_keys[~valid] = 1e3
    noisy_values[~valid] = -1e3
    context, _ = masked_attention(query, keys, values, valid)
    noisy_context, _ = masked_attention(query, noisy_keys, noisy_values, valid)
    np.testing.assert_array_equal(context.data, noisy_context.data)

    tk, tv = Tensor(keys, requires_grad=True), Tensor(values, requires_grad=True)
    out, _ = masked_attention(query, tk, tv, valid)
    out.sum().backward()
    assert np.all(tk.grad[~valid] == 0.0) and np.all(tv.grad[~valid] == 0.0)
    assert np.abs(tv.grad[valid]).sum() > 0


def test_a_sentence_without_any_valid_position_is_rejected():
    query, keys, values, valid = _inputs()
    valid[1] = False
    with pytest.raises(ValueError, match="unmasked"):
        masked_attention(query, keys, values, valid)
