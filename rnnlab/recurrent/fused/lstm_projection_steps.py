"""Compiled time loops of the LSTM with a projection (:mod:`rnnlab.recurrent.lstm_projection`,
PyTorch's ``proj_size``): the plain LSTM's compiled steps (:mod:`.lstm_steps`) between two
packed products per step, so the whole loop is one kernel on the "numba+mkl" path."""

from __future__ import annotations

from rnnlab.engine.kernels.scalar import kernel
from rnnlab.recurrent.fused.lstm_steps import backward_step, forward_step
from rnnlab.recurrent.fused.packed_gemm import packed_product

__all__ = ["forward_step", "backward_step", "forward_sequence", "backward_sequence"]


@kernel
def forward_sequence(xp, w_packed, r_packed, S, C, M, hh, times, sizes, start, stop):
    """The forward time loop of ``lstm_projection.forward`` for the rows [start:stop]: at
    step k, on the n = sizes[k] of them still running at time t = times[k]::

        hh = S[k] W_hhᵀ  (packed)    forward_step → C[k+1], m(t) into M[t]
        S[k+1] = M[t] W_hrᵀ          (packed)

    the group's rows past n carry their state over unchanged."""
    for k in range(times.shape[0]):
        t, n = times[k], sizes[k]
        end = start + n
        if n > 0:
            packed_product(S[k, start:], w_packed, hh[start:], n)
            forward_step(xp[t, start:end], hh[start:end], C[k, start:end],
                         C[k + 1, start:end], M[t, start:end])
            packed_product(M[t, start:], r_packed, S[k + 1, start:], n)
        if end < stop:
            S[k + 1, end:stop] = S[k, end:stop]
            C[k + 1, end:stop] = C[k, end:stop]


@kernel
def backward_sequence(gates, w_packed, r_packed, C, dh, dc, DH, dm, zeros, d_output, times,
                      sizes, start):
    """The BPTT loop of ``lstm_projection.backward`` for the rows [start:…], steps
    k = K−1 … 0 on the n = sizes[k] running rows::

        DH[t] = dh + d_output[t]        δm = DH[t] W_hr   (packed)
        backward_step from δm → δz(t) in gates[t], δc(t−1)
        δh(t−1) = δz(t) W_hh            (packed)
    """
    P = dh.shape[1]
    for k in range(times.shape[0] - 1, -1, -1):
        t, n = times[k], sizes[k]
        if n == 0:
            continue
        end = start + n
        for b in range(start, end):
            e, d, o = DH[t, b], dh[b], d_output[t, b]
            for j in range(P):
                e[j] = d[j] + o[j]
        packed_product(DH[t, start:], r_packed, dm[start:], n)
        backward_step(gates[t, start:end], C[k, start:end], C[k + 1, start:end],
                      dm[start:end], zeros[start:end], dc[start:end])
        packed_product(gates[t, start:], w_packed, dh[start:], n)
