"""The embedding table's gradient: rows of g added into the rows their ids name.

``np.add.at(grad, ids, g)`` does it one element at a time through a generic ufunc loop
(zeros + add.at 8.7 ms against zeros + this loop 3.4 ms for 1,216 lookups of 300 dims,
the SST classifier's batch, into a 17,000-row table: ``benchmarks/speed/kernel_micro.py``), and
sorting the ids for ``np.add.reduceat`` was no faster in a trial (one slow reduction per
run of equal ids). This loop adds whole rows, which the compiler vectorises.
"""

from __future__ import annotations

from rnnlab.engine.kernels.scalar import kernel


@kernel
def scatter_add_rows(grad, ids, g):
    """grad[ids[k]] += g[k] for every k, in order (repeated ids accumulate)."""
    width = grad.shape[1]
    for k in range(ids.shape[0]):
        row, source = grad[ids[k]], g[k]
        for j in range(width):
            row[j] += source[j]
