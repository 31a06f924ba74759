"""Compiled twins of :mod:`rnnlab.recurrent.noise`: recurrent dropout and zoneout inside the
compiled time loops. Each runs over the n running rows of one step; an empty ``mask`` /
``w`` (shape[0] == 0) means the option is off, and the caller skips the call."""

from __future__ import annotations

from rnnlab.engine.kernels.scalar import kernel


@kernel
def masked_copy(src, mask, dst):
    """dst = src ⊙ mask: h(t−1) as the recurrent product reads it (recurrent dropout)."""
    n, H = src.shape
    for b in range(n):
        s, m, d = src[b], mask[b], dst[b]
        for j in range(H):
            d[j] = s[j] * m[j]


@kernel
def blend(new, old, w):
    """new = old + w ⊙ (new − old), in place (zoneout forward)."""
    n, H = new.shape
    for b in range(n):
        nb, ob, wb = new[b], old[b], w[b]
        for j in range(H):
            nb[j] = ob[j] + wb[j] * (nb[j] - ob[j])


@kernel
def blend_into(out, new, old, w):
    """out = old + w ⊙ (new − old) (zoneout forward, the cell's value kept apart)."""
    n, H = new.shape
    for b in range(n):
        out_b, nb, ob, wb = out[b], new[b], old[b], w[b]
        for j in range(H):
            out_b[j] = ob[j] + wb[j] * (nb[j] - ob[j])


@kernel
def split(d, w, carry):
    """carry = (1 − w) ⊙ d, d = w ⊙ d (zoneout backward, before the step)."""
    n, H = d.shape
    for b in range(n):
        db, wb, cb = d[b], w[b], carry[b]
        for j in range(H):
            kept = wb[j] * db[j]
            cb[j] = db[j] - kept
            db[j] = kept


@kernel
def add_into(d, extra):
    """d += extra."""
    n, H = d.shape
    for b in range(n):
        db, eb = d[b], extra[b]
        for j in range(H):
            db[j] += eb[j]


@kernel
def finish_dh(dh, mask, carry, masked, carried):
    """After the backward product: dh = dh ⊙ mask (if ``masked``) + carry (if ``carried``)."""
    n, H = dh.shape
    for b in range(n):
        db = dh[b]
        if masked:
            mb = mask[b]
            for j in range(H):
                db[j] *= mb[j]
        if carried:
            cb = carry[b]
            for j in range(H):
                db[j] += cb[j]


@kernel
def split_sum(dh, dh_skip, d_out, w, carry):
    """Zoneout backward for a cell whose step sums δh' = dh + dh_skip + d_out (the GRU):
    carry = (1 − w) ⊙ δh', dh = w ⊙ δh', dh_skip = 0 (the caller passes zeros for d_out)."""
    n, H = dh.shape
    for b in range(n):
        db, sb, ob, wb, cb = dh[b], dh_skip[b], d_out[b], w[b], carry[b]
        for j in range(H):
            total = db[j] + sb[j] + ob[j]
            kept = wb[j] * total
            cb[j] = total - kept
            db[j] = kept
            sb[j] = 0
