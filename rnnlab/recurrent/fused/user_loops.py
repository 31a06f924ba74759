"""The compiled time loops of a user's cell (:mod:`rnnlab.recurrent.user_cell`): the loops
of ``user_cell.forward`` / ``backward`` with the user's Numba step functions called from
inside, and MKL's packed GEMM for the per-step products (:mod:`.packed_gemm`).

:func:`build` compiles one pair of loops per pair of step functions: the step functions
are constants of the loops (closure variables), so Numba calls them directly and may inline
them — the loop costs what the built-in cells' compiled loops cost. Built loops are not
cached on disk (a closure cannot be); each process compiles them on first use, per dtype.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from numba import njit

from rnnlab.recurrent.fused.noise_steps import add_into, blend_into, finish_dh, masked_copy, split
from rnnlab.recurrent.fused.packed_gemm import packed_product, packed_product_add

_loop = njit(nogil=True, error_model="numpy", fastmath={"contract"})
_built: dict[tuple[Callable, Callable], SimpleNamespace] = {}


def build(forward_step: Callable, backward_step: Callable) -> SimpleNamespace:
    """``forward_sequence`` and ``backward_sequence`` calling the given compiled steps
    (built once per pair)."""
    key = (forward_step, backward_step)
    if key not in _built:
        _built[key] = SimpleNamespace(**_make(forward_step, backward_step))
    return _built[key]


def _make(forward_step: Callable, backward_step: Callable) -> dict[str, Callable]:
    @_loop
    def forward_sequence(xp, w_packed, p, S, C, S_new, C_new, hm, h_mask, zone_h, zone_c,
                         times, sizes, start, stop):
        """Rows [start:stop], steps k on the n = sizes[k] running rows at t = times[k]:
        xp[t] += S[k] W_hhᵀ (⊙ h_mask first), the user's forward step into S_new[k+1],
        C_new[k+1], zoneout's blend into S[k+1], C[k+1]; rows past n keep their state."""
        masked, zoned_h, zoned_c = h_mask.shape[0] > 0, zone_h.shape[0] > 0, zone_c.shape[0] > 0
        for k in range(times.shape[0]):
            t, n = times[k], sizes[k]
            end = start + n
            if n > 0:
                if masked:
                    masked_copy(S[k, start:end], h_mask[start:end], hm[start:end])
                    packed_product_add(hm[start:], w_packed, xp[t, start:], n)
                else:
                    packed_product_add(S[k, start:], w_packed, xp[t, start:], n)
                forward_step(xp[t, start:end], p, S[k, start:end], C[k, start:end],
                             S_new[k + 1, start:end], C_new[k + 1, start:end])
                if zoned_h:
                    blend_into(S[k + 1, start:end], S_new[k + 1, start:end], S[k, start:end],
                               zone_h[t, start:end])
                if zoned_c:
                    blend_into(C[k + 1, start:end], C_new[k + 1, start:end], C[k, start:end],
                               zone_c[t, start:end])
            if end < stop:
                S[k + 1, end:stop] = S[k, end:stop]
                C[k + 1, end:stop] = C[k, end:stop]

    @_loop
    def backward_sequence(gates, w_packed, p, d_p, S, C, S_new, C_new, dh, dc, direct,
                          d_output, h_mask, zone_h, zone_c, carry_h, carry_c, times, sizes,
                          start):
        """Rows [start:…], steps k = K−1 … 0: δh(t) = dh + d_output[t] (zoneout: split
        with the carried share), the user's backward step (∂L/∂z into gates[t], δc(t−1),
        the direct part of δh(t−1), d_p += …), then δh(t−1) = δz W_hh (⊙ h_mask) + direct
        (+ the carried share)."""
        masked, zoned_h, zoned_c = h_mask.shape[0] > 0, zone_h.shape[0] > 0, zone_c.shape[0] > 0
        for k in range(times.shape[0] - 1, -1, -1):
            t, n = times[k], sizes[k]
            if n == 0:
                continue
            end = start + n
            rows_dh = dh[start:end]
            add_into(rows_dh, d_output[t, start:end])
            if zoned_h:
                split(rows_dh, zone_h[t, start:end], carry_h[start:end])
            if zoned_c:
                split(dc[start:end], zone_c[t, start:end], carry_c[start:end])
            backward_step(gates[t, start:end], p, S[k, start:end], C[k, start:end],
                          S_new[k + 1, start:end], C_new[k + 1, start:end], rows_dh,
                          dc[start:end], direct[start:end], d_p)
            if zoned_c:
                add_into(dc[start:end], carry_c[start:end])
            packed_product(gates[t, start:], w_packed, dh[start:], n)
            finish_dh(rows_dh, h_mask[start:end], carry_h[start:end], masked, zoned_h)
            add_into(rows_dh, direct[start:end])

    return {"forward_sequence": forward_sequence, "backward_sequence": backward_sequence}
