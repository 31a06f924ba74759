"""Compiled step kernels of the recurrent cells (Numba): the NumPy reference's twins.

Each cell module (``rnn_cell``, ``lstm_cell``, ``gru_cell``) runs its time loop in Python:
one BLAS GEMM per step for the recurrent product, then one call that does all of the
step's elementwise work. That call is either the cell's NumPy reference (10–30 ufunc calls
of ~1 µs each) or the Numba kernel of the same name and signature in ``<cell>_steps``
here, which does the same arithmetic in one pass over the running rows. The kernels are
built from :mod:`rnnlab.engine.kernels.scalar` and compile on first use, once per dtype,
cached on disk.

When MKL is in use too (:mod:`rnnlab.recurrent.step_product`), the whole time loop runs
compiled: each ``<cell>_steps`` module also has ``forward_sequence`` / ``backward_sequence``
kernels that call MKL's packed GEMM themselves (:mod:`.packed_gemm`), so a step costs no
Python at all; without MKL the same loops call NumPy's own BLAS
(:mod:`rnnlab.recurrent.numpy_blas`). Which of these runs is decided in
:mod:`rnnlab.recurrent.compute_path`; the modules here import numba, so nothing else
imports them.
"""
