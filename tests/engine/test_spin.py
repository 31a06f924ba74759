"""The compiled poll: True as soon as the counter reaches the target (also when another
thread raises it meanwhile), False once the polls run out."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rnnlab.engine.kernels import numba_enabled

pytestmark = pytest.mark.skipif(not numba_enabled(), reason="needs the compiled kernels")


def test_the_poll_sees_the_counter_reach_its_target():
    from rnnlab.engine.kernels.spin import spin_until

    flags = np.zeros(8, np.int64)
    assert not spin_until(flags, 3, 1, 100)
    flags[3] = 2
    assert spin_until(flags, 3, 1, 0) and spin_until(flags, 3, 2, 100)
    assert not spin_until(flags, 3, 3, 100)


def test_the_poll_sees_another_threads_write():
    from rnnlab.engine.kernels.spin import spin_until

    flags = np.zeros(8, np.int64)
    writer = threading.Timer(0.01, lambda: flags.__setitem__(0, 1))
    writer.start()
    assert spin_until(flags, 0, 1, 10**10)  # returns once the write lands, long before
    writer.join()
