"""Compiled kernels are cached on disk where Numba can keep a cache, and still compile
where it cannot (a read-only install without a writable cache folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_kernels_are_cached_on_disk():
    from rnnlab.engine.kernels.scatter import scatter_add_rows

    assert scatter_add_rows._cache.__class__.__name__ == "FunctionCache"


def test_kernels_compile_without_a_cache_folder():
    """Numba finds no folder for the cache (its locators all refuse, as on a read-only
    install whose user has no writable home): the kernel compiles uncached and runs."""
    code = """
import numba
import numpy as np
from numba.core import caching
caching.CacheImpl._locator_classes = []
numba.njit(cache=True)(lambda x: x)  # raises here, as Numba does on such an install
"""
    refused = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "no locator available" in refused.stderr
    code = code.replace("numba.njit(cache=True)(lambda x: x)  # raises here, as Numba does "
                        "on such an install", """
from rnnlab.engine.kernels.scatter import scatter_add_rows
assert scatter_add_rows._cache.__class__.__name__ == "NullCache"
grad = np.zeros((3, 2))
scatter_add_rows(grad, np.array([2, 0, 2]), np.ones((3, 2)))
assert grad.tolist() == [[1, 1], [0, 0], [2, 2]], grad
""")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
