"""Compiled time loops of the LSTM with a projection (:mod:`rnnlab.recurrent.lstm_projection`,
PyTorch's ``proj_size``): the plain LSTM's compiled steps (:mod:`.lstm_steps`) between two
packed products per step, so the whole loop is one kernel on the "numba+mkl" path; the
noise helpers of :mod:`.noise_steps` where recurrent dropout or zoneout is on (an empty
``h_mask`` / ``zone_h`` / ``zone_c`` means off)."""

from __future__ import annotations

from rnnlab.engine.kernels.scalar import kernel
from rnnlab.recurrent.fused.lstm_steps import backward_step, forward_step
from rnnlab.recurrent.fused.noise_steps import blend, blend_into, finish_dh, masked_copy, split
from rnnlab.recurrent.fused.packed_gemm import packed_product

__all__ = ["forward_step", "backward_step", "forward_sequence", "backward_sequence"]


@kernel
def forward_sequence(xp, w_packed, r_packed, S, C, C_new, M, hh, hm, h_mask, zone_h, zone_c,
                     times, sizes, start, stop):
    """The forward time loop of ``lstm_projection.forward`` for the rows [start:stop]: at
    step k, on the n = sizes[k] of them still running at time t = times[k]::

        hh = S[k] W_hhᵀ  (packed; (S[k] ⊙ h_mask) W_hhᵀ via hm with recurrent dropout)
        forward_step → C_new[k+1], m(t) into M[t]
        S[k+1] = M[t] W_hrᵀ          (packed)
        zoneout: S[k+1], C[k+1] blended with S[k], C[k]

    the group's rows past n carry their state over unchanged."""
    masked, zoned_h, zoned_c = h_mask.shape[0] > 0, zone_h.shape[0] > 0, zone_c.shape[0] > 0
    for k in range(times.shape[0]):
        t, n = times[k], sizes[k]
        end = start + n
        if n > 0:
            if masked:
                masked_copy(S[k, start:end], h_mask[start:end], hm[start:end])
                packed_product(hm[start:], w_packed, hh[start:], n)
            else:
                packed_product(S[k, start:], w_packed, hh[start:], n)
            forward_step(xp[t, start:end], hh[start:end], C[k, start:end],
                         C_new[k + 1, start:end], M[t, start:end])
            packed_product(M[t, start:], r_packed, S[k + 1, start:], n)
            if zoned_h:
                blend(S[k + 1, start:end], S[k, start:end], zone_h[t, start:end])
            if zoned_c:
                blend_into(C[k + 1, start:end], C_new[k + 1, start:end], C[k, start:end],
                           zone_c[t, start:end])
        if end < stop:
            S[k + 1, end:stop] = S[k, end:stop]
            C[k + 1, end:stop] = C[k, end:stop]


@kernel
def backward_sequence(gates, w_packed, r_packed, C, C_new, dh, dc, DH, dm, zeros, d_output,
                      h_mask, zone_h, zone_c, carry_h, carry_c, times, sizes, start):
    """The BPTT loop of ``lstm_projection.backward`` for the rows [start:…], steps
    k = K−1 … 0 on the n = sizes[k] running rows::

        DH[t] = dh + d_output[t]   (zoneout: its kept share; the rest carried)
        δm = DH[t] W_hr   (packed)
        backward_step from δm → δz(t) in gates[t], δc(t−1)   (zoneout on c around it)
        δh(t−1) = δz(t) W_hh   (packed; ⊙ h_mask, + the carried share)
    """
    masked, zoned_h, zoned_c = h_mask.shape[0] > 0, zone_h.shape[0] > 0, zone_c.shape[0] > 0
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
        if zoned_h:
            split(DH[t, start:end], zone_h[t, start:end], carry_h[start:end])
        packed_product(DH[t, start:], r_packed, dm[start:], n)
        if zoned_c:
            split(dc[start:end], zone_c[t, start:end], carry_c[start:end])
        backward_step(gates[t, start:end], C[k, start:end], C_new[k + 1, start:end],
                      dm[start:end], zeros[start:end], dc[start:end])
        if zoned_c:
            for b in range(start, end):
                d, c = dc[b], carry_c[b]
                for j in range(d.shape[0]):
                    d[j] += c[j]
        packed_product(gates[t, start:], w_packed, dh[start:], n)
        if masked or zoned_h:
            finish_dh(dh[start:end], h_mask[start:end], carry_h[start:end], masked, zoned_h)
